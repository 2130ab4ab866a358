//! The wasm-bindgen surface that `js/worker.mjs` uses. Only glue lives here: guest memory as
//! a JS view, the [`Host`] for a worker, the JS-backed host-directory file system, and one
//! exported method per syscall, generated from the one list in `syscalls!`.
//!
//! The runtime's own parallel jobs (`archive::unpack`) run on rayon's pool, which
//! wasm-bindgen-rayon builds on workers it starts from the interpreter's worker
//! (`initThreadPool(n)`, re-exported from the crate root; each worker runs `js/worker.mjs`, see
//! `js/runtime-workers.mjs`). Each of those workers instantiates this module over the same
//! memory and stays in rayon's loop.

mod channel;
mod fs;
mod host_fs;
mod pool;

use crate::errno::{self, Outcome, SysResult};
use crate::fd::Stdio;
use crate::memory::GuestMemory;
use crate::preview1::{Host, ProcessConfig, Wasi};
use crate::vfs::{BundleFs, MemFs, PageFs, Vfs};
use js_sys::{Reflect, Uint8Array, WebAssembly};
use std::cell::RefCell;
use std::sync::atomic::AtomicI32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// Where the stdlib bundle is mounted; python.wasm is built with `--prefix=/usr/local`.
const STDLIB_DIR: &str = "/usr/local/lib/python3.13";

thread_local! {
    /// The output callback of the worker running on this thread. A `js_sys::Function` belongs
    /// to one worker, so it is per thread, not in the shared [`WebHost`].
    static OUTPUT: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Word that sleeps wait on when there is no channel (a page without cross-origin isolation):
/// nothing notifies it, so such sleeps end at their deadline and cannot be interrupted.
static WAKE: AtomicI32 = AtomicI32::new(0);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
    #[wasm_bindgen(js_namespace = ["globalThis", "crypto"], js_name = getRandomValues, catch)]
    fn get_random_values(buf: &Uint8Array) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(start)]
fn start() {
    // A panic aborts the instance (panic=abort): keep its message so the worker can report
    // the cause instead of a bare "unreachable".
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        console_error(&format!("weft runtime panic: {msg}"));
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(msg));
    }));
}

/// The message of the last runtime panic on this thread, if any.
#[wasm_bindgen]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow().clone())
}

/// The [`Host`] of a worker: output by callback, stdin and interruptible sleeps through the
/// `sync-io` channel when there is one.
#[derive(Default)]
struct WebHost {
    /// Stdin bytes the page sent beyond what the guest's last read could take.
    stdin: Mutex<Vec<u8>>,
}

/// Writes to the guest's stderr (for explanations an errno cannot carry).
fn write_stderr(message: &str) {
    emit(2, message.as_bytes());
}

fn emit(fd: u32, data: &[u8]) {
    OUTPUT.with(|o| {
        if let Some(f) = &*o.borrow() {
            // A fresh JS-heap copy: the receiver may keep or transfer it.
            let _ = f.call2(&JsValue::NULL, &JsValue::from(fd), &Uint8Array::from(data));
        }
    });
}

impl Host for WebHost {
    fn write_output(&self, stream: Stdio, data: &[u8]) {
        let fd = match stream {
            Stdio::In => 0,
            Stdio::Out => 1,
            Stdio::Err => 2,
        };
        emit(fd, data);
    }

    fn read_stdin(&self, buf: &mut [u8]) -> Result<usize, errno::Errno> {
        let take = |pending: &mut Vec<u8>, buf: &mut [u8]| {
            let n = buf.len().min(pending.len());
            buf[..n].copy_from_slice(&pending[..n]);
            pending.drain(..n);
            n
        };
        {
            let mut pending = self.stdin.lock().unwrap_or_else(PoisonError::into_inner);
            if !pending.is_empty() {
                return Ok(take(&mut pending, buf));
            }
        }
        // Not holding the lock while the page answers: another thread's read must not hang
        // behind it in a lock that no interrupt can end.
        let data = channel::read_stdin(buf.len()).map_err(|(errno, message)| {
            if let Some(m) = message {
                write_stderr(&format!("weft: {m}\n"));
            }
            errno
        })?;
        let mut pending = self.stdin.lock().unwrap_or_else(PoisonError::into_inner);
        pending.extend_from_slice(&data);
        Ok(take(&mut pending, buf))
    }

