//! [`unpack`]: extracts a zip archive (a wheel, a data set) into the file system, as Pyodide's
//! `unpackArchive` does.
//!
//! Decompressing is the cost and entries are independent, so with `parallel` the entries of a
//! batch are decompressed on rayon's pool (in the web build, workers that wasm-bindgen-rayon
//! starts; see `web`). Everything else stays on the calling thread:
//! - the output buffers are allocated (not yet touched) before the parallel part: wasm's
//!   allocator is one spin lock, and threads allocating megabytes in it at once (growing
//!   memory as they go) were measured slower together than one thread alone;
//! - writing, in archive order: the file system takes each buffer as it is (no copy), and one
//!   writer keeps the outcome of duplicate names deterministic (the last entry wins, as with
//!   `unzip -o`).
//!
//! Batches bound how much decompressed data is held at once.
//!
//! Everything that can be checked before writing is: a name that leaves the destination (`..`),
//! an entry below a file or a symlink of the same archive (a symlink could redirect later
//! entries anywhere), and a path that exists in the file system with the other kind. Any of
//! these fails the whole extraction with nothing written. A damaged entry (bad CRC) shows only
//! when it is decompressed: earlier batches are then written, and the error names the entry.

use crate::vfs::zipped::{clean_components, reserve, ZipSource};
use crate::vfs::{FileKind, FsError, TimeChange, Vfs};
use rayon::prelude::*;
use std::collections::HashMap;

/// Most decompressed bytes held at once (one batch); a larger entry is a batch of its own.
const BATCH_BYTES: u64 = 64 << 20;

/// What an extraction wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Unpacked {
    pub files: u32,
    /// Directories the archive names, explicitly or as parents of its entries.
    pub directories: u32,
    pub symlinks: u32,
    /// Uncompressed bytes of files and symlinks.
    pub bytes: u64,
}

/// One entry to write, checked.
struct Item {
    index: usize,
    /// Absolute destination path.
    path: String,
    kind: FileKind,
    size: u64,
    mtime_ns: u64,
}

/// Extracts the zip archive `bytes` into the directory `dest` (absolute; created if missing).
/// The error is a message for the user, naming the entry or path at fault.
pub fn unpack(vfs: &Vfs, bytes: Vec<u8>, dest: &str, parallel: bool) -> Result<Unpacked, String> {
    if !dest.starts_with('/') {
        return Err(format!(
            "the destination must be an absolute path, not {dest:?}"
        ));
    }
    let zip = ZipSource::new(bytes).map_err(|e| format!("not a zip archive: {e}"))?;
    let (dirs, items) = plan(&zip, dest.trim_end_matches('/'))?;
    check_against(vfs, &dirs, &items)?;

    let fs_err = |path: &str, e: FsError| format!("cannot write {path}: {e}");
    vfs.create_dir_all(dest).map_err(|e| fs_err(dest, e))?;
    for dir in &dirs {
        vfs.create_dir_all(dir).map_err(|e| fs_err(dir, e))?;
    }
    let mut done = Unpacked {
        directories: dirs.len() as u32,
        ..Unpacked::default()
    };
    for batch in batches(&items) {
        let mut bufs = batch
            .iter()
            .map(|it| reserve(it.size))
            .collect::<Result<Vec<_>, String>>()?;
        let fill = |(it, buf): (&Item, &mut Vec<u8>)| {
            zip.read_into(it.index, buf)
                .map_err(|e| format!("damaged entry {}: {e}", it.path))
        };
        if parallel {
            batch
                .par_iter()
                .zip(bufs.par_iter_mut())
                .try_for_each(fill)?;
        } else {
            batch.iter().zip(bufs.iter_mut()).try_for_each(fill)?;
        }
        for (it, data) in batch.iter().zip(bufs) {
            done.bytes += data.len() as u64;
            match it.kind {
                FileKind::Symlink => done.symlinks += 1,
                _ => done.files += 1,
            }
            write(vfs, it, data).map_err(|e| fs_err(&it.path, e))?;
        }
    }
    Ok(done)
}

