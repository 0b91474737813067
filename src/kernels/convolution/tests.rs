//! The convolution on both backends, and its direct loops, against its
//! definition.

use super::*;
use crate::kernels::Padding;
use crate::kernels::testing::{assert_close, on_each_path, values};
use std::vec::Vec;

/// A square kernel, one stride, the same padding on every side.
pub(super) const fn geom(cin: usize, h: usize, w: usize, cout: usize, k: usize, s: usize, p: usize) -> Window2d {
    Window2d::conv((cin, cout), (h, w), (k, k), (s, s), Padding::uniform(p))
}

pub(super) const fn pad(top: usize, bottom: usize, left: usize, right: usize) -> Padding {
    Padding {
        top,
        bottom,
        left,
        right,
    }
}

/// Strides 1, 2, 3; paddings 0–3; kernels 1, 3, 5, 7, 9 (wider than the
/// 8-lane kernel rows of the fast path); square images and not; output
/// channels that are not multiples of 16; an input wider than a vector;
/// enough input channels to need several passes of the fast weight-gradient
/// kernel; a kernel larger than the unpadded image; non-square kernels,
/// independent strides and padding different on each side; padding that
/// reaches past the image, so whole kernel rows and columns see only zeros.
const GEOMETRIES: [Window2d; 22] = [
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
    Window2d::conv((2, 3), (9, 8), (3, 2), (2, 3), pad(0, 2, 1, 0)),
    Window2d::conv((1, 5), (7, 12), (1, 5), (1, 1), pad(0, 0, 2, 2)),
    Window2d::conv((3, 2), (6, 6), (4, 3), (1, 2), pad(1, 2, 0, 1)),
    Window2d::conv((1, 2), (5, 20), (2, 9), (3, 1), pad(0, 1, 4, 4)),
    // issue cases: 7×7 padding 3 on 2×2, 5×5 padding 2 on width 1, 11×11
    // stride 2 padding 5 on 11×1
    geom(1, 2, 2, 1, 7, 1, 3),
    geom(2, 6, 1, 3, 5, 1, 2),
    geom(1, 11, 1, 1, 11, 2, 5),
    Window2d::conv((2, 2), (3, 2), (3, 6), (2, 1), pad(4, 0, 0, 5)),
];

/// The input pixel tap `d` of output `o` sees along an axis, if not padding.
fn source(o: usize, s: usize, d: usize, before: usize, n: usize) -> Option<usize> {
    (o * s + d).checked_sub(before).filter(|&i| i < n)
}

/// Every (weight, input) index pair of output pixel (oh, ow) of filter co,
/// for image n: the terms of its sum.
fn terms(g: &Window2d, n: usize, co: usize, oh: usize, ow: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..g.cin).flat_map(move |ci| {
        (0..g.kh).flat_map(move |i| {
            (0..g.kw).filter_map(move |j| {
                let ih = source(oh, g.sh, i, g.pad.top, g.h)?;
                let iw = source(ow, g.sw, j, g.pad.left, g.w)?;
                let wi = ((co * g.cin + ci) * g.kh + i) * g.kw + j;
                Some((wi, ((n * g.cin + ci) * g.h + ih) * g.w + iw))
            })
        })
    })
}

/// The convolution from its definition, in f64, with `Σ|term|` beside
/// each output (the scale of its rounding error).
pub(super) fn reference_forward<T: crate::Scalar>(
    g: &Window2d,
    b: usize,
    x: &[T],
    w: &[T],
    bias: &[T],
) -> (Vec<f64>, Vec<f64>) {
    let (ho, wo) = (g.ho(), g.wo());
    let (mut y, mut scale) = (Vec::new(), Vec::new());
    for n in 0..b {
        for (co, filter_bias) in bias.iter().enumerate() {
            for oh in 0..ho {
                for ow in 0..wo {
                    let (mut sum, mut size) = (filter_bias.as_f64(), filter_bias.as_f64().abs());
                    for (wi, xi) in terms(g, n, co, oh, ow) {
                        let t = w[wi].as_f64() * x[xi].as_f64();
                        sum += t;
                        size += t.abs();
                    }
                    y.push(sum);
                    scale.push(size);
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
    g: &Window2d,
    b: usize,
    x: &[T],
    w: &[T],
    dy: &[T],
) -> [(Vec<f64>, Vec<f64>); 3] {
    let (ho, wo) = (g.ho(), g.wo());
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
                    for (wi, xi) in terms(g, n, co, oh, ow) {
                        dw.0[wi] += d * x[xi].as_f64();
                        dw.1[wi] += (d * x[xi].as_f64()).abs();
                        dx.0[xi] += d * w[wi].as_f64();
                        dx.1[xi] += (d * w[wi].as_f64()).abs();
                    }
                }
            }
        }
    }
    [dw, db, dx]
}

