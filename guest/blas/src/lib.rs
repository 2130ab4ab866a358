//! BLAS for numpy in python-numpy.wasm (see guest/numpy.sh and guest/README.md).
//!
//! - The CBLAS functions numpy 2.3 calls when built with a BLAS (`HAVE_CBLAS`):
//!   `numpy/_core/src/common/cblasfuncs.c` (gemm, gemv, syrk, axpy), `umath/matmul.c.src`
//!   (gemm, gemv, syrk, dotc_sub), `multiarray/arraytypes.c.src` (dot, dotu_sub) and
//!   `multiarray/vdot.c` (dotc_sub), for s, d, c and z.
//! - `__wrap_?gemm_`: numpy's bundled lapack_lite (f2c'd reference LAPACK/BLAS) calls the
//!   Fortran `?gemm_`; numpy.sh links with `-Wl,--wrap=?gemm_`, so LAPACK's level-3 updates
//!   (getrf, getrs, geqrf, gebrd, ...) run here, and `__real_?gemm_` (f2c's reference code)
//!   still handles argument errors (it calls `xerbla_`, as LAPACK expects).
//!
//! Every product becomes strides here (storage order, transposes, vector increments) and goes
//! to `mm`: float64 products whose C and B are row-major, or C and A column-major, run on
//! `dgemm`'s 4x4 tile (why: its docs); the rest on `gemm::gemm`, which takes any row and column
//! stride. One call runs on the calling thread only (`Parallelism::None`). CBLAS integers are
//! 32-bit (numpy's LP64 interface); numpy validates arguments before calling, so the CBLAS side
//! does no error reporting (invalid sizes do nothing).
#![allow(clippy::missing_safety_doc, clippy::too_many_arguments)]

use core::ffi::{c_char, c_int};
use core::ops::{Add, Mul};
use gemm::{c32, c64, Parallelism};

mod dgemm;
// In the guest only its F2 is used here: the tile itself runs in the kernel module (dgemm.rs).
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod tile;

// CBLAS enum values (cblas.h, numpy's npy_cblas.h).
const ROW_MAJOR: c_int = 101;
const NO_TRANS: c_int = 111;
const CONJ_TRANS: c_int = 113;
const UPPER: c_int = 121;

pub trait Elem: Copy + PartialEq + Add<Output = Self> + Mul<Output = Self> + 'static {
    const ZERO: Self;
    const ONE: Self;
    const MINUS_ONE: Self;
    fn conj(self) -> Self;
    /// The whole 4x4 tiles of a product with row-major C and B on `dgemm::tiles`, returning the
    /// rows and columns of C it did; (0, 0) for the types it does not handle.
    unsafe fn tiles(
        _m: usize,
        _n: usize,
        _k: usize,
        _alpha: Self,
        _a: *const Self,
        _a_rs: isize,
        _a_cs: isize,
        _b: *const Self,
        _ldb: isize,
        _beta: Self,
        _c: *mut Self,
        _ldc: isize,
    ) -> (usize, usize) {
        (0, 0)
    }
}
impl Elem for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MINUS_ONE: Self = -1.0;
    fn conj(self) -> Self {
        self
    }
}
impl Elem for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MINUS_ONE: Self = -1.0;
    fn conj(self) -> Self {
        self
    }
    unsafe fn tiles(
        m: usize,
        n: usize,
        k: usize,
        alpha: Self,
        a: *const Self,
        a_rs: isize,
        a_cs: isize,
        b: *const Self,
        ldb: isize,
        beta: Self,
        c: *mut Self,
        ldc: isize,
    ) -> (usize, usize) {
        dgemm::tiles(m, n, k, alpha, a, a_rs, a_cs, b, ldb, beta, c, ldc)
    }
}
impl Elem for c32 {
    const ZERO: Self = c32::new(0.0, 0.0);
    const ONE: Self = c32::new(1.0, 0.0);
    const MINUS_ONE: Self = c32::new(-1.0, 0.0);
    fn conj(self) -> Self {
        c32::new(self.re, -self.im)
    }
}
impl Elem for c64 {
    const ZERO: Self = c64::new(0.0, 0.0);
    const ONE: Self = c64::new(1.0, 0.0);
    const MINUS_ONE: Self = c64::new(-1.0, 0.0);
    fn conj(self) -> Self {
        c64::new(self.re, -self.im)
    }
}

/// A strided matrix operand: element (i, j) at `p + i*rs + j*cs`, conjugated if `conj`.
#[derive(Clone, Copy)]
struct Mat<T> {
    p: *const T,
    rs: isize,
    cs: isize,
    conj: bool,
}

