//! The int8 sums in plain Rust, for every target: what the vector kernels
//! must equal, and what a microcontroller runs. No heap, no floating point.
//!
//! Sums are exact int32 arithmetic, wrapping where TFLite's would overflow
//! (it never does at these sizes); wrapping addition is associative, so
//! any order of the terms gives the same bits, which is what lets the
//! vector kernels sum in their own order.

/// Input values per block of the dot products: the input minus its zero
/// point is widened to `i16` a block at a time, on the stack.
const BLOCK: usize = 256;

/// `acc[o] += Σ_i (w[o][i] − zw) · (x[i] − zx)` for one input row `x` of
/// `n` values and weights `w` of `acc.len()` rows of `n`: TFLite's fully
/// connected sum, before the bias.
#[inline]
pub(crate) fn dot_rows(x: &[i8], zx: i32, w: &[i8], zw: i32, acc: &mut [i32]) {
    let n = x.len();
    let mut xs = [0i16; BLOCK];
    let mut start = 0;
    while start < n {
        let len = BLOCK.min(n - start);
        let mut sum_x = 0i32;
        for (s, &v) in xs[..len].iter_mut().zip(&x[start..start + len]) {
            // x − zx of int8 codes and an int8 zero point fits an i16
            *s = (i32::from(v) - zx) as i16;
            sum_x = sum_x.wrapping_add(i32::from(*s));
        }
        let xs = &xs[..len];
        for (o, a) in acc.iter_mut().enumerate() {
            let row = &w[o * n + start..][..len];
            let mut s = 0i32;
            for (&w, &x) in row.iter().zip(xs) {
                s = s.wrapping_add(i32::from(w) * i32::from(x));
            }
            *a = a.wrapping_add(s).wrapping_sub(zw.wrapping_mul(sum_x));
        }
        start += len;
    }
}

/// One output channel's int32 sums of a convolution over one image in
/// typenet's channel-major layout: `plane[oy·wo + ox] += Σ w[c][ky][kx] ·
/// (x[ic(c)][iy][ix] − zx)` over the taps inside the input (padding adds
/// nothing, as in TFLite's reference kernels). `channels` lists the input
/// channels the filter reads, `filter` holds `KH·KW` weights for each.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn conv_plane(
    x: &[i8],
    (h, w): (usize, usize),
    channels: core::ops::Range<usize>,
    zx: i32,
    filter: &[i8],
    window: &crate::quant::Window2d,
    (ho, wo): (usize, usize),
    plane: &mut [i32],
) {
    let (kh, kw) = (window.filter_height, window.filter_width);
    let (sh, sw) = (window.stride_height, window.stride_width);
    let (pt, pl) = (window.pad_top, window.pad_left);
    // the outputs whose tap `k` lands inside a side of `n`: from
    // ceil((pad − k) / s) to floor((n − 1 + pad − k) / s)
    let valid = |k: usize, pad: usize, s: usize, n: usize, out: usize| {
        let first = pad.saturating_sub(k).div_ceil(s);
        let last = (n - 1 + pad).checked_sub(k).map(|v| v / s + 1).unwrap_or(0).min(out);
        first..last.max(first)
    };
    for (k, ic) in channels.enumerate() {
        let xc = &x[ic * h * w..][..h * w];
        for ky in 0..kh {
            let rows = valid(ky, pt, sh, h, ho);
            for kx in 0..kw {
                let wv = i32::from(filter[(k * kh + ky) * kw + kx]);
                if wv == 0 {
                    continue;
                }
                let cols = valid(kx, pl, sw, w, wo);
                for oy in rows.clone() {
                    let iy = oy * sh + ky - pt;
                    let xr = &xc[iy * w..][..w];
                    let pr = &mut plane[oy * wo..][..wo];
                    for ox in cols.clone() {
                        let ix = ox * sw + kx - pl;
                        pr[ox] = pr[ox].wrapping_add(wv * (i32::from(xr[ix]) - zx));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_reference_sum_across_blocks() {
        let n = 700; // three blocks, the last short
        let x: Vec<i8> = (0..n).map(|i| (i * 37 % 256) as u8 as i8).collect();
        let w: Vec<i8> = (0..3 * n).map(|i| (i * 91 % 256) as u8 as i8).collect();
        for (zx, zw) in [(0, 0), (-128, 0), (127, 3), (-5, -2)] {
            let mut acc = [7i32; 3];
            dot_rows(&x, zx, &w, zw, &mut acc);
            for (o, a) in acc.iter().enumerate() {
                let want: i32 = (0..n)
                    .map(|i| (i32::from(w[o * n + i]) - zw) * (i32::from(x[i]) - zx))
                    .sum::<i32>()
                    + 7;
                assert_eq!(*a, want, "{zx} {zw}");
            }
        }
    }
}
