//! `PageFs`: a directory whose files the page owns (editor tabs, uploads, results to download).
//!
//! Every operation is one synchronous request to a handler on the page's main thread, through
//! a [`PageTransport`] (in the browser: the `sync-io` channel). Files move whole, as the
//! protocol's docs explain: `open` fetches the content once, reads and writes work on that copy,
//! and `close`/`fsync` write it back if it changed. Two handles on the same page file therefore
//! do not see each other's unflushed writes, as with any cache in front of remote storage;
//! what a handle reads is always what the page had when it was opened plus its own writes.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use sync_io::protocol::{self as wire, FsReply, FsRequest, WriteMode};

use super::{
    DirEntry, FileKind, FileSystem, FsError, FsResult, Metadata, OpenFile, OpenOptions, TimeChange,
};

/// Carries one request to the page and brings back its answer (or why there is none).
pub trait PageTransport: Send + Sync {
    fn call(&self, op: FsRequest) -> FsResult<FsReply>;
}

/// The page's POSIX error names onto storage errors: the one place they meet.
impl From<wire::Errno> for FsError {
    fn from(e: wire::Errno) -> FsError {
        use wire::Errno as E;
        match e {
            E::Acces | E::Perm => FsError::PermissionDenied,
            E::Busy => FsError::Busy,
            E::Exist => FsError::AlreadyExists,
            E::Fbig => FsError::FileTooLarge,
            E::Inval => FsError::InvalidInput,
            E::Io => FsError::Io,
            E::Isdir => FsError::IsADirectory,
            E::Loop => FsError::Loop,
            E::Nametoolong => FsError::NameTooLong,
            E::Noent => FsError::NotFound,
            E::Nospc => FsError::NoSpace,
            E::Notdir => FsError::NotADirectory,
            E::Notempty => FsError::DirectoryNotEmpty,
            E::Notsup => FsError::Unsupported,
            E::Rofs => FsError::ReadOnly,
            E::Xdev => FsError::CrossDevice,
        }
    }
}

/// A page-owned directory. See the module docs.
pub struct PageFs {
    transport: Arc<dyn PageTransport>,
}

impl PageFs {
    pub fn new(transport: Arc<dyn PageTransport>) -> PageFs {
        PageFs { transport }
    }

    fn call(&self, op: FsRequest) -> FsResult<FsReply> {
        self.transport.call(op)
    }

    fn done(&self, op: FsRequest) -> FsResult<()> {
        match self.call(op)? {
            FsReply::Done => Ok(()),
            _ => Err(FsError::Io),
        }
    }
}

/// The page has no inode numbers; a hash of the path is stable for as long as the file keeps
/// its name, which is what `os.path.samefile` and directory walks need.
fn ino(path: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    h.finish() | 1
}

fn kind(k: wire::FileKind) -> FileKind {
    match k {
        wire::FileKind::File => FileKind::File,
        wire::FileKind::Directory => FileKind::Directory,
    }
}

fn metadata(path: &str, stat: wire::FileStat) -> Metadata {
    let ns = stat.modified_ms.saturating_mul(1_000_000);
    Metadata {
        kind: kind(stat.kind),
        size: stat.size,
        ino: ino(path),
        nlink: 1,
        atime_ns: ns,
        mtime_ns: ns,
        ctime_ns: ns,
    }
}

