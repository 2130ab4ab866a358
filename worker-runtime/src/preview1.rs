//! The `wasi_snapshot_preview1` syscall layer: one method per spec function, same names and
//! argument order as the spec, pointers into guest memory as `u32`.
//!
//! [`Wasi`] is one WASI process: its arguments, environment and fd table, over a [`Vfs`] that
//! may outlive it (a client runs several processes against one file system). What only the
//! embedder can do (deliver output, read stdin, sleep, produce randomness) is behind [`Host`],
//! so the whole layer runs natively in tests with a [`crate::memory::VecMemory`].
//!
//! Every function returns [`SysResult`]; `crate::errno::outcome` turns it into the ABI result.

// The spec fixes the argument lists; some are long.
#![allow(clippy::too_many_arguments)]

use crate::clock;
use crate::errno::{Errno, SysError, SysResult};
use crate::fd::{fdflags, lock, rights, Descriptor, FdStat, FdTable, FileState, FileType, Stdio};
use crate::memory::{GuestMemory, GuestMemoryExt};
use crate::vfs::{FileKind, FsError, Metadata, OpenOptions, Resolved, TimeChange, Vfs};
use std::sync::{Arc, Mutex};

/// What the embedder provides. Implementations must be callable from any thread of the
/// interpreter.
pub trait Host: Send + Sync {
    /// Bytes the guest wrote to stdout or stderr, in order, as soon as they are written.
    fn write_output(&self, stream: Stdio, data: &[u8]);
    /// Blocks until stdin has data; `Ok(0)` is end of file.
    fn read_stdin(&self, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Blocks for `ns` nanoseconds without spinning. `Err(Errno::Intr)` when an interrupt
    /// (Ctrl-C) ended it early: the guest then checks its signals, as after EINTR natively.
    fn sleep(&self, ns: u64) -> Result<(), Errno>;
    /// Fills `buf` from a cryptographically secure source.
    fn fill_random(&self, buf: &mut [u8]) -> Result<(), Errno>;
}

/// How a process starts.
#[derive(Debug, Clone, Default)]
pub struct ProcessConfig {
    pub args: Vec<String>,
    /// `NAME=value` strings.
    pub env: Vec<String>,
    /// `(name announced to the guest, canonical absolute path)`, fds 3, 4, … in order.
    pub preopens: Vec<(String, String)>,
    /// Whether each of stdin, stdout, stderr should look like a terminal to the guest
    /// (decides Python's buffering and interactive mode).
    pub tty: [bool; 3],
}

pub struct Wasi {
    args: Vec<String>,
    env: Vec<String>,
    fds: Mutex<FdTable>,
    vfs: Arc<Vfs>,
    host: Arc<dyn Host>,
    start_ns: u64,
}

// Guest ABI constants (spec).
const LOOKUP_SYMLINK_FOLLOW: u32 = 1;
const O_CREAT: u32 = 1;
const O_DIRECTORY: u32 = 2;
const O_EXCL: u32 = 4;
const O_TRUNC: u32 = 8;
const FST_ATIM: u32 = 1;
const FST_ATIM_NOW: u32 = 2;
const FST_MTIM: u32 = 4;
const FST_MTIM_NOW: u32 = 8;
const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME: u32 = 2;
const CLOCK_THREAD_CPUTIME: u32 = 3;
const SUBCLOCK_ABSTIME: u16 = 1;
const EVENT_CLOCK: u8 = 0;
const EVENT_FD_READ: u8 = 1;
const EVENT_FD_WRITE: u8 = 2;
const EVENTRW_HANGUP: u16 = 1;
const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: u32 = 32;
const FILESTAT_SIZE: usize = 64;
const DIRENT_SIZE: usize = 24;

/// A single read is capped: short reads are legal and callers loop, so a huge `read(n)`
/// never needs a host buffer of that size.
const MAX_IO: usize = 16 << 20;

fn time_change(set: bool, now: bool, value: u64) -> Result<TimeChange, Errno> {
    match (set, now) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(TimeChange::Set(value)),
        (false, true) => Ok(TimeChange::Now),
        (false, false) => Ok(TimeChange::Keep),
    }
}

fn times(flags: u32, atim: u64, mtim: u64) -> Result<(TimeChange, TimeChange), Errno> {
    if flags & !(FST_ATIM | FST_ATIM_NOW | FST_MTIM | FST_MTIM_NOW) != 0 {
        return Err(Errno::Inval);
    }
    Ok((
        time_change(flags & FST_ATIM != 0, flags & FST_ATIM_NOW != 0, atim)?,
        time_change(flags & FST_MTIM != 0, flags & FST_MTIM_NOW != 0, mtim)?,
    ))
}

fn file_type_of(kind: FileKind) -> FileType {
    match kind {
        FileKind::File => FileType::RegularFile,
        FileKind::Directory => FileType::Directory,
        FileKind::Symlink => FileType::SymbolicLink,
    }
}

fn encode_filestat(dev: u64, md: &Metadata, ty: FileType) -> [u8; FILESTAT_SIZE] {
    let mut b = [0u8; FILESTAT_SIZE];
    b[0..8].copy_from_slice(&dev.to_le_bytes());
    b[8..16].copy_from_slice(&md.ino.to_le_bytes());
    b[16] = ty as u8;
    b[24..32].copy_from_slice(&md.nlink.to_le_bytes());
    b[32..40].copy_from_slice(&md.size.to_le_bytes());
    b[40..48].copy_from_slice(&md.atime_ns.to_le_bytes());
    b[48..56].copy_from_slice(&md.mtime_ns.to_le_bytes());
    b[56..64].copy_from_slice(&md.ctime_ns.to_le_bytes());
    b
}

/// Writes `(ptr, len)` slices of `bufs` strings as NUL-terminated C strings (args, environ).
fn write_strings(m: &impl GuestMemory, list: &[String], ptrs: u32, buf: u32) -> SysResult {
    let mut off = buf;
    for (i, s) in list.iter().enumerate() {
        m.write_u32(ptrs + 4 * i as u32, off)?;
        m.write(off, s.as_bytes())?;
        m.write_u8(off + s.len() as u32, 0)?;
        off += s.len() as u32 + 1;
    }
    Ok(())
}

/// Sizes in UTF-8 bytes, counting each terminating NUL.
fn strings_size(list: &[String]) -> u32 {
    list.iter().map(|s| s.len() as u32 + 1).sum()
}

impl Wasi {
    pub fn new(config: ProcessConfig, vfs: Arc<Vfs>, host: Arc<dyn Host>) -> Result<Wasi, String> {
        let mut fds = FdTable::new();
        for (i, which) in [Stdio::In, Stdio::Out, Stdio::Err].into_iter().enumerate() {
            let base = if config.tty[i] {
                rights::TTY
            } else {
                rights::PIPE
            };
            let stat = FdStat {
                flags: 0,
                rights_base: base,
                rights_inheriting: 0,
            };
            fds.insert(Descriptor::Stdio {
                which,
                stat: Mutex::new(stat),
            })
            .expect("empty table");
        }
        for (name, path) in &config.preopens {
            let r = vfs
                .resolve("/", path, true)
                .map_err(|e| format!("preopen {path}: {e:?}"))?;
            match r.fs.lstat(&r.rel) {
                Ok(md) if md.kind == FileKind::Directory => {}
                _ => return Err(format!("preopen {path} is not a directory")),
            }
            let stat = FdStat {
                flags: 0,
                rights_base: rights::DIR,
                rights_inheriting: rights::DIR | rights::FILE,
            };
            fds.insert(Descriptor::Dir {
                path: r.abs,
                preopen: Some(name.clone()),
                stat: Mutex::new(stat),
            })
            .map_err(|e| format!("preopen {path}: {e:?}"))?;
        }
        Ok(Wasi {
            args: config.args,
            env: config.env,
            fds: Mutex::new(fds),
            vfs,
            host,
            start_ns: clock::monotonic_ns(),
        })
    }

