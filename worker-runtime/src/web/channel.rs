//! The worker's end of the `sync-io` channel, and what the runtime asks through it: stdin,
//! interruptible sleeps, and page-owned mounts.
//!
//! The channel's JS views belong to the worker that created them, so the channel is kept per
//! thread; a runtime without one (a page that is not cross-origin isolated) still runs Python,
//! and whatever needs a synchronous answer from the page fails with [`Errno::Notsup`] after the
//! worker has explained why.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use js_sys::{Function, SharedArrayBuffer};
use sync_io::protocol::{FsReply, FsRequest, Reply, Request, StdinReply};
use sync_io::web::WebRegion;
use sync_io::{ChannelError, ChannelWorker, Turns, WorkerConfig};

use crate::errno::Errno;
use crate::vfs::{FsError, FsResult, PageTransport};

thread_local! {
    static CHANNEL: RefCell<Option<Rc<ChannelWorker<WebRegion>>>> = const { RefCell::new(None) };
}

/// The channel's turns, shared by the handles of every worker of this interpreter (the
/// runtime's memory is shared, so this static is one for all of them).
static TURNS: OnceLock<Turns> = OnceLock::new();

/// Attaches the interpreter's worker to the channel the main side created in `buffer`;
/// `on_main_bell(seq)` is called after each bell and request (the worker posts a message with
/// it, see `sync_io::web`).
pub fn attach(buffer: &SharedArrayBuffer, on_main_bell: Function) -> Result<(), String> {
    let region = WebRegion::new(buffer)?.with_main_bell_hook(on_main_bell);
    let channel = ChannelWorker::new(region, WorkerConfig::default()).map_err(|e| e.to_string())?;
    TURNS
        .set(channel.turns())
        .map_err(|_| "this runtime already has a channel".to_string())?;
    CHANNEL.with(|c| *c.borrow_mut() = Some(Rc::new(channel)));
    Ok(())
}

/// Attaches a pool worker to the same channel, taking turns with the other workers. Its
/// interrupt word is its slot's stop word (`stop` = (pool buffer, byte offset)): Python's
/// KeyboardInterrupt is for the main thread only, as natively, but the end of the process ends
/// a thread's waits.
pub fn attach_thread(
    buffer: &SharedArrayBuffer,
    on_main_bell: Function,
    stop: (&SharedArrayBuffer, u32),
) -> Result<(), String> {
    let turns = TURNS
        .get()
        .ok_or("the interpreter's worker has no channel")?
        .clone();
    let region = WebRegion::new(buffer)?.with_main_bell_hook(on_main_bell);
    region.bind_interrupt(stop.0, stop.1)?;
    let channel = ChannelWorker::with_turns(region, WorkerConfig::default(), turns)
        .map_err(|e| e.to_string())?;
    CHANNEL.with(|c| *c.borrow_mut() = Some(Rc::new(channel)));
    Ok(())
}

/// Points the interrupt word at the guest's `weft_interrupt_word`; `None` unbinds it.
pub fn bind_interrupt(guest: Option<(&SharedArrayBuffer, u32)>) -> Result<(), String> {
    match (current(), guest) {
        (Some(c), Some((memory, addr))) => c.region().bind_interrupt(memory, addr),
        (Some(c), None) => {
            c.region().unbind_interrupt();
            Ok(())
        }
        (None, _) => Ok(()),
    }
}

fn current() -> Option<Rc<ChannelWorker<WebRegion>>> {
    CHANNEL.with(|c| c.borrow().clone())
}

/// Whether this worker has a channel.
pub fn available() -> bool {
    current().is_some()
}

/// Sleeps up to `duration`; returns early, with `true`, when an interrupt is pending.
/// `None` without a channel.
pub fn sleep(duration: Duration) -> Option<bool> {
    let channel = current()?;
    Some(matches!(
        channel.sleep(duration),
        Err(ChannelError::Interrupted)
    ))
}

/// One request; `Err` carries the errno for the guest and, for failures the guest cannot
/// explain itself, a message for its stderr.
fn request(request: &Request) -> Result<Reply, (Errno, Option<String>)> {
    let channel = current().ok_or((Errno::Notsup, None))?;
    channel.request(request).map_err(|e| match e {
        ChannelError::Interrupted => (Errno::Intr, None),
        other => (Errno::Io, Some(other.to_string())),
    })
}

/// Reads a chunk of stdin from the client's handler. `Ok(empty)` is end of file.
pub fn read_stdin(max: usize) -> Result<Vec<u8>, (Errno, Option<String>)> {
    let max = u32::try_from(max).unwrap_or(u32::MAX);
    match request(&Request::ReadStdin { max })? {
        Reply::Stdin(StdinReply::Data(data)) => Ok(data),
        Reply::Stdin(StdinReply::Eof) => Ok(Vec::new()),
        Reply::Stdin(StdinReply::Error { message }) => Err((
            Errno::Io,
            Some(format!("the page's stdin handler failed: {message}")),
        )),
        other => Err((
            Errno::Io,
            Some(format!("unexpected answer to a stdin request: {other:?}")),
        )),
    }
}

/// One call on the page's JS objects (Python's `weft.main`): the JSON result, or an error text.
/// `Err` starts with "interrupted" when the interrupt word ended the wait.
pub fn page_call(call: String) -> Result<String, String> {
    let channel = current().ok_or_else(|| {
        "the page cannot be reached: there is no sync-io channel (SharedArrayBuffer is unavailable)".to_owned()
    })?;
    match channel.request(&Request::Page { call }) {
        Ok(Reply::Page(result)) => result,
        Ok(other) => Err(format!("unexpected answer to a page call: {other:?}")),
        Err(ChannelError::Interrupted) => Err("interrupted".to_owned()),
        Err(other) => Err(other.to_string()),
    }
}

/// A page-owned mount: requests carry the mount point so one page handler serves several.
pub struct ChannelTransport {
    pub mount: String,
}

impl PageTransport for ChannelTransport {
    fn call(&self, op: FsRequest) -> FsResult<FsReply> {
        let reply = request(&Request::Fs {
            mount: self.mount.clone(),
            op,
        })
        .map_err(|(errno, message)| {
            if let Some(m) = message {
                // The errno cannot carry it: explain on the guest's stderr.
                super::write_stderr(&format!("weft: page mount {}: {m}\n", self.mount));
            }
            match errno {
                Errno::Intr => FsError::Interrupted,
                Errno::Notsup => FsError::Unsupported,
                _ => FsError::Io,
            }
        })?;
        match reply {
            Reply::Fs(Ok(reply)) => Ok(reply),
            Reply::Fs(Err(e)) => Err(e.errno.into()),
            _ => Err(FsError::Io),
        }
    }
}
