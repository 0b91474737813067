//! AVX-512 inner loops of the convolution and pooling kernels, chosen at
//! run time when the CPU has AVX-512F (see [`conv`](super::conv) and
//! [`pool`](super::pool) for the algorithms and the portable paths).
//!
//! Every entry point here takes generic slices, returns `false` when it does
//! not apply (another scalar type, no AVX-512), and then the caller runs its
//! portable loop; so the choice of path is invisible to callers and the
//! results agree up to rounding (tested against the same references).
//!
//! The `unsafe` here is of three kinds, each in one place: masked loads and
//! stores on slices (the mask never reaches past the slice), the reading of
//! a `[T]` as the `[f32]` or `[f64]` that `T` is (checked by `TypeId`), and
//! calls into `#[target_feature]` functions once the CPU is known to have
//! the feature.

use core::any::TypeId;
use core::arch::x86_64::*;

use super::conv::Conv2dGeometry;

/// `true` if this CPU runs these kernels: AVX-512F, and POPCNT (which
/// every AVX-512 CPU has) for counting the nonzero entries found.
pub(crate) fn available() -> bool {
    #[cfg(test)]
    if tests::PORTABLE.with(core::cell::Cell::get) {
        return false;
    }
    super::avx512::available() && std::is_x86_feature_detected!("popcnt")
}

/// `x` as a slice of `U`, if `T` is `U`.
#[inline(always)]
fn cast<T: 'static, U: 'static>(x: &[T]) -> Option<&[U]> {
    // SAFETY: `T` and `U` are the same type, so the pointer, length and
    // lifetime describe the same valid `[U]`.
    (TypeId::of::<T>() == TypeId::of::<U>()).then(|| unsafe { core::slice::from_raw_parts(x.as_ptr().cast(), x.len()) })
}

/// `x` as a mutable slice of `U`, if `T` is `U`.
#[inline(always)]
fn cast_mut<T: 'static, U: 'static>(x: &mut [T]) -> Option<&mut [U]> {
    // SAFETY: as in `cast`; the borrow of `x` moves into the result.
    (TypeId::of::<T>() == TypeId::of::<U>())
        .then(|| unsafe { core::slice::from_raw_parts_mut(x.as_mut_ptr().cast(), x.len()) })
}

/// `dst[from..]`, empty when `from` is past the end: the second vector of
/// a block at the end of a row.
#[inline(always)]
fn after<T>(dst: &mut [T], from: usize) -> &mut [T] {
    let from = from.min(dst.len());
    &mut dst[from..]
}

/// Writes all 16 lanes of `v` to `dst`, which must hold exactly 16.
#[inline]
#[target_feature(enable = "avx512f")]
fn store_u32x16(dst: &mut [u32], v: __m512i) {
    assert_eq!(dst.len(), 16);
    // SAFETY: `dst` has exactly 16 u32s, the width of the store.
    unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), v) }
}

/// The first `min(len, 16)` u32s of `src`, zeros after.
#[inline]
#[target_feature(enable = "avx512f")]
fn load_u32(src: &[u32]) -> __m512i {
    let n = src.len().min(16);
    // SAFETY: the masked load reads only the first `n` lanes, inside `src`.
    unsafe { _mm512_maskz_loadu_epi32(((1u32 << n) - 1) as __mmask16, src.as_ptr().cast()) }
}

/// Writes the first `min(len, 16)` lanes of `v` to `dst`.
#[inline]
#[target_feature(enable = "avx512f")]
fn store_u32(dst: &mut [u32], v: __m512i) {
    let n = dst.len().min(16);
    // SAFETY: the masked store writes only the first `n` lanes, inside `dst`.
    unsafe { _mm512_mask_storeu_epi32(dst.as_mut_ptr().cast(), ((1u32 << n) - 1) as __mmask16, v) }
}

/// Appends to `ks[found..]` the lanes of `lanes` whose bit is set in
/// `mask`, in order; `ks` must have 16 places from `found`. Returns the new
/// count.
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
fn push_lanes(ks: &mut [u32], found: usize, lanes: __m512i, mask: __mmask16) -> usize {
    // compress in a register, then store all 16 lanes: a compress straight
    // to memory is microcoded and slow on AMD Zen 4
    store_u32x16(&mut ks[found..found + 16], _mm512_maskz_compress_epi32(mask, lanes));
    found + mask.count_ones() as usize
}

/// Kernel row vectors per pass of the weight-gradient kernel: two sets of
/// accumulators for them fill 24 of the 32 vector registers.
const MAX_ROW_VECTORS: usize = 12;

