//! `threads`: the wasi-threads worker pool behind Python's `_thread`.
//!
//! Empty for now. Later work fills it with DESIGN.md section 5: `thread-spawn` hands
//! `(tid, start_arg)` to an idle, pre-spawned pool worker through shared memory (a busy worker
//! hears no messages); the coordinator keeps a few idle workers ready and grows the pool
//! asynchronously; a spawn that cannot be served returns -1 instead of deadlocking. Thread ids
//! are 1..=0x1FFFFFFF, and a trap or `proc_exit` in any thread ends the whole interpreter.
