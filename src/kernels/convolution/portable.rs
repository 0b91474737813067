//! The portable column matrix and its adjoint, for the convolution as matrix
//! products: every tap's index range comes from the window's [`Axis`]
//! ranges, so a tap that only ever sees padding writes (or reads) zeros and
//! no index is computed for it.
//!
//! [`Axis`]: crate::kernels::window::Axis

use super::Window2d;

/// Writes one image's column matrix: `col[(ci·KH + i)·KW + j][oh·WO + ow]
/// = x[ci][oh·SH + i − top][ow·SW + j − left]`, zero where that falls in
/// the padding.
///
/// Each row of `col` is the image shifted by one kernel offset, so it is
/// written as runs copied from image rows.
pub(super) fn im2col<T: crate::Scalar>(g: &Window2d, x: &[T], col: &mut [T]) {
    let (rows, cols) = (g.rows(), g.cols());
    let wo = cols.out();
    let mut taps = col.chunks_exact_mut(g.pixels());
    for xc in x.chunks_exact(g.h * g.w) {
        for i in 0..g.kh {
            let ohs = rows.outputs_seeing(i);
            for j in 0..g.kw {
                let ows = cols.outputs_seeing(j);
                let row = taps.next().expect("col has taps × pixels values");
                if ohs.is_empty() || ows.is_empty() {
                    row.fill(T::ZERO);
                    continue;
                }
                row[..ohs.start * wo].fill(T::ZERO);
                row[ohs.end * wo..].fill(T::ZERO);
                // the input column of the first output that sees the image
                let iw = ows.start * g.sw + j - g.pad.left;
                for oh in ohs.clone() {
                    let out = &mut row[oh * wo..(oh + 1) * wo];
                    out[..ows.start].fill(T::ZERO);
                    out[ows.end..].fill(T::ZERO);
                    let ih = oh * g.sh + i - g.pad.top;
                    let src = &xc[ih * g.w + iw..(ih + 1) * g.w];
                    let out = &mut out[ows.clone()];
                    if g.sw == 1 {
                        out.copy_from_slice(&src[..out.len()]);
                    } else {
                        out.iter_mut().zip(src.iter().step_by(g.sw)).for_each(|(o, &v)| *o = v);
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds every entry of `col` to the input pixel
/// it was copied from (padding entries are dropped). `dx` must be zeroed by
/// the caller; overlapping windows accumulate.
pub(super) fn col2im<T: crate::Scalar>(g: &Window2d, col: &[T], dx: &mut [T]) {
    let (rows, cols) = (g.rows(), g.cols());
    let wo = cols.out();
    let mut taps = col.chunks_exact(g.pixels());
    for dxc in dx.chunks_exact_mut(g.h * g.w) {
        for i in 0..g.kh {
            let ohs = rows.outputs_seeing(i);
            for j in 0..g.kw {
                let ows = cols.outputs_seeing(j);
                let row = taps.next().expect("col has taps × pixels values");
                if ohs.is_empty() || ows.is_empty() {
                    continue;
                }
                let iw = ows.start * g.sw + j - g.pad.left;
                for oh in ohs.clone() {
                    let ih = oh * g.sh + i - g.pad.top;
                    let dst = &mut dxc[ih * g.w + iw..(ih + 1) * g.w];
                    let src = &row[oh * wo + ows.start..oh * wo + ows.end];
                    if g.sw == 1 {
                        dst.iter_mut().zip(src).for_each(|(d, &v)| *d = *d + v);
                    } else {
                        dst.iter_mut().step_by(g.sw).zip(src).for_each(|(d, &v)| *d = *d + v);
                    }
                }
            }
        }
    }
}

/// The sum of `v` in 16 interleaved partial sums: a single running sum is
/// a chain of dependent additions that runs at one add per latency (4
/// cycles) and cannot vectorise.
pub(super) fn sum<T: crate::Scalar>(v: &[T]) -> T {
    let mut part = [T::ZERO; 16];
    let chunks = v.chunks_exact(16);
    let tail = chunks.remainder().iter().fold(T::ZERO, |s, &x| s + x);
    for c in chunks {
        part.iter_mut().zip(c).for_each(|(p, &x)| *p = *p + x);
    }
    part.iter().fold(tail, |s, &p| s + p)
}