    fn sleep(&self, ns: u64) -> Result<(), errno::Errno> {
        match channel::sleep(Duration::from_nanos(ns)) {
            // Woken by interrupt(): EINTR makes CPython check its signals, and it finds the
            // same word set (PEP 475: time.sleep, select, ... raise KeyboardInterrupt).
            Some(true) => return Err(errno::Errno::Intr),
            Some(false) => return Ok(()),
            None => {}
        }
        // Atomics.wait in slices: never spins.
        let deadline = crate::clock::monotonic_ns().saturating_add(ns);
        loop {
            let now = crate::clock::monotonic_ns();
            if now >= deadline {
                return Ok(());
            }
            let slice = (deadline - now).min(50_000_000) as i64;
            // SAFETY: WAKE is a valid, aligned i32 in this module's shared memory.
            unsafe { core::arch::wasm32::memory_atomic_wait32(WAKE.as_ptr(), 0, slice) };
        }
    }

    fn fill_random(&self, buf: &mut [u8]) -> Result<(), errno::Errno> {
        // getRandomValues refuses views of shared memory: fill a JS-heap array, then copy.
        for chunk in buf.chunks_mut(65536) {
            let tmp = Uint8Array::new_with_length(chunk.len() as u32);
            get_random_values(&tmp).map_err(|_| errno::Errno::Io)?;
            tmp.copy_to(chunk);
        }
        Ok(())
    }
}

/// A view of the guest's memory, rebuilt when the memory has grown.
struct JsMemory {
    memory: WebAssembly::Memory,
    view: RefCell<Uint8Array>,
}

impl JsMemory {
    fn new(memory: WebAssembly::Memory) -> Self {
        let view = Uint8Array::new(&memory.buffer());
        JsMemory {
            memory,
            view: RefCell::new(view),
        }
    }
}

impl GuestMemory for JsMemory {
    fn size(&self) -> u64 {
        self.view.borrow().length() as u64
    }
    fn read_raw(&self, ptr: u32, buf: &mut [u8]) {
        self.view
            .borrow()
            .subarray(ptr, ptr + buf.len() as u32)
            .copy_to(buf);
    }
    fn write_raw(&self, ptr: u32, data: &[u8]) {
        self.view
            .borrow()
            .subarray(ptr, ptr + data.len() as u32)
            .copy_from(data);
    }
    fn refresh(&self) {
        // `buffer` alone can still be the old, shorter one: V8 updates a worker's view of a
        // shared memory that another worker grew lazily. Growing by zero pages makes it current.
        self.memory.grow(0);
        *self.view.borrow_mut() = Uint8Array::new(&self.memory.buffer());
    }
}

fn js_err(msg: impl std::fmt::Display) -> JsError {
    JsError::new(&msg.to_string())
}

/// One interpreter's file systems and host. It outlives the processes run on it, so files
/// written by one `run` are there for the next.
#[wasm_bindgen]
pub struct Runtime {
    vfs: Arc<Vfs>,
    host: Arc<WebHost>,
}

