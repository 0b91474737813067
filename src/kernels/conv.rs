#![cfg_attr(not(test), allow(dead_code))]
//! 2-D convolution of a batch of images, forward and backward.
//!
//! Layout: images `B × C × H × W` (channel, row, column; PyTorch's NCHW),
//! weights `COUT × CIN × K × K`, bias `COUT`, outputs `B × COUT × HO × WO`.
//! Padding is zeros.
//!
//! The products go through [`nn`] and [`tn`], whose AVX-512 micro-kernels
//! skip every k index where all six rows of a tile of A are zero. Each
//! product is therefore arranged so that A is the operand built from the
//! *input image*, which is the sparse one (MNIST: 81 % zeros; after a ReLU
//! about half):
//!
//! - forward: the column matrix `col[tap][pixel]` of one image (taps =
//!   `CIN·K·K`) is A, read transposed, so a tile is six neighbouring output
//!   pixels and a tap is skipped when all six see a zero; the product
//!   `yᵀ[pixel][cout] = colᵀ·wᵀ` is then transposed into the image's output
//!   planes with the bias added. The dense alternative `y = w·col` (weights
//!   as A, output planes written directly) was 2.3× slower on MNIST digits.
//! - weight gradient: `dwᵀ[tap][cout] += col·dyᵀ`, one image at a time, with
//!   `col` as A read row-major: a tile is six taps and a pixel is skipped
//!   when all six see a zero.
//! - input gradient: `dcol = wᵀ·dy` then col2im (the adjoint of im2col).
//!
//! One image's column matrix (`CIN·K·K × HO·WO`) is built at a time, so the
//! working set stays in the L2 cache whatever the batch size.
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
/// steady-state training allocates nothing here.
///
/// One scratch per thread: the calls take it by `&mut`.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, Default)]
pub(crate) struct ConvScratch<T> {
    /// One image's column matrix, `taps × pixels` (or its gradient).
    col: Vec<T>,
    /// One image's output or output gradient, transposed: `pixels × cout`.
    pixel_major: Vec<T>,
    /// The weights transposed, `taps × cout`, or the weight gradient so.
    weight_t: Vec<T>,
    /// Positions of the nonzero entries of one output-gradient plane.
    nonzero: Vec<u32>,
}

#[cfg(feature = "alloc")]
fn grown_u32(v: &mut Vec<u32>, n: usize) -> &mut [u32] {
    if v.len() < n {
        v.resize(n, 0);
    }
    &mut v[..n]
}

/// Taps per block of the weight-gradient accumulators.
const TAP_BLOCK: usize = 32;

#[cfg(feature = "alloc")]
fn im2col_pixel_major<T: crate::Scalar>(g: &Conv2dGeometry, x: &[T], colt: &mut [T], tstride: usize, padded: &mut [T]) {
    let (ho, wo, k, p, s) = (g.ho(), g.wo(), g.k, g.pad, g.stride);
    let taps = g.taps();
    padded.fill(T::ZERO);
    for oh in 0..ho {
        let out = &mut colt[oh * wo * tstride..(oh + 1) * wo * tstride];
        for (ci, xc) in x.chunks_exact(g.h * g.w).enumerate() {
            for kh in 0..k {
                let tap0 = (ci * k + kh) * k;
                let ih = oh * s + kh;
                if ih < p || ih >= g.h + p {
                    for row in out.chunks_exact_mut(tstride) {
                        row[tap0..tap0 + k].fill(T::ZERO);
                    }
                    continue;
                }
                padded[p..p + g.w].copy_from_slice(&xc[(ih - p) * g.w..(ih - p + 1) * g.w]);
                match k {
                    1 => patches::<T, 1>(padded, s, out, tstride, tap0),
                    2 => patches::<T, 2>(padded, s, out, tstride, tap0),
                    3 => patches::<T, 3>(padded, s, out, tstride, tap0),
                    4 => patches::<T, 4>(padded, s, out, tstride, tap0),
                    5 => patches::<T, 5>(padded, s, out, tstride, tap0),
                    7 => patches::<T, 7>(padded, s, out, tstride, tap0),
                    _ => {
                        for (ow, row) in out.chunks_exact_mut(tstride).enumerate() {
                            row[tap0..tap0 + k].copy_from_slice(&padded[ow * s..ow * s + k]);
                        }
                    }
                }
            }
        }
        for row in out.chunks_exact_mut(tstride) {
            row[taps..].fill(T::ZERO);
        }
    }
}