    fn fd(&self, fd: u32) -> Result<Arc<Descriptor>, Errno> {
        lock(&self.fds).get(fd)
    }

    /// Resolves a path argument relative to a directory fd.
    fn resolve(
        &self,
        m: &impl GuestMemory,
        dirfd: u32,
        path: u32,
        len: u32,
        follow: bool,
    ) -> SysResult<Resolved> {
        let path = m.read_str(path, len)?;
        let d = self.fd(dirfd)?;
        let Descriptor::Dir { path: base, .. } = &*d else {
            return Err(Errno::Notdir.into());
        };
        if path.is_empty() {
            return Err(Errno::Noent.into());
        }
        Ok(self.vfs.resolve(base, &path, follow)?)
    }

    // ---- args, environ, clocks, random -------------------------------------------------

    pub fn args_get(&self, m: &impl GuestMemory, argv: u32, argv_buf: u32) -> SysResult {
        write_strings(m, &self.args, argv, argv_buf)
    }

    pub fn args_sizes_get(&self, m: &impl GuestMemory, argc: u32, argv_buf_size: u32) -> SysResult {
        m.write_u32(argc, self.args.len() as u32)?;
        Ok(m.write_u32(argv_buf_size, strings_size(&self.args))?)
    }

    pub fn environ_get(&self, m: &impl GuestMemory, environ: u32, environ_buf: u32) -> SysResult {
        write_strings(m, &self.env, environ, environ_buf)
    }

    pub fn environ_sizes_get(&self, m: &impl GuestMemory, count: u32, buf_size: u32) -> SysResult {
        m.write_u32(count, self.env.len() as u32)?;
        Ok(m.write_u32(buf_size, strings_size(&self.env))?)
    }

    fn clock_now(&self, id: u32) -> Result<u64, Errno> {
        match id {
            CLOCK_REALTIME => Ok(clock::realtime_ns()),
            CLOCK_MONOTONIC => Ok(clock::monotonic_ns()),
            // No CPU-time source exists in a browser worker: time since the process started is
            // the closest honest measure (the worker runs nothing else).
            CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => {
                Ok(clock::monotonic_ns().saturating_sub(self.start_ns))
            }
            _ => Err(Errno::Inval),
        }
    }

    pub fn clock_res_get(&self, m: &impl GuestMemory, id: u32, res: u32) -> SysResult {
        self.clock_now(id)?;
        Ok(m.write_u64(res, clock::RESOLUTION_NS)?)
    }

    pub fn clock_time_get(
        &self,
        m: &impl GuestMemory,
        id: u32,
        _precision: u64,
        time: u32,
    ) -> SysResult {
        let now = self.clock_now(id)?;
        Ok(m.write_u64(time, now)?)
    }

    pub fn random_get(&self, m: &impl GuestMemory, buf: u32, len: u32) -> SysResult {
        let mut off = 0u32;
        let mut chunk = vec![0u8; (len as usize).min(64 * 1024)];
        while off < len {
            let n = ((len - off) as usize).min(chunk.len());
            self.host.fill_random(&mut chunk[..n])?;
            m.write(buf + off, &chunk[..n])?;
            off += n as u32;
        }
        Ok(())
    }

    // ---- fd operations -----------------------------------------------------------------

    pub fn fd_advise(
        &self,
        _m: &impl GuestMemory,
        fd: u32,
        _offset: u64,
        _len: u64,
        advice: u32,
    ) -> SysResult {
        if advice > 5 {
            return Err(Errno::Inval.into());
        }
        match &*self.fd(fd)? {
            // Advice is advisory: accepting it and doing nothing is the real behaviour.
            Descriptor::File { .. } => Ok(()),
            Descriptor::Dir { .. } => Err(Errno::Badf.into()),
            Descriptor::Stdio { .. } => Err(Errno::Spipe.into()),
        }
    }

    pub fn fd_allocate(&self, _m: &impl GuestMemory, fd: u32, offset: u64, len: u64) -> SysResult {
        let d = self.fd(fd)?;
        let Descriptor::File { file, .. } = &*d else {
            return Err(Errno::Badf.into());
        };
        d.require(rights::FD_WRITE)?;
        let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
        if file.metadata()?.size < end {
            file.set_len(end)?;
        }
        Ok(())
    }

    pub fn fd_close(&self, _m: &impl GuestMemory, fd: u32) -> SysResult {
        let d = lock(&self.fds).remove(fd)?;
        // Outside the table's lock: closing may write a page-owned file back, a slow request.
        if let Descriptor::File { file, .. } = &*d {
            if Arc::strong_count(file) == 1 {
                file.close()?;
            }
        }
        Ok(())
    }

    pub fn fd_datasync(&self, m: &impl GuestMemory, fd: u32) -> SysResult {
        self.fd_sync(m, fd)
    }

    pub fn fd_sync(&self, _m: &impl GuestMemory, fd: u32) -> SysResult {
        match &*self.fd(fd)? {
            Descriptor::File { file, .. } => Ok(file.sync()?),
            Descriptor::Dir { .. } => Ok(()),
            Descriptor::Stdio { .. } => Err(Errno::Inval.into()),
        }
    }

    pub fn fd_fdstat_get(&self, m: &impl GuestMemory, fd: u32, buf: u32) -> SysResult {
        let d = self.fd(fd)?;
        let st = d.fdstat();
        let mut b = [0u8; 24];
        b[0] = d.file_type() as u8;
        b[2..4].copy_from_slice(&st.flags.to_le_bytes());
        b[8..16].copy_from_slice(&st.rights_base.to_le_bytes());
        b[16..24].copy_from_slice(&st.rights_inheriting.to_le_bytes());
        Ok(m.write(buf, &b)?)
    }

    pub fn fd_fdstat_set_flags(&self, _m: &impl GuestMemory, fd: u32, flags: u32) -> SysResult {
        let d = self.fd(fd)?;
        if flags & !(fdflags::ALL as u32) != 0 {
            return Err(Errno::Inval.into());
        }
        d.require(rights::FD_FDSTAT_SET_FLAGS)?;
        let mut st = d.fdstat();
        st.flags = flags as u16;
        d.set_fdstat(st);
        Ok(())
    }

    pub fn fd_fdstat_set_rights(
        &self,
        _m: &impl GuestMemory,
        fd: u32,
        base: u64,
        inheriting: u64,
    ) -> SysResult {
        let d = self.fd(fd)?;
        let mut st = d.fdstat();
        // Rights can only be dropped, never gained.
        if base & !st.rights_base != 0 || inheriting & !st.rights_inheriting != 0 {
            return Err(Errno::Notcapable.into());
        }
        st.rights_base = base;
        st.rights_inheriting = inheriting;
        d.set_fdstat(st);
        Ok(())
    }

    fn fd_metadata(&self, d: &Descriptor) -> SysResult<(u64, Metadata, FileType)> {
        match d {
            Descriptor::File { file, dev, .. } => {
                Ok((*dev, file.metadata()?, FileType::RegularFile))
            }
            Descriptor::Dir { path, .. } => {
                let r = self.vfs.resolve("/", path, true)?;
                let md = r.fs.lstat(&r.rel)?;
                Ok((r.dev, md, FileType::Directory))
            }
            Descriptor::Stdio { .. } => {
                let md = Metadata {
                    kind: FileKind::File,
                    size: 0,
                    ino: 0,
                    nlink: 1,
                    atime_ns: 0,
                    mtime_ns: 0,
                    ctime_ns: 0,
                };
                Ok((0, md, FileType::CharacterDevice))
            }
        }
    }

