//! The runtime's side of the `threads` pool: `wasi.thread-spawn` for every worker of the
//! interpreter, and the slot transitions of a pool worker (see the `threads` crate).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, SharedArrayBuffer};
use threads::web::WebWords;
use threads::{Pool, Work};
use wasm_bindgen::prelude::*;

struct Attached {
    pool: Pool<WebWords>,
    /// Asks the coordinator for more workers (posts a message; a busy worker can still post).
    on_want: Function,
    timeout: Duration,
}

thread_local! {
    /// This worker's view of the pool buffer (a JS view belongs to one worker).
    static POOL: RefCell<Option<Rc<Attached>>> = const { RefCell::new(None) };
}

fn current() -> Option<Rc<Attached>> {
    POOL.with(|p| p.borrow().clone())
}

/// Attaches this worker to the pool buffer the coordinator created. Threads spawned from this
/// worker wait at most `spawn_timeout_ms` for an idle pool worker.
#[wasm_bindgen(js_name = attachPool)]
pub fn attach_pool(
    buffer: &SharedArrayBuffer,
    on_want: Function,
    spawn_timeout_ms: u32,
) -> Result<(), JsError> {
    let pool = Pool::attach(WebWords::new(buffer)).map_err(|e| JsError::new(&e))?;
    let attached = Attached {
        pool,
        on_want,
        timeout: Duration::from_millis(spawn_timeout_ms.into()),
    };
    POOL.with(|p| *p.borrow_mut() = Some(Rc::new(attached)));
    Ok(())
}

/// Starts serving process `epoch` (its run id, non-zero), from the interpreter's worker just
/// before the process runs. The coordinator learns of the process only when its message
/// arrives, later; a thread spawned before that would find the pool serving no process and
/// fail at once, where it must wait for a worker like any other.
#[wasm_bindgen(js_name = poolServe)]
pub fn pool_serve(epoch: i32) -> Result<(), JsError> {
    with_pool(|p| p.set_epoch(epoch))
}

/// `wasi.thread-spawn`: the new thread's id, or -1 (no pool, no worker in time, process
/// ending), which wasi-libc turns into EAGAIN and Python into "can't start new thread".
pub fn spawn(start_arg: u32) -> i32 {
    let Some(a) = current() else { return -1 };
    let want = || {
        let _ = a.on_want.call0(&JsValue::NULL);
    };
    match a.pool.spawn(start_arg, a.timeout, want) {
        Ok(tid) => tid as i32,
        Err(_) => -1,
    }
}

fn with_pool<R>(f: impl FnOnce(&Pool<WebWords>) -> R) -> Result<R, JsError> {
    current()
        .map(|a| f(&a.pool))
        .ok_or_else(|| JsError::new("this worker is not attached to a thread pool"))
}

/// The slot-side transitions, for the pool worker in `slot` (js/worker.mjs, thread role).
#[wasm_bindgen]
pub struct PoolSlot {
    slot: usize,
}

#[wasm_bindgen]
impl PoolSlot {
    #[wasm_bindgen(constructor)]
    pub fn new(slot: u32) -> Result<PoolSlot, JsError> {
        let slot = slot as usize;
        with_pool(|p| slot < p.slots())?
            .then_some(PoolSlot { slot })
            .ok_or_else(|| JsError::new("no such pool slot"))
    }

    /// Index (in i32 words) of the slot's state word, for `Atomics.waitAsync`.
    #[wasm_bindgen(getter, js_name = stateIndex)]
    pub fn state_index(&self) -> Result<u32, JsError> {
        with_pool(|p| p.state_word(self.slot) as u32)
    }

    /// Byte offset of the slot's stop word (the thread's blocking waits end when it is set).
    #[wasm_bindgen(getter, js_name = stopOffset)]
    pub fn stop_offset(&self) -> Result<u32, JsError> {
        with_pool(|p| 4 * p.stop_word(self.slot) as u32)
    }

    /// The worker has an instance for process `epoch`; false if that process has ended.
    pub fn ready(&self, epoch: i32) -> Result<bool, JsError> {
        with_pool(|p| p.ready(self.slot, epoch))
    }

    /// `[0, tid, start_arg]`: start a thread; `[1, state]`: wait while the state word holds
    /// `state`; `[2]`: reclaimed, drop the instance.
    #[wasm_bindgen(js_name = nextWork)]
    pub fn next_work(&self) -> Result<Vec<u32>, JsError> {
        with_pool(|p| match p.next_work(self.slot) {
            Work::Start { tid, start_arg } => vec![0, tid, start_arg],
            Work::Wait(state) => vec![1, state as u32],
            Work::Reclaimed => vec![2],
        })
    }

    /// The thread returned; false if the slot was reclaimed meanwhile.
    pub fn finish(&self) -> Result<bool, JsError> {
        with_pool(|p| p.finish(self.slot))
    }

    /// The thread unwound because its process is ending.
    pub fn abandon(&self) -> Result<(), JsError> {
        with_pool(|p| p.abandon(self.slot))
    }
}

impl PoolSlot {
    pub fn enter_syscall(&self) -> bool {
        current().is_some_and(|a| a.pool.enter_syscall(self.slot))
    }
    pub fn leave_syscall(&self) -> bool {
        current().is_some_and(|a| a.pool.leave_syscall(self.slot))
    }
}
