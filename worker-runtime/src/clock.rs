//! Wall and monotonic time for the host. In a worker these come from `performance`; natively
//! (unit tests) from `std::time`.

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::sync::OnceLock;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};

    pub fn realtime_ns() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }

    pub fn monotonic_ns() -> u64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        type Performance;
        #[wasm_bindgen(thread_local_v2, js_namespace = globalThis, js_name = performance)]
        static PERFORMANCE: Performance;
        #[wasm_bindgen(method, js_name = now)]
        fn now(this: &Performance) -> f64;
        #[wasm_bindgen(method, getter, js_name = timeOrigin)]
        fn time_origin(this: &Performance) -> f64;
    }

    fn ms_to_ns(ms: f64) -> u64 {
        if ms <= 0.0 {
            0
        } else {
            (ms * 1_000_000.0) as u64
        }
    }

    /// `timeOrigin + now()` keeps sub-millisecond precision that `Date.now()` lacks.
    pub fn realtime_ns() -> u64 {
        PERFORMANCE.with(|p| ms_to_ns(p.time_origin() + p.now()))
    }

    /// Each worker's `now()` counts from its own `timeOrigin`, so Python threads on different
    /// workers would disagree by the workers' start-up gaps (hundreds of ms in Chromium).
    /// Counting every worker from one origin, the first worker's, kept in this module's shared
    /// memory, gives one clock for the whole interpreter. Workers' origins are themselves
    /// rounded, so two workers can still differ by a fraction of a microsecond: the shared
    /// high-water mark makes a reading never earlier than one another thread took before it
    /// (a thread's last `monotonic()` before `join()` returns is not after the joiner's next).
    pub fn monotonic_ns() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static ORIGIN: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
        static LATEST: AtomicU64 = AtomicU64::new(0);
        let now = PERFORMANCE.with(|p| {
            let origin = *ORIGIN.get_or_init(|| p.time_origin());
            ms_to_ns((p.time_origin() - origin) + p.now())
        });
        LATEST.fetch_max(now, Ordering::AcqRel).max(now)
    }
}

pub use imp::{monotonic_ns, realtime_ns};

/// Reported by `clock_res_get`: browsers coarsen `performance.now()` to a few microseconds in
/// cross-origin isolated contexts; 1 µs is the honest order of magnitude.
pub const RESOLUTION_NS: u64 = 1_000;
