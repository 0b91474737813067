//! The convolution in plain loops with no buffers and no heap: the
//! reference the fast path is tested against, and the path of targets
//! without `alloc` (a microcontroller's inference and on-device training).
//!
//! Each output is one running sum, bias first, then the taps in the order
//! of the weights (channel, row, column): the most accurate order for f32,
//! and the same on every path here, so the results do not depend on which
//! loop computed them. Every loop runs over slices cut to the length it
//! needs before it starts (a window row clipped to the image), so no inner
//! loop indexes, and none checks a bound per multiply-add.
// with `alloc`, the layers take the buffered path and only tests run these
#![cfg_attr(all(feature = "alloc", not(test)), allow(dead_code))]

use core::ops::Range;

use super::{Window2d, check_batch};

/// Output columns computed together where the window's columns move one
/// pixel at a time: each weight is loaded once for all of them.
const TILE: usize = 8;

/// `y = conv(x) + bias` in plain loops, with no buffers and no heap.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
pub(crate) fn conv2d_forward_direct<T: crate::Scalar>(
    geom: &Window2d,
    b: usize,
    x: &[T],
    weight: &[T],
    bias: &[T],
    y: &mut [T],
) {
    check_batch(geom, b, x, weight, y.len());
    assert_eq!(bias.len(), geom.cout, "conv bias length");
    if b == 0 {
        return;
    }
    let g = *geom;
    for (xi, yi) in x.chunks_exact(g.in_len()).zip(y.chunks_exact_mut(g.out_len())) {
        for (o, plane) in yi.chunks_exact_mut(g.pixels()).enumerate() {
            let (filter, bias) = (&weight[o * g.taps()..][..g.taps()], bias[o]);
            for (oh, out) in plane.chunks_exact_mut(g.cols().out()).enumerate() {
                output_row(&g, xi, filter, bias, oh, out);
            }
        }
    }
}

/// Output row `oh` of output channel `o` of one image `x`, as
/// [`conv2d_forward_direct`] computes it, without the image's other rows:
/// for a layer that uses each row as it comes (a pooling fused after the
/// convolution), so the whole output never has to be held at once.
///
/// # Panics
/// If a slice's length does not match `geom`, or the row is not one of
/// the output's.
pub(crate) fn conv2d_row_direct<T: crate::Scalar>(
    geom: &Window2d,
    x: &[T],
    weight: &[T],
    bias: &[T],
    (o, oh): (usize, usize),
    y: &mut [T],
) {
    check_batch(geom, 1, x, weight, geom.out_len());
    assert_eq!(bias.len(), geom.cout, "conv bias length");
    assert!(o < geom.cout && oh < geom.rows().out(), "conv output row out of range");
    assert_eq!(y.len(), geom.cols().out(), "conv output row length");
    let taps = geom.taps();
    output_row(geom, x, &weight[o * taps..][..taps], bias[o], oh, y);
}

/// Output row `oh` of the output channel whose weights are `filter`, for
/// one image `x`: the edge outputs window by window, the interior a tile
/// at a time.
#[inline(always)]
fn output_row<T: crate::Scalar>(g: &Window2d, x: &[T], filter: &[T], bias: T, oh: usize, out: &mut [T]) {
    let (rows, cols) = (g.rows(), g.cols());
    // the output columns whose whole window is inside the image, and of
    // them the ones taken a tile at a time
    let inner = cols.interior();
    let tiled = if g.sw == 1 { inner.len() / TILE * TILE } else { 0 };
    let window_rows = rows.taps_inside(oh);
    let (edge, rest) = out.split_at_mut(inner.start);
    let (tiles, rest) = rest.split_at_mut(tiled);
    for (ow, y) in edge.iter_mut().enumerate() {
        *y = window(g, x, filter, window_rows.clone(), cols.taps_inside(ow), bias);
    }
    for (t, y) in tiles.chunks_exact_mut(TILE).enumerate() {
        // `inner.start ≥ left`: these windows start in the image
        let iw = inner.start + t * TILE - g.pad.left;
        y.copy_from_slice(&tile(g, x, filter, window_rows.clone(), iw, bias));
    }
    let first = inner.start + tiled;
    for (ow, y) in (first..).zip(rest) {
        *y = window(g, x, filter, window_rows.clone(), cols.taps_inside(ow), bias);
    }
}

