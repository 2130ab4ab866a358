//! The main thread's half: never waits, driven by the page's event loop.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;

use crate::chunk::{ring, seq_at_or_before, ChunkHeader, Direction, LayoutError};
use crate::protocol::{self, ProtocolError, Reply, Request};
use crate::shared::{SharedRegion, Word};
use crate::sync::{lock, Mutex};
use crate::worker_side::DEFAULT_MAX_MESSAGE_LEN;

/// Settings of [`ChannelMain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MainConfig {
    /// Largest encoded request accepted or reply sent. Keep it no larger than the worker's
    /// [`crate::WorkerConfig::max_message_len`].
    pub max_message_len: usize,
}

impl Default for MainConfig {
    fn default() -> Self {
        MainConfig {
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
        }
    }
}

/// What [`ChannelMain::poll`] hands to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A complete request. Answer it with [`ChannelMain::reply`] with the same `seq`, now or
    /// whenever an async handler settles.
    Request { seq: u32, request: Request },
    /// The worker gave up on request `seq` (interrupt, time-out) before its reply arrived.
    /// The client may cancel its handler (hide the input box); a later `reply` for it returns
    /// [`MainError::NotPending`] and sends nothing.
    Cancelled { seq: u32 },
    /// Request `seq` could not be decoded (another protocol version, a corrupt or oversized
    /// message). The channel has already answered it with [`Reply::Rejected`] so the worker
    /// does not hang; this event is for the client's log.
    Malformed { seq: u32, error: ProtocolError },
}

/// Why [`ChannelMain::reply`] sent nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MainError {
    /// No request `seq` awaits a reply: it was answered already, never received, or the worker
    /// gave up on it. Harmless for a handler that settles late; the client may ignore it.
    NotPending { seq: u32 },
    /// The encoded reply is larger than [`MainConfig::max_message_len`]. The request is still
    /// pending: answer it with an error instead (for a file, `EFBIG`).
    TooLarge { len: usize, max: usize },
    /// The reply could not be encoded.
    Protocol(ProtocolError),
}