#[wasm_bindgen]
impl Runtime {
    /// `stdlib` is the bundle's zip bytes; `on_output(fd, bytes)` receives stdout (1) and
    /// stderr (2) as they are written. `packages`, if given, holds package bundles
    /// (Uint8Arrays, e.g. python-numpy-lib.zip) whose entries are named relative to the stdlib
    /// directory: they are indexed into the same read-only tree (see `vfs::bundle`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        stdlib: Vec<u8>,
        on_output: js_sys::Function,
        packages: Option<js_sys::Array>,
    ) -> Result<Runtime, JsError> {
        let root = Arc::new(MemFs::new());
        for dir in ["home/user", "tmp", "usr/local/bin", "dev"] {
            root.create_dir_all(dir)
                .map_err(|e| js_err(format!("creating /{dir}: {e:?}")))?;
        }
        let vfs = Arc::new(Vfs::new(root));
        let mut archives = vec![stdlib];
        for package in packages.iter().flat_map(|a| a.iter()) {
            let bytes = package
                .dyn_into::<Uint8Array>()
                .map_err(|_| js_err("a package bundle is not a Uint8Array"))?;
            archives.push(bytes.to_vec());
        }
        let bundle = BundleFs::layered(archives).map_err(js_err)?;
        vfs.mount(STDLIB_DIR, Arc::new(bundle))
            .map_err(|e| js_err(format!("mounting the stdlib: {e:?}")))?;
        OUTPUT.with(|o| *o.borrow_mut() = Some(on_output));
        Ok(Runtime {
            vfs,
            host: Arc::new(WebHost::default()),
        })
    }

    /// Mounts a host directory at `at`; `fs` is the JS object described in `host_fs`.
    #[wasm_bindgen(js_name = mountHostDir)]
    pub fn mount_host_dir(&self, at: &str, fs: JsValue) -> Result<(), JsError> {
        self.vfs
            .mount(at, Arc::new(host_fs::HostFs::register(fs)))
            .map_err(|e| js_err(format!("mounting a host directory at {at}: {e:?}")))
    }

    /// Attaches the `sync-io` channel whose buffer the main side created; `on_main_bell(seq)`
    /// is called when the channel changed (0) or request `seq` is complete, and must post a
    /// message to the main side.
    #[wasm_bindgen(js_name = attachChannel)]
    pub fn attach_channel(
        &self,
        buffer: &js_sys::SharedArrayBuffer,
        on_main_bell: js_sys::Function,
    ) -> Result<(), JsError> {
        channel::attach(buffer, on_main_bell).map_err(js_err)
    }

    /// Mounts a page-owned directory at `at`: each file operation is a request to the page's
    /// handler through the channel (see `vfs::page`). Needs the channel.
    #[wasm_bindgen(js_name = mountPage)]
    pub fn mount_page(&self, at: &str) -> Result<(), JsError> {
        if !channel::available() {
            return Err(js_err(
                "page-owned mounts need the sync-io channel (SharedArrayBuffer)",
            ));
        }
        let transport = channel::ChannelTransport {
            mount: at.to_string(),
        };
        self.vfs
            .mount(at, Arc::new(PageFs::new(Arc::new(transport))))
            .map_err(|e| js_err(format!("mounting a page directory at {at}: {e:?}")))
    }

    /// Extracts the zip archive `bytes` into the directory `dest` (see `archive::unpack`) and
    /// returns `{files, directories, symlinks, bytes}`. `parallel` decompresses on rayon's pool:
    /// pass it only once `initThreadPool` has resolved, as before that there is no pool on the
    /// web (rayon would try to start threads itself, and abort).
    #[wasm_bindgen(js_name = unpackArchive)]
    pub fn unpack_archive(
        &self,
        bytes: Vec<u8>,
        dest: &str,
        parallel: bool,
    ) -> Result<js_sys::Object, JsError> {
        let done = crate::archive::unpack(&self.vfs, bytes, dest, parallel).map_err(js_err)?;
        let out = js_sys::Object::new();
        for (key, value) in [
            ("files", f64::from(done.files)),
            ("directories", f64::from(done.directories)),
            ("symlinks", f64::from(done.symlinks)),
            ("bytes", done.bytes as f64),
        ] {
            Reflect::set(&out, &key.into(), &value.into()).expect("setting a plain object's key");
        }
        Ok(out)
    }

    /// A new process: `tty` says which of stdin, stdout, stderr look like terminals.
    pub fn process(
        &self,
        args: Vec<String>,
        env: Vec<String>,
        tty: Vec<u8>,
    ) -> Result<Process, JsError> {
        let config = ProcessConfig {
            args,
            env,
            preopens: vec![("/".into(), "/".into())],
            tty: [0, 1, 2].map(|i| tty.get(i).copied().unwrap_or(0) != 0),
        };
        let wasi = Wasi::new(config, self.vfs.clone(), self.host.clone()).map_err(js_err)?;
        Ok(Process {
            wasi: Arc::new(wasi),
            mem: None,
            thread: None,
        })
    }
}

