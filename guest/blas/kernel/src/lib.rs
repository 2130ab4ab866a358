//! `dgemm_tile` for guest/blas: no libc, no stack, no globals, no data; only the memory it
//! imports (guest/numpy.sh checks all of that), so one instance per thread is all it needs.
#![no_std]

// dgemm.rs uses the rest of `F2`.
#[allow(dead_code)]
#[path = "../../src/tile.rs"]
mod tile;

/// guest/blas's `dgemm_tile` import (`weft_blas_v1` module): `tile::tile`.
#[no_mangle]
pub unsafe extern "C" fn dgemm_tile(
    k: usize,
    a: *const f64,
    a_rs: isize,
    a_cs: isize,
    strip: *const f64,
    out: *mut f64,
) {
    tile::tile(k, a, a_rs, a_cs, strip, out)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
