//! The portable max-pooling loops: any window, strides and padding.

use super::Window2d;

/// `true` if `v` replaces `best` as a window's maximum: it is larger, or it
/// is the first NaN. Strict, so ties keep the earlier value; `&` and `|`
/// rather than `&&` and `||`, so there is no branch.
#[inline(always)]
fn beats<T: crate::Scalar>(v: T, best: T) -> bool {
    ((v > best) | v.is_nan()) & !best.is_nan()
}

/// One `H × W` plane: `y` (and `argmax`, when `TRACK`) for every window.
#[inline(always)]
pub(super) fn plane<T: crate::Scalar, const TRACK: bool>(g: &Window2d, x: &[T], y: &mut [T], argmax: &mut [u32]) {
    let (rows, cols) = (g.rows(), g.cols());
    let (wo, w) = (cols.out(), g.w);
    if (g.kh, g.kw, g.sh, g.sw) == (2, 2, 2, 2) && g.pad == crate::kernels::Padding::ZERO {
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
        // the window's rows inside the image (never none: see `check`)
        let (window_rows, ih) = rows.taps_inside(oh);
        for (ow, o) in out.iter_mut().enumerate() {
            let (window_cols, iw) = cols.taps_inside(ow);
            let first = ih * w + iw;
            let (mut best, mut best_at) = (x[first], first);
            for r in 0..window_rows.len() {
                let row = first + r * w;
                for (i, &v) in x[row..][..window_cols.len()].iter().enumerate() {
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

/// The gradient of max pooling: each `dy` added to the input its argmax
/// names, everything else zero.
pub(super) fn backward<T: crate::Scalar>(g: &Window2d, argmax: &[u32], dy: &[T], dx: &mut [T]) {
    let (hw, out) = (g.h * g.w, g.pixels());
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
