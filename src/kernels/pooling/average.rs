//! 2-D average pooling of a batch of images, forward and backward, in
//! portable loops (a pooling reads each input once or a few times, so it
//! is bound by memory, not arithmetic).
//!
//! A window's mean is over its pixels inside the image: padding is no
//! value, as in TFLite's AVERAGE_POOL_2D and PyTorch's
//! `count_include_pad=False`, so every window must hold a pixel.

use super::Window2d;
use crate::Scalar;

/// Panics unless `g` is a pooling whose every window holds a pixel.
fn check(g: &Window2d) {
    g.check();
    assert_eq!(g.cin, g.cout, "a pooling keeps its channels: {g:?}");
    let p = g.pad;
    assert!(
        p.top < g.kh && p.bottom < g.kh && p.left < g.kw && p.right < g.kw,
        "average pool padding as large as the window leaves windows with no pixel: {g:?}"
    );
}

/// The input rows (or columns) window `o` covers inside `0..n`.
fn span(o: usize, s: usize, k: usize, before: usize, n: usize) -> core::ops::Range<usize> {
    let start = (o * s).saturating_sub(before);
    let end = (o * s + k).saturating_sub(before).min(n);
    start..end
}

/// `y` = the mean of every window of `x`, for `b` images.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
pub(crate) fn avg_pool2d_forward<T: Scalar>(geom: &Window2d, b: usize, x: &[T], y: &mut [T]) {
    let g = *geom;
    check(&g);
    assert_eq!(x.len(), b * g.in_len(), "average pool input length");
    assert_eq!(y.len(), b * g.out_len(), "average pool output length");
    let (hw, out, (ho, wo)) = (g.h * g.w, g.pixels(), (g.ho(), g.wo()));
    for (xp, yp) in x.chunks_exact(hw).zip(y.chunks_exact_mut(out)) {
        for oy in 0..ho {
            let rows = span(oy, g.sh, g.kh, g.pad.top, g.h);
            for ox in 0..wo {
                let cols = span(ox, g.sw, g.kw, g.pad.left, g.w);
                let mut sum = T::ZERO;
                for iy in rows.clone() {
                    sum = sum
                        + xp[iy * g.w + cols.start..iy * g.w + cols.end]
                            .iter()
                            .copied()
                            .sum::<T>();
                }
                yp[oy * wo + ox] = sum / T::of((rows.len() * cols.len()) as f64);
            }
        }
    }
}

/// `dx` = the gradient of average pooling: each window's `dy` shared out
/// equally over its pixels, summed where windows overlap.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`.
pub(crate) fn avg_pool2d_backward<T: Scalar>(geom: &Window2d, b: usize, dy: &[T], dx: &mut [T]) {
    let g = *geom;
    check(&g);
    assert_eq!(dx.len(), b * g.in_len(), "average pool input gradient length");
    assert_eq!(dy.len(), b * g.out_len(), "average pool output gradient length");
    let (hw, out, (ho, wo)) = (g.h * g.w, g.pixels(), (g.ho(), g.wo()));
    dx.fill(T::ZERO);
    for (dyp, dxp) in dy.chunks_exact(out).zip(dx.chunks_exact_mut(hw)) {
        for oy in 0..ho {
            let rows = span(oy, g.sh, g.kh, g.pad.top, g.h);
            for ox in 0..wo {
                let cols = span(ox, g.sw, g.kw, g.pad.left, g.w);
                let share = dyp[oy * wo + ox] / T::of((rows.len() * cols.len()) as f64);
                for iy in rows.clone() {
                    for v in &mut dxp[iy * g.w + cols.start..iy * g.w + cols.end] {
                        *v = *v + share;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Padding;

    /// A 3×3 window at stride 2 with padding 1 over 4×4: corner windows
    /// hold 4 pixels, edge windows 6, against a sum written out by hand.
    #[test]
    fn windows_average_their_pixels_inside_the_image() {
        let pad = Padding {
            top: 1,
            bottom: 1,
            left: 1,
            right: 1,
        };
        let g = Window2d::pool(1, (4, 4), (3, 3), (2, 2), pad);
        assert_eq!((g.ho(), g.wo()), (2, 2));
        let x: Vec<f64> = (0..16).map(f64::from).collect();
        let mut y = vec![0.0; 4];
        avg_pool2d_forward(&g, 1, &x, &mut y);
        // window (0, 0): rows 0..2, cols 0..2 = 0, 1, 4, 5
        // window (0, 1): rows 0..2, cols 1..4 = 1, 2, 3, 5, 6, 7
        assert_eq!(y, [2.5, 4.0, 8.5, 10.0]);
        let mut dx = vec![0.0; 16];
        avg_pool2d_backward(&g, 1, &[4.0, 6.0, 0.0, 0.0], &mut dx);
        assert_eq!(dx[..4], [1.0, 2.0, 1.0, 1.0]);
        assert_eq!(dx[4..8], [1.0, 2.0, 1.0, 1.0]);
        assert_eq!(dx.iter().sum::<f64>(), 10.0, "the gradient is shared out, not copied");
    }
}
