//! The shared memory both halves see, and its exact layout.
//!
//! In the browser and in Node this is one `SharedArrayBuffer`, viewed as an `Int32Array` for the
//! control words (every access through `Atomics`) and as `Uint8Array`s for the payload areas.
//! The channel only touches it through [`SharedRegion`] (both sides) and [`BlockingRegion`] (the
//! worker only), so the state machine is the same code natively, under loom and in wasm.
//!
//! # Layout
//!
//! All words are little-endian `i32`, accessed only with `Atomics.load/store/add/
//! compareExchange/wait/notify` (sequentially consistent). Unsigned values (sequence numbers,
//! lengths) are stored as their `u32` bit pattern. Byte offsets are from the start of the buffer.
//!
//! | word | byte | name          | written by | meaning |
//! |-----:|-----:|---------------|------------|---------|
//! | 0    | 0    | `MAGIC`       | main (init)| [`MAGIC`] = `0x5745_4654` ("WEFT" read as big-endian) |
//! | 1    | 4    | `LAYOUT`      | main (init)| [`LAYOUT_VERSION`] (this table's version) |
//! | 2    | 8    | `CAPACITY`    | main (init)| `C`: bytes in each payload area |
//! | 3    | 12   | `INTERRUPT`   | main sets 1, worker clears | a pending `KeyboardInterrupt` |
//! | 4    | 16   | `WORKER_BELL` | main (+1)  | counter the worker `Atomics.wait`s on |
//! | 5    | 20   | `MAIN_BELL`   | worker (+1)| counter the main side may `Atomics.waitAsync` on |
//! | 6    | 24   | `CANCEL`      | worker     | last sequence number the worker gave up on (0: none) |
//! | 7    | 28   | `REQ_STATE`   | both       | request area: 0 empty (worker may write), 1 full (main may read) |
//! | 8    | 32   | `REQ_SEQ`     | worker     | sequence number of the request chunk |
//! | 9    | 36   | `REQ_TOTAL`   | worker     | total encoded length of the request |
//! | 10   | 40   | `REQ_OFFSET`  | worker     | offset of this chunk in the request |
//! | 11   | 44   | `REQ_LEN`     | worker     | bytes in this chunk (≤ `C`) |
//! | 12   | 48   | `REP_STATE`   | both       | reply area: 0 empty (main may write), 1 full (worker may read) |
//! | 13   | 52   | `REP_SEQ`     | main       | sequence number the reply chunk answers |
//! | 14   | 56   | `REP_TOTAL`   | main       | total encoded length of the reply |
//! | 15   | 60   | `REP_OFFSET`  | main       | offset of this chunk in the reply |
//! | 16   | 64   | `REP_LEN`     | main       | bytes in this chunk (≤ `C`) |
//! | 17–31| 68   | reserved      |            | zero |
//!
//! Then the payload: the request area at byte [`HEADER_BYTES`] (128), `C` bytes, and the reply
//! area right after it at byte `128 + C`, `C` bytes. The buffer is [`region_bytes`]`(C)` =
//! `128 + 2·C` bytes long. In [`SharedRegion`], payload offsets count from byte 128.
//!
//! A chunk is handed over by writing its bytes and its four header words, then storing 1 into
//! the area's state word, then ringing the other side's bell (`Atomics.add(bell, 1)` followed by
//! `Atomics.notify(bell)`). The reader copies the bytes out, stores 0 into the state word and
//! rings back. The state word's sequentially consistent store/load orders the plain byte copies.

use std::time::Duration;

/// Identifies a buffer initialised by [`crate::ChannelMain::new`].
pub const MAGIC: i32 = 0x5745_4654;
/// Version of the layout table above. Independent of [`crate::protocol::PROTOCOL_VERSION`]:
/// the layout is what JS glue implements, the protocol is what Rust types encode.
pub const LAYOUT_VERSION: i32 = 1;
/// Number of `i32` control words reserved at the start of the buffer.
pub const HEADER_WORDS: usize = 32;
/// Bytes before the payload areas.
pub const HEADER_BYTES: usize = HEADER_WORDS * 4;
/// A payload area's state word when it holds nothing (its writer may fill it).
pub const EMPTY: i32 = 0;
/// A payload area's state word when it holds a chunk (its reader may take it).
pub const FULL: i32 = 1;