#[inline(always)]
fn patches<T: crate::Scalar, const K: usize>(padded: &[T], s: usize, out: &mut [T], tstride: usize, tap0: usize) {
    for (ow, row) in out.chunks_exact_mut(tstride).enumerate() {
        let dst: &mut [T; K] = (&mut row[tap0..tap0 + K]).try_into().expect("K taps");
        let src: &[T; K] = padded[ow * s..ow * s + K].try_into().expect("K pixels");
        *dst = *src;
    }
}

#[cfg(feature = "alloc")]
fn dweight_sparse<T: crate::Scalar>(
    taps: usize,
    pixels: usize,
    tstride: usize,
    dyi: &[T],
    colt: &[T],
    dw: &mut [T],
    nz: &mut [u32],
) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if super::avx512::available() {
        // SAFETY: the CPU has AVX-512F, the function's only feature
        return unsafe { dweight_sparse_wide(taps, pixels, tstride, dyi, colt, dw, nz) };
    }
    dweight_sparse_body::<T, false>(taps, pixels, tstride, dyi, colt, dw, nz)
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f")]
fn dweight_sparse_wide<T: crate::Scalar>(
    taps: usize,
    pixels: usize,
    tstride: usize,
    dyi: &[T],
    colt: &[T],
    dw: &mut [T],
    nz: &mut [u32],
) {
    dweight_sparse_body::<T, true>(taps, pixels, tstride, dyi, colt, dw, nz)
}

#[cfg(feature = "alloc")]
#[inline(always)]
fn dweight_sparse_body<T: crate::Scalar, const FMA: bool>(
    taps: usize,
    pixels: usize,
    tstride: usize,
    dyi: &[T],
    colt: &[T],
    dw: &mut [T],
    nz: &mut [u32],
) {
    for (plane, dwc) in dyi.chunks_exact(pixels).zip(dw.chunks_exact_mut(taps)) {
        let mut n = 0;
        for (w, chunk) in plane.chunks(64).enumerate() {
            let mut bits = 0u64;
            for (j, &v) in chunk.iter().enumerate() {
                bits |= ((v != T::ZERO) as u64) << j;
            }
            while bits != 0 {
                nz[n] = (w * 64) as u32 + bits.trailing_zeros();
                n += 1;
                bits &= bits - 1;
            }
        }
        let nz = &nz[..n];
        for t0 in (0..taps).step_by(TAP_BLOCK) {
            let mut acc = [T::ZERO; TAP_BLOCK];
            for &p in nz {
                let d = plane[p as usize];
                let row: &[T; TAP_BLOCK] = colt[p as usize * tstride + t0..][..TAP_BLOCK].try_into().unwrap();
                for l in 0..TAP_BLOCK {
                    acc[l] = if FMA {
                        d.mul_add(row[l], acc[l])
                    } else {
                        acc[l] + d * row[l]
                    };
                }
            }
            let end = TAP_BLOCK.min(taps - t0);
            dwc[t0..t0 + end].iter_mut().zip(&acc).for_each(|(d, &a)| *d = *d + a);
        }
    }
}

