//! [`Vfs`]: the mount table, and path resolution across it.
//!
//! Every path the guest passes goes through [`Vfs::resolve`], which turns it into a canonical
//! absolute path plus the mount serving it and the path relative to that mount
//! ([`Resolved`]). Backends therefore never see `.`, `..`, symlinks in intermediate components,
//! or mount points: the [`FileSystem`] path convention in `vfs/mod.rs`.
//!
//! Shape, and why:
//! - The table is a small trie of mount-point components, so recognising a mount point while
//!   walking a path costs one hash lookup per component, not a scan of the table or a hash of
//!   the whole prefix.
//! - The table is immutable behind an `Arc` and replaced wholesale on `mount` (copy on write):
//!   mounts happen a handful of times at start-up, resolutions constantly, and a resolution
//!   then holds no lock while it calls into backends.
//! - Resolution keeps the canonical path as one `String` plus a stack of component offsets,
//!   so `..` is a truncate (physical: it pops what symlink expansion produced) and the
//!   relative path for the current mount is a slice of it.
//!
//! Cost: one `lstat` per followed component (an intermediate, or the last when following); a
//! last component that is not followed costs nothing, which is what `open(O_CREAT)` and
//! `lstat` of missing files (CPython's import probing) hit most.

use super::{FileKind, FileSystem, FsError, FsResult, OpenOptions};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Linux's limit on symlinks followed during one resolution.
const MAX_SYMLINKS: u32 = 40;
/// Longest path component, in bytes (POSIX `NAME_MAX`).
const NAME_MAX: usize = 255;

/// The outcome of [`Vfs::resolve`].
#[derive(Clone)]
pub struct Resolved {
    /// The file system serving the path.
    pub fs: Arc<dyn FileSystem>,
    /// The path relative to `fs`'s root, in the backend path convention (`""` = its root).
    pub rel: String,
    /// The canonical absolute path (`"/"` for the root). For a missing last component, the
    /// path it would have; for an unfollowed symlink, the link's own path.
    pub abs: String,
    /// Device number of the mount: 0 for the root, unique per mount.
    pub dev: u64,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("rel", &self.rel)
            .field("abs", &self.abs)
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Mount {
    fs: Arc<dyn FileSystem>,
    dev: u64,
}

/// A node of the mount-point trie. Nodes exist only on paths leading to mount points, so a
/// node with children has a mount somewhere below it.
#[derive(Clone, Default)]
struct TrieNode {
    children: HashMap<String, usize>,
    mount: Option<Mount>,
}

#[derive(Clone)]
struct MountTable {
    /// The file system at `/`; kept apart from the trie so it can never be missing.
    root: Mount,
    /// `nodes[0]` is the trie node for `/` (its `mount` is unused).
    nodes: Vec<TrieNode>,
}

impl MountTable {
    /// The trie node for canonical `abs`, if it is on a path to a mount point.
    fn node(&self, abs: &str) -> Option<usize> {
        let mut node = 0;
        for name in abs.split('/').filter(|c| !c.is_empty()) {
            node = *self.nodes[node].children.get(name)?;
        }
        Some(node)
    }
}

/// The mount table: several [`FileSystem`]s joined into one tree.
pub struct Vfs {
    table: RwLock<Arc<MountTable>>,
    next_dev: AtomicU64,
}

/// A mount entered during a walk.
struct Frame<'t> {
    /// Number of path components at which it is mounted.
    depth: usize,
    /// Length of the canonical path of the mount point (so `abs[prefix..]` is inside it).
    prefix: usize,
    mount: &'t Mount,
}

/// One component of the canonical path being built.
struct Comp {
    /// Offset of the `/` that starts this component in `Walk::abs`.
    start: usize,
    /// Trie node for the path so far, while it is still on the way to some mount point.
    trie: Option<usize>,
}

/// The state of one resolution: the canonical path so far and the mounts it passes through.
struct Walk<'t> {
    table: &'t MountTable,
    /// `""` for the root, otherwise `/a/b`.
    abs: String,
    comps: Vec<Comp>,
    root: Frame<'t>,
    mounts: Vec<Frame<'t>>,
}

