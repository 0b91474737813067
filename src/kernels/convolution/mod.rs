//! 2-D convolution of a batch of images, forward and backward.
//!
//! Layout: images `B × CIN × H × W` (PyTorch's NCHW), weights `COUT × CIN ×
//! KH × KW`, bias `COUT`, outputs `B × COUT × HO × WO`; the shape is a
//! [`Window2d`], whose padding is zeros and may reach past the image (a tap
//! that never lands inside it reads zeros). Everything is done one image at
//! a time, so the working set stays in the L2 cache whatever `B`.
//!
//! The algorithms were chosen by measuring SimpleConvNet's first layer (100
//! MNIST digits, 30 filters 5×5, f32, one thread of an AVX-512 CPU):
//!
//! - Forward: the column matrix `col[tap][pixel]` (taps = `CIN·KH·KW`, plus
//!   a row of ones whose weight is the bias), then `y = [w | b]·col` with
//!   [`nn`], which writes the output planes as they are. Its A is the dense
//!   weights, so its zero skipping finds nothing, and the product runs at
//!   the FMA peak (three quarters of the layer's time). The other layout
//!   (col as A, so tiles of 6 pixels skip taps whose pixels are all zero)
//!   needs its result transposed back into channel planes and took over
//!   twice as long; a kernel skipping taps per block of 32 pixels kept 82 %
//!   of them on MNIST digits, too few to beat the dense product.
//! - Weight and bias gradients: only the nonzero entries of `dy` are visited
//!   (85 % are zero after max pooling and a ReLU); each adds its value times
//!   its input window, read row by row from a zero-padded copy of the image,
//!   into accumulators kept in registers (AVX-512). Done as products,
//!   `col·dyᵀ` or `dy·colᵀ`, the transposes made it over twice as slow; a
//!   pixel-major column matrix cost more to build than the product. Without
//!   AVX-512: `dy·colᵀ` per image with [`nt`].
//! - Input gradient (optional; a net's first layer skips it): `dcol = wᵀ·dy`
//!   with [`tn`], then col2im, the adjoint of im2col.
//!
//! A conv → ReLU → max-pool block is fastest run one image at a time (each
//! call with `b = 1`): the convolution's output then never leaves the cache,
//! where layer by layer it and its gradient make several trips through
//! memory. `ConvReluPool` is that block as a layer (the README's Speed
//! section has the figures).
//!
//! [`conv2d_forward_direct`] and [`conv2d_backward_direct`] are the same
//! convolution in plain loops with no buffers: the reference in tests and
//! the path for targets without a heap.

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512;
mod direct;
#[cfg(feature = "alloc")]
mod portable;
#[cfg(test)]
mod random;
#[cfg(test)]
mod tests;

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

pub(crate) use super::Window2d;
#[cfg(feature = "alloc")]
use super::{nn, nt, tn};
#[cfg_attr(feature = "alloc", allow(unused_imports))] // the training path without alloc
pub(crate) use direct::{conv2d_backward_direct, conv2d_forward_direct, conv2d_row_direct};

/// Panics unless the slices hold `b` images of the convolution `g`.
fn check_batch<T>(g: &Window2d, b: usize, x: &[T], weight: &[T], y_len: usize) {
    g.check();
    assert_eq!(x.len(), b * g.in_len(), "conv input length");
    assert_eq!(weight.len(), g.weight_len(), "conv weight length");
    assert_eq!(y_len, b * g.out_len(), "conv output length");
}

/// Buffers for the fast convolution, reused across calls: they grow on the
/// first call for a geometry and are never reallocated afterwards, so
/// steady-state training allocates nothing here. (The matrix products keep
/// buffers of their own, per thread, that behave the same way.)
///
/// One scratch per thread: the calls take it by `&mut`.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, Default)]
#[cfg_attr(not(all(feature = "std", target_arch = "x86_64")), allow(dead_code))] // some for AVX-512 only
pub(crate) struct ConvScratch<T> {
    /// One image's column matrix (`taps + 1` rows of `pixels`), or its
    /// gradient.
    col: Vec<T>,
    /// The weights with the bias as one more column, or one image's weight
    /// gradient on the portable path.
    weights: Vec<T>,
    /// One image inside its zero border, with slack for whole-vector loads.
    padded: Vec<T>,
    /// Positions of the nonzero entries of an output gradient plane.
    indices: Vec<u32>,
    /// Their values.
    values: Vec<T>,
    /// Where each kernel row starts within an input window.
    offsets: Vec<u32>,
    /// Where each output pixel's window starts in the padded image.
    corners: Vec<u32>,
}

