//! Storage: what a file system must provide, and the mount table that joins several into one tree.
//!
//! This layer knows nothing of file descriptors, rights or the WASI ABI: it speaks in paths,
//! [`Metadata`] and [`FsError`]. The fd layer (`crate::fd`) sits on top and the syscall layer
//! (`crate::preview1`) on top of that; [`FsError`] becomes a WASI errno in exactly one place
//! (`crate::errno`), so a new storage backend (a page-owned mount, a host directory in Node) only
//! implements [`FileSystem`] and [`OpenFile`].
//!
//! Path convention for [`FileSystem`] methods: relative to the file system's own root, already
//! normalised by [`Vfs`]: components joined by `/`, no leading or trailing `/`, no `.`, `..` or
//! empty components; `""` is the root itself. Every intermediate component has been resolved by
//! the [`Vfs`] (symlinks followed, mount points crossed); the last component is never followed
//! by the backend.

mod bundle;
mod mem;
mod mount;
mod page;
pub(crate) mod zipped;

pub use bundle::BundleFs;
pub use mem::MemFs;
pub use mount::{Resolved, Vfs};
pub use page::{PageFs, PageTransport};

use std::sync::Arc;

pub type FsResult<T> = Result<T, FsError>;

/// Why a storage operation failed. Deliberately small: each maps to one WASI errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    AlreadyExists,
    NotADirectory,
    IsADirectory,
    DirectoryNotEmpty,
    /// Write to a read-only file system (the stdlib bundle).
    ReadOnly,
    PermissionDenied,
    InvalidInput,
    NameTooLong,
    /// Too many symlinks while resolving a path.
    Loop,
    /// rename/link across two mounts.
    CrossDevice,
    /// The operation is not supported by this backend.
    Unsupported,
    /// The directory or file is in use in a way that forbids the operation (e.g. removing a
    /// mount point).
    Busy,
    /// The backend is out of space (a page's storage quota).
    NoSpace,
    /// The file would exceed what the backend can hold.
    FileTooLarge,
    /// A blocking request to the page was interrupted (Ctrl-C): the guest retries or raises
    /// `KeyboardInterrupt`.
    Interrupted,
    /// The backend's data is damaged (a corrupt bundle entry) or its host failed.
    Io,
}

/// The message a user reads (as `strerror` words it), for errors reported outside a syscall.
impl std::fmt::Display for FsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FsError::NotFound => "no such file or directory",
            FsError::AlreadyExists => "file exists",
            FsError::NotADirectory => "not a directory",
            FsError::IsADirectory => "is a directory",
            FsError::DirectoryNotEmpty => "directory not empty",
            FsError::ReadOnly => "read-only file system",
            FsError::PermissionDenied => "permission denied",
            FsError::InvalidInput => "invalid argument",
            FsError::NameTooLong => "file name too long",
            FsError::Loop => "too many levels of symbolic links",
            FsError::CrossDevice => "cross-device link",
            FsError::Unsupported => "operation not supported",
            FsError::Busy => "device or resource busy",
            FsError::NoSpace => "no space left on device",
            FsError::FileTooLarge => "file too large",
            FsError::Interrupted => "interrupted",
            FsError::Io => "input/output error",
        })
    }
}

impl FsError {
    /// The POSIX name of the error (`"ENOENT"`, ...), as Node's `error.code` gives it, for errors
    /// reported to JS outside a syscall (see `fs_ops`).
    pub fn code(self) -> &'static str {
        match self {
            FsError::NotFound => "ENOENT",
            FsError::AlreadyExists => "EEXIST",
            FsError::NotADirectory => "ENOTDIR",
            FsError::IsADirectory => "EISDIR",
            FsError::DirectoryNotEmpty => "ENOTEMPTY",
            FsError::ReadOnly => "EROFS",
            FsError::PermissionDenied => "EACCES",
            FsError::InvalidInput => "EINVAL",
            FsError::NameTooLong => "ENAMETOOLONG",
            FsError::Loop => "ELOOP",
            FsError::CrossDevice => "EXDEV",
            FsError::Unsupported => "ENOTSUP",
            FsError::Busy => "EBUSY",
            FsError::NoSpace => "ENOSPC",
            FsError::FileTooLarge => "EFBIG",
            FsError::Interrupted => "EINTR",
            FsError::Io => "EIO",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Directory,
    Symlink,
}

/// Times are nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub kind: FileKind,
    pub size: u64,
    /// Unique within one file system; the [`Vfs`] pairs it with a device number per mount.
    pub ino: u64,
    pub nlink: u64,
    pub atime_ns: u64,
    pub mtime_ns: u64,
    pub ctime_ns: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub kind: FileKind,
    pub ino: u64,
}