    pub fn fd_filestat_get(&self, m: &impl GuestMemory, fd: u32, buf: u32) -> SysResult {
        let d = self.fd(fd)?;
        let (dev, md, ty) = self.fd_metadata(&d)?;
        Ok(m.write(buf, &encode_filestat(dev, &md, ty))?)
    }

    pub fn fd_filestat_set_size(&self, _m: &impl GuestMemory, fd: u32, size: u64) -> SysResult {
        let d = self.fd(fd)?;
        let Descriptor::File { file, .. } = &*d else {
            return Err(Errno::Inval.into());
        };
        d.require(rights::FD_FILESTAT_SET_SIZE)?;
        Ok(file.set_len(size)?)
    }

    pub fn fd_filestat_set_times(
        &self,
        _m: &impl GuestMemory,
        fd: u32,
        atim: u64,
        mtim: u64,
        flags: u32,
    ) -> SysResult {
        let (a, t) = times(flags, atim, mtim)?;
        match &*self.fd(fd)? {
            Descriptor::File { file, .. } => Ok(file.set_times(a, t)?),
            Descriptor::Dir { path, .. } => {
                let r = self.vfs.resolve("/", path, true)?;
                Ok(r.fs.set_times(&r.rel, a, t)?)
            }
            Descriptor::Stdio { .. } => Err(Errno::Badf.into()),
        }
    }

    /// Reads into the iovecs from `read(buf) -> n`, with one host call for all of them.
    fn scatter(
        m: &impl GuestMemory,
        iovs: &[(u32, u32)],
        read: impl FnOnce(&mut [u8]) -> SysResult<usize>,
    ) -> SysResult<u32> {
        let total = iovs
            .iter()
            .map(|&(_, l)| l as usize)
            .sum::<usize>()
            .min(MAX_IO);
        let mut buf = vec![0u8; total];
        let n = read(&mut buf)?;
        let mut done = 0;
        for &(p, l) in iovs {
            if done == n {
                break;
            }
            let k = (l as usize).min(n - done);
            m.write(p, &buf[done..done + k])?;
            done += k;
        }
        Ok(n as u32)
    }

    fn gather(m: &impl GuestMemory, iovs: &[(u32, u32)]) -> SysResult<Vec<u8>> {
        let mut data = Vec::with_capacity(iovs.iter().map(|&(_, l)| l as usize).sum());
        for &(p, l) in iovs {
            let start = data.len();
            data.resize(start + l as usize, 0);
            m.read(p, &mut data[start..])?;
        }
        Ok(data)
    }

    pub fn fd_read(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        nread: u32,
    ) -> SysResult {
        let iovs = m.read_iovecs(iovs, iovs_len)?;
        let d = self.fd(fd)?;
        d.require(rights::FD_READ)?;
        let n = match &*d {
            Descriptor::Stdio {
                which: Stdio::In, ..
            } => Self::scatter(m, &iovs, |b| Ok(self.host.read_stdin(b)?))?,
            Descriptor::Stdio { .. } => return Err(Errno::Badf.into()),
            Descriptor::Dir { .. } => return Err(Errno::Isdir.into()),
            Descriptor::File { file, state, .. } => {
                let mut st = lock(state);
                let n = Self::scatter(m, &iovs, |b| Ok(file.read_at(b, st.pos)?))?;
                st.pos += n as u64;
                n
            }
        };
        Ok(m.write_u32(nread, n)?)
    }

    pub fn fd_pread(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        offset: u64,
        nread: u32,
    ) -> SysResult {
        let iovs = m.read_iovecs(iovs, iovs_len)?;
        let d = self.fd(fd)?;
        let n = match &*d {
            Descriptor::File { file, .. } => {
                d.require(rights::FD_READ)?;
                Self::scatter(m, &iovs, |b| Ok(file.read_at(b, offset)?))?
            }
            Descriptor::Stdio { .. } => return Err(Errno::Spipe.into()),
            Descriptor::Dir { .. } => return Err(Errno::Isdir.into()),
        };
        Ok(m.write_u32(nread, n)?)
    }

    pub fn fd_write(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        nwritten: u32,
    ) -> SysResult {
        let iovs = m.read_iovecs(iovs, iovs_len)?;
        let d = self.fd(fd)?;
        d.require(rights::FD_WRITE)?;
        let data = Self::gather(m, &iovs)?;
        let n = match &*d {
            Descriptor::Stdio {
                which: Stdio::In, ..
            } => return Err(Errno::Badf.into()),
            Descriptor::Stdio { which, .. } => {
                self.host.write_output(*which, &data);
                data.len()
            }
            Descriptor::Dir { .. } => return Err(Errno::Badf.into()),
            Descriptor::File { file, state, .. } => {
                let mut st = lock(state);
                if st.stat.flags & fdflags::APPEND != 0 {
                    st.pos = file.append(&data)?;
                    data.len()
                } else {
                    let n = file.write_at(&data, st.pos)?;
                    st.pos += n as u64;
                    n
                }
            }
        };
        Ok(m.write_u32(nwritten, n as u32)?)
    }

    pub fn fd_pwrite(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        offset: u64,
        nwritten: u32,
    ) -> SysResult {
        let iovs = m.read_iovecs(iovs, iovs_len)?;
        let d = self.fd(fd)?;
        let n = match &*d {
            Descriptor::File { file, .. } => {
                d.require(rights::FD_WRITE)?;
                file.write_at(&Self::gather(m, &iovs)?, offset)?
            }
            Descriptor::Stdio { .. } => return Err(Errno::Spipe.into()),
            Descriptor::Dir { .. } => return Err(Errno::Badf.into()),
        };
        Ok(m.write_u32(nwritten, n as u32)?)
    }

    pub fn fd_seek(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        offset: i64,
        whence: u32,
        newoffset: u32,
    ) -> SysResult {
        let d = self.fd(fd)?;
        let Descriptor::File { file, state, .. } = &*d else {
            return Err(match &*d {
                Descriptor::Stdio { .. } => Errno::Spipe,
                _ => Errno::Badf,
            }
            .into());
        };
        let mut st = lock(state);
        let base = match whence {
            0 => 0i128,
            1 => st.pos as i128,
            2 => file.metadata()?.size as i128,
            _ => return Err(Errno::Inval.into()),
        };
        let pos = base + offset as i128;
        if pos < 0 || pos > i64::MAX as i128 {
            return Err(Errno::Inval.into());
        }
        st.pos = pos as u64;
        Ok(m.write_u64(newoffset, st.pos)?)
    }

    pub fn fd_tell(&self, m: &impl GuestMemory, fd: u32, offset: u32) -> SysResult {
        let d = self.fd(fd)?;
        match &*d {
            Descriptor::File { state, .. } => {
                let pos = lock(state).pos;
                Ok(m.write_u64(offset, pos)?)
            }
            Descriptor::Stdio { .. } => Err(Errno::Spipe.into()),
            Descriptor::Dir { .. } => Err(Errno::Badf.into()),
        }
    }

    pub fn fd_prestat_get(&self, m: &impl GuestMemory, fd: u32, buf: u32) -> SysResult {
        // wasi-libc scans fds from 3 until EBADF; anything that is not a preopen says EBADF.
        match &*self.fd(fd)? {
            Descriptor::Dir {
                preopen: Some(name),
                ..
            } => {
                m.write_u32(buf, 0)?; // tag: directory
                Ok(m.write_u32(buf + 4, name.len() as u32)?)
            }
            _ => Err(Errno::Badf.into()),
        }
    }

