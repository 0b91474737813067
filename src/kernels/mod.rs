//! Matrix products of row-major slices, the only heavy arithmetic in a net.
//!
//! Every layer calls these three shapes (x·W, xᵀ·dy, dy·Wᵀ) through the
//! [`Kernels`] methods of its scalar, so the choice of implementation lives
//! in one place: AVX-512 micro-kernels when the CPU has them (checked at run
//! time), portable loops otherwise and for products too small to benefit.

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512;

mod portable;

pub(crate) mod conv;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod conv_avx512;
pub(crate) mod pool;

/// Matrix products on row-major slices; implemented for `f32` and `f64`.
///
/// Not part of the public API: a detail of [`Scalar`](crate::Scalar).
#[doc(hidden)]
pub trait Kernels: Sized {
    /// `c[m×n] = a[m×k]·b[k×n]`, or `c += a·b` when `accumulate`.
    fn gemm_nn(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self], accumulate: bool);
    /// `c[k×n] = aᵀ·b` for `a[m×k]`, `b[m×n]`.
    fn gemm_tn(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self]);
    /// `c[m×k] = a·bᵀ` for `a[m×n]`, `b[k×n]`.
    fn gemm_nt(m: usize, n: usize, k: usize, a: &[Self], b: &[Self], c: &mut [Self]);
    /// [`gemm_nn`](Kernels::gemm_nn), keeping `a`'s zero pattern in `keep`.
    #[allow(clippy::too_many_arguments)]
    fn gemm_nn_keep(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        b: &[Self],
        c: &mut [Self],
        accumulate: bool,
        keep: &mut Nonzero,
    ) {
        keep.forget();
        Self::gemm_nn(m, k, n, a, b, c, accumulate)
    }
    /// [`gemm_tn`](Kernels::gemm_tn), reading `a`'s zero pattern from
    /// `kept` if it describes `a`.
    fn gemm_tn_reuse(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self], kept: &Nonzero) {
        let _ = kept;
        Self::gemm_tn(m, k, n, a, b, c)
    }
    /// `y = alpha·x`, element by element.
    fn scale(alpha: Self, x: &[Self], y: &mut [Self]);
    /// `y += alpha·x`, element by element.
    fn axpy(alpha: Self, x: &[Self], y: &mut [Self]);
    /// `true` if no value is NaN or infinite.
    fn finite(values: &[Self]) -> bool;
    /// `true` if every `y + alpha·x` is finite; writes nothing.
    fn axpy_finite(alpha: Self, x: &[Self], y: &[Self]) -> bool;
    /// `y = scale·bytes`, element by element.
    fn from_bytes(scale: Self, bytes: &[u8], y: &mut [Self]);
}

/// The elementwise loops, written once; each scalar compiles them for the
/// baseline CPU and again with AVX-512 enabled, and picks at run time.
mod elementwise {
    #[inline(always)]
    pub(crate) fn scale<T: Copy + core::ops::Mul<Output = T>>(alpha: T, x: &[T], y: &mut [T]) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = alpha * x);
    }

    #[inline(always)]
    pub(crate) fn axpy<T: Copy + core::ops::Mul<Output = T> + core::ops::Add<Output = T>>(
        alpha: T,
        x: &[T],
        y: &mut [T],
    ) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = *y + alpha * x);
    }

    macro_rules! finite {
        ($t:ident, $bits:ty, $exponent:expr) => {
            pub(crate) mod $t {
                /// Finite ⇔ the exponent bits are not all ones; the maximum of
                /// the masked bits needs no branch, so it vectorises.
                #[inline(always)]
                pub(crate) fn finite(values: &[$t]) -> bool {
                    values
                        .iter()
                        .map(|v| v.to_bits() & $exponent)
                        .fold(0, <$bits>::max)
                        != $exponent
                }

                /// The same test of `y + alpha·x`, never stored.
                #[inline(always)]
                pub(crate) fn axpy_finite(alpha: $t, x: &[$t], y: &[$t]) -> bool {
                    y.iter()
                        .zip(x)
                        .map(|(&y, &x)| (y + alpha * x).to_bits() & $exponent)
                        .fold(0, <$bits>::max)
                        != $exponent
                }
            }
        };
    }
    finite!(f32, u32, 0x7f80_0000);
    finite!(f64, u64, 0x7ff0_0000_0000_0000);
}

