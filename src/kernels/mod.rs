//! Matrix products of row-major slices, the only heavy arithmetic in a net.
//!
//! Every layer calls these three shapes (x·W, xᵀ·dy, dy·Wᵀ) through the
//! [`Kernels`] methods of its scalar, so the choice of implementation lives in
//! one place.

mod portable;

/// Matrix products on row-major slices; implemented for `f32` and `f64`.
///
/// Not part of the public API: a detail of [`Scalar`](crate::Scalar).
#[doc(hidden)]
pub trait Kernels: Sized {
    /// `c[m×n] = a[m×k]·b[k×n]`, or `c += a·b` when `accumulate`.
    fn gemm_nn(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self], accumulate: bool);
    /// `c[k×n] = aᵀ·b` for `a[m×k]`, `b[m×n]`.
    fn gemm_tn(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self]);
    /// `c[m×k] = a·bᵀ` for `a[m×n]`, `b[k×n]`.
    fn gemm_nt(m: usize, n: usize, k: usize, a: &[Self], b: &[Self], c: &mut [Self]);
}

macro_rules! portable_kernels {
    ($t:ty) => {
        impl Kernels for $t {
            fn gemm_nn(m: usize, k: usize, n: usize, a: &[$t], b: &[$t], c: &mut [$t], accumulate: bool) {
                portable::gemm_nn(m, k, n, a, b, c, accumulate)
            }
            fn gemm_tn(m: usize, k: usize, n: usize, a: &[$t], b: &[$t], c: &mut [$t]) {
                portable::gemm_tn(m, k, n, a, b, c)
            }
            fn gemm_nt(m: usize, n: usize, k: usize, a: &[$t], b: &[$t], c: &mut [$t]) {
                portable::gemm_nt(m, n, k, a, b, c)
            }
        }
    };
}

portable_kernels!(f32);
portable_kernels!(f64);

/// Weight matrices up to this many elements take the inline loops, which the
/// compiler unrolls for a small static layer; larger ones take the scalar's
/// dispatched kernel.
const INLINE_WEIGHTS: usize = 4096;

/// `c[m×n] = a[m×k]·b[k×n]` (or `c +=`); `k` and `n` are a layer's widths.
#[inline(always)]
pub(crate) fn nn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T], accumulate: bool) {
    if k * n <= INLINE_WEIGHTS {
        portable::gemm_nn(m, k, n, a, b, c, accumulate)
    } else {
        T::gemm_nn(m, k, n, a, b, c, accumulate)
    }
}

/// `c[k×n] = aᵀ·b` for `a[m×k]`, `b[m×n]`.
#[inline(always)]
pub(crate) fn tn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    if k * n <= INLINE_WEIGHTS {
        portable::gemm_tn(m, k, n, a, b, c)
    } else {
        T::gemm_tn(m, k, n, a, b, c)
    }
}

/// `c[m×k] = a·bᵀ` for `a[m×n]`, `b[k×n]`.
#[inline(always)]
pub(crate) fn nt<T: crate::Scalar>(m: usize, n: usize, k: usize, a: &[T], b: &[T], c: &mut [T]) {
    if k * n <= INLINE_WEIGHTS {
        portable::gemm_nt(m, n, k, a, b, c)
    } else {
        T::gemm_nt(m, n, k, a, b, c)
    }
}