/// How to open a regular file. Directories are never opened through [`FileSystem::open`]:
/// the fd layer holds a directory as its path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    pub read: bool,
    pub write: bool,
    /// Create the file if it does not exist.
    pub create: bool,
    /// With `create`: fail with `AlreadyExists` if it exists.
    pub exclusive: bool,
    /// Truncate to zero length on open (needs `write`).
    pub truncate: bool,
}

impl OpenOptions {
    /// Read-only, the file must exist.
    pub const READ: OpenOptions = OpenOptions {
        read: true,
        write: false,
        create: false,
        exclusive: false,
        truncate: false,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeChange {
    Keep,
    Now,
    /// Nanoseconds since the Unix epoch.
    Set(u64),
}

/// One storage backend, mounted somewhere in the [`Vfs`]. Must be usable from several threads:
/// every Python thread's worker shares one instance.
pub trait FileSystem: Send + Sync {
    /// Metadata of `path` itself (a symlink is reported as a symlink).
    fn lstat(&self, path: &str) -> FsResult<Metadata>;
    /// Opens a regular file. `IsADirectory` for a directory, `NotFound` if missing and not
    /// `create`, `ReadOnly` for any write access on a read-only backend.
    fn open(&self, path: &str, opts: OpenOptions) -> FsResult<Arc<dyn OpenFile>>;
    /// Entries sorted by name, without `.` and `..`.
    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>>;
    fn create_dir(&self, path: &str) -> FsResult<()>;
    /// Removes an empty directory.
    fn remove_dir(&self, path: &str) -> FsResult<()>;
    /// Removes a file or symlink (`IsADirectory` for a directory). Open handles stay usable.
    fn unlink(&self, path: &str) -> FsResult<()>;
    /// POSIX rename: replaces an existing file, or an existing empty directory with a directory.
    fn rename(&self, from: &str, to: &str) -> FsResult<()>;
    /// Creates a symlink at `path` whose content is `target` (not validated).
    fn symlink(&self, target: &str, path: &str) -> FsResult<()>;
    fn read_link(&self, path: &str) -> FsResult<String>;
    /// Hard link; backends without them return `Unsupported`.
    fn hard_link(&self, from: &str, to: &str) -> FsResult<()>;
    fn set_times(&self, path: &str, atime: TimeChange, mtime: TimeChange) -> FsResult<()>;
}

/// An open regular file. Positions live in the fd layer; this is positionless I/O.
pub trait OpenFile: Send + Sync {
    /// Reads at `offset`; returns 0 at or past the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> FsResult<usize>;
    /// Writes at `offset`, growing the file (zero-filled) as needed.
    fn write_at(&self, data: &[u8], offset: u64) -> FsResult<usize>;
    /// Appends atomically with respect to other appenders; returns the new size.
    fn append(&self, data: &[u8]) -> FsResult<u64>;
    fn metadata(&self) -> FsResult<Metadata>;
    fn set_len(&self, len: u64) -> FsResult<()>;
    fn set_times(&self, atime: TimeChange, mtime: TimeChange) -> FsResult<()>;
    /// Makes `data` the whole content. A backend that keeps files as `Vec<u8>` takes the
    /// buffer as it is, so a large file is not copied a second time.
    fn replace(&self, data: Vec<u8>) -> FsResult<()> {
        self.set_len(0)?;
        let mut written = 0;
        while written < data.len() {
            let n = self.write_at(&data[written..], written as u64)?;
            if n == 0 {
                return Err(FsError::Io);
            }
            written += n;
        }
        Ok(())
    }
    fn sync(&self) -> FsResult<()> {
        Ok(())
    }
    /// The last descriptor of this file is being closed: the place to write back a cached
    /// copy and report failure to `close()`.
    fn close(&self) -> FsResult<()> {
        Ok(())
    }
}