macro_rules! kernels_for {
    ($t:ident, $wide:ident) => {
        /// The elementwise loops compiled with AVX-512 enabled.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        mod $wide {
            #[target_feature(enable = "avx512f")]
            pub(super) fn scale(alpha: $t, x: &[$t], y: &mut [$t]) {
                super::elementwise::scale(alpha, x, y)
            }
            #[target_feature(enable = "avx512f")]
            pub(super) fn axpy(alpha: $t, x: &[$t], y: &mut [$t]) {
                super::elementwise::axpy(alpha, x, y)
            }
            #[target_feature(enable = "avx512f")]
            pub(super) fn finite(values: &[$t]) -> bool {
                super::elementwise::$t::finite(values)
            }
            #[target_feature(enable = "avx512f")]
            pub(super) fn axpy_finite(alpha: $t, x: &[$t], y: &[$t]) -> bool {
                super::elementwise::$t::axpy_finite(alpha, x, y)
            }
            #[target_feature(enable = "avx512f")]
            pub(super) fn from_bytes(scale: $t, bytes: &[u8], y: &mut [$t]) {
                y.iter_mut().zip(bytes).for_each(|(y, &b)| *y = scale * b as $t);
            }
        }

        impl Kernels for $t {
            fn scale(alpha: $t, x: &[$t], y: &mut [$t]) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    // SAFETY: the CPU has AVX-512F, the function's only feature.
                    return unsafe { $wide::scale(alpha, x, y) };
                }
                elementwise::scale(alpha, x, y)
            }

            fn axpy(alpha: $t, x: &[$t], y: &mut [$t]) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    // SAFETY: as above.
                    return unsafe { $wide::axpy(alpha, x, y) };
                }
                elementwise::axpy(alpha, x, y)
            }

            fn finite(values: &[$t]) -> bool {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if values.len() > 64 && avx512::available() {
                    // SAFETY: as above.
                    return unsafe { $wide::finite(values) };
                }
                elementwise::$t::finite(values)
            }

            fn axpy_finite(alpha: $t, x: &[$t], y: &[$t]) -> bool {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if y.len() > 64 && avx512::available() {
                    // SAFETY: as above.
                    return unsafe { $wide::axpy_finite(alpha, x, y) };
                }
                elementwise::$t::axpy_finite(alpha, x, y)
            }

            fn from_bytes(scale: $t, bytes: &[u8], y: &mut [$t]) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    // SAFETY: as above.
                    return unsafe { $wide::from_bytes(scale, bytes, y) };
                }
                y.iter_mut().zip(bytes).for_each(|(y, &b)| *y = scale * b as $t);
            }

            fn gemm_nn(m: usize, k: usize, n: usize, a: &[$t], b: &[$t], c: &mut [$t], accumulate: bool) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    return avx512::$t::gemm(
                        avx512::ALayout::RowMajor,
                        m,
                        k,
                        n,
                        a,
                        b,
                        c,
                        accumulate,
                        avx512::Memo::None,
                    );
                }
                portable::gemm_nn(m, k, n, a, b, c, accumulate)
            }

            fn gemm_tn(m: usize, k: usize, n: usize, a: &[$t], b: &[$t], c: &mut [$t]) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    // C (k×n) = A'·B with A'(i, p) = a[p·k + i]
                    return avx512::$t::gemm(
                        avx512::ALayout::Transposed,
                        k,
                        m,
                        n,
                        a,
                        b,
                        c,
                        false,
                        avx512::Memo::None,
                    );
                }
                portable::gemm_tn(m, k, n, a, b, c)
            }

            fn gemm_nn_keep(
                m: usize,
                k: usize,
                n: usize,
                a: &[$t],
                b: &[$t],
                c: &mut [$t],
                accumulate: bool,
                keep: &mut Nonzero,
            ) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    avx512::$t::gemm(
                        avx512::ALayout::RowMajor,
                        m,
                        k,
                        n,
                        a,
                        b,
                        c,
                        accumulate,
                        avx512::Memo::Keep(&mut keep.words),
                    );
                    // no bitmap when the product built none: the backward
                    // product must then scan x afresh, not skip all of it
                    keep.of = if keep.words.is_empty() {
                        (0, 0)
                    } else {
                        Nonzero::identity(a, m * k)
                    };
                    return;
                }
                keep.forget();
                portable::gemm_nn(m, k, n, a, b, c, accumulate)
            }

            fn gemm_tn_reuse(m: usize, k: usize, n: usize, a: &[$t], b: &[$t], c: &mut [$t], kept: &Nonzero) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    let memo = if kept.describes(a, m * k) {
                        avx512::Memo::Reuse(&kept.words)
                    } else {
                        avx512::Memo::None
                    };
                    return avx512::$t::gemm(avx512::ALayout::Transposed, k, m, n, a, b, c, false, memo);
                }
                let _ = kept;
                portable::gemm_tn(m, k, n, a, b, c)
            }

            fn gemm_nt(m: usize, n: usize, k: usize, a: &[$t], b: &[$t], c: &mut [$t]) {
                #[cfg(all(feature = "std", target_arch = "x86_64"))]
                if avx512::available() {
                    // bᵀ once into a reused buffer (n×k), then a plain product:
                    // O(n·k) copying for O(m·n·k) arithmetic
                    thread_local! {
                        static BT: core::cell::RefCell<Vec<$t>> = const { core::cell::RefCell::new(Vec::new()) };
                    }
                    return BT.with(|bt| {
                        let mut bt = bt.borrow_mut();
                        bt.clear();
                        bt.resize(n * k, 0.0);
                        for (j, row) in b[..k * n].chunks_exact(n.max(1)).enumerate() {
                            for (p, &v) in row.iter().enumerate() {
                                bt[p * k + j] = v;
                            }
                        }
                        avx512::$t::gemm(
                            avx512::ALayout::RowMajor,
                            m,
                            n,
                            k,
                            a,
                            &bt,
                            c,
                            false,
                            avx512::Memo::None,
                        )
                    });
                }
                portable::gemm_nt(m, n, k, a, b, c)
            }
        }
    };
}