/// The runtime's wasm module and memory, for pool workers to instantiate the runtime over the
/// same memory (so they share its file systems and file descriptors).
#[wasm_bindgen(js_name = runtimeShare)]
pub fn runtime_share() -> js_sys::Array {
    js_sys::Array::of2(&wasm_bindgen::module(), &wasm_bindgen::memory())
}

/// Sets where this worker's guest output goes (`on_output(fd, bytes)`); pool workers call it,
/// the interpreter's worker passes it to `Runtime::new`.
#[wasm_bindgen(js_name = setOutput)]
pub fn set_output(on_output: js_sys::Function) {
    OUTPUT.with(|o| *o.borrow_mut() = Some(on_output));
}

/// One synchronous call on the page's JS objects over the sync-io channel (Python's
/// `weft.main`, through worker-runtime/js/bridge.mjs): `call` and the result are JSON text that
/// only the two JS ends read. Blocks this worker until the page answers; an interrupt ends the
/// wait with an Error whose message is "interrupted".
#[wasm_bindgen(js_name = pageCall)]
pub fn page_call(call: String) -> Result<String, JsError> {
    channel::page_call(call).map_err(|e| JsError::new(&e))
}

/// Registers, in a pool worker, the JS file system of a host directory that the interpreter's
/// worker mounted: file systems name their JS object by registration order, so a pool worker
/// registers the same objects in the same order.
#[wasm_bindgen(js_name = registerHostDir)]
pub fn register_host_dir(fs: JsValue) {
    host_fs::HostFs::register(fs);
}

/// Attaches a pool worker to the interpreter's `sync-io` channel; the thread's blocking waits
/// end when its slot's stop word (`stop_offset` in `pool_buffer`) is set.
#[wasm_bindgen(js_name = attachThreadChannel)]
pub fn attach_thread_channel(
    buffer: &js_sys::SharedArrayBuffer,
    on_main_bell: js_sys::Function,
    pool_buffer: &js_sys::SharedArrayBuffer,
    stop_offset: u32,
) -> Result<(), JsError> {
    channel::attach_thread(buffer, on_main_bell, (pool_buffer, stop_offset)).map_err(js_err)
}

/// The memory limits `[initial, maximum]` (in 64 KiB pages) that python.wasm imports as
/// `env.memory`, and a check that it is a module this runtime can host.
#[wasm_bindgen(js_name = memoryImport)]
pub fn memory_import(wasm: &[u8]) -> Result<Vec<u32>, JsError> {
    use wasmparser::{Parser, Payload, TypeRef};
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| {
            js_err(format!(
                "python.wasm is not a valid WebAssembly module: {e}"
            ))
        })?;
        if let Payload::ImportSection(reader) = payload {
            for import in reader.into_imports() {
                let import = import.map_err(|e| {
                    js_err(format!("python.wasm has a damaged import section: {e}"))
                })?;
                if let (("env", "memory"), TypeRef::Memory(m)) =
                    ((import.module, import.name), import.ty)
                {
                    if !m.shared {
                        return Err(js_err("python.wasm imports a memory that is not shared: it was not built for wasm32-wasip1-threads"));
                    }
                    let max = m
                        .maximum
                        .ok_or_else(|| js_err("python.wasm's shared memory has no maximum"))?;
                    return Ok(vec![m.initial as u32, max as u32]);
                }
            }
        }
    }
    Err(js_err(
        "python.wasm does not import env.memory: it was not built for wasm32-wasip1-threads",
    ))
}

