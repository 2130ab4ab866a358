//! `sync-io`: the channel between Weft's main-thread client and the interpreter worker.
//!
//! Python's `input()`, `sys.stdin`, and files owned by the page need a *synchronous* answer from
//! the page's main thread, which must never block. This crate is the one abstraction for that
//! (DESIGN.md §4), in two halves named by the thread they run on:
//!
//! - [`ChannelWorker`] (interpreter worker): [`ChannelWorker::request`] sends a [`Request`] and
//!   blocks in `Atomics.wait` slices until the [`Reply`] arrives, checking the interrupt word
//!   between slices and waking at once when the main side rings; an interrupt ends the wait
//!   with [`ChannelError::Interrupted`].
//! - [`ChannelMain`] (page main thread): never waits. [`ChannelMain::poll`] pulls request
//!   chunks as they arrive and pushes queued reply chunks; [`ChannelMain::reply`] answers a
//!   request by sequence number whenever an async handler settles; [`ChannelMain::interrupt`]
//!   sets the interrupt word.
//!
//! **Why two halves over one state machine.** The two threads have opposite constraints: the
//! worker may block but hears no events while it does; the main thread hears events but may not
//! block. Splitting the channel by side makes each constraint a property of a type: only
//! [`ChannelWorker`] requires [`shared::BlockingRegion`] (the trait with `wait`), so main-thread
//! code that waits does not compile; and every progress step of a message is driven by the
//! side that may act. Both halves share the chunk hand-over code ([`shared`] documents the
//! exact word layout), so there is one state machine to model-check, not two.
//!
//! **How it works.** One SharedArrayBuffer holds 32 control words and two fixed payload areas,
//! one per direction, each a single-producer single-consumer slot with a state word. Messages
//! are versioned, postcard-encoded [`protocol`] types of any size, cut into chunks of the area's
//! capacity; each chunk carries the request's sequence number, the message length and its
//! offset. Each side has a *bell* word, a counter bumped and notified after every change meant
//! for that side: the worker waits "while the bell is unchanged", so no wake-up is lost and
//! slices are only a safety net; the main side may `Atomics.waitAsync` on its bell.
//!
//! **Several Python threads.** Requests take turns (the areas hold one message each way at a
//! time); waiting for the turn is an interruptible wait like the others. Threads on other
//! workers attach their own handle with [`ChannelWorker::with_turns`], sharing the turns.
//!
//! **Interrupts and late replies.** A request that ends without its reply (interrupt,
//! [`ChannelWorker::request_timeout`], an error) writes its sequence number into the `CANCEL`
//! word. The main side then reports [`Incoming::Cancelled`], drops the pending entry, any
//! half-received request and any queued reply chunks; a reply chunk already in the area is
//! skipped by the worker's next request, which only accepts its own sequence number. The next
//! request therefore works at once, with no draining step.
//!
//! **Backends.** In wasm, `web::WebRegion` is the region over a real `SharedArrayBuffer` (both
//! halves; only the worker build, which has the `atomics` feature, can wait on it). Natively,
//! `shared::NativeRegion` stands in for it. Pages without cross-origin isolation have no
//! `SharedArrayBuffer`: there the client runs without a channel (the postMessage backend, in
//! `main-thread-client`), output still streams by message, and what needs a synchronous answer
//! fails with an error that says how to enable isolation.
//!
//! # Tests
//!
//! `cargo test -p sync-io` runs the protocol unit tests and threaded tests over
//! `shared::NativeRegion` (round trips, 10 MB both ways through a 4 KiB area, delays,
//! interrupts, time-outs and their races, version mismatch, corrupt chunks).
//!
//! The state machine is model-checked with [loom](https://docs.rs/loom) over `LoomRegion`,
//! which exists only under `--cfg loom` (`tests/loom.rs`: chunk hand-over both ways, reply vs
//! interrupt, interrupt mid-send, reply vs interrupt vs time-out, an interrupt waking an
//! unanswered request and a sleep, two worker threads taking turns):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p sync-io --release
//! ```
//!
//! (Add `CARGO_TARGET_DIR=target/loom` to keep the normal build's cache: the flag rebuilds every
//! dependency.) The tests default to `LOOM_MAX_PREEMPTIONS=2`, about 15 s of model checking on
//! two cores; 3 explores far more and takes far longer. `LOOM_LOG=trace` and `LOOM_LOCATION=1`
//! help debug a failure. Under `--cfg loom` the threaded tests are compiled out (std threads and
//! loom's types do not mix).

mod chunk;
mod main_side;
pub mod protocol;
pub mod shared;
mod sync;
#[cfg(target_arch = "wasm32")]
pub mod web;
mod worker_side;

pub use chunk::LayoutError;
pub use main_side::{ChannelMain, Incoming, MainConfig, MainError};
pub use protocol::{Reply, Request};
pub use worker_side::{
    ChannelError, ChannelWorker, Turns, WorkerConfig, DEFAULT_MAX_MESSAGE_LEN, DEFAULT_WAIT_SLICE,
};