impl<T> Mat<T> {
    fn t(self) -> Self {
        Mat {
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }
    fn at(self, i: usize, j: usize) -> *const T {
        self.p
            .wrapping_offset(i as isize * self.rs + j as isize * self.cs)
    }
}

/// C (m x n, strides c_rs/c_cs) = alpha * A (m x k) * B (k x n) + beta * C, with BLAS's rules:
/// beta = 0 never reads C (NaN there does not propagate), alpha = 0 or k = 0 never reads A, B.
unsafe fn mm<T: Elem>(
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: Mat<T>,
    b: Mat<T>,
    beta: T,
    c: *mut T,
    c_rs: isize,
    c_cs: isize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if alpha == T::ZERO || k == 0 {
        if beta != T::ONE {
            for j in 0..n {
                for i in 0..m {
                    let p = c.offset(i as isize * c_rs + j as isize * c_cs);
                    *p = if beta == T::ZERO { T::ZERO } else { beta * *p };
                }
            }
        }
        return;
    }
    // The tiled kernel takes row-major C and B; column-major C with column-major A is the same
    // product transposed (C^T = B^T A^T). What its tiles leave, the last m % 4 rows and n % 4
    // columns, comes back here as products too narrow to tile, for the gemm crate, which does
    // every other layout and type.
    let tiled = if a.conj || b.conj {
        None
    } else if c_cs == 1 && b.cs == 1 {
        Some((m, n, a, b, c_rs))
    } else if c_rs == 1 && a.rs == 1 {
        Some((n, m, b.t(), a.t(), c_cs))
    } else {
        None
    };
    if let Some((m, n, a, b, ldc)) = tiled {
        let (mt, nt) = T::tiles(m, n, k, alpha, a.p, a.rs, a.cs, b.p, b.rs, beta, c, ldc);
        if mt > 0 && nt > 0 {
            let rows = Mat {
                p: a.at(mt, 0),
                ..a
            };
            mm(
                m - mt,
                n,
                k,
                alpha,
                rows,
                b,
                beta,
                c.offset(mt as isize * ldc),
                ldc,
                1,
            );
            let cols = Mat {
                p: b.at(0, nt),
                ..b
            };
            mm(mt, n - nt, k, alpha, a, cols, beta, c.add(nt), ldc, 1);
            return;
        }
    }
    // gemm::gemm computes dst = alpha * dst + beta * lhs * rhs (its alpha is BLAS's beta).
    gemm::gemm(
        m,
        n,
        k,
        c,
        c_cs,
        c_rs,
        beta != T::ZERO,
        a.p,
        a.cs,
        a.rs,
        b.p,
        b.cs,
        b.rs,
        beta,
        alpha,
        false,
        a.conj,
        b.conj,
        Parallelism::None,
    );
}

/// A vector of n elements with BLAS increment `inc` as a strided pointer (a negative increment
/// starts at the far end, as BLAS defines it).
fn vec_start<T>(x: *const T, n: usize, inc: c_int) -> (*const T, isize) {
    let inc = inc as isize;
    if inc < 0 && n > 0 {
        (x.wrapping_offset(-(n as isize - 1) * inc), inc)
    } else {
        (x, inc)
    }
}

/// The CBLAS layout of an `rows x cols` matrix with leading dimension `ld`, transposed (and
/// conjugated) by `trans`: the operand op(X).
fn cblas_operand<T>(order: c_int, trans: c_int, p: *const T, ld: c_int) -> Mat<T> {
    let ld = ld as isize;
    let stored = if order == ROW_MAJOR {
        Mat {
            p,
            rs: ld,
            cs: 1,
            conj: false,
        }
    } else {
        Mat {
            p,
            rs: 1,
            cs: ld,
            conj: false,
        }
    };
    match trans {
        NO_TRANS => stored,
        CONJ_TRANS => Mat {
            conj: true,
            ..stored.t()
        },
        _ => stored.t(),
    }
}

/// BLAS dimensions as sizes, or None when one is negative. No allocation: LAPACK makes many
/// small calls.
fn dims<const N: usize>(v: [c_int; N]) -> Option<[usize; N]> {
    let mut out = [0; N];
    for (o, d) in out.iter_mut().zip(v) {
        *o = usize::try_from(d).ok()?;
    }
    Some(out)
}

unsafe fn cblas_gemm<T: Elem>(
    order: c_int,
    ta: c_int,
    tb: c_int,
    m: c_int,
    n: c_int,
    k: c_int,
    alpha: T,
    a: *const T,
    lda: c_int,
    b: *const T,
    ldb: c_int,
    beta: T,
    c: *mut T,
    ldc: c_int,
) {
    let Some([m, n, k]) = dims([m, n, k]) else {
        return;
    };
    let cm = cblas_operand(order, NO_TRANS, c as *const T, ldc);
    mm(
        m,
        n,
        k,
        alpha,
        cblas_operand(order, ta, a, lda),
        cblas_operand(order, tb, b, ldb),
        beta,
        c,
        cm.rs,
        cm.cs,
    );
}

/// y = alpha * op(A) x + beta * y, A being m x n in `order`.
unsafe fn cblas_gemv<T: Elem>(
    order: c_int,
    trans: c_int,
    m: c_int,
    n: c_int,
    alpha: T,
    a: *const T,
    lda: c_int,
    x: *const T,
    incx: c_int,
    beta: T,
    y: *mut T,
    incy: c_int,
) {
    let Some([m, n]) = dims([m, n]) else {
        return;
    };
    let op = cblas_operand(order, trans, a, lda);
    let (rows, cols) = if trans == NO_TRANS { (m, n) } else { (n, m) };
    let (x, incx) = vec_start(x, cols, incx);
    let (y, incy) = vec_start(y as *const T, rows, incy);
    // y as a rows x 1 matrix: its column stride is never used; making it the larger one keeps
    // gemm from transposing the problem (it prefers a column-major destination).
    let y_cs = (rows.max(1) as isize) * incy.abs().max(1);
    let xm = Mat {
        p: x,
        rs: incx,
        cs: 0,
        conj: false,
    };
    mm(rows, 1, cols, alpha, op, xm, beta, y as *mut T, incy, y_cs);
}

/// The upper or lower triangle of C (n x n) = alpha * op(A) op(A)^T + beta * C; the other
/// triangle is not touched. Row blocks of NB: the off-diagonal rectangle goes straight to gemm,
/// the diagonal block through a buffer so only its triangle is written.
unsafe fn cblas_syrk<T: Elem>(
    order: c_int,
    uplo: c_int,
    trans: c_int,
    n: c_int,
    k: c_int,
    alpha: T,
    a: *const T,
    lda: c_int,
    beta: T,
    c: *mut T,
    ldc: c_int,
) {
    const NB: usize = 64;
    let Some([n, k]) = dims([n, k]) else {
        return;
    };
    // op(A) is n x k; syrk's trans is never a conjugate one (that would be herk).
    let trans = if trans == NO_TRANS {
        NO_TRANS
    } else {
        NO_TRANS + 1
    };
    let op = cblas_operand(order, trans, a, lda);
    let opt = op.t();
    let cm = cblas_operand(order, NO_TRANS, c as *const T, ldc);
    let upper = uplo == UPPER;
    let mut buf = vec![T::ZERO; NB * NB];
    let mut i0 = 0;
    while i0 < n {
        let nb = NB.min(n - i0);
        let i1 = i0 + nb;
        let rows = Mat {
            p: op.at(i0, 0),
            ..op
        };
        // Off-diagonal part of this block row: columns i1..n (upper) or 0..i0 (lower).
        let (j0, j1) = if upper { (i1, n) } else { (0, i0) };
        if j1 > j0 {
            let dst = cm.at(i0, j0) as *mut T;
            mm(
                nb,
                j1 - j0,
                k,
                alpha,
                rows,
                Mat {
                    p: opt.at(0, j0),
                    ..opt
                },
                beta,
                dst,
                cm.rs,
                cm.cs,
            );
        }
        // Diagonal block: into buf (column-major nb x nb), then its triangle into C.
        mm(
            nb,
            nb,
            k,
            alpha,
            rows,
            Mat {
                p: opt.at(0, i0),
                ..opt
            },
            T::ZERO,
            buf.as_mut_ptr(),
            1,
            nb as isize,
        );
        for j in 0..nb {
            let (lo, hi) = if upper { (0, j + 1) } else { (j, nb) };
            for i in lo..hi {
                let p = cm.at(i0 + i, i0 + j) as *mut T;
                let v = buf[i + j * nb];
                *p = if beta == T::ZERO { v } else { v + beta * *p };
            }
        }
        i0 = i1;
    }
}

/// Sum of x_i * y_i (x conjugated if `conj`), through gemm as a 1 x n by n x 1 product.
unsafe fn dot<T: Elem>(
    n: c_int,
    x: *const T,
    incx: c_int,
    y: *const T,
    incy: c_int,
    conj: bool,
) -> T {
    let Ok(n) = usize::try_from(n) else {
        return T::ZERO;
    };
    let (x, incx) = vec_start(x, n, incx);
    let (y, incy) = vec_start(y, n, incy);
    let mut out = T::ZERO;
    mm(
        1,
        1,
        n,
        T::ONE,
        Mat {
            p: x,
            rs: 0,
            cs: incx,
            conj,
        },
        Mat {
            p: y,
            rs: incy,
            cs: 0,
            conj: false,
        },
        T::ZERO,
        &mut out,
        1,
        1,
    );
    out
}

/// y += alpha * x.
unsafe fn axpy<T: Elem>(n: c_int, alpha: T, x: *const T, incx: c_int, y: *mut T, incy: c_int) {
    let Ok(n) = usize::try_from(n) else { return };
    if alpha == T::ZERO {
        return;
    }
    let (x, incx) = vec_start(x, n, incx);
    let (y, incy) = vec_start(y as *const T, n, incy);
    let y = y as *mut T;
    if incx == 1 && incy == 1 {
        let (x, y) = (
            core::slice::from_raw_parts(x, n),
            core::slice::from_raw_parts_mut(y, n),
        );
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi = *yi + alpha * xi;
        }
    } else {
        for i in 0..n as isize {
            let yi = y.offset(i * incy);
            *yi = *yi + alpha * *x.offset(i * incx);
        }
    }
}

