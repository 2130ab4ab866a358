//! float64 products on a 4x4 register tile that V8 compiles without spilling: eight f64x2
//! accumulators, two f64x2 of a row of B and one broadcast of A fit x64's sixteen vector
//! registers (V8 keeps one as scratch). The gemm crate's wasm kernel is 6x4, twelve
//! accumulators, so V8 spills inside its inner loop. Both kernels alone in one wasm module, in
//! Node 20 on the 2-vCPU machine (figures in guest/README.md): that kernel took 1.5-1.8x this
//! one's time at every size from 16 to 1000, and when the other vCPU ran the same code (two
//! numpy threads) it slowed by up to 2x where this one mostly held. Everything else (other
//! layouts, types) stays with the gemm crate.
//!
//! Blocking: KC along k, so a 4-column strip of B, copied contiguous (with a leading dimension
//! of 512 or 1024 doubles its rows would all fall in one L1 set), stays in L1 while MC rows of
//! A, read in place, stay in L2.

const KC: usize = 256;
const MC: usize = 128;

/// Two f64 lanes: wasm SIMD128 in the guest, plain arrays where the tests run (the host).
#[cfg(target_arch = "wasm32")]
mod pair {
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
    }
}
#[cfg(not(target_arch = "wasm32"))]
mod pair {
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
    }
}
use pair::F2;

/// Rows `a + r*a_rs` (r < 4) of A, walked along k by `a_cs`, times a contiguous 4-wide strip of
/// B: the accumulators, [row r][column pair h] at 2r + h.
#[inline(always)]
unsafe fn tile(k: usize, a: *const f64, a_rs: isize, a_cs: isize, strip: *const f64) -> [F2; 8] {
    let z = F2::splat(0.0);
    let mut acc = [z; 8];
    let mut rows = [a, a.offset(a_rs), a.offset(2 * a_rs), a.offset(3 * a_rs)];
    let mut b = strip;
    for _ in 0..k {
        let (b0, b1) = (F2::load(b), F2::load(b.add(2)));
        for r in 0..4 {
            let x = F2::splat(*rows[r]);
            acc[2 * r] = acc[2 * r].add(x.mul(b0));
            acc[2 * r + 1] = acc[2 * r + 1].add(x.mul(b1));
            rows[r] = rows[r].offset(a_cs);
        }
        b = b.add(4);
    }
    acc
}

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
                    let acc = tile(kc, a_ip, a_rs, a_cs, strip);
                    for (t, v) in acc.into_iter().enumerate() {
                        let p = c.offset((i + t / 2) as isize * ldc + (j + 2 * (t % 2)) as isize);
                        let v = al.mul(v);
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
