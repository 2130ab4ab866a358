//! `threads`: the wasi-threads worker pool behind Python's `_thread` (DESIGN.md §5).
//!
//! The central abstraction is [`Pool`]: a table of worker *slots* in a small shared buffer, and
//! every transition of a slot, for the three parties that touch it:
//!
//! - **a spawning Python thread** ([`Pool::spawn`], inside `wasi.thread-spawn`): claims an idle
//!   slot, writes `(tid, start_arg)` into it and wakes its worker. If no slot is idle it asks the
//!   coordinator for more workers and waits, in slices, for at most a bound; then it fails and
//!   Python raises `RuntimeError: can't start new thread`. It never deadlocks.
//! - **a pool worker** ([`Pool::ready`], [`Pool::next_work`], [`Pool::enter_syscall`],
//!   [`Pool::leave_syscall`], [`Pool::finish`]): waits (`Atomics.waitAsync`, so it still hears
//!   messages) until its slot is assigned, runs `wasi_thread_start`, and returns to idle.
//! - **the coordinator** on the page's main thread ([`Pool::claim_free_slot`],
//!   [`Pool::reclaim`], [`Pool::release`]): starts workers, and ends a process's threads. It
//!   never waits.
//!
//! **Why shared memory and not messages.** A worker running Python hears no messages, and the
//! spawning thread is itself blocked in a syscall: the hand-over must be a few atomic words
//! that both sides can reach at any time (DESIGN.md §5). Messages only carry what may be slow:
//! "start more workers" to the coordinator, and the instance set-up of each worker.
//!
//! **Why the syscall state.** Every worker of an interpreter runs the same Rust runtime over one
//! shared memory, so a worker killed in the middle of a syscall could die holding a runtime lock
//! (the file table, the allocator) and hang every other thread. A slot therefore says whether
//! its thread runs guest code ([`SlotState::Running`]) or is inside the runtime
//! ([`SlotState::Syscall`]). When a process ends with threads still running (daemon threads),
//! the coordinator kills a `Running` worker only after moving it to [`SlotState::Killed`] by
//! compare-and-swap, which stops it from entering the runtime again; a thread in a syscall is
//! asked to stop through its slot's stop word, which also ends its blocking waits, and unwinds
//! at the syscall boundary, holding no lock.
//!
//! # Layout (i32 words)
//! Header: `MAGIC`, `SLOTS`, `NEXT_TID`, `IDLE_BELL` (bumped when a slot becomes idle),
//! `WANTED` (spawns waiting for a worker), `EPOCH` (the process the pool serves; 0 between
//! processes), 2 spare. Then per slot: `STATE`, `TID`, `START_ARG`, `STOP`.

#[cfg(target_arch = "wasm32")]
pub mod web;
mod words;

use std::time::Duration;

#[cfg(not(target_arch = "wasm32"))]
pub use words::NativeWords;
pub use words::{BlockingWords, Words};

const MAGIC: i32 = 0x5746_5450;
const W_MAGIC: usize = 0;
const W_SLOTS: usize = 1;
const W_NEXT_TID: usize = 2;
const W_IDLE_BELL: usize = 3;
const W_WANTED: usize = 4;
const W_EPOCH: usize = 5;
const HEADER_WORDS: usize = 8;
const SLOT_WORDS: usize = 4;
const S_STATE: usize = 0;
const S_TID: usize = 1;
const S_ARG: usize = 2;
const S_STOP: usize = 3;

/// Largest thread id (wasi-threads: ids are 1..=0x1FFFFFFF).
pub const MAX_TID: u32 = 0x1FFF_FFFF;

/// Longest single wait of a spawner before it looks again.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// How long a spawn waits for a busy worker to come back before asking for a new one: a thread
/// that was just joined frees its worker a moment after `join()` returns, and a program that
/// starts and joins threads one by one should keep reusing the same workers, not grow the pool.
const GRACE: Duration = Duration::from_millis(5);

/// Bytes of a pool buffer with `slots` slots.
pub const fn bytes_for(slots: usize) -> usize {
    4 * (HEADER_WORDS + SLOT_WORDS * slots)
}

