//! The pool's words over a `SharedArrayBuffer` (wasm32): one `Atomics` call per access. Only the
//! worker build (with the `atomics` target feature) can wait, so the coordinator on a page's
//! main thread cannot block by mistake.

#[cfg(target_feature = "atomics")]
use std::time::Duration;

use js_sys::{Atomics, Int32Array, SharedArrayBuffer};
use wasm_bindgen::prelude::*;

#[cfg(target_feature = "atomics")]
use crate::BlockingWords;
use crate::Words;

#[wasm_bindgen]
extern "C" {
    #[cfg(target_feature = "atomics")]
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Pool words in a `SharedArrayBuffer`.
pub struct WebWords {
    view: Int32Array,
}

impl WebWords {
    pub fn new(buffer: &SharedArrayBuffer) -> WebWords {
        WebWords {
            view: Int32Array::new(buffer),
        }
    }

    pub fn buffer(&self) -> SharedArrayBuffer {
        self.view.buffer().unchecked_into()
    }
}

/// `Atomics` only throws on a bad view or index, which this crate never passes.
fn ok<T>(r: Result<T, JsValue>) -> T {
    r.expect("Atomics on the pool buffer")
}

impl Words for WebWords {
    fn size(&self) -> usize {
        self.view.length() as usize
    }
    fn load(&self, i: usize) -> i32 {
        ok(Atomics::load(&self.view, i as u32))
    }
    fn store(&self, i: usize, v: i32) {
        ok(Atomics::store(&self.view, i as u32, v));
    }
    fn compare_exchange(&self, i: usize, current: i32, new: i32) -> Result<i32, i32> {
        let seen = ok(Atomics::compare_exchange(
            &self.view, i as u32, current, new,
        ));
        if seen == current {
            Ok(seen)
        } else {
            Err(seen)
        }
    }
    fn fetch_add(&self, i: usize, delta: i32) -> i32 {
        ok(Atomics::add(&self.view, i as u32, delta))
    }
    fn notify(&self, i: usize) {
        ok(Atomics::notify(&self.view, i as u32));
    }
}

#[cfg(target_feature = "atomics")]
impl BlockingWords for WebWords {
    fn wait(&self, i: usize, expected: i32, timeout: Duration) {
        let ms = timeout.as_secs_f64() * 1000.0;
        ok(Atomics::wait_with_timeout(
            &self.view, i as u32, expected, ms,
        ));
    }
    fn now(&self) -> Duration {
        Duration::from_secs_f64(performance_now() / 1000.0)
    }
}