macro_rules! kernels {
    ($t:ident, $v:ty, $lanes:expr, $mask:ty, $load:ident, $loadu:ident, $store:ident, $storeu:ident, $splat:ident, $fma:ident,
     $add:ident, $zero:ident, $cmpneq:ident, $reduce:ident, $compress:ident,
     $rv:ty, $rloadu:ident, $rfma:ident, $radd:ident, $rzero:ident, $rsplat:ident, $rwiden:ident) => {
        /// The kernels for one scalar type.
        pub(crate) mod $t {
            use super::*;

            /// Values per vector.
            pub(crate) const LANES: usize = $lanes;

            /// Values per kernel-row vector of the weight gradient: 8, half
            /// a vector for f32, since a 512-bit load that crosses a cache
            /// line (most do, at a window's arbitrary offset) costs two
            /// loads, and the kernels of a small conv are at most 8 wide.
            const ROW_LANES: usize = 8;

            /// The first `min(len, LANES)` elements of `src`, zeros after.
            #[inline]
            #[target_feature(enable = "avx512f")]
            fn load(src: &[$t]) -> $v {
                let n = src.len().min(LANES);
                // SAFETY: a masked load reads only the first `n` lanes, and
                // `n <= src.len()`.
                unsafe { $load(((1u32 << n) - 1) as $mask, src.as_ptr()) }
            }

            /// Writes the first `min(len, LANES)` lanes of `v` to `dst`.
            #[inline]
            #[target_feature(enable = "avx512f")]
            fn store(dst: &mut [$t], v: $v) {
                let n = dst.len().min(LANES);
                // SAFETY: a masked store writes only the first `n` lanes, and
                // `n <= dst.len()`.
                unsafe { $store(dst.as_mut_ptr(), ((1u32 << n) - 1) as $mask, v) }
            }

            /// All `LANES` values from the start of `src`, which must hold
            /// that many: a plain load.
            #[inline]
            #[target_feature(enable = "avx512f")]
            fn load_full(src: &[$t]) -> $v {
                assert!(src.len() >= LANES);
                // SAFETY: `src` has the `LANES` values loaded.
                unsafe { $loadu(src.as_ptr()) }
            }

            /// Writes all `LANES` lanes of `v` to `dst`, which must hold
            /// that many.
            #[inline]
            #[target_feature(enable = "avx512f")]
            fn store_full(dst: &mut [$t], v: $v) {
                assert!(dst.len() >= LANES);
                // SAFETY: `dst` has room for the `LANES` values stored.
                unsafe { $storeu(dst.as_mut_ptr(), v) }
            }

            #[cfg(test)]
            #[target_feature(enable = "avx512f")]
            pub(super) fn load_full_for_test(src: &[$t]) -> $v {
                load_full(src)
            }

            #[cfg(test)]
            #[target_feature(enable = "avx512f")]
            pub(super) fn store_full_for_test(dst: &mut [$t], v: $v) {
                store_full(dst, v)
            }

            #[cfg(test)]
            #[target_feature(enable = "avx512f")]
            pub(super) fn load_row_for_test(src: &[$t]) -> $rv {
                load_row(src)
            }

            /// One image's column matrix for a stride-1 convolution, from
            /// its zero-padded planes `xp` (`cin × hp × wp`, then `LANES`
            /// values of slack): `col[(ci·k + kh)·k + kw][oh·wo + ow] =
            /// xp[ci][oh + kh][ow + kw]`. `col` must hold `LANES` values
            /// more than its `taps × pixels`; they are overwritten.
            ///
            /// Each output row is a run of `wo` values of one padded input
            /// row, copied as whole vectors with no masks: the values past
            /// the run land where the next run (or the slack) is written
            /// after it.
            #[target_feature(enable = "avx512f")]
            pub(crate) fn im2col_image(g: &Conv2dGeometry, xp: &[$t], col: &mut [$t]) {
                let (ho, wo, k) = (g.ho(), g.wo(), g.k);
                let (hp, wp) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
                assert!(g.stride == 1, "strided im2col takes the portable path");
                assert!(xp.len() >= g.cin * hp * wp + LANES && col.len() >= g.taps() * ho * wo + LANES);
                let mut at = 0;
                for ci in 0..g.cin {
                    for kh in 0..k {
                        for kw in 0..k {
                            let mut src = (ci * hp + kh) * wp + kw;
                            for _ in 0..ho {
                                for c in (0..wo).step_by(LANES) {
                                    store_full(&mut col[at + c..], load_full(&xp[src + c..]));
                                }
                                at += wo;
                                src += wp;
                            }
                        }
                    }
                }
            }

            /// One image's weight and bias gradients, added to `dw` and
            /// `db`: `dw[co][ci][kh][kw] += Σ dy[co][oh][ow]·xp[ci][oh·S +
            /// kh][ow·S + kw]` and `db[co] += Σ dy[co][oh][ow]`, where `xp`
            /// is the image with its zero padding (`cin × hp × wp`, then
            /// `LANES` values of slack).
            ///
            /// Only the nonzero entries of `dy` are visited (after max
            /// pooling and a ReLU, 85 % of them are zero in SimpleConvNet).
            /// For each, every kernel row of its input window is one vector
            /// load straight from `xp` (the `k` values of the row, then
            /// values that fall in lanes nobody reads back), multiplied by
            /// the `dy` value into one accumulator per kernel row; so no
            /// column matrix is built. `list` and `vals` must hold `ho·wo +
            /// 16` entries, `offs` one per kernel row piece
            /// (`cin·k·⌈k/8⌉`).
            #[target_feature(enable = "avx512f,popcnt")]
            #[allow(clippy::too_many_arguments)]
            pub(crate) fn dweight_image(
                g: &Conv2dGeometry,
                xp: &[$t],
                dy: &[$t],
                dw: &mut [$t],
                db: &mut [$t],
                corners: &[u32],
                list: &mut [u32],
                vals: &mut [$t],
                offs: &mut [u32],
            ) {
                let (ho, wo, k) = (g.ho(), g.wo(), g.k);
                assert!(corners.len() >= (ho * wo).next_multiple_of(LANES));
                let (hp, wp) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
                assert!(xp.len() >= g.cin * hp * wp + LANES);
                let chunks = k.div_ceil(ROW_LANES);
                let rows = g.cin * k * chunks;
                // where each kernel row vector starts, relative to the
                // window's top-left corner in xp
                for (j, off) in offs[..rows].iter_mut().enumerate() {
                    let (ci_kh, c) = (j / chunks, j % chunks);
                    let (ci, kh) = (ci_kh / k, ci_kh % k);
                    *off = ((ci * hp + kh) * wp + c * ROW_LANES) as u32;
                }
                let offs = &offs[..rows];
                for ((plane, dwc), db) in dy
                    .chunks_exact(ho * wo)
                    .zip(dw.chunks_exact_mut(g.taps()))
                    .zip(db)
                {
                    // the nonzero entries: their window corners and values
                    let mut found = 0;
                    let mut sum = $zero();
                    for (chunk, corner) in plane.chunks(LANES).zip(corners.chunks_exact(LANES)) {
                        let v = load(chunk);
                        sum = $add(sum, v);
                        let nonzero = $cmpneq(v, $zero());
                        store_full(&mut vals[found..], $compress(nonzero, v));
                        found = push_lanes(list, found, load_u32(corner), nonzero as __mmask16);
                    }
                    *db += $reduce(sum);
                    if found == 0 {
                        continue;
                    }
                    let (list, vals) = (&list[..found], &vals[..found]);
                    for r0 in (0..rows).step_by(MAX_ROW_VECTORS) {
                        let args = (list, vals, xp, &offs[r0..], r0, chunks, k, &mut *dwc);
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
                (list, vals, xp, offs, r0, chunks, k, dw): (
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
                let (mut even, mut odd) = ([$rzero(); R], [$rzero(); R]);
                let (pairs, last) = (list.chunks_exact(2), vals.chunks_exact(2));
                if let (&[corner], &[d]) = (pairs.remainder(), last.remainder()) {
                    let (window, d) = (&xp[corner as usize..corner as usize + span], $rsplat(d));
                    for (a, &off) in even.iter_mut().zip(offs) {
                        *a = $rfma(d, load_row(&window[off as usize..]), *a);
                    }
                }
                for (corners, ds) in pairs.zip(last) {
                    let w0 = &xp[corners[0] as usize..corners[0] as usize + span];
                    let w1 = &xp[corners[1] as usize..corners[1] as usize + span];
                    let (d0, d1) = ($rsplat(ds[0]), $rsplat(ds[1]));
                    for r in 0..R {
                        let off = offs[r] as usize;
                        even[r] = $rfma(d0, load_row(&w0[off..]), even[r]);
                        odd[r] = $rfma(d1, load_row(&w1[off..]), odd[r]);
                    }
                }
                for r in 0..R {
                    let j = r0 + r;
                    let tap = (j / chunks) * k + (j % chunks) * ROW_LANES;
                    let lanes = (k - (j % chunks) * ROW_LANES).min(ROW_LANES);
                    let out = &mut dw[tap..tap + lanes];
                    store(out, $add(load(out), $rwiden($radd(even[r], odd[r]))));
                }
            }

            /// `ROW_LANES` values from the start of `src`, which must hold
            /// that many: one kernel row (or a piece of a long one).
            #[inline]
            #[target_feature(enable = "avx512f")]
            fn load_row(src: &[$t]) -> $rv {
                assert!(src.len() >= ROW_LANES);
                // SAFETY: `src` has the `ROW_LANES` values loaded.
                unsafe { $rloadu(src.as_ptr()) }
            }
        }
    };
}

kernels!(
    f32,
    __m512,
    16,
    __mmask16,
    _mm512_maskz_loadu_ps,
    _mm512_loadu_ps,
    _mm512_mask_storeu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps,
    _mm512_setzero_ps,
    _mm512_cmpneq_ps_mask,
    _mm512_reduce_add_ps,
    _mm512_maskz_compress_ps,
    __m256,
    _mm256_loadu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm512_zextps256_ps512
);
kernels!(
    f64,
    __m512d,
    8,
    __mmask8,
    _mm512_maskz_loadu_pd,
    _mm512_loadu_pd,
    _mm512_mask_storeu_pd,
    _mm512_storeu_pd,
    _mm512_set1_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd,
    _mm512_setzero_pd,
    _mm512_cmpneq_pd_mask,
    _mm512_reduce_add_pd,
    _mm512_maskz_compress_pd,
    __m512d,
    _mm512_loadu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    same_pd
);

/// The identity, where f32 widens a half vector to a whole one.
#[inline(always)]
fn same_pd(v: __m512d) -> __m512d {
    v
}

/// [`f32::im2col_image`] or [`f64::im2col_image`] for `T`; `false` if it
/// does not apply (a stride other than 1, or no AVX-512).
pub(crate) fn im2col_image<T: crate::Scalar>(g: &Conv2dGeometry, xp: &[T], col: &mut [T]) -> bool {
    if g.stride != 1 || !available() {
        return false;
    }
    if let Some(xp) = cast(xp) {
        let col = cast_mut(col).expect("same type as xp");
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        unsafe { f32::im2col_image(g, xp, col) };
        return true;
    }
    if let Some(xp) = cast(xp) {
        let col = cast_mut(col).expect("same type as xp");
        // SAFETY: as above.
        unsafe { f64::im2col_image(g, xp, col) };
        return true;
    }
    false
}

/// [`f32::dweight_image`] or [`f64::dweight_image`] for `T`; `false` if
/// the CPU lacks the features.
#[allow(clippy::too_many_arguments)]
pub(crate) fn dweight_image<T: crate::Scalar>(
    g: &Conv2dGeometry,
    xp: &[T],
    dy: &[T],
    dw: &mut [T],
    db: &mut [T],
    corners: &[u32],
    list: &mut [u32],
    vals: &mut [T],
    offs: &mut [u32],
) -> bool {
    if !available() {
        return false;
    }
    if let (Some(xp), Some(dy)) = (cast(xp), cast(dy)) {
        let (dw, db, vals) = (
            cast_mut(dw).expect("same type"),
            cast_mut(db).expect("same type"),
            cast_mut(vals).expect("same type"),
        );
        // SAFETY: the CPU has AVX-512F and POPCNT, the function's features.
        unsafe { f32::dweight_image(g, xp, dy, dw, db, corners, list, vals, offs) };
        return true;
    }
    if let (Some(xp), Some(dy)) = (cast(xp), cast(dy)) {
        let (dw, db, vals) = (
            cast_mut(dw).expect("same type"),
            cast_mut(db).expect("same type"),
            cast_mut(vals).expect("same type"),
        );
        // SAFETY: as above.
        unsafe { f64::dweight_image(g, xp, dy, dw, db, corners, list, vals, offs) };
        return true;
    }
    false
}

/// Lane indices that interleave two vectors' lanes 0..8, and 8..16.
#[inline]
#[target_feature(enable = "avx512f")]
fn interleave_low() -> __m512i {
    _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
}

#[inline]
#[target_feature(enable = "avx512f")]
fn interleave_high() -> __m512i {
    _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)
}

/// The lanes `lo..lo + 16` of `n` and `n + 1`: the indices that pick the
/// even or odd elements of two concatenated 16-lane vectors.
#[inline]
#[target_feature(enable = "avx512f")]
fn every_other(first: i32) -> __m512i {
    _mm512_add_epi32(
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
        _mm512_set1_epi32(first),
    )
}

/// Writes the first `n` lanes of `v` to `dst[at..]`. When a whole vector
/// fits there, it writes all 16 with a plain store (cheaper than a masked
/// one): the caller writes `dst` in increasing order, so whatever lands past
/// `n` is overwritten later.
#[inline]
#[target_feature(enable = "avx512f")]
fn store_ahead_f32(dst: &mut [f32], at: usize, n: usize, v: __m512) {
    let dst = &mut dst[at..];
    if dst.len() >= 16 {
        // SAFETY: `dst` has room for the 16 values stored.
        unsafe { _mm512_storeu_ps(dst.as_mut_ptr(), v) }
    } else {
        let n = n.min(dst.len());
        // SAFETY: the masked store writes only the first `n` lanes, inside `dst`.
        unsafe { _mm512_mask_storeu_ps(dst.as_mut_ptr(), ((1u32 << n) - 1) as __mmask16, v) }
    }
}

/// [`store_ahead_f32`] for f64 (8 lanes).
#[inline]
#[target_feature(enable = "avx512f")]
fn store_ahead_f64(dst: &mut [f64], at: usize, n: usize, v: __m512d) {
    let dst = &mut dst[at..];
    if dst.len() >= 8 {
        // SAFETY: `dst` has room for the 8 values stored.
        unsafe { _mm512_storeu_pd(dst.as_mut_ptr(), v) }
    } else {
        let n = n.min(dst.len());
        // SAFETY: the masked store writes only the first `n` lanes, inside `dst`.
        unsafe { _mm512_mask_storeu_pd(dst.as_mut_ptr(), ((1u32 << n) - 1) as __mmask8, v) }
    }
}

/// [`store_ahead_f32`] for 16 u32 lanes.
#[inline]
#[target_feature(enable = "avx512f")]
fn store_ahead_u32(dst: &mut [u32], at: usize, n: usize, v: __m512i) {
    let dst = &mut dst[at..];
    if dst.len() >= 16 {
        store_u32x16(&mut dst[..16], v);
    } else {
        let n = n.min(dst.len());
        store_u32(&mut dst[..n], v);
    }
}

/// [`store_ahead_f32`] for 8 lanes of 64 bits narrowed to u32.
#[inline]
#[target_feature(enable = "avx512f")]
fn store_ahead_u32_from_u64(dst: &mut [u32], at: usize, n: usize, v: __m512i) {
    let narrow = _mm512_cvtepi64_epi32(v);
    let dst = &mut dst[at..];
    if dst.len() >= 8 {
        // SAFETY: `dst` has room for the 8 u32s stored.
        unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), narrow) }
    } else {
        let n = n.min(dst.len());
        store_u32(&mut dst[..n], _mm512_castsi256_si512(narrow));
    }
}