/// Where a slot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum SlotState {
    /// No worker.
    Free = 0,
    /// A worker is starting, or preparing an instance for the next process.
    Starting = 1,
    /// Ready for the current process: can be claimed.
    Idle = 2,
    /// A spawner is writing `(tid, start_arg)`.
    Claimed = 3,
    /// `(tid, start_arg)` written; the worker is being woken.
    Assigned = 4,
    /// Running guest code.
    Running = 5,
    /// Inside the runtime (a syscall or a spawn).
    Syscall = 6,
    /// The coordinator is terminating this worker; it may not enter the runtime.
    Killed = 7,
}

impl SlotState {
    fn from_i32(v: i32) -> SlotState {
        match v {
            0 => SlotState::Free,
            1 => SlotState::Starting,
            2 => SlotState::Idle,
            3 => SlotState::Claimed,
            4 => SlotState::Assigned,
            5 => SlotState::Running,
            6 => SlotState::Syscall,
            // Only this crate writes states; treat garbage as a worker to get rid of.
            _ => SlotState::Killed,
        }
    }
}

/// What a worker should do next ([`Pool::next_work`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Call `wasi_thread_start(tid, start_arg)`; the slot is now [`SlotState::Running`].
    Start { tid: u32, start_arg: u32 },
    /// Nothing yet: wait until the slot's state word is no longer this value.
    Wait(i32),
    /// The coordinator took the slot back (the process ended): drop the instance.
    Reclaimed,
}

/// What [`Pool::reclaim`] did to a slot at the end of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reclaim {
    /// No worker, or one still starting: nothing to do.
    Nothing,
    /// It was idle and is now [`SlotState::Starting`]: tell its worker to drop its instance.
    Idle,
    /// It ran guest code and is now [`SlotState::Killed`]: terminate its worker, then
    /// [`Pool::release`] the slot.
    Terminate,
    /// It is inside the runtime or about to start: its stop word is set, and the worker will
    /// unwind at the syscall boundary and report.
    Stopping,
}

/// Why a spawn failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// No worker became idle in time.
    TimedOut,
    /// The pool serves no process (the spawning one is ending).
    NoProcess,
}

/// The pool table; see the crate docs.
pub struct Pool<W> {
    words: W,
    slots: usize,
}

impl<W: Words> Pool<W> {
    /// Initialises a fresh buffer (all of it: the number of slots follows from its length).
    pub fn create(words: W) -> Result<Self, String> {
        let len = words.size();
        if len < HEADER_WORDS + SLOT_WORDS {
            return Err(format!(
                "pool buffer of {} bytes: at least {} needed",
                len * 4,
                bytes_for(1)
            ));
        }
        let slots = (len - HEADER_WORDS) / SLOT_WORDS;
        for i in 0..len {
            words.store(i, 0);
        }
        words.store(W_SLOTS, slots as i32);
        words.store(W_NEXT_TID, 1);
        words.store(W_MAGIC, MAGIC);
        Ok(Pool { words, slots })
    }

    /// Views a buffer that [`Pool::create`] initialised.
    pub fn attach(words: W) -> Result<Self, String> {
        if words.size() < HEADER_WORDS || words.load(W_MAGIC) != MAGIC {
            return Err("not a Weft thread-pool buffer".into());
        }
        let slots = words.load(W_SLOTS) as usize;
        if words.size() < HEADER_WORDS + SLOT_WORDS * slots {
            return Err(format!("pool buffer too small for its {slots} slots"));
        }
        Ok(Pool { words, slots })
    }

    pub fn slots(&self) -> usize {
        self.slots
    }

    pub fn words(&self) -> &W {
        &self.words
    }

    fn at(&self, slot: usize, field: usize) -> usize {
        assert!(slot < self.slots, "slot {slot} of {}", self.slots);
        HEADER_WORDS + SLOT_WORDS * slot + field
    }

    pub fn state(&self, slot: usize) -> SlotState {
        SlotState::from_i32(self.words.load(self.at(slot, S_STATE)))
    }

    /// Index of a slot's state word (a worker waits on it while idle).
    pub fn state_word(&self, slot: usize) -> usize {
        self.at(slot, S_STATE)
    }

    /// Index of a slot's stop word (its thread's blocking waits end when it is set).
    pub fn stop_word(&self, slot: usize) -> usize {
        self.at(slot, S_STOP)
    }

