//! `Runtime`'s methods behind the client's `weft.fs` (see `crate::fs_ops`). Data crosses as
//! copies: a `Vec<u8>` argument is copied in from the JS array, a returned one out to a fresh
//! JS array, which the worker can transfer to the page.

use super::Runtime;
use crate::fs_ops::{FsOps, OpError};
use crate::vfs::FileKind;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

/// A JS `Error` carrying Node's fields: `code` ("ENOENT"), `syscall`, `path`, `dest`.
fn js_error(e: OpError) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    let set = |key: &str, value: &str| {
        Reflect::set(&error, &key.into(), &value.into()).expect("setting an Error's property");
    };
    set("code", e.code());
    set("syscall", e.syscall);
    set("path", &e.path);
    if let Some(dest) = &e.dest {
        set("dest", dest);
    }
    error.into()
}

impl Runtime {
    fn ops(&self) -> FsOps<'_> {
        FsOps::new(&self.vfs)
    }
}

#[wasm_bindgen]
impl Runtime {
    #[wasm_bindgen(js_name = fsReadFile)]
    pub fn fs_read_file(&self, path: &str) -> Result<Vec<u8>, JsValue> {
        self.ops().read_file(path).map_err(js_error)
    }

    #[wasm_bindgen(js_name = fsWriteFile)]
    pub fn fs_write_file(&self, path: &str, data: Vec<u8>) -> Result<(), JsValue> {
        self.ops().write_file(path, data).map_err(js_error)
    }

    #[wasm_bindgen(js_name = fsMkdir)]
    pub fn fs_mkdir(&self, path: &str, recursive: bool) -> Result<(), JsValue> {
        self.ops().mkdir(path, recursive).map_err(js_error)
    }

    #[wasm_bindgen(js_name = fsReaddir)]
    pub fn fs_readdir(&self, path: &str) -> Result<Vec<String>, JsValue> {
        self.ops().readdir(path).map_err(js_error)
    }

    /// `{kind: "file" | "directory" | "symlink", mode, size, dev, ino, nlink, atimeMs,
    /// mtimeMs, ctimeMs}`; `follow`: of a symlink's target (stat), not the link (lstat).
    #[wasm_bindgen(js_name = fsStat)]
    pub fn fs_stat(&self, path: &str, follow: bool) -> Result<Object, JsValue> {
        let st = self.ops().stat(path, follow).map_err(js_error)?;
        let out = Object::new();
        let kind = match st.kind {
            FileKind::File => "file",
            FileKind::Directory => "directory",
            FileKind::Symlink => "symlink",
        };
        Reflect::set(&out, &"kind".into(), &kind.into()).expect("setting a plain object's key");
        let ms = |ns: u64| ns as f64 / 1e6;
        for (key, value) in [
            ("mode", f64::from(st.mode())),
            ("size", st.size as f64),
            ("dev", st.dev as f64),
            ("ino", st.ino as f64),
            ("nlink", st.nlink as f64),
            ("atimeMs", ms(st.atime_ns)),
            ("mtimeMs", ms(st.mtime_ns)),
            ("ctimeMs", ms(st.ctime_ns)),
        ] {
            Reflect::set(&out, &key.into(), &value.into()).expect("setting a plain object's key");
        }
        Ok(out)
    }

    #[wasm_bindgen(js_name = fsExists)]
    pub fn fs_exists(&self, path: &str) -> bool {
        self.ops().exists(path)
    }

    #[wasm_bindgen(js_name = fsUnlink)]
    pub fn fs_unlink(&self, path: &str) -> Result<(), JsValue> {
        self.ops().unlink(path).map_err(js_error)
    }

    #[wasm_bindgen(js_name = fsRmdir)]
    pub fn fs_rmdir(&self, path: &str) -> Result<(), JsValue> {
        self.ops().rmdir(path).map_err(js_error)
    }

    #[wasm_bindgen(js_name = fsRename)]
    pub fn fs_rename(&self, from: &str, to: &str) -> Result<(), JsValue> {
        self.ops().rename(from, to).map_err(js_error)
    }
}