/// The directories to create (parents first) and the entries to write, after the checks that
/// need only the archive.
fn plan(zip: &ZipSource, dest: &str) -> Result<(Vec<String>, Vec<Item>), String> {
    // Every path the archive names, with its kind; directories in creation order.
    let mut kinds: HashMap<String, FileKind> = HashMap::new();
    let mut dirs = Vec::new();
    let mut items = Vec::new();
    for index in 0..zip.len() {
        let entry = zip.entry(index)?;
        let Some(comps) = clean_components(&entry.name) else {
            return Err(format!(
                "entry {:?} would be written outside {dest}/",
                entry.name
            ));
        };
        let Some((last, parents)) = comps.split_last() else {
            continue; // "" or "./": the destination itself
        };
        let mut path = dest.to_string();
        for comp in parents {
            path.push('/');
            path.push_str(comp);
            match kinds.get(&path) {
                Some(FileKind::Directory) => {}
                Some(_) => {
                    return Err(format!(
                        "entry {:?} is inside {path}, which the archive makes a file or symlink",
                        entry.name
                    ))
                }
                None => {
                    kinds.insert(path.clone(), FileKind::Directory);
                    dirs.push(path.clone());
                }
            }
        }
        path.push('/');
        path.push_str(last);
        match (kinds.get(&path), entry.kind) {
            (None, FileKind::Directory) => {
                kinds.insert(path.clone(), FileKind::Directory);
                dirs.push(path);
            }
            (Some(FileKind::Directory), FileKind::Directory) => {}
            (Some(FileKind::Directory), _) | (Some(_), FileKind::Directory) => {
                return Err(format!(
                    "the archive has {path} both as a directory and as a file"
                ))
            }
            (_, kind) => {
                kinds.insert(path.clone(), kind);
                items.push(Item {
                    index,
                    path,
                    kind,
                    size: entry.size,
                    mtime_ns: entry.mtime_ns,
                });
            }
        }
    }
    Ok((dirs, items))
}

/// Refuses paths that exist in the file system with a kind the archive cannot write over.
fn check_against(vfs: &Vfs, dirs: &[String], items: &[Item]) -> Result<(), String> {
    for dir in dirs {
        if let Ok(r) = vfs.resolve("/", dir, true) {
            if let Ok(m) = r.fs.lstat(&r.rel) {
                if m.kind != FileKind::Directory {
                    return Err(format!("{dir} exists and is not a directory"));
                }
            }
        }
    }
    for it in items {
        if let Ok(r) = vfs.resolve("/", &it.path, false) {
            if let Ok(m) = r.fs.lstat(&r.rel) {
                if m.kind == FileKind::Directory {
                    return Err(format!("{} exists and is a directory", it.path));
                }
            }
        }
    }
    Ok(())
}

/// Consecutive runs of items holding at most [`BATCH_BYTES`] (at least one item each).
fn batches(items: &[Item]) -> impl Iterator<Item = &[Item]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut total = 0;
        let n = rest
            .iter()
            .position(|it| {
                total += it.size;
                total > BATCH_BYTES
            })
            .unwrap_or(rest.len())
            .max(1);
        let (batch, tail) = rest.split_at(n);
        rest = tail;
        Some(batch)
    })
}

