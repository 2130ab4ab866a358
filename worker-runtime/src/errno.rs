//! How a syscall ends, in one place.
//!
//! A preview1 function ends in one of three ways, and they are never mixed: an errno returned
//! to the guest ([`Errno`]), the process exiting (`proc_exit`), or a trap (the host cannot go
//! on: the guest must stop). [`SysError`] carries the latter two beside errno, and
//! [`outcome`] is the single exhaustive mapping to what the ABI layer does with each.
//! Storage errors become errnos in [`From<FsError>`], also exhaustively.

use crate::vfs::FsError;

/// WASI preview1 `errno` values (the subset a host can produce; numbering from the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Access = 2,
    Again = 6,
    Badf = 8,
    Busy = 10,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Ilseq = 25,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Nametoolong = 37,
    Noent = 44,
    Nomem = 48,
    Nospc = 51,
    Nosys = 52,
    Notdir = 54,
    Notempty = 55,
    Notsock = 57,
    Notsup = 58,
    Overflow = 61,
    Perm = 63,
    Pipe = 64,
    Rofs = 69,
    Spipe = 70,
    Xdev = 75,
    Notcapable = 76,
}

/// Why a syscall did not return success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SysError {
    /// Returned to the guest as the function's result.
    Errno(Errno),
    /// `proc_exit(code)`: unwinds the guest; the embedder reports the exit code.
    Exit(i32),
    /// The host cannot continue this process (for example its own state is broken).
    Trap(String),
}

pub type SysResult<T = ()> = Result<T, SysError>;

impl From<Errno> for SysError {
    fn from(e: Errno) -> Self {
        SysError::Errno(e)
    }
}

impl From<FsError> for SysError {
    fn from(e: FsError) -> Self {
        SysError::Errno(e.into())
    }
}

impl From<FsError> for Errno {
    fn from(e: FsError) -> Self {
        match e {
            FsError::NotFound => Errno::Noent,
            FsError::AlreadyExists => Errno::Exist,
            FsError::NotADirectory => Errno::Notdir,
            FsError::IsADirectory => Errno::Isdir,
            FsError::DirectoryNotEmpty => Errno::Notempty,
            FsError::ReadOnly => Errno::Rofs,
            FsError::PermissionDenied => Errno::Access,
            FsError::InvalidInput => Errno::Inval,
            FsError::NameTooLong => Errno::Nametoolong,
            FsError::Loop => Errno::Loop,
            FsError::CrossDevice => Errno::Xdev,
            FsError::Unsupported => Errno::Notsup,
            FsError::Busy => Errno::Busy,
            FsError::NoSpace => Errno::Nospc,
            FsError::FileTooLarge => Errno::Fbig,
            FsError::Interrupted => Errno::Intr,
            FsError::Io => Errno::Io,
        }
    }
}

/// What the ABI layer does with a syscall's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Return this errno (0 = success) to the guest.
    Return(u16),
    /// Unwind the guest and end the process with this code.
    Exit(i32),
    /// Unwind the guest and report a host failure.
    Trap(String),
}

pub fn outcome(r: SysResult) -> Outcome {
    match r {
        Ok(()) => Outcome::Return(Errno::Success as u16),
        Err(SysError::Errno(e)) => Outcome::Return(e as u16),
        Err(SysError::Exit(code)) => Outcome::Exit(code),
        Err(SysError::Trap(msg)) => Outcome::Trap(msg),
    }
}
