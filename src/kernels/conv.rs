#![cfg_attr(not(test), allow(dead_code))]
//! 2-D convolution of a batch of images, forward and backward.
//!
//! Layout: images `B × C × H × W` (channel, row, column; PyTorch's NCHW),
//! weights `COUT × CIN × K × K`, bias `COUT`, outputs `B × COUT × HO × WO`
//! with `HO = (H + 2P − K) / S + 1`. Padding is zeros. Everything is done one
//! image at a time, so the working set stays in the L2 cache whatever `B`.
//!
//! The algorithms were chosen by measuring SimpleConvNet's first layer (100
//! MNIST digits, 30 filters 5×5, f32, one thread of an AVX-512 AMD Zen 5;
//! times per batch, medians):
//!
//! - Forward: the column matrix `col[tap][pixel]` (taps = `CIN·K·K`, plus a
//!   row of ones whose weight is the bias), then `y = [w | b]·col` with
//!   [`nn`], which writes the output planes as they are. Its A is the dense
//!   weights, so its zero skipping finds nothing, and the product runs at
//!   the FMA peak (0.45 ms of 0.6). The other layout (col as A, so tiles of
//!   6 pixels skip taps whose pixels are all zero) needs its result
//!   transposed back into channel planes and took 1.35 ms; a dedicated
//!   kernel skipping taps per block of 32 pixels kept 82 % of them on MNIST
//!   digits, too few to beat the dense product.
//! - Weight and bias gradients: only the nonzero entries of `dy` are visited
//!   (85 % are zero after max pooling and a ReLU); each adds its value times
//!   its input window, read row by row from a zero-padded copy of the image,
//!   into accumulators kept in registers: 0.51 ms on AVX-512. Done as
//!   products, `col·dyᵀ` or `dy·colᵀ`, the transposes made it 1.2 ms; a
//!   pixel-major column matrix cost more to build than the product. Without
//!   AVX-512: `dy·colᵀ` per image with [`nt`](super::nt).
//! - Input gradient (optional; a net's first layer skips it): `dcol = wᵀ·dy`
//!   with [`tn`], then col2im, the adjoint of im2col.
//!
//! A conv → ReLU → max-pool block is fastest run one image at a time (each
//! call with `b = 1`): the convolution's output, 69 KB per image in f32,
//! then never leaves the cache, where layer by layer it (6.9 MB per batch)
//! and its gradient make several trips through memory. SimpleConvNet's whole
//! training step measured 3.5–3.7 ms that way against 4.4–5.0 ms layer by
//! layer (f32; f64 6.6–7.4 against 11–14 ms), in a hand-wired timing
//! harness. `ConvReluPool` is that block as a layer; `Conv2d`, `Relu` and
//! `MaxPool2d` chained run layer by layer (`cargo bench --bench speed`
//! measures both).
//!
//! [`conv2d_forward_direct`] is the same convolution in plain loops with no
//! buffers: the reference in tests and the path for targets without a heap.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

#[cfg(feature = "alloc")]
use super::{nn, tn};

/// The shape of a 2-D convolution: input channels and image size, output
/// channels, a square `k × k` kernel, one stride and one zero padding for
/// both directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Conv2dGeometry {
    /// Input channels.
    pub(crate) cin: usize,
    /// Input rows.
    pub(crate) h: usize,
    /// Input columns.
    pub(crate) w: usize,
    /// Output channels (filters).
    pub(crate) cout: usize,
    /// Kernel side.
    pub(crate) k: usize,
    /// Step between neighbouring outputs, in input pixels.
    pub(crate) stride: usize,
    /// Zeros added on every side of the input.
    pub(crate) pad: usize,
}

impl Conv2dGeometry {
    /// Output rows: `(H + 2P − K) / S + 1`.
    pub(crate) const fn ho(&self) -> usize {
        (self.h + 2 * self.pad - self.k) / self.stride + 1
    }

    /// Output columns: `(W + 2P − K) / S + 1`.
    pub(crate) const fn wo(&self) -> usize {
        (self.w + 2 * self.pad - self.k) / self.stride + 1
    }

    /// Values per input image: `CIN·H·W`.
    pub(crate) const fn in_len(&self) -> usize {
        self.cin * self.h * self.w
    }

    /// Values per output image: `COUT·HO·WO`.
    pub(crate) const fn out_len(&self) -> usize {
        self.cout * self.ho() * self.wo()
    }

    /// Weights of one filter, the rows of the column matrix: `CIN·K·K`.
    pub(crate) const fn taps(&self) -> usize {
        self.cin * self.k * self.k
    }

    /// Output pixels per channel: `HO·WO`.
    pub(crate) const fn pixels(&self) -> usize {
        self.ho() * self.wo()
    }

    /// Number of weights: `COUT·CIN·K·K`.
    pub(crate) const fn weight_len(&self) -> usize {
        self.cout * self.taps()
    }

