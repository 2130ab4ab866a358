//! `main-thread-client`: the Rust half of Weft's main-thread client.
//!
//! Empty for now: the user-facing API (`Weft.start`, `run`, `close`, the CLI) is plain
//! JavaScript in `main-thread-client/js/`. Later work fills this crate with the `ChannelMain`
//! wasm build (DESIGN.md sections 4 and 6): the async side of the `sync-io` channel, compiled
//! to `wasm32-unknown-unknown` *without* atomics (the page's main thread never blocks), used by
//! `weft.mjs` to answer the worker's synchronous requests.