    fn stopping(&self, slot: usize) -> bool {
        self.words.load(self.at(slot, S_STOP)) != 0
    }

    fn cas(&self, slot: usize, from: SlotState, to: SlotState) -> bool {
        let i = self.at(slot, S_STATE);
        let ok = self
            .words
            .compare_exchange(i, from as i32, to as i32)
            .is_ok();
        if ok {
            self.words.notify(i);
        }
        ok
    }

    fn ring_idle(&self) {
        self.words.fetch_add(W_IDLE_BELL, 1);
        self.words.notify(W_IDLE_BELL);
    }

    // ---- coordinator (never waits) ----

    /// The process the pool serves (0: none).
    pub fn epoch(&self) -> i32 {
        self.words.load(W_EPOCH)
    }

    /// Starts serving process `epoch` (non-zero), or none (0).
    pub fn set_epoch(&self, epoch: i32) {
        self.words.store(W_EPOCH, epoch);
        // Spawners of an ending process stop waiting.
        self.ring_idle();
    }

    /// Takes a free slot for a new worker ([`SlotState::Starting`]).
    pub fn claim_free_slot(&self) -> Option<usize> {
        (0..self.slots).find(|&s| self.cas(s, SlotState::Free, SlotState::Starting))
    }

    /// Slots in `state` (for example [`SlotState::Idle`]: ready to be claimed).
    pub fn count(&self, state: SlotState) -> usize {
        (0..self.slots).filter(|&s| self.state(s) == state).count()
    }

    /// Spawns waiting for a worker.
    pub fn wanted(&self) -> usize {
        self.words.load(W_WANTED).max(0) as usize
    }

    /// Ends the current process's use of `slot` (call after `set_epoch(0)`); see [`Reclaim`].
    pub fn reclaim(&self, slot: usize) -> Reclaim {
        loop {
            match self.state(slot) {
                SlotState::Free | SlotState::Starting | SlotState::Killed => {
                    return Reclaim::Nothing
                }
                SlotState::Idle => {
                    if self.cas(slot, SlotState::Idle, SlotState::Starting) {
                        return Reclaim::Idle;
                    }
                }
                SlotState::Running => {
                    self.request_stop(slot);
                    if self.cas(slot, SlotState::Running, SlotState::Killed) {
                        return Reclaim::Terminate;
                    }
                }
                SlotState::Claimed | SlotState::Assigned | SlotState::Syscall => {
                    self.request_stop(slot);
                    // Re-read: it may have finished or left the runtime meanwhile.
                    if matches!(
                        self.state(slot),
                        SlotState::Claimed | SlotState::Assigned | SlotState::Syscall
                    ) {
                        return Reclaim::Stopping;
                    }
                }
            }
        }
    }

    fn request_stop(&self, slot: usize) {
        let i = self.at(slot, S_STOP);
        self.words.store(i, 1);
        self.words.notify(i);
    }

    /// Frees a slot whose worker was terminated or never started.
    pub fn release(&self, slot: usize) {
        self.words.store(self.at(slot, S_STOP), 0);
        self.words
            .store(self.at(slot, S_STATE), SlotState::Free as i32);
    }

    // ---- pool worker ----

    /// The worker has an instance for process `epoch`: make the slot claimable. Returns false
    /// (the slot stays [`SlotState::Starting`]) when the pool no longer serves that process.
    pub fn ready(&self, slot: usize, epoch: i32) -> bool {
        if epoch == 0 || self.epoch() != epoch {
            return false;
        }
        self.words.store(self.at(slot, S_STOP), 0);
        if !self.cas(slot, SlotState::Starting, SlotState::Idle) {
            return false;
        }
        // The process may have ended between the check and the swap; the coordinator's
        // reclaim and this undo race on the same swap, and one of them wins.
        if self.epoch() != epoch {
            return !self.cas(slot, SlotState::Idle, SlotState::Starting);
        }
        self.ring_idle();
        true
    }

