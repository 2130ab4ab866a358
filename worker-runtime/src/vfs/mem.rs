//! [`MemFs`]: the writable in-memory file system (`/home/user`, `/tmp`, anything Python creates).
//!
//! Shape: a tree of reference-counted inodes. A directory is a `BTreeMap` from name to child
//! (so listings come out sorted for free), a regular file a `Vec<u8>`, a symlink its target.
//! Open handles hold the inode's `Arc`, which is what keeps an unlinked file readable and
//! writable until its last handle goes away, exactly as POSIX wants.
//!
//! Locking, chosen for correctness first and then for the common case (many lookups and file
//! reads/writes, few namespace changes):
//! - one namespace `RwLock` over the shape of the tree: lookups take it shared, anything that
//!   adds, removes or moves a directory entry takes it exclusively. That makes multi-directory
//!   operations (rename, link) atomic without any lock-ordering scheme between directories.
//! - one `Mutex` per inode over its content and metadata. File I/O takes only that lock, never
//!   the namespace lock, so reads and writes on different files (or on an unlinked file) never
//!   wait for path operations. `append` is atomic because the length is read and extended
//!   under that one lock.
//!
//! Deadlock freedom: a thread holding an inode lock never waits for another lock, except the
//! namespace writer, which is alone in changing the tree; and the namespace lock is never taken
//! while holding an inode lock.

use super::{
    DirEntry, FileKind, FileSystem, FsError, FsResult, Metadata, OpenFile, OpenOptions, TimeChange,
};
use crate::clock::realtime_ns;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Longest name of one path component, in bytes (POSIX `NAME_MAX`).
const NAME_MAX: usize = 255;

/// A writable, thread-safe in-memory file system. See the module docs for its locking design.
pub struct MemFs {
    /// Guards the shape of the tree (the contents of every directory map). See module docs.
    ns: RwLock<()>,
    root: Arc<Node>,
    next_ino: AtomicU64,
}

struct Node {
    ino: u64,
    /// Immutable for the life of the inode, so listings need not lock every child.
    kind: FileKind,
    state: Mutex<State>,
}

struct State {
    atime_ns: u64,
    mtime_ns: u64,
    ctime_ns: u64,
    nlink: u64,
    content: Content,
}

enum Content {
    File(Vec<u8>),
    Dir(BTreeMap<String, Arc<Node>>),
    Symlink(String),
}

/// Locks an inode. A poisoned lock only means another thread panicked mid-operation; the data
/// is still memory-safe, and refusing all further I/O on that file would be worse.
fn lock(node: &Node) -> MutexGuard<'_, State> {
    node.state.lock().unwrap_or_else(|e| e.into_inner())
}

fn check_name(name: &str) -> FsResult<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('\0') {
        return Err(FsError::InvalidInput);
    }
    if name.len() > NAME_MAX {
        return Err(FsError::NameTooLong);
    }
    Ok(())
}

/// Splits `a/b/c` into (`a/b`, `c`); the name is validated, the parent path is not (the walk
/// validates it).
fn split_last(path: &str) -> FsResult<(&str, &str)> {
    let (dir, name) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    check_name(name)?;
    Ok((dir, name))
}

fn apply(change: TimeChange, slot: &mut u64, now: u64) {
    match change {
        TimeChange::Keep => {}
        TimeChange::Now => *slot = now,
        TimeChange::Set(t) => *slot = t,
    }
}

/// Resizes a file's bytes without aborting the process when the guest asks for more memory than
/// there is: on wasm32 a failed `memory.grow` becomes an error here instead of a trap.
fn resize(data: &mut Vec<u8>, len: u64) -> FsResult<()> {
    // There is no "file too large" error in the contract; a length the address space cannot
    // hold is an invalid argument, like a negative offset.
    let len = usize::try_from(len).map_err(|_| FsError::InvalidInput)?;
    if len > data.len() {
        data.try_reserve(len - data.len())
            .map_err(|_| FsError::Io)?;
    }
    data.resize(len, 0);
    Ok(())
}

impl Node {
    fn metadata(&self) -> Metadata {
        let st = lock(self);
        let size = match &st.content {
            Content::File(data) => data.len() as u64,
            // Like tmpfs, report something stable rather than a block size.
            Content::Dir(entries) => entries.len() as u64,
            Content::Symlink(target) => target.len() as u64,
        };
        Metadata {
            kind: self.kind,
            size,
            ino: self.ino,
            nlink: st.nlink,
            atime_ns: st.atime_ns,
            mtime_ns: st.mtime_ns,
            ctime_ns: st.ctime_ns,
        }
    }

    fn set_times(&self, atime: TimeChange, mtime: TimeChange) {
        if atime == TimeChange::Keep && mtime == TimeChange::Keep {
            return;
        }
        let now = realtime_ns();
        let mut st = lock(self);
        apply(atime, &mut st.atime_ns, now);
        apply(mtime, &mut st.mtime_ns, now);
        st.ctime_ns = now;
    }

    /// Records a change of this inode's metadata (link count, name).
    fn touch_ctime(&self, now: u64) {
        lock(self).ctime_ns = now;
    }
}

