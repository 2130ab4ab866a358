//! The region over a real `SharedArrayBuffer` (wasm32 only), for both halves.
//!
//! Every word access is one `Atomics` call on an `Int32Array`; payload bytes are copied with
//! `Uint8Array.set`/`subarray`, never aliased. Two things differ from the plain layout of
//! [`crate::shared`], both chosen by the side that builds the region:
//!
//! - **The interrupt word can live in the guest's memory.** [`WebRegion::bind_interrupt`]
//!   points [`Word::Interrupt`] at python.wasm's exported `weft_interrupt_word`, so the word the
//!   main thread sets is the very word CPython's eval loop polls: a pure-Python loop sees the
//!   interrupt without any call into the host, and the guest clears it when it raises
//!   `KeyboardInterrupt` (one `interrupt()`, one exception). Until bound, word 3 of the channel
//!   buffer serves.
//! - **The main thread may not hear `Atomics.notify`.** It cannot `Atomics.wait`, and
//!   `Atomics.waitAsync` is missing in some browsers and would race with output messages. So the
//!   worker's region also calls a JS hook whenever it rings [`Word::MainBell`] (with 0) and when
//!   it announces a complete request (with its sequence number); the worker posts a message
//!   for each. The main side polls on every such message and hands a request to its handler only
//!   once the request's announcement has arrived: that message comes after every output message
//!   posted before the request, so the prompt of `input(prompt)` is shown before the handler runs.
//!
//! [`BlockingRegion`] is implemented only where the `atomics` target feature is on, that is in
//! the worker build: main-thread code that tries to wait does not compile.

use std::cell::RefCell;
#[cfg(target_feature = "atomics")]
use std::time::Duration;

use js_sys::{Atomics, Function, Int32Array, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;

#[cfg(target_feature = "atomics")]
use crate::shared::{BlockingRegion, WaitOutcome};
use crate::shared::{SharedRegion, Word, HEADER_BYTES};

#[wasm_bindgen]
extern "C" {
    #[cfg(target_feature = "atomics")]
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// A channel region over a `SharedArrayBuffer` (see the module docs).
pub struct WebRegion {
    words: Int32Array,
    payload: Uint8Array,
    /// The view and index that [`Word::Interrupt`] uses.
    interrupt: RefCell<(Int32Array, u32)>,
    /// Called with 0 after every ring of [`Word::MainBell`] and with `seq` when request `seq`
    /// is announced (worker side).
    on_main_bell: Option<Function>,
}

impl WebRegion {
    /// Views `buffer`, whose layout [`crate::shared`] documents. Fails if it is too small to
    /// hold the control words.
    pub fn new(buffer: &SharedArrayBuffer) -> Result<WebRegion, String> {
        let len = buffer.byte_length() as usize;
        if len < HEADER_BYTES {
            return Err(format!(
                "channel buffer of {len} bytes: at least {HEADER_BYTES} needed"
            ));
        }
        let words = Int32Array::new_with_byte_offset(buffer, 0);
        let payload = Uint8Array::new_with_byte_offset(buffer, HEADER_BYTES as u32);
        let interrupt = RefCell::new((words.clone(), Word::Interrupt.index() as u32));
        Ok(WebRegion {
            words,
            payload,
            interrupt,
            on_main_bell: None,
        })
    }

    /// Calls `f(0)` after every ring of the main side's bell and `f(seq)` when request `seq`
    /// is complete in the request area.
    pub fn with_main_bell_hook(mut self, f: Function) -> WebRegion {
        self.on_main_bell = Some(f);
        self
    }

    /// Uses the aligned `i32` at `byte_offset` of `memory` (a shared buffer, such as a shared
    /// `WebAssembly.Memory`'s) as the interrupt word from now on.
    pub fn bind_interrupt(
        &self,
        memory: &SharedArrayBuffer,
        byte_offset: u32,
    ) -> Result<(), String> {
        if !byte_offset.is_multiple_of(4) || byte_offset as u64 + 4 > memory.byte_length() as u64 {
            return Err(format!(
                "interrupt word at {byte_offset} is unaligned or outside the memory"
            ));
        }
        *self.interrupt.borrow_mut() = (Int32Array::new(memory), byte_offset / 4);
        Ok(())
    }

    /// Goes back to word 3 of the channel buffer (the bound memory is gone).
    pub fn unbind_interrupt(&self) {
        *self.interrupt.borrow_mut() = (self.words.clone(), Word::Interrupt.index() as u32);
    }

    fn hook(&self, seq: u32) {
        if let Some(f) = &self.on_main_bell {
            // A failing hook (the port is closed) only loses a wake-up of a main side that is
            // gone anyway.
            let _ = f.call1(&JsValue::NULL, &JsValue::from(seq));
        }
    }

    /// The view and index of `word`.
    fn at<R>(&self, word: Word, f: impl FnOnce(&Int32Array, u32) -> R) -> R {
        if word == Word::Interrupt {
            let bound = self.interrupt.borrow();
            f(&bound.0, bound.1)
        } else {
            f(&self.words, word.index() as u32)
        }
    }
}

/// `Atomics` only throws for a wrong array type or an index out of range, both excluded by
/// construction; a throw is a bug worth a panic with its message.
fn ok<T>(r: Result<T, JsValue>) -> T {
    r.unwrap_or_else(|e| panic!("Atomics failed on the channel buffer: {e:?}"))
}

impl SharedRegion for WebRegion {
    fn load(&self, word: Word) -> i32 {
        self.at(word, |a, i| ok(Atomics::load(a, i)))
    }

    fn store(&self, word: Word, value: i32) {
        self.at(word, |a, i| ok(Atomics::store(a, i, value)));
    }

    fn compare_exchange(&self, word: Word, current: i32, new: i32) -> Result<i32, i32> {
        let previous = self.at(word, |a, i| {
            ok(Atomics::compare_exchange(a, i, current, new))
        });
        if previous == current {
            Ok(previous)
        } else {
            Err(previous)
        }
    }

    fn fetch_add(&self, word: Word, delta: i32) -> i32 {
        self.at(word, |a, i| ok(Atomics::add(a, i, delta)))
    }

    fn notify(&self, word: Word) -> u32 {
        let woken = self.at(word, |a, i| ok(Atomics::notify(a, i)));
        if word == Word::MainBell {
            self.hook(0);
        }
        woken
    }

    fn announce(&self, seq: u32) {
        self.hook(seq);
    }

    fn payload_len(&self) -> usize {
        self.payload.length() as usize
    }

    fn write_payload(&self, offset: usize, src: &[u8]) {
        let start = offset as u32;
        self.payload
            .subarray(start, start + src.len() as u32)
            .copy_from(src);
    }

    fn read_payload(&self, offset: usize, dst: &mut [u8]) {
        let start = offset as u32;
        self.payload
            .subarray(start, start + dst.len() as u32)
            .copy_to(dst);
    }
}

#[cfg(target_feature = "atomics")]
impl BlockingRegion for WebRegion {
    fn wait(&self, word: Word, expected: i32, timeout: Duration) -> WaitOutcome {
        let ms = timeout.as_secs_f64() * 1000.0;
        let result = self.at(word, |a, i| {
            ok(Atomics::wait_with_timeout(a, i, expected, ms))
        });
        match String::from(result).as_str() {
            "ok" => WaitOutcome::Woken,
            "not-equal" => WaitOutcome::NotEqual,
            _ => WaitOutcome::TimedOut,
        }
    }

    fn now(&self) -> Duration {
        Duration::from_secs_f64(performance_now() / 1000.0)
    }
}