macro_rules! cblas_level3 {
    ($t:ty, $gemm:ident, $gemv:ident, $syrk:ident, $axpy:ident, by_value) => {
        cblas_level3!(@ $t, $gemm, $gemv, $syrk, $axpy, $t, |v: $t| v);
    };
    ($t:ty, $gemm:ident, $gemv:ident, $syrk:ident, $axpy:ident, by_pointer) => {
        cblas_level3!(@ $t, $gemm, $gemv, $syrk, $axpy, *const $t, |v: *const $t| *v);
    };
    (@ $t:ty, $gemm:ident, $gemv:ident, $syrk:ident, $axpy:ident, $s:ty, $get:expr) => {
        #[no_mangle]
        pub unsafe extern "C" fn $gemm(
            order: c_int, ta: c_int, tb: c_int, m: c_int, n: c_int, k: c_int, alpha: $s,
            a: *const $t, lda: c_int, b: *const $t, ldb: c_int, beta: $s, c: *mut $t, ldc: c_int,
        ) {
            cblas_gemm(order, ta, tb, m, n, k, $get(alpha), a, lda, b, ldb, $get(beta), c, ldc)
        }
        #[no_mangle]
        pub unsafe extern "C" fn $gemv(
            order: c_int, trans: c_int, m: c_int, n: c_int, alpha: $s, a: *const $t, lda: c_int,
            x: *const $t, incx: c_int, beta: $s, y: *mut $t, incy: c_int,
        ) {
            cblas_gemv(order, trans, m, n, $get(alpha), a, lda, x, incx, $get(beta), y, incy)
        }
        #[no_mangle]
        pub unsafe extern "C" fn $syrk(
            order: c_int, uplo: c_int, trans: c_int, n: c_int, k: c_int, alpha: $s,
            a: *const $t, lda: c_int, beta: $s, c: *mut $t, ldc: c_int,
        ) {
            cblas_syrk(order, uplo, trans, n, k, $get(alpha), a, lda, $get(beta), c, ldc)
        }
        #[no_mangle]
        pub unsafe extern "C" fn $axpy(n: c_int, alpha: $s, x: *const $t, incx: c_int, y: *mut $t, incy: c_int) {
            axpy(n, $get(alpha), x, incx, y, incy)
        }
    };
}
cblas_level3!(
    f32,
    cblas_sgemm,
    cblas_sgemv,
    cblas_ssyrk,
    cblas_saxpy,
    by_value
);
cblas_level3!(
    f64,
    cblas_dgemm,
    cblas_dgemv,
    cblas_dsyrk,
    cblas_daxpy,
    by_value
);
cblas_level3!(
    c32,
    cblas_cgemm,
    cblas_cgemv,
    cblas_csyrk,
    cblas_caxpy,
    by_pointer
);
cblas_level3!(
    c64,
    cblas_zgemm,
    cblas_zgemv,
    cblas_zsyrk,
    cblas_zaxpy,
    by_pointer
);

