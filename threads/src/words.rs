//! The pool's shared words, behind a trait so that the protocol runs natively in tests and over
//! a `SharedArrayBuffer` in workers.

use std::time::Duration;

/// Sequentially consistent operations on an array of `i32` words shared between threads.
pub trait Words {
    /// Number of words.
    fn size(&self) -> usize;
    fn load(&self, i: usize) -> i32;
    fn store(&self, i: usize, v: i32);
    fn compare_exchange(&self, i: usize, current: i32, new: i32) -> Result<i32, i32>;
    /// Returns the previous value.
    fn fetch_add(&self, i: usize, delta: i32) -> i32;
    /// Wakes every thread waiting on word `i`.
    fn notify(&self, i: usize);
}

/// Words a thread may block on: only where the platform allows waiting (workers, native
/// threads), never on a page's main thread.
pub trait BlockingWords: Words {
    /// Waits while word `i` holds `expected`, at most `timeout`. May return early.
    fn wait(&self, i: usize, expected: i32, timeout: Duration);
    /// A monotonic clock.
    fn now(&self) -> Duration;
}

/// Native stand-in for a `SharedArrayBuffer`: atomics plus a condition variable for waits.
#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeWords;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use std::sync::atomic::{AtomicI32, Ordering::SeqCst};
    use std::sync::{Condvar, Mutex, PoisonError};
    use std::time::Instant;

    pub struct NativeWords {
        words: Box<[AtomicI32]>,
        lock: Mutex<()>,
        wakeups: Condvar,
        epoch: Instant,
    }

    impl NativeWords {
        pub fn new(len: usize) -> Self {
            NativeWords {
                words: (0..len).map(|_| AtomicI32::new(0)).collect(),
                lock: Mutex::new(()),
                wakeups: Condvar::new(),
                epoch: Instant::now(),
            }
        }
    }

    impl Words for NativeWords {
        fn size(&self) -> usize {
            self.words.len()
        }
        fn load(&self, i: usize) -> i32 {
            self.words[i].load(SeqCst)
        }
        fn store(&self, i: usize, v: i32) {
            self.words[i].store(v, SeqCst)
        }
        fn compare_exchange(&self, i: usize, current: i32, new: i32) -> Result<i32, i32> {
            self.words[i].compare_exchange(current, new, SeqCst, SeqCst)
        }
        fn fetch_add(&self, i: usize, delta: i32) -> i32 {
            self.words[i].fetch_add(delta, SeqCst)
        }
        fn notify(&self, _i: usize) {
            // Taking the lock orders the notify after a waiter's check-then-wait.
            let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            self.wakeups.notify_all();
        }
    }

    impl BlockingWords for NativeWords {
        fn wait(&self, i: usize, expected: i32, timeout: Duration) {
            let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            if self.load(i) == expected {
                let _ = self.wakeups.wait_timeout(guard, timeout);
            }
        }
        fn now(&self) -> Duration {
            self.epoch.elapsed()
        }
    }
}

impl<T: Words + ?Sized> Words for std::sync::Arc<T> {
    fn size(&self) -> usize {
        (**self).size()
    }
    fn load(&self, i: usize) -> i32 {
        (**self).load(i)
    }
    fn store(&self, i: usize, v: i32) {
        (**self).store(i, v)
    }
    fn compare_exchange(&self, i: usize, current: i32, new: i32) -> Result<i32, i32> {
        (**self).compare_exchange(i, current, new)
    }
    fn fetch_add(&self, i: usize, delta: i32) -> i32 {
        (**self).fetch_add(i, delta)
    }
    fn notify(&self, i: usize) {
        (**self).notify(i)
    }
}

impl<T: BlockingWords + ?Sized> BlockingWords for std::sync::Arc<T> {
    fn wait(&self, i: usize, expected: i32, timeout: Duration) {
        (**self).wait(i, expected, timeout)
    }
    fn now(&self) -> Duration {
        (**self).now()
    }
}
