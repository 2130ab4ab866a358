//! File descriptors: the middle layer between the syscall ABI and storage.
//!
//! [`FdTable`] maps numbers to [`Descriptor`]s and reuses the lowest free number, as POSIX
//! does (CPython and wasi-libc assume small, dense fds). Each slot holds an `Arc`, so a
//! syscall takes the table lock only long enough to look the descriptor up; the I/O itself
//! (which for stdin or a page-owned file may block) runs without it, and other threads keep
//! using their own fds meanwhile. A file's position and flags live in the descriptor, behind
//! its own lock.

use crate::errno::Errno;
use crate::vfs::OpenFile;
use std::sync::{Arc, Mutex};

/// WASI `rights` bits (spec order).
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;

    /// Everything a regular file can do.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// Everything a directory can do.
    pub const DIR: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// A terminal-like stream: no seek/tell, which is how wasi-libc's `isatty` recognises one.
    pub const TTY: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
    /// A stream that is not a terminal (a pipe or file on the host side).
    pub const PIPE: u64 = TTY | FD_SEEK | FD_TELL;
}

/// WASI `fdflags` bits.
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// WASI `filetype` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FileType {
    Unknown = 0,
    CharacterDevice = 2,
    Directory = 3,
    RegularFile = 4,
    SymbolicLink = 7,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdio {
    In,
    Out,
    Err,
}

/// Rights and flags of one descriptor, changeable through `fd_fdstat_set_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdStat {
    pub flags: u16,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

pub struct FileState {
    pub pos: u64,
    pub stat: FdStat,
}

pub enum Descriptor {
    Stdio {
        which: Stdio,
        stat: Mutex<FdStat>,
    },
    File {
        file: Arc<dyn OpenFile>,
        dev: u64,
        state: Mutex<FileState>,
    },
    Dir {
        /// Canonical absolute path: `path_*` calls resolve relative to it.
        path: String,
        /// The name a preopen is announced under (`fd_prestat_dir_name`).
        preopen: Option<String>,
        stat: Mutex<FdStat>,
    },
}

impl Descriptor {
    pub fn file_type(&self) -> FileType {
        match self {
            Descriptor::Stdio { .. } => FileType::CharacterDevice,
            Descriptor::File { .. } => FileType::RegularFile,
            Descriptor::Dir { .. } => FileType::Directory,
        }
    }

    pub fn fdstat(&self) -> FdStat {
        match self {
            Descriptor::Stdio { stat, .. } | Descriptor::Dir { stat, .. } => *lock(stat),
            Descriptor::File { state, .. } => lock(state).stat,
        }
    }

    pub fn set_fdstat(&self, new: FdStat) {
        match self {
            Descriptor::Stdio { stat, .. } | Descriptor::Dir { stat, .. } => *lock(stat) = new,
            Descriptor::File { state, .. } => lock(state).stat = new,
        }
    }

    /// Fails with `ENOTCAPABLE`-free POSIX errors: reading a write-only fd is `EBADF`.
    pub fn require(&self, right: u64) -> Result<(), Errno> {
        if self.fdstat().rights_base & right == right {
            Ok(())
        } else {
            Err(Errno::Badf)
        }
    }
}

/// Poisoning only happens after a panic, which aborts the wasm instance anyway; natively a
/// poisoned lock still holds consistent data for our plain-value states.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// POSIX limits a process to a few thousand fds; a runaway loop should see `EMFILE`.
pub const MAX_FDS: usize = 4096;

#[derive(Default)]
pub struct FdTable {
    slots: Vec<Option<Arc<Descriptor>>>,
}

impl FdTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, fd: u32) -> Result<Arc<Descriptor>, Errno> {
        self.slots
            .get(fd as usize)
            .and_then(|s| s.clone())
            .ok_or(Errno::Badf)
    }

    /// Inserts at the lowest free number.
    pub fn insert(&mut self, d: Descriptor) -> Result<u32, Errno> {
        let d = Arc::new(d);
        if let Some(i) = self.slots.iter().position(Option::is_none) {
            self.slots[i] = Some(d);
            return Ok(i as u32);
        }
        if self.slots.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        self.slots.push(Some(d));
        Ok(self.slots.len() as u32 - 1)
    }

    pub fn remove(&mut self, fd: u32) -> Result<Arc<Descriptor>, Errno> {
        let d = self
            .slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::Badf)?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(d)
    }

    /// `fd_renumber`: `to` must be open; it is closed and replaced by `from`.
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.get(to)?;
        if from == to {
            return self.get(from).map(|_| ());
        }
        let d = self.remove(from)?;
        if self.slots.len() <= to as usize {
            self.slots.resize(to as usize + 1, None);
        }
        self.slots[to as usize] = Some(d);
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(p: &str) -> Descriptor {
        Descriptor::Dir {
            path: p.into(),
            preopen: None,
            stat: Mutex::new(FdStat {
                flags: 0,
                rights_base: rights::DIR,
                rights_inheriting: 0,
            }),
        }
    }

    #[test]
    fn lowest_free_fd_is_reused() {
        let mut t = FdTable::new();
        for i in 0..5 {
            assert_eq!(t.insert(dir("/")).unwrap(), i);
        }
        t.remove(1).unwrap();
        t.remove(3).unwrap();
        assert_eq!(t.insert(dir("/a")).unwrap(), 1);
        assert_eq!(t.insert(dir("/b")).unwrap(), 3);
        assert_eq!(t.insert(dir("/c")).unwrap(), 5);
        assert!(matches!(t.remove(9), Err(Errno::Badf)));
        assert!(matches!(t.get(9), Err(Errno::Badf)));
    }

    #[test]
    fn renumber_replaces_target_and_frees_source() {
        let mut t = FdTable::new();
        t.insert(dir("/zero")).unwrap();
        t.insert(dir("/one")).unwrap();
        t.renumber(1, 0).unwrap();
        assert!(matches!(&*t.get(0).unwrap(), Descriptor::Dir { path, .. } if path == "/one"));
        assert!(t.get(1).is_err());
        assert_eq!(t.len(), 1);
        // Renumbering onto a closed fd is EBADF, as in wasmtime.
        assert!(matches!(t.renumber(0, 7), Err(Errno::Badf)));
    }

    #[test]
    fn table_is_bounded() {
        let mut t = FdTable::new();
        for _ in 0..MAX_FDS {
            t.insert(dir("/")).unwrap();
        }
        assert!(matches!(t.insert(dir("/")), Err(Errno::Mfile)));
    }

    #[test]
    fn rights_are_enforced() {
        let d = Descriptor::Stdio {
            which: Stdio::Out,
            stat: Mutex::new(FdStat {
                flags: 0,
                rights_base: rights::FD_WRITE,
                rights_inheriting: 0,
            }),
        };
        assert!(d.require(rights::FD_WRITE).is_ok());
        assert_eq!(d.require(rights::FD_READ), Err(Errno::Badf));
    }
}