/// Whether `v` replaces `best` in each lane: larger, or the first NaN
/// (`v` not ≤ `best`, while `best` is not NaN). Strict, so ties keep the
/// earlier value.
#[inline]
#[target_feature(enable = "avx512f")]
fn beats_f32(v: __m512, best: __m512) -> __mmask16 {
    _mm512_mask_cmp_ps_mask::<_CMP_NLE_UQ>(_mm512_cmp_ps_mask::<_CMP_ORD_Q>(best, best), v, best)
}

/// [`beats_f32`] for f64.
#[inline]
#[target_feature(enable = "avx512f")]
fn beats_f64(v: __m512d, best: __m512d) -> __mmask8 {
    _mm512_mask_cmp_pd_mask::<_CMP_NLE_UQ>(_mm512_cmp_pd_mask::<_CMP_ORD_Q>(best, best), v, best)
}

/// 2×2 stride-2 max pooling of `h × w` planes (f32), 16 outputs at a time:
/// both input rows are split into even and odd columns, and the window's
/// four values compared in row-major order with the rule of
/// [`pool`](super::pool) (first maximum; first NaN wins).
#[target_feature(enable = "avx512f")]
fn pool2_forward_f32(h: usize, w: usize, x: &[f32], y: &mut [f32], mut argmax: Option<&mut [u32]>) {
    let (ho, wo) = (h / 2, w / 2);
    let (even, odd) = (every_other(0), every_other(1));
    let twice = every_other(0);
    let offsets = [1, w as i32, w as i32 + 1].map(|o| _mm512_set1_epi32(o));
    let split = |r: &[f32], from: usize| {
        let (lo, hi) = (load_f32(&r[from..]), load_f32(&r[(from + 16).min(r.len())..]));
        (
            _mm512_permutex2var_ps(lo, even, hi),
            _mm512_permutex2var_ps(lo, odd, hi),
        )
    };
    let mut out = 0;
    for xp in x.chunks_exact(h * w).take(y.len() / (ho * wo)) {
        for oh in 0..ho {
            let r0 = &xp[2 * oh * w..2 * oh * w + 2 * wo];
            let r1 = &xp[(2 * oh + 1) * w..(2 * oh + 1) * w + 2 * wo];
            for ow0 in (0..wo).step_by(16) {
                let n = (wo - ow0).min(16);
                let ((a, b), (c, d)) = (split(r0, 2 * ow0), split(r1, 2 * ow0));
                let (mut best, mut off) = (a, _mm512_setzero_si512());
                for (v, o) in [b, c, d].into_iter().zip(offsets) {
                    let t = beats_f32(v, best);
                    best = _mm512_mask_blend_ps(t, best, v);
                    off = _mm512_mask_blend_epi32(t, off, o);
                }
                store_ahead_f32(y, out, n, best);
                if let Some(argmax) = argmax.as_deref_mut() {
                    let corner = _mm512_set1_epi32((2 * oh * w + 2 * ow0) as i32);
                    store_ahead_u32(argmax, out, n, _mm512_add_epi32(corner, _mm512_add_epi32(twice, off)));
                }
                out += n;
            }
        }
    }
}