/// One output: `acc` plus every tap of the window that lands inside the
/// image; `rows` and `cols` are those taps with the input row and column
/// the first of them sees.
#[inline(always)]
fn window<T: crate::Scalar>(
    g: &Window2d,
    x: &[T],
    filter: &[T],
    (rows, ih): (Range<usize>, usize),
    (cols, iw): (Range<usize>, usize),
    mut acc: T,
) -> T {
    if cols.is_empty() {
        return acc;
    }
    let (plane, kernel, n) = (g.h * g.w, g.kh * g.kw, cols.len());
    for c in 0..g.cin {
        let (xc, fc) = (&x[c * plane..][..plane], &filter[c * kernel..][..kernel]);
        for (r, i) in rows.clone().enumerate() {
            let xs = &xc[(ih + r) * g.w + iw..][..n];
            let fs = &fc[i * g.kw + cols.start..][..n];
            for (&f, &v) in fs.iter().zip(xs) {
                acc = acc + f * v;
            }
        }
    }
    acc
}

/// [`TILE`] neighbouring outputs of a convolution whose windows move one
/// column at a time, all columns of their windows inside the image, the
/// first starting at input column `iw`: each sums as [`window`] does.
#[inline(always)]
fn tile<T: crate::Scalar>(
    g: &Window2d,
    x: &[T],
    filter: &[T],
    (rows, ih): (Range<usize>, usize),
    iw: usize,
    acc: T,
) -> [T; TILE] {
    let mut acc = [acc; TILE];
    let (plane, kernel, kw) = (g.h * g.w, g.kh * g.kw, g.kw);
    for c in 0..g.cin {
        let (xc, fc) = (&x[c * plane..][..plane], &filter[c * kernel..][..kernel]);
        for (r, i) in rows.clone().enumerate() {
            let row = &xc[(ih + r) * g.w + iw..][..kw + TILE - 1];
            let fs = &fc[i * kw..][..kw];
            if kw == 5 {
                // the digit reader's width, written out: each input value
                // loaded once for the eight outputs and the five weights
                // kept in registers (half the loads of the loop below, and
                // no loop at opt-level "s"); the same sums in the same order
                let (row, fs): (&[T; 5 + TILE - 1], &[T; 5]) = (row.try_into().unwrap(), fs.try_into().unwrap());
                five_taps(&mut acc, row, fs);
                continue;
            }
            // the kernel row as output t sees it: `kw` values from column
            // t, cut before the loop, so the loop checks no index (at
            // opt-level "s" the eight sums are written out: a loop over
            // them would stay a loop, and they would leave the registers)
            let (x0, x1, x2, x3) = (&row[..kw], &row[1..kw + 1], &row[2..kw + 2], &row[3..kw + 3]);
            let (x4, x5, x6, x7) = (&row[4..kw + 4], &row[5..kw + 5], &row[6..kw + 6], &row[7..kw + 7]);
            let taps = fs
                .iter()
                .zip(x0)
                .zip(x1)
                .zip(x2)
                .zip(x3)
                .zip(x4)
                .zip(x5)
                .zip(x6)
                .zip(x7);
            for ((((((((&f, &v0), &v1), &v2), &v3), &v4), &v5), &v6), &v7) in taps {
                acc[0] = acc[0] + f * v0;
                acc[1] = acc[1] + f * v1;
                acc[2] = acc[2] + f * v2;
                acc[3] = acc[3] + f * v3;
                acc[4] = acc[4] + f * v4;
                acc[5] = acc[5] + f * v5;
                acc[6] = acc[6] + f * v6;
                acc[7] = acc[7] + f * v7;
            }
        }
    }
    acc
}