kernels_for!(f32, wide_f32);
kernels_for!(f64, wide_f64);

/// The zero pattern of a matrix, kept by one product for a later product
/// on the same matrix: an Affine layer's input is read by its forward pass
/// (x·W) and again by its weight gradient (xᵀ·dy), and scanning it for
/// zeros once is enough. Empty where the kernels do not skip zeros.
#[derive(Clone, Debug, Default)]
pub struct Nonzero {
    /// The row-major bitmap, one bit per element.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    words: Vec<u64>,
    /// Which matrix it describes, by address and length: the layer contract
    /// gives the backward pass the forward pass's input, and anything else
    /// is scanned afresh.
    of: (usize, usize),
}

impl Nonzero {
    #[allow(dead_code)] // not read without the AVX-512 kernels
    fn identity<T>(a: &[T], len: usize) -> (usize, usize) {
        (a.as_ptr() as usize, len)
    }

    /// `true` if this describes the first `len` elements of `a`.
    #[allow(dead_code)]
    fn describes<T>(&self, a: &[T], len: usize) -> bool {
        self.of == Self::identity(a, len) && len > 0
    }

    fn forget(&mut self) {
        self.of = (0, 0);
    }
}

/// Products up to this many multiply-adds take the inline loops, which the
/// compiler unrolls for a small static layer (and which beat any dispatch
/// at that size); larger ones take the scalar's kernels.
const INLINE_WORK: usize = 4096;