/// [`pool2_forward_f32`] for f64, 8 outputs at a time; the argmax lanes are
/// 64-bit and narrowed when stored.
#[target_feature(enable = "avx512f")]
fn pool2_forward_f64(h: usize, w: usize, x: &[f64], y: &mut [f64], mut argmax: Option<&mut [u32]>) {
    let (ho, wo) = (h / 2, w / 2);
    let even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    let odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    let twice = even;
    let offsets = [1, w as i64, w as i64 + 1].map(|o| _mm512_set1_epi64(o));
    let split = |r: &[f64], from: usize| {
        let (lo, hi) = (load_f64(&r[from..]), load_f64(&r[(from + 8).min(r.len())..]));
        (
            _mm512_permutex2var_pd(lo, even, hi),
            _mm512_permutex2var_pd(lo, odd, hi),
        )
    };
    let mut out = 0;
    for xp in x.chunks_exact(h * w).take(y.len() / (ho * wo)) {
        for oh in 0..ho {
            let r0 = &xp[2 * oh * w..2 * oh * w + 2 * wo];
            let r1 = &xp[(2 * oh + 1) * w..(2 * oh + 1) * w + 2 * wo];
            for ow0 in (0..wo).step_by(8) {
                let n = (wo - ow0).min(8);
                let ((a, b), (c, d)) = (split(r0, 2 * ow0), split(r1, 2 * ow0));
                let (mut best, mut off) = (a, _mm512_setzero_si512());
                for (v, o) in [b, c, d].into_iter().zip(offsets) {
                    let t = beats_f64(v, best);
                    best = _mm512_mask_blend_pd(t, best, v);
                    off = _mm512_mask_blend_epi64(t, off, o);
                }
                store_ahead_f64(y, out, n, best);
                if let Some(argmax) = argmax.as_deref_mut() {
                    let corner = _mm512_set1_epi64((2 * oh * w + 2 * ow0) as i64);
                    store_ahead_u32_from_u64(argmax, out, n, _mm512_add_epi64(corner, _mm512_add_epi64(twice, off)));
                }
                out += n;
            }
        }
    }
}

