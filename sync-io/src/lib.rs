//! `sync-io`: the channel between Weft's main-thread client and the interpreter worker.
//!
//! Empty for now. Later work fills it with the one abstraction of DESIGN.md section 4:
//! `ChannelMain` (async, pending-request map) and `ChannelWorker` (blocking pull), over two
//! backends chosen automatically: SharedArrayBuffer + `Atomics.wait`/`notify` (cross-origin
//! isolated pages and Node: full capability) and `postMessage` (no isolation: runs code and
//! streams output; blocking `input()` and interrupts fail with a clear error). Messages are
//! postcard-encoded, versioned Rust types shared by both halves; the state machine gets model
//! tests that run natively.
