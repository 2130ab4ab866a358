//! `weft-tests`: the Rust home of Weft's cross-crate integration tests.
//!
//! Empty for now. Today's end-to-end suites are JavaScript, run by `cargo xtask test`:
//! `tests/node/*.test.mjs` (node:test, Python through `dist/cli.mjs` and `dist/weft.mjs`) and
//! `tests/browser/` (headless Chromium through playwright-core against `coi-server`). Later
//! work adds native Rust tests here that drive several crates together (for example the
//! `sync-io` channel against the `worker-runtime` syscall layer).
