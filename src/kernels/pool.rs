#![cfg_attr(not(test), allow(dead_code))]
//! 2-D max pooling of a batch of images, forward and backward.
//!
//! Layout: `B × C × H × W` in, `B × C × HO × WO` out, with
//! `HO = (H − PS) / PST + 1` (no padding; a last partial window is dropped,
//! as in PyTorch and the book).
//!
//! Which input a window's maximum is, and so where its gradient goes:
//! - ties go to the first maximum in the window's row-major order;
//! - NaN propagates: the first NaN in a window is its maximum (output NaN),
//!   and the gradient goes to it.
//!
//! The 2×2 stride-2 case (the book's) has AVX-512 kernels; other windows,
//! and CPUs without AVX-512, take plain loops.
//!
//! The argmax of an output is the index of the chosen input within its own
//! `H × W` plane (image and channel), `ih·W + iw`, as PyTorch's
//! `max_pool2d(return_indices=True)` gives it.

/// The shape of a max pooling: channels and image size, a square `size ×
/// size` window moved `stride` pixels at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolGeometry {
    /// Channels.
    pub(crate) c: usize,
    /// Input rows.
    pub(crate) h: usize,
    /// Input columns.
    pub(crate) w: usize,
    /// Window side.
    pub(crate) size: usize,
    /// Step between neighbouring windows.
    pub(crate) stride: usize,
}

impl PoolGeometry {
    /// Output rows: `(H − PS) / PST + 1`.
    pub(crate) const fn ho(&self) -> usize {
        (self.h - self.size) / self.stride + 1
    }

    /// Output columns: `(W − PS) / PST + 1`.
    pub(crate) const fn wo(&self) -> usize {
        (self.w - self.size) / self.stride + 1
    }

    /// Values per input image: `C·H·W`.
    pub(crate) const fn in_len(&self) -> usize {
        self.c * self.h * self.w
    }

    /// Values per output image: `C·HO·WO`.
    pub(crate) const fn out_len(&self) -> usize {
        self.c * self.ho() * self.wo()
    }

    /// Panics unless the geometry has at least one window, and plane indices
    /// fit the `u32` argmax.
    fn check(&self) {
        assert!(
            self.c > 0 && self.size > 0 && self.stride > 0 && self.h >= self.size && self.w >= self.size,
            "max pool needs a positive window and stride no larger than the image: {self:?}"
        );
        assert!(
            u32::try_from(self.h * self.w).is_ok(),
            "max pool plane too large for u32 indices"
        );
    }
}

/// `true` if `v` replaces `best` as a window's maximum: it is larger, or it
/// is the first NaN. Strict, so ties keep the earlier value; `&` and `|`
/// rather than `&&` and `||`, so there is no branch.
#[inline(always)]
fn beats<T: crate::Scalar>(v: T, best: T) -> bool {
    ((v > best) | v.is_nan()) & !best.is_nan()
}

/// One `H × W` plane: `y` (and `argmax`, when `TRACK`) for every window.
#[inline(always)]
fn plane<T: crate::Scalar, const TRACK: bool>(g: &PoolGeometry, x: &[T], y: &mut [T], argmax: &mut [u32]) {
    let (wo, w, s, ps) = (g.wo(), g.w, g.stride, g.size);
    if ps == 2 && s == 2 {
        // the book's pooling: two input rows per output row, pairs of
        // columns, three branch-free comparisons per window
        for (oh, out) in y.chunks_exact_mut(wo).enumerate() {
            let r0 = &x[2 * oh * w..2 * oh * w + 2 * wo];
            let r1 = &x[(2 * oh + 1) * w..(2 * oh + 1) * w + 2 * wo];
            let at = if TRACK {
                &mut argmax[oh * wo..(oh + 1) * wo]
            } else {
                &mut [][..]
            };
            let base = (2 * oh * w) as u32;
            for ow in 0..wo {
                let (a, b, c, d) = (r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]);
                let (mut best, mut off) = (a, 0);
                let t = beats(b, best);
                (best, off) = if t { (b, 1) } else { (best, off) };
                let t = beats(c, best);
                (best, off) = if t { (c, w as u32) } else { (best, off) };
                let t = beats(d, best);
                (best, off) = if t { (d, w as u32 + 1) } else { (best, off) };
                out[ow] = best;
                if TRACK {
                    at[ow] = base + 2 * ow as u32 + off;
                }
            }
        }
        return;
    }
    for (oh, out) in y.chunks_exact_mut(wo).enumerate() {
        for (ow, o) in out.iter_mut().enumerate() {
            let first = oh * s * w + ow * s;
            let (mut best, mut best_at) = (x[first], first);
            for dh in 0..ps {
                let row = first + dh * w;
                for (i, &v) in x[row..row + ps].iter().enumerate() {
                    if beats(v, best) {
                        (best, best_at) = (v, row + i);
                    }
                }
            }
            *o = best;
            if TRACK {
                argmax[oh * wo + ow] = best_at as u32;
            }
        }
    }
}

