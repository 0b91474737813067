//! AVX-512 products for `f32` and `f64`, chosen at run time when the CPU has
//! the instructions.
//!
//! One register-blocked micro-kernel computes a tile of 6 rows of C by up to
//! four vectors of columns, keeping all 24 accumulators in registers across
//! the whole k loop. It reads A and B where they are (row-major, or A
//! transposed for xᵀ·dy) with no packing: at a layer's sizes B is small
//! enough to stay in cache, and skipping the copy is what makes batch-100
//! products fast. Loads and stores are masked to the valid prefix of each
//! slice, so every access stays inside the slice it was given.
//!
//! The k loop visits only the indices where some row of the tile's A is not
//! zero. Inputs such as images are mostly zeros (MNIST: 81 % of pixels; in
//! any 6 images, 57 % of pixel positions are zero in all of them), and a
//! skipped term is one that adds exactly zero, so the result is the same as
//! the full loop's, bit for bit, apart from the sign of a zero. NaN and
//! infinity are never skipped. Which entries are zero is found once per
//! product, as a bitmap, from which each tile's list of k indices is read.

use core::arch::x86_64::*;
use core::cell::RefCell;

/// Rows of C per tile.
const MR: usize = 6;

thread_local! {
    /// The nonzero bitmap of a product's A, reused across calls.
    static BITS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// The k indices a tile visits, reused across calls.
    static KS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// What a product does with the zero bitmap of its A besides using it.
pub(crate) enum Memo<'a> {
    /// Nothing: the bitmap is built and dropped.
    None,
    /// Keep a copy of the row-major bitmap of A (m × k) here; left empty
    /// when the product builds none (a non-finite B, or nothing to multiply).
    Keep(&'a mut alloc::vec::Vec<u64>),
    /// A's bitmap is this row-major one of the matrix A is the transpose
    /// of (its rows are A's columns): rearrange it instead of scanning A.
    Reuse(&'a [u64]),
}

/// Where A's element (i, p) is: row-major (`a[i·lda + p]`) or transposed
/// (`a[p·lda + i]`, for xᵀ·dy).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ALayout {
    RowMajor,
    Transposed,
}

/// Which entries of A are nonzero, one bit each, as 64-bit words.
///
/// Row-major A (m × k): `words` words per row i, bit p of row i.
/// Transposed A (A(i, p) = x\[p\]\[i\] for an input x of k rows and m columns):
/// word-major, `bits[w·k + p]` holds columns 64w..64w+63 of input row p, so
/// one tile's test over all p is a run of consecutive words.
struct Bitmap<'a> {
    bits: &'a [u64],
    words: usize,
}

/// Writes `ks[found..]` with the indices `base + j` for the set bits j of
/// `mask` (16 candidates), in order; returns the new count.
///
/// # Safety-relevant contract
/// `ks` must have room for 16 more entries after `found`; checked.
#[inline]
#[target_feature(enable = "avx512f")]
fn push_indices(ks: &mut [u32], found: usize, base: u32, mask: __mmask16) -> usize {
    let lanes = _mm512_add_epi32(
        _mm512_set1_epi32(base as i32),
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    );
    // compress in a register and store all 16 lanes: a compress straight to
    // memory is microcoded and slow on some CPUs (AMD Zen 4)
    let packed = _mm512_maskz_compress_epi32(mask, lanes);
    crate::kernels::avx512::store_u32x16(&mut ks[found..found + 16], packed);
    found + mask.count_ones() as usize
}