fn write(vfs: &Vfs, it: &Item, data: Vec<u8>) -> Result<(), FsError> {
    if it.kind == FileKind::Symlink {
        let target = std::str::from_utf8(&data).map_err(|_| FsError::InvalidInput)?;
        let r = vfs.resolve("/", &it.path, false)?;
        match r.fs.unlink(&r.rel) {
            Ok(()) | Err(FsError::NotFound) => {}
            Err(e) => return Err(e),
        }
        return r.fs.symlink(target, &r.rel);
    }
    vfs.write_file(&it.path, data)?;
    let r = vfs.resolve("/", &it.path, true)?;
    r.fs.set_times(&r.rel, TimeChange::Keep, TimeChange::Set(it.mtime_ns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::{BundleFs, MemFs};
    use std::io::{Cursor, Write};
    use std::sync::Arc;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime};

    fn vfs() -> Vfs {
        let root = Arc::new(MemFs::new());
        root.create_dir_all("home/user").unwrap();
        Vfs::new(root)
    }

    /// A zip of `(name, contents)`; a name ending in `/` is a directory, `@target` contents
    /// make a symlink.
    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let when = DateTime::from_date_and_time(2021, 6, 7, 8, 9, 10).unwrap();
        let o = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(when);
        for (name, data) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, o).unwrap();
            } else if let Some(target) = data.strip_prefix(b"@") {
                w.add_symlink(*name, std::str::from_utf8(target).unwrap(), o)
                    .unwrap();
            } else {
                w.start_file(*name, o).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn sample() -> Vec<u8> {
        zip_of(&[
            ("pkg/__init__.py", b"x = 1\n"),
            ("pkg/sub/deep.py", &b"y = 2\n".repeat(1000)),
            ("empty/", b""),
            ("pkg/link", b"@sub/deep.py"),
            ("top.txt", b"top"),
        ])
    }

    #[test]
    fn extracts_files_directories_and_symlinks() {
        for parallel in [false, true] {
            let vfs = vfs();
            let done = unpack(&vfs, sample(), "/home/user/out", parallel).unwrap();
            assert_eq!(
                done,
                Unpacked {
                    files: 3,
                    directories: 3, // pkg, pkg/sub, empty
                    symlinks: 1,
                    bytes: 6 + 6000 + 3 + 11,
                }
            );
            assert_eq!(
                vfs.read_file("/home/user/out/pkg/__init__.py").unwrap(),
                b"x = 1\n"
            );
            assert_eq!(
                vfs.read_file("/home/user/out/pkg/link").unwrap().len(),
                6000
            );
            assert_eq!(vfs.read_file("/home/user/out/top.txt").unwrap(), b"top");
            let r = vfs.resolve("/", "/home/user/out/empty", true).unwrap();
            assert_eq!(r.fs.lstat(&r.rel).unwrap().kind, FileKind::Directory);
            let r = vfs.resolve("/", "/home/user/out/top.txt", true).unwrap();
            let when = 1_623_053_350u64 * 1_000_000_000; // 2021-06-07T08:09:10Z
            assert_eq!(r.fs.lstat(&r.rel).unwrap().mtime_ns, when);
        }
    }

    #[test]
    fn overwrites_files_and_last_duplicate_wins() {
        let vfs = vfs();
        vfs.write_file("/home/user/dup1", b"old").unwrap();
        // The zip crate refuses to write a name twice: write two, then rename the second.
        let mut zip = zip_of(&[("dup1", b"first"), ("dup2", b"second")]);
        for at in 0..zip.len() - 4 {
            if &zip[at..at + 4] == b"dup2" {
                zip[at + 3] = b'1';
            }
        }
        unpack(&vfs, zip, "/home/user", true).unwrap();
        assert_eq!(vfs.read_file("/home/user/dup1").unwrap(), b"second");
    }

    #[test]
    fn refuses_entries_outside_the_destination_and_writes_nothing() {
        let vfs = vfs();
        let zip = zip_of(&[("ok.txt", b"fine"), ("../../evil", b"bad")]);
        let err = unpack(&vfs, zip, "/home/user/x", true).unwrap_err();
        assert!(
            err.contains("\"../../evil\" would be written outside /home/user/x/"),
            "{err}"
        );
        assert!(vfs.read_file("/home/user/x/ok.txt").is_err());
        assert!(vfs.read_file("/home/evil").is_err());
    }

    #[test]
    fn refuses_entries_below_a_symlink_of_the_archive() {
        let vfs = vfs();
        let zip = zip_of(&[("l", b"@/etc"), ("l/passwd", b"owned")]);
        let err = unpack(&vfs, zip, "/home/user", true).unwrap_err();
        assert!(err.contains("inside /home/user/l"), "{err}");
        assert!(vfs.read_file("/etc/passwd").is_err());
    }

    #[test]
    fn refuses_kind_conflicts_in_the_archive_and_on_disk() {
        let vfs = vfs();
        let err = unpack(
            &vfs,
            zip_of(&[("a", b"1"), ("a/b", b"2")]),
            "/home/user",
            true,
        )
        .unwrap_err();
        assert!(err.contains("inside /home/user/a"), "{err}");
        vfs.create_dir_all("/home/user/d").unwrap();
        let err = unpack(&vfs, zip_of(&[("d", b"1")]), "/home/user", true).unwrap_err();
        assert_eq!(err, "/home/user/d exists and is a directory");
        vfs.write_file("/home/user/f", b"").unwrap();
        let err = unpack(&vfs, zip_of(&[("f/g", b"1")]), "/home/user", true).unwrap_err();
        assert_eq!(err, "/home/user/f exists and is not a directory");
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let vfs = vfs();
        let err = unpack(&vfs, b"not a zip".to_vec(), "/home/user", true).unwrap_err();
        assert!(err.starts_with("not a zip archive: "), "{err}");
        let err = unpack(&vfs, sample(), "relative", true).unwrap_err();
        assert!(err.contains("absolute path"), "{err}");
        // a read-only destination (the stdlib bundle)
        vfs.mount(
            "/lib",
            Arc::new(BundleFs::new(zip_of(&[("m.py", b"")])).unwrap()),
        )
        .unwrap();
        let err = unpack(&vfs, sample(), "/lib", true).unwrap_err();
        assert!(err.starts_with("cannot write /lib/"), "{err}");
    }

    #[test]
    fn a_damaged_entry_is_named() {
        let mut zip = zip_of(&[("good", b"fine"), ("bad", &b"zzzz".repeat(50))]);
        // Flip a byte of the last entry's compressed data (it sits before the central directory).
        let at = zip.windows(3).position(|w| w == b"bad").unwrap() + 3;
        let cd = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        assert!(at < cd - 2);
        zip[cd - 2] ^= 0xff;
        let vfs = vfs();
        let err = unpack(&vfs, zip, "/home/user", true).unwrap_err();
        assert!(err.starts_with("damaged entry /home/user/bad: "), "{err}");
    }

    #[test]
    fn batches_bound_the_bytes_held() {
        let item = |size| Item {
            index: 0,
            path: String::new(),
            kind: FileKind::File,
            size,
            mtime_ns: 0,
        };
        let items: Vec<Item> = [40 << 20, 20 << 20, 10 << 20, 100 << 20, 1]
            .into_iter()
            .map(item)
            .collect();
        let sizes: Vec<usize> = batches(&items).map(<[Item]>::len).collect();
        assert_eq!(sizes, [2, 1, 1, 1]);
    }
}