/// Size in bytes of a buffer whose two payload areas hold `capacity` bytes each.
pub const fn region_bytes(capacity: usize) -> usize {
    HEADER_BYTES + 2 * capacity
}

/// The control words, by index into the buffer's `Int32Array` (see the module docs' table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(usize)]
pub enum Word {
    Magic = 0,
    Layout = 1,
    Capacity = 2,
    Interrupt = 3,
    WorkerBell = 4,
    MainBell = 5,
    Cancel = 6,
    ReqState = 7,
    ReqSeq = 8,
    ReqTotal = 9,
    ReqOffset = 10,
    ReqLen = 11,
    RepState = 12,
    RepSeq = 13,
    RepTotal = 14,
    RepOffset = 15,
    RepLen = 16,
}

impl Word {
    /// Index into the `Int32Array` over the buffer.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Every word in layout order.
    pub const ALL: [Word; 17] = [
        Word::Magic,
        Word::Layout,
        Word::Capacity,
        Word::Interrupt,
        Word::WorkerBell,
        Word::MainBell,
        Word::Cancel,
        Word::ReqState,
        Word::ReqSeq,
        Word::ReqTotal,
        Word::ReqOffset,
        Word::ReqLen,
        Word::RepState,
        Word::RepSeq,
        Word::RepTotal,
        Word::RepOffset,
        Word::RepLen,
    ];
}

/// What `Atomics.wait` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// Woken by a notify (`"ok"`). Implementations may also report spurious wake-ups this way:
    /// the channel re-checks its condition after every wait.
    Woken,
    /// The word did not hold the expected value (`"not-equal"`).
    NotEqual,
    /// The timeout passed (`"timed-out"`).
    TimedOut,
}

/// The shared buffer as both sides use it: atomic control words and copy-in/copy-out payload
/// bytes. Nothing here blocks, so the main thread's half ([`crate::ChannelMain`]) needs only this.
///
/// All word operations are sequentially consistent, like JS `Atomics`. Payload copies are plain
/// (non-atomic) copies; the protocol orders them with the state words. Implementations may panic
/// on an out-of-range word or payload range: the channel validates every length and offset it
/// reads from the other side before it touches the payload, so that would be a bug in this
/// crate, never the peer's doing.
pub trait SharedRegion {
    /// `Atomics.load`.
    fn load(&self, word: Word) -> i32;
    /// `Atomics.store`.
    fn store(&self, word: Word, value: i32);
    /// `Atomics.compareExchange`: `Ok(previous)` if the word held `current` and now holds `new`,
    /// `Err(actual)` otherwise.
    fn compare_exchange(&self, word: Word, current: i32, new: i32) -> Result<i32, i32>;
    /// `Atomics.add` (wrapping); returns the previous value.
    fn fetch_add(&self, word: Word, delta: i32) -> i32 {
        let mut current = self.load(word);
        loop {
            match self.compare_exchange(word, current, current.wrapping_add(delta)) {
                Ok(previous) => return previous,
                Err(actual) => current = actual,
            }
        }
    }
    /// `Atomics.notify` on every waiter of `word`; returns how many were woken (informational).
    fn notify(&self, word: Word) -> u32;
    /// Called by the worker once the last chunk of request `seq` is in the request area (after
    /// the bell for it). A main side that hears of requests through an ordered message stream
    /// (the browser's) holds a request until this announcement arrives, so that it handles the
    /// request after every message the worker posted before it (the prompt of `input()`), even
    /// when an earlier bell made it find the request early.
    fn announce(&self, _seq: u32) {}
    /// Length of the payload part (both areas), in bytes.
    fn payload_len(&self) -> usize;
    /// Copies `src` into the payload part at `offset` (from byte [`HEADER_BYTES`]).
    fn write_payload(&self, offset: usize, src: &[u8]);
    /// Copies the payload part at `offset` (from byte [`HEADER_BYTES`]) into `dst`.
    fn read_payload(&self, offset: usize, dst: &mut [u8]);
}

