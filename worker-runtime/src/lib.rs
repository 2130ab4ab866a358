//! Weft's worker runtime: a `wasi_snapshot_preview1` host, written in Rust, that runs CPython
//! (`python.wasm`) inside a Web Worker or a Node `worker_threads` worker.
//!
//! # Design
//! The central abstraction is [`preview1::Wasi`]: the state of one WASI process (arguments,
//! environment, file descriptors, file systems) and one method per preview1 function, each
//! taking the guest's memory through the [`memory::GuestMemory`] trait. Three layers, none of
//! which leaks into the one above it:
//!
//! 1. **Syscall ABI** ([`preview1`]): spec names and argument layouts, pointers into guest
//!    memory, errno results.
//! 2. **File descriptors** ([`fd`]): [`fd::FdTable`] and its [`fd::Descriptor`]s: positions,
//!    flags, rights, preopens; lowest free fd reused.
//! 3. **Storage** ([`vfs`]): the [`vfs::FileSystem`] trait and the mount table, in-memory
//!    storage and the read-only stdlib bundle.
//!
//! A syscall ends in one of three ways, kept apart by [`errno::SysError`]: an errno returned to
//! the guest, a process exit, or a trap. They are turned into the ABI in one exhaustive place.
//!
//! Why guest memory is behind a trait: in a worker, `python.wasm` has its own (shared)
//! `WebAssembly.Memory`, distinct from this crate's memory, so every access is a copy through
//! JS. Copying (never aliasing) also makes the whole syscall layer testable natively, with a
//! `Vec<u8>` standing in for guest memory.
//!
//! The wasm build is the threaded one (`+atomics`, shared memory): every Python thread's worker
//! instantiates this module over the same memory, so the fd table and file systems exist once
//! per interpreter. The `web` module holds the wasm-bindgen surface used by `js/worker.mjs`.

#![cfg_attr(target_arch = "wasm32", feature(stdarch_wasm_atomic_wait))]

pub mod archive;
pub mod clock;
pub mod errno;
pub mod fd;
pub mod fs_ops;
pub mod memory;
pub mod preview1;
pub mod vfs;

#[cfg(target_arch = "wasm32")]
mod web;

/// `initThreadPool(n)` in the JS glue: starts the workers of rayon's pool (see `web`).
#[cfg(target_arch = "wasm32")]
pub use wasm_bindgen_rayon::init_thread_pool;