/// The k indices where rows `i0..i0 + rows` of A are not all zero, written
/// to `ks` (which must hold k + 16 entries); returns how many.
#[inline]
#[target_feature(enable = "avx512f")]
fn nonzero_ks(layout: ALayout, map: &Bitmap<'_>, k: usize, i0: usize, rows: usize, ks: &mut [u32]) -> usize {
    let mut found = 0;
    match layout {
        ALayout::RowMajor => {
            for w in 0..map.words {
                let mut any = 0u64;
                for r in 0..rows {
                    any |= map.bits[(i0 + r) * map.words + w];
                }
                // 16 candidates at a time, compressed in a register: far
                // fewer steps than one per set bit when half of them are set
                for quarter in 0..4 {
                    let mask = (any >> (16 * quarter)) as u16;
                    if mask != 0 {
                        found = push_indices(ks, found, (64 * w + 16 * quarter) as u32, mask);
                    }
                }
            }
        }
        ALayout::Transposed => {
            // bits i0..i0 + rows of each input row p, 16 rows p at a time
            let (w, shift) = (i0 / 64, (i0 % 64) as u64);
            let select = _mm512_set1_epi64(((1u128 << rows) - 1) as i64);
            let straddles = shift as usize + rows > 64;
            let word = |p: usize, w: usize| -> __m512i {
                let run = &map.bits[(w * k + p).min(map.bits.len())..];
                let run = &run[..run.len().min(8).min(k - p)];
                let mask = ((1u32 << run.len()) - 1) as __mmask8;
                // SAFETY: a masked load reads only the first `run.len()`
                // lanes, all inside `run`.
                unsafe { _mm512_maskz_loadu_epi64(mask, run.as_ptr().cast()) }
            };
            for p0 in (0..k).step_by(16) {
                let mut halves = [0 as __mmask8; 2];
                for (h, half) in halves.iter_mut().enumerate() {
                    let p = p0 + 8 * h;
                    if p >= k {
                        break;
                    }
                    let mut v = _mm512_srl_epi64(word(p, w), _mm_set_epi64x(0, shift as i64));
                    if straddles {
                        let high = _mm512_sll_epi64(word(p, w + 1), _mm_set_epi64x(0, (64 - shift) as i64));
                        v = _mm512_or_si512(v, high);
                    }
                    *half = _mm512_test_epi64_mask(v, select);
                }
                let mask = halves[0] as u16 | (halves[1] as u16) << 8;
                found = push_indices(ks, found, p0 as u32, mask);
            }
        }
    }
    found
}