    /// Panics unless the geometry describes a convolution with at least one
    /// output: a zero kernel or stride, or a kernel larger than the padded
    /// image, is a caller's bug and would otherwise underflow.
    fn check(&self) {
        assert!(
            self.cin > 0 && self.cout > 0 && self.h > 0 && self.w > 0,
            "conv with no channels or no pixels: {self:?}"
        );
        assert!(
            self.k > 0 && self.stride > 0,
            "conv kernel and stride must be positive: {self:?}"
        );
        assert!(
            self.h + 2 * self.pad >= self.k && self.w + 2 * self.pad >= self.k,
            "conv kernel larger than the padded image: {self:?}"
        );
    }

    /// Panics unless the slices hold `b` images of this geometry.
    fn check_batch<T>(&self, b: usize, x: &[T], weight: &[T], y_len: usize) {
        self.check();
        assert_eq!(x.len(), b * self.in_len(), "conv input length");
        assert_eq!(weight.len(), self.weight_len(), "conv weight length");
        assert_eq!(y_len, b * self.out_len(), "conv output length");
    }
}

/// The outputs `lo..hi` (of `out`) whose input index `o·s + d − p` lies in
/// `0..n`: the part of a row or column that a kernel offset `d` sees inside
/// the image rather than in the padding.
#[inline]
fn inside(out: usize, n: usize, s: usize, d: usize, p: usize) -> (usize, usize) {
    let lo = if p > d { (p - d).div_ceil(s) } else { 0 };
    let hi = if n + p > d {
        ((n + p - d - 1) / s + 1).min(out)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// `y = conv(x) + bias` in plain loops, with no buffers and no heap.
///
/// The reference the fast path is tested against, and the inference path on
/// microcontrollers; each output is one sum, so it is also the most accurate
/// order for f32.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
pub(crate) fn conv2d_forward_direct<T: crate::Scalar>(
    geom: &Conv2dGeometry,
    b: usize,
    x: &[T],
    weight: &[T],
    bias: &[T],
    y: &mut [T],
) {
    geom.check_batch(b, x, weight, y.len());
    assert_eq!(bias.len(), geom.cout, "conv bias length");
    let g = *geom;
    let (ho, wo, kk) = (g.ho(), g.wo(), g.k * g.k);
    if b == 0 {
        return;
    }
    for (xi, yi) in x.chunks_exact(g.in_len()).zip(y.chunks_exact_mut(g.out_len())) {
        for ((plane, filter), &bias) in yi
            .chunks_exact_mut(ho * wo)
            .zip(weight.chunks_exact(g.taps()))
            .zip(bias)
        {
            for (oh, out_row) in plane.chunks_exact_mut(wo).enumerate() {
                // kernel rows that land inside the image for this output row
                let kh_lo = g.pad.saturating_sub(oh * g.stride);
                let kh_hi = g.k.min((g.h + g.pad).saturating_sub(oh * g.stride));
                for (ow, out) in out_row.iter_mut().enumerate() {
                    let kw_lo = g.pad.saturating_sub(ow * g.stride);
                    let kw_hi = g.k.min((g.w + g.pad).saturating_sub(ow * g.stride));
                    let mut acc = bias;
                    for (xc, fc) in xi.chunks_exact(g.h * g.w).zip(filter.chunks_exact(kk)) {
                        for kh in kh_lo..kh_hi {
                            let ih = oh * g.stride + kh - g.pad;
                            let xrow = &xc[ih * g.w..(ih + 1) * g.w];
                            let frow = &fc[kh * g.k..(kh + 1) * g.k];
                            for kw in kw_lo..kw_hi {
                                acc = acc + frow[kw] * xrow[ow * g.stride + kw - g.pad];
                            }
                        }
                    }
                    *out = acc;
                }
            }
        }
    }
}

/// Buffers for the fast convolution, reused across calls: they grow on the
/// first call for a geometry and are never reallocated afterwards, so
/// steady-state training allocates nothing here. (The matrix products keep
/// buffers of their own, per thread, that behave the same way.)
///
/// One scratch per thread: the calls take it by `&mut`.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, Default)]
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

/// Writes one image's column matrix: `col[(ci·K + kh)·K + kw][oh·WO + ow] =
/// x[ci][oh·S + kh − P][ow·S + kw − P]`, zero where that falls in the padding.
///
/// Each row of `col` is the image shifted by one kernel offset, so it is
/// written as runs copied from image rows.
#[cfg(feature = "alloc")]
fn im2col<T: crate::Scalar>(g: &Conv2dGeometry, x: &[T], col: &mut [T]) {
    let (ho, wo) = (g.ho(), g.wo());
    let mut rows = col.chunks_exact_mut(ho * wo);
    for xc in x.chunks_exact(g.h * g.w) {
        for kh in 0..g.k {
            let (oh_lo, oh_hi) = inside(ho, g.h, g.stride, kh, g.pad);
            for kw in 0..g.k {
                let (ow_lo, ow_hi) = inside(wo, g.w, g.stride, kw, g.pad);
                let row = rows.next().expect("col has taps × pixels values");
                row[..oh_lo * wo].fill(T::ZERO);
                row[oh_hi * wo..].fill(T::ZERO);
                for oh in oh_lo..oh_hi {
                    let out = &mut row[oh * wo..(oh + 1) * wo];
                    out[..ow_lo].fill(T::ZERO);
                    out[ow_hi..].fill(T::ZERO);
                    let ih = oh * g.stride + kh - g.pad;
                    let src = &xc[ih * g.w + ow_lo * g.stride + kw - g.pad..(ih + 1) * g.w];
                    let out = &mut out[ow_lo..ow_hi];
                    if g.stride == 1 {
                        out.copy_from_slice(&src[..out.len()]);
                    } else {
                        out.iter_mut()
                            .zip(src.iter().step_by(g.stride))
                            .for_each(|(o, &v)| *o = v);
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds every entry of `col` to the input pixel
/// it was copied from (padding entries are dropped). `dx` must be zeroed by
/// the caller; overlapping windows accumulate.
#[cfg(feature = "alloc")]
fn col2im<T: crate::Scalar>(g: &Conv2dGeometry, col: &[T], dx: &mut [T]) {
    let (ho, wo) = (g.ho(), g.wo());
    let mut rows = col.chunks_exact(ho * wo);
    for dxc in dx.chunks_exact_mut(g.h * g.w) {
        for kh in 0..g.k {
            let (oh_lo, oh_hi) = inside(ho, g.h, g.stride, kh, g.pad);
            for kw in 0..g.k {
                let (ow_lo, ow_hi) = inside(wo, g.w, g.stride, kw, g.pad);
                let row = rows.next().expect("col has taps × pixels values");
                for oh in oh_lo..oh_hi {
                    let ih = oh * g.stride + kh - g.pad;
                    let dst = &mut dxc[ih * g.w + ow_lo * g.stride + kw - g.pad..(ih + 1) * g.w];
                    let src = &row[oh * wo + ow_lo..oh * wo + ow_hi];
                    if g.stride == 1 {
                        dst.iter_mut().zip(src).for_each(|(d, &v)| *d = *d + v);
                    } else {
                        dst.iter_mut()
                            .step_by(g.stride)
                            .zip(src)
                            .for_each(|(d, &v)| *d = *d + v);
                    }
                }
            }
        }
    }
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
    geom: &Conv2dGeometry,
    b: usize,
    x: &[T],
    weight: &[T],
    bias: &[T],
    y: &mut [T],
    scratch: &mut ConvScratch<T>,
) {
    geom.check_batch(b, x, weight, y.len());
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
            im2col(&g, xi, &mut col[..taps * pixels]);
        }
        // after the patches: the fast path's last vector spills into it
        col[taps * pixels..(taps + 1) * pixels].fill(T::ONE);
        nn(cout, taps + 1, pixels, wb, col, yi, false);
    }
}

/// Values in the zero-padded copy of one image, with slack after it for
/// whole-vector loads.
#[cfg(feature = "alloc")]
fn padded_len(g: &Conv2dGeometry) -> usize {
    g.cin * (g.h + 2 * g.pad) * (g.w + 2 * g.pad) + 16
}

/// Copies one image into `padded` inside its zero border (the border and
/// slack must already be zero, and stay so).
#[cfg(feature = "alloc")]
fn pad_image<T: crate::Scalar>(g: &Conv2dGeometry, x: &[T], padded: &mut [T]) {
    let (hp, wp) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
    for (pc, xc) in padded.chunks_exact_mut(hp * wp).zip(x.chunks_exact(g.h * g.w)) {
        for (prow, xrow) in pc[g.pad * wp..].chunks_exact_mut(wp).zip(xc.chunks_exact(g.w)) {
            prow[g.pad..g.pad + g.w].copy_from_slice(xrow);
        }
    }
}

/// [`im2col`] on the AVX-512 path, through a zero-padded copy of the image
/// (`col` with 16 values of slack); `false` if that path does not apply.
#[cfg(feature = "alloc")]
fn fast_im2col<T: crate::Scalar>(g: &Conv2dGeometry, x: &[T], padded: &mut [T], col: &mut [T]) -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if g.stride == 1 && super::conv_avx512::available() {
        pad_image(g, x, padded);
        return super::conv_avx512::im2col_image(g, padded, col);
    }
    let _ = (g, x, padded, col);
    false
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
    geom: &Conv2dGeometry,
    b: usize,
    x: &[T],
    weight: &[T],
    dy: &[T],
    dweight: &mut [T],
    dbias: &mut [T],
    dx: Option<&mut [T]>,
    scratch: &mut ConvScratch<T>,
) {
    geom.check_batch(b, x, weight, dy.len());
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
            im2col(&g, xi, col);
            // dw = dy·colᵀ
            super::nt(cout, pixels, taps, dyi, col, dw);
            dweight.iter_mut().zip(dw.iter()).for_each(|(d, &v)| *d = *d + v);
            for (db, plane) in dbias.iter_mut().zip(dyi.chunks_exact(pixels)) {
                *db = *db + sum(plane);
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
            col2im(&g, col, dxi);
        }
    }
}

/// The weight and bias gradients (added to `dweight`, `dbias`) on the
/// AVX-512 path: per image, the pixel-major column matrix, then one pass
/// over the nonzero entries of `dy`. `false` if the CPU lacks AVX-512.
#[cfg(feature = "alloc")]
fn sparse_weight_gradient<T: crate::Scalar>(
    g: &Conv2dGeometry,
    x: &[T],
    dy: &[T],
    dweight: &mut [T],
    dbias: &mut [T],
    scratch: &mut ConvScratch<T>,
) -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        // A skipped zero of dy adds 0·x, exactly zero only while x is
        // finite: an infinite or NaN input takes the dense products, which
        // give the NaN IEEE arithmetic does, as the portable path would.
        if !super::conv_avx512::available() || !T::all_finite(x) {
            return false;
        }
        // the image with its zero border and some slack after it, so every
        // kernel row is one whole-vector load
        let padded = grown(&mut scratch.padded, padded_len(g));
        padded.fill(T::ZERO);
        let list = grown(&mut scratch.indices, g.pixels() + 16);
        let vals = grown(&mut scratch.values, g.pixels() + 16);
        let offs = grown(&mut scratch.offsets, g.cin * g.k * g.k.div_ceil(8));
        // each output pixel's window corner in the padded image
        let wp = g.w + 2 * g.pad;
        let corners = grown(&mut scratch.corners, g.pixels().next_multiple_of(16));
        for (oh, row) in corners.chunks_mut(g.wo()).take(g.ho()).enumerate() {
            for (ow, c) in row.iter_mut().enumerate() {
                *c = ((oh * wp + ow) * g.stride) as u32;
            }
        }
        for (xi, dyi) in x.chunks_exact(g.in_len()).zip(dy.chunks_exact(g.out_len())) {
            pad_image(g, xi, padded);
            let done = super::conv_avx512::dweight_image(g, padded, dyi, dweight, dbias, corners, list, vals, offs);
            assert!(done, "AVX-512 kernels are available");
        }
        true
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    {
        let _ = (g, x, dy, dweight, dbias, scratch);
        false
    }
}

/// The sum of `v` in 16 interleaved partial sums: a single running sum is
/// a chain of dependent additions that runs at one add per latency (4
/// cycles) and cannot vectorise.
#[cfg(feature = "alloc")]
fn sum<T: crate::Scalar>(v: &[T]) -> T {
    let mut part = [T::ZERO; 16];
    let chunks = v.chunks_exact(16);
    let tail = chunks.remainder().iter().fold(T::ZERO, |s, &x| s + x);
    for c in chunks {
        part.iter_mut().zip(c).for_each(|(p, &x)| *p = *p + x);
    }
    part.iter().fold(tail, |s, &p| s + p)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::vec::Vec;

    /// Runs `check` on every path this machine has: the AVX-512 kernels (if
    /// the CPU has them) and the portable loops, which other CPUs take.
    pub(crate) fn on_each_path(mut check: impl FnMut(&str)) {
        check("default path");
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            use crate::kernels::conv_avx512::tests::PORTABLE;
            PORTABLE.with(|p| p.set(true));
            check("portable path");
            PORTABLE.with(|p| p.set(false));
        }
    }

    /// Deterministic values in [-1, 1), a fraction `zeros` of them exactly 0.
    pub(crate) fn values<T: crate::Scalar>(n: usize, seed: u64, zeros: f64) -> Vec<T> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                if u < zeros {
                    T::ZERO
                } else {
                    T::of(((state >> 3) % 2000) as f64 / 1000.0 - 1.0)
                }
            })
            .collect()
    }

    const fn geom(cin: usize, h: usize, w: usize, cout: usize, k: usize, stride: usize, pad: usize) -> Conv2dGeometry {
        Conv2dGeometry {
            cin,
            h,
            w,
            cout,
            k,
            stride,
            pad,
        }
    }

    /// Strides 1, 2, 3; paddings 0, 1, 2, 3; kernels 1, 3, 5, 7, 9 (wider
    /// than the 8-lane kernel rows of the fast path); square and not;
    /// output channels that are not multiples of 16; an input wider than a
    /// vector; enough input channels to need several passes of the fast
    /// weight-gradient kernel; a kernel larger than the unpadded image.
    const GEOMETRIES: [Conv2dGeometry; 14] = [
        geom(1, 28, 28, 30, 5, 1, 0),
        geom(2, 7, 9, 3, 3, 1, 1),
        geom(3, 8, 6, 17, 3, 2, 1),
        geom(2, 9, 11, 5, 5, 3, 2),
        geom(1, 5, 5, 4, 1, 1, 0),
        geom(4, 10, 7, 33, 3, 1, 2),
        geom(3, 6, 13, 7, 5, 2, 0),
        geom(1, 3, 4, 2, 3, 1, 0),
        geom(2, 4, 4, 3, 5, 1, 2),
        geom(2, 12, 10, 3, 9, 1, 1),
        geom(1, 20, 17, 20, 7, 3, 3),
        geom(16, 6, 6, 8, 3, 1, 1),
        geom(2, 19, 37, 3, 3, 1, 1),
        geom(3, 5, 8, 2, 2, 2, 0),
    ];

    /// The input pixel a kernel tap sees, if it is not padding.
    fn source(g: &Conv2dGeometry, o: usize, kk: usize, n: usize) -> Option<usize> {
        (o * g.stride + kk).checked_sub(g.pad).filter(|&i| i < n)
    }

    /// The convolution from its definition, in f64, with `Σ|term|` beside
    /// each output (the scale of its rounding error).
    fn reference_forward<T: crate::Scalar>(
        g: &Conv2dGeometry,
        b: usize,
        x: &[T],
        w: &[T],
        bias: &[T],
    ) -> (Vec<f64>, Vec<f64>) {
        let (ho, wo, k) = (g.ho(), g.wo(), g.k);
        let mut y = vec![0.0; b * g.out_len()];
        let mut scale = vec![0.0; b * g.out_len()];
        for n in 0..b {
            for co in 0..g.cout {
                for oh in 0..ho {
                    for ow in 0..wo {
                        let at = ((n * g.cout + co) * ho + oh) * wo + ow;
                        y[at] = bias[co].as_f64();
                        scale[at] = bias[co].as_f64().abs();
                        for ci in 0..g.cin {
                            for kh in 0..k {
                                for kw in 0..k {
                                    if let (Some(ih), Some(iw)) = (source(g, oh, kh, g.h), source(g, ow, kw, g.w)) {
                                        let t = w[((co * g.cin + ci) * k + kh) * k + kw].as_f64()
                                            * x[((n * g.cin + ci) * g.h + ih) * g.w + iw].as_f64();
                                        y[at] += t;
                                        scale[at] += t.abs();
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (y, scale)
    }

    /// The gradients from their definition, in f64: (dw, db, dx), and the
    /// `Σ|term|` of each.
    #[allow(clippy::type_complexity)]
    fn reference_backward<T: crate::Scalar>(
        g: &Conv2dGeometry,
        b: usize,
        x: &[T],
        w: &[T],
        dy: &[T],
    ) -> [(Vec<f64>, Vec<f64>); 3] {
        let (ho, wo, k) = (g.ho(), g.wo(), g.k);
        let mut dw = (vec![0.0; g.weight_len()], vec![0.0; g.weight_len()]);
        let mut db = (vec![0.0; g.cout], vec![0.0; g.cout]);
        let mut dx = (vec![0.0; b * g.in_len()], vec![0.0; b * g.in_len()]);
        for n in 0..b {
            for co in 0..g.cout {
                for oh in 0..ho {
                    for ow in 0..wo {
                        let d = dy[((n * g.cout + co) * ho + oh) * wo + ow].as_f64();
                        db.0[co] += d;
                        db.1[co] += d.abs();
                        for ci in 0..g.cin {
                            for kh in 0..k {
                                for kw in 0..k {
                                    if let (Some(ih), Some(iw)) = (source(g, oh, kh, g.h), source(g, ow, kw, g.w)) {
                                        let wi = ((co * g.cin + ci) * k + kh) * k + kw;
                                        let xi = ((n * g.cin + ci) * g.h + ih) * g.w + iw;
                                        dw.0[wi] += d * x[xi].as_f64();
                                        dw.1[wi] += (d * x[xi].as_f64()).abs();
                                        dx.0[xi] += d * w[wi].as_f64();
                                        dx.1[xi] += (d * w[wi].as_f64()).abs();
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        [dw, db, dx]
    }

    /// `got` equals `want` up to rounding: a sum of `terms` products can be
    /// off by about `terms · ε · Σ|term|` whatever the order it is summed in.
    pub(crate) fn assert_close<T: crate::Scalar>(what: &str, got: &[T], want: &[f64], scale: &[f64], terms: usize) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        let eps = if size_of::<T>() == 4 {
            f32::EPSILON as f64
        } else {
            f64::EPSILON
        };
        for (i, ((g, w), s)) in got.iter().zip(want).zip(scale).enumerate() {
            let tol = 2.0 * terms as f64 * eps * s + f64::MIN_POSITIVE;
            assert!(
                (g.as_f64() - w).abs() <= tol,
                "{what}: element {i} is {g}, want {w} (tolerance {tol:e})"
            );
        }
    }

    fn forward_matches_reference<T: crate::Scalar>() {
        on_each_path(|path| {
            let mut scratch = ConvScratch::<T>::default();
            for (gi, g) in GEOMETRIES.iter().enumerate() {
                for b in [1, 7] {
                    for zeros in [0.0, 0.8] {
                        let what = format!(
                            "{path}, {} {g:?}, batch {b}, {zeros} zeros",
                            core::any::type_name::<T>()
                        );
                        let seed = (gi * 10 + b) as u64;
                        let x = values::<T>(b * g.in_len(), seed, zeros);
                        let w = values::<T>(g.weight_len(), seed + 1, 0.0);
                        let bias = values::<T>(g.cout, seed + 2, 0.0);
                        let (want, scale) = reference_forward(g, b, &x, &w, &bias);
                        let terms = g.taps() + 1;
                        // filled with garbage first: every output must be written
                        let mut y = vec![T::of(7.5); b * g.out_len()];
                        conv2d_forward(g, b, &x, &w, &bias, &mut y, &mut scratch);
                        assert_close(&format!("forward, {what}"), &y, &want, &scale, terms);
                        let mut y = vec![T::of(7.5); b * g.out_len()];
                        conv2d_forward_direct(g, b, &x, &w, &bias, &mut y);
                        assert_close(&format!("direct forward, {what}"), &y, &want, &scale, terms);
                    }
                }
            }
        });
    }

    #[test]
    fn forward_matches_reference_f32() {
        forward_matches_reference::<f32>();
    }

    #[test]
    fn forward_matches_reference_f64() {
        forward_matches_reference::<f64>();
    }

    fn backward_matches_reference<T: crate::Scalar>() {
        on_each_path(|path| {
            let mut scratch = ConvScratch::<T>::default();
            for (gi, g) in GEOMETRIES.iter().enumerate() {
                for b in [1, 7] {
                    // an output gradient after pooling and a ReLU is mostly
                    // zeros; after other layers, dense
                    for zeros in [0.0, 0.85] {
                        let what = format!(
                            "{path}, {} {g:?}, batch {b}, {zeros} zeros in dy",
                            core::any::type_name::<T>()
                        );
                        let seed = (gi * 10 + b) as u64 + 1000;
                        let x = values::<T>(b * g.in_len(), seed, 0.6);
                        let w = values::<T>(g.weight_len(), seed + 1, 0.0);
                        let dy = values::<T>(b * g.out_len(), seed + 2, zeros);
                        let [(dw_want, dw_scale), (db_want, db_scale), (dx_want, dx_scale)] =
                            reference_backward(g, b, &x, &w, &dy);
                        let mut dw = vec![T::of(7.5); g.weight_len()];
                        let mut db = vec![T::of(7.5); g.cout];
                        let mut dx = vec![T::of(7.5); b * g.in_len()];
                        conv2d_backward(g, b, &x, &w, &dy, &mut dw, &mut db, Some(&mut dx), &mut scratch);
                        let pixels_summed = b * g.pixels();
                        assert_close(&format!("dweight, {what}"), &dw, &dw_want, &dw_scale, pixels_summed);
                        assert_close(&format!("dbias, {what}"), &db, &db_want, &db_scale, pixels_summed);
                        assert_close(&format!("dx, {what}"), &dx, &dx_want, &dx_scale, g.cout * g.k * g.k);
                        // without dx: the same weight gradients
                        let mut dw = vec![T::of(-3.0); g.weight_len()];
                        let mut db = vec![T::of(-3.0); g.cout];
                        conv2d_backward(g, b, &x, &w, &dy, &mut dw, &mut db, None, &mut scratch);
                        assert_close(
                            &format!("dweight without dx, {what}"),
                            &dw,
                            &dw_want,
                            &dw_scale,
                            pixels_summed,
                        );
                        assert_close(
                            &format!("dbias without dx, {what}"),
                            &db,
                            &db_want,
                            &db_scale,
                            pixels_summed,
                        );
                    }
                }
            }
        });
    }

    /// A zero of dy against an infinite input is 0·∞ = NaN in dW on both
    /// paths: the AVX-512 path, which skips dy's zeros, must not skip it.
    #[test]
    fn an_infinite_input_makes_the_weight_gradient_nan_on_every_path() {
        let g = geom(1, 8, 8, 2, 3, 1, 0);
        let mut x = values::<f32>(g.in_len(), 5, 0.3);
        x[9] = f32::NEG_INFINITY; // row 1, column 1
        let w = values::<f32>(g.weight_len(), 6, 0.0);
        let mut dy = values::<f32>(g.out_len(), 7, 0.0);
        // filter 0's outputs whose windows hold the infinity under taps
        // (0..2, 0..2) are all zero: those taps' sums are 0·∞ plus finite
        for p in [0, 1, g.wo(), g.wo() + 1] {
            dy[p] = 0.0;
        }
        on_each_path(|what| {
            let mut scratch = ConvScratch::<f32>::default();
            let (mut dw, mut db) = (vec![0.0; g.weight_len()], vec![0.0; g.cout]);
            conv2d_backward(&g, 1, &x, &w, &dy, &mut dw, &mut db, None, &mut scratch);
            for tap in [0, 1, 3, 4] {
                assert!(dw[tap].is_nan(), "{what}: filter 0, tap {tap}: {}", dw[tap]);
            }
        });
    }

    #[test]
    fn backward_matches_reference_f32() {
        backward_matches_reference::<f32>();
    }

    #[test]
    fn backward_matches_reference_f64() {
        backward_matches_reference::<f64>();
    }

    /// `max |numerical − analytic|` relative to `max |numerical|`: a wrong
    /// gradient, including an all-zero one, scores about 1 or more.
    fn relative_error(numerical: &[f64], analytic: &[f64]) -> f64 {
        let size = numerical.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = numerical
            .iter()
            .zip(analytic)
            .fold(0.0f64, |m, (n, a)| m.max((n - a).abs()));
        err / size
    }

    /// The backward pass against central differences of the forward one, in
    /// f64, for the loss `L = Σ (r·y + y²/2)` (so `dy = r + y`). `L` is
    /// quadratic in each parameter, so central differences have no
    /// truncation error and only rounding (about `ε·|L| / h`, some 1e-11
    /// here) separates them from the true gradient; 1e-7 of the gradient's
    /// largest entry is far above that and far below any real mistake.
    #[test]
    fn backward_matches_finite_differences() {
        const H: f64 = 1e-4;
        const TOLERANCE: f64 = 1e-7;
        on_each_path(|path| {
            for g in [
                geom(2, 5, 6, 3, 3, 2, 1),
                geom(1, 7, 7, 4, 5, 1, 2),
                geom(3, 6, 5, 2, 1, 1, 0),
            ] {
                let b = 2;
                let x = values::<f64>(b * g.in_len(), 1, 0.3);
                let w = values::<f64>(g.weight_len(), 2, 0.0);
                let bias = values::<f64>(g.cout, 3, 0.0);
                let r = values::<f64>(b * g.out_len(), 4, 0.0);
                let loss = |x: &[f64], w: &[f64], bias: &[f64]| {
                    let mut y = vec![0.0; b * g.out_len()];
                    conv2d_forward_direct(&g, b, x, w, bias, &mut y);
                    y.iter().zip(&r).map(|(y, r)| r * y + y * y / 2.0).sum::<f64>()
                };
                let numerical = |p: &[f64], with: &dyn Fn(&[f64]) -> f64| -> Vec<f64> {
                    (0..p.len())
                        .map(|i| {
                            let (mut up, mut down) = (p.to_vec(), p.to_vec());
                            up[i] += H;
                            down[i] -= H;
                            (with(&up) - with(&down)) / (2.0 * H)
                        })
                        .collect()
                };
                let mut y = vec![0.0; b * g.out_len()];
                conv2d_forward_direct(&g, b, &x, &w, &bias, &mut y);
                let dy: Vec<f64> = y.iter().zip(&r).map(|(y, r)| r + y).collect();
                let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
                let mut scratch = ConvScratch::default();
                conv2d_backward(&g, b, &x, &w, &dy, &mut dw, &mut db, Some(&mut dx), &mut scratch);
                let checks = [
                    ("dx", numerical(&x, &|x| loss(x, &w, &bias)), dx),
                    ("dweight", numerical(&w, &|w| loss(&x, w, &bias)), dw),
                    ("dbias", numerical(&bias, &|bias| loss(&x, &w, bias)), db),
                ];
                for (what, num, analytic) in checks {
                    assert!(
                        num.iter().any(|v| v.abs() > 0.1),
                        "{what}: a test with no gradient proves nothing"
                    );
                    let err = relative_error(&num, &analytic);
                    assert!(err < TOLERANCE, "{path}, {g:?}: {what} off by {err:e} of its size");
                    // the check itself rejects a gradient that is all zeros
                    assert!(relative_error(&num, &vec![0.0; num.len()]) > TOLERANCE);
                }
            }
        });
    }

    /// After the first call for a geometry, the scratch buffers are neither
    /// grown nor moved: steady-state training allocates nothing here.
    #[test]
    fn scratch_is_reused() {
        fn buffers(s: &ConvScratch<f32>) -> [(usize, usize); 7] {
            [
                (s.col.as_ptr() as usize, s.col.capacity()),
                (s.weights.as_ptr() as usize, s.weights.capacity()),
                (s.padded.as_ptr() as usize, s.padded.capacity()),
                (s.indices.as_ptr() as usize, s.indices.capacity()),
                (s.values.as_ptr() as usize, s.values.capacity()),
                (s.offsets.as_ptr() as usize, s.offsets.capacity()),
                (s.corners.as_ptr() as usize, s.corners.capacity()),
            ]
        }
        on_each_path(|path| {
            let g = GEOMETRIES[0];
            let b = 3;
            let x = values::<f32>(b * g.in_len(), 1, 0.8);
            let w = values::<f32>(g.weight_len(), 2, 0.0);
            let bias = values::<f32>(g.cout, 3, 0.0);
            let dy = values::<f32>(b * g.out_len(), 4, 0.8);
            let (mut y, mut dx) = (vec![0.0; b * g.out_len()], vec![0.0; x.len()]);
            let (mut dw, mut db) = (vec![0.0; w.len()], vec![0.0; g.cout]);
            let mut scratch = ConvScratch::default();
            let mut step = |scratch: &mut ConvScratch<f32>| {
                conv2d_forward(&g, b, &x, &w, &bias, &mut y, scratch);
                conv2d_backward(&g, b, &x, &w, &dy, &mut dw, &mut db, Some(&mut dx), scratch);
            };
            step(&mut scratch);
            let first = buffers(&scratch);
            step(&mut scratch);
            assert_eq!(buffers(&scratch), first, "{path}");
        });
    }

    #[test]
    fn scratch_is_send_sync_default() {
        fn check<S: Send + Sync + Default>() {}
        check::<ConvScratch<f32>>();
        check::<ConvScratch<f64>>();
    }

    #[test]
    fn output_size() {
        let g = geom(1, 28, 28, 30, 5, 1, 0);
        assert_eq!((g.ho(), g.wo(), g.taps(), g.out_len()), (24, 24, 25, 30 * 24 * 24));
        let g = geom(3, 7, 10, 2, 3, 2, 1);
        assert_eq!((g.ho(), g.wo()), (4, 5));
    }

    #[test]
    #[should_panic(expected = "kernel larger")]
    fn kernel_larger_than_padded_image_panics() {
        let g = geom(1, 2, 2, 1, 5, 1, 1);
        conv2d_forward_direct::<f32>(&g, 1, &[0.0; 4], &[0.0; 25], &[0.0], &mut []);
    }
}

/// Gradients of a convolution with plain loops and no scratch (the
/// training path without `alloc`), with the contract of
/// `conv2d_backward`: `dweight` and `dbias` overwritten with the batch's
/// sums, `dx` (if given) overwritten.
#[cfg(not(feature = "alloc"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_backward_direct<T: crate::Scalar>(
    geom: &Conv2dGeometry,
    b: usize,
    x: &[T],
    weight: &[T],
    dy: &[T],
    dweight: &mut [T],
    dbias: &mut [T],
    mut dx: Option<&mut [T]>,
) {
    geom.check_batch(b, x, weight, dy.len());
    let g = *geom;
    let (ho, wo, kk) = (g.ho(), g.wo(), g.k * g.k);
    dweight.fill(T::ZERO);
    dbias.fill(T::ZERO);
    if let Some(dx) = dx.as_deref_mut() {
        dx.fill(T::ZERO);
    }
    for i in 0..b {
        let (xi, dyi) = (
            &x[i * g.in_len()..][..g.in_len()],
            &dy[i * g.out_len()..][..g.out_len()],
        );
        for o in 0..g.cout {
            for oh in 0..ho {
                for ow in 0..wo {
                    let d = dyi[(o * ho + oh) * wo + ow];
                    dbias[o] = dbias[o] + d;
                    for c in 0..g.cin {
                        for kh in 0..g.k {
                            for kw in 0..g.k {
                                let ih = (oh * g.stride + kh) as isize - g.pad as isize;
                                let iw = (ow * g.stride + kw) as isize - g.pad as isize;
                                if ih < 0 || iw < 0 || ih as usize >= g.h || iw as usize >= g.w {
                                    continue;
                                }
                                let at = (c * g.h + ih as usize) * g.w + iw as usize;
                                let wi = o * g.cin * kk + c * kk + kh * g.k + kw;
                                dweight[wi] = dweight[wi] + d * xi[at];
                                if let Some(dx) = dx.as_deref_mut() {
                                    let dxi = &mut dx[i * g.in_len()..][..g.in_len()];
                                    dxi[at] = dxi[at] + d * weight[wi];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
