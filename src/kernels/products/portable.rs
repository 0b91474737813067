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
    for (ci, ai) in c.chunks_exact_mut(n).zip(a.chunks_exact(k.max(1))) {
        for (&aip, bp) in ai.iter().zip(b.chunks_exact(n)) {
            for (cij, &bpj) in ci.iter_mut().zip(bp) {
                *cij = *cij + aip * bpj;
            }
        }
    }
}

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
