//! One payload area and its header words: what both halves share about moving a chunk.
//!
//! Each direction is a single-producer, single-consumer slot. The writer fills the area and the
//! header while the state word is [`EMPTY`], then publishes with `state = FULL`; the reader
//! copies out while it is [`FULL`], then releases with `state = EMPTY`. Because the two
//! directions have separate areas, a late reply can sit in the reply area while the worker
//! already sends its next request: neither side ever waits for the other to finish a message.

use crate::shared::{SharedRegion, Word, EMPTY, FULL, HEADER_BYTES, LAYOUT_VERSION, MAGIC};

/// Which payload area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Worker → main.
    Request,
    /// Main → worker.
    Reply,
}

/// The header words of one chunk, as read from shared memory (not yet validated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkHeader {
    pub seq: u32,
    pub total: u32,
    pub offset: u32,
    pub len: u32,
}

impl Direction {
    fn words(self) -> [Word; 5] {
        match self {
            Direction::Request => [
                Word::ReqState,
                Word::ReqSeq,
                Word::ReqTotal,
                Word::ReqOffset,
                Word::ReqLen,
            ],
            Direction::Reply => [
                Word::RepState,
                Word::RepSeq,
                Word::RepTotal,
                Word::RepOffset,
                Word::RepLen,
            ],
        }
    }

    pub(crate) fn state(self) -> Word {
        self.words()[0]
    }

    /// Start of this direction's area within the payload part.
    fn area_offset(self, capacity: usize) -> usize {
        match self {
            Direction::Request => 0,
            Direction::Reply => capacity,
        }
    }

    /// Whether the area holds a chunk for its reader.
    pub(crate) fn is_full(self, region: &impl SharedRegion) -> bool {
        region.load(self.state()) == FULL
    }

    /// Writes one chunk and publishes it. The caller has seen the state [`EMPTY`] and is the
    /// area's only writer, so nobody else touches the area until the store of [`FULL`].
    pub(crate) fn publish(
        self,
        region: &impl SharedRegion,
        capacity: usize,
        header: ChunkHeader,
        bytes: &[u8],
    ) {
        debug_assert!(bytes.len() <= capacity && bytes.len() == header.len as usize);
        region.write_payload(self.area_offset(capacity), bytes);
        let [state, seq, total, offset, len] = self.words();
        region.store(seq, header.seq as i32);
        region.store(total, header.total as i32);
        region.store(offset, header.offset as i32);
        region.store(len, header.len as i32);
        // Last: the sequentially consistent store orders every write above before the reader's
        // load of FULL.
        region.store(state, FULL);
    }

    /// Reads the header of the chunk in the area (the caller has seen [`FULL`]).
    pub(crate) fn header(self, region: &impl SharedRegion) -> ChunkHeader {
        let [_, seq, total, offset, len] = self.words();
        ChunkHeader {
            seq: region.load(seq) as u32,
            total: region.load(total) as u32,
            offset: region.load(offset) as u32,
            len: region.load(len) as u32,
        }
    }

    /// Copies the first `dst.len()` bytes of the area out. `dst.len()` must be validated
    /// against the capacity first.
    pub(crate) fn copy_out(self, region: &impl SharedRegion, capacity: usize, dst: &mut [u8]) {
        region.read_payload(self.area_offset(capacity), dst);
    }

    /// Hands the area back to its writer.
    pub(crate) fn release(self, region: &impl SharedRegion) {
        region.store(self.state(), EMPTY);
    }
}

