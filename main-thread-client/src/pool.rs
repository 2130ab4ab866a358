//! `PoolMain`: the coordinator's view of the `threads` pool table, for `js/threads.mjs`. It
//! never waits (this build has no atomics); starting and ending workers is JS.

use js_sys::SharedArrayBuffer;
use threads::web::WebWords;
use threads::{bytes_for, Pool, Reclaim, SlotState};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct PoolMain {
    pool: Pool<WebWords>,
}

#[wasm_bindgen]
impl PoolMain {
    /// A table for at most `max_workers` pool workers, in a new `SharedArrayBuffer`.
    #[wasm_bindgen(constructor)]
    pub fn new(max_workers: u32) -> Result<PoolMain, JsError> {
        let buffer = SharedArrayBuffer::new(bytes_for(max_workers.max(1) as usize) as u32);
        let pool = Pool::create(WebWords::new(&buffer)).map_err(|e| JsError::new(&e))?;
        Ok(PoolMain { pool })
    }

    #[wasm_bindgen(getter)]
    pub fn buffer(&self) -> SharedArrayBuffer {
        self.pool.words().buffer()
    }

    /// Serve process `epoch` (0: none; spawns then fail at once).
    #[wasm_bindgen(js_name = setEpoch)]
    pub fn set_epoch(&self, epoch: i32) {
        self.pool.set_epoch(epoch)
    }

    /// A slot for a new worker, or undefined when the pool is full.
    #[wasm_bindgen(js_name = claimFreeSlot)]
    pub fn claim_free_slot(&self) -> Option<u32> {
        self.pool.claim_free_slot().map(|s| s as u32)
    }

    /// Workers ready to run a thread.
    #[wasm_bindgen(getter)]
    pub fn idle(&self) -> u32 {
        self.pool.count(SlotState::Idle) as u32
    }

    /// Workers starting, or preparing an instance for the process: idle soon.
    #[wasm_bindgen(getter)]
    pub fn starting(&self) -> u32 {
        self.pool.count(SlotState::Starting) as u32
    }

    /// Spawns waiting for a worker.
    #[wasm_bindgen(getter)]
    pub fn wanted(&self) -> u32 {
        self.pool.wanted() as u32
    }

    /// At the end of a process: "nothing" | "idle" | "terminate" | "stopping" (see
    /// `threads::Reclaim`).
    pub fn reclaim(&self, slot: u32) -> String {
        match self.pool.reclaim(slot as usize) {
            Reclaim::Nothing => "nothing",
            Reclaim::Idle => "idle",
            Reclaim::Terminate => "terminate",
            Reclaim::Stopping => "stopping",
        }
        .into()
    }

    /// Frees a slot whose worker was terminated or failed to start.
    pub fn release(&self, slot: u32) {
        self.pool.release(slot as usize)
    }
}