/// `v[..n]`, growing `v` first if it is shorter (never shrinking it, so a
/// buffer sized for the largest call is kept).
#[cfg(feature = "alloc")]
fn grown<T: Copy + Default>(v: &mut Vec<T>, n: usize) -> &mut [T] {
    if v.len() < n {
        v.resize(n, T::default());
    }
    &mut v[..n]
}

/// `y = conv(x) + bias` for a batch of `b` images.
///
/// Gives the same result as [`conv2d_forward_direct`] up to rounding (the
/// products sum in a different order).
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
#[cfg(feature = "alloc")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_forward<T: crate::Scalar>(
    geom: &Window2d,
    b: usize,
    x: &[T],
    weight: &[T],
    bias: &[T],
    y: &mut [T],
    scratch: &mut ConvScratch<T>,
) {
    check_batch(geom, b, x, weight, y.len());
    assert_eq!(bias.len(), geom.cout, "conv bias length");
    if b == 0 {
        return;
    }
    let g = *geom;
    let (taps, pixels, cout) = (g.taps(), g.pixels(), g.cout);
    // the bias as one more tap, whose column-matrix row is all ones: the
    // product then writes y whole, with no pass to add the bias
    let wb = grown(&mut scratch.weights, cout * (taps + 1));
    for ((row, filter), &b) in wb.chunks_exact_mut(taps + 1).zip(weight.chunks_exact(taps)).zip(bias) {
        row[..taps].copy_from_slice(filter);
        row[taps] = b;
    }
    let col = grown(&mut scratch.col, (taps + 1) * pixels + 16);
    let padded = grown(&mut scratch.padded, padded_len(&g));
    padded.fill(T::ZERO);
    for (xi, yi) in x.chunks_exact(g.in_len()).zip(y.chunks_exact_mut(g.out_len())) {
        if !fast_im2col(&g, xi, padded, col) {
            portable::im2col(&g, xi, &mut col[..taps * pixels]);
        }
        // after the patches: the fast path's last vector spills into it
        col[taps * pixels..(taps + 1) * pixels].fill(T::ONE);
        nn(cout, taps + 1, pixels, wb, col, yi, false);
    }
}

/// Gradients of a convolution over a batch of `b` images, given the input
/// `x` and the gradient `dy` of the loss with respect to the output.
///
/// `dweight` and `dbias` are overwritten with the batch's gradients (summed
/// over the images, not averaged). `dx`, if given, is overwritten with the
/// input gradient; leave it out for a net's first layer, whose input
/// gradient nothing needs.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
#[cfg(feature = "alloc")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_backward<T: crate::Scalar>(
    geom: &Window2d,
    b: usize,
    x: &[T],
    weight: &[T],
    dy: &[T],
    dweight: &mut [T],
    dbias: &mut [T],
    dx: Option<&mut [T]>,
    scratch: &mut ConvScratch<T>,
) {
    check_batch(geom, b, x, weight, dy.len());
    assert_eq!(dweight.len(), geom.weight_len(), "conv weight gradient length");
    assert_eq!(dbias.len(), geom.cout, "conv bias gradient length");
    let g = *geom;
    let (taps, pixels, cout) = (g.taps(), g.pixels(), g.cout);
    dweight.fill(T::ZERO);
    dbias.fill(T::ZERO);
    if !sparse_weight_gradient(&g, x, dy, dweight, dbias, scratch) {
        let col = grown(&mut scratch.col, taps * pixels);
        let dw = grown(&mut scratch.weights, taps * cout);
        for (xi, dyi) in x.chunks_exact(g.in_len()).zip(dy.chunks_exact(g.out_len())) {
            portable::im2col(&g, xi, col);
            // dw = dy·colᵀ
            nt(cout, pixels, taps, dyi, col, dw);
            dweight.iter_mut().zip(dw.iter()).for_each(|(d, &v)| *d = *d + v);
            for (db, plane) in dbias.iter_mut().zip(dyi.chunks_exact(pixels)) {
                *db = *db + portable::sum(plane);
            }
        }
    }
    if let Some(dx) = dx {
        assert_eq!(dx.len(), b * g.in_len(), "conv input gradient length");
        dx.fill(T::ZERO);
        let col = grown(&mut scratch.col, taps * pixels);
        for (dyi, dxi) in dy.chunks_exact(g.out_len()).zip(dx.chunks_exact_mut(g.in_len())) {
            // dcol[tap][pixel] = wᵀ·dy
            tn(cout, taps, pixels, weight, dyi, col);
            portable::col2im(&g, col, dxi);
        }
    }
}

