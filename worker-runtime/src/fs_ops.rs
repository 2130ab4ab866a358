//! The file operations of the client's `weft.fs` (`readFile`, `writeFile`, `mkdir`, ...): the
//! interpreter's file systems as Python sees them (the in-memory tree, host and page mounts,
//! the read-only stdlib bundle), used by the page between runs.
//!
//! Paths are those of Python's view: absolute, or relative to the home directory (Python's
//! working directory). Failures are [`OpError`]s, worded as Node words its `fs` errors
//! (`ENOENT: no such file or directory, readFile 'data.csv'`), because that is what a JS
//! caller knows; the `code` is the POSIX name, the same error Python would get.

use crate::vfs::{FileKind, FsError, Resolved, Vfs};

/// Python's home and working directory: where relative paths start.
pub const HOME: &str = "/home/user";

/// A failed operation: what was asked, on which path(s), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    pub error: FsError,
    /// The operation, by its `weft.fs` name (Node puts the syscall's name there).
    pub syscall: &'static str,
    /// The path as the caller gave it.
    pub path: String,
    /// The second path of `rename`.
    pub dest: Option<String>,
}

impl OpError {
    pub fn code(&self) -> &'static str {
        self.error.code()
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}, {} '{}'",
            self.code(),
            self.error,
            self.syscall,
            self.path
        )?;
        if let Some(dest) = &self.dest {
            write!(f, " -> '{dest}'")?;
        }
        Ok(())
    }
}

pub type OpResult<T> = Result<T, OpError>;

/// What `stat`/`lstat` report. Times are nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub kind: FileKind,
    pub size: u64,
    /// The mount's device number, as Python's `st_dev`.
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub atime_ns: u64,
    pub mtime_ns: u64,
    pub ctime_ns: u64,
}

impl Stat {
    /// `st_mode` as Python sees it: the file type bits only, since WASI has no permissions
    /// (wasi-libc builds `st_mode` from the file type alone).
    pub fn mode(&self) -> u32 {
        match self.kind {
            FileKind::File => 0o100000,
            FileKind::Directory => 0o040000,
            FileKind::Symlink => 0o120000,
        }
    }
}

/// The operations, on one interpreter's tree.
pub struct FsOps<'a> {
    vfs: &'a Vfs,
}

impl<'a> FsOps<'a> {
    pub fn new(vfs: &'a Vfs) -> Self {
        FsOps { vfs }
    }

    fn fail<'p>(syscall: &'static str, path: &'p str) -> impl Fn(FsError) -> OpError + 'p {
        move |error| OpError {
            error,
            syscall,
            path: path.to_owned(),
            dest: None,
        }
    }

    fn resolve(&self, path: &str, follow: bool) -> Result<Resolved, FsError> {
        // "" is ENOENT (as POSIX and Node), not the home directory.
        if path.is_empty() {
            return Err(FsError::NotFound);
        }
        self.vfs.resolve(HOME, path, follow)
    }

    /// The whole content of a file (symlinks followed).
    pub fn read_file(&self, path: &str) -> OpResult<Vec<u8>> {
        let r = self
            .resolve(path, true)
            .map_err(Self::fail("readFile", path))?;
        self.vfs
            .read_file(&r.abs)
            .map_err(Self::fail("readFile", path))
    }

    /// Makes `data` the whole content of a file, creating it (not its parents) if missing.
    pub fn write_file(&self, path: &str, data: Vec<u8>) -> OpResult<()> {
        let fail = Self::fail("writeFile", path);
        // The resolver accepts "missing/" (for mkdir); a file cannot be made there.
        if path.ends_with('/') {
            return Err(fail(match self.resolve(path, true) {
                Err(e) => e,
                Ok(_) => FsError::IsADirectory,
            }));
        }
        let r = self.resolve(path, true).map_err(&fail)?;
        self.vfs.write_file(&r.abs, data).map_err(fail)
    }