/// Maps a syscall's result to the ABI: an errno number, or a thrown exit/trap.
fn abi(r: SysResult) -> Result<u32, JsValue> {
    match errno::outcome(r) {
        Outcome::Return(e) => Ok(e as u32),
        Outcome::Exit(code) => {
            let e = js_sys::Error::new(&format!("exit({code})"));
            e.set_name("WasiExit");
            let _ = Reflect::set(&e, &"code".into(), &JsValue::from(code));
            Err(e.into())
        }
        Outcome::Trap(msg) => {
            let e = js_sys::Error::new(&msg);
            e.set_name("WasiTrap");
            Err(e.into())
        }
    }
}

/// One run of python.wasm: a WASI process bound to that instance's memory. In a pool worker,
/// the same process (shared through [`Process::share`]) seen by one Python thread.
#[wasm_bindgen]
pub struct Process {
    wasi: Arc<Wasi>,
    mem: Option<JsMemory>,
    /// The pool slot of the thread this handle serves (pool workers only).
    thread: Option<pool::PoolSlot>,
}

/// Thrown out of a syscall when the thread's process is ending: it unwinds the guest.
fn thread_stopped() -> JsValue {
    let e = js_sys::Error::new("the thread's process has ended");
    e.set_name("WeftThreadStopped");
    e.into()
}

impl Process {
    fn call(&self, f: impl FnOnce(&Wasi, &JsMemory) -> SysResult) -> Result<u32, JsValue> {
        let Some(m) = &self.mem else {
            return abi(Err(errno::SysError::Trap(
                "syscall before bindMemory()".into(),
            )));
        };
        abi(self.in_runtime(|| f(&self.wasi, m))?)
    }

    /// Runs `f` (runtime code) for the guest. A pool thread says when it is inside the
    /// runtime, so that the end of its process never kills it holding a runtime lock (see the
    /// threads crate), and unwinds when its process is ending.
    fn in_runtime<R>(&self, f: impl FnOnce() -> R) -> Result<R, JsValue> {
        let Some(slot) = &self.thread else {
            return Ok(f());
        };
        if !slot.enter_syscall() {
            return Err(thread_stopped());
        }
        let result = f();
        if !slot.leave_syscall() {
            return Err(thread_stopped());
        }
        Ok(result)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Its memory is gone: an interrupt from now on waits for the next process.
        if self.thread.is_none() {
            let _ = channel::bind_interrupt(None);
        }
    }
}

#[wasm_bindgen]
impl Process {
    /// A handle on this process for pool workers: one reference, dropped by
    /// [`Process::release_shared`].
    pub fn share(&self) -> u32 {
        Arc::into_raw(self.wasi.clone()) as u32
    }

    /// Drops `count` references taken by [`Process::share`] (the coordinator counts the
    /// handles of terminated workers, which never dropped theirs).
    #[wasm_bindgen(js_name = releaseShared)]
    pub fn release_shared(handle: u32, count: u32) {
        for _ in 0..count {
            // SAFETY: `handle` came from `share`, and the coordinator releases each reference
            // once, after every worker that used it has detached or been terminated.
            unsafe { Arc::decrement_strong_count(handle as *const Wasi) };
        }
    }

    /// The process behind `handle` (from [`Process::share`]), for the thread run by the pool
    /// worker in `slot`.
    #[wasm_bindgen(js_name = forThread)]
    pub fn for_thread(handle: u32, slot: u32) -> Result<Process, JsError> {
        let thread = pool::PoolSlot::new(slot)?;
        // SAFETY: `handle` came from `share` and its reference is still held (see above).
        let wasi = unsafe {
            Arc::increment_strong_count(handle as *const Wasi);
            Arc::from_raw(handle as *const Wasi)
        };
        Ok(Process {
            wasi,
            mem: None,
            thread: Some(thread),
        })
    }

    /// `wasi.thread-spawn`: the new thread's id, or -1.
    #[wasm_bindgen(js_name = threadSpawn)]
    pub fn thread_spawn(&self, start_arg: u32) -> Result<i32, JsValue> {
        self.in_runtime(|| pool::spawn(start_arg))
    }
}

