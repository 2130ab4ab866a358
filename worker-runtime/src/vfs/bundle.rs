//! [`BundleFs`]: the read-only Python standard library, served straight out of a zip archive,
//! with package bundles (numpy's Python files) layered into the same tree.
//!
//! Shape, and why:
//! - Several archives make one tree ([`BundleFs::layered`]): a package bundle's entries are
//!   named relative to the stdlib directory (`site-packages/numpy/...`), so its files appear
//!   inside the stdlib's own `site-packages/`, beside Weft's start-up hook, and `listdir` (which
//!   CPython's path finder relies on) sees both. A path in two archives is an error, not a
//!   silent override.
//! - The central directory is indexed once, at construction, into a directory tree (implicit
//!   parent directories included) plus a path → node hash map, so `lstat` and `read_dir` are a
//!   lookup and never touch compressed data. CPython stats far more paths than it opens.
//! - An entry is decompressed lazily, on its first `open`, and the bytes are cached in the
//!   node (`OnceLock`), so later opens are free and the many modules a program never imports
//!   cost nothing but their index entry.
//! - Decompression goes through [`ZipSource`], which needs no lock: threads importing
//!   different modules decompress in parallel. Two threads opening the same module for the
//!   first time may both decompress it; the first to finish fills the cache and the other's
//!   copy is dropped (identical bytes, and cheaper than blocking).