#[no_mangle]
pub unsafe extern "C" fn cblas_sdot(
    n: c_int,
    x: *const f32,
    incx: c_int,
    y: *const f32,
    incy: c_int,
) -> f32 {
    dot(n, x, incx, y, incy, false)
}
#[no_mangle]
pub unsafe extern "C" fn cblas_ddot(
    n: c_int,
    x: *const f64,
    incx: c_int,
    y: *const f64,
    incy: c_int,
) -> f64 {
    dot(n, x, incx, y, incy, false)
}
macro_rules! cblas_dot_sub {
    ($t:ty, $name:ident, $conj:expr) => {
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            n: c_int,
            x: *const $t,
            incx: c_int,
            y: *const $t,
            incy: c_int,
            out: *mut $t,
        ) {
            *out = dot(n, x, incx, y, incy, $conj);
        }
    };
}
cblas_dot_sub!(c32, cblas_cdotu_sub, false);
cblas_dot_sub!(c64, cblas_zdotu_sub, false);
cblas_dot_sub!(c32, cblas_cdotc_sub, true);
cblas_dot_sub!(c64, cblas_zdotc_sub, true);

/// A Fortran (column-major) operand: `trans` is 'N', 'T' or 'C' (either case).
fn fortran_operand<T>(trans: u8, p: *const T, ld: c_int, complex: bool) -> Option<Mat<T>> {
    let stored = Mat {
        p,
        rs: 1,
        cs: ld as isize,
        conj: false,
    };
    match trans.to_ascii_uppercase() {
        b'N' => Some(stored),
        b'T' => Some(stored.t()),
        b'C' => Some(Mat {
            conj: complex,
            ..stored.t()
        }),
        _ => None,
    }
}

macro_rules! fortran_gemm {
    ($t:ty, $wrap:ident, $real:ident, $complex:expr) => {
        extern "C" {
            fn $real(
                ta: *const c_char,
                tb: *const c_char,
                m: *const c_int,
                n: *const c_int,
                k: *const c_int,
                alpha: *const $t,
                a: *const $t,
                lda: *const c_int,
                b: *const $t,
                ldb: *const c_int,
                beta: *const $t,
                c: *mut $t,
                ldc: *const c_int,
            ) -> c_int;
        }
        /// LAPACK's `?gemm_` (column-major C = alpha op(A) op(B) + beta C). Arguments the
        /// reference routine would reject go to it (`__real_`), so it reports them via xerbla.
        #[no_mangle]
        pub unsafe extern "C" fn $wrap(
            ta: *const c_char,
            tb: *const c_char,
            m: *const c_int,
            n: *const c_int,
            k: *const c_int,
            alpha: *const $t,
            a: *const $t,
            lda: *const c_int,
            b: *const $t,
            ldb: *const c_int,
            beta: *const $t,
            c: *mut $t,
            ldc: *const c_int,
        ) -> c_int {
            let (ca, cb) = (*ta as u8, *tb as u8);
            let (mi, ni, ki) = (*m, *n, *k);
            let nrowa = if ca.eq_ignore_ascii_case(&b'N') {
                mi
            } else {
                ki
            };
            let nrowb = if cb.eq_ignore_ascii_case(&b'N') {
                ki
            } else {
                ni
            };
            let ops = (
                fortran_operand(ca, a, *lda, $complex),
                fortran_operand(cb, b, *ldb, $complex),
            );
            match (ops, dims([mi, ni, ki])) {
                ((Some(opa), Some(opb)), Some([m, n, k]))
                    if *lda >= nrowa.max(1) && *ldb >= nrowb.max(1) && *ldc >= mi.max(1) =>
                {
                    mm(m, n, k, *alpha, opa, opb, *beta, c, 1, *ldc as isize);
                    0
                }
                _ => $real(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
            }
        }
    };
}
fortran_gemm!(f32, __wrap_sgemm_, __real_sgemm_, false);
fortran_gemm!(f64, __wrap_dgemm_, __real_dgemm_, false);
fortran_gemm!(c32, __wrap_cgemm_, __real_cgemm_, true);
fortran_gemm!(c64, __wrap_zgemm_, __real_zgemm_, true);

/// Blocked triangular solve for LAPACK's `?trsm_` (getrs, the inverse, potrs, ...): op(A) X =
/// alpha B (side 'L') or X op(A) = alpha B (side 'R'), X overwriting B (m x n, column-major).
/// The triangle is split in halves until a block is at most `TRSM_BLOCK`: the diagonal blocks
/// go to the reference routine (`__real_?trsm_`), the off-diagonal updates, where the O(n^3)
/// work is, to gemm. Arguments it would reject, alpha = 0 and small problems go to it whole.
const TRSM_BLOCK: usize = 64;

type TrsmFn<T> = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_int,
    *const c_int,
    *const T,
    *const T,
    *const c_int,
    *mut T,
    *const c_int,
) -> c_int;

struct Trsm<T> {
    real: TrsmFn<T>,
    chars: [*const c_char; 4], // side, uplo, transa, diag as given
    left: bool,
    /// op(A) (the triangular n x n factor as the product uses it) is lower triangular.
    op_lower: bool,
    a: *const T,
    lda: isize,
    op: Mat<T>,
    b: *mut T,
    ldb: isize,
    m: usize,
    n: usize,
}

