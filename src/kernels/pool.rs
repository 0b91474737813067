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
//! Written as "take `v` if `!(v <= best)` while `best` is not NaN", which is
//! branch-free, so the compiler vectorises the common 2×2 stride-2 case.
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
/// is the first NaN. Strict, so ties keep the earlier value.
#[inline(always)]
fn beats<T: crate::Scalar>(v: T, best: T) -> bool {
    // `best == best` is false only for NaN, which nothing replaces
    #[allow(clippy::eq_op)]
    let settled = best != best;
    !(v <= best) & !settled
}

/// One `H × W` plane: `y` (and `argmax`, when `TRACK`) for every window.
#[inline(always)]
fn plane<T: crate::Scalar, const TRACK: bool>(g: &PoolGeometry, x: &[T], y: &mut [T], argmax: &mut [u32]) {
    let (wo, w, s, ps) = (g.wo(), g.w, g.stride, g.size);
    if ps == 2 && s == 2 {
        // the book's pooling: two input rows per output row, pairs of
        // columns; the fixed window lets the compiler vectorise it
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
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if super::avx512::available() {
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        return unsafe { forward_wide(&g, x, y, argmax) };
    }
    forward_planes(&g, x, y, argmax)
}

/// [`forward_planes`] compiled for AVX-512.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f")]
fn forward_wide<T: crate::Scalar>(g: &PoolGeometry, x: &[T], y: &mut [T], argmax: Option<&mut [u32]>) {
    forward_planes(g, x, y, argmax)
}

/// Every plane of the batch.
#[inline(always)]
fn forward_planes<T: crate::Scalar>(g: &PoolGeometry, x: &[T], y: &mut [T], argmax: Option<&mut [u32]>) {
    let g = *g;
    let (hw, out) = (g.h * g.w, g.ho() * g.wo());
    match argmax {
        Some(argmax) => {
            assert_eq!(argmax.len(), y.len(), "max pool argmax length");
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
/// window's maximum (`argmax`, from [`max_pool2d_forward`]), which receives
/// that window's `dy`, summed where overlapping windows share a maximum.
///
/// # Panics
/// If a slice's length does not match `geom` and `b`, or an argmax is
/// outside its plane.
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
