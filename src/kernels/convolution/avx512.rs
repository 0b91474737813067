//! The AVX-512 inner loops of the convolution (see the [module
//! docs](super) for the algorithms), one body per kernel instantiated for
//! `f32` and `f64`. Both read a zero-padded copy of the image with slack
//! after it, so that every load is a whole vector that stays inside it.

use crate::kernels::Window2d;
use crate::kernels::avx512::{load_u32, push_lanes};

/// Kernel row vectors per pass of the weight-gradient kernel: two sets of
/// accumulators for them fill 24 of the 32 vector registers.
const MAX_ROW_VECTORS: usize = 12;

macro_rules! convolution {
    ($t:ident) => {
        /// The convolution kernels for this scalar type.
        pub(crate) mod $t {
            use super::*;
            use crate::kernels::avx512::$t::*;

            /// One image's column matrix for a convolution whose columns
            /// move one pixel at a time (`sw == 1`, any `sh`), from its
            /// zero-padded planes `xp` (`cin × hp × wp`, then `LANES`
            /// values of slack): `col[(ci·kh + i)·kw + j][oh·wo + ow] =
            /// xp[ci][oh·sh + i][ow + j]`. `col` must hold `LANES` values
            /// more than its `taps × pixels`; they are overwritten.
            ///
            /// Each output row is a run of `wo` values of one padded input
            /// row, copied as whole vectors with no masks: the values past
            /// the run land where the next run (or the slack) is written
            /// after it.
            #[target_feature(enable = "avx512f")]
            pub(crate) fn im2col_image(g: &Window2d, xp: &[$t], col: &mut [$t]) {
                let (ho, wo) = (g.ho(), g.wo());
                let (hp, wp) = (g.hp(), g.wp());
                assert!(g.sw == 1, "column-strided im2col takes the portable path");
                assert!(xp.len() >= g.cin * hp * wp + LANES && col.len() >= g.taps() * ho * wo + LANES);
                let mut at = 0;
                for ci in 0..g.cin {
                    for i in 0..g.kh {
                        for j in 0..g.kw {
                            let mut src = (ci * hp + i) * wp + j;
                            for _ in 0..ho {
                                for c in (0..wo).step_by(LANES) {
                                    store_full(&mut col[at + c..], load_full(&xp[src + c..]));
                                }
                                at += wo;
                                src += g.sh * wp;
                            }
                        }
                    }
                }
            }

            /// One image's weight and bias gradients, added to `dw` and
            /// `db`: `dw[co][ci][i][j] += Σ dy[co][oh][ow]·xp[ci][oh·sh +
            /// i][ow·sw + j]` and `db[co] += Σ dy[co][oh][ow]`, where `xp`
            /// is the image with its zero padding (`cin × hp × wp`, then
            /// `LANES` values of slack).
            ///
            /// Only the nonzero entries of `dy` are visited (after max
            /// pooling and a ReLU, most are zero). For each, every kernel
            /// row of its input window is one vector load straight from
            /// `xp` (the `kw` values of the row, then values that fall in
            /// lanes nobody reads back), multiplied by the `dy` value into
            /// one accumulator per kernel row; so no column matrix is
            /// built. `corners` holds each output's window corner in `xp`
            /// (`ho·wo` rounded up to whole vectors), `list` and `vals`
            /// must hold `ho·wo + 16` entries, `offs` one per kernel row
            /// piece (`cin·kh·⌈kw/8⌉`).
            #[target_feature(enable = "avx512f,popcnt")]
            #[allow(clippy::too_many_arguments)]
            pub(crate) fn dweight_image(
                g: &Window2d,
                xp: &[$t],
                dy: &[$t],
                dw: &mut [$t],
                db: &mut [$t],
                corners: &[u32],
                list: &mut [u32],
                vals: &mut [$t],
                offs: &mut [u32],
            ) {
                let pixels = g.pixels();
                assert!(corners.len() >= pixels.next_multiple_of(LANES));
                let (hp, wp) = (g.hp(), g.wp());
                assert!(xp.len() >= g.cin * hp * wp + LANES);
                let chunks = g.kw.div_ceil(ROW_LANES);
                let rows = g.cin * g.kh * chunks;
                // where each kernel row vector starts, relative to the
                // window's top-left corner in xp
                for (r, off) in offs[..rows].iter_mut().enumerate() {
                    let (ci_i, c) = (r / chunks, r % chunks);
                    let (ci, i) = (ci_i / g.kh, ci_i % g.kh);
                    *off = ((ci * hp + i) * wp + c * ROW_LANES) as u32;
                }
                let offs = &offs[..rows];
                for ((plane, dwc), db) in dy.chunks_exact(pixels).zip(dw.chunks_exact_mut(g.taps())).zip(db) {
                    // the nonzero entries: their window corners and values
                    let mut found = 0;
                    let mut total = zero();
                    for (chunk, corner) in plane.chunks(LANES).zip(corners.chunks_exact(LANES)) {
                        let v = load(chunk);
                        total = add(total, v);
                        let m = nonzero(v);
                        store_full(&mut vals[found..], compress(m, v));
                        found = push_lanes(list, found, load_u32(corner), m as u16);
                    }
                    *db += sum(total);
                    if found == 0 {
                        continue;
                    }
                    let (list, vals) = (&list[..found], &vals[..found]);
                    for r0 in (0..rows).step_by(MAX_ROW_VECTORS) {
                        let args = (list, vals, xp, &offs[r0..], r0, chunks, g.kw, &mut *dwc);
                        match (rows - r0).min(MAX_ROW_VECTORS) {
                            1 => kernel_rows::<1>(args),
                            2 => kernel_rows::<2>(args),
                            3 => kernel_rows::<3>(args),
                            4 => kernel_rows::<4>(args),
                            5 => kernel_rows::<5>(args),
                            6 => kernel_rows::<6>(args),
                            7 => kernel_rows::<7>(args),
                            8 => kernel_rows::<8>(args),
                            9 => kernel_rows::<9>(args),
                            10 => kernel_rows::<10>(args),
                            11 => kernel_rows::<11>(args),
                            _ => kernel_rows::<12>(args),
                        }
                    }
                }
            }

            /// The kernel row vectors `r0..r0 + R` of [`dweight_image`] for
            /// one channel: two sets of `R` accumulators take alternate
            /// nonzeros (one set would make each multiply-add wait for the
            /// last), then are added to the gradient's kernel rows.
            #[inline(never)]
            #[target_feature(enable = "avx512f")]
            #[allow(clippy::type_complexity)]
            fn kernel_rows<const R: usize>(
                (list, vals, xp, offs, r0, chunks, kw, dw): (
                    &[u32],
                    &[$t],
                    &[$t],
                    &[u32],
                    usize,
                    usize,
                    usize,
                    &mut [$t],
                ),
            ) {
                let offs: &[u32; R] = offs[..R].try_into().expect("R offsets");
                let span = offs.iter().max().map_or(0, |&o| o as usize) + ROW_LANES;
                let (mut even, mut odd) = ([row_zero(); R], [row_zero(); R]);
                let (pairs, last) = (list.chunks_exact(2), vals.chunks_exact(2));
                if let (&[corner], &[d]) = (pairs.remainder(), last.remainder()) {
                    let (window, d) = (&xp[corner as usize..corner as usize + span], row_splat(d));
                    for (a, &off) in even.iter_mut().zip(offs) {
                        *a = row_fma(d, load_row(&window[off as usize..]), *a);
                    }
                }
                for (corners, ds) in pairs.zip(last) {
                    let w0 = &xp[corners[0] as usize..corners[0] as usize + span];
                    let w1 = &xp[corners[1] as usize..corners[1] as usize + span];
                    let (d0, d1) = (row_splat(ds[0]), row_splat(ds[1]));
                    for r in 0..R {
                        let off = offs[r] as usize;
                        even[r] = row_fma(d0, load_row(&w0[off..]), even[r]);
                        odd[r] = row_fma(d1, load_row(&w1[off..]), odd[r]);
                    }
                }
                for r in 0..R {
                    let piece = r0 + r;
                    let tap = (piece / chunks) * kw + (piece % chunks) * ROW_LANES;
                    let lanes = (kw - (piece % chunks) * ROW_LANES).min(ROW_LANES);
                    let out = &mut dw[tap..tap + lanes];
                    store(out, add(load(out), widen(row_add(even[r], odd[r]))));
                }
            }
        }
    };
}

convolution!(f32);
convolution!(f64);