/// The first `min(len, 16)` values of `src`, zeros after.
#[inline]
#[target_feature(enable = "avx512f")]
fn load_f32(src: &[f32]) -> __m512 {
    let n = src.len().min(16);
    // SAFETY: the masked load reads only the first `n` lanes, inside `src`.
    unsafe { _mm512_maskz_loadu_ps(((1u32 << n) - 1) as __mmask16, src.as_ptr()) }
}

/// The first `min(len, 8)` values of `src`, zeros after.
#[inline]
#[target_feature(enable = "avx512f")]
fn load_f64(src: &[f64]) -> __m512d {
    let n = src.len().min(8);
    // SAFETY: the masked load reads only the first `n` lanes, inside `src`.
    unsafe { _mm512_maskz_loadu_pd(((1u32 << n) - 1) as __mmask8, src.as_ptr()) }
}

/// 2×2 stride-2 max pooling of whole `h × w` planes (any `h`, `w` ≥ 2; an
/// odd last row or column is in no window). `false` if it does not apply.
pub(crate) fn pool2_forward<T: crate::Scalar>(
    h: usize,
    w: usize,
    x: &[T],
    y: &mut [T],
    argmax: Option<&mut [u32]>,
) -> bool {
    if !available() {
        return false;
    }
    if let Some(x) = cast(x) {
        let y = cast_mut(y).expect("same type as x");
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        unsafe { pool2_forward_f32(h, w, x, y, argmax) };
        return true;
    }
    if let Some(x) = cast(x) {
        let y = cast_mut(y).expect("same type as x");
        // SAFETY: as above.
        unsafe { pool2_forward_f64(h, w, x, y, argmax) };
        return true;
    }
    false
}

