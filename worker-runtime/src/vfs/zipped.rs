//! [`ZipSource`]: a zip archive as the runtime reads it, for the two places that do: the stdlib
//! bundle (entry by entry, when Python opens a file) and archive extraction (every entry, on
//! several threads at once).
//!
//! The parsed central directory (`ZipArchiveMetadata`) and the archive bytes are both `Arc`'d
//! and each read goes through its own `Cursor`, so threads decompress different entries at the
//! same time with no lock and without reparsing the archive.

use super::FileKind;
use std::io::{Cursor, Read};
use std::sync::Arc;
use zip::read::ZipArchiveMetadata;
use zip::{DateTime, ZipArchive, ZipReadOptions};

/// 1980-01-01T00:00:00Z, the zip epoch: the time of entries with no valid time of their own.
pub const ZIP_EPOCH_NS: u64 = 315_532_800 * 1_000_000_000;

/// The archive bytes, shared between the index and every read.
#[derive(Clone)]
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// An indexed zip archive. Cheap to share between threads (`Arc` it, or clone it).
#[derive(Clone)]
pub struct ZipSource {
    bytes: SharedBytes,
    meta: Arc<ZipArchiveMetadata>,
}

/// What the central directory says about one entry.
pub struct EntryInfo {
    /// The name as stored (not yet checked: see [`clean_components`]).
    pub name: String,
    pub kind: FileKind,
    /// Uncompressed size.
    pub size: u64,
    pub mtime_ns: u64,
}

impl ZipSource {
    /// Parses the central directory of the zip archive in `bytes`; nothing is decompressed.
    pub fn new(bytes: Vec<u8>) -> Result<ZipSource, String> {
        let bytes = SharedBytes(Arc::new(bytes));
        let archive = ZipArchive::new(Cursor::new(bytes.clone())).map_err(|e| e.to_string())?;
        Ok(ZipSource {
            meta: archive.metadata(),
            bytes,
        })
    }

    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Entry `index` of the central directory.
    pub fn entry(&self, index: usize) -> Result<EntryInfo, String> {
        let entry = self
            .meta
            .entry(index)
            .map_err(|e| format!("unreadable entry #{index}: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| format!("undecodable name of entry #{index}: {e}"))?
            .into_owned();
        let kind = if entry.is_dir() {
            FileKind::Directory
        } else if entry.is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::File
        };
        Ok(EntryInfo {
            name,
            kind,
            size: entry.size(),
            mtime_ns: entry
                .last_modified()
                .and_then(dos_time_ns)
                .unwrap_or(ZIP_EPOCH_NS),
        })
    }

    /// Decompresses entry `index`, whose uncompressed size is `size`, checking the size and
    /// the CRC-32. The error says what is wrong with the entry.
    pub fn read(&self, index: usize, size: u64) -> Result<Vec<u8>, String> {
        let mut out = reserve(size)?;
        self.read_into(index, &mut out)?;
        Ok(out)
    }

    /// Decompresses entry `index` into `out`, an empty vector with the entry's size as its
    /// capacity (see [`reserve`]), and checks the size and the CRC-32. Allocates only the
    /// decompressor's state: the bytes are written (and the memory first touched) here.
    pub fn read_into(&self, index: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let size = out.capacity();
        let mut cursor = Cursor::new(self.bytes.clone());
        let entry = self.meta.entry(index).map_err(|e| e.to_string())?;
        let mut reader = entry
            .with_reader(&mut cursor, ZipReadOptions::new())
            .map_err(|e| e.to_string())?;
        // The reader stops at the central directory's size and checks the CRC at the end; a
        // full vector is probed on the stack, never grown.
        reader.read_to_end(out).map_err(|e| e.to_string())?;
        if out.len() != size {
            return Err(format!(
                "{} bytes where the directory says {size}",
                out.len()
            ));
        }
        Ok(())
    }
}

/// An empty vector with room for exactly `size` bytes, or an error (not an abort) when they
/// cannot be allocated.
pub fn reserve(size: u64) -> Result<Vec<u8>, String> {
    let fail = || format!("cannot allocate {size} bytes");
    let size = usize::try_from(size).map_err(|_| fail())?;
    let mut out = Vec::new();
    out.try_reserve_exact(size).map_err(|_| fail())?;
    Ok(out)
}

/// Splits an entry name into clean components, or `None` if it would escape the directory it
/// is read into (`..`, or a NUL). `.`, empty components and a leading `/` are dropped.
pub fn clean_components(name: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for comp in name.split('/') {
        match comp {
            "" | "." => {}
            ".." => return None,
            c if c.contains('\0') => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Zip (MS-DOS) timestamps carry no time zone; they are taken as UTC, which is what a
/// reproducible bundle build writes.
pub fn dos_time_ns(t: DateTime) -> Option<u64> {
    if !t.is_valid() {
        return None;
    }
    let days = days_from_civil(t.year().into(), t.month().into(), t.day().into());
    let secs = days * 86_400
        + i64::from(t.hour()) * 3_600
        + i64::from(t.minute()) * 60
        + i64::from(t.second());
    u64::try_from(secs).ok().map(|s| s * 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_time_conversion() {
        let t = |y, mo, d, h, mi, s| {
            dos_time_ns(DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap())
        };
        assert_eq!(t(1980, 1, 1, 0, 0, 0), Some(ZIP_EPOCH_NS));
        assert_eq!(t(2000, 3, 1, 0, 0, 0), Some(951_868_800 * 1_000_000_000));
        assert_eq!(
            t(2024, 2, 29, 23, 59, 58),
            Some(1_709_251_198 * 1_000_000_000)
        );
    }
}
