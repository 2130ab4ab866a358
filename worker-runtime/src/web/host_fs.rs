//! A [`FileSystem`] backed by a JS object with synchronous methods: in Node, a host directory
//! through `node:fs` (see `hostDirFs` in `js/worker.mjs`), so `cargo xtask run -- script.py`
//! reads and writes the real files next to the script.
//!
//! The JS object belongs to the worker that created it, so it is kept in a per-thread
//! registry and [`HostFs`] holds only its index: calling it from another thread's worker gets
//! `Io` instead of touching a foreign JS object.
//!
//! JS contract (paths relative to the mounted directory, "" = the directory itself; a failure
//! throws an Error whose `code` is a POSIX name such as "ENOENT"; a stat is an array
//! `[kind (0 file, 1 dir, 2 symlink), size, ino, nlink, atimeMs, mtimeMs, ctimeMs]`):
//! `lstat(p)`, `readdir(p) -> [[name, kind, ino], ...]`, `mkdir(p)`, `rmdir(p)`, `unlink(p)`,
//! `rename(a, b)`, `symlink(target, p)`, `readlink(p)`, `link(a, b)`,
//! `utimes(p, atimeMs|null|"now", mtimeMs|null|"now")`, `open(p, read, write, create, exclusive,
//! truncate) -> hfd`, `read(hfd, len, pos) -> Uint8Array`, `write(hfd, bytes, pos) -> n`,
//! `append(hfd, bytes) -> newSize`, `fstat(hfd)`, `ftruncate(hfd, len)`,
//! `futimes(hfd, atime, mtime)`, `fsync(hfd)`, `close(hfd)`.

use crate::vfs::{
    DirEntry, FileKind, FileSystem, FsError, FsResult, Metadata, OpenFile, OpenOptions, TimeChange,
};
use js_sys::{Array, Function, Reflect, Uint8Array};
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

thread_local! {
    static REGISTRY: RefCell<Vec<JsValue>> = const { RefCell::new(Vec::new()) };
}

pub struct HostFs {
    id: usize,
}

fn map_code(e: &JsValue) -> FsError {
    let code = Reflect::get(e, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default();
    match code.as_str() {
        "ENOENT" => FsError::NotFound,
        "EEXIST" => FsError::AlreadyExists,
        "ENOTDIR" => FsError::NotADirectory,
        "EISDIR" => FsError::IsADirectory,
        "ENOTEMPTY" => FsError::DirectoryNotEmpty,
        "EROFS" => FsError::ReadOnly,
        "EACCES" | "EPERM" => FsError::PermissionDenied,
        "EINVAL" => FsError::InvalidInput,
        "ENAMETOOLONG" => FsError::NameTooLong,
        "ELOOP" => FsError::Loop,
        "EXDEV" => FsError::CrossDevice,
        "ENOTSUP" | "ENOSYS" | "EOPNOTSUPP" => FsError::Unsupported,
        "EBUSY" => FsError::Busy,
        _ => FsError::Io,
    }
}

/// Calls `method` on the registered object `id` with `args`.
fn call(id: usize, method: &str, args: &[JsValue]) -> FsResult<JsValue> {
    REGISTRY.with(|r| {
        let r = r.borrow();
        let obj = r.get(id).ok_or(FsError::Io)?;
        let f: Function = Reflect::get(obj, &method.into())
            .map_err(|_| FsError::Io)?
            .dyn_into()
            .map_err(|_| FsError::Unsupported)?;
        let args: Array = args.iter().collect();
        f.apply(obj, &args).map_err(|e| map_code(&e))
    })
}

fn ms_to_ns(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        (ms * 1e6) as u64
    } else {
        0
    }
}

fn kind(k: f64) -> FileKind {
    match k as u32 {
        1 => FileKind::Directory,
        2 => FileKind::Symlink,
        _ => FileKind::File,
    }
}

fn metadata(v: JsValue) -> FsResult<Metadata> {
    let a: Array = v.dyn_into().map_err(|_| FsError::Io)?;
    let n = |i: u32| a.get(i).as_f64().unwrap_or(0.0);
    Ok(Metadata {
        kind: kind(n(0)),
        size: n(1) as u64,
        ino: n(2) as u64,
        nlink: n(3) as u64,
        atime_ns: ms_to_ns(n(4)),
        mtime_ns: ms_to_ns(n(5)),
        ctime_ns: ms_to_ns(n(6)),
    })
}

fn time_arg(t: TimeChange) -> JsValue {
    match t {
        TimeChange::Keep => JsValue::NULL,
        TimeChange::Now => "now".into(),
        TimeChange::Set(ns) => JsValue::from(ns as f64 / 1e6),
    }
}