/// What only the worker may do: block, and read a monotonic clock to bound its blocking.
///
/// Kept out of [`SharedRegion`] so that the rule "the main thread never waits" is a type error,
/// not a convention: [`crate::ChannelMain`] cannot call `wait`.
pub trait BlockingRegion: SharedRegion {
    /// `Atomics.wait(word, expected, timeout)`.
    fn wait(&self, word: Word, expected: i32, timeout: Duration) -> WaitOutcome;
    /// Monotonic time since some fixed origin (in wasm: `performance.now()`). The worker
    /// computes deadlines with it; `std::time::Instant` does not exist on wasm32-unknown-unknown.
    fn now(&self) -> Duration;
}

macro_rules! forward_region {
    ($($ty:ty),*) => {$(
        impl<T: SharedRegion + ?Sized> SharedRegion for $ty {
            fn load(&self, word: Word) -> i32 { (**self).load(word) }
            fn store(&self, word: Word, value: i32) { (**self).store(word, value) }
            fn compare_exchange(&self, word: Word, current: i32, new: i32) -> Result<i32, i32> {
                (**self).compare_exchange(word, current, new)
            }
            fn fetch_add(&self, word: Word, delta: i32) -> i32 { (**self).fetch_add(word, delta) }
            fn notify(&self, word: Word) -> u32 { (**self).notify(word) }
            fn announce(&self, seq: u32) { (**self).announce(seq) }
            fn payload_len(&self) -> usize { (**self).payload_len() }
            fn write_payload(&self, offset: usize, src: &[u8]) { (**self).write_payload(offset, src) }
            fn read_payload(&self, offset: usize, dst: &mut [u8]) { (**self).read_payload(offset, dst) }
        }
        impl<T: BlockingRegion + ?Sized> BlockingRegion for $ty {
            fn wait(&self, word: Word, expected: i32, timeout: Duration) -> WaitOutcome {
                (**self).wait(word, expected, timeout)
            }
            fn now(&self) -> Duration { (**self).now() }
        }
    )*};
}

// Both halves usually share one region: let them hold it by `Arc` or by reference.
forward_region!(&T, std::sync::Arc<T>);

#[cfg(all(not(loom), not(target_family = "wasm")))]
pub use native::NativeRegion;

#[cfg(all(not(loom), not(target_family = "wasm")))]
mod native {
    use std::sync::atomic::{AtomicI32, AtomicU8, Ordering::Relaxed, Ordering::SeqCst};
    use std::sync::{Condvar, Mutex, PoisonError};
    use std::time::{Duration, Instant};

    use super::{BlockingRegion, SharedRegion, WaitOutcome, Word, HEADER_WORDS};

    /// A native stand-in for the `SharedArrayBuffer`, for tests and native hosts: std atomics
    /// for the words, a futex built on `Mutex` + `Condvar` for `wait`/`notify`.
    ///
    /// Payload bytes are `AtomicU8` accessed with relaxed ordering: like a `Uint8Array` over a
    /// SharedArrayBuffer, a racy access gives some value rather than undefined behaviour, and
    /// the state words provide the ordering, exactly as in JS.
    pub struct NativeRegion {
        words: [AtomicI32; HEADER_WORDS],
        payload: Box<[AtomicU8]>,
        // The futex: a waiter checks the word and parks while holding `futex`, and `notify`
        // takes `futex` before signalling, so a notify that follows a store can never slip
        // between a waiter's check and its sleep. One condvar serves every word; waiters
        // re-check their own word, which is how `Atomics.wait` callers loop anyway.
        futex: Mutex<()>,
        wakeups: Condvar,
        origin: Instant,
    }

    impl NativeRegion {
        /// A zeroed region whose two payload areas hold `capacity` bytes each.
        pub fn new(capacity: usize) -> Self {
            NativeRegion {
                words: std::array::from_fn(|_| AtomicI32::new(0)),
                payload: (0..2 * capacity).map(|_| AtomicU8::new(0)).collect(),
                futex: Mutex::new(()),
                wakeups: Condvar::new(),
                origin: Instant::now(),
            }
        }

