//! `MainChannel`: [`ChannelMain`] for `weft.mjs`, with requests and replies as plain JS objects.
//!
//! Shapes are serde's external tagging of the `sync_io::protocol` types (for example
//! `{ReadStdin: {max: 65536}}`, `{Stdin: {Data: Uint8Array}}`, `{Stdin: "Eof"}`,
//! `{Fs: {Err: {errno: "Noent", message: "..."}}}`), so the protocol's Rust docs are the
//! reference for both directions.

use js_sys::SharedArrayBuffer;
use serde::Serialize;
use sync_io::protocol::{Errno, FsError, Request};
use sync_io::shared::region_bytes;
use sync_io::web::WebRegion;
use sync_io::{ChannelMain, Incoming, MainConfig, MainError, Reply};
use wasm_bindgen::prelude::*;

/// What [`MainChannel::poll`] returns, as `{kind: "request" | "cancelled" | "malformed", seq, ...}`.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Event {
    Request { seq: u32, request: Request },
    Cancelled { seq: u32 },
    Malformed { seq: u32, message: String },
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The main thread's half of one interpreter's channel.
#[wasm_bindgen]
pub struct MainChannel {
    channel: ChannelMain<WebRegion>,
    buffer: SharedArrayBuffer,
}

#[wasm_bindgen]
impl MainChannel {
    /// A fresh channel whose payload areas hold [`crate::CHANNEL_CAPACITY`] bytes each.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<MainChannel, JsError> {
        let buffer = SharedArrayBuffer::new(region_bytes(crate::CHANNEL_CAPACITY) as u32);
        let region = WebRegion::new(&buffer).map_err(js_err)?;
        let channel = ChannelMain::new(region, MainConfig::default()).map_err(js_err)?;
        Ok(MainChannel { channel, buffer })
    }

    /// The buffer to send to the worker.
    #[wasm_bindgen(getter)]
    pub fn buffer(&self) -> SharedArrayBuffer {
        self.buffer.clone()
    }

    /// The next event, or `undefined` when nothing is complete. Call it until `undefined`
    /// whenever the worker signals that it rang the main side's bell.
    pub fn poll(&self) -> Result<JsValue, JsError> {
        let event = match self.channel.poll() {
            None => return Ok(JsValue::UNDEFINED),
            Some(Incoming::Request { seq, request }) => Event::Request { seq, request },
            Some(Incoming::Cancelled { seq }) => Event::Cancelled { seq },
            Some(Incoming::Malformed { seq, error }) => Event::Malformed {
                seq,
                message: error.to_string(),
            },
        };
        let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
        event.serialize(&serializer).map_err(js_err)
    }

    /// Answers request `seq`. Returns `false` if nothing awaits it any more (the worker gave
    /// up, or it was answered); throws if `reply` has the wrong shape or is too large, in which
    /// case the request is still pending and should be answered with an error.
    pub fn reply(&self, seq: u32, reply: JsValue) -> Result<bool, JsError> {
        let reply: Reply = serde_wasm_bindgen::from_value(reply)
            .map_err(|e| js_err(format!("malformed reply to request {seq}: {e}")))?;
        match self.channel.reply(seq, &reply) {
            Ok(()) => Ok(true),
            Err(MainError::NotPending { .. }) => Ok(false),
            Err(e) => Err(js_err(e)),
        }
    }

    /// Raises `KeyboardInterrupt` in the worker's main Python thread (see `sync-io`).
    pub fn interrupt(&self) {
        self.channel.interrupt();
    }

    /// Withdraws an interrupt the guest has not taken yet.
    #[wasm_bindgen(js_name = clearInterrupt)]
    pub fn clear_interrupt(&self) {
        self.channel.clear_interrupt();
    }

    /// Uses the guest's `weft_interrupt_word` (at `byte_offset` of its shared memory) as the
    /// interrupt word, as the worker does for the same process.
    #[wasm_bindgen(js_name = bindInterrupt)]
    pub fn bind_interrupt(
        &self,
        memory: &SharedArrayBuffer,
        byte_offset: u32,
    ) -> Result<(), JsError> {
        self.channel
            .region()
            .bind_interrupt(memory, byte_offset)
            .map_err(js_err)
    }

    /// Back to the channel's own word (the process has ended).
    #[wasm_bindgen(js_name = unbindInterrupt)]
    pub fn unbind_interrupt(&self) {
        self.channel.region().unbind_interrupt();
    }
}

/// The reply for a failed page file operation: `code` is a POSIX name (`"ENOENT"`, Node's
/// `err.code`); a name outside the protocol's set becomes `EIO` with the code in the message.
#[wasm_bindgen(js_name = fsErrorReply)]
pub fn fs_error_reply(code: &str, message: &str) -> Result<JsValue, JsError> {
    let error = match Errno::from_name(code) {
        Some(errno) => FsError {
            errno,
            message: message.to_string(),
        },
        None => FsError {
            errno: Errno::Io,
            message: format!("{code}: {message}"),
        },
    };
    let reply = Reply::Fs(Err(error));
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    reply.serialize(&serializer).map_err(js_err)
}