    /// Creates a directory; with `recursive`, its missing parents too, and an existing
    /// directory is no error (`mkdir -p`).
    pub fn mkdir(&self, path: &str, recursive: bool) -> OpResult<()> {
        let fail = Self::fail("mkdir", path);
        let r = self.resolve(path, false);
        if !recursive {
            let r = r.map_err(&fail)?;
            return r.fs.create_dir(&r.rel).map_err(fail);
        }
        // Missing parents make `resolve` fail: build them one component at a time.
        let abs = match r {
            Ok(r) => r.abs,
            Err(FsError::NotFound) if path.starts_with('/') => path.to_owned(),
            Err(FsError::NotFound) => format!("{HOME}/{path}"),
            Err(e) => return Err(fail(e)),
        };
        match self.vfs.create_dir_all(&abs) {
            // The last component is a file: that is EEXIST (as `mkdir -p` and
            // `os.makedirs(exist_ok=True)` say), a file higher up ENOTDIR.
            Err(FsError::NotADirectory) if self.stat(path, true).is_ok() => {
                Err(fail(FsError::AlreadyExists))
            }
            other => other.map_err(fail),
        }
    }

    /// The names in a directory (without `.` and `..`), sorted by code point.
    pub fn readdir(&self, path: &str) -> OpResult<Vec<String>> {
        let fail = Self::fail("readdir", path);
        let r = self.resolve(path, true).map_err(&fail)?;
        let entries = r.fs.read_dir(&r.rel).map_err(fail)?;
        Ok(entries.into_iter().map(|e| e.name).collect())
    }

    /// Metadata of `path`; `follow`: of a symlink's target (`stat`), not the link (`lstat`).
    pub fn stat(&self, path: &str, follow: bool) -> OpResult<Stat> {
        let fail = Self::fail(if follow { "stat" } else { "lstat" }, path);
        let r = self.resolve(path, follow).map_err(&fail)?;
        let m = r.fs.lstat(&r.rel).map_err(fail)?;
        Ok(Stat {
            kind: m.kind,
            size: m.size,
            dev: r.dev,
            ino: m.ino,
            nlink: m.nlink,
            atime_ns: m.atime_ns,
            mtime_ns: m.mtime_ns,
            ctime_ns: m.ctime_ns,
        })
    }

    /// Whether `path` names something, symlinks followed (as `os.path.exists`: a broken link,
    /// or any error, is `false`).
    pub fn exists(&self, path: &str) -> bool {
        self.stat(path, true).is_ok()
    }

    /// Removes a file or symlink (not a directory: EISDIR).
    pub fn unlink(&self, path: &str) -> OpResult<()> {
        let fail = Self::fail("unlink", path);
        let r = self.resolve(path, false).map_err(&fail)?;
        r.fs.unlink(&r.rel).map_err(fail)
    }

    /// Removes an empty directory (ENOTEMPTY otherwise; EBUSY for a mount point).
    pub fn rmdir(&self, path: &str) -> OpResult<()> {
        let fail = Self::fail("rmdir", path);
        let r = self.resolve(path, false).map_err(&fail)?;
        self.vfs.remove_dir(&r).map_err(fail)
    }