/// The gradient of 2×2 stride-2 max pooling, f32, 16 outputs at a time:
/// each window's `dy` goes to the one of its four inputs its argmax names,
/// zeros to the other three, and the two rows are interleaved back, so every
/// `dx` value is written once. Panics if an argmax is outside its window.
#[target_feature(enable = "avx512f")]
fn pool2_backward_f32(h: usize, w: usize, argmax: &[u32], dy: &[f32], dx: &mut [f32]) {
    let (ho, wo) = (h / 2, w / 2);
    let (low, high) = (interleave_low(), interleave_high());
    let twice = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let store = |d: &mut [f32], v: __m512| {
        let n = d.len().min(16);
        // SAFETY: the masked store writes only the first `n` lanes, inside `d`.
        unsafe { _mm512_mask_storeu_ps(d.as_mut_ptr(), ((1u32 << n) - 1) as __mmask16, v) }
    };
    for ((dxp, dyp), ap) in dx
        .chunks_exact_mut(h * w)
        .zip(dy.chunks_exact(ho * wo))
        .zip(argmax.chunks_exact(ho * wo))
    {
        for oh in 0..ho {
            let (r0, r1) = dxp[2 * oh * w..(2 * oh + 2) * w].split_at_mut(w);
            r0[2 * wo..].fill(0.0);
            r1[2 * wo..].fill(0.0);
            for ow0 in (0..wo).step_by(16) {
                let n = (wo - ow0).min(16);
                let valid = ((1u32 << n) - 1) as __mmask16;
                let d = {
                    let s = &dyp[oh * wo + ow0..];
                    // SAFETY: the masked load reads only the first `n` lanes,
                    // and the slice has at least `n`.
                    unsafe { _mm512_maskz_loadu_ps(valid, s.as_ptr()) }
                };
                let base = _mm512_set1_epi32((2 * oh * w + 2 * ow0) as i32);
                let off = _mm512_sub_epi32(
                    load_u32(&ap[oh * wo + ow0..(oh + 1) * wo]),
                    _mm512_add_epi32(base, twice),
                );
                let is = |o: i32| _mm512_cmpeq_epi32_mask(off, _mm512_set1_epi32(o));
                let (ma, mb, mc, md) = (is(0), is(1), is(w as i32), is(w as i32 + 1));
                assert_eq!((ma | mb | mc | md) & valid, valid, "max pool argmax outside its window");
                let pick = |m| _mm512_maskz_mov_ps(m, d);
                let (a, b, c, e) = (pick(ma), pick(mb), pick(mc), pick(md));
                let (top, bottom) = (&mut r0[2 * ow0..2 * wo], &mut r1[2 * ow0..2 * wo]);
                store(top, _mm512_permutex2var_ps(a, low, b));
                store(after(top, 16), _mm512_permutex2var_ps(a, high, b));
                store(bottom, _mm512_permutex2var_ps(c, low, e));
                store(after(bottom, 16), _mm512_permutex2var_ps(c, high, e));
            }
        }
        dxp[2 * ho * w..].fill(0.0);
    }
}