impl HostFs {
    pub fn register(obj: JsValue) -> HostFs {
        let id = REGISTRY.with(|r| {
            let mut r = r.borrow_mut();
            r.push(obj);
            r.len() - 1
        });
        HostFs { id }
    }

    fn call(&self, method: &str, args: &[JsValue]) -> FsResult<JsValue> {
        call(self.id, method, args)
    }

    fn unit(&self, method: &str, args: &[JsValue]) -> FsResult<()> {
        self.call(method, args).map(|_| ())
    }
}

impl FileSystem for HostFs {
    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        metadata(self.call("lstat", &[path.into()])?)
    }

    fn open(&self, path: &str, o: OpenOptions) -> FsResult<Arc<dyn OpenFile>> {
        if let Ok(md) = self.lstat(path) {
            if md.kind == FileKind::Directory {
                return Err(FsError::IsADirectory);
            }
        }
        let flags = [o.read, o.write, o.create, o.exclusive, o.truncate].map(JsValue::from);
        let mut args = vec![JsValue::from(path)];
        args.extend(flags);
        let hfd = self.call("open", &args)?.as_f64().ok_or(FsError::Io)?;
        Ok(Arc::new(HostFile { fs: self.id, hfd }))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let list: Array = self
            .call("readdir", &[path.into()])?
            .dyn_into()
            .map_err(|_| FsError::Io)?;
        let mut out: Vec<DirEntry> = list
            .iter()
            .filter_map(|e| {
                let e: Array = e.dyn_into().ok()?;
                Some(DirEntry {
                    name: e.get(0).as_string()?,
                    kind: kind(e.get(1).as_f64()?),
                    ino: e.get(2).as_f64().unwrap_or(0.0) as u64,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn create_dir(&self, path: &str) -> FsResult<()> {
        self.unit("mkdir", &[path.into()])
    }
    fn remove_dir(&self, path: &str) -> FsResult<()> {
        self.unit("rmdir", &[path.into()])
    }
    fn unlink(&self, path: &str) -> FsResult<()> {
        self.unit("unlink", &[path.into()])
    }
    fn rename(&self, from: &str, to: &str) -> FsResult<()> {
        self.unit("rename", &[from.into(), to.into()])
    }
    fn symlink(&self, target: &str, path: &str) -> FsResult<()> {
        self.unit("symlink", &[target.into(), path.into()])
    }
    fn read_link(&self, path: &str) -> FsResult<String> {
        self.call("readlink", &[path.into()])?
            .as_string()
            .ok_or(FsError::Io)
    }
    fn hard_link(&self, from: &str, to: &str) -> FsResult<()> {
        self.unit("link", &[from.into(), to.into()])
    }
    fn set_times(&self, path: &str, atime: TimeChange, mtime: TimeChange) -> FsResult<()> {
        self.unit("utimes", &[path.into(), time_arg(atime), time_arg(mtime)])
    }
}

struct HostFile {
    fs: usize,
    hfd: f64,
}

impl OpenFile for HostFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> FsResult<usize> {
        let v = call(
            self.fs,
            "read",
            &[
                self.hfd.into(),
                (buf.len() as f64).into(),
                (offset as f64).into(),
            ],
        )?;
        let data: Uint8Array = v.dyn_into().map_err(|_| FsError::Io)?;
        let n = (data.length() as usize).min(buf.len());
        data.subarray(0, n as u32).copy_to(&mut buf[..n]);
        Ok(n)
    }
    fn write_at(&self, data: &[u8], offset: u64) -> FsResult<usize> {
        let v = call(
            self.fs,
            "write",
            &[
                self.hfd.into(),
                Uint8Array::from(data).into(),
                (offset as f64).into(),
            ],
        )?;
        Ok(v.as_f64().unwrap_or(0.0) as usize)
    }
    fn append(&self, data: &[u8]) -> FsResult<u64> {
        let v = call(
            self.fs,
            "append",
            &[self.hfd.into(), Uint8Array::from(data).into()],
        )?;
        Ok(v.as_f64().unwrap_or(0.0) as u64)
    }
    fn metadata(&self) -> FsResult<Metadata> {
        metadata(call(self.fs, "fstat", &[self.hfd.into()])?)
    }
    fn set_len(&self, len: u64) -> FsResult<()> {
        call(
            self.fs,
            "ftruncate",
            &[self.hfd.into(), (len as f64).into()],
        )
        .map(|_| ())
    }
    fn set_times(&self, atime: TimeChange, mtime: TimeChange) -> FsResult<()> {
        call(
            self.fs,
            "futimes",
            &[self.hfd.into(), time_arg(atime), time_arg(mtime)],
        )
        .map(|_| ())
    }
    fn sync(&self) -> FsResult<()> {
        call(self.fs, "fsync", &[self.hfd.into()]).map(|_| ())
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        let _ = call(self.fs, "close", &[self.hfd.into()]);
    }
}