impl fmt::Display for MainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MainError::NotPending { seq } => write!(f, "no pending request {seq} to reply to"),
            MainError::TooLarge { len, max } => {
                write!(f, "reply of {len} bytes exceeds the channel limit of {max}")
            }
            MainError::Protocol(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MainError {}

/// The main thread's half of the channel. See the crate docs for the design.
///
/// Nothing here waits: every method looks at the shared words, moves at most what is ready, and
/// returns. The client calls [`Self::poll`] whenever the `MAIN_BELL` word changes (await
/// `Atomics.waitAsync` on it; [`Self::bell`] gives the value to wait on) and [`Self::reply`]
/// when a handler settles.
pub struct ChannelMain<S> {
    region: S,
    capacity: usize,
    config: MainConfig,
    state: Mutex<MainState>,
}

#[derive(Default)]
struct MainState {
    /// The request whose chunks are arriving.
    assembly: Option<Assembly>,
    /// A request rejected mid-way: its remaining chunks are dropped without another rejection.
    rejected: Option<u32>,
    /// Requests handed to the client and not yet answered.
    pending: BTreeSet<u32>,
    /// Encoded replies waiting for the reply area, oldest first; the front one may be
    /// partly sent.
    outgoing: VecDeque<Outgoing>,
    /// Events not yet returned by `poll`.
    events: VecDeque<Incoming>,
    /// The last value of the CANCEL word acted on (0: none yet).
    cancelled: u32,
}

struct Assembly {
    seq: u32,
    total: u32,
    data: Vec<u8>,
}

struct Outgoing {
    seq: u32,
    bytes: Vec<u8>,
    sent: usize,
}

impl<S: SharedRegion> ChannelMain<S> {
    /// Initialises a fresh region (both payload areas get half of its payload part) and returns
    /// the main half. Send the buffer to the worker after this, so the worker sees the
    /// initialised words.
    pub fn new(region: S, config: MainConfig) -> Result<Self, LayoutError> {
        let capacity = crate::chunk::initialize(&region)?;
        Ok(ChannelMain {
            region,
            capacity,
            config,
            state: Mutex::new(MainState::default()),
        })
    }

    /// Takes what the worker has put in shared memory and pushes the next reply chunk.
    /// Returns the next event, or `None` when nothing is complete yet. Call it until `None`
    /// each time the `MAIN_BELL` word changes.
    pub fn poll(&self) -> Option<Incoming> {
        let mut state = lock(&self.state);
        self.pump_locked(&mut state);
        loop {
            if let Some(event) = state.events.pop_front() {
                return Some(event);
            }
            if !self.take_request_chunk(&mut state) {
                return None;
            }
        }
    }

    /// Queues the reply to request `seq` and sends its first chunk if the reply area is free.
    /// A reply larger than the area goes out one chunk per [`Self::pump`]/[`Self::poll`], as
    /// the worker takes the previous one and rings `MAIN_BELL`.
    pub fn reply(&self, seq: u32, reply: &Reply) -> Result<(), MainError> {
        let mut state = lock(&self.state);
        // Learn about a cancellation first, so that a handler settling after the worker gave
        // up gets `NotPending` instead of sending bytes nobody reads.
        self.refresh_cancel(&mut state);
        if !state.pending.contains(&seq) {
            return Err(MainError::NotPending { seq });
        }
        let bytes = protocol::encode_reply(reply).map_err(MainError::Protocol)?;
        let max = self.max_message_len();
        if bytes.len() > max {
            return Err(MainError::TooLarge {
                len: bytes.len(),
                max,
            });
        }
        state.pending.remove(&seq);
        state.outgoing.push_back(Outgoing {
            seq,
            bytes,
            sent: 0,
        });
        self.pump_locked(&mut state);
        Ok(())
    }

    /// Moves the next reply chunk into the reply area if it is free. Returns whether replies
    /// are still queued. [`Self::poll`] and [`Self::reply`] call it too.
    pub fn pump(&self) -> bool {
        let mut state = lock(&self.state);
        self.pump_locked(&mut state)
    }

    /// Requests a `KeyboardInterrupt` in the worker: sets the interrupt word and wakes the
    /// worker wherever it waits (a request, a sleep). Stays set until the worker takes it.
    pub fn interrupt(&self) {
        self.region.store(Word::Interrupt, 1);
        // A sleeping worker waits on the interrupt word, a requesting one on its bell.
        self.region.notify(Word::Interrupt);
        ring(&self.region, Word::WorkerBell);
    }

    /// Withdraws an interrupt the worker has not taken yet (for example before starting new
    /// code, so that a Ctrl-C pressed while idle does not hit it).
    pub fn clear_interrupt(&self) {
        self.region.store(Word::Interrupt, 0);
    }

    /// The current value of the `MAIN_BELL` word: `Atomics.waitAsync(i32, 5, bell)` resolves
    /// when the worker has done something [`Self::poll`] should look at.
    pub fn bell(&self) -> i32 {
        self.region.load(Word::MainBell)
    }

    /// Sequence numbers of requests handed out by [`Self::poll`] and not yet answered.
    pub fn pending(&self) -> Vec<u32> {
        lock(&self.state).pending.iter().copied().collect()
    }

    /// The shared region.
    pub fn region(&self) -> &S {
        &self.region
    }

    fn max_message_len(&self) -> usize {
        self.config.max_message_len.min(u32::MAX as usize)
    }

    fn pump_locked(&self, state: &mut MainState) -> bool {
        self.refresh_cancel(state);
        if !Direction::Reply.is_full(&self.region) {
            if let Some(front) = state.outgoing.front_mut() {
                let len = (front.bytes.len() - front.sent).min(self.capacity);
                let header = ChunkHeader {
                    seq: front.seq,
                    total: front.bytes.len() as u32, // checked against u32::MAX when queued
                    offset: front.sent as u32,
                    len: len as u32,
                };
                let chunk = &front.bytes[front.sent..front.sent + len];
                Direction::Reply.publish(&self.region, self.capacity, header, chunk);
                front.sent += len;
                if front.sent >= front.bytes.len() {
                    state.outgoing.pop_front();
                }
                ring(&self.region, Word::WorkerBell);
            }
        }
        !state.outgoing.is_empty()
    }

    /// Acts on a new value of the CANCEL word: the worker gave up on every request up to it
    /// (its requests are sequential, so an abandoned request also ends all earlier ones).
    fn refresh_cancel(&self, state: &mut MainState) {
        let cancel = self.region.load(Word::Cancel) as u32;
        if cancel == 0 || cancel == state.cancelled {
            return;
        }
        state.cancelled = cancel;
        let gone: Vec<u32> = state
            .pending
            .iter()
            .copied()
            .filter(|&seq| seq_at_or_before(seq, cancel))
            .collect();
        for seq in gone {
            state.pending.remove(&seq);
            state.events.push_back(Incoming::Cancelled { seq });
        }
        if state
            .assembly
            .as_ref()
            .is_some_and(|a| seq_at_or_before(a.seq, cancel))
        {
            state.assembly = None;
        }
        // Replies nobody waits for, even half-sent ones: the worker skips any chunk of them
        // already in the reply area by its sequence number.
        state
            .outgoing
            .retain(|out| !seq_at_or_before(out.seq, cancel));
    }

    /// Takes one request chunk if there is one; returns whether it did.
    fn take_request_chunk(&self, state: &mut MainState) -> bool {
        if !Direction::Request.is_full(&self.region) {
            return false;
        }
        let header = Direction::Request.header(&self.region);
        let seq = header.seq;
        let abandoned = state.cancelled != 0 && seq_at_or_before(seq, state.cancelled);
        if abandoned || state.rejected == Some(seq) {
            self.release_request_area();
            return true;
        }
        let assembled = match &state.assembly {
            Some(a) if a.seq == seq => Some((a.total, a.data.len())),
            _ => None,
        };
        if let Err(why) = header.check(self.capacity, self.max_message_len(), assembled) {
            self.release_request_area();
            self.reject(state, seq, ProtocolError::Malformed(why));
            return true;
        }
        if header.offset == 0 {
            // A new request ends any half-received one: the worker has moved on from it.
            state.assembly = Some(Assembly {
                seq,
                total: header.total,
                data: Vec::with_capacity(header.total as usize),
            });
        }
        let complete = match state.assembly.as_mut() {
            Some(assembly) => {
                let start = assembly.data.len();
                assembly.data.resize(start + header.len as usize, 0);
                Direction::Request.copy_out(
                    &self.region,
                    self.capacity,
                    &mut assembly.data[start..],
                );
                assembly.data.len() == assembly.total as usize
            }
            // `check` accepted a continuation chunk only with an assembly of this seq.
            None => false,
        };
        self.release_request_area();
        if complete {
            if let Some(assembly) = state.assembly.take() {
                match protocol::decode_request(&assembly.data) {
                    Ok(request) => {
                        state.pending.insert(seq);
                        state.events.push_back(Incoming::Request { seq, request });
                    }
                    Err(error) => self.reject(state, seq, error),
                }
            }
        }
        true
    }

    fn release_request_area(&self) {
        Direction::Request.release(&self.region);
        ring(&self.region, Word::WorkerBell);
    }

    /// Answers an unusable request with [`Reply::Rejected`] so the worker gets an error
    /// instead of waiting forever.
    fn reject(&self, state: &mut MainState, seq: u32, error: ProtocolError) {
        if state.assembly.as_ref().is_some_and(|a| a.seq == seq) {
            state.assembly = None;
        }
        state.rejected = Some(seq);
        let reply = Reply::Rejected {
            message: error.to_string(),
        };
        state.events.push_back(Incoming::Malformed { seq, error });
        // Encoding a short string into a Vec cannot fail; if it ever did, the worker's
        // interrupt or time-out is still there to end its wait.
        if let Ok(bytes) = protocol::encode_reply(&reply) {
            state.outgoing.push_back(Outgoing {
                seq,
                bytes,
                sent: 0,
            });
            self.pump_locked(state);
        }
    }
}
