//! The messages of the channel: what the worker asks the main thread and what it answers.
//!
//! Both halves are built from this one file, so the types are the contract; the version tag
//! catches the one case where they still disagree (a worker runtime and a main-thread client
//! from different builds). Every message travels as a postcard-encoded *envelope*:
//!
//! ```text
//! varint(u32 PROTOCOL_VERSION) ++ postcard(body)
//! ```
//!
//! The version comes first and on its own so that it can be read whatever the body's layout is:
//! a message of another version is reported as [`ProtocolError::VersionMismatch`], never as a
//! confusing "malformed body".
//!
//! Only synchronous requests live here. Output (stdout/stderr), control replies and events
//! already travel by `postMessage`; interrupts are a word in shared memory
//! ([`crate::shared::Word::Interrupt`]), not a message, because they must reach a worker that
//! is busy and hears no messages.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Version of the message types in this file. Bump it whenever a type below changes shape
/// (a new variant, a new field, a reordering): postcard is not self-describing, so an old peer
/// would otherwise misread the new layout silently.
pub const PROTOCOL_VERSION: u32 = 2;

/// A synchronous request from the worker (the Python side) to the main thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Read from the client's stdin handler (`input()`, `sys.stdin.read*`).
    ///
    /// `max` is the size of the guest's read buffer. The main side should answer with at most
    /// `max` bytes and keep the rest of a longer line for the next request, but the worker must
    /// tolerate a longer answer (it buffers the surplus): a stdin handler returns whole lines and
    /// the contract is easier to honour on the Rust side than in every JS handler.
    ReadStdin { max: u32 },
    /// A file operation on a directory mounted by the page (for example `/mnt/page`).
    Fs {
        /// The mount point exactly as the client registered it, so one handler can serve
        /// several mounts.
        mount: String,
        op: FsRequest,
    },
    /// An operation on the page's JS objects for Python's `weft.main` proxy (read a property,
    /// call a function, ...). The call is JSON text that only the two JS ends read
    /// (main-thread-client/js/page-bridge.mjs, guest/support/site/weft.py): what a page object
    /// is, and how handles name them, is theirs; the channel only carries it synchronously.
    Page { call: String },
}

/// File operations on a page-owned mount.
///
/// Paths are relative to the mount point, `/`-separated, already normalised by the runtime
/// (no `.`, `..`, empty or absolute components); the empty path is the mount's root.
///
/// Files move whole (`ReadFile`/`WriteFile`) rather than through remote handles: the runtime
/// serves `open`/`read`/`seek` from an in-memory copy and writes it back on `close`/`flush`.
/// That costs one round trip per file instead of one per `read()`, keeps the page's handler as
/// simple as Node's `fs.readFile`/`fs.writeFile`, and fits what mounts are for (editor tabs,
/// uploads, results offered for download), where files are small next to memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FsRequest {
    /// The whole content of a file. Reply: [`FsReply::Data`].
    ReadFile { path: String },
    /// Write a whole file (or append to it). Reply: [`FsReply::Done`].
    WriteFile {
        path: String,
        #[serde(with = "bytes")]
        data: Vec<u8>,
        mode: WriteMode,
    },
    /// Metadata of a file or directory. Reply: [`FsReply::Stat`].
    Stat { path: String },
    /// Entries of a directory, without `.` and `..`. Reply: [`FsReply::Entries`].
    ListDir { path: String },
    /// Remove a file. Reply: [`FsReply::Done`].
    Unlink { path: String },
    /// Create a directory (its parent must exist). Reply: [`FsReply::Done`].
    Mkdir { path: String },
    /// Remove an empty directory. Reply: [`FsReply::Done`].
    Rmdir { path: String },
    /// Rename a file or directory within the mount, replacing a file at `to`.
    /// Reply: [`FsReply::Done`].
    Rename { from: String, to: String },
}

/// How [`FsRequest::WriteFile`] treats an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteMode {
    /// Create the file or replace its content (`open(path, "w")`).
    Truncate,
    /// Create the file or add to its end (`open(path, "a")`, written back in pieces).
    Append,
    /// Create the file; fail with [`Errno::Exist`] if it exists (`open(path, "x")`). Done on
    /// the main side so that the check and the creation are one step.
    CreateNew,
}