        fn word(&self, word: Word) -> &AtomicI32 {
            &self.words[word.index()]
        }
    }

    impl SharedRegion for NativeRegion {
        fn load(&self, word: Word) -> i32 {
            self.word(word).load(SeqCst)
        }

        fn store(&self, word: Word, value: i32) {
            self.word(word).store(value, SeqCst)
        }

        fn compare_exchange(&self, word: Word, current: i32, new: i32) -> Result<i32, i32> {
            self.word(word)
                .compare_exchange(current, new, SeqCst, SeqCst)
        }

        fn fetch_add(&self, word: Word, delta: i32) -> i32 {
            self.word(word).fetch_add(delta, SeqCst)
        }

        fn notify(&self, _word: Word) -> u32 {
            let _guard = self.futex.lock().unwrap_or_else(PoisonError::into_inner);
            self.wakeups.notify_all();
            0
        }

        fn payload_len(&self) -> usize {
            self.payload.len()
        }

        fn write_payload(&self, offset: usize, src: &[u8]) {
            for (cell, byte) in self.payload[offset..offset + src.len()].iter().zip(src) {
                cell.store(*byte, Relaxed);
            }
        }

        fn read_payload(&self, offset: usize, dst: &mut [u8]) {
            let cells = &self.payload[offset..offset + dst.len()];
            for (byte, cell) in dst.iter_mut().zip(cells) {
                *byte = cell.load(Relaxed);
            }
        }
    }

    impl BlockingRegion for NativeRegion {
        fn wait(&self, word: Word, expected: i32, timeout: Duration) -> WaitOutcome {
            let guard = self.futex.lock().unwrap_or_else(PoisonError::into_inner);
            if self.load(word) != expected {
                return WaitOutcome::NotEqual;
            }
            let (_guard, result) = self
                .wakeups
                .wait_timeout(guard, timeout)
                .unwrap_or_else(PoisonError::into_inner);
            if result.timed_out() {
                WaitOutcome::TimedOut
            } else {
                WaitOutcome::Woken
            }
        }

        fn now(&self) -> Duration {
            self.origin.elapsed()
        }
    }
}

#[cfg(loom)]
pub use model::{LoomRegion, LoomWait};