    pub fn fd_prestat_dir_name(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        path: u32,
        len: u32,
    ) -> SysResult {
        match &*self.fd(fd)? {
            Descriptor::Dir {
                preopen: Some(name),
                ..
            } => {
                if (len as usize) < name.len() {
                    return Err(Errno::Nametoolong.into());
                }
                Ok(m.write(path, name.as_bytes())?)
            }
            _ => Err(Errno::Badf.into()),
        }
    }

    pub fn fd_readdir(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        buf: u32,
        buf_len: u32,
        cookie: u64,
        bufused: u32,
    ) -> SysResult {
        let d = self.fd(fd)?;
        let Descriptor::Dir { path, .. } = &*d else {
            return Err(Errno::Notdir.into());
        };
        d.require(rights::FD_READDIR)?;
        let here = self.vfs.resolve("/", path, true)?;
        let parent = self.vfs.resolve(path, "..", true)?;
        let mut entries = vec![
            (
                ".".to_string(),
                FileType::Directory,
                here.fs.lstat(&here.rel)?.ino,
            ),
            (
                "..".to_string(),
                FileType::Directory,
                parent.fs.lstat(&parent.rel)?.ino,
            ),
        ];
        entries.extend(
            here.fs
                .read_dir(&here.rel)?
                .into_iter()
                .map(|e| (e.name, file_type_of(e.kind), e.ino)),
        );
        // Entries are laid out back to back; the last one may be cut off, which tells
        // wasi-libc (bufused == buf_len) to call again with a larger buffer.
        let mut out = Vec::new();
        for (i, (name, ty, ino)) in entries
            .iter()
            .enumerate()
            .skip(cookie.min(usize::MAX as u64) as usize)
        {
            if out.len() >= buf_len as usize {
                break;
            }
            let mut e = [0u8; DIRENT_SIZE];
            e[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            e[8..16].copy_from_slice(&ino.to_le_bytes());
            e[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
            e[20] = *ty as u8;
            out.extend_from_slice(&e);
            out.extend_from_slice(name.as_bytes());
        }
        out.truncate(buf_len as usize);
        m.write(buf, &out)?;
        Ok(m.write_u32(bufused, out.len() as u32)?)
    }

    pub fn fd_renumber(&self, _m: &impl GuestMemory, from: u32, to: u32) -> SysResult {
        Ok(lock(&self.fds).renumber(from, to)?)
    }

    // ---- path operations ---------------------------------------------------------------

    pub fn path_create_directory(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        path: u32,
        len: u32,
    ) -> SysResult {
        let r = self.resolve(m, fd, path, len, false)?;
        Ok(r.fs.create_dir(&r.rel)?)
    }

    pub fn path_filestat_get(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        buf: u32,
    ) -> SysResult {
        let r = self.resolve(m, fd, path, len, flags & LOOKUP_SYMLINK_FOLLOW != 0)?;
        let md = r.fs.lstat(&r.rel)?;
        Ok(m.write(buf, &encode_filestat(r.dev, &md, file_type_of(md.kind)))?)
    }

    pub fn path_filestat_set_times(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst_flags: u32,
    ) -> SysResult {
        let (a, t) = times(fst_flags, atim, mtim)?;
        let r = self.resolve(m, fd, path, len, flags & LOOKUP_SYMLINK_FOLLOW != 0)?;
        Ok(r.fs.set_times(&r.rel, a, t)?)
    }

    pub fn path_link(
        &self,
        m: &impl GuestMemory,
        old_fd: u32,
        old_flags: u32,
        old_path: u32,
        old_len: u32,
        new_fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> SysResult {
        let from = self.resolve(
            m,
            old_fd,
            old_path,
            old_len,
            old_flags & LOOKUP_SYMLINK_FOLLOW != 0,
        )?;
        let to = self.resolve(m, new_fd, new_path, new_len, false)?;
        Ok(self.vfs.hard_link(&from, &to)?)
    }

    pub fn path_open(
        &self,
        m: &impl GuestMemory,
        dirfd: u32,
        dirflags: u32,
        path: u32,
        path_len: u32,
        oflags: u32,
        rights_base: u64,
        rights_inheriting: u64,
        fdflags_: u32,
        fd_out: u32,
    ) -> SysResult {
        if oflags & !(O_CREAT | O_DIRECTORY | O_EXCL | O_TRUNC) != 0
            || fdflags_ & !(fdflags::ALL as u32) != 0
        {
            return Err(Errno::Inval.into());
        }
        let create = oflags & O_CREAT != 0;
        let exclusive = create && oflags & O_EXCL != 0;
        // O_CREAT|O_EXCL never follows a final symlink: POSIX says such a link "exists".
        let follow = dirflags & LOOKUP_SYMLINK_FOLLOW != 0 && !exclusive;
        let r = self.resolve(m, dirfd, path, path_len, follow)?;
        let write = rights_base & rights::FD_WRITE != 0;
        let existing = match r.fs.lstat(&r.rel) {
            Ok(md) => Some(md),
            Err(FsError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let desc = match existing {
            Some(_) if exclusive => return Err(Errno::Exist.into()),
            Some(md) if md.kind == FileKind::Symlink => return Err(Errno::Loop.into()),
            Some(md) if md.kind == FileKind::Directory => {
                if write || oflags & O_TRUNC != 0 {
                    return Err(Errno::Isdir.into());
                }
                let stat = FdStat {
                    flags: fdflags_ as u16,
                    rights_base: rights_base & (rights::DIR | rights::FD_READ),
                    rights_inheriting,
                };
                Descriptor::Dir {
                    path: r.abs,
                    preopen: None,
                    stat: Mutex::new(stat),
                }
            }
            _ if oflags & O_DIRECTORY != 0 => {
                return Err(if existing.is_some() {
                    Errno::Notdir
                } else {
                    Errno::Noent
                }
                .into());
            }
            _ => {
                let opts = OpenOptions {
                    read: rights_base & rights::FD_READ != 0,
                    write,
                    create,
                    exclusive,
                    truncate: write && oflags & O_TRUNC != 0,
                };
                let file = r.fs.open(&r.rel, opts)?;
                let stat = FdStat {
                    flags: fdflags_ as u16,
                    rights_base: rights_base & rights::FILE,
                    rights_inheriting,
                };
                Descriptor::File {
                    file,
                    dev: r.dev,
                    state: Mutex::new(FileState { pos: 0, stat }),
                }
            }
        };
        let fd = lock(&self.fds).insert(desc)?;
        Ok(m.write_u32(fd_out, fd)?)
    }

    pub fn path_readlink(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        path: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        bufused: u32,
    ) -> SysResult {
        let r = self.resolve(m, fd, path, len, false)?;
        let target = r.fs.read_link(&r.rel)?;
        // Like readlink(2): truncated silently to the buffer.
        let n = target.len().min(buf_len as usize);
        m.write(buf, &target.as_bytes()[..n])?;
        Ok(m.write_u32(bufused, n as u32)?)
    }

    pub fn path_remove_directory(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        path: u32,
        len: u32,
    ) -> SysResult {
        let r = self.resolve(m, fd, path, len, false)?;
        Ok(self.vfs.remove_dir(&r)?)
    }

    pub fn path_rename(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        old_path: u32,
        old_len: u32,
        new_fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> SysResult {
        let from = self.resolve(m, fd, old_path, old_len, false)?;
        let to = self.resolve(m, new_fd, new_path, new_len, false)?;
        Ok(self.vfs.rename(&from, &to)?)
    }

    pub fn path_symlink(
        &self,
        m: &impl GuestMemory,
        old_path: u32,
        old_len: u32,
        fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> SysResult {
        let target = m.read_str(old_path, old_len)?;
        let r = self.resolve(m, fd, new_path, new_len, false)?;
        Ok(r.fs.symlink(&target, &r.rel)?)
    }

    pub fn path_unlink_file(
        &self,
        m: &impl GuestMemory,
        fd: u32,
        path: u32,
        len: u32,
    ) -> SysResult {
        let r = self.resolve(m, fd, path, len, false)?;
        Ok(r.fs.unlink(&r.rel)?)
    }

    // ---- poll, process, sockets --------------------------------------------------------

    /// Fd subscriptions are answered at once (in-memory files and output streams are always
    /// ready); otherwise the call sleeps until the earliest clock deadline, through
    /// [`Host::sleep`], which never spins.
    pub fn poll_oneoff(
        &self,
        m: &impl GuestMemory,
        input: u32,
        out: u32,
        nsubs: u32,
        nevents: u32,
    ) -> SysResult {
        if nsubs == 0 {
            return Err(Errno::Inval.into());
        }
        let raw = m.read_vec(
            input,
            nsubs.checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::Inval)?,
        )?;
        let mut ready: Vec<[u8; EVENT_SIZE as usize]> = Vec::new();
        let mut clocks: Vec<(u64, u64)> = Vec::new(); // (userdata, deadline on the monotonic clock)
        for s in raw.chunks_exact(SUBSCRIPTION_SIZE as usize) {
            let userdata = u64::from_le_bytes(s[0..8].try_into().unwrap());
            let tag = s[8];
            let mut ev = [0u8; EVENT_SIZE as usize];
            ev[0..8].copy_from_slice(&userdata.to_le_bytes());
            ev[10] = tag;
            match tag {
                EVENT_CLOCK => {
                    let id = u32::from_le_bytes(s[16..20].try_into().unwrap());
                    let timeout = u64::from_le_bytes(s[24..32].try_into().unwrap());
                    let flags = u16::from_le_bytes(s[40..42].try_into().unwrap());
                    let now_id = match self.clock_now(id) {
                        Ok(t) => t,
                        Err(e) => {
                            ev[8..10].copy_from_slice(&(e as u16).to_le_bytes());
                            ready.push(ev);
                            continue;
                        }
                    };
                    let delay = if flags & SUBCLOCK_ABSTIME != 0 {
                        timeout.saturating_sub(now_id)
                    } else {
                        timeout
                    };
                    clocks.push((userdata, clock::monotonic_ns().saturating_add(delay)));
                }
                EVENT_FD_READ | EVENT_FD_WRITE => {
                    let fd = u32::from_le_bytes(s[16..20].try_into().unwrap());
                    let (err, nbytes, flags) = self.fd_readiness(fd, tag);
                    ev[8..10].copy_from_slice(&(err as u16).to_le_bytes());
                    ev[16..24].copy_from_slice(&nbytes.to_le_bytes());
                    ev[24..26].copy_from_slice(&flags.to_le_bytes());
                    ready.push(ev);
                }
                _ => return Err(Errno::Inval.into()),
            }
        }
        if ready.is_empty() {
            let deadline = clocks.iter().map(|&(_, d)| d).min().expect("nsubs > 0");
            let now = clock::monotonic_ns();
            if deadline > now {
                self.host.sleep(deadline - now)?;
            }
            let now = clock::monotonic_ns();
            for &(userdata, d) in &clocks {
                if d <= now {
                    let mut ev = [0u8; EVENT_SIZE as usize];
                    ev[0..8].copy_from_slice(&userdata.to_le_bytes());
                    ev[10] = EVENT_CLOCK;
                    ready.push(ev);
                }
            }
            if ready.is_empty() {
                // The host woke early without an interrupt; report the earliest clock as fired
                // so the guest re-checks its own state rather than seeing a spurious timeout.
                let (userdata, _) = *clocks.iter().min_by_key(|&&(_, d)| d).unwrap();
                let mut ev = [0u8; EVENT_SIZE as usize];
                ev[0..8].copy_from_slice(&userdata.to_le_bytes());
                ev[10] = EVENT_CLOCK;
                ready.push(ev);
            }
        }
        let n = (ready.len() as u32).min(nsubs);
        for (i, ev) in ready.iter().take(n as usize).enumerate() {
            m.write(out + i as u32 * EVENT_SIZE, ev)?;
        }
        Ok(m.write_u32(nevents, n)?)
    }

    fn fd_readiness(&self, fd: u32, tag: u8) -> (Errno, u64, u16) {
        let Ok(d) = self.fd(fd) else {
            return (Errno::Badf, 0, 0);
        };
        match (&*d, tag) {
            (Descriptor::File { file, state, .. }, EVENT_FD_READ) => {
                let size = file.metadata().map(|md| md.size).unwrap_or(0);
                (Errno::Success, size.saturating_sub(lock(state).pos), 0)
            }
            (Descriptor::File { .. }, _) => (Errno::Success, 0, 0),
            (
                Descriptor::Stdio {
                    which: Stdio::In, ..
                },
                EVENT_FD_READ,
            ) => (Errno::Success, 0, 0),
            (
                Descriptor::Stdio {
                    which: Stdio::In, ..
                },
                _,
            ) => (Errno::Badf, 0, EVENTRW_HANGUP),
            (Descriptor::Stdio { .. }, EVENT_FD_WRITE) => (Errno::Success, 0, 0),
            (Descriptor::Stdio { .. }, _) => (Errno::Badf, 0, 0),
            (Descriptor::Dir { .. }, _) => (Errno::Badf, 0, 0),
        }
    }

    pub fn proc_exit(&self, _m: &impl GuestMemory, code: u32) -> SysResult {
        Err(SysError::Exit(code as i32))
    }

    /// Deprecated in preview1 and never called by wasi-libc's emulated signals.
    pub fn proc_raise(&self, _m: &impl GuestMemory, _sig: u32) -> SysResult {
        Err(Errno::Nosys.into())
    }

    pub fn sched_yield(&self, _m: &impl GuestMemory) -> SysResult {
        Ok(())
    }

    /// No sockets exist in this host: a valid fd is not a socket, anything else is not an fd.
    fn not_a_socket(&self, fd: u32) -> SysResult {
        self.fd(fd)?;
        Err(Errno::Notsock.into())
    }

    pub fn sock_accept(
        &self,
        _m: &impl GuestMemory,
        fd: u32,
        _flags: u32,
        _fd_out: u32,
    ) -> SysResult {
        self.not_a_socket(fd)
    }

    pub fn sock_recv(
        &self,
        _m: &impl GuestMemory,
        fd: u32,
        _ri_data: u32,
        _ri_data_len: u32,
        _ri_flags: u32,
        _ro_datalen: u32,
        _ro_flags: u32,
    ) -> SysResult {
        self.not_a_socket(fd)
    }

    pub fn sock_send(
        &self,
        _m: &impl GuestMemory,
        fd: u32,
        _si_data: u32,
        _si_data_len: u32,
        _si_flags: u32,
        _so_datalen: u32,
    ) -> SysResult {
        self.not_a_socket(fd)
    }

    pub fn sock_shutdown(&self, _m: &impl GuestMemory, fd: u32, _how: u32) -> SysResult {
        self.not_a_socket(fd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::{outcome, Outcome};
    use crate::memory::VecMemory;
    use crate::vfs::MemFs;

    #[derive(Default)]
    struct TestHost {
        out: Mutex<Vec<(Stdio, Vec<u8>)>>,
        slept: Mutex<Vec<u64>>,
        /// Makes every sleep end at once with EINTR (a pending Ctrl-C).
        interrupted: std::sync::atomic::AtomicBool,
    }

    impl Host for TestHost {
        fn write_output(&self, stream: Stdio, data: &[u8]) {
            self.out.lock().unwrap().push((stream, data.to_vec()));
        }
        fn read_stdin(&self, buf: &mut [u8]) -> Result<usize, Errno> {
            let msg = b"line\n";
            let n = msg.len().min(buf.len());
            buf[..n].copy_from_slice(&msg[..n]);
            Ok(n)
        }
        fn sleep(&self, ns: u64) -> Result<(), Errno> {
            self.slept.lock().unwrap().push(ns);
            if self.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(Errno::Intr);
            }
            std::thread::sleep(std::time::Duration::from_nanos(ns));
            Ok(())
        }
        fn fill_random(&self, buf: &mut [u8]) -> Result<(), Errno> {
            buf.iter_mut()
                .enumerate()
                .for_each(|(i, b)| *b = i as u8 ^ 0x5a);
            Ok(())
        }
    }

    const PREOPEN: u32 = 3;
    // Scratch layout in the 64 KiB test memory.
    const PATH: u32 = 0x100;
    const OUT: u32 = 0x200;
    const IOV: u32 = 0x300;
    const DATA: u32 = 0x1000;

    struct Fixture {
        wasi: Wasi,
        mem: VecMemory,
        host: Arc<TestHost>,
    }

    fn fixture() -> Fixture {
        let root = MemFs::new();
        root.create_dir_all("home/user").unwrap();
        let vfs = Arc::new(Vfs::new(Arc::new(root)));
        let host = Arc::new(TestHost::default());
        let config = ProcessConfig {
            args: vec!["python3".into(), "héllo".into()],
            env: vec!["HOME=/home/user".into(), "LANG=C.UTF-8".into()],
            preopens: vec![("/".into(), "/".into())],
            tty: [false, true, false],
        };
        let wasi = Wasi::new(config, vfs, host.clone()).unwrap();
        Fixture {
            wasi,
            mem: VecMemory::new(1 << 16),
            host,
        }
    }

    fn errno(r: SysResult) -> Errno {
        match r {
            Ok(()) => Errno::Success,
            Err(SysError::Errno(e)) => e,
            Err(other) => panic!("expected an errno, got {other:?}"),
        }
    }

    impl Fixture {
        fn path(&self, p: &str) -> (u32, u32) {
            self.mem.write(PATH, p.as_bytes()).unwrap();
            (PATH, p.len() as u32)
        }

        fn open(&self, p: &str, oflags: u32, rights: u64, fdflags_: u32) -> Result<u32, Errno> {
            let (ptr, len) = self.path(p);
            match errno(self.wasi.path_open(
                &self.mem,
                PREOPEN,
                LOOKUP_SYMLINK_FOLLOW,
                ptr,
                len,
                oflags,
                rights,
                0,
                fdflags_,
                OUT,
            )) {
                Errno::Success => Ok(self.mem.read_u32(OUT).unwrap()),
                e => Err(e),
            }
        }

        fn write(&self, fd: u32, data: &[u8]) -> Result<u32, Errno> {
            self.mem.write(DATA, data).unwrap();
            self.mem.write_u32(IOV, DATA).unwrap();
            self.mem.write_u32(IOV + 4, data.len() as u32).unwrap();
            match errno(self.wasi.fd_write(&self.mem, fd, IOV, 1, OUT)) {
                Errno::Success => Ok(self.mem.read_u32(OUT).unwrap()),
                e => Err(e),
            }
        }

        fn read(&self, fd: u32, len: u32) -> Result<Vec<u8>, Errno> {
            // Two iovecs, to check scattering across them.
            let half = len / 2;
            self.mem.write_u32(IOV, DATA).unwrap();
            self.mem.write_u32(IOV + 4, half).unwrap();
            self.mem.write_u32(IOV + 8, DATA + half).unwrap();
            self.mem.write_u32(IOV + 12, len - half).unwrap();
            match errno(self.wasi.fd_read(&self.mem, fd, IOV, 2, OUT)) {
                Errno::Success => {
                    let n = self.mem.read_u32(OUT).unwrap();
                    Ok(self.mem.read_vec(DATA, n).unwrap())
                }
                e => Err(e),
            }
        }

        fn seek(&self, fd: u32, off: i64, whence: u32) -> Result<u64, Errno> {
            match errno(self.wasi.fd_seek(&self.mem, fd, off, whence, OUT)) {
                Errno::Success => {
                    let mut b = [0; 8];
                    self.mem.read(OUT, &mut b).unwrap();
                    Ok(u64::from_le_bytes(b))
                }
                e => Err(e),
            }
        }
    }

    const RW: u64 = rights::FD_READ
        | rights::FD_WRITE
        | rights::FD_SEEK
        | rights::FD_TELL
        | rights::FD_FILESTAT_SET_SIZE;

    #[test]
    fn args_and_environ_are_sized_in_utf8_bytes() {
        let f = fixture();
        f.wasi.args_sizes_get(&f.mem, OUT, OUT + 4).unwrap();
        assert_eq!(f.mem.read_u32(OUT).unwrap(), 2);
        // "python3\0" (8) + "héllo\0" (é is 2 bytes: 7)
        assert_eq!(f.mem.read_u32(OUT + 4).unwrap(), 15);
        f.wasi.args_get(&f.mem, OUT, DATA).unwrap();
        let p1 = f.mem.read_u32(OUT + 4).unwrap();
        assert_eq!(f.mem.read_vec(p1, 7).unwrap(), "héllo\0".as_bytes());
        f.wasi.environ_sizes_get(&f.mem, OUT, OUT + 4).unwrap();
        assert_eq!(f.mem.read_u32(OUT).unwrap(), 2);
        assert_eq!(
            f.mem.read_u32(OUT + 4).unwrap(),
            ("HOME=/home/user".len() + "LANG=C.UTF-8".len() + 2) as u32
        );
    }

    #[test]
    fn preopens_are_announced_then_ebadf_ends_the_scan() {
        let f = fixture();
        f.wasi.fd_prestat_get(&f.mem, PREOPEN, OUT).unwrap();
        assert_eq!(f.mem.read_u32(OUT + 4).unwrap(), 1);
        f.wasi
            .fd_prestat_dir_name(&f.mem, PREOPEN, DATA, 1)
            .unwrap();
        assert_eq!(f.mem.read_vec(DATA, 1).unwrap(), b"/");
        assert_eq!(
            errno(f.wasi.fd_prestat_get(&f.mem, PREOPEN + 1, OUT)),
            Errno::Badf
        );
        // stdio is not a preopen either
        assert_eq!(errno(f.wasi.fd_prestat_get(&f.mem, 1, OUT)), Errno::Badf);
    }

    #[test]
    fn file_round_trip_with_seek_tell_append_and_truncate() {
        let f = fixture();
        let fd = f.open("home/user/a.txt", O_CREAT, RW, 0).unwrap();
        assert_eq!(fd, 4, "lowest free fd after stdio and the preopen");
        assert_eq!(f.write(fd, b"hello world").unwrap(), 11);
        assert_eq!(f.seek(fd, 0, 1).unwrap(), 11);
        assert_eq!(f.seek(fd, -5, 2).unwrap(), 6);
        assert_eq!(f.read(fd, 100).unwrap(), b"world");
        assert_eq!(f.read(fd, 100).unwrap(), b"", "EOF reads return 0");
        assert_eq!(f.seek(fd, -1, 0), Err(Errno::Inval));
        // Writing past the end zero-fills the gap.
        f.seek(fd, 13, 0).unwrap();
        f.write(fd, b"!").unwrap();
        f.seek(fd, 0, 0).unwrap();
        assert_eq!(f.read(fd, 100).unwrap(), b"hello world\0\0!");
        f.wasi.fd_filestat_set_size(&f.mem, fd, 5).unwrap();
        f.wasi.fd_close(&f.mem, fd).unwrap();
        assert_eq!(errno(f.wasi.fd_close(&f.mem, fd)), Errno::Badf);

        let fd2 = f
            .open("home/user/a.txt", 0, RW, fdflags::APPEND as u32)
            .unwrap();
        assert_eq!(fd2, fd, "closed fds are reused");
        f.write(fd2, b"!!").unwrap();
        assert_eq!(
            f.seek(fd2, 0, 1).unwrap(),
            7,
            "append moves the position to the end"
        );
        f.seek(fd2, 0, 0).unwrap();
        f.write(fd2, b"?").unwrap();
        f.seek(fd2, 0, 0).unwrap();
        assert_eq!(
            f.read(fd2, 100).unwrap(),
            b"hello!!?",
            "O_APPEND writes at the end whatever the position"
        );

        let fd3 = f.open("home/user/a.txt", O_TRUNC, RW, 0).unwrap();
        assert_eq!(f.read(fd3, 10).unwrap(), b"");
    }

    #[test]
    fn open_errors_match_posix() {
        let f = fixture();
        assert_eq!(f.open("home/user/missing", 0, RW, 0), Err(Errno::Noent));
        assert_eq!(f.open("home/nope/x", O_CREAT, RW, 0), Err(Errno::Noent));
        assert_eq!(
            f.open("home/user", 0, rights::FD_WRITE, 0),
            Err(Errno::Isdir)
        );
        f.open("home/user/f", O_CREAT, RW, 0).unwrap();
        assert_eq!(
            f.open("home/user/f", O_CREAT | O_EXCL, RW, 0),
            Err(Errno::Exist)
        );
        assert_eq!(
            f.open("home/user/f", O_DIRECTORY, rights::FD_READ, 0),
            Err(Errno::Notdir)
        );
        assert_eq!(f.open("home/user/f/x", 0, RW, 0), Err(Errno::Notdir));
        assert_eq!(f.open("", 0, RW, 0), Err(Errno::Noent));
        assert_eq!(f.open("home/user/f", 0x100, RW, 0), Err(Errno::Inval));
        // A read-only fd refuses writes, a write-only one reads.
        let ro = f.open("home/user/f", 0, rights::FD_READ, 0).unwrap();
        assert_eq!(f.write(ro, b"x"), Err(Errno::Badf));
        let wo = f.open("home/user/f", 0, rights::FD_WRITE, 0).unwrap();
        assert_eq!(f.read(wo, 4), Err(Errno::Badf));
        // Path arguments must be UTF-8.
        f.mem.write(PATH, b"\xff").unwrap();
        assert_eq!(
            errno(
                f.wasi
                    .path_open(&f.mem, PREOPEN, 0, PATH, 1, O_CREAT, RW, 0, 0, OUT)
            ),
            Errno::Ilseq
        );
    }

    #[test]
    fn directories_rename_unlink_and_readdir_with_cookies() {
        let f = fixture();
        let (p, l) = f.path("home/user/d");
        f.wasi.path_create_directory(&f.mem, PREOPEN, p, l).unwrap();
        assert_eq!(
            errno(f.wasi.path_create_directory(&f.mem, PREOPEN, p, l)),
            Errno::Exist
        );
        for name in ["b", "a", "c"] {
            let fd = f
                .open(&format!("home/user/d/{name}"), O_CREAT, RW, 0)
                .unwrap();
            f.wasi.fd_close(&f.mem, fd).unwrap();
        }
        let (p, l) = f.path("home/user/d");
        assert_eq!(
            errno(f.wasi.path_remove_directory(&f.mem, PREOPEN, p, l)),
            Errno::Notempty
        );
        let dfd = f
            .open(
                "home/user/d",
                O_DIRECTORY,
                rights::FD_READDIR | rights::FD_READ,
                0,
            )
            .unwrap();

        let read_names = |buf_len: u32, cookie: u64| -> (Vec<(String, u64)>, u32) {
            f.wasi
                .fd_readdir(&f.mem, dfd, DATA, buf_len, cookie, OUT)
                .unwrap();
            let used = f.mem.read_u32(OUT).unwrap();
            let raw = f.mem.read_vec(DATA, used).unwrap();
            let mut names = Vec::new();
            let mut i = 0;
            while i + DIRENT_SIZE <= raw.len() {
                let next = u64::from_le_bytes(raw[i..i + 8].try_into().unwrap());
                let len = u32::from_le_bytes(raw[i + 16..i + 20].try_into().unwrap()) as usize;
                if i + DIRENT_SIZE + len > raw.len() {
                    break;
                }
                names.push((
                    String::from_utf8(raw[i + DIRENT_SIZE..i + DIRENT_SIZE + len].to_vec())
                        .unwrap(),
                    next,
                ));
                i += DIRENT_SIZE + len;
            }
            (names, used)
        };
        let (all, _) = read_names(4096, 0);
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, [".", "..", "a", "b", "c"]);
        // Resume from the cookie of the second entry.
        let (rest, _) = read_names(4096, all[1].1);
        assert_eq!(
            rest.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        // A small buffer is filled completely, telling wasi-libc to grow it.
        let (_, used) = read_names(30, 0);
        assert_eq!(used, 30);

        let (p, l) = f.path("home/user/d/a");
        f.mem.write(0x400, b"home/user/z").unwrap();
        f.wasi
            .path_rename(&f.mem, PREOPEN, p, l, PREOPEN, 0x400, 11)
            .unwrap();
        assert_eq!(f.open("home/user/d/a", 0, RW, 0), Err(Errno::Noent));
        assert!(f.open("home/user/z", 0, RW, 0).is_ok());
        let (p, l) = f.path("home/user/d");
        assert_eq!(
            errno(f.wasi.path_unlink_file(&f.mem, PREOPEN, p, l)),
            Errno::Isdir
        );
        let (p, l) = f.path("home/user/z");
        f.wasi.path_unlink_file(&f.mem, PREOPEN, p, l).unwrap();
        assert_eq!(
            errno(f.wasi.path_unlink_file(&f.mem, PREOPEN, p, l)),
            Errno::Noent
        );
    }

    #[test]
    fn filestat_reports_type_size_and_moving_mtime() {
        let f = fixture();
        let fd = f.open("home/user/t", O_CREAT, RW, 0).unwrap();
        f.wasi.fd_filestat_get(&f.mem, fd, DATA).unwrap();
        let st = f.mem.read_vec(DATA, 64).unwrap();
        assert_eq!(st[16], FileType::RegularFile as u8);
        let mtime0 = u64::from_le_bytes(st[48..56].try_into().unwrap());
        assert!(
            mtime0 > 1_600_000_000_000_000_000,
            "a real wall-clock timestamp"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        f.write(fd, b"12345").unwrap();
        let (p, l) = f.path("home/user/t");
        f.wasi
            .path_filestat_get(&f.mem, PREOPEN, 0, p, l, DATA)
            .unwrap();
        let st = f.mem.read_vec(DATA, 64).unwrap();
        assert_eq!(u64::from_le_bytes(st[32..40].try_into().unwrap()), 5);
        assert!(u64::from_le_bytes(st[48..56].try_into().unwrap()) > mtime0);
        // Explicit times, and the invalid SET|NOW combination.
        f.wasi
            .fd_filestat_set_times(
                &f.mem,
                fd,
                7_000_000_000,
                9_000_000_000,
                FST_ATIM | FST_MTIM,
            )
            .unwrap();
        f.wasi.fd_filestat_get(&f.mem, fd, DATA).unwrap();
        let st = f.mem.read_vec(DATA, 64).unwrap();
        assert_eq!(
            u64::from_le_bytes(st[48..56].try_into().unwrap()),
            9_000_000_000
        );
        assert_eq!(
            errno(
                f.wasi
                    .fd_filestat_set_times(&f.mem, fd, 0, 0, FST_MTIM | FST_MTIM_NOW)
            ),
            Errno::Inval
        );
        // stdio is a character device; a terminal has no seek/tell rights (isatty).
        f.wasi.fd_fdstat_get(&f.mem, 1, DATA).unwrap();
        let st = f.mem.read_vec(DATA, 24).unwrap();
        assert_eq!(st[0], FileType::CharacterDevice as u8);
        assert_eq!(
            u64::from_le_bytes(st[8..16].try_into().unwrap()) & rights::FD_SEEK,
            0
        );
        f.wasi.fd_fdstat_get(&f.mem, 2, DATA).unwrap();
        let st = f.mem.read_vec(DATA, 24).unwrap();
        assert_ne!(
            u64::from_le_bytes(st[8..16].try_into().unwrap()) & rights::FD_SEEK,
            0,
            "stderr is not a tty here"
        );
    }

    #[test]
    fn symlinks_and_readlink() {
        let f = fixture();
        f.open("home/user/target", O_CREAT, RW, 0).unwrap();
        f.mem.write(0x400, b"target").unwrap();
        let (p, l) = f.path("home/user/link");
        f.wasi
            .path_symlink(&f.mem, 0x400, 6, PREOPEN, p, l)
            .unwrap();
        f.wasi
            .path_readlink(&f.mem, PREOPEN, p, l, DATA, 3, OUT)
            .unwrap();
        assert_eq!(
            f.mem.read_u32(OUT).unwrap(),
            3,
            "truncated to the buffer like readlink(2)"
        );
        assert_eq!(f.mem.read_vec(DATA, 3).unwrap(), b"tar");
        let fd = f.open("home/user/link", 0, RW, 0).unwrap();
        f.write(fd, b"via link").unwrap();
        // Without SYMLINK_FOLLOW, opening the link itself is ELOOP (O_NOFOLLOW).
        let (p, l) = f.path("home/user/link");
        assert_eq!(
            errno(f.wasi.path_open(&f.mem, PREOPEN, 0, p, l, 0, RW, 0, 0, OUT)),
            Errno::Loop
        );
        f.wasi
            .path_filestat_get(&f.mem, PREOPEN, 0, p, l, DATA)
            .unwrap();
        assert_eq!(
            f.mem.read_vec(DATA + 16, 1).unwrap()[0],
            FileType::SymbolicLink as u8
        );
    }

    #[test]
    fn stdout_and_stderr_reach_the_host_in_order() {
        let f = fixture();
        f.write(1, b"one\n").unwrap();
        f.write(2, b"two\n").unwrap();
        f.write(1, b"three\n").unwrap();
        let out = f.host.out.lock().unwrap();
        assert_eq!(
            *out,
            vec![
                (Stdio::Out, b"one\n".to_vec()),
                (Stdio::Err, b"two\n".to_vec()),
                (Stdio::Out, b"three\n".to_vec())
            ]
        );
        assert_eq!(f.write(0, b"x"), Err(Errno::Badf));
        assert_eq!(f.read(0, 16).unwrap(), b"line\n");
        assert_eq!(f.seek(1, 0, 0), Err(Errno::Spipe));
    }

    #[test]
    fn proc_exit_is_an_exit_not_an_errno() {
        let f = fixture();
        assert_eq!(outcome(f.wasi.proc_exit(&f.mem, 3)), Outcome::Exit(3));
        assert_eq!(
            outcome(f.wasi.fd_close(&f.mem, 99)),
            Outcome::Return(Errno::Badf as u16)
        );
        assert_eq!(outcome(f.wasi.sched_yield(&f.mem)), Outcome::Return(0));
        assert_eq!(
            errno(f.wasi.sock_send(&f.mem, 1, 0, 0, 0, 0)),
            Errno::Notsock
        );
        assert_eq!(errno(f.wasi.sock_send(&f.mem, 77, 0, 0, 0, 0)), Errno::Badf);
    }

    fn clock_subscription(f: &Fixture, at: u32, userdata: u64, timeout_ns: u64) {
        let mut s = [0u8; 48];
        s[0..8].copy_from_slice(&userdata.to_le_bytes());
        s[8] = EVENT_CLOCK;
        s[16..20].copy_from_slice(&CLOCK_MONOTONIC.to_le_bytes());
        s[24..32].copy_from_slice(&timeout_ns.to_le_bytes());
        f.mem.write(at, &s).unwrap();
    }

    #[test]
    fn poll_oneoff_sleeps_through_the_host_until_the_deadline() {
        let f = fixture();
        clock_subscription(&f, DATA, 42, 20_000_000);
        let t0 = std::time::Instant::now();
        f.wasi.poll_oneoff(&f.mem, DATA, 0x2000, 1, OUT).unwrap();
        assert!(t0.elapsed() >= std::time::Duration::from_millis(20));
        assert_eq!(f.mem.read_u32(OUT).unwrap(), 1);
        assert_eq!(f.mem.read_vec(0x2000, 8).unwrap(), 42u64.to_le_bytes());
        let slept = f.host.slept.lock().unwrap().clone();
        assert_eq!(slept.len(), 1, "one blocking sleep, no polling loop");
        assert!(slept[0] <= 20_000_000);
        assert_eq!(
            errno(f.wasi.poll_oneoff(&f.mem, DATA, 0x2000, 0, OUT)),
            Errno::Inval
        );
    }

    #[test]
    fn an_interrupted_sleep_is_eintr() {
        let f = fixture();
        f.host
            .interrupted
            .store(true, std::sync::atomic::Ordering::SeqCst);
        clock_subscription(&f, DATA, 42, 5_000_000_000);
        let t0 = std::time::Instant::now();
        assert_eq!(
            errno(f.wasi.poll_oneoff(&f.mem, DATA, 0x2000, 1, OUT)),
            Errno::Intr
        );
        assert!(t0.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn poll_oneoff_returns_ready_fds_without_sleeping() {
        let f = fixture();
        clock_subscription(&f, DATA, 1, 5_000_000_000);
        let mut s = [0u8; 48];
        s[0..8].copy_from_slice(&2u64.to_le_bytes());
        s[8] = EVENT_FD_WRITE;
        s[16..20].copy_from_slice(&1u32.to_le_bytes());
        f.mem.write(DATA + 48, &s).unwrap();
        f.wasi.poll_oneoff(&f.mem, DATA, 0x2000, 2, OUT).unwrap();
        assert_eq!(f.mem.read_u32(OUT).unwrap(), 1);
        assert_eq!(f.mem.read_vec(0x2000, 8).unwrap(), 2u64.to_le_bytes());
        assert!(f.host.slept.lock().unwrap().is_empty());
    }

    #[test]
    fn clocks_and_random() {
        let f = fixture();
        f.wasi
            .clock_time_get(&f.mem, CLOCK_MONOTONIC, 0, OUT)
            .unwrap();
        let a = f.mem.read_vec(OUT, 8).unwrap();
        f.wasi
            .clock_time_get(&f.mem, CLOCK_MONOTONIC, 0, OUT)
            .unwrap();
        let b = f.mem.read_vec(OUT, 8).unwrap();
        assert!(
            u64::from_le_bytes(b.try_into().unwrap()) >= u64::from_le_bytes(a.try_into().unwrap())
        );
        assert_eq!(
            errno(f.wasi.clock_time_get(&f.mem, 9, 0, OUT)),
            Errno::Inval
        );
        f.wasi.random_get(&f.mem, DATA, 50_000).unwrap();
        assert_eq!(f.mem.read_vec(DATA + 1, 1).unwrap()[0], 1 ^ 0x5a);
        assert_eq!(errno(f.wasi.random_get(&f.mem, 0xffff, 2)), Errno::Fault);
    }
}