/// The eight sums of a tile over one kernel row of five taps, tap by tap
/// (each output's taps in order, as the loop in [`tile`] adds them).
#[inline(always)]
fn five_taps<T: crate::Scalar>(acc: &mut [T; TILE], x: &[T; 5 + TILE - 1], f: &[T; 5]) {
    macro_rules! tap {
        ($i:literal) => {
            acc[0] = acc[0] + f[$i] * x[$i];
            acc[1] = acc[1] + f[$i] * x[$i + 1];
            acc[2] = acc[2] + f[$i] * x[$i + 2];
            acc[3] = acc[3] + f[$i] * x[$i + 3];
            acc[4] = acc[4] + f[$i] * x[$i + 4];
            acc[5] = acc[5] + f[$i] * x[$i + 5];
            acc[6] = acc[6] + f[$i] * x[$i + 6];
            acc[7] = acc[7] + f[$i] * x[$i + 7];
        };
    }
    tap!(0);
    tap!(1);
    tap!(2);
    tap!(3);
    tap!(4);
}

/// Gradients of a convolution with plain loops and no scratch (the training
/// path without `alloc`), with the contract of `conv2d_backward`: `dweight`
/// and `dbias` overwritten with the batch's sums, `dx` (if given)
/// overwritten.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_backward_direct<T: crate::Scalar>(
    geom: &Window2d,
    b: usize,
    x: &[T],
    weight: &[T],
    dy: &[T],
    dweight: &mut [T],
    dbias: &mut [T],
    mut dx: Option<&mut [T]>,
) {
    check_batch(geom, b, x, weight, dy.len());
    assert_eq!(dweight.len(), geom.weight_len(), "conv weight gradient length");
    assert_eq!(dbias.len(), geom.cout, "conv bias gradient length");
    let g = *geom;
    dweight.fill(T::ZERO);
    dbias.fill(T::ZERO);
    if let Some(dx) = dx.as_deref_mut() {
        assert_eq!(dx.len(), b * g.in_len(), "conv input gradient length");
        dx.fill(T::ZERO);
    }
    let (rows, cols) = (g.rows(), g.cols());
    let (plane, kernel, taps, wo) = (g.h * g.w, g.kh * g.kw, g.taps(), cols.out());
    for i in 0..b {
        let (xi, dyi) = (
            &x[i * g.in_len()..][..g.in_len()],
            &dy[i * g.out_len()..][..g.out_len()],
        );
        let mut dxi = dx.as_deref_mut().map(|dx| &mut dx[i * g.in_len()..][..g.in_len()]);
        for (o, dy_plane) in dyi.chunks_exact(g.pixels()).enumerate() {
            let (filter, dfilter) = (&weight[o * taps..][..taps], &mut dweight[o * taps..][..taps]);
            for (oh, dy_row) in dy_plane.chunks_exact(wo).enumerate() {
                let (window_rows, ih) = rows.taps_inside(oh);
                for (ow, &d) in dy_row.iter().enumerate() {
                    dbias[o] = dbias[o] + d;
                    let (window_cols, iw) = cols.taps_inside(ow);
                    let n = window_cols.len();
                    if n == 0 {
                        continue;
                    }
                    for c in 0..g.cin {
                        for (r, kh) in window_rows.clone().enumerate() {
                            let at = c * plane + (ih + r) * g.w + iw;
                            let tap = c * kernel + kh * g.kw + window_cols.start;
                            let dws = &mut dfilter[tap..][..n];
                            for (dw, &v) in dws.iter_mut().zip(&xi[at..][..n]) {
                                *dw = *dw + d * v;
                            }
                            if let Some(dxi) = dxi.as_deref_mut() {
                                for (dx, &w) in dxi[at..][..n].iter_mut().zip(&filter[tap..][..n]) {
                                    *dx = *dx + d * w;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
