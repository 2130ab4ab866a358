//! `main-thread-client`: the Rust half of Weft's main-thread client.
//!
//! The user-facing API (`Weft.start`, `run`, `interrupt`, the CLI) is JavaScript in `js/`. This
//! crate is the one piece of it that must agree byte for byte with the worker: the main side of
//! the `sync-io` channel ([`sync_io::ChannelMain`] over a `SharedArrayBuffer`), compiled to
//! `wasm32-unknown-unknown` and exported to `weft.mjs` as `MainChannel`; and the coordinator's
//! view of the `threads` pool table, exported as `PoolMain` (its protocol is model-tested in
//! `threads`).
//!
//! **Why Rust here, not JS.** The channel's messages are postcard-encoded Rust types, its
//! chunking and cancellation rules are model-checked in `sync-io`; a second implementation in
//! JS would be a second state machine to keep in step. The page pays about 60 kB of wasm for
//! having exactly one.
//!
//! **Why without atomics.** The page's main thread must never block (browsers forbid
//! `Atomics.wait` there). `sync-io` only lets a region wait when the `atomics` target feature is
//! on, so this build, which is compiled without it, cannot contain a wait; the guard below
//! keeps it that way.

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!(
    "main-thread-client runs on the page's main thread, which must never block: build it \
     without the `atomics` target feature"
);

#[cfg(target_arch = "wasm32")]
mod pool;
#[cfg(target_arch = "wasm32")]
mod web;

/// Capacity of each of the channel's two payload areas: large enough that typical `input()`
/// lines and small files move in one chunk, small enough to allocate per interpreter without
/// thought (the buffer is 128 B + 2 x 64 KiB).
pub const CHANNEL_CAPACITY: usize = 64 << 10;