use super::zipped::{clean_components, ZipSource, ZIP_EPOCH_NS};
use super::{
    DirEntry, FileKind, FileSystem, FsError, FsResult, Metadata, OpenFile, OpenOptions, TimeChange,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

/// A read-only file system over a zip archive. See the module docs.
pub struct BundleFs {
    zips: Vec<ZipSource>,
    /// `nodes[0]` is the root; a node's ino is its index + 1.
    nodes: Vec<Node>,
    /// Normalised relative path → node. The root is `""`.
    index: HashMap<Box<str>, usize>,
    #[cfg(test)]
    decompressions: std::sync::atomic::AtomicUsize,
}

struct Node {
    kind: FileKind,
    /// Uncompressed size from the central directory; the entry count for a directory.
    size: u64,
    mtime_ns: u64,
    nlink: u64,
    body: Body,
}

enum Body {
    Dir(BTreeMap<Box<str>, usize>),
    /// A file or symlink: its archive and entry there, and its bytes once decompressed.
    Entry {
        zip: usize,
        zip_index: usize,
        data: OnceLock<Arc<Vec<u8>>>,
    },
}

/// The tree under construction.
struct Builder {
    nodes: Vec<Node>,
    index: HashMap<Box<str>, usize>,
}

impl Builder {
    fn add(&mut self, parent: usize, name: &str, path: &str, node: Node) -> Result<usize, String> {
        let id = self.nodes.len();
        let is_dir = node.kind == FileKind::Directory;
        match &mut self.nodes[parent].body {
            Body::Dir(children) => {
                children.insert(name.into(), id);
            }
            Body::Entry { .. } => {
                return Err(format!("stdlib bundle: {path:?} is inside a file"));
            }
        }
        let parent_node = &mut self.nodes[parent];
        parent_node.size += 1;
        if is_dir {
            parent_node.nlink += 1;
        }
        self.nodes.push(node);
        self.index.insert(path.into(), id);
        Ok(id)
    }

    /// The directory at `path`, created if missing.
    fn dir(&mut self, parent: usize, name: &str, path: &str) -> Result<usize, String> {
        if let Some(&id) = self.index.get(path) {
            return match self.nodes[id].kind {
                FileKind::Directory => Ok(id),
                _ => Err(format!(
                    "stdlib bundle: {path:?} is both a file and a directory"
                )),
            };
        }
        let node = Node {
            kind: FileKind::Directory,
            size: 0,
            mtime_ns: ZIP_EPOCH_NS,
            nlink: 2,
            body: Body::Dir(BTreeMap::new()),
        };
        self.add(parent, name, path, node)
    }

    /// Adds every entry of `zip` (archive number `source`) to the tree.
    fn add_archive(&mut self, zip: &ZipSource, source: usize) -> Result<(), String> {
        for zip_index in 0..zip.len() {
            let entry = zip
                .entry(zip_index)
                .map_err(|e| format!("stdlib bundle: {e}"))?;
            let name = entry.name.as_str();
            // An entry that cannot be addressed (e.g. "../x") is skipped, not served.
            let Some(comps) = clean_components(name) else {
                continue;
            };
            let Some((last, parents)) = comps.split_last() else {
                continue;
            };
            let mtime_ns = entry.mtime_ns;

            let mut path = String::with_capacity(name.len());
            let mut parent = 0;
            for comp in parents {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(comp);
                parent = self.dir(parent, comp, &path)?;
            }
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(last);

            if entry.kind == FileKind::Directory {
                let id = self.dir(parent, last, &path)?;
                self.nodes[id].mtime_ns = mtime_ns;
                continue;
            }
            if self.index.contains_key(path.as_str()) {
                return Err(format!("stdlib bundle: duplicate entry {path:?}"));
            }
            let node = Node {
                kind: entry.kind,
                size: entry.size,
                mtime_ns,
                nlink: 1,
                body: Body::Entry {
                    zip: source,
                    zip_index,
                    data: OnceLock::new(),
                },
            };
            self.add(parent, last, &path, node)?;
        }
        Ok(())
    }
}

impl BundleFs {
    /// Indexes the zip archive in `bytes` (its central directory only; nothing is decompressed
    /// here). Fails with a readable message if the bytes are not a zip archive or two entries
    /// contradict each other (a file that is also a directory).
    pub fn new(bytes: Vec<u8>) -> Result<BundleFs, String> {
        Self::layered(vec![bytes])
    }

    /// Indexes several zip archives into one tree (the first is the stdlib, named as such in
    /// errors; later ones are package bundles). Fails like [`BundleFs::new`], and also when two
    /// archives hold the same file.
    pub fn layered(archives: Vec<Vec<u8>>) -> Result<BundleFs, String> {
        let root = Node {
            kind: FileKind::Directory,
            size: 0,
            mtime_ns: ZIP_EPOCH_NS,
            nlink: 2,
            body: Body::Dir(BTreeMap::new()),
        };
        let mut b = Builder {
            nodes: vec![root],
            index: HashMap::from([("".into(), 0)]),
        };
        let mut zips = Vec::with_capacity(archives.len());
        for (source, bytes) in archives.into_iter().enumerate() {
            let what = if source == 0 {
                "stdlib bundle".to_owned()
            } else {
                format!("package bundle {source}")
            };
            let zip = ZipSource::new(bytes)
                .map_err(|e| format!("{what} is not a valid zip archive: {e}"))?;
            b.add_archive(&zip, source)
                .map_err(|e| e.replace("stdlib bundle", &what))?;
            zips.push(zip);
        }

        Ok(BundleFs {
            zips,
            nodes: b.nodes,
            index: b.index,
            #[cfg(test)]
            decompressions: Default::default(),
        })
    }

    /// The node at `path`, or why there is none: `NotADirectory` when a parent is a file.
    fn lookup(&self, path: &str) -> FsResult<usize> {
        if let Some(&id) = self.index.get(path) {
            return Ok(id);
        }
        // Only misses pay for this: find the nearest existing ancestor.
        let mut dir = path;
        while let Some(i) = dir.rfind('/') {
            dir = &dir[..i];
            if let Some(&id) = self.index.get(dir) {
                return Err(match self.nodes[id].kind {
                    FileKind::Directory => FsError::NotFound,
                    _ => FsError::NotADirectory,
                });
            }
        }
        Err(FsError::NotFound)
    }

    fn metadata(&self, id: usize) -> Metadata {
        let node = &self.nodes[id];
        Metadata {
            kind: node.kind,
            size: node.size,
            ino: id as u64 + 1,
            nlink: node.nlink,
            atime_ns: node.mtime_ns,
            mtime_ns: node.mtime_ns,
            ctime_ns: node.mtime_ns,
        }
    }

    /// The entry's bytes, decompressed (and cached) on first use.
    fn contents(&self, id: usize) -> FsResult<Arc<Vec<u8>>> {
        let node = &self.nodes[id];
        let Body::Entry {
            zip,
            zip_index,
            data,
        } = &node.body
        else {
            return Err(FsError::IsADirectory);
        };
        if let Some(bytes) = data.get() {
            return Ok(bytes.clone());
        }
        let bytes = Arc::new(self.decompress(*zip, *zip_index, node.size)?);
        // If another thread won the race, use its copy so every handle shares one buffer.
        Ok(data.get_or_init(|| bytes).clone())
    }

    /// Reads and checks (size and CRC-32) one entry. Any failure is a damaged bundle: `Io`.
    fn decompress(&self, zip: usize, zip_index: usize, size: u64) -> FsResult<Vec<u8>> {
        let out = self.zips[zip]
            .read(zip_index, size)
            .map_err(|_| FsError::Io)?;
        #[cfg(test)]
        self.decompressions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(out)
    }

    /// For the mutating calls: `NotFound` if the path is missing (as POSIX looks up first),
    /// otherwise `ReadOnly`.
    fn refuse(&self, path: &str) -> FsResult<()> {
        self.lookup(path)?;
        Err(FsError::ReadOnly)
    }
}

impl FileSystem for BundleFs {
    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        Ok(self.metadata(self.lookup(path)?))
    }

    fn open(&self, path: &str, opts: OpenOptions) -> FsResult<Arc<dyn OpenFile>> {
        let id = match self.lookup(path) {
            Ok(id) => id,
            Err(FsError::NotFound) if opts.create => return Err(FsError::ReadOnly),
            Err(e) => return Err(e),
        };
        if opts.create && opts.exclusive {
            return Err(FsError::AlreadyExists);
        }
        match self.nodes[id].kind {
            FileKind::Directory => return Err(FsError::IsADirectory),
            FileKind::Symlink => return Err(FsError::Loop),
            FileKind::File => {}
        }
        if opts.write || opts.truncate {
            return Err(FsError::ReadOnly);
        }
        let data = self.contents(id)?;
        Ok(Arc::new(BundleFile {
            data,
            meta: self.metadata(id),
        }))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let Body::Dir(children) = &self.nodes[self.lookup(path)?].body else {
            return Err(FsError::NotADirectory);
        };
        Ok(children
            .iter()
            .map(|(name, &id)| DirEntry {
                name: name.to_string(),
                kind: self.nodes[id].kind,
                ino: id as u64 + 1,
            })
            .collect())
    }

    fn create_dir(&self, path: &str) -> FsResult<()> {
        // EEXIST before EROFS, as Linux: `os.makedirs(..., exist_ok=True)` relies on it.
        match self.lookup(path) {
            Ok(_) => Err(FsError::AlreadyExists),
            Err(FsError::NotFound) => Err(FsError::ReadOnly),
            Err(e) => Err(e),
        }
    }

    fn remove_dir(&self, path: &str) -> FsResult<()> {
        self.refuse(path)
    }

    fn unlink(&self, path: &str) -> FsResult<()> {
        self.refuse(path)
    }

    fn rename(&self, from: &str, _to: &str) -> FsResult<()> {
        self.refuse(from)
    }

    fn symlink(&self, _target: &str, path: &str) -> FsResult<()> {
        self.create_dir(path)
    }

    fn read_link(&self, path: &str) -> FsResult<String> {
        let id = self.lookup(path)?;
        if self.nodes[id].kind != FileKind::Symlink {
            return Err(FsError::InvalidInput);
        }
        String::from_utf8(self.contents(id)?.to_vec()).map_err(|_| FsError::Io)
    }

    fn hard_link(&self, from: &str, _to: &str) -> FsResult<()> {
        self.refuse(from)
    }

    fn set_times(&self, path: &str, _atime: TimeChange, _mtime: TimeChange) -> FsResult<()> {
        self.refuse(path)
    }
}