/// `c[m×n] = a[m×k]·b[k×n]` (or `c +=`); `k` and `n` are a layer's widths.
#[inline(always)]
pub(crate) fn nn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T], accumulate: bool) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_nn(m, k, n, a, b, c, accumulate)
    } else {
        T::gemm_nn(m, k, n, a, b, c, accumulate)
    }
}

/// `c[k×n] = aᵀ·b` for `a[m×k]`, `b[m×n]`.
#[inline(always)]
#[cfg_attr(not(feature = "alloc"), allow(dead_code))] // a convolution's dx, with alloc
pub(crate) fn tn<T: crate::Scalar>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_tn(m, k, n, a, b, c)
    } else {
        T::gemm_tn(m, k, n, a, b, c)
    }
}

/// [`nn`], keeping `a`'s zero pattern for a later [`tn_reusing`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn nn_keeping<T: crate::Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    accumulate: bool,
    keep: &mut Nonzero,
) {
    if m * k * n <= INLINE_WORK {
        keep.forget();
        portable::gemm_nn(m, k, n, a, b, c, accumulate)
    } else {
        T::gemm_nn_keep(m, k, n, a, b, c, accumulate, keep)
    }
}

/// [`tn`], with `a`'s zero pattern from an earlier [`nn_keeping`] if it
/// describes `a`.
#[inline(always)]
pub(crate) fn tn_reusing<T: crate::Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    kept: &Nonzero,
) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_tn(m, k, n, a, b, c)
    } else {
        T::gemm_tn_reuse(m, k, n, a, b, c, kept)
    }
}

/// `c[m×k] = a·bᵀ` for `a[m×n]`, `b[k×n]`.
#[inline(always)]
pub(crate) fn nt<T: crate::Scalar>(m: usize, n: usize, k: usize, a: &[T], b: &[T], c: &mut [T]) {
    if m * k * n <= INLINE_WORK {
        portable::gemm_nt(m, n, k, a, b, c)
    } else {
        T::gemm_nt(m, n, k, a, b, c)
    }
}

#[cfg(test)]
mod tests {
    use super::{Kernels, portable};

    /// Deterministic values in [-1, 1).
    fn values<T: crate::Scalar>(n: usize, seed: usize) -> Vec<T> {
        (0..n)
            .map(|i| T::of(((i * 7919 + seed * 104_729) % 2003) as f64 / 1001.5 - 1.0))
            .collect()
    }

    /// The unit roundoff of `T`.
    fn unit<T: crate::Scalar>() -> f64 {
        if size_of::<T>() == 4 {
            f32::EPSILON as f64 / 2.0
        } else {
            f64::EPSILON / 2.0
        }
    }

    /// `got` matches `want` within 8 unit roundoffs of `scale[i]`, the sum
    /// of |terms| that produced element i: two summation orders (and FMA or
    /// not) differ by about that much, a wrong product by far more.
    fn close<T: crate::Scalar>(got: &[T], want: &[T], scale: &[f64], what: &str) {
        for (i, ((g, w), s)) in got.iter().zip(want).zip(scale).enumerate() {
            let d = (g.as_f64() - w.as_f64()).abs();
            let tol = 8.0 * unit::<T>() * s;
            assert!(d <= tol, "{what}: element {i}: {g} vs {w} (|diff| {d:e} > {tol:e})");
        }
    }