/// [`pool2_backward_f32`] for f64, 8 outputs at a time.
#[target_feature(enable = "avx512f")]
fn pool2_backward_f64(h: usize, w: usize, argmax: &[u32], dy: &[f64], dx: &mut [f64]) {
    let (ho, wo) = (h / 2, w / 2);
    let low = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    let high = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    let twice = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    let store = |d: &mut [f64], v: __m512d| {
        let n = d.len().min(8);
        // SAFETY: the masked store writes only the first `n` lanes, inside `d`.
        unsafe { _mm512_mask_storeu_pd(d.as_mut_ptr(), ((1u32 << n) - 1) as __mmask8, v) }
    };
    for ((dxp, dyp), ap) in dx
        .chunks_exact_mut(h * w)
        .zip(dy.chunks_exact(ho * wo))
        .zip(argmax.chunks_exact(ho * wo))
    {
        for oh in 0..ho {
            let (r0, r1) = dxp[2 * oh * w..(2 * oh + 2) * w].split_at_mut(w);
            r0[2 * wo..].fill(0.0);
            r1[2 * wo..].fill(0.0);
            for ow0 in (0..wo).step_by(8) {
                let n = (wo - ow0).min(8);
                let valid = ((1u32 << n) - 1) as __mmask8;
                let s = &dyp[oh * wo + ow0..];
                // SAFETY: the masked load reads only the first `n` lanes, and
                // the slice has at least `n`.
                let d = unsafe { _mm512_maskz_loadu_pd(valid, s.as_ptr()) };
                let at = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(load_u32(&ap[oh * wo + ow0..][..n])));
                let base = _mm512_set1_epi64((2 * oh * w + 2 * ow0) as i64);
                let off = _mm512_sub_epi64(at, _mm512_add_epi64(base, twice));
                let is = |o: i64| _mm512_cmpeq_epi64_mask(off, _mm512_set1_epi64(o));
                let (ma, mb, mc, md) = (is(0), is(1), is(w as i64), is(w as i64 + 1));
                assert_eq!((ma | mb | mc | md) & valid, valid, "max pool argmax outside its window");
                let pick = |m| _mm512_maskz_mov_pd(m, d);
                let (a, b, c, e) = (pick(ma), pick(mb), pick(mc), pick(md));
                let (top, bottom) = (&mut r0[2 * ow0..2 * wo], &mut r1[2 * ow0..2 * wo]);
                store(top, _mm512_permutex2var_pd(a, low, b));
                store(after(top, 8), _mm512_permutex2var_pd(a, high, b));
                store(bottom, _mm512_permutex2var_pd(c, low, e));
                store(after(bottom, 8), _mm512_permutex2var_pd(c, high, e));
            }
        }
        dxp[2 * ho * w..].fill(0.0);
    }
}

