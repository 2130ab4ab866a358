//! float64 products on a 4x4 register tile that V8 compiles without spilling: eight f64x2
//! accumulators, two f64x2 of a row of B and one broadcast of A fit x64's sixteen vector
//! registers (V8 keeps one as scratch). The gemm crate's wasm kernel is 6x4, twelve
//! accumulators, so V8 spills inside its inner loop. Both kernels alone in one wasm module, in
//! Node 20 on the 2-vCPU machine (figures in guest/README.md): that kernel took 1.5-1.8x this
//! one's time at every size from 16 to 1000, and when the other vCPU ran the same code (two
//! numpy threads) it slowed by up to 2x where this one mostly held. Everything else (other
//! layouts, types) stays with the gemm crate.
//!
//! The tile itself (`tile.rs`) is a separate wasm module, so that it can use relaxed SIMD's
//! fused multiply-add where the engine has it: alone it is no faster, but V8 makes its inner
//! loop 26 x64 instructions per step instead of 34, and on this host, whose vCPUs slow down in
//! phases when their cores are shared, the longer loop lost up to 1.7x where the fused one lost
//! up to 1.15x (figures in guest/README.md). A fused product can differ from the unfused one in
//! the last bits (one rounding per step instead of two), as a native BLAS with FMA does.
//!
//! Blocking: KC along k, so a 4-column strip of B, copied contiguous (with a leading dimension
//! of 512 or 1024 doubles its rows would all fall in one L1 set), stays in L1 while MC rows of
//! A, read in place, stay in L2.

const KC: usize = 256;
const MC: usize = 128;

use crate::tile::pair::F2;

// The tile runs in the kernel module (guest/blas/kernel), which the runtime instantiates beside
// python-numpy.wasm over the same memory: the relaxed-SIMD build where the engine validates it,
// else the SIMD128 one. This module cannot hold the relaxed instructions itself: an engine
// without them would reject all of python-numpy.wasm. The tests (host) call the tile directly.
#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "weft_blas_v1")]
extern "C" {
    fn dgemm_tile(
        k: usize,
        a: *const f64,
        a_rs: isize,
        a_cs: isize,
        strip: *const f64,
        out: *mut f64,
    );
}
#[cfg(not(target_arch = "wasm32"))]
use crate::tile::tile as dgemm_tile;

/// C = alpha * A B + beta * C on the whole 4x4 tiles of C: its first `m - m % 4` rows and
/// `n - n % 4` columns, which it returns; the caller does the rest. C and B have unit column
/// stride (row strides `ldc`, `ldb`), A any strides. beta never reads C when it is 0 (BLAS's
/// rule: NaN there does not propagate).
pub unsafe fn tiles(
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    a: *const f64,
    a_rs: isize,
    a_cs: isize,
    b: *const f64,
    ldb: isize,
    beta: f64,
    c: *mut f64,
    ldc: isize,
) -> (usize, usize) {
    let (mt, nt) = (m - m % 4, n - n % 4);
    if mt == 0 || nt == 0 {
        return (0, 0);
    }
    let (al, be) = (F2::splat(alpha), F2::splat(beta));
    // On the stack: LAPACK makes many small products, and the allocator takes a lock that
    // numpy's other threads contend for. Each block writes the part it reads.
    let mut strip = core::mem::MaybeUninit::<[f64; 4 * KC]>::uninit();
    let strip = strip.as_mut_ptr() as *mut f64;
    let mut acc = [0.0f64; 16];
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        for i0 in (0..mt).step_by(MC) {
            for j in (0..nt).step_by(4) {
                let bj = b.offset(p0 as isize * ldb + j as isize);
                for q in 0..kc {
                    let row = bj.offset(q as isize * ldb);
                    F2::load(row).store(strip.add(4 * q));
                    F2::load(row.add(2)).store(strip.add(4 * q + 2));
                }
                for i in (i0..mt.min(i0 + MC)).step_by(4) {
                    let a_ip = a.offset(i as isize * a_rs + p0 as isize * a_cs);
                    dgemm_tile(kc, a_ip, a_rs, a_cs, strip, acc.as_mut_ptr());
                    for t in 0..8 {
                        let p = c.offset((i + t / 2) as isize * ldc + (j + 2 * (t % 2)) as isize);
                        let v = al.mul(F2::load(acc.as_ptr().add(2 * t)));
                        let v = if p0 > 0 || beta == 1.0 {
                            F2::load(p).add(v)
                        } else if beta == 0.0 {
                            v
                        } else {
                            be.mul(F2::load(p)).add(v)
                        };
                        v.store(p);
                    }
                }
            }
        }
    }
    (mt, nt)
}

#[cfg(test)]
mod tests {
    use super::tiles;
    use crate::tests::rand;

    /// Against the definition: sizes across KC (several blocks along k) and MC, A stored either
    /// way round with a padded leading dimension, and beta 0 (C is NaN: never read), 1 and
    /// other. Outside the tiles C must be untouched.
    #[test]
    fn tiles_match_definition() {
        for &(m, n, k) in &[
            (4, 4, 1),
            (9, 6, 300),
            (133, 10, 513),
            (8, 13, 256),
            (3, 8, 5),
        ] {
            for &(alpha, beta) in &[(1.0, 0.0), (0.5, 1.0), (-1.5, -2.0)] {
                for a_by_rows in [true, false] {
                    let lda = if a_by_rows { k + 3 } else { m + 3 };
                    let (a_rs, a_cs) = if a_by_rows { (lda, 1) } else { (1, lda) };
                    let a = rand::<f64>(lda * m.max(k), &mut 1);
                    let (ldb, ldc) = (n + 2, n + 1);
                    let b = rand::<f64>(ldb * k, &mut 2);
                    let c0 = if beta == 0.0 {
                        vec![f64::NAN; ldc * m]
                    } else {
                        rand::<f64>(ldc * m, &mut 3)
                    };
                    let mut c = c0.clone();
                    let (mt, nt) = unsafe {
                        tiles(
                            m,
                            n,
                            k,
                            alpha,
                            a.as_ptr(),
                            a_rs as isize,
                            a_cs as isize,
                            b.as_ptr(),
                            ldb as isize,
                            beta,
                            c.as_mut_ptr(),
                            ldc as isize,
                        )
                    };
                    let tiled = m >= 4 && n >= 4;
                    assert_eq!(
                        (mt, nt),
                        if tiled {
                            (m - m % 4, n - n % 4)
                        } else {
                            (0, 0)
                        }
                    );
                    for i in 0..m {
                        for j in 0..n {
                            let got = c[i * ldc + j];
                            if i < mt && j < nt {
                                let dot: f64 = (0..k)
                                    .map(|p| a[i * a_rs + p * a_cs] * b[p * ldb + j])
                                    .sum();
                                let old = if beta == 0.0 {
                                    0.0
                                } else {
                                    beta * c0[i * ldc + j]
                                };
                                let want = alpha * dot + old;
                                assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()) * k as f64,
                                    "{m}x{n}x{k} alpha {alpha} beta {beta} by rows {a_by_rows}: ({i}, {j}) {got} != {want}");
                            } else {
                                assert_eq!(
                                    got.to_bits(),
                                    c0[i * ldc + j].to_bits(),
                                    "({i}, {j}) outside the tiles changed"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
