//! 2-D max and average pooling of a batch of images, forward and backward.
//!
//! Layout: `B × C × H × W` in, `B × C × HO × WO` out; the shape is a
//! [`Window2d`] with `cout == cin`. A last partial window is dropped, as in
//! PyTorch and the book. Padding is no value at all: a window's maximum is
//! taken over its pixels inside the image (TFLite's and PyTorch's rule), so
//! the padding on each side must be smaller than the window there, or a
//! window would hold no pixel.
//!
//! Which input a window's maximum is, and so where its gradient goes:
//! - ties go to the first maximum in the window's row-major order;
//! - NaN propagates: the first NaN in a window is its maximum (output NaN),
//!   and the gradient goes to it.
//!
//! The argmax of an output is the index of the chosen input within its own
//! `H × W` plane (image and channel), `ih·W + iw`, as PyTorch's
//! `max_pool2d(return_indices=True)` gives it.
//!
//! The book's 2×2 stride-2 window without padding has AVX-512 kernels;
//! other windows, and CPUs without AVX-512, take the portable loops.

mod average;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512;
mod portable;
#[cfg(test)]
mod tests;

pub(crate) use super::Window2d;
pub(crate) use average::{avg_pool2d_backward, avg_pool2d_forward};

/// Panics unless `g` is a pooling with at least one output, every window
/// holds a pixel of the image, and plane indices fit the `u32` argmax.
fn check(g: &Window2d) {
    g.check();
    assert_eq!(g.cin, g.cout, "a pooling keeps its channels: {g:?}");
    let p = g.pad;
    assert!(
        p.top < g.kh && p.bottom < g.kh && p.left < g.kw && p.right < g.kw,
        "max pool padding as large as the window leaves windows with no pixel: {g:?}"
    );
    assert!(
        u32::try_from(g.h * g.w).is_ok(),
        "max pool plane too large for u32 indices"
    );
}

/// `true` for the book's pooling, the one with AVX-512 kernels: 2×2 windows
/// side by side, no padding.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
fn is_book(g: &Window2d) -> bool {
    (g.kh, g.kw, g.sh, g.sw) == (2, 2, 2, 2) && g.pad == super::Padding::ZERO
}

/// `y` = the maximum of every window of `x`, for `b` images; `argmax`, if
/// given, receives each output's input index within its `H × W` plane
/// (what [`max_pool2d_backward`] needs). Leave it out for inference.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
pub(crate) fn max_pool2d_forward<T: crate::Scalar>(
    geom: &Window2d,
    b: usize,
    x: &[T],
    y: &mut [T],
    argmax: Option<&mut [u32]>,
) {
    let g = *geom;
    check(&g);
    assert_eq!(x.len(), b * g.in_len(), "max pool input length");
    assert_eq!(y.len(), b * g.out_len(), "max pool output length");
    if let Some(argmax) = argmax.as_deref() {
        assert_eq!(argmax.len(), y.len(), "max pool argmax length");
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if is_book(&g) && super::avx512_available() {
        use super::{per_type, retype, retype_mut};
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        per_type!(T, super::pooling::avx512, |kern| unsafe {
            kern::forward(g.h, g.w, retype(x), retype_mut(y), argmax)
        });
        return;
    }
    let (hw, out) = (g.h * g.w, g.pixels());
    match argmax {
        Some(argmax) => {
            for ((xp, yp), ap) in x
                .chunks_exact(hw)
                .zip(y.chunks_exact_mut(out))
                .zip(argmax.chunks_exact_mut(out))
            {
                portable::plane::<T, true>(&g, xp, yp, ap);
            }
        }
        None => {
            for (xp, yp) in x.chunks_exact(hw).zip(y.chunks_exact_mut(out)) {
                portable::plane::<T, false>(&g, xp, yp, &mut []);
            }
        }
    }
}

/// `dx` = the gradient of max pooling: zero everywhere except at each
/// window's maximum (`argmax`, from [`max_pool2d_forward`] with the same
/// geometry), which receives that window's `dy`, summed where overlapping
/// windows share a maximum.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`, or an argmax is
/// outside its plane (with AVX-512 and a 2×2 stride-2 window: outside its
/// window).
pub(crate) fn max_pool2d_backward<T: crate::Scalar>(geom: &Window2d, b: usize, argmax: &[u32], dy: &[T], dx: &mut [T]) {
    let g = *geom;
    check(&g);
    assert_eq!(dx.len(), b * g.in_len(), "max pool input gradient length");
    assert_eq!(dy.len(), b * g.out_len(), "max pool output gradient length");
    assert_eq!(argmax.len(), dy.len(), "max pool argmax length");
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if is_book(&g) && super::avx512_available() {
        use super::{per_type, retype, retype_mut};
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        per_type!(T, super::pooling::avx512, |kern| unsafe {
            kern::backward(g.h, g.w, argmax, retype(dy), retype_mut(dx))
        });
        return;
    }
    portable::backward(&g, argmax, dy, dx);
}