impl FileSystem for PageFs {
    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        match self.call(FsRequest::Stat { path: path.into() })? {
            FsReply::Stat(stat) => Ok(metadata(path, stat)),
            _ => Err(FsError::Io),
        }
    }

    fn open(&self, path: &str, opts: OpenOptions) -> FsResult<Arc<dyn OpenFile>> {
        if opts.create && opts.exclusive {
            // The page checks and creates in one step.
            self.done(FsRequest::WriteFile {
                path: path.into(),
                data: Vec::new(),
                mode: WriteMode::CreateNew,
            })?;
        }
        let (data, dirty) = if opts.truncate && opts.write {
            // The content is not needed, only that the path is a file that may be replaced.
            match self.lstat(path) {
                Ok(m) if m.kind == FileKind::Directory => return Err(FsError::IsADirectory),
                Ok(_) => {}
                Err(FsError::NotFound) if opts.create => {}
                Err(e) => return Err(e),
            }
            (Vec::new(), true)
        } else {
            match self.call(FsRequest::ReadFile { path: path.into() }) {
                Ok(FsReply::Data(data)) => (data, false),
                Ok(_) => return Err(FsError::Io),
                // Written on close even if nothing else is: `open(p, "a")` creates the file.
                Err(FsError::NotFound) if opts.create && opts.write => (Vec::new(), true),
                Err(e) => return Err(e),
            }
        };
        Ok(Arc::new(PageFile {
            path: path.into(),
            transport: self.transport.clone(),
            state: Mutex::new(FileState {
                data,
                dirty,
                mtime_ns: crate::clock::realtime_ns(),
            }),
        }))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let entries = match self.call(FsRequest::ListDir { path: path.into() })? {
            FsReply::Entries(entries) => entries,
            _ => return Err(FsError::Io),
        };
        let mut out: Vec<DirEntry> = entries
            .into_iter()
            .map(|e| {
                let full = if path.is_empty() {
                    e.name.clone()
                } else {
                    format!("{path}/{}", e.name)
                };
                DirEntry {
                    ino: ino(&full),
                    name: e.name,
                    kind: kind(e.kind),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn create_dir(&self, path: &str) -> FsResult<()> {
        self.done(FsRequest::Mkdir { path: path.into() })
    }

    fn remove_dir(&self, path: &str) -> FsResult<()> {
        self.done(FsRequest::Rmdir { path: path.into() })
    }

    fn unlink(&self, path: &str) -> FsResult<()> {
        self.done(FsRequest::Unlink { path: path.into() })
    }

    fn rename(&self, from: &str, to: &str) -> FsResult<()> {
        self.done(FsRequest::Rename {
            from: from.into(),
            to: to.into(),
        })
    }

    fn symlink(&self, _target: &str, _path: &str) -> FsResult<()> {
        Err(FsError::Unsupported)
    }

    fn read_link(&self, _path: &str) -> FsResult<String> {
        // Nothing here is a symlink.
        Err(FsError::InvalidInput)
    }

    fn hard_link(&self, _from: &str, _to: &str) -> FsResult<()> {
        Err(FsError::Unsupported)
    }

    fn set_times(&self, path: &str, _atime: TimeChange, _mtime: TimeChange) -> FsResult<()> {
        // The page keeps its own modification times; accept the call (as `shutil.copy2` and
        // `touch` need) once the path is known to exist.
        self.lstat(path).map(|_| ())
    }
}

struct FileState {
    data: Vec<u8>,
    /// Changed since it was fetched or last written back.
    dirty: bool,
    mtime_ns: u64,
}

struct PageFile {
    path: String,
    transport: Arc<dyn PageTransport>,
    state: Mutex<FileState>,
}

impl PageFile {
    fn state(&self) -> std::sync::MutexGuard<'_, FileState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(state: &mut FileState) {
        state.dirty = true;
        state.mtime_ns = crate::clock::realtime_ns();
    }

    /// Writes the content back if it changed. The copy stays dirty if the page refuses it,
    /// so a later `close` tries again and nothing is silently lost.
    fn flush(&self) -> FsResult<()> {
        let mut state = self.state();
        if !state.dirty {
            return Ok(());
        }
        let op = FsRequest::WriteFile {
            path: self.path.clone(),
            data: state.data.clone(),
            mode: WriteMode::Truncate,
        };
        match self.transport.call(op)? {
            FsReply::Done => {
                state.dirty = false;
                Ok(())
            }
            _ => Err(FsError::Io),
        }
    }
}

impl OpenFile for PageFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> FsResult<usize> {
        let state = self.state();
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(state.data.len());
        let n = buf.len().min(state.data.len() - start);
        buf[..n].copy_from_slice(&state.data[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, data: &[u8], offset: u64) -> FsResult<usize> {
        let mut state = self.state();
        let start = usize::try_from(offset).map_err(|_| FsError::FileTooLarge)?;
        let end = start.checked_add(data.len()).ok_or(FsError::FileTooLarge)?;
        if state.data.len() < end {
            state.data.resize(end, 0);
        }
        state.data[start..end].copy_from_slice(data);
        Self::changed(&mut state);
        Ok(data.len())
    }

    fn append(&self, data: &[u8]) -> FsResult<u64> {
        let mut state = self.state();
        state.data.extend_from_slice(data);
        Self::changed(&mut state);
        Ok(state.data.len() as u64)
    }

    fn metadata(&self) -> FsResult<Metadata> {
        let state = self.state();
        Ok(Metadata {
            kind: FileKind::File,
            size: state.data.len() as u64,
            ino: ino(&self.path),
            nlink: 1,
            atime_ns: state.mtime_ns,
            mtime_ns: state.mtime_ns,
            ctime_ns: state.mtime_ns,
        })
    }

    fn set_len(&self, len: u64) -> FsResult<()> {
        let mut state = self.state();
        state
            .data
            .resize(usize::try_from(len).map_err(|_| FsError::FileTooLarge)?, 0);
        Self::changed(&mut state);
        Ok(())
    }

    fn set_times(&self, _atime: TimeChange, _mtime: TimeChange) -> FsResult<()> {
        Ok(())
    }

    fn sync(&self) -> FsResult<()> {
        self.flush()
    }

    fn close(&self) -> FsResult<()> {
        self.flush()
    }
}

impl Drop for PageFile {
    fn drop(&mut self) {
        // Safety net for a handle dropped without `close` (the process exited): the data
        // still reaches the page. Errors have nobody left to report to.
        let _ = self.flush();
    }
}

/// Handle-free in-memory stand-in for a page, shared by the tests of this module.
#[cfg(test)]
pub(crate) mod fake {
    use std::collections::HashMap;

    use super::*;

    #[derive(Default)]
    pub struct FakePage {
        pub files: Mutex<HashMap<String, Vec<u8>>>,
        pub dirs: Mutex<Vec<String>>,
        pub calls: Mutex<Vec<String>>,
    }

    impl PageTransport for FakePage {
        fn call(&self, op: FsRequest) -> FsResult<FsReply> {
            self.calls.lock().unwrap().push(
                format!("{op:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
            );
            let mut files = self.files.lock().unwrap();
            let dirs = self.dirs.lock().unwrap();
            let is_dir = |p: &str| p.is_empty() || dirs.iter().any(|d| d == p);
            Ok(match op {
                FsRequest::ReadFile { path } if is_dir(&path) => return Err(FsError::IsADirectory),
                FsRequest::ReadFile { path } => {
                    FsReply::Data(files.get(&path).cloned().ok_or(FsError::NotFound)?)
                }
                FsRequest::WriteFile { path, data, mode } => {
                    match mode {
                        WriteMode::CreateNew if files.contains_key(&path) => {
                            return Err(wire::Errno::Exist.into())
                        }
                        WriteMode::Append => files.entry(path).or_default().extend(data),
                        _ => {
                            files.insert(path, data);
                        }
                    }
                    FsReply::Done
                }
                FsRequest::Stat { path } if is_dir(&path) => FsReply::Stat(wire::FileStat {
                    kind: wire::FileKind::Directory,
                    size: 0,
                    modified_ms: 5,
                }),
                FsRequest::Stat { path } => {
                    let size = files.get(&path).ok_or(FsError::NotFound)?.len() as u64;
                    FsReply::Stat(wire::FileStat {
                        kind: wire::FileKind::File,
                        size,
                        modified_ms: 5,
                    })
                }
                FsRequest::ListDir { path } => {
                    let prefix = if path.is_empty() {
                        String::new()
                    } else {
                        format!("{path}/")
                    };
                    let mut entries: Vec<wire::DirEntry> = files
                        .keys()
                        .filter_map(|k| k.strip_prefix(&prefix))
                        .filter(|rest| !rest.contains('/'))
                        .map(|name| wire::DirEntry {
                            name: name.into(),
                            kind: wire::FileKind::File,
                        })
                        .collect();
                    entries.reverse();
                    FsReply::Entries(entries)
                }
                FsRequest::Unlink { path } => {
                    files.remove(&path).ok_or(FsError::NotFound)?;
                    FsReply::Done
                }
                _ => return Err(FsError::Unsupported),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakePage;
    use super::*;

    fn page() -> (Arc<FakePage>, PageFs) {
        let fake = Arc::new(FakePage::default());
        fake.files
            .lock()
            .unwrap()
            .insert("notes.txt".into(), b"hello".to_vec());
        (fake.clone(), PageFs::new(fake))
    }

    const READ: OpenOptions = OpenOptions::READ;
    const WRITE: OpenOptions = OpenOptions {
        read: false,
        write: true,
        create: true,
        exclusive: false,
        truncate: true,
    };

    #[test]
    fn reads_the_whole_file_with_one_request() {
        let (fake, fs) = page();
        let f = fs.open("notes.txt", READ).unwrap();
        let mut buf = [0u8; 3];
        assert_eq!(f.read_at(&mut buf, 0).unwrap(), 3);
        assert_eq!(&buf, b"hel");
        assert_eq!(f.read_at(&mut buf, 3).unwrap(), 2);
        assert_eq!(f.read_at(&mut buf, 9).unwrap(), 0);
        assert_eq!(*fake.calls.lock().unwrap(), ["ReadFile"]);
    }

    #[test]
    fn writes_reach_the_page_on_close_not_before() {
        let (fake, fs) = page();
        let f = fs.open("out.txt", WRITE).unwrap();
        f.write_at(b"abc", 0).unwrap();
        f.append(b"def").unwrap();
        assert!(!fake.files.lock().unwrap().contains_key("out.txt"));
        f.close().unwrap();
        assert_eq!(fake.files.lock().unwrap()["out.txt"], b"abcdef");
        // A second close sends nothing new.
        f.close().unwrap();
        assert_eq!(
            fake.calls
                .lock()
                .unwrap()
                .iter()
                .filter(|c| *c == "WriteFile")
                .count(),
            1
        );
    }

    #[test]
    fn creating_an_empty_file_still_writes_it() {
        let (fake, fs) = page();
        drop(fs.open("empty.txt", WRITE).unwrap());
        assert_eq!(fake.files.lock().unwrap()["empty.txt"], b"");
    }

    #[test]
    fn page_errors_become_storage_errors() {
        let (_, fs) = page();
        assert_eq!(fs.open("missing.txt", READ).err(), Some(FsError::NotFound));
        assert_eq!(fs.open("", READ).err(), Some(FsError::IsADirectory));
        assert_eq!(fs.unlink("missing.txt"), Err(FsError::NotFound));
        let exclusive = OpenOptions {
            exclusive: true,
            ..WRITE
        };
        assert_eq!(
            fs.open("notes.txt", exclusive).err(),
            Some(FsError::AlreadyExists)
        );
        assert_eq!(fs.create_dir("d"), Err(FsError::Unsupported));
    }

    #[test]
    fn stat_and_listing() {
        let (fake, fs) = page();
        fake.files
            .lock()
            .unwrap()
            .insert("b.txt".into(), vec![0; 7]);
        let names: Vec<_> = fs
            .read_dir("")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["b.txt", "notes.txt"], "sorted by name");
        let m = fs.lstat("b.txt").unwrap();
        assert_eq!((m.kind, m.size, m.mtime_ns), (FileKind::File, 7, 5_000_000));
        assert_eq!(fs.lstat("").unwrap().kind, FileKind::Directory);
    }

    #[test]
    fn every_page_errno_has_a_storage_error() {
        for e in wire::Errno::ALL {
            let _ = FsError::from(e);
        }
        assert_eq!(FsError::from(wire::Errno::Nospc), FsError::NoSpace);
    }
}