impl<T: Elem> Trsm<T> {
    /// Solves for the block of X at rows/columns [lo, hi) of the triangle, with alpha.
    unsafe fn solve(&self, lo: usize, hi: usize, alpha: T) {
        let k = hi - lo;
        if k <= TRSM_BLOCK {
            let (mi, ni) = if self.left { (k, self.n) } else { (self.m, k) };
            let (mi, ni) = (mi as c_int, ni as c_int);
            let (lda, ldb) = (self.lda as c_int, self.ldb as c_int);
            let a = self.a.wrapping_offset(lo as isize * (1 + self.lda));
            let b = if self.left {
                self.b.wrapping_add(lo)
            } else {
                self.b.wrapping_offset(lo as isize * self.ldb)
            };
            let [s, u, t, d] = self.chars;
            (self.real)(s, u, t, d, &mi, &ni, &alpha, a, &lda, b, &ldb);
            return;
        }
        let mid = lo + k / 2;
        // Left: op(A) lower solves the top rows first; right: op(A) upper solves the left
        // columns first. The first half's X then updates the second half's B.
        let first_low = self.left == self.op_lower;
        let ((f0, f1), (s0, s1)) = if first_low {
            ((lo, mid), (mid, hi))
        } else {
            ((mid, hi), (lo, mid))
        };
        self.solve(f0, f1, alpha);
        let bm = Mat {
            p: self.b as *const T,
            rs: 1,
            cs: self.ldb,
            conj: false,
        };
        let minus_one = T::MINUS_ONE;
        if self.left {
            // B[s, :] = alpha B[s, :] - op(A)[s, f] X[f, :]
            let dst = bm.at(s0, 0) as *mut T;
            mm(
                s1 - s0,
                self.n,
                f1 - f0,
                minus_one,
                Mat {
                    p: self.op.at(s0, f0),
                    ..self.op
                },
                Mat {
                    p: bm.at(f0, 0),
                    ..bm
                },
                alpha,
                dst,
                1,
                self.ldb,
            );
        } else {
            // B[:, s] = alpha B[:, s] - X[:, f] op(A)[f, s]
            let dst = bm.at(0, s0) as *mut T;
            mm(
                self.m,
                s1 - s0,
                f1 - f0,
                minus_one,
                Mat {
                    p: bm.at(0, f0),
                    ..bm
                },
                Mat {
                    p: self.op.at(f0, s0),
                    ..self.op
                },
                alpha,
                dst,
                1,
                self.ldb,
            );
        }
        self.solve(s0, s1, T::ONE);
    }
}

macro_rules! fortran_trsm {
    ($t:ty, $wrap:ident, $real:ident, $complex:expr) => {
        extern "C" {
            fn $real(
                side: *const c_char,
                uplo: *const c_char,
                transa: *const c_char,
                diag: *const c_char,
                m: *const c_int,
                n: *const c_int,
                alpha: *const $t,
                a: *const $t,
                lda: *const c_int,
                b: *mut $t,
                ldb: *const c_int,
            ) -> c_int;
        }
        #[no_mangle]
        pub unsafe extern "C" fn $wrap(
            side: *const c_char,
            uplo: *const c_char,
            transa: *const c_char,
            diag: *const c_char,
            m: *const c_int,
            n: *const c_int,
            alpha: *const $t,
            a: *const $t,
            lda: *const c_int,
            b: *mut $t,
            ldb: *const c_int,
        ) -> c_int {
            let up = |c: *const c_char| (*c as u8).to_ascii_uppercase();
            let (s, u, t, d) = (up(side), up(uplo), up(transa), up(diag));
            let left = s == b'L';
            let (mi, ni) = (*m, *n);
            let k = if left { mi } else { ni };
            let valid = matches!(s, b'L' | b'R')
                && matches!(u, b'U' | b'L')
                && matches!(t, b'N' | b'T' | b'C')
                && matches!(d, b'U' | b'N')
                && mi >= 0
                && ni >= 0
                && *lda >= k.max(1)
                && *ldb >= mi.max(1);
            if !valid
                || *alpha == <$t as Elem>::ZERO
                || (k as usize) <= TRSM_BLOCK
                || mi == 0
                || ni == 0
            {
                return $real(side, uplo, transa, diag, m, n, alpha, a, lda, b, ldb);
            }
            let op = fortran_operand(t, a, *lda, $complex).expect("t is N, T or C (checked above)");
            let solver = Trsm {
                real: $real,
                chars: [side, uplo, transa, diag],
                left,
                op_lower: (u == b'L') == (t == b'N'),
                a,
                lda: *lda as isize,
                op,
                b,
                ldb: *ldb as isize,
                m: mi as usize,
                n: ni as usize,
            };
            solver.solve(0, k as usize, *alpha);
            0
        }
    };
}
fortran_trsm!(f32, __wrap_strsm_, __real_strsm_, false);
fortran_trsm!(f64, __wrap_dtrsm_, __real_dtrsm_, false);
fortran_trsm!(c32, __wrap_ctrsm_, __real_ctrsm_, true);
fortran_trsm!(c64, __wrap_ztrsm_, __real_ztrsm_, true);

/// Host tests (`cargo test` in guest/blas): every routine against naive loops, over orders,
/// transposes, strides and sizes either side of the block sizes. The `__real_` routines the
/// wrappers fall back to are naive ones here.
#[cfg(test)]
mod tests {
    use super::*;
    use core::ops::{Div, Sub};

    pub(super) trait T:
        Elem + Sub<Output = Self> + Div<Output = Self> + core::fmt::Debug
    {
        fn from2(re: f64, im: f64) -> Self;
        fn abs(self) -> f64;
        const TOL: f64;
    }
    impl T for f32 {
        fn from2(re: f64, _: f64) -> Self {
            re as f32
        }
        fn abs(self) -> f64 {
            (self as f64).abs()
        }
        const TOL: f64 = 1e-3;
    }
    impl T for f64 {
        fn from2(re: f64, _: f64) -> Self {
            re
        }
        fn abs(self) -> f64 {
            self.abs()
        }
        const TOL: f64 = 1e-10;
    }
    impl T for c32 {
        fn from2(re: f64, im: f64) -> Self {
            c32::new(re as f32, im as f32)
        }
        fn abs(self) -> f64 {
            ((self.re * self.re + self.im * self.im) as f64).sqrt()
        }
        const TOL: f64 = 1e-3;
    }
    impl T for c64 {
        fn from2(re: f64, im: f64) -> Self {
            c64::new(re, im)
        }
        fn abs(self) -> f64 {
            (self.re * self.re + self.im * self.im).sqrt()
        }
        const TOL: f64 = 1e-10;
    }

