//! Max pooling on both backends against its definition.

use super::*;
use crate::kernels::Padding;
use crate::kernels::testing::{Stream, on_each_path, values};
use std::vec::Vec;

const fn geom(c: usize, h: usize, w: usize, size: usize, stride: usize) -> Window2d {
    Window2d::pool(c, (h, w), (size, size), (stride, stride), Padding::ZERO)
}

const fn pad(top: usize, bottom: usize, left: usize, right: usize) -> Padding {
    Padding {
        top,
        bottom,
        left,
        right,
    }
}

/// The book's 2×2 stride 2 (the fast path) on even, odd and wide planes
/// (more than one vector of outputs per row), and other windows and
/// strides, overlapping or leaving pixels out; non-square windows,
/// independent strides, and padding on some sides (TFLite's SAME).
const GEOMETRIES: [Window2d; 16] = [
    geom(30, 24, 24, 2, 2),
    geom(3, 4, 4, 2, 2),
    geom(2, 7, 9, 2, 2),
    geom(2, 9, 70, 2, 2),
    geom(1, 2, 2, 2, 2),
    geom(3, 35, 33, 2, 2),
    geom(2, 5, 7, 3, 2),
    geom(1, 6, 5, 3, 3),
    geom(4, 8, 8, 2, 1),
    geom(2, 9, 8, 1, 1),
    geom(2, 10, 13, 4, 3),
    Window2d::pool(2, (7, 9), (3, 2), (1, 2), Padding::ZERO),
    Window2d::pool(2, (5, 5), (2, 2), (2, 2), pad(0, 1, 0, 1)),
    Window2d::pool(1, (6, 7), (3, 3), (2, 3), pad(1, 1, 2, 0)),
    Window2d::pool(3, (1, 9), (2, 4), (1, 2), pad(1, 0, 0, 3)),
    Window2d::pool(2, (25, 25), (5, 5), (5, 5), Padding::ZERO),
];

/// The maximum of each window from the definition: the first NaN if there
/// is one, else the first of the largest values, over the window's pixels
/// inside the image.
fn reference_forward<T: crate::Scalar>(g: &Window2d, b: usize, x: &[T]) -> (Vec<T>, Vec<u32>) {
    let (ho, wo) = (g.ho(), g.wo());
    let (mut y, mut at) = (Vec::new(), Vec::new());
    let inside =
        |o: usize, s: usize, d: usize, before: usize, n: usize| (o * s + d).checked_sub(before).filter(|&i| i < n);
    for plane in x.chunks_exact(g.h * g.w).take(b * g.cin) {
        for oh in 0..ho {
            for ow in 0..wo {
                let window = (0..g.kh)
                    .filter_map(|i| inside(oh, g.sh, i, g.pad.top, g.h))
                    .flat_map(|ih| {
                        (0..g.kw)
                            .filter_map(move |j| inside(ow, g.sw, j, g.pad.left, g.w))
                            .map(move |iw| ih * g.w + iw)
                    });
                let best = window.clone().find(|&i| plane[i].is_nan()).unwrap_or_else(|| {
                    window.fold(usize::MAX, |best, i| {
                        if best == usize::MAX || plane[i] > plane[best] {
                            i
                        } else {
                            best
                        }
                    })
                });
                y.push(plane[best]);
                at.push(best as u32);
            }
        }
    }
    (y, at)
}

/// Inputs with many ties (few distinct values), infinities and NaNs.
fn inputs<T: crate::Scalar>(n: usize, seed: u64) -> Vec<T> {
    values::<T>(n, seed, 0.3)
        .into_iter()
        .enumerate()
        .map(|(i, v)| match (i * 7 + seed as usize) % 41 {
            0 => T::nan(),
            1 => T::infinity(),
            2 => T::neg_infinity(),
            _ => T::of((v.as_f64() * 3.0).round() / 2.0),
        })
        .collect()
}

fn same<T: crate::Scalar>(a: T, b: T) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Forward on one geometry and batch against the reference: outputs and
/// argmax, with and without the argmax.
fn check_forward<T: crate::Scalar>(what: &str, g: &Window2d, b: usize, seed: u64) {
    let x = inputs::<T>(b * g.in_len(), seed);
    let (want, want_at) = reference_forward(g, b, &x);
    let mut y = vec![T::of(9.0); b * g.out_len()];
    let mut at = vec![u32::MAX; b * g.out_len()];
    max_pool2d_forward(g, b, &x, &mut y, Some(&mut at));
    for (i, (&got, &want)) in y.iter().zip(&want).enumerate() {
        assert!(same(got, want), "{what}: output {i} is {got}, want {want}");
    }
    assert_eq!(at, want_at, "{what}: argmax");
    let mut y = vec![T::of(9.0); b * g.out_len()];
    max_pool2d_forward(g, b, &x, &mut y, None);
    assert!(y.iter().zip(&want).all(|(&a, &b)| same(a, b)), "{what}: without argmax");
}