/// The main thread's answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Answer to [`Request::ReadStdin`].
    Stdin(StdinReply),
    /// Answer to [`Request::Fs`].
    Fs(Result<FsReply, FsError>),
    /// Answer to [`Request::Page`]: the result as JSON text, or the JS error's description.
    Page(Result<String, String>),
    /// The main side could not take the request at all (it did not decode, it was too large):
    /// [`crate::ChannelWorker::request`] turns this into [`crate::ChannelError::Rejected`].
    Rejected { message: String },
}

/// Answer to [`Request::ReadStdin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StdinReply {
    /// Bytes of input (the client encodes strings as UTF-8; bytes pass unchanged, so invalid
    /// UTF-8 reaches Python as it would natively). Never empty: empty means [`StdinReply::Eof`].
    Data(#[serde(with = "bytes")] Vec<u8>),
    /// End of input: `input()` raises `EOFError`, `read()` returns what it has.
    Eof,
    /// The client's handler failed (threw, or its promise rejected); Python sees an `OSError`
    /// carrying this message instead of hanging.
    Error { message: String },
}

/// Successful answer to an [`FsRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FsReply {
    /// For requests that return nothing.
    Done,
    /// Content of a file ([`FsRequest::ReadFile`]).
    Data(#[serde(with = "bytes")] Vec<u8>),
    /// [`FsRequest::Stat`].
    Stat(FileStat),
    /// [`FsRequest::ListDir`].
    Entries(Vec<DirEntry>),
}

/// Metadata of a page-owned file or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    pub kind: FileKind,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Last modification, milliseconds since the Unix epoch (JS `Date` precision); 0 if the
    /// page does not know.
    pub modified_ms: u64,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntry {
    pub name: String,
    pub kind: FileKind,
}

/// What a path names. Mounts have no symlinks: the page's storage has none to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    File,
    Directory,
}

/// A failed file operation: which POSIX error, and the handler's message for the traceback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsError {
    pub errno: Errno,
    pub message: String,
}

/// POSIX error names a page's file handler may report. Variant names follow WASI's `errno`
/// (the runtime maps them onto its own storage error in one place); [`Errno::name`] gives the
/// POSIX spelling that JS uses (Node's `err.code`, for example `"ENOENT"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Errno {
    Acces,
    Busy,
    Exist,
    Fbig,
    Inval,
    Io,
    Isdir,
    Loop,
    Nametoolong,
    Noent,
    Nospc,
    Notdir,
    Notempty,
    Notsup,
    Perm,
    Rofs,
    Xdev,
}

impl Errno {
    /// Every variant, for tables and tests.
    pub const ALL: [Errno; 17] = [
        Errno::Acces,
        Errno::Busy,
        Errno::Exist,
        Errno::Fbig,
        Errno::Inval,
        Errno::Io,
        Errno::Isdir,
        Errno::Loop,
        Errno::Nametoolong,
        Errno::Noent,
        Errno::Nospc,
        Errno::Notdir,
        Errno::Notempty,
        Errno::Notsup,
        Errno::Perm,
        Errno::Rofs,
        Errno::Xdev,
    ];