/// An open bundle file: a shared view of the decompressed bytes.
struct BundleFile {
    data: Arc<Vec<u8>>,
    meta: Metadata,
}

impl OpenFile for BundleFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> FsResult<usize> {
        let start = match usize::try_from(offset) {
            Ok(o) if o < self.data.len() => o,
            _ => return Ok(0),
        };
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, _data: &[u8], _offset: u64) -> FsResult<usize> {
        Err(FsError::ReadOnly)
    }

    fn append(&self, _data: &[u8]) -> FsResult<u64> {
        Err(FsError::ReadOnly)
    }

    fn metadata(&self) -> FsResult<Metadata> {
        Ok(self.meta)
    }

    fn set_len(&self, _len: u64) -> FsResult<()> {
        Err(FsError::ReadOnly)
    }

    fn set_times(&self, _atime: TimeChange, _mtime: TimeChange) -> FsResult<()> {
        Err(FsError::ReadOnly)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::io::Write;
    use std::sync::atomic::Ordering;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime, ZipArchive};

    const READ: OpenOptions = OpenOptions::READ;

    const MOD_PY: &[u8] = b"def f():\n    return 'deflated module body, long enough to compress'\n";
    const STORED: &[u8] = b"STORED-ENTRY-CONTENT-0123456789";

    /// A small stdlib-like archive: deflated and stored files, implicit parents
    /// (`pkg/sub`), an explicit empty directory, and a symlink.
    fn sample_zip() -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let when = DateTime::from_date_and_time(2020, 1, 2, 3, 4, 6).unwrap();
        let deflated = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(when);
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        w.start_file("os.py", deflated).unwrap();
        w.write_all(MOD_PY).unwrap();
        w.start_file("pkg/sub/mod.py", stored).unwrap();
        w.write_all(STORED).unwrap();
        w.start_file("pkg/__init__.py", stored).unwrap();
        w.add_directory("empty/", stored).unwrap();
        w.add_symlink("alias.py", "os.py", stored).unwrap();
        w.finish().unwrap().into_inner()
    }

    fn read_all(f: &dyn OpenFile) -> Vec<u8> {
        let mut out = vec![0; f.metadata().unwrap().size as usize + 10];
        let n = f.read_at(&mut out, 0).unwrap();
        out.truncate(n);
        out
    }

    fn names(fs: &BundleFs, dir: &str) -> Vec<String> {
        fs.read_dir(dir)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn package_bundles_join_the_stdlib_tree() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = SimpleFileOptions::default();
        w.start_file("pkg/sub/extra.py", o).unwrap();
        w.write_all(b"extra").unwrap();
        w.start_file("numpy/__init__.py", o).unwrap();
        w.write_all(b"np").unwrap();
        let package = w.finish().unwrap().into_inner();
        let fs = BundleFs::layered(vec![sample_zip(), package]).unwrap();
        assert_eq!(
            names(&fs, ""),
            ["alias.py", "empty", "numpy", "os.py", "pkg"]
        );
        assert_eq!(names(&fs, "pkg/sub"), ["extra.py", "mod.py"]);
        let open = |p: &str| read_all(&*fs.open(p, READ).unwrap());
        assert_eq!(open("pkg/sub/extra.py"), b"extra");
        assert_eq!(open("pkg/sub/mod.py"), STORED);
        assert_eq!(open("numpy/__init__.py"), b"np");
        assert_eq!(open("os.py"), MOD_PY);

        // The same file in two archives is refused, naming the later one.
        let err = BundleFs::layered(vec![sample_zip(), sample_zip()])
            .err()
            .unwrap();
        assert!(
            err.starts_with("package bundle 1: duplicate entry"),
            "{err}"
        );
        let err = BundleFs::layered(vec![sample_zip(), b"not a zip".to_vec()])
            .err()
            .unwrap();
        assert!(
            err.starts_with("package bundle 1 is not a valid zip archive"),
            "{err}"
        );
    }

    #[test]
    fn tree_includes_implicit_and_explicit_dirs() {
        let fs = BundleFs::new(sample_zip()).unwrap();
        assert_eq!(names(&fs, ""), ["alias.py", "empty", "os.py", "pkg"]);
        assert_eq!(names(&fs, "pkg"), ["__init__.py", "sub"]);
        assert_eq!(names(&fs, "pkg/sub"), ["mod.py"]);
        assert!(names(&fs, "empty").is_empty());
        assert_eq!(fs.lstat("pkg/sub").unwrap().kind, FileKind::Directory);
        // root: 2 + pkg + empty
        assert_eq!(fs.lstat("").unwrap().nlink, 4);
        assert_eq!(fs.lstat("pkg").unwrap().nlink, 3);
        assert_eq!(fs.read_dir("os.py").err(), Some(FsError::NotADirectory));
        assert_eq!(fs.lstat("nope").err(), Some(FsError::NotFound));
        assert_eq!(fs.lstat("pkg/nope/x").err(), Some(FsError::NotFound));
        assert_eq!(fs.lstat("os.py/x").err(), Some(FsError::NotADirectory));

        let entries = fs.read_dir("pkg").unwrap();
        assert_eq!(entries[1].kind, FileKind::Directory);
        assert_eq!(entries[1].ino, fs.lstat("pkg/sub").unwrap().ino);
        let mut inos: Vec<_> = ["", "pkg", "pkg/sub", "pkg/sub/mod.py", "os.py", "empty"]
            .iter()
            .map(|p| fs.lstat(p).unwrap().ino)
            .collect();
        inos.sort();
        inos.dedup();
        assert_eq!(inos.len(), 6);
    }

    #[test]
    fn stat_uses_central_directory_and_zip_time() {
        let fs = BundleFs::new(sample_zip()).unwrap();
        let m = fs.lstat("os.py").unwrap();
        assert_eq!(m.kind, FileKind::File);
        assert_eq!(m.size, MOD_PY.len() as u64);
        // 2020-01-02T03:04:06Z
        assert_eq!(m.mtime_ns, 1_577_934_246 * 1_000_000_000);
        assert_eq!(
            fs.lstat("pkg/sub/mod.py").unwrap().size,
            STORED.len() as u64
        );
        assert_eq!(
            fs.decompressions.load(Ordering::Relaxed),
            0,
            "stat must not decompress"
        );
    }

    #[test]
    fn decompression_is_lazy_and_cached() {
        let fs = BundleFs::new(sample_zip()).unwrap();
        assert_eq!(fs.decompressions.load(Ordering::Relaxed), 0);
        let f = fs.open("os.py", READ).unwrap();
        assert_eq!(fs.decompressions.load(Ordering::Relaxed), 1);
        assert_eq!(read_all(&*f), MOD_PY);
        let g = fs.open("os.py", READ).unwrap();
        assert_eq!(read_all(&*g), MOD_PY);
        assert_eq!(
            fs.decompressions.load(Ordering::Relaxed),
            1,
            "second open must hit the cache"
        );
        assert_eq!(read_all(&*fs.open("pkg/sub/mod.py", READ).unwrap()), STORED);
        assert_eq!(fs.decompressions.load(Ordering::Relaxed), 2);

        let mut buf = [0u8; 8];
        assert_eq!(f.read_at(&mut buf, 4).unwrap(), 8);
        assert_eq!(&buf, &MOD_PY[4..12]);
        assert_eq!(f.read_at(&mut buf, MOD_PY.len() as u64).unwrap(), 0);
        assert_eq!(f.read_at(&mut buf, u64::MAX).unwrap(), 0);
        assert_eq!(read_all(&*fs.open("pkg/__init__.py", READ).unwrap()), b"");
    }

    #[test]
    fn symlink_entries() {
        let fs = BundleFs::new(sample_zip()).unwrap();
        assert_eq!(fs.lstat("alias.py").unwrap().kind, FileKind::Symlink);
        assert_eq!(fs.read_link("alias.py").unwrap(), "os.py");
        assert_eq!(fs.read_link("os.py"), Err(FsError::InvalidInput));
        assert_eq!(fs.open("alias.py", READ).err(), Some(FsError::Loop));
    }

    #[test]
    fn everything_that_writes_is_read_only() {
        let fs = BundleFs::new(sample_zip()).unwrap();
        let w = OpenOptions {
            write: true,
            ..READ
        };
        assert_eq!(fs.open("os.py", w).err(), Some(FsError::ReadOnly));
        let create = OpenOptions {
            create: true,
            ..READ
        };
        assert_eq!(fs.open("new.py", create).err(), Some(FsError::ReadOnly));
        // opening an existing file with create (but not exclusive) is just a read
        assert!(fs.open("os.py", create).is_ok());
        let excl = OpenOptions {
            exclusive: true,
            ..create
        };
        assert_eq!(fs.open("os.py", excl).err(), Some(FsError::AlreadyExists));
        assert_eq!(fs.open("missing.py", READ).err(), Some(FsError::NotFound));
        assert_eq!(fs.open("pkg", READ).err(), Some(FsError::IsADirectory));

        assert_eq!(fs.create_dir("newdir"), Err(FsError::ReadOnly));
        assert_eq!(fs.create_dir("pkg"), Err(FsError::AlreadyExists));
        assert_eq!(fs.remove_dir("empty"), Err(FsError::ReadOnly));
        assert_eq!(fs.unlink("os.py"), Err(FsError::ReadOnly));
        assert_eq!(fs.unlink("missing"), Err(FsError::NotFound));
        assert_eq!(fs.rename("os.py", "x.py"), Err(FsError::ReadOnly));
        assert_eq!(fs.symlink("os.py", "l"), Err(FsError::ReadOnly));
        assert_eq!(fs.hard_link("os.py", "l"), Err(FsError::ReadOnly));
        assert_eq!(
            fs.set_times("os.py", TimeChange::Now, TimeChange::Now),
            Err(FsError::ReadOnly)
        );

        let f = fs.open("os.py", READ).unwrap();
        assert_eq!(f.write_at(b"x", 0), Err(FsError::ReadOnly));
        assert_eq!(f.append(b"x"), Err(FsError::ReadOnly));
        assert_eq!(f.set_len(0), Err(FsError::ReadOnly));
        assert_eq!(
            f.set_times(TimeChange::Now, TimeChange::Keep),
            Err(FsError::ReadOnly)
        );
        assert_eq!(read_all(&*f), MOD_PY);
        assert!(fs.lstat("new.py").is_err());
    }

    #[test]
    fn not_a_zip_is_a_clear_error() {
        let err = BundleFs::new(b"definitely not a zip archive".to_vec())
            .err()
            .unwrap();
        assert!(
            err.starts_with("stdlib bundle is not a valid zip archive: "),
            "{err}"
        );
        assert!(BundleFs::new(Vec::new()).is_err());
    }

    /// Offset of an entry's data: after its 30-byte local header, name and extra field.
    fn data_offset(zip: &[u8], name: &str) -> usize {
        let archive = ZipArchive::new(Cursor::new(zip.to_vec())).unwrap();
        let meta = archive.metadata();
        let i = archive.index_for_name(name).unwrap();
        let h = meta.entry(i).unwrap().header_start() as usize;
        let le16 = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
        h + 30 + le16(h + 26) + le16(h + 28)
    }

    #[test]
    fn damaged_entries_are_io_errors() {
        let mut zip = sample_zip();
        // stored: one flipped byte only the CRC can catch
        let at = data_offset(&zip, "pkg/sub/mod.py");
        assert_eq!(&zip[at..at + STORED.len()], STORED);
        zip[at + 3] ^= 0x20;
        // deflated: garbage in the compressed stream
        let at = data_offset(&zip, "os.py");
        zip[at..at + 8].fill(0xff);

        let fs = BundleFs::new(zip).unwrap();
        // the index is intact, so stat still works
        assert_eq!(fs.lstat("os.py").unwrap().size, MOD_PY.len() as u64);
        assert_eq!(fs.open("pkg/sub/mod.py", READ).err(), Some(FsError::Io));
        assert_eq!(fs.open("os.py", READ).err(), Some(FsError::Io));
        // a failure is not cached as success
        assert_eq!(fs.open("os.py", READ).err(), Some(FsError::Io));
        // undamaged entries are unaffected
        assert!(fs.open("pkg/__init__.py", READ).is_ok());
    }

    #[test]
    fn conflicting_entries_are_refused() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = SimpleFileOptions::default();
        w.start_file("a", o).unwrap();
        w.start_file("a/b", o).unwrap();
        let err = BundleFs::new(w.finish().unwrap().into_inner())
            .err()
            .unwrap();
        assert!(err.contains("\"a\""), "{err}");
    }
}