/// The forward pass of `b` images, on the current backend and in the
/// direct loops, against the reference; `zeros` is the share of zero
/// inputs. Every output is filled with garbage first, so each must be
/// written.
pub(super) fn check_forward<T: crate::Scalar>(what: &str, g: &Window2d, b: usize, seed: u64, zeros: f64) {
    let mut scratch = ConvScratch::<T>::default();
    let x = values::<T>(b * g.in_len(), seed, zeros);
    let w = values::<T>(g.weight_len(), seed + 1, 0.0);
    let bias = values::<T>(g.cout, seed + 2, 0.0);
    let (want, scale) = reference_forward(g, b, &x, &w, &bias);
    let terms = g.taps() + 1;
    let mut y = vec![T::of(7.5); b * g.out_len()];
    conv2d_forward(g, b, &x, &w, &bias, &mut y, &mut scratch);
    assert_close(&format!("forward, {what}"), &y, &want, &scale, terms);
    let mut y = vec![T::of(7.5); b * g.out_len()];
    conv2d_forward_direct(g, b, &x, &w, &bias, &mut y);
    assert_close(&format!("direct forward, {what}"), &y, &want, &scale, terms);
}

/// The backward pass of `b` images, with and without dx, on the current
/// backend and in the direct loops, against the reference; `zeros` is the
/// share of zeros in dy (most of it, after pooling and a ReLU).
pub(super) fn check_backward<T: crate::Scalar>(what: &str, g: &Window2d, b: usize, seed: u64, zeros: f64) {
    let mut scratch = ConvScratch::<T>::default();
    let x = values::<T>(b * g.in_len(), seed, 0.6);
    let w = values::<T>(g.weight_len(), seed + 1, 0.0);
    let dy = values::<T>(b * g.out_len(), seed + 2, zeros);
    let [(dw_want, dw_scale), (db_want, db_scale), (dx_want, dx_scale)] = reference_backward(g, b, &x, &w, &dy);
    let (pixels_summed, taps_summed) = (b * g.pixels(), g.cout * g.kh * g.kw);
    let check = |how: &str, dw: &[T], db: &[T], dx: Option<&[T]>| {
        assert_close(
            &format!("{how} dweight, {what}"),
            dw,
            &dw_want,
            &dw_scale,
            pixels_summed,
        );
        assert_close(&format!("{how} dbias, {what}"), db, &db_want, &db_scale, pixels_summed);
        if let Some(dx) = dx {
            assert_close(&format!("{how} dx, {what}"), dx, &dx_want, &dx_scale, taps_summed);
        }
    };
    let garbage = |n: usize| vec![T::of(7.5); n];
    let (mut dw, mut db, mut dx) = (garbage(g.weight_len()), garbage(g.cout), garbage(b * g.in_len()));
    conv2d_backward(g, b, &x, &w, &dy, &mut dw, &mut db, Some(&mut dx), &mut scratch);
    check("", &dw, &db, Some(&dx));
    let (mut dw, mut db) = (garbage(g.weight_len()), garbage(g.cout));
    conv2d_backward(g, b, &x, &w, &dy, &mut dw, &mut db, None, &mut scratch);
    check("without dx,", &dw, &db, None);
    let (mut dw, mut db, mut dx) = (garbage(g.weight_len()), garbage(g.cout), garbage(b * g.in_len()));
    conv2d_backward_direct(g, b, &x, &w, &dy, &mut dw, &mut db, Some(&mut dx));
    check("direct", &dw, &db, Some(&dx));
}

fn matches_reference<T: crate::Scalar>() {
    on_each_path(|path| {
        for (gi, g) in GEOMETRIES.iter().enumerate() {
            for b in [1, 7] {
                for zeros in [0.0, 0.8] {
                    let what = format!(
                        "{path}, {} {g:?}, batch {b}, {zeros} zeros",
                        core::any::type_name::<T>()
                    );
                    let seed = (gi * 10 + b) as u64;
                    check_forward::<T>(&what, g, b, seed, zeros);
                    check_backward::<T>(&what, g, b, seed + 1000, zeros);
                }
            }
        }
    });
}

#[test]
fn matches_reference_f32() {
    matches_reference::<f32>();
}

#[test]
fn matches_reference_f64() {
    matches_reference::<f64>();
}