    /// What the worker of `slot` should do now.
    pub fn next_work(&self, slot: usize) -> Work {
        loop {
            let state = self.words.load(self.at(slot, S_STATE));
            match SlotState::from_i32(state) {
                SlotState::Idle | SlotState::Claimed => return Work::Wait(state),
                SlotState::Assigned => {
                    if !self.cas(slot, SlotState::Assigned, SlotState::Running) {
                        continue;
                    }
                    if self.stopping(slot) {
                        self.abandon(slot);
                        return Work::Reclaimed;
                    }
                    return Work::Start {
                        tid: self.words.load(self.at(slot, S_TID)) as u32,
                        start_arg: self.words.load(self.at(slot, S_ARG)) as u32,
                    };
                }
                _ => return Work::Reclaimed,
            }
        }
    }

    /// Before the thread enters the runtime. False: the process is ending; the worker must
    /// unwind out of the guest (and call [`Pool::abandon`]) instead.
    pub fn enter_syscall(&self, slot: usize) -> bool {
        !self.stopping(slot)
            && self.cas(slot, SlotState::Running, SlotState::Syscall)
            && !self.stopping(slot)
    }

    /// After the thread left the runtime. False: the process is ending (as for
    /// [`Pool::enter_syscall`]).
    pub fn leave_syscall(&self, slot: usize) -> bool {
        !self.stopping(slot) && self.cas(slot, SlotState::Syscall, SlotState::Running)
    }

    /// The thread returned from `wasi_thread_start`. True: the slot is idle again. False: it
    /// was reclaimed meanwhile (drop the instance and report).
    pub fn finish(&self, slot: usize) -> bool {
        if !self.stopping(slot) && self.cas(slot, SlotState::Running, SlotState::Idle) {
            self.ring_idle();
            return true;
        }
        self.abandon(slot);
        false
    }

    /// The thread unwound because its process ends: back to [`SlotState::Starting`], unless
    /// the coordinator is already terminating this worker.
    pub fn abandon(&self, slot: usize) {
        loop {
            let state = self.state(slot);
            if matches!(
                state,
                SlotState::Killed | SlotState::Starting | SlotState::Free
            ) {
                return;
            }
            if self.cas(slot, state, SlotState::Starting) {
                return;
            }
        }
    }

    fn next_tid(&self) -> u32 {
        let t = self.words.fetch_add(W_NEXT_TID, 1) as u32;
        t.wrapping_sub(1) % MAX_TID + 1
    }

    fn claim_idle(&self, start_arg: u32) -> Option<u32> {
        for slot in 0..self.slots {
            if self.state(slot) == SlotState::Idle
                && self.cas(slot, SlotState::Idle, SlotState::Claimed)
            {
                let tid = self.next_tid();
                self.words.store(self.at(slot, S_TID), tid as i32);
                self.words.store(self.at(slot, S_ARG), start_arg as i32);
                self.cas(slot, SlotState::Claimed, SlotState::Assigned);
                return Some(tid);
            }
        }
        None
    }
}

impl<W: BlockingWords> Pool<W> {
    /// Hands `start_arg` to an idle worker and returns the new thread's id. When none is idle,
    /// waits for one, for at most `timeout`; if none has come back after a grace of 5 ms, calls
    /// `want` once (the caller asks the coordinator for more workers).
    pub fn spawn(
        &self,
        start_arg: u32,
        timeout: Duration,
        mut want: impl FnMut(),
    ) -> Result<u32, SpawnError> {
        let start = self.words.now();
        let deadline = start.saturating_add(timeout);
        let ask_at = start.saturating_add(GRACE).min(deadline);
        let mut waiting = false;
        let result = loop {
            // Read the bell before looking, so an idle slot that appears after the look wakes
            // the wait below.
            let bell = self.words.load(W_IDLE_BELL);
            if self.epoch() == 0 {
                break Err(SpawnError::NoProcess);
            }
            if let Some(tid) = self.claim_idle(start_arg) {
                break Ok(tid);
            }
            let now = self.words.now();
            if !waiting && now >= ask_at {
                self.words.fetch_add(W_WANTED, 1);
                waiting = true;
                want();
            }
            if now >= deadline {
                break Err(SpawnError::TimedOut);
            }
            let until = if waiting { deadline } else { ask_at };
            self.words.wait(
                W_IDLE_BELL,
                bell,
                (until - now).clamp(Duration::from_micros(1), WAIT_SLICE),
            );
        };
        if waiting {
            self.words.fetch_add(W_WANTED, -1);
        }
        result
    }
}

#[cfg(test)]
mod tests;
