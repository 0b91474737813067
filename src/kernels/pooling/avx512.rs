//! AVX-512 kernels of the book's max pooling (2×2 windows side by side, no
//! padding), one body per direction instantiated for `f32` and `f64`, with
//! the rule of the [module docs](super): first maximum, first NaN wins.

/// `dst[from..]`, empty when `from` is past the end: the second vector of a
/// block at the end of a row.
#[inline(always)]
fn after<T>(dst: &mut [T], from: usize) -> &mut [T] {
    let from = from.min(dst.len());
    &mut dst[from..]
}

macro_rules! pooling {
    ($t:ident) => {
        /// The pooling kernels for this scalar type.
        pub(crate) mod $t {
            use super::after;
            use crate::kernels::avx512::$t::*;

            /// 2×2 stride-2 max pooling of whole `h × w` planes (any `h`,
            /// `w` ≥ 2; an odd last row or column is in no window), `LANES`
            /// outputs at a time: both input rows are split into even and
            /// odd columns, and each window's four values compared in
            /// row-major order.
            #[target_feature(enable = "avx512f")]
            pub(crate) fn forward(h: usize, w: usize, x: &[$t], y: &mut [$t], mut argmax: Option<&mut [u32]>) {
                let (ho, wo) = (h / 2, w / 2);
                let twice = doubled_lanes();
                let offsets = [1, w, w + 1].map(|o| index(o));
                let split =
                    |r: &[$t], from: usize| deinterleave(load(&r[from..]), load(&r[(from + LANES).min(r.len())..]));
                let mut out = 0;
                for xp in x.chunks_exact(h * w).take(y.len() / (ho * wo)) {
                    for oh in 0..ho {
                        let r0 = &xp[2 * oh * w..][..2 * wo];
                        let r1 = &xp[(2 * oh + 1) * w..][..2 * wo];
                        for ow0 in (0..wo).step_by(LANES) {
                            let n = (wo - ow0).min(LANES);
                            let ((a, b), (c, d)) = (split(r0, 2 * ow0), split(r1, 2 * ow0));
                            let (mut best, mut off) = (a, index(0));
                            for (v, o) in [b, c, d].into_iter().zip(offsets) {
                                let t = beats(v, best);
                                best = blend(t, best, v);
                                off = index_blend(t, off, o);
                            }
                            store_ahead(y, out, n, best);
                            if let Some(argmax) = argmax.as_deref_mut() {
                                let corner = index(2 * oh * w + 2 * ow0);
                                store_index_ahead(argmax, out, n, index_add(corner, index_add(twice, off)));
                            }
                            out += n;
                        }
                    }
                }
            }

            /// The gradient of [`forward`], `LANES` outputs at a time: each
            /// window's `dy` goes to the one of its four inputs its argmax
            /// names, zeros to the other three, and the two rows are
            /// interleaved back, so every `dx` value is written once.
            /// Panics if an argmax is outside its window.
            #[target_feature(enable = "avx512f")]
            pub(crate) fn backward(h: usize, w: usize, argmax: &[u32], dy: &[$t], dx: &mut [$t]) {
                let (ho, wo) = (h / 2, w / 2);
                let twice = doubled_lanes();
                for ((dxp, dyp), ap) in dx
                    .chunks_exact_mut(h * w)
                    .zip(dy.chunks_exact(ho * wo))
                    .zip(argmax.chunks_exact(ho * wo))
                {
                    for oh in 0..ho {
                        let (r0, r1) = dxp[2 * oh * w..(2 * oh + 2) * w].split_at_mut(w);
                        r0[2 * wo..].fill(0.0);
                        r1[2 * wo..].fill(0.0);
                        for ow0 in (0..wo).step_by(LANES) {
                            let n = (wo - ow0).min(LANES);
                            let valid = first(n);
                            let d = load(&dyp[oh * wo + ow0..][..n]);
                            let corner = index(2 * oh * w + 2 * ow0);
                            let at = load_index(&ap[oh * wo + ow0..][..n]);
                            let off = index_sub(at, index_add(corner, twice));
                            let is = |o: usize| index_eq(off, index(o));
                            let (ma, mb, mc, md) = (is(0), is(1), is(w), is(w + 1));
                            assert_eq!(
                                (ma | mb | mc | md) & valid,
                                valid,
                                "max pool argmax outside its window"
                            );
                            let (a, b, c, e) = (keep(ma, d), keep(mb, d), keep(mc, d), keep(md, d));
                            let (top, bottom) = (&mut r0[2 * ow0..2 * wo], &mut r1[2 * ow0..2 * wo]);
                            let ((t0, t1), (b0, b1)) = (interleave(a, b), interleave(c, e));
                            store(top, t0);
                            store(after(top, LANES), t1);
                            store(bottom, b0);
                            store(after(bottom, LANES), b1);
                        }
                    }
                    dxp[2 * ho * w..].fill(0.0);
                }
            }
        }
    };
}

pooling!(f32);
pooling!(f64);