/// `y` = the maximum of every window of `x`, for `b` images; `argmax`, if
/// given, receives each output's input index within its `H × W` plane
/// (what [`max_pool2d_backward`] needs). Leave it out for inference.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
pub(crate) fn max_pool2d_forward<T: crate::Scalar>(
    geom: &PoolGeometry,
    b: usize,
    x: &[T],
    y: &mut [T],
    argmax: Option<&mut [u32]>,
) {
    let g = *geom;
    g.check();
    assert_eq!(x.len(), b * g.in_len(), "max pool input length");
    assert_eq!(y.len(), b * g.out_len(), "max pool output length");
    if let Some(argmax) = argmax.as_deref() {
        assert_eq!(argmax.len(), y.len(), "max pool argmax length");
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    let argmax = {
        let mut argmax = argmax;
        if g.size == 2 && g.stride == 2 && super::conv_avx512::pool2_forward(g.h, g.w, x, y, argmax.as_deref_mut()) {
            return;
        }
        argmax
    };
    let (hw, out) = (g.h * g.w, g.ho() * g.wo());
    match argmax {
        Some(argmax) => {
            for ((xp, yp), ap) in x
                .chunks_exact(hw)
                .zip(y.chunks_exact_mut(out))
                .zip(argmax.chunks_exact_mut(out))
            {
                plane::<T, true>(&g, xp, yp, ap);
            }
        }
        None => {
            for (xp, yp) in x.chunks_exact(hw).zip(y.chunks_exact_mut(out)) {
                plane::<T, false>(&g, xp, yp, &mut []);
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
pub(crate) fn max_pool2d_backward<T: crate::Scalar>(
    geom: &PoolGeometry,
    b: usize,
    argmax: &[u32],
    dy: &[T],
    dx: &mut [T],
) {
    let g = *geom;
    g.check();
    assert_eq!(dx.len(), b * g.in_len(), "max pool input gradient length");
    assert_eq!(dy.len(), b * g.out_len(), "max pool output gradient length");
    assert_eq!(argmax.len(), dy.len(), "max pool argmax length");
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if g.size == 2 && g.stride == 2 && super::conv_avx512::pool2_backward(g.h, g.w, argmax, dy, dx) {
        return;
    }
    let (hw, out) = (g.h * g.w, g.ho() * g.wo());
    dx.fill(T::ZERO);
    for ((dxp, dyp), ap) in dx
        .chunks_exact_mut(hw)
        .zip(dy.chunks_exact(out))
        .zip(argmax.chunks_exact(out))
    {
        for (&d, &i) in dyp.iter().zip(ap) {
            let at = &mut dxp[i as usize];
            *at = *at + d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::conv::tests::{on_each_path, values};
    use std::vec::Vec;

    const fn geom(c: usize, h: usize, w: usize, size: usize, stride: usize) -> PoolGeometry {
        PoolGeometry { c, h, w, size, stride }
    }

    /// The book's 2×2 stride 2 (the fast path) on even, odd and wide planes
    /// (more than one vector of outputs per row), and other windows and
    /// strides, overlapping or leaving pixels out.
    const GEOMETRIES: [PoolGeometry; 11] = [
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
    ];

    /// The maximum of each window from the definition: the first NaN if
    /// there is one, else the first of the largest values.
    fn reference_forward<T: crate::Scalar>(g: &PoolGeometry, b: usize, x: &[T]) -> (Vec<T>, Vec<u32>) {
        let (ho, wo) = (g.ho(), g.wo());
        let (mut y, mut at) = (Vec::new(), Vec::new());
        for plane in x.chunks_exact(g.h * g.w).take(b * g.c) {
            for oh in 0..ho {
                for ow in 0..wo {
                    let window = (0..g.size)
                        .flat_map(|dh| (0..g.size).map(move |dw| (oh * g.stride + dh) * g.w + ow * g.stride + dw));
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

    fn forward_matches_reference<T: crate::Scalar>() {
        on_each_path(|path| {
            for (gi, g) in GEOMETRIES.iter().enumerate() {
                for b in [1, 7] {
                    let what = format!("{path}, {} {g:?}, batch {b}", core::any::type_name::<T>());
                    let x = inputs::<T>(b * g.in_len(), gi as u64 + 1);
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
            for (gi, g) in GEOMETRIES.iter().enumerate() {
                for b in [1, 7] {
                    let what = format!("{path}, {} {g:?}, batch {b}", core::any::type_name::<T>());
                    let x = inputs::<T>(b * g.in_len(), gi as u64 + 100);
                    let (_, at) = reference_forward(g, b, &x);
                    let dy = values::<T>(b * g.out_len(), gi as u64 + 200, 0.2);
                    let mut want = vec![0.0; b * g.in_len()];
                    let out = g.ho() * g.wo();
                    for (o, (&i, &d)) in at.iter().zip(&dy).enumerate() {
                        want[(o / out) * g.h * g.w + i as usize] += d.as_f64();
                    }
                    // garbage first: every input gradient must be written
                    let mut dx = vec![T::of(9.0); b * g.in_len()];
                    max_pool2d_backward(g, b, &at, &dy, &mut dx);
                    for (i, (&got, &want)) in dx.iter().zip(&want).enumerate() {
                        // at most size² sums into one input
                        let tol = if size_of::<T>() == 4 { 1e-6 } else { 1e-15 } * (g.size * g.size) as f64;
                        assert!(
                            (got.as_f64() - want).abs() <= tol,
                            "{what}: dx[{i}] is {got}, want {want}"
                        );
                    }
                }
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
    #[should_panic]
    fn argmax_outside_its_plane_panics() {
        let g = geom(1, 4, 4, 2, 2);
        max_pool2d_backward(&g, 1, &[0, 1, 2, 16], &[1.0f32; 4], &mut [0.0; 16]);
    }
}