/// Values in the zero-padded copy of one image, with slack after it for
/// whole-vector loads.
#[cfg(feature = "alloc")]
fn padded_len(g: &Window2d) -> usize {
    g.cin * g.hp() * g.wp() + 16
}

/// Copies one image into `padded` inside its zero border (the border and
/// slack must already be zero, and stay so).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
fn pad_image<T: crate::Scalar>(g: &Window2d, x: &[T], padded: &mut [T]) {
    let (hp, wp, left) = (g.hp(), g.wp(), g.pad.left);
    for (pc, xc) in padded.chunks_exact_mut(hp * wp).zip(x.chunks_exact(g.h * g.w)) {
        for (prow, xrow) in pc[g.pad.top * wp..].chunks_exact_mut(wp).zip(xc.chunks_exact(g.w)) {
            prow[left..left + g.w].copy_from_slice(xrow);
        }
    }
}

/// The column matrix on the AVX-512 path, through a zero-padded copy of the
/// image (`col` with 16 values of slack); `false` if that path does not
/// apply.
#[cfg(feature = "alloc")]
fn fast_im2col<T: crate::Scalar>(g: &Window2d, x: &[T], padded: &mut [T], col: &mut [T]) -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if g.sw == 1 && super::avx512_available() {
        use super::{per_type, retype, retype_mut};
        pad_image(g, x, padded);
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        per_type!(T, super::convolution::avx512, |kern| unsafe {
            kern::im2col_image(g, retype(padded), retype_mut(col))
        });
        return true;
    }
    let _ = (g, x, padded, col);
    false
}

/// The weight and bias gradients (added to `dweight`, `dbias`) on the
/// AVX-512 path: per image, one pass over the nonzero entries of `dy`.
/// `false` if that path does not apply.
#[cfg(feature = "alloc")]
fn sparse_weight_gradient<T: crate::Scalar>(
    g: &Window2d,
    x: &[T],
    dy: &[T],
    dweight: &mut [T],
    dbias: &mut [T],
    scratch: &mut ConvScratch<T>,
) -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        use super::{per_type, retype, retype_mut};
        // A skipped zero of dy adds 0·x, exactly zero only while x is
        // finite: an infinite or NaN input takes the dense products, which
        // give the NaN IEEE arithmetic does, as the portable path would.
        if !super::avx512_available() || !super::finite(x) {
            return false;
        }
        // the image with its zero border and some slack after it, so every
        // kernel row is one whole-vector load
        let padded = grown(&mut scratch.padded, padded_len(g));
        padded.fill(T::ZERO);
        let list = grown(&mut scratch.indices, g.pixels() + 16);
        let vals = grown(&mut scratch.values, g.pixels() + 16);
        let offs = grown(&mut scratch.offsets, g.cin * g.kh * g.kw.div_ceil(8));
        // each output pixel's window corner in the padded image
        let wp = g.wp();
        let corners = grown(&mut scratch.corners, g.pixels().next_multiple_of(16));
        for (oh, row) in corners.chunks_mut(g.wo()).take(g.ho()).enumerate() {
            for (ow, c) in row.iter_mut().enumerate() {
                *c = (oh * g.sh * wp + ow * g.sw) as u32;
            }
        }
        for (xi, dyi) in x.chunks_exact(g.in_len()).zip(dy.chunks_exact(g.out_len())) {
            pad_image(g, xi, padded);
            // SAFETY: the CPU has AVX-512F and POPCNT, the function's
            // features.
            per_type!(T, super::convolution::avx512, |kern| unsafe {
                let (dw, db, vals) = (retype_mut(dweight), retype_mut(dbias), retype_mut(vals));
                kern::dweight_image(g, retype(padded), retype(dyi), dw, db, corners, list, vals, offs)
            });
        }
        true
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    {
        let _ = (g, x, dy, dweight, dbias, scratch);
        false
    }
}