/// The gradient of 2×2 stride-2 max pooling over whole planes; `false` if
/// it does not apply.
pub(crate) fn pool2_backward<T: crate::Scalar>(h: usize, w: usize, argmax: &[u32], dy: &[T], dx: &mut [T]) -> bool {
    if !available() {
        return false;
    }
    if let Some(dy) = cast(dy) {
        let dx = cast_mut(dx).expect("same type as dy");
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        unsafe { pool2_backward_f32(h, w, argmax, dy, dx) };
        return true;
    }
    if let Some(dy) = cast(dy) {
        let dx = cast_mut(dx).expect("same type as dy");
        // SAFETY: as above.
        unsafe { pool2_backward_f64(h, w, argmax, dy, dx) };
        return true;
    }
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::vec::Vec;

    std::thread_local! {
        /// Set by a test to run the portable loops on this thread even on
        /// an AVX-512 CPU, so both paths are tested on one machine.
        pub(crate) static PORTABLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    }

    /// The wrappers hold this module's `unsafe`: each must read and write
    /// only the slice it is given (or, for the whole-vector stores, only
    /// what it documents), whatever the slice's length and place. Under
    /// Miri (which runs these intrinsics when built with `-C
    /// target-feature=+avx512f`) any access outside is an error; natively
    /// the values are checked.
    #[test]
    fn masked_conv_wrappers_stay_in_their_slices() {
        // AVX-512F is all these need (POPCNT may be missing under Miri)
        if !crate::kernels::avx512::available() {
            return;
        }
        let data: Vec<f32> = (0..40).map(|i| i as f32 + 1.0).collect();
        let wide: Vec<f64> = data.iter().map(|&v| v as f64).collect();
        let ints: Vec<u32> = (1..=40).collect();
        for start in 0..data.len() {
            for end in start..=data.len().min(start + 18) {
                let n = end - start;
                let (slice, slice64, ints_slice) = (&data[start..end], &wide[start..end], &ints[start..end]);
                // SAFETY (every call below): the CPU, or Miri, has AVX-512F.
                let (v, v64, vi) = unsafe { (load_f32(slice), load_f64(slice64), load_u32(ints_slice)) };
                let mut lanes = [0.0f32; 16];
                let mut lanes64 = [0.0f64; 8];
                let mut int_lanes = [0u32; 16];
                unsafe {
                    store_ahead_f32(&mut lanes, 0, 16, v);
                    store_ahead_f64(&mut lanes64, 0, 8, v64);
                    store_u32x16(&mut int_lanes, vi);
                }
                assert_eq!(&lanes[..n.min(16)], &slice[..n.min(16)]);
                assert!(lanes[n.min(16)..].iter().all(|&v| v == 0.0));
                assert_eq!(&lanes64[..n.min(8)], &slice64[..n.min(8)]);
                assert_eq!(&int_lanes[..n.min(16)], &ints_slice[..n.min(16)]);

                // stores into a slice in the middle of a buffer change at
                // most one vector's worth, and nothing outside it
                let mut out = vec![-1.0f32; data.len()];
                let mut out64 = vec![-1.0f64; data.len()];
                let mut out_ints = vec![0u32; data.len()];
                unsafe {
                    store_ahead_f32(&mut out[start..end], 0, n, _mm512_set1_ps(5.0));
                    store_ahead_f64(&mut out64[start..end], 0, n, _mm512_set1_pd(5.0));
                    store_ahead_u32(&mut out_ints[start..end], 0, n, _mm512_set1_epi32(5));
                    store_ahead_u32_from_u64(&mut out_ints[start..end], 0, n.min(8), _mm512_set1_epi64(6));
                    store_u32(&mut out_ints[start..end], _mm512_set1_epi32(7));
                }
                for i in 0..data.len() {
                    let inside = i >= start && i < end;
                    assert_eq!(out[i] == -1.0, !inside || i - start >= 16);
                    assert_eq!(out64[i] == -1.0, !inside || i - start >= 8);
                    assert_eq!(out_ints[i] == 0, !inside || i - start >= 16);
                }

                if n >= 16 {
                    let mut out = vec![0.0f32; n];
                    unsafe { f32::store_full_for_test(&mut out, f32::load_full_for_test(slice)) };
                    assert_eq!(&out[..16], &slice[..16]);
                }
                if n >= 8 {
                    let mut out = vec![0.0f64; n];
                    unsafe { f64::store_full_for_test(&mut out, f64::load_full_for_test(slice64)) };
                    assert_eq!(&out[..8], &slice64[..8]);
                    // a kernel row: 8 values, half a vector for f32
                    let mut out = [0.0f32; 16];
                    unsafe { store_ahead_f32(&mut out, 0, 16, _mm512_zextps256_ps512(f32::load_row_for_test(slice))) };
                    assert_eq!(&out[..8], &slice[..8]);
                    let mut out = [0.0f64; 8];
                    unsafe { store_ahead_f64(&mut out, 0, 8, f64::load_row_for_test(slice64)) };
                    assert_eq!(&out[..], &slice64[..8]);
                }
                // (Miri cannot run the compress; `store_u32x16` is tested above)
                if !cfg!(miri) && std::is_x86_feature_detected!("popcnt") {
                    let mut list = vec![0u32; n + 16];
                    // SAFETY: the CPU has AVX-512F and POPCNT.
                    let found = unsafe { push_lanes(&mut list, n, _mm512_set1_epi32(9), 0b101) };
                    assert_eq!((found, &list[n..n + 2]), (n + 2, &[9, 9][..]));
                }
            }
        }
        let (x, y): (&[f32], Vec<f64>) = (&data, wide.clone());
        assert!(cast::<f32, f64>(x).is_none());
        assert_eq!(cast::<f64, f64>(&y).map(<[f64]>::len), Some(y.len()));
    }
}
