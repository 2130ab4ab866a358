//! The worker's half: blocking requests that an interrupt always ends.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::chunk::{ring, ChunkHeader, Direction, LayoutError};
use crate::protocol::{self, ProtocolError, Reply, Request};
use crate::shared::{BlockingRegion, Word};
use crate::sync::{try_lock, Mutex, MutexGuard};

/// Default length of one `Atomics.wait` slice (webR's figure). Wake-ups normally come from the
/// bell long before a slice ends; the slice bounds the damage of a notify that never comes.
pub const DEFAULT_WAIT_SLICE: Duration = Duration::from_millis(50);

/// Default limit on one encoded message, either direction. A wasm32 worker has at most 4 GiB
/// of memory and holds a message twice while decoding it; the limit turns an absurd length
/// word into an error before anything is allocated.
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 256 << 20;

/// Settings of [`ChannelWorker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Longest single wait before the worker re-checks the interrupt word and its deadline.
    /// Values under 1 ms are raised to 1 ms so that a wait can never become a spin.
    pub wait_slice: Duration,
    /// Largest encoded request sent or reply accepted.
    pub max_message_len: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            wait_slice: DEFAULT_WAIT_SLICE,
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
        }
    }
}

/// Why [`ChannelWorker::request`] returned without a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelError {
    /// The interrupt word is set. It stays set until whoever raises `KeyboardInterrupt`
    /// clears it: in Weft, CPython itself (the word is python.wasm's `weft_interrupt_word`,
    /// see `web::WebRegion::bind_interrupt`); elsewhere [`ChannelWorker::take_interrupt`].
    /// A late reply is discarded.
    Interrupted,
    /// The deadline of [`ChannelWorker::request_timeout`] passed. A late reply is discarded.
    TimedOut,
    /// The encoded request is larger than [`WorkerConfig::max_message_len`]; nothing was sent.
    TooLarge { len: usize, max: usize },
    /// The reply did not decode (including another protocol version).
    Protocol(ProtocolError),
    /// The main side could not take the request (see [`Reply::Rejected`]).
    Rejected(String),
    /// The main side's chunk headers broke the protocol (a bug or a foreign writer).
    Corrupt(String),
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelError::Interrupted => {
                f.write_str("interrupted while waiting for the main thread")
            }
            ChannelError::TimedOut => f.write_str("timed out waiting for the main thread"),
            ChannelError::TooLarge { len, max } => {
                write!(
                    f,
                    "request of {len} bytes exceeds the channel limit of {max}"
                )
            }
            ChannelError::Protocol(e) => write!(f, "{e}"),
            ChannelError::Rejected(why) => write!(f, "the main thread rejected the request: {why}"),
            ChannelError::Corrupt(why) => {
                write!(f, "corrupt reply chunk from the main thread: {why}")
            }
        }
    }
}

impl std::error::Error for ChannelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChannelError::Protocol(e) => Some(e),
            _ => None,
        }
    }
}

/// The worker's half of the channel. See the crate docs for the design.
///
/// Thread-safe: requests from several Python threads take turns, because the request and reply
/// areas hold one message at a time. Waiting for the turn is a wait like any other (in slices,
/// woken by the bell, ended by an interrupt or the deadline), so a thread queued behind another
/// thread's `input()` can still be interrupted. [`Self::sleep`] and [`Self::check_interrupt`]
/// do not take turns.
pub struct ChannelWorker<S> {
    region: S,
    capacity: usize,
    config: WorkerConfig,
    /// The sequence number of the next request; held for a whole request, which is what makes
    /// requests take turns (see [`Self::take_turn`]). Shared by every handle on the channel.
    next_seq: Arc<Mutex<u32>>,
}

/// The turn order of one channel, for handles on it in other threads ([`ChannelWorker::turns`]).
///
/// Each worker needs its own view of the region (a JS view belongs to one worker), so a Python
/// thread on another worker attaches its own [`ChannelWorker`]; sharing the turns keeps its
/// requests from interleaving with the other threads'. Requires memory shared between the
/// threads (Weft's runtime runs over one shared memory in every worker).
#[derive(Clone)]
pub struct Turns(Arc<Mutex<u32>>);

impl<S: BlockingRegion> ChannelWorker<S> {
    /// Attaches to a region that [`crate::ChannelMain::new`] has initialised.
    pub fn new(region: S, config: WorkerConfig) -> Result<Self, LayoutError> {
        Self::with_turns(region, config, Turns(Arc::new(Mutex::new(1))))
    }