    /// POSIX rename: replaces an existing file, or an empty directory with a directory. Both
    /// must be on the same mount (EXDEV otherwise, as `os.rename`).
    pub fn rename(&self, from: &str, to: &str) -> OpResult<()> {
        let fail = |error| OpError {
            error,
            syscall: "rename",
            path: from.to_owned(),
            dest: Some(to.to_owned()),
        };
        let a = self.resolve(from, false).map_err(fail)?;
        let b = self.resolve(to, false).map_err(fail)?;
        self.vfs.rename(&a, &b).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::{BundleFs, MemFs};
    use std::io::Write;
    use std::sync::Arc;

    /// `/home/user` and `/tmp` in one MemFs, a read-only bundle at `/lib` holding `pkg/m.py`,
    /// and another MemFs at `/mnt`.
    fn vfs() -> Vfs {
        let root = Arc::new(MemFs::new());
        root.create_dir_all("home/user").unwrap();
        root.create_dir_all("tmp").unwrap();
        let vfs = Vfs::new(root);
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("pkg/m.py", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"X = 1\n").unwrap();
        let bundle = BundleFs::new(w.finish().unwrap().into_inner()).unwrap();
        vfs.mount("/lib", Arc::new(bundle)).unwrap();
        vfs.mount("/mnt", Arc::new(MemFs::new())).unwrap();
        vfs
    }

    fn code<T: std::fmt::Debug>(r: OpResult<T>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn relative_paths_start_at_home() {
        let vfs = vfs();
        let fs = FsOps::new(&vfs);
        fs.write_file("a.txt", b"hi".to_vec()).unwrap();
        assert_eq!(vfs.read_file("/home/user/a.txt").unwrap(), b"hi");
        assert_eq!(fs.read_file("./a.txt").unwrap(), b"hi");
        assert_eq!(fs.read_file("../user/a.txt").unwrap(), b"hi");
        assert_eq!(fs.read_file("/home/user/a.txt").unwrap(), b"hi");
        assert_eq!(code(fs.read_file("")), "ENOENT");
        assert_eq!(fs.readdir(".").unwrap(), ["a.txt"]);
    }

    #[test]
    fn errors_read_like_node() {
        let vfs = vfs();
        let fs = FsOps::new(&vfs);
        let e = fs.read_file("missing.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ENOENT: no such file or directory, readFile 'missing.txt'"
        );
        assert_eq!(
            fs.rename("nope", "/tmp/x").unwrap_err().to_string(),
            "ENOENT: no such file or directory, rename 'nope' -> '/tmp/x'"
        );
        assert_eq!(code(fs.read_file("/home")), "EISDIR");
        assert_eq!(code(fs.readdir("/nowhere")), "ENOENT");
        fs.write_file("f", vec![]).unwrap();
        assert_eq!(code(fs.readdir("f")), "ENOTDIR");
        assert_eq!(code(fs.read_file("f/")), "ENOTDIR");
        assert_eq!(code(fs.write_file("f/x", vec![])), "ENOTDIR");
        assert_eq!(code(fs.write_file("new/", vec![])), "EISDIR");
        assert_eq!(code(fs.write_file("/home/user", vec![])), "EISDIR");
        assert_eq!(code(fs.write_file("no/such/dir/x", vec![])), "ENOENT");
        assert_eq!(code(fs.read_file("a\0b")), "EINVAL");
    }

    #[test]
    fn write_replaces_and_follows_symlinks() {
        let vfs = vfs();
        let fs = FsOps::new(&vfs);
        fs.write_file("/tmp/t", b"first, longer".to_vec()).unwrap();
        fs.write_file("/tmp/t", b"2nd".to_vec()).unwrap();
        assert_eq!(fs.read_file("/tmp/t").unwrap(), b"2nd");
        let r = vfs.resolve("/", "/home/user/link", false).unwrap();
        r.fs.symlink("/tmp/t", &r.rel).unwrap();
        fs.write_file("link", b"via link".to_vec()).unwrap();
        assert_eq!(fs.read_file("/tmp/t").unwrap(), b"via link");
        assert_eq!(fs.stat("link", false).unwrap().kind, FileKind::Symlink);
        assert_eq!(fs.stat("link", true).unwrap().kind, FileKind::File);
        assert_eq!(fs.stat("link", true).unwrap().size, 8);
        // unlink removes the link, not its target
        fs.unlink("link").unwrap();
        assert!(!fs.exists("link"));
        assert!(fs.exists("/tmp/t"));
    }

    #[test]
    fn mkdir_plain_and_recursive() {
        let vfs = vfs();
        let fs = FsOps::new(&vfs);
        assert_eq!(code(fs.mkdir("a/b", false)), "ENOENT");
        fs.mkdir("a/b/c", true).unwrap();
        fs.mkdir("a/b/c", true).unwrap();
        assert_eq!(code(fs.mkdir("a/b/c", false)), "EEXIST");
        fs.mkdir("/tmp/x", false).unwrap();
        fs.mkdir("/tmp/../tmp/y/./z", true).unwrap();
        assert_eq!(fs.readdir("/tmp").unwrap(), ["x", "y"]);
        assert_eq!(fs.readdir("a/b").unwrap(), ["c"]);
        fs.write_file("file", vec![]).unwrap();
        assert_eq!(code(fs.mkdir("file", true)), "EEXIST");
        assert_eq!(code(fs.mkdir("file/sub", true)), "ENOTDIR");
        assert_eq!(code(fs.mkdir("file", false)), "EEXIST");
        // existing directories of the read-only bundle are fine with `recursive`
        fs.mkdir("/lib/pkg", true).unwrap();
        assert_eq!(code(fs.mkdir("/lib/pkg", false)), "EEXIST");
        assert_eq!(code(fs.mkdir("/lib/new", true)), "EROFS");
        // a mount point exists
        assert_eq!(code(fs.mkdir("/mnt", false)), "EEXIST");
        fs.mkdir("/mnt", true).unwrap();
    }

    #[test]
    fn read_only_bundle() {
        let vfs = vfs();
        let fs = FsOps::new(&vfs);
        assert_eq!(fs.read_file("/lib/pkg/m.py").unwrap(), b"X = 1\n");
        assert_eq!(code(fs.write_file("/lib/pkg/m.py", vec![])), "EROFS");
        assert_eq!(code(fs.write_file("/lib/pkg/new.py", vec![])), "EROFS");
        assert_eq!(code(fs.unlink("/lib/pkg/m.py")), "EROFS");
        assert_eq!(code(fs.rmdir("/lib/pkg")), "EROFS");
        assert_eq!(code(fs.rename("/lib/pkg/m.py", "/lib/pkg/n.py")), "EROFS");
        assert_eq!(code(fs.unlink("/lib/pkg/none")), "ENOENT");
        let st = fs.stat("/lib/pkg/m.py", true).unwrap();
        assert_eq!((st.kind, st.size, st.mode()), (FileKind::File, 6, 0o100000));
        assert_ne!(st.dev, fs.stat("/tmp", true).unwrap().dev);
    }

    #[test]
    fn unlink_rmdir_rename() {
        let vfs = vfs();
        let fs = FsOps::new(&vfs);
        fs.mkdir("d/e", true).unwrap();
        fs.write_file("d/f", b"f".to_vec()).unwrap();
        assert_eq!(code(fs.unlink("d")), "EISDIR");
        assert_eq!(code(fs.rmdir("d")), "ENOTEMPTY");
        assert_eq!(code(fs.rmdir("d/f")), "ENOTDIR");
        assert_eq!(code(fs.rmdir("/mnt")), "EBUSY");
        fs.rename("d/f", "d/g").unwrap();
        assert_eq!(fs.readdir("d").unwrap(), ["e", "g"]);
        // a file replaces a file; a directory cannot replace a file
        fs.write_file("h", b"h".to_vec()).unwrap();
        fs.rename("h", "d/g").unwrap();
        assert_eq!(fs.read_file("d/g").unwrap(), b"h");
        assert_eq!(code(fs.rename("d/e", "d/g")), "ENOTDIR");
        assert_eq!(code(fs.rename("d/g", "/mnt/g")), "EXDEV");
        fs.rename("d/e", "/tmp/e").unwrap();
        fs.unlink("d/g").unwrap();
        fs.rmdir("d").unwrap();
        assert!(!fs.exists("d"));
        assert_eq!(code(fs.unlink("d")), "ENOENT");
        let st = fs.stat("/tmp/e", true).unwrap();
        assert_eq!((st.kind, st.mode()), (FileKind::Directory, 0o040000));
    }
}