    /// The POSIX name, as JS error codes spell it (`"ENOENT"`).
    pub fn name(self) -> &'static str {
        match self {
            Errno::Acces => "EACCES",
            Errno::Busy => "EBUSY",
            Errno::Exist => "EEXIST",
            Errno::Fbig => "EFBIG",
            Errno::Inval => "EINVAL",
            Errno::Io => "EIO",
            Errno::Isdir => "EISDIR",
            Errno::Loop => "ELOOP",
            Errno::Nametoolong => "ENAMETOOLONG",
            Errno::Noent => "ENOENT",
            Errno::Nospc => "ENOSPC",
            Errno::Notdir => "ENOTDIR",
            Errno::Notempty => "ENOTEMPTY",
            Errno::Notsup => "ENOTSUP",
            Errno::Perm => "EPERM",
            Errno::Rofs => "EROFS",
            Errno::Xdev => "EXDEV",
        }
    }

    /// Parses a POSIX name (`"ENOENT"`). `None` for names outside this set: the client then
    /// reports [`Errno::Io`] with the original code in the message.
    pub fn from_name(name: &str) -> Option<Errno> {
        Errno::ALL.into_iter().find(|errno| errno.name() == name)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A message that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The peer speaks another version of this protocol.
    VersionMismatch { ours: u32, theirs: u32 },
    /// The bytes are not a valid message of our version (truncated, corrupt, trailing bytes).
    Malformed(String),
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::VersionMismatch { ours, theirs } => write!(
                f,
                "sync-io protocol version mismatch: this side speaks version {ours}, the message \
                 is version {theirs} (the worker runtime and the main-thread client come from \
                 different builds; load both from the same release)"
            ),
            ProtocolError::Malformed(why) => write!(f, "malformed sync-io message: {why}"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Encodes a request in its versioned envelope.
pub fn encode_request(request: &Request) -> Result<Vec<u8>, ProtocolError> {
    encode(request)
}

/// Decodes a request envelope, checking the version first.
pub fn decode_request(bytes: &[u8]) -> Result<Request, ProtocolError> {
    decode(bytes)
}

/// Encodes a reply in its versioned envelope.
pub fn encode_reply(reply: &Reply) -> Result<Vec<u8>, ProtocolError> {
    encode(reply)
}

/// Decodes a reply envelope, checking the version first.
pub fn decode_reply(bytes: &[u8]) -> Result<Reply, ProtocolError> {
    decode(bytes)
}

fn encode<T: Serialize>(body: &T) -> Result<Vec<u8>, ProtocolError> {
    // A tuple serialises as its fields in order, so this is exactly `varint(version) ++ body`.
    postcard::to_allocvec(&(PROTOCOL_VERSION, body))
        .map_err(|e| ProtocolError::Malformed(format!("cannot encode: {e}")))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, ProtocolError> {
    let (theirs, body) = postcard::take_from_bytes::<u32>(bytes)
        .map_err(|e| ProtocolError::Malformed(format!("no version tag: {e}")))?;
    if theirs != PROTOCOL_VERSION {
        return Err(ProtocolError::VersionMismatch {
            ours: PROTOCOL_VERSION,
            theirs,
        });
    }
    let (value, rest) = postcard::take_from_bytes::<T>(body)
        .map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(ProtocolError::Malformed(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    Ok(value)
}

/// Byte payloads as one length-prefixed blob instead of serde's default element-by-element
/// sequence: postcard's wire bytes are the same, but a 10 MB stdin line or file is copied in
/// one go rather than through ten million `serialize_u8` calls.
mod bytes {
    use std::fmt;

    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(data)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a byte string")
        }

        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }

        fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }

        // Accept the sequence form too, so a self-describing format (a debugging dump as JSON)
        // still round-trips.
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(byte) = seq.next_element()? {
                out.push(byte);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<(Request, Reply)> {
        vec![
            (
                Request::ReadStdin { max: 8192 },
                Reply::Stdin(StdinReply::Data("héllo\n".as_bytes().to_vec())),
            ),
            (Request::ReadStdin { max: 1 }, Reply::Stdin(StdinReply::Eof)),
            (
                Request::Page {
                    call: r#"{"op":"get","target":0,"name":"título ✓"}"#.into(),
                },
                Reply::Page(Ok(r#"{"$ref":3}"#.into())),
            ),
            (
                Request::Page { call: "{}".into() },
                Reply::Page(Err("TypeError: x is not a function".into())),
            ),
            (
                Request::ReadStdin { max: 0 },
                Reply::Stdin(StdinReply::Error {
                    message: "handler threw".into(),
                }),
            ),
            (
                Request::Fs {
                    mount: "/mnt/page".into(),
                    op: FsRequest::WriteFile {
                        path: "out/result.csv".into(),
                        data: vec![0, 255, 10, 13],
                        mode: WriteMode::CreateNew,
                    },
                },
                Reply::Fs(Err(FsError {
                    errno: Errno::Exist,
                    message: "exists".into(),
                })),
            ),
            (
                Request::Fs {
                    mount: "/m".into(),
                    op: FsRequest::Stat {
                        path: String::new(),
                    },
                },
                Reply::Fs(Ok(FsReply::Stat(FileStat {
                    kind: FileKind::Directory,
                    size: 0,
                    modified_ms: 1_700_000_000_000,
                }))),
            ),
            (
                Request::Fs {
                    mount: "/m".into(),
                    op: FsRequest::Rename {
                        from: "a".into(),
                        to: "b".into(),
                    },
                },
                Reply::Fs(Ok(FsReply::Entries(vec![
                    DirEntry {
                        name: "a.py".into(),
                        kind: FileKind::File,
                    },
                    DirEntry {
                        name: "sub".into(),
                        kind: FileKind::Directory,
                    },
                ]))),
            ),
            (
                Request::Fs {
                    mount: "/m".into(),
                    op: FsRequest::ReadFile { path: "x".into() },
                },
                Reply::Fs(Ok(FsReply::Data(vec![7; 100_000]))),
            ),
            (
                Request::Fs {
                    mount: "/m".into(),
                    op: FsRequest::ListDir { path: "d".into() },
                },
                Reply::Rejected {
                    message: "too large".into(),
                },
            ),
        ]
    }

    #[test]
    fn round_trips() {
        for (request, reply) in samples() {
            let bytes = encode_request(&request).unwrap();
            assert_eq!(decode_request(&bytes).unwrap(), request);
            let bytes = encode_reply(&reply).unwrap();
            assert_eq!(decode_reply(&bytes).unwrap(), reply);
        }
    }

    #[test]
    fn envelope_starts_with_the_version() {
        let bytes = encode_request(&Request::ReadStdin { max: 5 }).unwrap();
        assert_eq!(bytes, [PROTOCOL_VERSION as u8, 0, 5]);
    }

    #[test]
    fn byte_payloads_are_one_blob() {
        // varint(len) followed by the raw bytes: the same wire form as a sequence of u8.
        let bytes = encode_reply(&Reply::Stdin(StdinReply::Data(vec![1, 2, 3]))).unwrap();
        assert_eq!(bytes, [PROTOCOL_VERSION as u8, 0, 0, 3, 1, 2, 3]);
    }

    #[test]
    fn other_version_is_a_version_error() {
        let mut bytes = encode_reply(&Reply::Stdin(StdinReply::Eof)).unwrap();
        let other = PROTOCOL_VERSION as u8 + 1;
        bytes[0] = other;
        assert_eq!(
            decode_reply(&bytes),
            Err(ProtocolError::VersionMismatch {
                ours: PROTOCOL_VERSION,
                theirs: other.into()
            })
        );
        // Whatever follows the tag: a future version's body need not parse as ours.
        let future = postcard::to_allocvec(&(99u32, "anything at all", [9u8; 20])).unwrap();
        let err = decode_request(&future).unwrap_err();
        assert_eq!(
            err,
            ProtocolError::VersionMismatch {
                ours: PROTOCOL_VERSION,
                theirs: 99
            }
        );
        assert!(err.to_string().contains("version mismatch"), "{err}");
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        assert!(matches!(
            decode_request(&[]),
            Err(ProtocolError::Malformed(_))
        ));
        assert!(matches!(
            decode_request(&[PROTOCOL_VERSION as u8]),
            Err(ProtocolError::Malformed(_))
        ));
        assert!(matches!(
            decode_request(&[PROTOCOL_VERSION as u8, 200]),
            Err(ProtocolError::Malformed(_))
        ));
        let mut bytes = encode_request(&Request::ReadStdin { max: 5 }).unwrap();
        bytes.push(0);
        assert!(matches!(
            decode_request(&bytes),
            Err(ProtocolError::Malformed(_))
        ));
        // A length prefix far beyond the input must fail cleanly, not allocate or panic.
        assert!(matches!(
            decode_reply(&[PROTOCOL_VERSION as u8, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(ProtocolError::Malformed(_))
        ));
        // Every truncation of a valid message fails cleanly.
        let full = encode_reply(&samples()[3].1).unwrap();
        for cut in 0..full.len() {
            assert!(decode_reply(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn errno_names() {
        for errno in Errno::ALL {
            assert_eq!(Errno::from_name(errno.name()), Some(errno));
        }
        assert_eq!(Errno::from_name("ENOENT"), Some(Errno::Noent));
        assert_eq!(Errno::from_name("EWHATEVER"), None);
    }
}