macro_rules! syscalls {
    ($( $name:ident ( $($arg:ident : $ty:ty),* ) ),* $(,)?) => {
        #[wasm_bindgen]
        impl Process {
            #[wasm_bindgen(js_name = bindMemory)]
            pub fn bind_memory(&mut self, memory: WebAssembly::Memory) {
                self.mem = Some(JsMemory::new(memory));
            }

            /// Makes the guest's `weft_interrupt_word` (a byte address in the bound memory)
            /// the channel's interrupt word while this process runs.
            #[wasm_bindgen(js_name = bindInterrupt)]
            pub fn bind_interrupt(&self, addr: u32) -> Result<(), JsError> {
                let mem = self.mem.as_ref().ok_or_else(|| js_err("bindInterrupt before bindMemory"))?;
                let buffer: js_sys::SharedArrayBuffer = mem.memory.buffer().dyn_into()
                    .map_err(|_| js_err("the guest memory is not shared"))?;
                channel::bind_interrupt(Some((&buffer, addr))).map_err(js_err)
            }

            /// The names of every `wasi_snapshot_preview1` function this host implements;
            /// each is a method of `Process` with the spec's arguments.
            #[wasm_bindgen(js_name = syscallNames)]
            pub fn syscall_names() -> Vec<String> {
                vec![$(stringify!($name).to_string()),*]
            }

            $(
                pub fn $name(&self, $($arg: $ty),*) -> Result<u32, JsValue> {
                    self.call(|w, m| w.$name(m, $($arg),*))
                }
            )*
        }
    };
}

syscalls! {
    args_get(argv: u32, argv_buf: u32),
    args_sizes_get(argc: u32, argv_buf_size: u32),
    environ_get(environ: u32, environ_buf: u32),
    environ_sizes_get(count: u32, buf_size: u32),
    clock_res_get(id: u32, res: u32),
    clock_time_get(id: u32, precision: u64, time: u32),
    fd_advise(fd: u32, offset: u64, len: u64, advice: u32),
    fd_allocate(fd: u32, offset: u64, len: u64),
    fd_close(fd: u32),
    fd_datasync(fd: u32),
    fd_fdstat_get(fd: u32, buf: u32),
    fd_fdstat_set_flags(fd: u32, flags: u32),
    fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64),
    fd_filestat_get(fd: u32, buf: u32),
    fd_filestat_set_size(fd: u32, size: u64),
    fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, flags: u32),
    fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread: u32),
    fd_prestat_get(fd: u32, buf: u32),
    fd_prestat_dir_name(fd: u32, path: u32, len: u32),
    fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten: u32),
    fd_read(fd: u32, iovs: u32, iovs_len: u32, nread: u32),
    fd_readdir(fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused: u32),
    fd_renumber(from: u32, to: u32),
    fd_seek(fd: u32, offset: i64, whence: u32, newoffset: u32),
    fd_sync(fd: u32),
    fd_tell(fd: u32, offset: u32),
    fd_write(fd: u32, iovs: u32, iovs_len: u32, nwritten: u32),
    path_create_directory(fd: u32, path: u32, len: u32),
    path_filestat_get(fd: u32, flags: u32, path: u32, len: u32, buf: u32),
    path_filestat_set_times(fd: u32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst_flags: u32),
    path_link(old_fd: u32, old_flags: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32),
    path_open(dirfd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32, rights_base: u64, rights_inheriting: u64, fdflags: u32, fd_out: u32),
    path_readlink(fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, bufused: u32),
    path_remove_directory(fd: u32, path: u32, len: u32),
    path_rename(fd: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32),
    path_symlink(old_path: u32, old_len: u32, fd: u32, new_path: u32, new_len: u32),
    path_unlink_file(fd: u32, path: u32, len: u32),
    poll_oneoff(input: u32, out: u32, nsubs: u32, nevents: u32),
    proc_exit(code: u32),
    proc_raise(sig: u32),
    random_get(buf: u32, len: u32),
    sched_yield(),
    sock_accept(fd: u32, flags: u32, fd_out: u32),
    sock_recv(fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, ro_datalen: u32, ro_flags: u32),
    sock_send(fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, so_datalen: u32),
    sock_shutdown(fd: u32, how: u32),
}