    /// Σ_p |a(i, p)·b(p, j)| (+ |c| when accumulating), the scale of c(i, j).
    fn magnitudes<T: crate::Scalar>(
        m: usize,
        k: usize,
        n: usize,
        a: impl Fn(usize, usize) -> T,
        b: impl Fn(usize, usize) -> T,
    ) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| (a(i, p) * b(p, j)).as_f64().abs()).sum::<f64>() + 1.0;
            }
        }
        out
    }

    /// The dispatched kernels (AVX-512 where the CPU has it) agree with the
    /// plain loops on shapes that hit every remainder: rows not a multiple
    /// of the tile, columns not a multiple of a vector, several column
    /// blocks, and a layer-sized product.
    fn kernels_match_portable<T: crate::Scalar>() {
        let shapes = [
            (1, 1, 1),
            (2, 3, 5),
            (5, 16, 15),
            (6, 17, 16),
            (7, 50, 17),
            (13, 3, 33),
            (100, 50, 10),
            (100, 10, 50),
            (64, 7, 65),
            (9, 31, 130),
            (100, 784, 50),
        ];
        // Miri interprets every instruction: it checks the small shapes,
        // which reach every remainder
        let shapes = if cfg!(miri) {
            &shapes[..shapes.len() - 1]
        } else {
            &shapes[..]
        };
        for &(m, k, n) in shapes {
            let (a, b) = (values::<T>(m * k, 1), values::<T>(k * n, 2));
            let start = values::<T>(m * n, 3);
            let scale = magnitudes(m, k, n, |i, p| a[i * k + p], |p, j| b[p * n + j]);
            for accumulate in [false, true] {
                let (mut got, mut want) = (start.clone(), start.clone());
                T::gemm_nn(m, k, n, &a, &b, &mut got, accumulate);
                portable::gemm_nn(m, k, n, &a, &b, &mut want, accumulate);
                close(&got, &want, &scale, &format!("nn {m}×{k}×{n} acc={accumulate}"));
            }
            // aᵀ·b with a (k×m) and b (k×n): c is m×n
            let (at, bt) = (values::<T>(k * m, 4), values::<T>(k * n, 5));
            let scale = magnitudes(m, k, n, |i, p| at[p * m + i], |p, j| bt[p * n + j]);
            let (mut got, mut want) = (values::<T>(m * n, 6), values::<T>(m * n, 7));
            T::gemm_tn(k, m, n, &at, &bt, &mut got);
            portable::gemm_tn(k, m, n, &at, &bt, &mut want);
            close(&got, &want, &scale, &format!("tn {m}×{k}×{n}"));
            // a·bᵀ with a (m×k) and b (n×k): c is m×n
            let bn = values::<T>(n * k, 8);
            let scale = magnitudes(m, k, n, |i, p| a[i * k + p], |p, j| bn[j * k + p]);
            let (mut got, mut want) = (values::<T>(m * n, 9), values::<T>(m * n, 10));
            T::gemm_nt(m, k, n, &a, &bn, &mut got);
            portable::gemm_nt(m, k, n, &a, &bn, &mut want);
            close(&got, &want, &scale, &format!("nt {m}×{k}×{n}"));
        }
    }

    #[test]
    fn kernels_match_portable_f32() {
        kernels_match_portable::<f32>();
    }

    #[test]
    fn kernels_match_portable_f64() {
        kernels_match_portable::<f64>();
    }

    /// Zero inputs are skipped by the fast kernels; against an infinite or
    /// NaN weight a zero input must still give NaN, as IEEE arithmetic and
    /// the portable loops give it.
    #[test]
    fn non_finite_weights_agree_with_the_portable_loops() {
        let (m, k, n) = (20, 40, 33); // large enough for the fast path
        let mut a = values::<f32>(m * k, 1);
        for i in 0..m {
            a[i * k + 3] = 0.0; // input 3 is zero in every row
            a[i * k + 7] = 0.0;
        }
        let mut b = values::<f32>(k * n, 2);
        b[3 * n + 5] = f32::INFINITY; // 0·∞ in column 5
        for v in &mut b[7 * n..8 * n] {
            *v = f32::NAN; // a whole NaN weight row
        }
        let (mut got, mut want) = (vec![0.0; m * n], vec![0.0; m * n]);
        f32::gemm_nn(m, k, n, &a, &b, &mut got, false);
        portable::gemm_nn(m, k, n, &a, &b, &mut want, false);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(g.is_nan() && w.is_nan(), "element {i}: {g} vs {w}");
        }
        // and an infinite input against a zero weight
        let mut a = values::<f32>(m * k, 1);
        a[2 * k + 1] = f32::INFINITY;
        let mut b = values::<f32>(k * n, 2);
        b[n..2 * n].fill(0.0);
        f32::gemm_nn(m, k, n, &a, &b, &mut got, false);
        portable::gemm_nn(m, k, n, &a, &b, &mut want, false);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.is_nan(), w.is_nan(), "element {i}: {g} vs {w}");
            assert_eq!(g.is_finite(), w.is_finite(), "element {i}: {g} vs {w}");
        }
        assert!(got[2 * n..3 * n].iter().all(|v| v.is_nan()));
    }

    /// An Affine layer's forward product keeps x's zero pattern for the
    /// weight gradient; when non-finite weights made it visit every index
    /// (and keep no pattern), the gradient must still read x, not skip it.
    #[test]
    fn a_weight_gradient_after_non_finite_weights_reads_its_input() {
        let (batch, inputs, outputs) = (20, 40, 33);
        let mut x = values::<f32>(batch * inputs, 1);
        for row in x.chunks_exact_mut(inputs) {
            row[3] = 0.0;
        }
        let mut w = values::<f32>(inputs * outputs, 2);
        w[5] = f32::INFINITY;
        let mut y = vec![0.0; batch * outputs];
        let mut kept = super::Nonzero::default();
        f32::gemm_nn_keep(batch, inputs, outputs, &x, &w, &mut y, false, &mut kept);
        let dy = values::<f32>(batch * outputs, 3);
        let (mut got, mut want) = (vec![0.0; inputs * outputs], vec![0.0; inputs * outputs]);
        f32::gemm_tn_reuse(batch, inputs, outputs, &x, &dy, &mut got, &kept);
        portable::gemm_tn(batch, inputs, outputs, &x, &dy, &mut want);
        let scale = magnitudes(
            inputs,
            batch,
            outputs,
            |i, p| x[p * inputs + i],
            |p, j| dy[p * outputs + j],
        );
        close(&got, &want, &scale, "xᵀ·dy after a non-finite x·W");
        assert!(got.iter().any(|&v| v != 0.0));
    }

    #[test]
    fn axpy_finite_sees_overflow_and_nan() {
        let x = vec![1.0f32; 100];
        let mut y = vec![1.0f32; 100];
        assert!(f32::axpy_finite(0.5, &x, &y));
        y[70] = f32::MAX;
        assert!(!f32::axpy_finite(f32::MAX, &x, &y));
        y[70] = 1.0;
        let mut x = x;
        x[99] = f32::NAN;
        assert!(!f32::axpy_finite(0.5, &x, &y));
        assert!(!f64::axpy_finite(1.0, &[f64::INFINITY], &[0.0]));
    }

    /// Products never touch memory outside the shapes they are given: the
    /// slices here are longer than needed and the excess must stay as it was.
    #[test]
    fn kernels_stay_inside_their_shapes() {
        let (m, k, n) = (7, 9, 21);
        let a = values::<f32>(m * k + 5, 1);
        let b = values::<f32>(k * n + 5, 2);
        let mut c = vec![42.0f32; m * n + 17];
        f32::gemm_nn(m, k, n, &a, &b, &mut c, false);
        assert!(c[m * n..].iter().all(|&v| v == 42.0));
        f32::gemm_tn(k, m, n, &values::<f32>(k * m, 3), &values::<f32>(k * n, 4), &mut c);
        assert!(c[m * n..].iter().all(|&v| v == 42.0));
    }
}