impl<'t> Walk<'t> {
    fn new(table: &'t MountTable) -> Self {
        Walk {
            table,
            abs: String::new(),
            comps: Vec::new(),
            root: Frame {
                depth: 0,
                prefix: 0,
                mount: &table.root,
            },
            mounts: Vec::new(),
        }
    }

    fn top(&self) -> &Frame<'t> {
        self.mounts.last().unwrap_or(&self.root)
    }

    fn push(&mut self, name: &str) {
        let parent_trie = match self.comps.last() {
            Some(c) => c.trie,
            None => Some(0),
        };
        let start = self.abs.len();
        self.abs.push('/');
        self.abs.push_str(name);
        let trie = parent_trie.and_then(|t| self.table.nodes[t].children.get(name).copied());
        self.comps.push(Comp { start, trie });
        if let Some(mount) = trie.and_then(|t| self.table.nodes[t].mount.as_ref()) {
            self.mounts.push(Frame {
                depth: self.comps.len(),
                prefix: self.abs.len(),
                mount,
            });
        }
    }

    /// `..`: physical, and a no-op at `/`.
    fn pop(&mut self) {
        if let Some(c) = self.comps.pop() {
            self.abs.truncate(c.start);
            while self
                .mounts
                .last()
                .is_some_and(|m| m.depth > self.comps.len())
            {
                self.mounts.pop();
            }
        }
    }

    fn reset(&mut self) {
        self.abs.clear();
        self.comps.clear();
        self.mounts.clear();
    }

    /// True right after stepping onto a mount point: the root of the mounted file system.
    fn at_mount_root(&self) -> bool {
        self.top().depth == self.comps.len()
    }

    fn fs(&self) -> &'t dyn FileSystem {
        &*self.top().mount.fs
    }

    fn rel(&self) -> &str {
        let rel = &self.abs[self.top().prefix..];
        rel.strip_prefix('/').unwrap_or(rel)
    }

    fn finish(self) -> Resolved {
        let top = self.top();
        Resolved {
            fs: top.mount.fs.clone(),
            rel: self.rel().to_owned(),
            dev: top.mount.dev,
            abs: if self.abs.is_empty() {
                "/".to_owned()
            } else {
                self.abs
            },
        }
    }
}

fn check_component(name: &str) -> FsResult<()> {
    if name.len() > NAME_MAX {
        Err(FsError::NameTooLong)
    } else {
        Ok(())
    }
}

impl Vfs {
    /// A tree with `root` at `/` (device 0) and nothing mounted on it.
    pub fn new(root: Arc<dyn FileSystem>) -> Vfs {
        let table = MountTable {
            root: Mount { fs: root, dev: 0 },
            nodes: vec![TrieNode::default()],
        };
        Vfs {
            table: RwLock::new(Arc::new(table)),
            next_dev: AtomicU64::new(1),
        }
    }