/// `v[..n]`, growing `v` first if it is shorter (never shrinking it, so a
/// buffer sized for the largest call is kept).
#[cfg(feature = "alloc")]
fn grown<T: crate::Scalar>(v: &mut Vec<T>, n: usize) -> &mut [T] {
    if v.len() < n {
        v.resize(n, T::ZERO);
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

/// `dst[j][i] = src[i][j] (+ add[j])` for `src` of `rows × cols`: the
/// transposes between one image's channel planes and its pixel-major form,
/// in square blocks so both sides stay in the L1 cache.
#[cfg(feature = "alloc")]
fn transpose<T: crate::Scalar>(rows: usize, cols: usize, src: &[T], dst: &mut [T], add: Option<&[T]>) {
    const BLOCK: usize = 16;
    let (src, dst) = (&src[..rows * cols], &mut dst[..rows * cols]);
    for i0 in (0..rows).step_by(BLOCK) {
        let i1 = (i0 + BLOCK).min(rows);
        for j0 in (0..cols).step_by(BLOCK) {
            let j1 = (j0 + BLOCK).min(cols);
            for j in j0..j1 {
                let a = add.map_or(T::ZERO, |add| add[j]);
                let out = &mut dst[j * rows + i0..j * rows + i1];
                for (i, o) in (i0..i1).zip(out) {
                    *o = src[i * cols + j] + a;
                }
            }
        }
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
    let col = grown(&mut scratch.col, taps * pixels);
    let yt = grown(&mut scratch.pixel_major, pixels * cout);
    let wt = grown(&mut scratch.weight_t, taps * cout);
    transpose(cout, taps, weight, wt, None);
    for (xi, yi) in x.chunks_exact(g.in_len()).zip(y.chunks_exact_mut(g.out_len())) {
        im2col(&g, xi, col);
        if std::env::var_os("CONV_DENSE").is_some() {
            nn(cout, taps, pixels, weight, col, yi, false);
            for (plane, &b) in yi.chunks_exact_mut(pixels).zip(bias) {
                plane.iter_mut().for_each(|v| *v = *v + b);
            }
            continue;
        }
        // yᵀ[pixel][cout] = colᵀ·wᵀ: A = col, read transposed, is the sparse one
        tn(taps, pixels, cout, col, wt, yt);
        transpose(pixels, cout, yt, yi, Some(bias));
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

    dbias.fill(T::ZERO);
    for dyi in dy.chunks_exact(g.out_len()) {
        for (db, plane) in dbias.iter_mut().zip(dyi.chunks_exact(pixels)) {
            *db = *db + sum(plane);
        }
    }

    let col = grown(&mut scratch.col, taps * pixels);
    let dyt = grown(&mut scratch.pixel_major, pixels * cout);
    let dwt = grown(&mut scratch.weight_t, taps * cout);
    if b == 0 {
        dwt.fill(T::ZERO);
    }
    if std::env::var_os("CONV_SPARSE").is_some() {
        let tstride = taps.next_multiple_of(TAP_BLOCK);
        let colt = grown(&mut scratch.col, pixels * tstride);
        let nz = grown_u32(&mut scratch.nonzero, pixels);
        let mut padded = vec![T::ZERO; g.w + 2 * g.pad];
        dweight.fill(T::ZERO);
        for (xi, dyi) in x.chunks_exact(g.in_len()).zip(dy.chunks_exact(g.out_len())) {
            im2col_pixel_major(&g, xi, colt, tstride, &mut padded);
            dweight_sparse(taps, pixels, tstride, dyi, colt, dweight, nz);
        }
        return;
    }
    if std::env::var_os("CONV_NT").is_some() {
        dweight.fill(T::ZERO);
        for (xi, dyi) in x.chunks_exact(g.in_len()).zip(dy.chunks_exact(g.out_len())) {
            im2col(&g, xi, col);
            super::nt(cout, pixels, taps, dyi, col, dwt);
            dweight.iter_mut().zip(dwt.iter()).for_each(|(d, &v)| *d = *d + v);
        }
        return;
    }
    for (i, (xi, dyi)) in x.chunks_exact(g.in_len()).zip(dy.chunks_exact(g.out_len())).enumerate() {
        im2col(&g, xi, col);
        transpose(cout, pixels, dyi, dyt, None);
        // dwᵀ[tap][cout] (+)= col·dyᵀ: A = col, row-major, is the sparse one
        nn(taps, pixels, cout, col, dyt, dwt, i > 0);
    }
    transpose(taps, cout, dwt, dweight, None);

    if let Some(dx) = dx {
        assert_eq!(dx.len(), b * g.in_len(), "conv input gradient length");
        dx.fill(T::ZERO);
        for (dyi, dxi) in dy.chunks_exact(g.out_len()).zip(dx.chunks_exact_mut(g.in_len())) {
            // dcol[tap][pixel] = wᵀ·dy
            tn(cout, taps, pixels, weight, dyi, col);
            col2im(&g, col, dxi);
        }
    }
}

/// Gradients of a convolution with plain loops and no scratch (the
/// training path without `alloc`), with the contract of
/// [`conv2d_backward`]: `dweight` and `dbias` overwritten with the batch's
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
                                let (ih, iw) = (
                                    (oh * g.stride + kh) as isize - g.pad as isize,
                                    (ow * g.stride + kw) as isize - g.pad as isize,
                                );
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