    /// Another handle on a channel that already has one: its own `region` view, the same
    /// turns.
    pub fn with_turns(region: S, config: WorkerConfig, turns: Turns) -> Result<Self, LayoutError> {
        let capacity = crate::chunk::validate(&region)?;
        Ok(ChannelWorker {
            region,
            capacity,
            config,
            next_seq: turns.0,
        })
    }

    /// The turns of this channel, for [`Self::with_turns`].
    pub fn turns(&self) -> Turns {
        Turns(self.next_seq.clone())
    }

    /// Sends `request` and blocks until its reply, an interrupt, or an error.
    pub fn request(&self, request: &Request) -> Result<Reply, ChannelError> {
        self.request_until(request, None)
    }

    /// As [`Self::request`], but gives up with [`ChannelError::TimedOut`] after `timeout`
    /// (counted from the call, including waiting for the turn of other threads' requests).
    pub fn request_timeout(
        &self,
        request: &Request,
        timeout: Duration,
    ) -> Result<Reply, ChannelError> {
        let deadline = self.region.now().saturating_add(timeout);
        self.request_until(request, Some(deadline))
    }

    /// Whether an interrupt is pending (the runtime polls this between guest calls).
    pub fn check_interrupt(&self) -> bool {
        self.region.load(Word::Interrupt) != 0
    }

    /// Clears a pending interrupt; returns whether there was one, so that one `interrupt()`
    /// raises once. For hosts whose guest does not clear the word itself (Weft's python.wasm
    /// does).
    pub fn take_interrupt(&self) -> bool {
        let mut seen = self.region.load(Word::Interrupt);
        while seen != 0 {
            match self.region.compare_exchange(Word::Interrupt, seen, 0) {
                Ok(_) => return true,
                Err(actual) => seen = actual,
            }
        }
        false
    }

    /// Blocks for `duration` (`time.sleep`, `poll_oneoff` clocks) without spinning; returns
    /// [`ChannelError::Interrupted`] as soon as an interrupt is pending. Waits on the interrupt
    /// word itself, so `interrupt()` wakes it at once; slices only bound each single wait.
    pub fn sleep(&self, duration: Duration) -> Result<(), ChannelError> {
        let deadline = self.region.now().saturating_add(duration);
        loop {
            if self.check_interrupt() {
                return Err(ChannelError::Interrupted);
            }
            let now = self.region.now();
            if now >= deadline {
                return Ok(());
            }
            let slice = (deadline - now).min(self.slice());
            self.region.wait(Word::Interrupt, 0, slice);
        }
    }

    /// The shared region (for the runtime's own waits on it).
    pub fn region(&self) -> &S {
        &self.region
    }

    fn slice(&self) -> Duration {
        self.config.wait_slice.max(Duration::from_millis(1))
    }

