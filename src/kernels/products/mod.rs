//! Matrix products of row-major slices: the three shapes every dense layer
//! needs (x·W, xᵀ·dy, dy·Wᵀ), and the zero pattern one product can keep for
//! another on the same matrix.
//!
//! Small products take the portable loops inline (they unroll for a small
//! static net, and beat any dispatch at that size); larger ones the AVX-512
//! micro-kernels when the CPU has them (checked at run time), else the same
//! portable loops.

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512;
pub(crate) mod portable;
#[cfg(test)]
mod tests;

#[cfg(all(feature = "std", target_arch = "x86_64"))]
use super::{avx512_available, per_type, retype, retype_mut};
#[cfg(all(feature = "std", target_arch = "x86_64"))]
use avx512::{ALayout, Memo};

/// Products up to this many multiply-adds take the inline loops.
const INLINE_WORK: usize = 4096;

/// `c[m×n] = a[m×k]·b[k×n]` (or `c +=`); `k` and `n` are a layer's widths.
#[inline(always)]
pub(crate) fn nn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T], accumulate: bool) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_nn(m, k, n, a, b, c, accumulate)
    } else {
        gemm_nn(m, k, n, a, b, c, accumulate)
    }
}

/// `c[k×n] = aᵀ·b` for `a[m×k]`, `b[m×n]`.
#[inline(always)]
#[cfg_attr(not(feature = "alloc"), allow(dead_code))] // a convolution's dx, with alloc
pub(crate) fn tn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_tn(m, k, n, a, b, c)
    } else {
        gemm_tn(m, k, n, a, b, c)
    }
}

/// `c[m×k] = a·bᵀ` for `a[m×n]`, `b[k×n]`.
#[inline(always)]
pub(crate) fn nt<T: crate::Scalar>(m: usize, n: usize, k: usize, a: &[T], b: &[T], c: &mut [T]) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_nt(m, n, k, a, b, c)
    } else {
        gemm_nt(m, n, k, a, b, c)
    }
}

/// [`nn`], keeping `a`'s zero pattern for a later [`tn_reusing`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn nn_keeping<T: crate::Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    accumulate: bool,
    keep: &mut Nonzero,
) {
    if m * k * n <= INLINE_WORK {
        keep.forget();
        portable::gemm_nn(m, k, n, a, b, c, accumulate)
    } else {
        gemm_nn_keep(m, k, n, a, b, c, accumulate, keep)
    }
}

/// [`tn`], with `a`'s zero pattern from an earlier [`nn_keeping`] if it
/// describes `a`.
#[inline(always)]
pub(crate) fn tn_reusing<T: crate::Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    kept: &Nonzero,
) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_tn(m, k, n, a, b, c)
    } else {
        gemm_tn_reuse(m, k, n, a, b, c, kept)
    }
}

/// [`nn`] on the fastest backend whatever the size.
pub(crate) fn gemm_nn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T], accumulate: bool) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        return per_type!(T, super::products::avx512, |kern| {
            let (a, b, c) = (retype(a), retype(b), retype_mut(c));
            kern::gemm(ALayout::RowMajor, m, k, n, a, b, c, accumulate, Memo::None)
        });
    }
    portable::gemm_nn(m, k, n, a, b, c, accumulate)
}

/// [`tn`] on the fastest backend whatever the size.
pub(crate) fn gemm_tn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        // C (k×n) = A'·B with A'(i, p) = a[p·k + i]
        return per_type!(T, super::products::avx512, |kern| {
            let (a, b, c) = (retype(a), retype(b), retype_mut(c));
            kern::gemm(ALayout::Transposed, k, m, n, a, b, c, false, Memo::None)
        });
    }
    portable::gemm_tn(m, k, n, a, b, c)
}

/// [`nt`] on the fastest backend whatever the size.
pub(crate) fn gemm_nt<T: crate::Scalar>(m: usize, n: usize, k: usize, a: &[T], b: &[T], c: &mut [T]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        return per_type!(T, super::products::avx512, |kern| {
            let (a, b, c) = (retype(a), retype(b), retype_mut(c));
            kern::gemm_nt(m, n, k, a, b, c)
        });
    }
    portable::gemm_nt(m, n, k, a, b, c)
}
/// The zero pattern of a matrix, kept by one product for a later product
/// on the same matrix: an Affine layer's input is read by its forward pass
/// (x·W) and again by its weight gradient (xᵀ·dy), and scanning it for
/// zeros once is enough. Empty where the kernels do not skip zeros.
#[derive(Clone, Debug, Default)]
pub struct Nonzero {
    /// The row-major bitmap, one bit per element.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    words: Vec<u64>,
    /// Which matrix it describes, by address and length: the layer contract
    /// gives the backward pass the forward pass's input, and anything else
    /// is scanned afresh.
    of: (usize, usize),
}

impl Nonzero {
    #[allow(dead_code)] // not read without the AVX-512 kernels
    fn identity<T>(a: &[T], len: usize) -> (usize, usize) {
        (a.as_ptr() as usize, len)
    }

    /// `true` if this describes the first `len` elements of `a`.
    #[allow(dead_code)]
    fn describes<T>(&self, a: &[T], len: usize) -> bool {
        self.of == Self::identity(a, len) && len > 0
    }

    fn forget(&mut self) {
        self.of = (0, 0);
    }
}

/// [`nn_keeping`] on the fastest backend whatever the size.
#[allow(clippy::too_many_arguments)]
fn gemm_nn_keep<T: crate::Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    accumulate: bool,
    keep: &mut Nonzero,
) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        per_type!(T, super::products::avx512, |kern| {
            let (a, b, c) = (retype(a), retype(b), retype_mut(c));
            kern::gemm(
                ALayout::RowMajor,
                m,
                k,
                n,
                a,
                b,
                c,
                accumulate,
                Memo::Keep(&mut keep.words),
            )
        });
        // no bitmap when the product built none: the backward product must
        // then scan x afresh, not skip all of it
        keep.of = if keep.words.is_empty() {
            (0, 0)
        } else {
            Nonzero::identity(a, m * k)
        };
        return;
    }
    keep.forget();
    portable::gemm_nn(m, k, n, a, b, c, accumulate)
}

/// [`tn_reusing`] on the fastest backend whatever the size.
fn gemm_tn_reuse<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T], kept: &Nonzero) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        let memo = if kept.describes(a, m * k) {
            Memo::Reuse(&kept.words)
        } else {
            Memo::None
        };
        return per_type!(T, super::products::avx512, |kern| {
            let (a, b, c) = (retype(a), retype(b), retype_mut(c));
            kern::gemm(ALayout::Transposed, k, m, n, a, b, c, false, memo)
        });
    }
    let _ = kept;
    portable::gemm_tn(m, k, n, a, b, c)
}
