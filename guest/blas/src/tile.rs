//! The float64 4x4 register tile, shared by guest/blas (`dgemm.rs`) and the kernel module
//! (guest/blas/kernel), which compiles it twice: with relaxed SIMD, where each step is a fused
//! multiply-add, and with SIMD128 only. `no_std`: the kernel module has no libc.

/// Two f64 lanes: wasm SIMD128 in the guest, plain arrays where the tests run (the host).
#[cfg(target_arch = "wasm32")]
pub mod pair {
    use core::arch::wasm32::*;
    #[derive(Clone, Copy)]
    pub struct F2(v128);
    impl F2 {
        #[inline(always)]
        pub fn splat(x: f64) -> Self {
            F2(f64x2_splat(x))
        }
        #[inline(always)]
        pub unsafe fn load(p: *const f64) -> Self {
            F2(v128_load(p as *const v128))
        }
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f64) {
            v128_store(p as *mut v128, self.0)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            F2(f64x2_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            F2(f64x2_mul(self.0, o.0))
        }
        /// self + x * y: one instruction with relaxed SIMD (V8 emits vfmadd on x64; the
        /// inner loop is then a third shorter, which is what keeps it fast when the other
        /// vCPU of a core is busy), a multiply then an add without it.
        #[inline(always)]
        pub fn mul_add(self, x: Self, y: Self) -> Self {
            #[cfg(target_feature = "relaxed-simd")]
            return F2(f64x2_relaxed_madd(x.0, y.0, self.0));
            #[cfg(not(target_feature = "relaxed-simd"))]
            return self.add(x.mul(y));
        }
    }
}
#[cfg(not(target_arch = "wasm32"))]
pub mod pair {
    #[derive(Clone, Copy)]
    pub struct F2([f64; 2]);
    impl F2 {
        pub fn splat(x: f64) -> Self {
            F2([x, x])
        }
        pub unsafe fn load(p: *const f64) -> Self {
            F2([*p, *p.add(1)])
        }
        pub unsafe fn store(self, p: *mut f64) {
            *p = self.0[0];
            *p.add(1) = self.0[1];
        }
        pub fn add(self, o: Self) -> Self {
            F2([self.0[0] + o.0[0], self.0[1] + o.0[1]])
        }
        pub fn mul(self, o: Self) -> Self {
            F2([self.0[0] * o.0[0], self.0[1] * o.0[1]])
        }
        pub fn mul_add(self, x: Self, y: Self) -> Self {
            self.add(x.mul(y))
        }
    }
}
use pair::F2;

/// Rows `a + r*a_rs` (r < 4) of A, walked along k by `a_cs`, times a contiguous 4-wide strip of
/// B (`strip[4q..4q+4]` is row q): the 16 sums into `out`, row-major ([row r][column c] at
/// 4r + c).
#[inline(always)]
pub unsafe fn tile(
    k: usize,
    a: *const f64,
    a_rs: isize,
    a_cs: isize,
    strip: *const f64,
    out: *mut f64,
) {
    let z = F2::splat(0.0);
    let mut acc = [z; 8];
    let mut rows = [a, a.offset(a_rs), a.offset(2 * a_rs), a.offset(3 * a_rs)];
    let mut b = strip;
    for _ in 0..k {
        let (b0, b1) = (F2::load(b), F2::load(b.add(2)));
        for r in 0..4 {
            let x = F2::splat(*rows[r]);
            acc[2 * r] = acc[2 * r].mul_add(x, b0);
            acc[2 * r + 1] = acc[2 * r + 1].mul_add(x, b1);
            rows[r] = rows[r].offset(a_cs);
        }
        b = b.add(4);
    }
    for (t, v) in acc.into_iter().enumerate() {
        v.store(out.add(2 * t));
    }
}