macro_rules! products {
    ($t:ident) => {
        /// The product for this scalar type.
        pub(crate) mod $t {
            use super::*;
            use crate::kernels::avx512::$t::{LANES, fma, load, nonzero, splat, store, zero};

            /// The nonzero bitmap of the matrix `x` (rows × cols,
            /// row-major) in the layout `layout` reads it in.
            #[target_feature(enable = "avx512f")]
            fn bitmap(layout: ALayout, x: &[$t], rows: usize, cols: usize, bits: &mut Vec<u64>) -> usize {
                let words = cols.div_ceil(64);
                bits.clear();
                bits.resize(rows * words, 0);
                for (i, row) in x.chunks_exact(cols).take(rows).enumerate() {
                    for (w, run) in row.chunks(64).enumerate() {
                        // one word: 64 / LANES vector compares, independent
                        // of each other until they are joined
                        let mut word = 0u64;
                        if let Ok(run) = <&[$t; 64]>::try_from(run) {
                            let masks: [u64; 64 / LANES] =
                                core::array::from_fn(|c| nonzero(load(&run[c * LANES..(c + 1) * LANES])) as u64);
                            for (c, m) in masks.iter().enumerate() {
                                word |= m << (c * LANES);
                            }
                        } else {
                            for (c, chunk) in run.chunks(LANES).enumerate() {
                                word |= (nonzero(load(chunk)) as u64) << (c * LANES);
                            }
                        }
                        let at = match layout {
                            ALayout::RowMajor => i * words + w,
                            ALayout::Transposed => w * rows + i,
                        };
                        bits[at] = word;
                    }
                }
                words
            }

            /// One tile: rows `i0..i0 + rows` (rows ≤ MR) of C, columns
            /// `j0..j0 + w` (w ≤ NV·LANES), C (+)= A·B over the k indices
            /// `ks`.
            #[inline]
            #[target_feature(enable = "avx512f")]
            #[allow(clippy::too_many_arguments)]
            fn tile<const NV: usize>(
                layout: ALayout,
                ks: &[u32],
                a: &[$t],
                lda: usize,
                i0: usize,
                rows: usize,
                b: &[$t],
                ldb: usize,
                j0: usize,
                w: usize,
                c: &mut [$t],
                ldc: usize,
                accumulate: bool,
            ) {
                let mut acc = [[zero(); NV]; MR];
                if accumulate {
                    for r in 0..rows {
                        let row = &c[r * ldc + j0..r * ldc + j0 + w];
                        for v in 0..NV {
                            acc[r][v] = load(&row[(v * LANES).min(w)..]);
                        }
                    }
                }
                // rows past the end repeat the last row (their results are
                // discarded), so the loop body is the same for every tile
                let row_of = |r: usize| i0 + r.min(rows - 1);
                for &p in ks {
                    let p = p as usize;
                    let brow = &b[p * ldb + j0..p * ldb + j0 + w];
                    let mut bv = [zero(); NV];
                    for v in 0..NV {
                        bv[v] = load(&brow[(v * LANES).min(w)..]);
                    }
                    for r in 0..MR {
                        let x = match layout {
                            ALayout::RowMajor => a[row_of(r) * lda + p],
                            ALayout::Transposed => a[p * lda + row_of(r)],
                        };
                        let x = splat(x);
                        for v in 0..NV {
                            acc[r][v] = fma(x, bv[v], acc[r][v]);
                        }
                    }
                }
                for r in 0..rows {
                    let row = &mut c[r * ldc + j0..r * ldc + j0 + w];
                    for v in 0..NV {
                        store(&mut row[(v * LANES).min(w)..], acc[r][v]);
                    }
                }
            }

            /// Rows `i0..i0 + c.len() / n` of C[m×n] = A[m×k]·B[k×n];
            /// `map` is `None` when no k index may be skipped.
            #[target_feature(enable = "avx512f")]
            #[allow(clippy::too_many_arguments)]
            fn rows(
                layout: ALayout,
                map: Option<&Bitmap<'_>>,
                k: usize,
                n: usize,
                a: &[$t],
                lda: usize,
                i0: usize,
                b: &[$t],
                c: &mut [$t],
                accumulate: bool,
            ) {
                let m = c.len() / n;
                let block = 4 * LANES;
                KS.with(|ks| {
                    let mut ks = ks.borrow_mut();
                    ks.resize(k + 16, 0);
                    if map.is_none() {
                        for (p, slot) in ks.iter_mut().enumerate().take(k) {
                            *slot = p as u32;
                        }
                    }
                    for r0 in (0..m).step_by(MR) {
                        let rows = MR.min(m - r0);
                        let i = i0 + r0;
                        let found = match map {
                            Some(map) => nonzero_ks(layout, map, k, i, rows, &mut ks),
                            None => k,
                        };
                        let ks = &ks[..found];
                        let c = &mut c[r0 * n..];
                        for j0 in (0..n).step_by(block) {
                            let w = block.min(n - j0);
                            match w.div_ceil(LANES) {
                                1 => tile::<1>(layout, ks, a, lda, i, rows, b, n, j0, w, c, n, accumulate),
                                2 => tile::<2>(layout, ks, a, lda, i, rows, b, n, j0, w, c, n, accumulate),
                                3 => tile::<3>(layout, ks, a, lda, i, rows, b, n, j0, w, c, n, accumulate),
                                _ => tile::<4>(layout, ks, a, lda, i, rows, b, n, j0, w, c, n, accumulate),
                            }
                        }
                    }
                });
            }

            /// `c[m×k] = a·bᵀ` for `a[m×n]`, `b[k×n]`: `bᵀ` once into a
            /// buffer reused across calls (n×k), then a plain product, so
            /// O(n·k) copying for O(m·n·k) arithmetic.
            pub(crate) fn gemm_nt(m: usize, n: usize, k: usize, a: &[$t], b: &[$t], c: &mut [$t]) {
                thread_local! {
                    static BT: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
                }
                BT.with(|bt| {
                    let mut bt = bt.borrow_mut();
                    bt.clear();
                    bt.resize(n * k, 0.0);
                    for (j, row) in b[..k * n].chunks_exact(n.max(1)).enumerate() {
                        for (p, &v) in row.iter().enumerate() {
                            bt[p * k + j] = v;
                        }
                    }
                    gemm(ALayout::RowMajor, m, n, k, a, &bt, c, false, Memo::None)
                })
            }

            /// C[m×n] (+)= A·B with A (m×k) in `layout` and B (k×n) and C
            /// row-major, on the calling thread (several cores train
            /// data-parallel, each on its own rows).
            ///
            /// # Panics
            /// If a slice is shorter than its shape says.
            #[allow(clippy::too_many_arguments)]
            pub(crate) fn gemm(
                layout: ALayout,
                m: usize,
                k: usize,
                n: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                accumulate: bool,
                memo: Memo<'_>,
            ) {
                assert!(
                    crate::kernels::avx512_available(),
                    "AVX-512 kernels called on a CPU without AVX-512"
                );
                // a kept bitmap describes this product's A or nothing
                let memo = match memo {
                    Memo::Keep(kept) => {
                        kept.clear();
                        Memo::Keep(kept)
                    }
                    other => other,
                };
                if m == 0 || n == 0 {
                    return;
                }
                let (a, b, c) = (&a[..m * k], &b[..k * n], &mut c[..m * n]);
                if k == 0 {
                    // a sum of no terms
                    if !accumulate {
                        c.fill(0.0);
                    }
                    return;
                }
                let lda = match layout {
                    ALayout::RowMajor => k,
                    ALayout::Transposed => m,
                };
                // A skipped k index is one whose terms are all 0·B[p][j]:
                // exactly zero while B is finite, but NaN where B holds an
                // infinity or NaN. With a non-finite B every index is
                // visited, so the result is the plain product's, as the
                // portable loops give it.
                if !crate::kernels::finite(b) {
                    // SAFETY: `avx512_available()` said this CPU has AVX-512F.
                    unsafe { rows(layout, None, k, n, a, lda, 0, b, c, accumulate) };
                    return;
                }
                BITS.with(|bits| {
                    let mut bits = bits.borrow_mut();
                    // SAFETY (every call below): `avx512_available()` said this CPU
                    // has AVX-512F, the only feature these functions enable.
                    let words = match (layout, memo) {
                        (ALayout::Transposed, Memo::Reuse(kept)) => {
                            // the input x (k rows of m) was scanned by an
                            // earlier product: its words, word-major here
                            let words = m.div_ceil(64);
                            bits.clear();
                            bits.resize(k * words, 0);
                            for (i, row) in kept.chunks_exact(words).take(k).enumerate() {
                                for (w, &word) in row.iter().enumerate() {
                                    bits[w * k + i] = word;
                                }
                            }
                            words
                        }
                        (ALayout::RowMajor, memo) => {
                            let words = unsafe { bitmap(layout, a, m, k, &mut bits) };
                            if let Memo::Keep(kept) = memo {
                                kept.extend_from_slice(&bits);
                            }
                            words
                        }
                        (ALayout::Transposed, _) => unsafe { bitmap(layout, a, k, m, &mut bits) },
                    };
                    let map = Bitmap { bits: &bits, words };
                    unsafe { rows(layout, Some(&map), k, n, a, lda, 0, b, c, accumulate) };
                });
            }
        }
    };
}

products!(f32);
products!(f64);