    fn table(&self) -> Arc<MountTable> {
        self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Mounts `fs` at absolute `at`, creating the missing directory chain for the mount point in
    /// the file system that contains it (so it is listed by `read_dir` of its parent). Mounting
    /// over an existing mount point replaces it. Each mount gets its own dev number (root = 0).
    /// Symlinks in `at` are followed; the mount is recorded at the canonical path.
    pub fn mount(&self, at: &str, fs: Arc<dyn FileSystem>) -> FsResult<()> {
        if !at.starts_with('/') {
            return Err(FsError::InvalidInput);
        }
        // Walk (and create) one component at a time, each resolved from the canonical path of
        // the previous one, so that every directory is created in whichever mount holds it.
        let mut cur = "/".to_owned();
        for comp in at.split('/').filter(|c| !c.is_empty()) {
            let r = self.resolve(&cur, comp, true)?;
            match r.fs.lstat(&r.rel) {
                Ok(m) if m.kind == FileKind::Directory => {}
                Ok(_) => return Err(FsError::NotADirectory),
                Err(FsError::NotFound) => match r.fs.create_dir(&r.rel) {
                    Ok(()) | Err(FsError::AlreadyExists) => {}
                    Err(e) => return Err(e),
                },
                Err(e) => return Err(e),
            }
            cur = r.abs;
        }

        let dev = self.next_dev.fetch_add(1, Ordering::Relaxed);
        let mount = Mount { fs, dev };
        let mut guard = self.table.write().unwrap_or_else(|e| e.into_inner());
        let mut table = MountTable::clone(&guard);
        if cur == "/" {
            table.root = mount;
        } else {
            let mut node = 0;
            for name in cur.split('/').filter(|c| !c.is_empty()) {
                node = match table.nodes[node].children.get(name) {
                    Some(&child) => child,
                    None => {
                        let child = table.nodes.len();
                        table.nodes.push(TrieNode::default());
                        table.nodes[node].children.insert(name.to_owned(), child);
                        child
                    }
                };
            }
            table.nodes[node].mount = Some(mount);
        }
        *guard = Arc::new(table);
        Ok(())
    }

    /// True if `abs` (canonical) is a mount point; `/` is one (the root mount).
    pub fn is_mount_point(&self, abs: &str) -> bool {
        let table = self.table();
        match table.node(abs) {
            Some(0) => true,
            Some(n) => table.nodes[n].mount.is_some(),
            None => false,
        }
    }

    /// True if a mount point lies strictly below canonical `abs`.
    fn has_mount_below(&self, abs: &str) -> bool {
        let table = self.table();
        table
            .node(abs)
            .is_some_and(|n| !table.nodes[n].children.is_empty())
    }

    /// Resolves `path` (absolute; or relative to the canonical absolute directory `base`) to
    /// the canonical absolute path and the mount serving it.
    ///
    /// Symlinks in intermediate components are always followed, the last one only if
    /// `follow_last` (or if the path ends in `/`); absolute targets restart at `/`, relative
    /// ones at the link's directory; more than 40 symlinks is `Loop`. `..` is physical and
    /// stays at `/`. A missing intermediate is `NotFound`, a non-directory intermediate
    /// `NotADirectory`; a missing last component is fine (its would-be path is returned, for
    /// creation). A trailing `/` requires an existing target to be a directory. A component
    /// over 255 bytes is `NameTooLong`, a NUL anywhere `InvalidInput`, and an empty path
    /// `NotFound` (as POSIX; use `"."` for `base` itself).
    ///
    /// `base` is trusted to be canonical: its components are not stat'ed again.
    pub fn resolve(&self, base: &str, path: &str, follow_last: bool) -> FsResult<Resolved> {
        if path.contains('\0') || base.contains('\0') {
            return Err(FsError::InvalidInput);
        }
        if path.is_empty() {
            return Err(FsError::NotFound);
        }
        let table = self.table();
        let mut w = Walk::new(&table);
        if !path.starts_with('/') {
            if !base.starts_with('/') {
                return Err(FsError::InvalidInput);
            }
            for comp in base.split('/') {
                match comp {
                    "" | "." => {}
                    ".." => w.pop(),
                    name => {
                        check_component(name)?;
                        w.push(name);
                    }
                }
            }
        }

        // What is left to walk: the path, with symlink targets spliced in front of the rest.
        // `end` excludes trailing slashes, so the component ending at `end` is the last.
        let mut remaining: Cow<'_, str> = Cow::Borrowed(path);
        let mut end = remaining.trim_end_matches('/').len();
        let mut pos = 0;
        let mut links = 0;
        while pos < end {
            let rest = &remaining[pos..end];
            pos += rest.len() - rest.trim_start_matches('/').len();
            let len = remaining[pos..end].find('/').unwrap_or(end - pos);
            let comp = &remaining[pos..pos + len];
            pos += len;
            let is_last = pos == end;
            let trailing_slash = is_last && end < remaining.len();
            match comp {
                "." => continue,
                ".." => {
                    w.pop();
                    continue;
                }
                name => {
                    check_component(name)?;
                    w.push(name);
                }
            }
            if w.at_mount_root() {
                continue; // the root of a mounted file system: a directory
            }
            // POSIX: a trailing slash forces following, as if "name/." were given.
            if is_last && !follow_last && !trailing_slash {
                break;
            }
            let meta = match w.fs().lstat(w.rel()) {
                Ok(m) => m,
                Err(FsError::NotFound) if is_last => break,
                Err(e) => return Err(e),
            };
            match meta.kind {
                FileKind::Directory => {}
                FileKind::File => {
                    if !is_last || trailing_slash {
                        return Err(FsError::NotADirectory);
                    }
                }
                FileKind::Symlink => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(FsError::Loop);
                    }
                    let mut target = w.fs().read_link(w.rel())?;
                    if target.is_empty() {
                        return Err(FsError::NotFound);
                    }
                    if target.contains('\0') {
                        return Err(FsError::InvalidInput);
                    }
                    w.pop();
                    if target.starts_with('/') {
                        w.reset();
                    }
                    // Keep the rest verbatim, trailing slash included.
                    target.push_str(&remaining[pos..]);
                    remaining = Cow::Owned(target);
                    end = remaining.trim_end_matches('/').len();
                    pos = 0;
                }
            }
        }
        Ok(w.finish())
    }

    /// Removes the empty directory `r`; `Busy` for a mount point (or `/`).
    pub fn remove_dir(&self, r: &Resolved) -> FsResult<()> {
        if r.rel.is_empty() {
            return Err(FsError::Busy);
        }
        r.fs.remove_dir(&r.rel)
    }

    /// Renames `from` to `to`. `Busy` if either is a mount point or `from` has a mount point
    /// below it (the mount table is by path, so it cannot move along); `CrossDevice` when the
    /// two are on different mounts.
    pub fn rename(&self, from: &Resolved, to: &Resolved) -> FsResult<()> {
        if from.rel.is_empty() || to.rel.is_empty() || self.has_mount_below(&from.abs) {
            return Err(FsError::Busy);
        }
        if from.dev != to.dev {
            return Err(FsError::CrossDevice);
        }
        from.fs.rename(&from.rel, &to.rel)
    }

    /// Hard-links `from` as `to`; `CrossDevice` when the two are on different mounts.
    pub fn hard_link(&self, from: &Resolved, to: &Resolved) -> FsResult<()> {
        if from.dev != to.dev {
            return Err(FsError::CrossDevice);
        }
        from.fs.hard_link(&from.rel, &to.rel)
    }

    /// Reads the whole file at `abs` (symlinks followed).
    pub fn read_file(&self, abs: &str) -> FsResult<Vec<u8>> {
        let r = self.resolve("/", abs, true)?;
        let file = r.fs.open(
            &r.rel,
            OpenOptions {
                read: true,
                ..Default::default()
            },
        )?;
        let size = usize::try_from(file.metadata()?.size).map_err(|_| FsError::InvalidInput)?;
        let mut out = Vec::new();
        out.try_reserve(size).map_err(|_| FsError::Io)?;
        out.resize(size, 0);
        let mut filled = 0;
        loop {
            if filled == out.len() {
                // The file may have grown since `metadata`; keep reading until EOF.
                out.resize(filled + 8192, 0);
            }
            let n = file.read_at(&mut out[filled..], filled as u64)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        out.truncate(filled);
        Ok(out)
    }

    /// Creates the directory `abs` and its missing parents (symlinks followed), like
    /// `mkdir -p`: `NotADirectory` if one of them exists and is not a directory.
    pub fn create_dir_all(&self, abs: &str) -> FsResult<()> {
        let mut path = String::with_capacity(abs.len());
        for comp in abs.split('/').filter(|c| !c.is_empty()) {
            path.push('/');
            path.push_str(comp);
            let r = self.resolve("/", &path, true)?;
            match r.fs.create_dir(&r.rel) {
                Err(FsError::AlreadyExists) if r.fs.lstat(&r.rel)?.kind != FileKind::Directory => {
                    return Err(FsError::NotADirectory)
                }
                Ok(()) | Err(FsError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes `data` as the whole content of the file at `abs` (symlinks followed), creating
    /// or truncating it. The parent directory must exist.
    pub fn write_file(&self, abs: &str, data: impl Into<Vec<u8>>) -> FsResult<()> {
        let r = self.resolve("/", abs, true)?;
        let opts = OpenOptions {
            write: true,
            create: true,
            truncate: true,
            ..Default::default()
        };
        let file = r.fs.open(&r.rel, opts)?;
        file.replace(data.into())?;
        // Where closing writes the content back (a page-owned file), its failure is this
        // write's failure.
        file.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::{BundleFs, MemFs};

    struct Fixture {
        vfs: Vfs,
        root: Arc<MemFs>,
        tmp: Arc<MemFs>,
    }

    /// `/` and `/tmp` are two MemFs; `/home/user` exists in the root fs.
    fn fixture() -> Fixture {
        let root = Arc::new(MemFs::new());
        let tmp = Arc::new(MemFs::new());
        root.create_dir_all("home/user").unwrap();
        let vfs = Vfs::new(root.clone());
        vfs.mount("/tmp", tmp.clone()).unwrap();
        Fixture { vfs, root, tmp }
    }

    fn abs(vfs: &Vfs, path: &str) -> String {
        vfs.resolve("/", path, true).unwrap().abs
    }

    fn err(vfs: &Vfs, base: &str, path: &str) -> FsError {
        vfs.resolve(base, path, true).unwrap_err()
    }

    fn same_fs(a: &Arc<dyn FileSystem>, b: &Arc<MemFs>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
    }

    #[test]
    fn shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Vfs>();
        assert_send_sync::<Resolved>();
    }

    #[test]
    fn mounts_have_their_own_dev_and_rel_paths() {
        let f = fixture();
        f.tmp.create_dir("x").unwrap();
        let r = f.vfs.resolve("/", "/tmp/x/y", true).unwrap();
        assert_eq!(
            (r.abs.as_str(), r.rel.as_str(), r.dev),
            ("/tmp/x/y", "x/y", 1)
        );
        assert!(same_fs(&r.fs, &f.tmp));

        let r = f.vfs.resolve("/", "/tmp", false).unwrap();
        assert_eq!((r.rel.as_str(), r.dev), ("", 1));
        assert!(same_fs(&r.fs, &f.tmp));

        let r = f.vfs.resolve("/", "/home/user", true).unwrap();
        assert_eq!((r.rel.as_str(), r.dev), ("home/user", 0));
        assert!(same_fs(&r.fs, &f.root));

        let r = f.vfs.resolve("/", "/", true).unwrap();
        assert_eq!((r.abs.as_str(), r.rel.as_str(), r.dev), ("/", "", 0));

        let other = Arc::new(MemFs::new());
        f.vfs.mount("/mnt/data", other.clone()).unwrap();
        let r = f.vfs.resolve("/", "/mnt/data/f", true).unwrap();
        assert_eq!((r.rel.as_str(), r.dev), ("f", 2));
        assert!(same_fs(&r.fs, &other));
    }

    #[test]
    fn mount_points_are_listed_and_chains_created() {
        let f = fixture();
        let names: Vec<_> = f
            .root
            .read_dir("")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["home", "tmp"]);
        // a nested mount creates its directory in the file system that contains it
        f.vfs.mount("/tmp/a/b", Arc::new(MemFs::new())).unwrap();
        assert_eq!(f.tmp.lstat("a/b").unwrap().kind, FileKind::Directory);
        assert!(f.root.lstat("tmp/a").is_err());
        assert_eq!(f.vfs.resolve("/", "/tmp/a/b/c", true).unwrap().dev, 2);
        assert_eq!(f.vfs.resolve("/", "/tmp/a/c", true).unwrap().dev, 1);

        f.root.write_file("file", b"").unwrap();
        assert_eq!(
            f.vfs.mount("/file/x", Arc::new(MemFs::new())),
            Err(FsError::NotADirectory)
        );
        assert_eq!(
            f.vfs.mount("rel", Arc::new(MemFs::new())),
            Err(FsError::InvalidInput)
        );
    }

    #[test]
    fn mounting_over_a_mount_point_replaces_it() {
        let f = fixture();
        f.vfs.write_file("/tmp/x", b"old").unwrap();
        let new = Arc::new(MemFs::new());
        new.write_file("x", b"new").unwrap();
        f.vfs.mount("/tmp/", new.clone()).unwrap();
        assert_eq!(f.vfs.read_file("/tmp/x").unwrap(), b"new");
        let r = f.vfs.resolve("/", "/tmp", true).unwrap();
        assert!(same_fs(&r.fs, &new));
        assert_eq!(r.dev, 2);
    }

    #[test]
    fn is_mount_point() {
        let f = fixture();
        f.vfs
            .mount("/home/user/mnt", Arc::new(MemFs::new()))
            .unwrap();
        assert!(f.vfs.is_mount_point("/"));
        assert!(f.vfs.is_mount_point("/tmp"));
        assert!(f.vfs.is_mount_point("/home/user/mnt"));
        assert!(!f.vfs.is_mount_point("/home/user"));
        assert!(!f.vfs.is_mount_point("/tmp/x"));
        assert!(!f.vfs.is_mount_point("/tm"));
    }

    #[test]
    fn relative_paths_dot_and_dotdot() {
        let f = fixture();
        let vfs = &f.vfs;
        f.root.create_dir("home/user/docs").unwrap();
        let r = vfs.resolve("/home/user", "docs/./a.txt", true).unwrap();
        assert_eq!(r.abs, "/home/user/docs/a.txt");
        assert_eq!(
            vfs.resolve("/home/user", ".", true).unwrap().abs,
            "/home/user"
        );
        assert_eq!(vfs.resolve("/home/user", "..", true).unwrap().abs, "/home");
        assert_eq!(
            vfs.resolve("/home/user", "../../../..", true).unwrap().abs,
            "/"
        );
        assert_eq!(abs(vfs, "/.."), "/");
        assert_eq!(abs(vfs, "//home///user/"), "/home/user");
        // ".." out of a mount lands back in the root fs
        let r = vfs.resolve("/tmp", "../home", true).unwrap();
        assert_eq!(
            (r.abs.as_str(), r.rel.as_str(), r.dev),
            ("/home", "home", 0)
        );
        let r = vfs.resolve("/", "/tmp/../tmp/q", true).unwrap();
        assert_eq!((r.rel.as_str(), r.dev), ("q", 1));
        // an absolute path ignores base
        assert_eq!(vfs.resolve("/tmp", "/home", true).unwrap().abs, "/home");
        assert_eq!(err(vfs, "relative", "x"), FsError::InvalidInput);
        assert_eq!(err(vfs, "/", ""), FsError::NotFound);
    }

    #[test]
    fn missing_and_non_directory_components() {
        let f = fixture();
        f.vfs.write_file("/home/user/f", b"").unwrap();
        // missing last: fine, returns the would-be path
        let r = f.vfs.resolve("/", "/home/user/new", true).unwrap();
        assert_eq!(
            (r.abs.as_str(), r.rel.as_str()),
            ("/home/user/new", "home/user/new")
        );
        assert_eq!(err(&f.vfs, "/", "/home/nobody/x"), FsError::NotFound);
        assert_eq!(err(&f.vfs, "/", "/home/user/f/x"), FsError::NotADirectory);
        // "missing/." and "missing/.." need "missing" to exist
        assert_eq!(err(&f.vfs, "/", "/home/nobody/."), FsError::NotFound);
        assert_eq!(err(&f.vfs, "/", "/home/nobody/.."), FsError::NotFound);
        assert_eq!(err(&f.vfs, "/", "/home/user/f/.."), FsError::NotADirectory);
    }

    #[test]
    fn trailing_slash_requires_a_directory() {
        let f = fixture();
        f.vfs.write_file("/home/user/f", b"").unwrap();
        f.root.symlink("/home/user", "home/link").unwrap();
        f.root.symlink("user/f", "home/flink").unwrap();
        assert_eq!(err(&f.vfs, "/", "/home/user/f/"), FsError::NotADirectory);
        assert_eq!(
            f.vfs.resolve("/", "/home/user/f/", false).unwrap_err(),
            FsError::NotADirectory
        );
        // a missing target with a trailing slash is fine (mkdir "new/")
        assert_eq!(abs(&f.vfs, "/home/user/new/"), "/home/user/new");
        assert_eq!(abs(&f.vfs, "/home/user/"), "/home/user");
        // a trailing slash follows a final symlink even when not asked to
        let r = f.vfs.resolve("/", "/home/link/", false).unwrap();
        assert_eq!(r.abs, "/home/user");
        let r = f.vfs.resolve("/", "/home/link", false).unwrap();
        assert_eq!(r.abs, "/home/link");
        assert_eq!(
            f.vfs.resolve("/", "/home/flink/", false).unwrap_err(),
            FsError::NotADirectory
        );
    }

    #[test]
    fn symlinks_absolute_relative_and_physical_dotdot() {
        let f = fixture();
        f.tmp.create_dir_all("sub/deep").unwrap();
        f.root.symlink("/tmp/sub", "home/user/abs").unwrap();
        f.root.symlink("../user/abs/deep", "home/user/rel").unwrap();
        f.vfs.write_file("/tmp/sub/deep/file", b"hi").unwrap();

        let r = f.vfs.resolve("/", "/home/user/abs/deep", true).unwrap();
        assert_eq!(
            (r.abs.as_str(), r.rel.as_str(), r.dev),
            ("/tmp/sub/deep", "sub/deep", 1)
        );
        assert_eq!(abs(&f.vfs, "/home/user/rel/file"), "/tmp/sub/deep/file");
        assert_eq!(f.vfs.read_file("/home/user/rel/file").unwrap(), b"hi");
        // ".." after a link is taken from where the link led, not from the link's parent
        assert_eq!(abs(&f.vfs, "/home/user/abs/.."), "/tmp");
        assert_eq!(abs(&f.vfs, "/home/user/rel/../.."), "/tmp");

        // not following the last component: the link itself
        let r = f.vfs.resolve("/", "/home/user/abs", false).unwrap();
        assert_eq!(
            (r.abs.as_str(), r.rel.as_str(), r.dev),
            ("/home/user/abs", "home/user/abs", 0)
        );
        assert_eq!(r.fs.lstat(&r.rel).unwrap().kind, FileKind::Symlink);
        // but intermediate links are always followed
        assert_eq!(
            f.vfs
                .resolve("/", "/home/user/abs/deep", false)
                .unwrap()
                .dev,
            1
        );

        // a dangling link resolves (when followed) to where its target would be created
        f.root
            .symlink("/tmp/newfile", "home/user/dangling")
            .unwrap();
        let r = f.vfs.resolve("/", "/home/user/dangling", true).unwrap();
        assert_eq!((r.abs.as_str(), r.dev), ("/tmp/newfile", 1));
        f.vfs.write_file("/home/user/dangling", b"made").unwrap();
        assert_eq!(f.vfs.read_file("/tmp/newfile").unwrap(), b"made");
    }

    #[test]
    fn symlink_loops_and_limit() {
        let f = fixture();
        f.root.symlink("b", "a").unwrap();
        f.root.symlink("a", "b").unwrap();
        f.root.symlink("self/x", "self").unwrap();
        assert_eq!(err(&f.vfs, "/", "/a"), FsError::Loop);
        assert_eq!(err(&f.vfs, "/", "/a/x"), FsError::Loop);
        assert_eq!(err(&f.vfs, "/", "/self"), FsError::Loop);
        // not following the last one: no loop to detect
        assert_eq!(f.vfs.resolve("/", "/a", false).unwrap().abs, "/a");

        // a chain of exactly 40 links resolves; 41 is a loop
        f.root.create_dir("chain").unwrap();
        f.root.write_file("chain/l0", b"end").unwrap();
        for i in 1..=41 {
            f.root
                .symlink(&format!("l{}", i - 1), &format!("chain/l{i}"))
                .unwrap();
        }
        assert_eq!(f.vfs.read_file("/chain/l40").unwrap(), b"end");
        assert_eq!(err(&f.vfs, "/", "/chain/l41"), FsError::Loop);
    }

    #[test]
    fn long_names_and_nul() {
        let f = fixture();
        let long = "n".repeat(256);
        assert_eq!(
            err(&f.vfs, "/", &format!("/tmp/{long}")),
            FsError::NameTooLong
        );
        assert_eq!(
            err(&f.vfs, "/", &format!("/{long}/x")),
            FsError::NameTooLong
        );
        assert!(f
            .vfs
            .resolve("/", &format!("/tmp/{}", "n".repeat(255)), true)
            .is_ok());
        assert_eq!(err(&f.vfs, "/", "/tmp/a\0b"), FsError::InvalidInput);
        assert_eq!(err(&f.vfs, "/tmp\0", "x"), FsError::InvalidInput);
    }

    #[test]
    fn cross_device_rename_and_link() {
        let f = fixture();
        f.vfs.write_file("/tmp/x", b"x").unwrap();
        let from = f.vfs.resolve("/", "/tmp/x", false).unwrap();
        let to = f.vfs.resolve("/", "/home/user/x", false).unwrap();
        assert_eq!(f.vfs.rename(&from, &to), Err(FsError::CrossDevice));
        assert_eq!(f.vfs.hard_link(&from, &to), Err(FsError::CrossDevice));
        assert!(f.vfs.read_file("/tmp/x").is_ok());

        let to = f.vfs.resolve("/", "/tmp/y", false).unwrap();
        f.vfs.hard_link(&from, &to).unwrap();
        assert_eq!(f.vfs.read_file("/tmp/y").unwrap(), b"x");
        let to = f.vfs.resolve("/", "/tmp/z", false).unwrap();
        f.vfs.rename(&from, &to).unwrap();
        assert_eq!(f.vfs.read_file("/tmp/z").unwrap(), b"x");
        assert_eq!(f.vfs.read_file("/tmp/x"), Err(FsError::NotFound));
    }

    #[test]
    fn mount_points_are_busy() {
        let f = fixture();
        f.vfs
            .mount("/home/user/mnt", Arc::new(MemFs::new()))
            .unwrap();
        let res = |p: &str| f.vfs.resolve("/", p, false).unwrap();
        assert_eq!(f.vfs.remove_dir(&res("/tmp")), Err(FsError::Busy));
        assert_eq!(f.vfs.remove_dir(&res("/")), Err(FsError::Busy));
        assert_eq!(
            f.vfs.rename(&res("/tmp"), &res("/tmp2")),
            Err(FsError::Busy)
        );
        f.root.create_dir("empty").unwrap();
        assert_eq!(
            f.vfs.rename(&res("/empty"), &res("/tmp")),
            Err(FsError::Busy)
        );
        // a directory holding a mount point cannot move either
        assert_eq!(
            f.vfs.rename(&res("/home"), &res("/home2")),
            Err(FsError::Busy)
        );
        // ...nor be removed: the mount point's directory is in it
        assert_eq!(
            f.vfs.remove_dir(&res("/home/user")),
            Err(FsError::DirectoryNotEmpty)
        );
        // ordinary directories are unaffected
        f.vfs.remove_dir(&res("/empty")).unwrap();
        assert_eq!(f.root.lstat("empty").err(), Some(FsError::NotFound));
        assert!(f.vfs.is_mount_point("/tmp"));
    }

    #[test]
    fn read_and_write_file_helpers() {
        let f = fixture();
        f.vfs.write_file("/home/user/a", b"first").unwrap();
        f.vfs.write_file("/home/user/a", b"2nd").unwrap();
        assert_eq!(f.vfs.read_file("/home/user/a").unwrap(), b"2nd");
        assert_eq!(
            f.vfs.read_file("/home/user/missing"),
            Err(FsError::NotFound)
        );
        assert_eq!(f.vfs.read_file("/home/user"), Err(FsError::IsADirectory));
        assert_eq!(f.vfs.write_file("/nodir/a", b""), Err(FsError::NotFound));
        let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        f.vfs.write_file("/tmp/big", big.as_slice()).unwrap();
        assert_eq!(f.vfs.read_file("/tmp/big").unwrap(), big);
    }

    #[test]
    fn bundle_mounted_read_only() {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("encodings/utf_8.py", opts).unwrap();
        w.write_all(b"# codec").unwrap();
        let bytes = w.finish().unwrap().into_inner();

        let f = fixture();
        f.vfs
            .mount("/usr/lib/python3", Arc::new(BundleFs::new(bytes).unwrap()))
            .unwrap();
        assert_eq!(
            f.vfs
                .read_file("/usr/lib/python3/encodings/utf_8.py")
                .unwrap(),
            b"# codec"
        );
        let r = f
            .vfs
            .resolve("/usr/lib", "python3/encodings", true)
            .unwrap();
        assert_eq!((r.rel.as_str(), r.dev), ("encodings", 2));
        assert_eq!(
            f.vfs.write_file("/usr/lib/python3/encodings/x.py", b""),
            Err(FsError::ReadOnly)
        );
        assert_eq!(
            f.root.lstat("usr/lib/python3").unwrap().kind,
            FileKind::Directory
        );
    }
}