    pub(super) fn rand<E: T>(n: usize, seed: &mut u64) -> Vec<E> {
        let mut next = || {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((*seed >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        (0..n).map(|_| E::from2(next(), next())).collect()
    }

    fn assert_close<E: T>(got: &[E], want: &[E], what: &str) {
        let scale = want.iter().fold(1.0f64, |m, &v| m.max(v.abs()));
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= E::TOL * scale,
                "{what}: element {i}: {g:?} != {w:?}"
            );
        }
    }

    /// Column-major op(X) element (i, j) for a Fortran operand.
    fn opel<E: T>(x: &[E], ld: usize, trans: u8, i: usize, j: usize) -> E {
        match trans {
            b'N' => x[i + j * ld],
            b'T' => x[j + i * ld],
            _ => x[j + i * ld].conj(),
        }
    }

    fn naive_gemm<E: T>(
        ta: u8,
        tb: u8,
        m: usize,
        n: usize,
        k: usize,
        alpha: E,
        a: &[E],
        lda: usize,
        b: &[E],
        ldb: usize,
        beta: E,
        c: &mut [E],
        ldc: usize,
    ) {
        for j in 0..n {
            for i in 0..m {
                let mut s = E::ZERO;
                for p in 0..k {
                    s = s + opel(a, lda, ta, i, p) * opel(b, ldb, tb, p, j);
                }
                let old = if beta == E::ZERO {
                    E::ZERO
                } else {
                    beta * c[i + j * ldc]
                };
                c[i + j * ldc] = alpha * s + old;
            }
        }
    }

    /// Reference trsm: op(A) explicit, then substitution column by column (left) or row by row.
    unsafe fn naive_trsm<E: T>(
        side: u8,
        uplo: u8,
        trans: u8,
        diag: u8,
        m: usize,
        n: usize,
        alpha: E,
        a: *const E,
        lda: usize,
        b: *mut E,
        ldb: usize,
    ) {
        let k = if side == b'L' { m } else { n };
        let a = core::slice::from_raw_parts(a, lda * k);
        let tri = |i: usize, j: usize| -> E {
            let (r, c) = if trans == b'N' { (i, j) } else { (j, i) };
            let inside = if uplo == b'U' { r <= c } else { r >= c };
            if r == c && diag == b'U' {
                E::ONE
            } else if inside {
                opel(a, lda, trans, i, j)
            } else {
                E::ZERO
            }
        };
        let b = core::slice::from_raw_parts_mut(b, ldb * n);
        // Solve M y = r for dense triangular M (given by get(i, j)), forward or backward.
        let solve = |get: &dyn Fn(usize, usize) -> E, r: &mut [E]| {
            let lower = (0..k).all(|i| (i + 1..k).all(|j| get(i, j) == E::ZERO));
            let order: Vec<usize> = if lower {
                (0..k).collect()
            } else {
                (0..k).rev().collect()
            };
            for &i in &order {
                let mut s = r[i];
                for j in 0..k {
                    if j != i && (if lower { j < i } else { j > i }) {
                        s = s - get(i, j) * r[j];
                    }
                }
                r[i] = s / get(i, i);
            }
        };
        if side == b'L' {
            for j in 0..n {
                let mut col: Vec<E> = (0..m).map(|i| alpha * b[i + j * ldb]).collect();
                solve(&tri, &mut col);
                for i in 0..m {
                    b[i + j * ldb] = col[i];
                }
            }
        } else {
            // X op(A) = alpha B  <=>  op(A)^T x_i = alpha b_i for each row i.
            let trit = |i: usize, j: usize| tri(j, i);
            for i in 0..m {
                let mut row: Vec<E> = (0..n).map(|j| alpha * b[i + j * ldb]).collect();
                solve(&trit, &mut row);
                for j in 0..n {
                    b[i + j * ldb] = row[j];
                }
            }
        }
    }

    macro_rules! reals {
        ($t:ty, $g:ident, $tr:ident) => {
            #[no_mangle]
            unsafe extern "C" fn $g(
                ta: *const c_char,
                tb: *const c_char,
                m: *const c_int,
                n: *const c_int,
                k: *const c_int,
                alpha: *const $t,
                a: *const $t,
                lda: *const c_int,
                b: *const $t,
                ldb: *const c_int,
                beta: *const $t,
                c: *mut $t,
                ldc: *const c_int,
            ) -> c_int {
                let (m, n, k) = (*m as usize, *n as usize, *k as usize);
                let (ta, tb) = (
                    (*ta as u8).to_ascii_uppercase(),
                    (*tb as u8).to_ascii_uppercase(),
                );
                let ra = if ta == b'N' { k } else { m };
                let rb = if tb == b'N' { n } else { k };
                let a = core::slice::from_raw_parts(a, *lda as usize * ra.max(1));
                let b = core::slice::from_raw_parts(b, *ldb as usize * rb.max(1));
                let c = core::slice::from_raw_parts_mut(c, *ldc as usize * n.max(1));
                naive_gemm(
                    ta,
                    tb,
                    m,
                    n,
                    k,
                    *alpha,
                    a,
                    *lda as usize,
                    b,
                    *ldb as usize,
                    *beta,
                    c,
                    *ldc as usize,
                );
                0
            }
            #[no_mangle]
            unsafe extern "C" fn $tr(
                side: *const c_char,
                uplo: *const c_char,
                trans: *const c_char,
                diag: *const c_char,
                m: *const c_int,
                n: *const c_int,
                alpha: *const $t,
                a: *const $t,
                lda: *const c_int,
                b: *mut $t,
                ldb: *const c_int,
            ) -> c_int {
                let u = |c: *const c_char| (*c as u8).to_ascii_uppercase();
                naive_trsm(
                    u(side),
                    u(uplo),
                    u(trans),
                    u(diag),
                    *m as usize,
                    *n as usize,
                    *alpha,
                    a,
                    *lda as usize,
                    b,
                    *ldb as usize,
                );
                0
            }
        };
    }
    reals!(f32, __real_sgemm_, __real_strsm_);
    reals!(f64, __real_dgemm_, __real_dtrsm_);
    reals!(c32, __real_cgemm_, __real_ctrsm_);
    reals!(c64, __real_zgemm_, __real_ztrsm_);

    type Gemm<E> = unsafe extern "C" fn(
        *const c_char,
        *const c_char,
        *const c_int,
        *const c_int,
        *const c_int,
        *const E,
        *const E,
        *const c_int,
        *const E,
        *const c_int,
        *const E,
        *mut E,
        *const c_int,
    ) -> c_int;

    fn check_fortran<E: T>(
        gemm: Gemm<E>,
        real_gemm: Gemm<E>,
        trsm: TrsmFn<E>,
        real_trsm: TrsmFn<E>,
    ) {
        let mut seed = 7;
        let alpha = E::from2(0.7, -0.3);
        let beta = E::from2(-1.3, 0.2);
        for &(m, n, k) in &[
            (1, 1, 1),
            (5, 3, 9),
            (70, 65, 66),
            (130, 17, 200),
            (0, 4, 3),
            (4, 0, 3),
            (4, 3, 0),
        ] {
            for ta in [b'N', b'T', b'C'] {
                for tb in [b'N', b't', b'C'] {
                    let lda = if ta == b'N' { m } else { k }.max(1) + 3;
                    let ldb = if tb == b'N' { k } else { n }.max(1) + 1;
                    let ldc = m.max(1) + 2;
                    let a = rand::<E>(lda * m.max(k).max(1), &mut seed);
                    let b = rand::<E>(ldb * n.max(k).max(1), &mut seed);
                    let c0 = rand::<E>(ldc * n.max(1), &mut seed);
                    for (al, be) in [(alpha, beta), (alpha, E::ZERO), (E::ZERO, beta)] {
                        let (mut c1, mut c2) = (c0.clone(), c0.clone());
                        let args = |c: &mut Vec<E>, f: Gemm<E>| unsafe {
                            f(
                                &(ta as c_char),
                                &(tb as c_char),
                                &(m as c_int),
                                &(n as c_int),
                                &(k as c_int),
                                &al,
                                a.as_ptr(),
                                &(lda as c_int),
                                b.as_ptr(),
                                &(ldb as c_int),
                                &be,
                                c.as_mut_ptr(),
                                &(ldc as c_int),
                            );
                        };
                        args(&mut c1, gemm);
                        args(&mut c2, real_gemm);
                        assert_close(
                            &c1,
                            &c2,
                            &format!("gemm {m}x{n}x{k} {} {}", ta as char, tb as char),
                        );
                    }
                }
            }
        }
        for &(m, n) in &[(3, 2), (150, 7), (9, 150), (200, 130)] {
            for side in [b'L', b'R'] {
                for uplo in [b'U', b'L'] {
                    for trans in [b'N', b'T', b'C'] {
                        for diag in [b'N', b'U'] {
                            let k = if side == b'L' { m } else { n };
                            let lda = k + 2;
                            let ldb = m + 1;
                            // Well conditioned: a dominant diagonal.
                            let mut a = rand::<E>(lda * k, &mut seed);
                            for i in 0..k {
                                a[i + i * lda] = a[i + i * lda] + E::from2(k as f64, 0.0);
                            }
                            let b0 = rand::<E>(ldb * n, &mut seed);
                            let (mut b1, mut b2) = (b0.clone(), b0.clone());
                            let c = |x: u8| x as c_char;
                            unsafe {
                                trsm(
                                    &c(side),
                                    &c(uplo),
                                    &c(trans),
                                    &c(diag),
                                    &(m as c_int),
                                    &(n as c_int),
                                    &alpha,
                                    a.as_ptr(),
                                    &(lda as c_int),
                                    b1.as_mut_ptr(),
                                    &(ldb as c_int),
                                );
                                real_trsm(
                                    &c(side),
                                    &c(uplo),
                                    &c(trans),
                                    &c(diag),
                                    &(m as c_int),
                                    &(n as c_int),
                                    &alpha,
                                    a.as_ptr(),
                                    &(lda as c_int),
                                    b2.as_mut_ptr(),
                                    &(ldb as c_int),
                                );
                            }
                            assert_close(
                                &b1,
                                &b2,
                                &format!(
                                    "trsm {m}x{n} {}{}{}{}",
                                    side as char, uplo as char, trans as char, diag as char
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fortran_gemm_trsm() {
        check_fortran::<f32>(__wrap_sgemm_, __real_sgemm_, __wrap_strsm_, __real_strsm_);
        check_fortran::<f64>(__wrap_dgemm_, __real_dgemm_, __wrap_dtrsm_, __real_dtrsm_);
        check_fortran::<c32>(__wrap_cgemm_, __real_cgemm_, __wrap_ctrsm_, __real_ctrsm_);
        check_fortran::<c64>(__wrap_zgemm_, __real_zgemm_, __wrap_ztrsm_, __real_ztrsm_);
    }

    /// CBLAS: a row- or column-major matrix as a column-major one (what the naive code takes).
    fn to_colmajor<E: T>(order: c_int, x: &[E], rows: usize, cols: usize, ld: usize) -> Vec<E> {
        let mut out = vec![E::ZERO; rows.max(1) * cols];
        for j in 0..cols {
            for i in 0..rows {
                out[i + j * rows.max(1)] = if order == ROW_MAJOR {
                    x[i * ld + j]
                } else {
                    x[i + j * ld]
                };
            }
        }
        out
    }

    #[test]
    fn cblas_double() {
        let mut seed = 3;
        let (alpha, beta) = (0.5f64, -2.0f64);
        for order in [ROW_MAJOR, 102] {
            for &(m, n, k) in &[(1, 1, 1), (4, 7, 3), (65, 70, 130), (3, 0, 2)] {
                for ta in [NO_TRANS, 112] {
                    for tb in [NO_TRANS, 112] {
                        let (ar, ac) = if ta == NO_TRANS { (m, k) } else { (k, m) };
                        let (br, bc) = if tb == NO_TRANS { (k, n) } else { (n, k) };
                        let lda = if order == ROW_MAJOR { ac } else { ar }.max(1) + 1;
                        let ldb = if order == ROW_MAJOR { bc } else { br }.max(1) + 2;
                        let ldc = if order == ROW_MAJOR { n } else { m }.max(1);
                        let a = rand::<f64>(lda * ar.max(ac).max(1), &mut seed);
                        let b = rand::<f64>(ldb * br.max(bc).max(1), &mut seed);
                        let c0 = rand::<f64>(ldc * m.max(n).max(1), &mut seed);
                        let mut c = c0.clone();
                        unsafe {
                            cblas_dgemm(
                                order,
                                ta,
                                tb,
                                m as c_int,
                                n as c_int,
                                k as c_int,
                                alpha,
                                a.as_ptr(),
                                lda as c_int,
                                b.as_ptr(),
                                ldb as c_int,
                                beta,
                                c.as_mut_ptr(),
                                ldc as c_int,
                            );
                        }
                        let (ac_, bc_) = (
                            to_colmajor(order, &a, ar, ac, lda),
                            to_colmajor(order, &b, br, bc, ldb),
                        );
                        let mut want = to_colmajor(order, &c0, m, n, ldc);
                        let t = |x| if x == NO_TRANS { b'N' } else { b'T' };
                        naive_gemm(
                            t(ta),
                            t(tb),
                            m,
                            n,
                            k,
                            alpha,
                            &ac_,
                            ar.max(1),
                            &bc_,
                            br.max(1),
                            beta,
                            &mut want,
                            m.max(1),
                        );
                        assert_close(&to_colmajor(order, &c, m, n, ldc), &want, "cblas_dgemm");
                    }
                }
                // gemv with strided x and y, both transposes.
                for trans in [NO_TRANS, 112] {
                    let lda = if order == ROW_MAJOR { k } else { m }.max(1) + 3;
                    let a = rand::<f64>(lda * m.max(k).max(1), &mut seed);
                    let (xl, yl) = if trans == NO_TRANS { (k, m) } else { (m, k) };
                    let x = rand::<f64>(2 * xl.max(1), &mut seed);
                    let y0 = rand::<f64>(3 * yl.max(1), &mut seed);
                    let mut y = y0.clone();
                    unsafe {
                        cblas_dgemv(
                            order,
                            trans,
                            m as c_int,
                            k as c_int,
                            alpha,
                            a.as_ptr(),
                            lda as c_int,
                            x.as_ptr(),
                            2,
                            beta,
                            y.as_mut_ptr(),
                            3,
                        );
                    }
                    let acm = to_colmajor(order, &a, m, k, lda);
                    for i in 0..yl {
                        let mut s = 0.0;
                        for p in 0..xl {
                            s += if trans == NO_TRANS {
                                acm[i + p * m.max(1)]
                            } else {
                                acm[p + i * m.max(1)]
                            } * x[2 * p];
                        }
                        assert!(
                            (y[3 * i] - (alpha * s + beta * y0[3 * i])).abs() < 1e-10,
                            "cblas_dgemv"
                        );
                    }
                }
                // syrk: only the requested triangle changes.
                for uplo in [UPPER, 122] {
                    for trans in [NO_TRANS, 112] {
                        let (ar, ac) = if trans == NO_TRANS { (n, k) } else { (k, n) };
                        let lda = if order == ROW_MAJOR { ac } else { ar }.max(1) + 1;
                        let a = rand::<f64>(lda * ar.max(ac).max(1), &mut seed);
                        let ldc = n.max(1) + 1;
                        let c0 = rand::<f64>(ldc * n.max(1), &mut seed);
                        let mut c = c0.clone();
                        unsafe {
                            cblas_dsyrk(
                                order,
                                uplo,
                                trans,
                                n as c_int,
                                k as c_int,
                                alpha,
                                a.as_ptr(),
                                lda as c_int,
                                beta,
                                c.as_mut_ptr(),
                                ldc as c_int,
                            );
                        }
                        let acm = to_colmajor(order, &a, ar, ac, lda);
                        let op = |i: usize, p: usize| {
                            if trans == NO_TRANS {
                                acm[i + p * ar.max(1)]
                            } else {
                                acm[p + i * ar.max(1)]
                            }
                        };
                        for i in 0..n {
                            for j in 0..n {
                                let at = if order == ROW_MAJOR {
                                    i * ldc + j
                                } else {
                                    i + j * ldc
                                };
                                let inside = if uplo == UPPER { i <= j } else { i >= j };
                                let want = if inside {
                                    alpha * (0..k).map(|p| op(i, p) * op(j, p)).sum::<f64>()
                                        + beta * c0[at]
                                } else {
                                    c0[at]
                                };
                                assert!((c[at] - want).abs() < 1e-10, "cblas_dsyrk {i} {j}");
                            }
                        }
                    }
                }
            }
        }
        // dot and axpy with negative increments (BLAS: start at the far end).
        let x = rand::<f64>(10, &mut seed);
        let y = rand::<f64>(5, &mut seed);
        let d = unsafe { cblas_ddot(5, x.as_ptr(), -2, y.as_ptr(), 1) };
        let want: f64 = (0..5).map(|i| x[8 - 2 * i] * y[i]).sum();
        assert!((d - want).abs() < 1e-12, "cblas_ddot");
        let mut z = y.clone();
        unsafe { cblas_daxpy(5, 2.0, x.as_ptr(), 2, z.as_mut_ptr(), -1) };
        for i in 0..5 {
            assert!(
                (z[4 - i] - (y[4 - i] + 2.0 * x[2 * i])).abs() < 1e-12,
                "cblas_daxpy"
            );
        }
        let xc = rand::<c64>(4, &mut seed);
        let yc = rand::<c64>(4, &mut seed);
        let mut out = c64::new(0.0, 0.0);
        unsafe { cblas_zdotc_sub(4, xc.as_ptr(), 1, yc.as_ptr(), 1, &mut out) };
        let want = (0..4).fold(c64::new(0.0, 0.0), |s, i| s + xc[i].conj() * yc[i]);
        assert!(T::abs(out - want) < 1e-12, "cblas_zdotc_sub");
    }
}