    /// Waits for this thread's turn to use the areas. Whoever ends a turn unlocks and then
    /// rings the worker bell, in that order: a waiter that woke before the unlock sees the bell
    /// change after it and tries again, instead of sleeping through the release.
    fn take_turn(&self, deadline: Option<Duration>) -> Result<MutexGuard<'_, u32>, ChannelError> {
        loop {
            // Same pattern as `wait_for`: read the bell before looking.
            let bell = self.region.load(Word::WorkerBell);
            // A pending interrupt wins before anything is sent: no sequence number is spent,
            // and the main side never sees a request nobody waits for.
            if self.check_interrupt() {
                return Err(ChannelError::Interrupted);
            }
            if let Some(guard) = try_lock(&self.next_seq) {
                return Ok(guard);
            }
            self.wait_bell(bell, deadline)?;
        }
    }

    /// One wait on the worker's bell while it still reads `bell`, bounded by a slice and the
    /// deadline.
    fn wait_bell(&self, bell: i32, deadline: Option<Duration>) -> Result<(), ChannelError> {
        let mut slice = self.slice();
        if let Some(deadline) = deadline {
            let now = self.region.now();
            if now >= deadline {
                return Err(ChannelError::TimedOut);
            }
            slice = slice.min(deadline - now);
        }
        self.region.wait(Word::WorkerBell, bell, slice);
        Ok(())
    }

    fn request_until(
        &self,
        request: &Request,
        deadline: Option<Duration>,
    ) -> Result<Reply, ChannelError> {
        let mut next_seq = self.take_turn(deadline)?;
        let result = self.request_in_turn(&mut next_seq, request, deadline);
        drop(next_seq);
        ring(&self.region, Word::WorkerBell);
        result
    }

    fn request_in_turn(
        &self,
        next_seq: &mut u32,
        request: &Request,
        deadline: Option<Duration>,
    ) -> Result<Reply, ChannelError> {
        let bytes = protocol::encode_request(request).map_err(ChannelError::Protocol)?;
        let max = self.config.max_message_len.min(u32::MAX as usize);
        if bytes.len() > max {
            return Err(ChannelError::TooLarge {
                len: bytes.len(),
                max,
            });
        }
        let seq = *next_seq;
        // 0 is never a sequence number: it is the CANCEL word's "nothing cancelled".
        *next_seq = match seq.wrapping_add(1) {
            0 => 1,
            next => next,
        };

        let outcome = self
            .send(seq, &bytes, deadline)
            .and_then(|()| self.receive(seq, deadline))
            .and_then(|reply| protocol::decode_reply(&reply).map_err(ChannelError::Protocol));
        match outcome {
            Ok(Reply::Rejected { message }) => Err(ChannelError::Rejected(message)),
            Ok(reply) => Ok(reply),
            Err(error) => {
                // Tell the main side to stop working on this request and to drop what is left
                // of its reply; chunks of it already in the reply area are skipped by the next
                // request because their sequence number is not the one it waits for.
                self.region.store(Word::Cancel, seq as i32);
                ring(&self.region, Word::MainBell);
                Err(error)
            }
        }
    }

    /// Waits until `direction`'s area is full (`want_full`) or empty, the interrupt word is set,
    /// or the deadline passes.
    fn wait_for(
        &self,
        direction: Direction,
        want_full: bool,
        deadline: Option<Duration>,
    ) -> Result<(), ChannelError> {
        loop {
            // Read the bell before checking, and wait only while it is unchanged: whatever the
            // main side does after our checks bumps the bell first, so the wait returns at once
            // instead of sleeping through it.
            let bell = self.region.load(Word::WorkerBell);
            // The interrupt first: the user pressed Ctrl-C, even if a reply is also ready.
            if self.check_interrupt() {
                return Err(ChannelError::Interrupted);
            }
            if direction.is_full(&self.region) == want_full {
                return Ok(());
            }
            self.wait_bell(bell, deadline)?;
        }
    }

    /// Sends one encoded request in chunks of at most `capacity` bytes.
    fn send(&self, seq: u32, bytes: &[u8], deadline: Option<Duration>) -> Result<(), ChannelError> {
        let total = bytes.len() as u32; // checked against u32::MAX by the caller
        let mut offset = 0;
        // `loop` rather than `while offset < total`: even an empty message is one chunk.
        loop {
            // The previous chunk (ours, or the last one of a request we abandoned) must have
            // been taken before the area is ours again.
            self.wait_for(Direction::Request, false, deadline)?;
            let len = (bytes.len() - offset).min(self.capacity);
            let header = ChunkHeader {
                seq,
                total,
                offset: offset as u32,
                len: len as u32,
            };
            Direction::Request.publish(
                &self.region,
                self.capacity,
                header,
                &bytes[offset..offset + len],
            );
            ring(&self.region, Word::MainBell);
            offset += len;
            if offset >= bytes.len() {
                self.region.announce(seq);
                return Ok(());
            }
        }
    }

    /// Collects the reply to `seq`, skipping chunks of replies to abandoned requests.
    fn receive(&self, seq: u32, deadline: Option<Duration>) -> Result<Vec<u8>, ChannelError> {
        let mut message = Vec::new();
        let mut total = None;
        loop {
            self.wait_for(Direction::Reply, true, deadline)?;
            let header = Direction::Reply.header(&self.region);
            if header.seq != seq {
                Direction::Reply.release(&self.region);
                ring(&self.region, Word::MainBell);
                continue;
            }
            let assembled = total.map(|total| (total, message.len()));
            if let Err(why) = header.check(self.capacity, self.config.max_message_len, assembled) {
                Direction::Reply.release(&self.region);
                ring(&self.region, Word::MainBell);
                return Err(ChannelError::Corrupt(why));
            }
            if header.offset == 0 {
                message.clear();
                message.reserve_exact(header.total as usize);
                total = Some(header.total);
            }
            let start = message.len();
            message.resize(start + header.len as usize, 0);
            Direction::Reply.copy_out(&self.region, self.capacity, &mut message[start..]);
            Direction::Reply.release(&self.region);
            ring(&self.region, Word::MainBell);
            if message.len() == header.total as usize {
                return Ok(message);
            }
        }
    }
}