/// Padding that reaches past the image (the cases of a bug report: 7×7
/// padding 3 on 2×2, 5×5 padding 2 on width 1, 11×11 stride 2 padding 5 on
/// 11×1): a tap that never lands inside the image reads zeros, on every
/// path, where the column matrix used to compute an index below zero. A
/// one-pixel image makes the expected values plain: every output that sees
/// the pixel is `w[tap]·x + b`, every other one `b`.
#[test]
fn padding_past_the_image_reads_zeros() {
    on_each_path(|path| {
        for (h, w, k, s, p) in [(2, 2, 7, 1, 3), (6, 1, 5, 1, 2), (11, 1, 11, 2, 5), (1, 1, 5, 2, 3)] {
            let g = geom(1, h, w, 1, k, s, p);
            let what = format!("{path}, {g:?}");
            check_forward::<f32>(&what, &g, 2, 3, 0.0);
            check_backward::<f32>(&what, &g, 2, 4, 0.0);
        }
        let g = geom(1, 1, 1, 1, 5, 2, 3); // outputs 2×2, the pixel at padded (3, 3)
        let w: Vec<f32> = (0..25).map(|i| i as f32).collect();
        let mut y = [0.0f32; 4];
        let mut scratch = ConvScratch::default();
        conv2d_forward(&g, 1, &[2.0], &w, &[0.5], &mut y, &mut scratch);
        // output (oh, ow) sees the pixel through tap (3 − 2·oh, 3 − 2·ow)
        assert_eq!(
            y,
            [2.0 * 18.0 + 0.5, 2.0 * 16.0 + 0.5, 2.0 * 8.0 + 0.5, 2.0 * 6.0 + 0.5],
            "{path}"
        );
        let (mut dw, mut db, mut dx) = ([9.0f32; 25], [9.0], [9.0]);
        conv2d_backward(
            &g,
            1,
            &[2.0],
            &w,
            &[1.0; 4],
            &mut dw,
            &mut db,
            Some(&mut dx),
            &mut scratch,
        );
        let seen = [6, 8, 16, 18];
        for (tap, &d) in dw.iter().enumerate() {
            assert_eq!(d, if seen.contains(&tap) { 2.0 } else { 0.0 }, "{path}: dw[{tap}]");
        }
        assert_eq!((db, dx), ([4.0], [(6 + 8 + 16 + 18) as f32]), "{path}");
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
/// quadratic in each parameter, so central differences have no truncation
/// error and only rounding (about `ε·|L| / h`, some 1e-11 here) separates
/// them from the true gradient; 1e-7 of the gradient's largest entry is far
/// above that and far below any real mistake.
#[test]
fn backward_matches_finite_differences() {
    const H: f64 = 1e-4;
    const TOLERANCE: f64 = 1e-7;
    on_each_path(|path| {
        for g in [
            geom(2, 5, 6, 3, 3, 2, 1),
            geom(1, 7, 7, 4, 5, 1, 2),
            geom(3, 6, 5, 2, 1, 1, 0),
            Window2d::conv((2, 2), (5, 4), (3, 2), (1, 2), pad(2, 0, 1, 1)),
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
#[should_panic(expected = "kernel larger")]
fn kernel_larger_than_padded_image_panics() {
    let g = geom(1, 2, 2, 1, 5, 1, 1);
    conv2d_forward_direct::<f32>(&g, 1, &[0.0; 4], &[0.0; 25], &[0.0], &mut []);
}

/// The direct loops sum each output as their documentation says, bias
/// first, then the taps inside the image in the order of the weights
/// (channel, row, column): equal bits to that sum written as one loop, on
/// the edges, in the tiles, and in the five-tap tiles written out.
#[test]
fn direct_sums_in_the_order_of_the_weights() {
    for g in [
        geom(2, 28, 28, 3, 5, 1, 0),
        geom(1, 13, 21, 2, 5, 1, 2),
        geom(2, 9, 17, 2, 3, 1, 1),
        geom(1, 12, 12, 2, 5, 2, 1),
    ] {
        let b = 2;
        let x = values::<f32>(b * g.in_len(), 5, 0.1);
        let w = values::<f32>(g.weight_len(), 6, 0.0);
        let bias = values::<f32>(g.cout, 7, 0.0);
        let mut y = vec![7.5f32; b * g.out_len()];
        conv2d_forward_direct(&g, b, &x, &w, &bias, &mut y);
        let (ho, wo) = (g.rows().out(), g.cols().out());
        let mut want = Vec::new();
        for i in 0..b {
            for (o, &first) in bias.iter().enumerate() {
                for oh in 0..ho {
                    for ow in 0..wo {
                        let mut acc = first;
                        for c in 0..g.cin {
                            for r in 0..g.kh {
                                for q in 0..g.kw {
                                    let (ih, iw) = (oh * g.sh + r, ow * g.sw + q);
                                    if ih < g.pad.top || iw < g.pad.left {
                                        continue;
                                    }
                                    let (ih, iw) = (ih - g.pad.top, iw - g.pad.left);
                                    if ih >= g.h || iw >= g.w {
                                        continue;
                                    }
                                    let tap = ((o * g.cin + c) * g.kh + r) * g.kw + q;
                                    acc += w[tap] * x[((i * g.cin + c) * g.h + ih) * g.w + iw];
                                }
                            }
                        }
                        want.push(acc.to_bits());
                    }
                }
            }
        }
        let got: Vec<u32> = y.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "{g:?}");
    }
}