#[cfg(loom)]
mod model {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::sync::PoisonError;
    use std::time::Duration;

    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicI32, Ordering::SeqCst};
    use loom::sync::{Condvar, Mutex};

    use super::{BlockingRegion, SharedRegion, WaitOutcome, Word, HEADER_WORDS};

    /// How [`LoomRegion::wait`] behaves. Loom has no clock, so the two halves of `Atomics.wait`
    /// are checked separately.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum LoomWait {
        /// `wait` parks until a `notify` and never times out: a missing or misplaced notify
        /// shows up as a loom deadlock instead of being papered over by the next slice.
        Blocking,
        /// `wait` yields to the other threads and then reports a time-out, advancing a virtual
        /// clock by the timeout: models slices running out and deadlines passing, in every
        /// interleaving with replies and interrupts.
        TimeOut,
    }

    /// The region under loom: loom atomics for the words (every access is a point where loom
    /// may switch threads), loom `UnsafeCell`s for the two payload areas (loom reports any copy
    /// that is not ordered after the other side's last access by the state words), and a
    /// loom `Mutex` + `Condvar` futex.
    pub struct LoomRegion {
        words: Vec<AtomicI32>,
        capacity: usize,
        areas: [UnsafeCell<Vec<u8>>; 2],
        futex: Mutex<()>,
        wakeups: Condvar,
        mode: LoomWait,
        // Advanced by every timed-out wait on either side. Its value is a plain function of the
        // schedule loom chose, so replays stay deterministic without loom tracking it.
        virtual_nanos: AtomicU64,
    }

    // SAFETY: like a SharedArrayBuffer, the region is shared by design. The payload areas are
    // only touched through `UnsafeCell::with`/`with_mut`, which loom checks for accesses not
    // ordered by the state words (and loom runs one thread at a time); every other field is a
    // loom or std synchronisation primitive.
    unsafe impl Sync for LoomRegion {}

    impl LoomRegion {
        /// A zeroed region with two payload areas of `capacity` bytes. Create it inside
        /// `loom::model`.
        pub fn new(capacity: usize, mode: LoomWait) -> Self {
            LoomRegion {
                words: (0..HEADER_WORDS).map(|_| AtomicI32::new(0)).collect(),
                capacity,
                areas: [
                    UnsafeCell::new(vec![0; capacity]),
                    UnsafeCell::new(vec![0; capacity]),
                ],
                futex: Mutex::new(()),
                wakeups: Condvar::new(),
                mode,
                virtual_nanos: AtomicU64::new(0),
            }
        }

        /// The area a payload range lies in, and the offset inside it. The channel never copies
        /// across the boundary; if it did, that is the bug this model exists to find.
        fn area(&self, offset: usize, len: usize) -> (&UnsafeCell<Vec<u8>>, usize) {
            let index = offset / self.capacity.max(1);
            let start = offset - index * self.capacity;
            assert!(
                index < 2 && start + len <= self.capacity,
                "copy crosses a payload area"
            );
            (&self.areas[index], start)
        }
    }

    impl SharedRegion for LoomRegion {
        fn load(&self, word: Word) -> i32 {
            self.words[word.index()].load(SeqCst)
        }

        fn store(&self, word: Word, value: i32) {
            self.words[word.index()].store(value, SeqCst)
        }

        fn compare_exchange(&self, word: Word, current: i32, new: i32) -> Result<i32, i32> {
            self.words[word.index()].compare_exchange(current, new, SeqCst, SeqCst)
        }

        fn fetch_add(&self, word: Word, delta: i32) -> i32 {
            self.words[word.index()].fetch_add(delta, SeqCst)
        }

        fn notify(&self, _word: Word) -> u32 {
            if self.mode == LoomWait::Blocking {
                let _guard = self.futex.lock().unwrap_or_else(PoisonError::into_inner);
                self.wakeups.notify_all();
            }
            0
        }

        fn payload_len(&self) -> usize {
            2 * self.capacity
        }

        fn write_payload(&self, offset: usize, src: &[u8]) {
            let (area, start) = self.area(offset, src.len());
            // SAFETY: loom runs one thread at a time, and `with_mut` records this access so
            // loom fails the model if another thread's access to the same area is not ordered
            // before it.
            area.with_mut(|bytes| unsafe {
                (&mut (*bytes))[start..start + src.len()].copy_from_slice(src)
            });
        }

        fn read_payload(&self, offset: usize, dst: &mut [u8]) {
            let (area, start) = self.area(offset, dst.len());
            // SAFETY: as in `write_payload`; `with` records a read.
            area.with(|bytes| {
                dst.copy_from_slice(unsafe { &(&(*bytes))[start..start + dst.len()] })
            });
        }
    }

    impl BlockingRegion for LoomRegion {
        fn wait(&self, word: Word, expected: i32, timeout: Duration) -> WaitOutcome {
            match self.mode {
                LoomWait::Blocking => {
                    let guard = self.futex.lock().unwrap_or_else(PoisonError::into_inner);
                    if self.load(word) != expected {
                        return WaitOutcome::NotEqual;
                    }
                    drop(
                        self.wakeups
                            .wait(guard)
                            .unwrap_or_else(PoisonError::into_inner),
                    );
                    WaitOutcome::Woken
                }
                LoomWait::TimeOut => {
                    if self.load(word) != expected {
                        return WaitOutcome::NotEqual;
                    }
                    loom::thread::yield_now();
                    let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
                    self.virtual_nanos.fetch_add(nanos, Relaxed);
                    WaitOutcome::TimedOut
                }
            }
        }

        fn now(&self) -> Duration {
            Duration::from_nanos(self.virtual_nanos.load(Relaxed))
        }
    }
}