/// Marks a directory modified after one of its entries changed.
fn touch_dir(st: &mut State, now: u64) {
    st.mtime_ns = now;
    st.ctime_ns = now;
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// An empty file system: just the root directory.
    pub fn new() -> MemFs {
        let now = realtime_ns();
        let root = Arc::new(Node {
            ino: 1,
            kind: FileKind::Directory,
            state: Mutex::new(State {
                atime_ns: now,
                mtime_ns: now,
                ctime_ns: now,
                nlink: 2,
                content: Content::Dir(BTreeMap::new()),
            }),
        });
        MemFs {
            ns: RwLock::new(()),
            root,
            next_ino: AtomicU64::new(2),
        }
    }

    /// Seeding helper: writes `bytes` to `path` (relative to this file system's root; a leading
    /// `/` is tolerated), creating missing parent directories and truncating an existing file.
    pub fn write_file(&self, path: &str, bytes: &[u8]) -> FsResult<()> {
        let path = path.trim_matches('/');
        if let Some(i) = path.rfind('/') {
            self.create_dir_all(&path[..i])?;
        }
        let opts = OpenOptions {
            write: true,
            create: true,
            truncate: true,
            ..Default::default()
        };
        let file = self.open(path, opts)?;
        file.write_at(bytes, 0)?;
        Ok(())
    }

    /// Seeding helper: creates `path` and any missing parents (a leading `/` is tolerated).
    /// Existing directories are fine; an existing non-directory is `NotADirectory`.
    pub fn create_dir_all(&self, path: &str) -> FsResult<()> {
        let path = path.trim_matches('/');
        if path.is_empty() {
            return Ok(());
        }
        for (i, _) in path
            .match_indices('/')
            .chain(std::iter::once((path.len(), "")))
        {
            let prefix = &path[..i];
            match self.create_dir(prefix) {
                Ok(()) => {}
                Err(FsError::AlreadyExists) => {
                    if self.lstat(prefix)?.kind != FileKind::Directory {
                        return Err(FsError::NotADirectory);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn read_ns(&self) -> RwLockReadGuard<'_, ()> {
        self.ns.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_ns(&self) -> RwLockWriteGuard<'_, ()> {
        self.ns.write().unwrap_or_else(|e| e.into_inner())
    }

    fn new_node(&self, kind: FileKind, content: Content) -> Arc<Node> {
        let now = realtime_ns();
        let nlink = if kind == FileKind::Directory { 2 } else { 1 };
        Arc::new(Node {
            ino: self.next_ino.fetch_add(1, Ordering::Relaxed),
            kind,
            state: Mutex::new(State {
                atime_ns: now,
                mtime_ns: now,
                ctime_ns: now,
                nlink,
                content,
            }),
        })
    }

    /// Finds the inode at `path` without following anything. Caller holds the namespace lock
    /// (either way), which keeps the path stable for the whole walk.
    fn walk(&self, path: &str) -> FsResult<Arc<Node>> {
        let mut node = self.root.clone();
        if path.is_empty() {
            return Ok(node);
        }
        for name in path.split('/') {
            check_name(name)?;
            let next = match &lock(&node).content {
                Content::Dir(entries) => entries.get(name).cloned().ok_or(FsError::NotFound)?,
                // A symlink here means the caller did not resolve the path; files likewise.
                _ => return Err(FsError::NotADirectory),
            };
            node = next;
        }
        Ok(node)
    }

    /// The directory that holds `path`'s last component, and that component.
    fn walk_parent<'p>(&self, path: &'p str) -> FsResult<(Arc<Node>, &'p str)> {
        let (dir, name) = split_last(path)?;
        let parent = self.walk(dir)?;
        if parent.kind != FileKind::Directory {
            return Err(FsError::NotADirectory);
        }
        Ok((parent, name))
    }

    fn child(dir: &Node, name: &str) -> Option<Arc<Node>> {
        match &lock(dir).content {
            Content::Dir(entries) => entries.get(name).cloned(),
            _ => None,
        }
    }

    fn is_empty_dir(node: &Node) -> bool {
        matches!(&lock(node).content, Content::Dir(e) if e.is_empty())
    }

    /// Inserts a fresh node under `parent`; fails if the name is taken. Caller holds the
    /// namespace lock exclusively.
    fn insert_new(&self, parent: &Node, name: &str, node: Arc<Node>) -> FsResult<()> {
        let now = realtime_ns();
        let is_dir = node.kind == FileKind::Directory;
        let mut st = lock(parent);
        let Content::Dir(entries) = &mut st.content else {
            return Err(FsError::NotADirectory);
        };
        if entries.contains_key(name) {
            return Err(FsError::AlreadyExists);
        }
        entries.insert(name.to_owned(), node);
        if is_dir {
            st.nlink += 1;
        }
        touch_dir(&mut st, now);
        Ok(())
    }

    fn open_existing(node: Arc<Node>, opts: OpenOptions) -> FsResult<Arc<dyn OpenFile>> {
        if opts.create && opts.exclusive {
            return Err(FsError::AlreadyExists);
        }
        match node.kind {
            FileKind::Directory => return Err(FsError::IsADirectory),
            // The backend never follows the last component; opening a link itself is what
            // O_NOFOLLOW reports as ELOOP.
            FileKind::Symlink => return Err(FsError::Loop),
            FileKind::File => {}
        }
        if opts.truncate {
            let now = realtime_ns();
            let mut st = lock(&node);
            if let Content::File(data) = &mut st.content {
                data.clear();
                data.shrink_to_fit();
            }
            st.mtime_ns = now;
            st.ctime_ns = now;
        }
        Ok(Arc::new(MemFile {
            node,
            read: opts.read,
            write: opts.write,
        }))
    }
}

impl FileSystem for MemFs {
    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        let _ns = self.read_ns();
        Ok(self.walk(path)?.metadata())
    }

    fn open(&self, path: &str, opts: OpenOptions) -> FsResult<Arc<dyn OpenFile>> {
        if opts.truncate && !opts.write {
            return Err(FsError::InvalidInput);
        }
        {
            // Fast path: the file exists, so only a shared lookup is needed.
            let _ns = self.read_ns();
            match self.walk(path) {
                Ok(node) => return Self::open_existing(node, opts),
                Err(FsError::NotFound) if opts.create => {}
                Err(e) => return Err(e),
            }
        }
        if path.is_empty() {
            return Err(FsError::IsADirectory);
        }
        let _ns = self.write_ns();
        let (parent, name) = self.walk_parent(path)?;
        // Someone may have created it between the two locks.
        if let Some(node) = Self::child(&parent, name) {
            return Self::open_existing(node, opts);
        }
        let node = self.new_node(FileKind::File, Content::File(Vec::new()));
        self.insert_new(&parent, name, node.clone())?;
        Ok(Arc::new(MemFile {
            node,
            read: opts.read,
            write: opts.write,
        }))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let _ns = self.read_ns();
        let node = self.walk(path)?;
        let now = realtime_ns();
        let mut st = lock(&node);
        st.atime_ns = now;
        let Content::Dir(entries) = &st.content else {
            return Err(FsError::NotADirectory);
        };
        Ok(entries
            .iter()
            .map(|(name, child)| DirEntry {
                name: name.clone(),
                kind: child.kind,
                ino: child.ino,
            })
            .collect())
    }

    fn create_dir(&self, path: &str) -> FsResult<()> {
        if path.is_empty() {
            return Err(FsError::AlreadyExists);
        }
        let _ns = self.write_ns();
        let (parent, name) = self.walk_parent(path)?;
        let node = self.new_node(FileKind::Directory, Content::Dir(BTreeMap::new()));
        self.insert_new(&parent, name, node)
    }

    fn remove_dir(&self, path: &str) -> FsResult<()> {
        if path.is_empty() {
            return Err(FsError::Busy);
        }
        let _ns = self.write_ns();
        let (parent, name) = self.walk_parent(path)?;
        let node = Self::child(&parent, name).ok_or(FsError::NotFound)?;
        if node.kind != FileKind::Directory {
            return Err(FsError::NotADirectory);
        }
        if !Self::is_empty_dir(&node) {
            return Err(FsError::DirectoryNotEmpty);
        }
        let now = realtime_ns();
        {
            let mut st = lock(&parent);
            if let Content::Dir(entries) = &mut st.content {
                entries.remove(name);
            }
            st.nlink = st.nlink.saturating_sub(1);
            touch_dir(&mut st, now);
        }
        let mut st = lock(&node);
        st.nlink = 0;
        st.ctime_ns = now;
        Ok(())
    }

    fn unlink(&self, path: &str) -> FsResult<()> {
        if path.is_empty() {
            return Err(FsError::IsADirectory);
        }
        let _ns = self.write_ns();
        let (parent, name) = self.walk_parent(path)?;
        let node = Self::child(&parent, name).ok_or(FsError::NotFound)?;
        if node.kind == FileKind::Directory {
            return Err(FsError::IsADirectory);
        }
        let now = realtime_ns();
        {
            let mut st = lock(&parent);
            if let Content::Dir(entries) = &mut st.content {
                entries.remove(name);
            }
            touch_dir(&mut st, now);
        }
        let mut st = lock(&node);
        st.nlink = st.nlink.saturating_sub(1);
        st.ctime_ns = now;
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> FsResult<()> {
        if from.is_empty() || to.is_empty() {
            return Err(FsError::Busy);
        }
        let _ns = self.write_ns();
        let (src_parent, src_name) = self.walk_parent(from)?;
        let src = Self::child(&src_parent, src_name).ok_or(FsError::NotFound)?;
        if from == to {
            return Ok(());
        }
        // Paths are canonical within this file system, so "inside its own subtree" is a prefix
        // test. (The reverse, `to` an ancestor of `from`, fails below as a non-empty target.)
        if to.len() > from.len() && to.starts_with(from) && to.as_bytes()[from.len()] == b'/' {
            return Err(FsError::InvalidInput);
        }
        let (dst_parent, dst_name) = self.walk_parent(to)?;
        let src_is_dir = src.kind == FileKind::Directory;
        let replaced = Self::child(&dst_parent, dst_name);
        if let Some(dst) = &replaced {
            // Two names for one inode: POSIX says do nothing.
            if Arc::ptr_eq(dst, &src) {
                return Ok(());
            }
            match (src_is_dir, dst.kind == FileKind::Directory) {
                (true, false) => return Err(FsError::NotADirectory),
                (false, true) => return Err(FsError::IsADirectory),
                (true, true) if !Self::is_empty_dir(dst) => return Err(FsError::DirectoryNotEmpty),
                _ => {}
            }
        }

        // Everything is checked; now mutate. Inode locks are taken one at a time because the
        // two parents may be the same directory.
        let now = realtime_ns();
        let same_parent = Arc::ptr_eq(&src_parent, &dst_parent);
        {
            let mut st = lock(&src_parent);
            if let Content::Dir(entries) = &mut st.content {
                entries.remove(src_name);
            }
            if src_is_dir && !same_parent {
                st.nlink = st.nlink.saturating_sub(1);
            }
            touch_dir(&mut st, now);
        }
        {
            let mut st = lock(&dst_parent);
            if let Content::Dir(entries) = &mut st.content {
                entries.insert(dst_name.to_owned(), src.clone());
            }
            if src_is_dir && !same_parent {
                st.nlink += 1;
            }
            if replaced
                .as_ref()
                .is_some_and(|d| d.kind == FileKind::Directory)
            {
                st.nlink = st.nlink.saturating_sub(1);
            }
            touch_dir(&mut st, now);
        }
        if let Some(dst) = replaced {
            let mut st = lock(&dst);
            st.nlink = if dst.kind == FileKind::Directory {
                0
            } else {
                st.nlink.saturating_sub(1)
            };
            st.ctime_ns = now;
        }
        src.touch_ctime(now);
        Ok(())
    }

    fn symlink(&self, target: &str, path: &str) -> FsResult<()> {
        if target.contains('\0') {
            return Err(FsError::InvalidInput);
        }
        // Linux refuses empty targets with ENOENT.
        if target.is_empty() {
            return Err(FsError::NotFound);
        }
        if path.is_empty() {
            return Err(FsError::AlreadyExists);
        }
        let _ns = self.write_ns();
        let (parent, name) = self.walk_parent(path)?;
        let node = self.new_node(FileKind::Symlink, Content::Symlink(target.to_owned()));
        self.insert_new(&parent, name, node)
    }

    fn read_link(&self, path: &str) -> FsResult<String> {
        let _ns = self.read_ns();
        let node = self.walk(path)?;
        let st = lock(&node);
        match &st.content {
            Content::Symlink(target) => Ok(target.clone()),
            _ => Err(FsError::InvalidInput),
        }
    }

    fn hard_link(&self, from: &str, to: &str) -> FsResult<()> {
        if from.is_empty() {
            return Err(FsError::PermissionDenied);
        }
        if to.is_empty() {
            return Err(FsError::AlreadyExists);
        }
        let _ns = self.write_ns();
        let src = self.walk(from)?;
        // POSIX: EPERM for directories.
        if src.kind == FileKind::Directory {
            return Err(FsError::PermissionDenied);
        }
        let (parent, name) = self.walk_parent(to)?;
        self.insert_new(&parent, name, src.clone())?;
        let now = realtime_ns();
        let mut st = lock(&src);
        st.nlink += 1;
        st.ctime_ns = now;
        Ok(())
    }

    fn set_times(&self, path: &str, atime: TimeChange, mtime: TimeChange) -> FsResult<()> {
        let _ns = self.read_ns();
        self.walk(path)?.set_times(atime, mtime);
        Ok(())
    }
}

/// An open regular file of a [`MemFs`]. Access mode is checked here as a backstop; the fd layer
/// checks rights first.
struct MemFile {
    node: Arc<Node>,
    read: bool,
    write: bool,
}

impl MemFile {
    fn check_write(&self) -> FsResult<()> {
        if self.write {
            Ok(())
        } else {
            Err(FsError::PermissionDenied)
        }
    }
}

impl OpenFile for MemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> FsResult<usize> {
        if !self.read {
            return Err(FsError::PermissionDenied);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let now = realtime_ns();
        let mut st = lock(&self.node);
        st.atime_ns = now;
        let Content::File(data) = &st.content else {
            return Err(FsError::IsADirectory);
        };
        let start = match usize::try_from(offset) {
            Ok(o) if o < data.len() => o,
            _ => return Ok(0),
        };
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, data: &[u8], offset: u64) -> FsResult<usize> {
        self.check_write()?;
        if data.is_empty() {
            return Ok(0);
        }
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or(FsError::InvalidInput)?;
        let now = realtime_ns();
        let mut st = lock(&self.node);
        let Content::File(bytes) = &mut st.content else {
            return Err(FsError::IsADirectory);
        };
        if end > bytes.len() as u64 {
            resize(bytes, end)?;
        }
        // Both fit in usize now: `end` does, since the vector is at least that long.
        let start = offset as usize;
        bytes[start..start + data.len()].copy_from_slice(data);
        st.mtime_ns = now;
        st.ctime_ns = now;
        Ok(data.len())
    }

    fn append(&self, data: &[u8]) -> FsResult<u64> {
        self.check_write()?;
        let now = realtime_ns();
        let mut st = lock(&self.node);
        let Content::File(bytes) = &mut st.content else {
            return Err(FsError::IsADirectory);
        };
        if data.is_empty() {
            return Ok(bytes.len() as u64);
        }
        bytes.try_reserve(data.len()).map_err(|_| FsError::Io)?;
        bytes.extend_from_slice(data);
        let len = bytes.len() as u64;
        st.mtime_ns = now;
        st.ctime_ns = now;
        Ok(len)
    }

    fn metadata(&self) -> FsResult<Metadata> {
        Ok(self.node.metadata())
    }

    fn set_len(&self, len: u64) -> FsResult<()> {
        self.check_write()?;
        let now = realtime_ns();
        let mut st = lock(&self.node);
        let Content::File(bytes) = &mut st.content else {
            return Err(FsError::IsADirectory);
        };
        resize(bytes, len)?;
        if (len as usize) < bytes.capacity() / 2 {
            bytes.shrink_to_fit();
        }
        st.mtime_ns = now;
        st.ctime_ns = now;
        Ok(())
    }

    fn set_times(&self, atime: TimeChange, mtime: TimeChange) -> FsResult<()> {
        self.node.set_times(atime, mtime);
        Ok(())
    }

    fn replace(&self, data: Vec<u8>) -> FsResult<()> {
        self.check_write()?;
        let now = realtime_ns();
        let mut st = lock(&self.node);
        let Content::File(bytes) = &mut st.content else {
            return Err(FsError::IsADirectory);
        };
        *bytes = data;
        st.mtime_ns = now;
        st.ctime_ns = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RW: OpenOptions = OpenOptions {
        read: true,
        write: true,
        create: false,
        exclusive: false,
        truncate: false,
    };
    const CREATE: OpenOptions = OpenOptions {
        read: true,
        write: true,
        create: true,
        exclusive: false,
        truncate: false,
    };
    const RO: OpenOptions = OpenOptions::READ;

    fn read_all(f: &dyn OpenFile) -> Vec<u8> {
        let mut out = vec![0; f.metadata().unwrap().size as usize];
        let n = f.read_at(&mut out, 0).unwrap();
        out.truncate(n);
        out
    }

    fn names(fs: &MemFs, dir: &str) -> Vec<String> {
        fs.read_dir(dir)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    /// A time far in the past, so "the operation moved this timestamp" is unambiguous even
    /// with a coarse clock.
    const OLD: u64 = 1_000_000_000;

    fn age(fs: &MemFs, path: &str) {
        fs.set_times(path, TimeChange::Set(OLD), TimeChange::Set(OLD))
            .unwrap();
    }

    #[test]
    fn open_create_exclusive_truncate() {
        let fs = MemFs::new();
        assert_eq!(fs.open("a", RW).err(), Some(FsError::NotFound));
        let f = fs.open("a", CREATE).unwrap();
        f.write_at(b"hello", 0).unwrap();
        assert_eq!(fs.lstat("a").unwrap().kind, FileKind::File);

        // create without exclusive opens the existing file untouched
        let g = fs.open("a", CREATE).unwrap();
        assert_eq!(read_all(&*g), b"hello");

        let excl = OpenOptions {
            exclusive: true,
            ..CREATE
        };
        assert_eq!(fs.open("a", excl).err(), Some(FsError::AlreadyExists));
        assert!(fs.open("b", excl).is_ok());

        let trunc = OpenOptions {
            truncate: true,
            ..RW
        };
        fs.open("a", trunc).unwrap();
        assert_eq!(fs.lstat("a").unwrap().size, 0);
        // the earlier handle sees the truncation: same inode
        assert_eq!(f.metadata().unwrap().size, 0);

        // truncate needs write
        let bad = OpenOptions {
            truncate: true,
            ..RO
        };
        assert_eq!(fs.open("a", bad).err(), Some(FsError::InvalidInput));

        fs.create_dir("d").unwrap();
        assert_eq!(fs.open("d", RW).err(), Some(FsError::IsADirectory));
        assert_eq!(fs.open("", RW).err(), Some(FsError::IsADirectory));
        assert_eq!(fs.open("nodir/x", CREATE).err(), Some(FsError::NotFound));
        assert_eq!(fs.open("a/x", CREATE).err(), Some(FsError::NotADirectory));
    }

    #[test]
    fn handle_access_mode_is_enforced() {
        let fs = MemFs::new();
        fs.write_file("f", b"abc").unwrap();
        let ro = fs.open("f", RO).unwrap();
        assert_eq!(ro.write_at(b"x", 0), Err(FsError::PermissionDenied));
        assert_eq!(ro.append(b"x"), Err(FsError::PermissionDenied));
        assert_eq!(ro.set_len(0), Err(FsError::PermissionDenied));
        let wo = fs
            .open(
                "f",
                OpenOptions {
                    write: true,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(wo.read_at(&mut [0; 3], 0), Err(FsError::PermissionDenied));
    }

    #[test]
    fn read_write_at_offsets_and_past_eof() {
        let fs = MemFs::new();
        let f = fs.open("f", CREATE).unwrap();
        assert_eq!(f.write_at(b"abc", 0).unwrap(), 3);
        assert_eq!(f.write_at(b"XY", 1).unwrap(), 2);
        assert_eq!(read_all(&*f), b"aXY");
        // past EOF: the gap is zero-filled
        assert_eq!(f.write_at(b"z", 6).unwrap(), 1);
        assert_eq!(read_all(&*f), b"aXY\0\0\0z");

        let mut buf = [0u8; 4];
        assert_eq!(f.read_at(&mut buf, 5).unwrap(), 2);
        assert_eq!(&buf[..2], b"\0z");
        assert_eq!(f.read_at(&mut buf, 7).unwrap(), 0);
        assert_eq!(f.read_at(&mut buf, u64::MAX).unwrap(), 0);
        assert_eq!(f.write_at(b"x", u64::MAX), Err(FsError::InvalidInput));
    }

    #[test]
    fn append_returns_new_size_and_is_atomic() {
        let fs = Arc::new(MemFs::new());
        let f = fs.open("log", CREATE).unwrap();
        assert_eq!(f.append(b"ab").unwrap(), 2);
        assert_eq!(f.append(b"cde").unwrap(), 5);
        assert_eq!(read_all(&*f), b"abcde");

        f.set_len(0).unwrap();
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                let f = fs.open("log", RW).unwrap();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        f.append(&[b'a' + t; 8]).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let data = read_all(&*f);
        assert_eq!(data.len(), 4 * 200 * 8);
        // no record was torn or overwritten
        for chunk in data.chunks(8) {
            assert!(
                chunk.iter().all(|&b| b == chunk[0]),
                "torn append: {chunk:?}"
            );
        }
    }

    #[test]
    fn concurrent_namespace_changes_and_lookups() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MemFs>();

        let fs = Arc::new(MemFs::new());
        fs.create_dir_all("shared").unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let fs = fs.clone();
                std::thread::spawn(move || {
                    let mine = format!("t{t}");
                    fs.create_dir(&mine).unwrap();
                    for i in 0..100 {
                        let a = format!("{mine}/f{i}");
                        fs.write_file(&a, b"x").unwrap();
                        let b = format!("shared/{mine}-{i}");
                        fs.rename(&a, &b).unwrap();
                        // another thread's rename may be mid-way: only stability matters here
                        let _ = fs.read_dir("shared").unwrap();
                        let f = fs.open(&b, RW).unwrap();
                        f.append(b"y").unwrap();
                        fs.rename(&b, &a).unwrap();
                        assert_eq!(read_all(&*f), b"xy");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(names(&fs, "shared").is_empty());
        assert_eq!(names(&fs, "t3").len(), 100);
        assert_eq!(fs.lstat("").unwrap().nlink, 2 + 5);
    }

    #[test]
    fn set_len_grows_with_zeros_and_shrinks() {
        let fs = MemFs::new();
        let f = fs.open("f", CREATE).unwrap();
        f.write_at(b"hello", 0).unwrap();
        f.set_len(2).unwrap();
        assert_eq!(read_all(&*f), b"he");
        f.set_len(4).unwrap();
        assert_eq!(read_all(&*f), b"he\0\0");
        assert_eq!(fs.lstat("f").unwrap().size, 4);
    }

    #[test]
    fn replace_adopts_the_buffer_and_needs_write_access() {
        let fs = MemFs::new();
        fs.write_file("f", b"a longer old content").unwrap();
        let data = b"new".to_vec();
        let at = data.as_ptr();
        let f = fs.open("f", RW).unwrap();
        f.replace(data).unwrap();
        assert_eq!(read_all(&*f), b"new");
        // the same allocation, not a copy
        let node = fs.walk("f").unwrap();
        let st = lock(&node);
        let Content::File(bytes) = &st.content else {
            panic!("not a file")
        };
        assert_eq!(bytes.as_ptr(), at);
        drop(st);
        let ro = fs.open("f", RO).unwrap();
        assert_eq!(ro.replace(b"x".to_vec()), Err(FsError::PermissionDenied));
    }

    #[test]
    fn unlinked_file_stays_usable_through_handle() {
        let fs = MemFs::new();
        fs.write_file("f", b"data").unwrap();
        let f = fs.open("f", RW).unwrap();
        fs.unlink("f").unwrap();
        assert_eq!(fs.lstat("f").err(), Some(FsError::NotFound));
        assert!(names(&fs, "").is_empty());
        f.write_at(b"more", 4).unwrap();
        assert_eq!(read_all(&*f), b"datamore");
        assert_eq!(f.metadata().unwrap().nlink, 0);
        // the name is free again, and is a different file
        fs.write_file("f", b"new").unwrap();
        assert_eq!(read_all(&*f), b"datamore");
        assert_ne!(fs.lstat("f").unwrap().ino, f.metadata().unwrap().ino);
    }

    #[test]
    fn unlink_and_remove_dir_errors() {
        let fs = MemFs::new();
        fs.create_dir_all("d/sub").unwrap();
        fs.write_file("f", b"").unwrap();
        assert_eq!(fs.unlink("d"), Err(FsError::IsADirectory));
        assert_eq!(fs.unlink("nope"), Err(FsError::NotFound));
        assert_eq!(fs.remove_dir("f"), Err(FsError::NotADirectory));
        assert_eq!(fs.remove_dir("d"), Err(FsError::DirectoryNotEmpty));
        assert_eq!(fs.remove_dir(""), Err(FsError::Busy));
        fs.remove_dir("d/sub").unwrap();
        fs.remove_dir("d").unwrap();
        assert_eq!(names(&fs, ""), ["f"]);
        assert_eq!(fs.create_dir("f"), Err(FsError::AlreadyExists));
        assert_eq!(fs.create_dir("f/x"), Err(FsError::NotADirectory));
    }

    #[test]
    fn read_dir_is_sorted_with_kinds_and_inos() {
        let fs = MemFs::new();
        for name in ["zeta", "alpha", "Mid", "beta"] {
            fs.write_file(name, b"").unwrap();
        }
        fs.create_dir("dir").unwrap();
        fs.symlink("alpha", "link").unwrap();
        let entries = fs.read_dir("").unwrap();
        let got: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(got, ["Mid", "alpha", "beta", "dir", "link", "zeta"]);
        let dir = entries.iter().find(|e| e.name == "dir").unwrap();
        assert_eq!(dir.kind, FileKind::Directory);
        assert_eq!(dir.ino, fs.lstat("dir").unwrap().ino);
        assert_eq!(
            entries.iter().find(|e| e.name == "link").unwrap().kind,
            FileKind::Symlink
        );
        assert_eq!(fs.read_dir("alpha").err(), Some(FsError::NotADirectory));
        assert_eq!(fs.read_dir("missing").err(), Some(FsError::NotFound));
    }

    #[test]
    fn inode_numbers_are_unique() {
        let fs = MemFs::new();
        fs.create_dir("d").unwrap();
        fs.write_file("d/a", b"").unwrap();
        fs.write_file("b", b"").unwrap();
        let inos = ["", "d", "d/a", "b"].map(|p| fs.lstat(p).unwrap().ino);
        let mut sorted = inos.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "{inos:?}");
    }

    #[test]
    fn rename_files_and_dirs() {
        let fs = MemFs::new();
        fs.write_file("a", b"A").unwrap();
        fs.write_file("b", b"B").unwrap();
        let b_handle = fs.open("b", RO).unwrap();
        let a_ino = fs.lstat("a").unwrap().ino;

        // file over file replaces; the old target lives on in its handle
        fs.rename("a", "b").unwrap();
        assert_eq!(fs.lstat("a").err(), Some(FsError::NotFound));
        assert_eq!(fs.lstat("b").unwrap().ino, a_ino);
        assert_eq!(read_all(&*fs.open("b", RO).unwrap()), b"A");
        assert_eq!(read_all(&*b_handle), b"B");
        assert_eq!(b_handle.metadata().unwrap().nlink, 0);

        // to itself: no-op (but the source must exist)
        fs.rename("b", "b").unwrap();
        assert_eq!(fs.lstat("b").unwrap().ino, a_ino);
        assert_eq!(fs.rename("zz", "zz"), Err(FsError::NotFound));

        fs.create_dir_all("d1/inner").unwrap();
        fs.create_dir("empty").unwrap();
        fs.create_dir("full").unwrap();
        fs.write_file("full/x", b"").unwrap();

        assert_eq!(fs.rename("b", "empty"), Err(FsError::IsADirectory));
        assert_eq!(fs.rename("empty", "b"), Err(FsError::NotADirectory));
        assert_eq!(fs.rename("d1", "full"), Err(FsError::DirectoryNotEmpty));
        assert_eq!(fs.rename("d1", "d1/inner/x"), Err(FsError::InvalidInput));
        assert_eq!(fs.rename("d1", "d1/new"), Err(FsError::InvalidInput));
        // a sibling whose name merely starts with the source's is not inside it
        fs.rename("d1", "d1x").unwrap();
        fs.rename("d1x", "d1").unwrap();
        // a directory onto its own ancestor: the target is not empty
        assert_eq!(fs.rename("d1/inner", "d1"), Err(FsError::DirectoryNotEmpty));
        assert_eq!(fs.rename("missing", "q"), Err(FsError::NotFound));
        assert_eq!(fs.rename("b", "nodir/q"), Err(FsError::NotFound));

        // dir over empty dir replaces it, contents move with it
        fs.rename("d1", "empty").unwrap();
        assert_eq!(names(&fs, "empty"), ["inner"]);
        assert_eq!(fs.lstat("d1").err(), Some(FsError::NotFound));

        // across directories
        fs.rename("b", "empty/inner/moved").unwrap();
        assert_eq!(read_all(&*fs.open("empty/inner/moved", RO).unwrap()), b"A");
        assert_eq!(names(&fs, ""), ["empty", "full"]);
    }

    #[test]
    fn rename_over_hard_link_of_same_inode_is_noop() {
        let fs = MemFs::new();
        fs.write_file("a", b"x").unwrap();
        fs.hard_link("a", "b").unwrap();
        fs.rename("a", "b").unwrap();
        assert_eq!(names(&fs, ""), ["a", "b"]);
        assert_eq!(fs.lstat("a").unwrap().nlink, 2);
    }

    #[test]
    fn nlink_counts_for_dirs_and_hard_links() {
        let fs = MemFs::new();
        assert_eq!(fs.lstat("").unwrap().nlink, 2);
        fs.create_dir("a").unwrap();
        fs.create_dir("b").unwrap();
        fs.create_dir("a/c").unwrap();
        assert_eq!(fs.lstat("").unwrap().nlink, 4);
        assert_eq!(fs.lstat("a").unwrap().nlink, 3);
        // moving a subdirectory moves its ".." link
        fs.rename("a/c", "b/c").unwrap();
        assert_eq!(fs.lstat("a").unwrap().nlink, 2);
        assert_eq!(fs.lstat("b").unwrap().nlink, 3);
        // replacing an empty dir drops its link from the parent
        fs.create_dir("b/d").unwrap();
        assert_eq!(fs.lstat("b").unwrap().nlink, 4);
        fs.rename("b/c", "b/d").unwrap();
        assert_eq!(fs.lstat("b").unwrap().nlink, 3);
        fs.remove_dir("b/d").unwrap();
        assert_eq!(fs.lstat("b").unwrap().nlink, 2);

        fs.write_file("f", b"shared").unwrap();
        fs.hard_link("f", "a/g").unwrap();
        assert_eq!(fs.lstat("f").unwrap().nlink, 2);
        assert_eq!(fs.lstat("f").unwrap().ino, fs.lstat("a/g").unwrap().ino);
        // writes through one name are visible through the other
        fs.open("a/g", RW).unwrap().write_at(b"S", 0).unwrap();
        assert_eq!(read_all(&*fs.open("f", RO).unwrap()), b"Shared");
        fs.unlink("f").unwrap();
        assert_eq!(fs.lstat("a/g").unwrap().nlink, 1);

        assert_eq!(fs.hard_link("a", "x"), Err(FsError::PermissionDenied));
        assert_eq!(fs.hard_link("a/g", "b"), Err(FsError::AlreadyExists));
        assert_eq!(fs.hard_link("missing", "x"), Err(FsError::NotFound));
    }

    #[test]
    fn timestamps_move() {
        let fs = MemFs::new();
        fs.create_dir("d").unwrap();
        fs.write_file("d/f", b"x").unwrap();

        // write: file mtime+ctime
        age(&fs, "d/f");
        let f = fs.open("d/f", RW).unwrap();
        f.write_at(b"y", 0).unwrap();
        let m = fs.lstat("d/f").unwrap();
        assert!(m.mtime_ns > OLD && m.ctime_ns > OLD);
        assert_eq!(m.atime_ns, OLD);

        // read: atime only
        age(&fs, "d/f");
        let before = fs.lstat("d/f").unwrap();
        f.read_at(&mut [0; 1], 0).unwrap();
        let m = fs.lstat("d/f").unwrap();
        assert!(m.atime_ns > OLD);
        assert_eq!(m.mtime_ns, OLD);
        assert_eq!(m.ctime_ns, before.ctime_ns);

        // truncate via set_len
        age(&fs, "d/f");
        f.set_len(0).unwrap();
        assert!(fs.lstat("d/f").unwrap().mtime_ns > OLD);

        // entry changes: directory mtime; link count change: file ctime
        age(&fs, "d");
        fs.hard_link("d/f", "d/g").unwrap();
        assert!(fs.lstat("d").unwrap().mtime_ns > OLD);
        // set_times itself sets ctime to now, so age ctime by comparing with a fresh stat
        age(&fs, "d/f");
        let c0 = fs.lstat("d/f").unwrap().ctime_ns;
        std::thread::sleep(std::time::Duration::from_millis(2));
        fs.unlink("d/g").unwrap();
        assert!(fs.lstat("d/f").unwrap().ctime_ns > c0);
        let c1 = fs.lstat("d/f").unwrap().ctime_ns;
        std::thread::sleep(std::time::Duration::from_millis(2));
        fs.rename("d/f", "d/h").unwrap();
        let m = fs.lstat("d/h").unwrap();
        assert!(m.ctime_ns > c1);
        assert_eq!(m.mtime_ns, OLD, "rename must not change the file's mtime");

        age(&fs, "d");
        fs.create_dir("d/e").unwrap();
        assert!(fs.lstat("d").unwrap().mtime_ns > OLD);
        age(&fs, "d");
        fs.remove_dir("d/e").unwrap();
        assert!(fs.lstat("d").unwrap().mtime_ns > OLD);
    }

    #[test]
    fn set_times_now_set_keep() {
        let fs = MemFs::new();
        fs.write_file("f", b"").unwrap();
        fs.set_times("f", TimeChange::Set(5), TimeChange::Set(7))
            .unwrap();
        let m = fs.lstat("f").unwrap();
        assert_eq!((m.atime_ns, m.mtime_ns), (5, 7));
        fs.set_times("f", TimeChange::Keep, TimeChange::Now)
            .unwrap();
        let m = fs.lstat("f").unwrap();
        assert_eq!(m.atime_ns, 5);
        assert!(m.mtime_ns > 7);
        let f = fs.open("f", RO).unwrap();
        f.set_times(TimeChange::Set(11), TimeChange::Keep).unwrap();
        let m = fs.lstat("f").unwrap();
        assert_eq!(m.atime_ns, 11);
        assert!(m.mtime_ns > 7);
        assert_eq!(
            fs.set_times("nope", TimeChange::Now, TimeChange::Now),
            Err(FsError::NotFound)
        );
    }

    #[test]
    fn symlinks_are_not_followed_by_the_backend() {
        let fs = MemFs::new();
        fs.write_file("target", b"t").unwrap();
        fs.symlink("target", "link").unwrap();
        fs.symlink("../some/where", "dangling").unwrap();
        let m = fs.lstat("link").unwrap();
        assert_eq!(m.kind, FileKind::Symlink);
        assert_eq!(m.size, 6);
        assert_eq!(fs.read_link("link").unwrap(), "target");
        assert_eq!(fs.read_link("dangling").unwrap(), "../some/where");
        assert_eq!(fs.read_link("target"), Err(FsError::InvalidInput));
        assert_eq!(fs.symlink("x", "link"), Err(FsError::AlreadyExists));
        assert_eq!(fs.symlink("", "empty"), Err(FsError::NotFound));
        assert_eq!(fs.open("link", RO).err(), Some(FsError::Loop));
        // unlink removes the link, not its target
        fs.unlink("link").unwrap();
        assert!(fs.lstat("target").is_ok());
    }

    #[test]
    fn long_names_are_refused() {
        let fs = MemFs::new();
        let long = "x".repeat(256);
        let ok = "y".repeat(255);
        assert_eq!(fs.create_dir(&long), Err(FsError::NameTooLong));
        assert_eq!(fs.open(&long, CREATE).err(), Some(FsError::NameTooLong));
        assert_eq!(fs.symlink("t", &long), Err(FsError::NameTooLong));
        fs.write_file(&ok, b"").unwrap();
        assert_eq!(fs.rename(&ok, &long), Err(FsError::NameTooLong));
        assert_eq!(fs.lstat(&long).err(), Some(FsError::NameTooLong));
        assert!(fs.lstat(&ok).is_ok());
    }

    #[test]
    fn seeding_helpers() {
        let fs = MemFs::new();
        fs.create_dir_all("/home/user/").unwrap();
        fs.create_dir_all("home/user").unwrap();
        fs.write_file("/tmp/deep/file.txt", b"seed").unwrap();
        assert_eq!(
            read_all(&*fs.open("tmp/deep/file.txt", RO).unwrap()),
            b"seed"
        );
        fs.write_file("tmp/deep/file.txt", b"s").unwrap();
        assert_eq!(read_all(&*fs.open("tmp/deep/file.txt", RO).unwrap()), b"s");
        assert_eq!(names(&fs, ""), ["home", "tmp"]);
        assert_eq!(
            fs.create_dir_all("tmp/deep/file.txt/x"),
            Err(FsError::NotADirectory)
        );
    }

    #[test]
    fn malformed_backend_paths_are_invalid() {
        let fs = MemFs::new();
        fs.create_dir("d").unwrap();
        assert_eq!(fs.lstat("d/").err(), Some(FsError::InvalidInput));
        assert_eq!(fs.lstat("d/../d").err(), Some(FsError::InvalidInput));
        assert_eq!(fs.create_dir("a\0b"), Err(FsError::InvalidInput));
    }
}