impl ChunkHeader {
    /// Checks a chunk read from the other side before any byte is copied: it fits the area,
    /// lies inside its message, the message is within `max_len`, and it continues exactly where
    /// the message assembled so far (`assembled`: its total and received length) stops.
    pub(crate) fn check(
        &self,
        capacity: usize,
        max_len: usize,
        assembled: Option<(u32, usize)>,
    ) -> Result<(), String> {
        let (total, offset, len) = (self.total as usize, self.offset as usize, self.len as usize);
        if total > max_len {
            return Err(format!(
                "message of {total} bytes exceeds the limit of {max_len}"
            ));
        }
        if len > capacity {
            return Err(format!("chunk of {len} bytes in an area of {capacity}"));
        }
        if len == 0 && total != 0 {
            return Err("empty chunk in a non-empty message".to_string());
        }
        if offset.checked_add(len).is_none_or(|end| end > total) {
            return Err(format!(
                "chunk {offset}+{len} outside a message of {total} bytes"
            ));
        }
        let expected = match assembled {
            Some((assembled_total, received)) if self.offset != 0 => {
                if assembled_total != self.total {
                    return Err(format!(
                        "chunk says the message has {total} bytes, its first chunk said \
                         {assembled_total}"
                    ));
                }
                received
            }
            _ => 0,
        };
        if offset != expected {
            return Err(format!("chunk at offset {offset}, expected {expected}"));
        }
        Ok(())
    }
}

/// Whether `a` comes at or before `b` in wrapping sequence order (RFC 1982 style): sequence
/// numbers wrap after 2^32 requests, and the ones still in play are always close together.
pub(crate) fn seq_at_or_before(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) >= 0
}

/// Rings a bell: bump the counter, then wake whoever waits on it. Bumping first is what makes
/// the waiter's "read bell, check condition, wait while the bell is unchanged" loop free of
/// lost wake-ups.
pub(crate) fn ring(region: &impl SharedRegion, bell: Word) {
    region.fetch_add(bell, 1);
    region.notify(bell);
}

/// Writes the identifying header words of a fresh region and zeroes the rest.
/// Returns the capacity of each payload area.
pub(crate) fn initialize(region: &impl SharedRegion) -> Result<usize, LayoutError> {
    let capacity = region.payload_len() / 2;
    if capacity == 0 || i32::try_from(capacity).is_err() {
        return Err(LayoutError(format!(
            "payload part of {} bytes: each of the two areas needs 1 to {} bytes",
            region.payload_len(),
            i32::MAX
        )));
    }
    for word in Word::ALL {
        region.store(word, 0);
    }
    region.store(Word::Capacity, capacity as i32);
    region.store(Word::Layout, LAYOUT_VERSION);
    region.store(Word::Magic, MAGIC);
    Ok(capacity)
}

/// Checks that a region was initialised by [`initialize`] with this layout.
/// Returns the capacity of each payload area.
pub(crate) fn validate(region: &impl SharedRegion) -> Result<usize, LayoutError> {
    let magic = region.load(Word::Magic);
    if magic != MAGIC {
        return Err(LayoutError(format!(
            "word 0 is {magic:#x}, not {MAGIC:#x}: the buffer was not set up by ChannelMain::new"
        )));
    }
    let layout = region.load(Word::Layout);
    if layout != LAYOUT_VERSION {
        return Err(LayoutError(format!(
            "shared-memory layout version {layout}, this build speaks {LAYOUT_VERSION}"
        )));
    }
    let capacity = region.load(Word::Capacity);
    let fits = usize::try_from(capacity).ok().filter(|&c| {
        c > 0
            && c.checked_mul(2)
                .is_some_and(|both| both <= region.payload_len())
    });
    fits.ok_or_else(|| {
        LayoutError(format!(
            "capacity word {capacity} does not fit a payload part of {} bytes ({} with the header)",
            region.payload_len(),
            region.payload_len() + HEADER_BYTES
        ))
    })
}

/// A shared buffer that does not follow [`crate::shared`]'s layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutError(pub String);

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sync-io shared buffer: {}", self.0)
    }
}

impl std::error::Error for LayoutError {}

#[cfg(test)]
mod tests {
    use super::seq_at_or_before;

    #[test]
    fn sequence_order_wraps() {
        assert!(seq_at_or_before(1, 1));
        assert!(seq_at_or_before(1, 2));
        assert!(!seq_at_or_before(2, 1));
        assert!(seq_at_or_before(u32::MAX, 1));
        assert!(!seq_at_or_before(1, u32::MAX));
    }
}
