//! Plain-loop products: no allocation, no `unsafe`, no `std`. Loop orders keep
//! the innermost loop on contiguous memory so the compiler vectorises it, and
//! they fully unroll when the sizes are constants (a tiny static net).

use core::ops::{Add, Mul};

/// `c[m×n] = a[m×k]·b[k×n]` (or `c +=` when `accumulate`).
#[inline(always)]
pub(crate) fn gemm_nn<T>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T], accumulate: bool)
where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    let (a, b, c) = (&a[..m * k], &b[..k * n], &mut c[..m * n]);
    if !accumulate {
        c.fill(T::default());
    }
    if n == 0 {
        return;
    }
    if n < NARROW {
        return gemm_nn_narrow(k, n, a, b, c);
    }
    if k == 0 {
        return;
    }
    // a row of `c` a few columns at a time, each column's sum kept in a
    // register through all of `k` (rather than `c` loaded and stored for
    // every multiply-add), the taps in the order of `p` as before
    for (ci, ai) in c.chunks_exact_mut(n).zip(a.chunks_exact(k)) {
        let mut j = 0;
        while n - j >= 8 {
            columns_8(ai, &b[j..], n, &mut ci[j..j + 8]);
            j += 8;
        }
        if n - j >= 4 {
            columns_4(ai, &b[j..], n, &mut ci[j..j + 4]);
            j += 4;
        }
        if n - j >= 2 {
            columns_2(ai, &b[j..], n, &mut ci[j..j + 2]);
            j += 2;
        }
        if n - j == 1 {
            columns_1(ai, &b[j..], n, &mut ci[j..]);
        }
    }
}

/// `c += a·b` for the `W` columns of `b` (rows of `n`) from its first: a
/// function per width with the sums written out, since at opt-level "s" a
/// loop over them would stay a loop and the sums would leave the
/// registers. Each row of `b` is cut to `W` before its sums, so none of
/// them checks an index.
macro_rules! columns {
    ($name:ident, $w:literal, $($j:literal)+) => {
        #[inline(always)]
        fn $name<T>(a: &[T], b: &[T], n: usize, c: &mut [T])
        where
            T: Copy + Add<Output = T> + Mul<Output = T>,
        {
            let c: &mut [T; $w] = c.try_into().expect("a tile of columns");
            let mut acc = *c;
            for (&ap, bp) in a.iter().zip(b.chunks(n)) {
                let bp: &[T; $w] = bp[..$w].try_into().expect("a tile of columns");
                $(acc[$j] = acc[$j] + ap * bp[$j];)+
            }
            *c = acc;
        }
    };
}
columns!(columns_8, 8, 0 1 2 3 4 5 6 7);
columns!(columns_4, 4, 0 1 2 3);
columns!(columns_2, 2, 0 1);
columns!(columns_1, 1, 0);

/// Outputs narrower than this take [`gemm_nn_narrow`].
const NARROW: usize = 8;

/// `c += a·b` for a narrow `c` (a small net's last layer): too few columns
/// to vectorise across, so each output sums in four interleaved partial
/// sums, which breaks the chain of dependent additions that would otherwise
/// set the pace.
#[inline(always)]
fn gemm_nn_narrow<T>(k: usize, n: usize, a: &[T], b: &[T], c: &mut [T])
where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    for (ci, ai) in c.chunks_exact_mut(n).zip(a.chunks_exact(k.max(1))) {
        for (j, cij) in ci.iter_mut().enumerate() {
            let mut part = [T::default(); 4];
            for (p, &aip) in ai.iter().enumerate() {
                part[p % 4] = part[p % 4] + aip * b[p * n + j];
            }
            *cij = *cij + ((part[0] + part[1]) + (part[2] + part[3]));
        }
    }
}

/// `c[k×n] = aᵀ·b` for `a[m×k]`, `b[m×n]`.
#[inline(always)]
pub(crate) fn gemm_tn<T>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T])
where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    let (a, b, c) = (&a[..m * k], &b[..m * n], &mut c[..k * n]);
    c.fill(T::default());
    if n == 0 || k == 0 {
        return;
    }
    for (ai, bi) in a.chunks_exact(k).zip(b.chunks_exact(n)) {
        for (&aip, cp) in ai.iter().zip(c.chunks_exact_mut(n)) {
            for (cpj, &bij) in cp.iter_mut().zip(bi) {
                *cpj = *cpj + aip * bij;
            }
        }
    }
}

/// `c[m×k] = a·bᵀ` for `a[m×n]`, `b[k×n]`.
#[inline(always)]
pub(crate) fn gemm_nt<T>(m: usize, n: usize, k: usize, a: &[T], b: &[T], c: &mut [T])
where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    let (a, b, c) = (&a[..m * n], &b[..k * n], &mut c[..m * k]);
    if k == 0 {
        return;
    }
    if n == 0 {
        c.fill(T::default());
        return;
    }
    for (ci, ai) in c.chunks_exact_mut(k).zip(a.chunks_exact(n)) {
        for (ciq, bq) in ci.iter_mut().zip(b.chunks_exact(n)) {
            let mut acc = T::default();
            for (&x, &y) in ai.iter().zip(bq) {
                acc = acc + x * y;
            }
            *ciq = acc;
        }
    }
}