/// Backward on one geometry and batch against the reference's argmax.
fn check_backward<T: crate::Scalar>(what: &str, g: &Window2d, b: usize, seed: u64) {
    let x = inputs::<T>(b * g.in_len(), seed);
    let (_, at) = reference_forward(g, b, &x);
    let dy = values::<T>(b * g.out_len(), seed + 100, 0.2);
    let mut want = vec![0.0; b * g.in_len()];
    let out = g.pixels();
    for (o, (&i, &d)) in at.iter().zip(&dy).enumerate() {
        want[(o / out) * g.h * g.w + i as usize] += d.as_f64();
    }
    // garbage first: every input gradient must be written
    let mut dx = vec![T::of(9.0); b * g.in_len()];
    max_pool2d_backward(g, b, &at, &dy, &mut dx);
    // at most n = kh·kw windows share an input, each adding a dy below 1:
    // n additions, each off by at most ε times a partial sum below n
    let n = (g.kh * g.kw) as f64;
    let tol = crate::kernels::testing::epsilon::<T>() * n * n;
    for (i, (&got, &want)) in dx.iter().zip(&want).enumerate() {
        assert!(
            (got.as_f64() - want).abs() <= tol,
            "{what}: dx[{i}] is {got}, want {want}"
        );
    }
}

fn matches_reference<T: crate::Scalar>() {
    on_each_path(|path| {
        for (gi, g) in GEOMETRIES.iter().enumerate() {
            for b in [1, 7] {
                let what = format!("{path}, {} {g:?}, batch {b}", core::any::type_name::<T>());
                check_forward::<T>(&what, g, b, gi as u64 + 1);
                check_backward::<T>(&what, g, b, gi as u64 + 100);
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

/// A pooling of random shape: windows 1–6 on each axis, strides 1–4 each,
/// padding up to one less than the window on each side (the most a window
/// may have and still hold a pixel), planes of 1–20.
fn random_geometry(stream: &mut Stream) -> Window2d {
    loop {
        let (kh, kw) = (stream.below(1..=6), stream.below(1..=6));
        let (sh, sw) = (stream.below(1..=4), stream.below(1..=4));
        let padding = if stream.chance(0.4) {
            Padding::ZERO
        } else {
            pad(
                stream.below(0..=kh - 1),
                stream.below(0..=kh - 1),
                stream.below(0..=kw - 1),
                stream.below(0..=kw - 1),
            )
        };
        let (h, w) = (stream.below(1..=20), stream.below(1..=20));
        let g = Window2d::pool(stream.below(1..=3), (h, w), (kh, kw), (sh, sw), padding);
        if g.hp() >= kh && g.wp() >= kw {
            return g;
        }
    }
}

/// Both backends on seeded random shapes (the book's window among them, so
/// the AVX-512 kernels see odd sides and several vectors per row), forward
/// and backward, against the reference.
fn random_geometries_match_reference<T: crate::Scalar>() {
    let mut stream = Stream::new(0x9001);
    for case in 0..300 {
        let g = if case % 5 == 0 {
            let (h, w) = (stream.below(2..=40), stream.below(2..=70));
            geom(stream.below(1..=3), h, w, 2, 2)
        } else {
            random_geometry(&mut stream)
        };
        let b = stream.below(1..=3);
        on_each_path(|path| {
            let what = format!("{path}, {} {g:?}, batch {b}", core::any::type_name::<T>());
            check_forward::<T>(&what, &g, b, case);
            check_backward::<T>(&what, &g, b, case + 7);
        });
    }
}

#[test]
fn random_geometries_match_reference_f32() {
    random_geometries_match_reference::<f32>();
}

#[test]
fn random_geometries_match_reference_f64() {
    random_geometries_match_reference::<f64>();
}

/// The documented rule on single windows: NaN wins (the first of
/// several) and takes the gradient; ties go to the first maximum.
fn nan_and_ties<T: crate::Scalar>() {
    on_each_path(|path| {
        let g = geom(1, 2, 2, 2, 2);
        let nan = T::nan();
        let one = T::ONE;
        let cases: [([T; 4], u32); 7] = [
            ([one, nan, nan, one + one], 1),
            ([T::ZERO, one, T::ZERO, nan], 3),
            ([nan, one, one, one], 0),
            ([one, one, one, one], 0),
            ([T::ZERO, one + one, one, one + one], 1),
            (
                [
                    T::neg_infinity(),
                    T::neg_infinity(),
                    T::neg_infinity(),
                    T::neg_infinity(),
                ],
                0,
            ),
            ([-one, T::infinity(), T::infinity(), nan], 3),
        ];
        for (x, want) in cases {
            let (mut y, mut at) = ([T::ZERO], [9]);
            max_pool2d_forward(&g, 1, &x, &mut y, Some(&mut at));
            assert_eq!(at[0], want, "{path}: {x:?}");
            assert!(same(y[0], x[want as usize]), "{path}: {x:?} gives {}", y[0]);
            let mut dx = [T::of(5.0); 4];
            max_pool2d_backward(&g, 1, &at, &[T::of(3.0)], &mut dx);
            for (i, d) in dx.iter().enumerate() {
                assert_eq!(d.as_f64(), if i == want as usize { 3.0 } else { 0.0 }, "{path}: {x:?}");
            }
        }
    });
}

#[test]
fn nan_and_ties_f32() {
    nan_and_ties::<f32>();
}

#[test]
fn nan_and_ties_f64() {
    nan_and_ties::<f64>();
}

#[test]
#[should_panic(expected = "no pixel")]
fn padding_as_large_as_the_window_panics() {
    let g = Window2d::pool(1, (4, 4), (2, 2), (2, 2), pad(0, 0, 2, 0));
    max_pool2d_forward(&g, 1, &[0.0f32; 16], &mut [0.0; 6], None);
}

#[test]
#[should_panic]
fn argmax_outside_its_plane_panics() {
    let g = geom(1, 4, 4, 2, 2);
    max_pool2d_backward(&g, 1, &[0, 1, 2, 16], &[1.0f32; 4], &mut [0.0; 16]);
}
