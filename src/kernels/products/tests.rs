//! The dispatched products (AVX-512 where the CPU has it) against the
//! portable loops, on fixed shapes that reach every remainder and on seeded
//! random ones.

use super::{gemm_nn, gemm_nn_keep, gemm_nt, gemm_tn, gemm_tn_reuse, portable};
use crate::kernels::testing::Stream;

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
            gemm_nn::<T>(m, k, n, &a, &b, &mut got, accumulate);
            portable::gemm_nn(m, k, n, &a, &b, &mut want, accumulate);
            close(&got, &want, &scale, &format!("nn {m}×{k}×{n} acc={accumulate}"));
        }
        // aᵀ·b with a (k×m) and b (k×n): c is m×n
        let (at, bt) = (values::<T>(k * m, 4), values::<T>(k * n, 5));
        let scale = magnitudes(m, k, n, |i, p| at[p * m + i], |p, j| bt[p * n + j]);
        let (mut got, mut want) = (values::<T>(m * n, 6), values::<T>(m * n, 7));
        gemm_tn::<T>(k, m, n, &at, &bt, &mut got);
        portable::gemm_tn(k, m, n, &at, &bt, &mut want);
        close(&got, &want, &scale, &format!("tn {m}×{k}×{n}"));
        // a·bᵀ with a (m×k) and b (n×k): c is m×n
        let bn = values::<T>(n * k, 8);
        let scale = magnitudes(m, k, n, |i, p| a[i * k + p], |p, j| bn[j * k + p]);
        let (mut got, mut want) = (values::<T>(m * n, 9), values::<T>(m * n, 10));
        gemm_nt::<T>(m, k, n, &a, &bn, &mut got);
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
    gemm_nn::<f32>(m, k, n, &a, &b, &mut got, false);
    portable::gemm_nn(m, k, n, &a, &b, &mut want, false);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(g.is_nan() && w.is_nan(), "element {i}: {g} vs {w}");
    }
    // and an infinite input against a zero weight
    let mut a = values::<f32>(m * k, 1);
    a[2 * k + 1] = f32::INFINITY;
    let mut b = values::<f32>(k * n, 2);
    b[n..2 * n].fill(0.0);
    gemm_nn::<f32>(m, k, n, &a, &b, &mut got, false);
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
    gemm_nn_keep::<f32>(batch, inputs, outputs, &x, &w, &mut y, false, &mut kept);
    let dy = values::<f32>(batch * outputs, 3);
    let (mut got, mut want) = (vec![0.0; inputs * outputs], vec![0.0; inputs * outputs]);
    gemm_tn_reuse::<f32>(batch, inputs, outputs, &x, &dy, &mut got, &kept);
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

/// Products never touch memory outside the shapes they are given: the
/// slices here are longer than needed and the excess must stay as it was.
#[test]
fn kernels_stay_inside_their_shapes() {
    let (m, k, n) = (7, 9, 21);
    let a = values::<f32>(m * k + 5, 1);
    let b = values::<f32>(k * n + 5, 2);
    let mut c = vec![42.0f32; m * n + 17];
    gemm_nn::<f32>(m, k, n, &a, &b, &mut c, false);
    assert!(c[m * n..].iter().all(|&v| v == 42.0));
    gemm_tn::<f32>(k, m, n, &values::<f32>(k * m, 3), &values::<f32>(k * n, 4), &mut c);
    assert!(c[m * n..].iter().all(|&v| v == 42.0));
}

/// `got` matches `want` within `2k` unit roundoffs of `scale[i]`: two
/// summation orders of `k` terms each round `k` times at most, by a unit
/// of the partial sum, which `scale` (the sum of |terms|) bounds.
fn close_summed<T: crate::Scalar>(got: &[T], want: &[T], scale: &[f64], k: usize, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((g, w), s)) in got.iter().zip(want).zip(scale).enumerate() {
        let d = (g.as_f64() - w.as_f64()).abs();
        let tol = 2.0 * (k + 1) as f64 * unit::<T>() * s;
        assert!(d <= tol, "{what}: element {i}: {g} vs {w} (|diff| {d:e} > {tol:e})");
    }
}

/// A matrix of seeded values with the zero patterns the AVX-512 products
/// skip: none, scattered, whole columns (one k index zero in every row) or
/// whole rows.
fn sparse<T: crate::Scalar>(rows: usize, cols: usize, stream: &mut Stream) -> Vec<T> {
    let share = [0.0, 0.5, 0.95][stream.below(0..=2)];
    let mut a = crate::kernels::testing::values::<T>(rows * cols, stream.next(), share);
    if cols > 0 && stream.chance(0.3) {
        let col = stream.below(0..=cols - 1);
        a.iter_mut().skip(col).step_by(cols).for_each(|v| *v = T::ZERO);
    }
    if rows > 0 && stream.chance(0.3) {
        let row = stream.below(0..=rows - 1);
        a[row * cols..(row + 1) * cols].fill(T::ZERO);
    }
    a
}

/// The dispatched products against the portable loops on seeded random
/// shapes (empty ones among them) and zero patterns: x·W with and without
/// accumulating, xᵀ·dy afresh and from the pattern kept by x·W, dy·Wᵀ.
fn random_shapes_match_portable<T: crate::Scalar>() {
    let mut stream = Stream::new(0x5eed_0001);
    for case in 0..150 {
        let big = case % 10 == 0;
        let side = |stream: &mut Stream| {
            if big {
                stream.below(1..=130)
            } else {
                stream.below(0..=40)
            }
        };
        let (m, k, n) = (side(&mut stream), side(&mut stream), side(&mut stream));
        let what = format!("{} {m}×{k}×{n}", core::any::type_name::<T>());
        let (a, b) = (sparse::<T>(m, k, &mut stream), sparse::<T>(k, n, &mut stream));
        let start = sparse::<T>(m, n, &mut stream);
        let scale = magnitudes(m, k, n, |i, p| a[i * k + p], |p, j| b[p * n + j]);
        let accumulate = stream.chance(0.5);
        let (mut got, mut want) = (start.clone(), start.clone());
        gemm_nn(m, k, n, &a, &b, &mut got, accumulate);
        portable::gemm_nn(m, k, n, &a, &b, &mut want, accumulate);
        close_summed(&got, &want, &scale, k, &format!("nn {what}, accumulate {accumulate}"));

        // x·W keeping x's pattern, then xᵀ·dy from it (x is a, m×k)
        let mut kept = super::Nonzero::default();
        let mut got = start.clone();
        gemm_nn_keep(m, k, n, &a, &b, &mut got, accumulate, &mut kept);
        close_summed(&got, &want, &scale, k, &format!("nn keeping {what}"));
        let dy = sparse::<T>(m, n, &mut stream);
        let scale = magnitudes(k, m, n, |i, p| a[p * k + i], |p, j| dy[p * n + j]);
        let (mut got, mut fresh, mut want) = (vec![T::of(9.0); k * n], vec![T::of(9.0); k * n], vec![T::ZERO; k * n]);
        gemm_tn_reuse(m, k, n, &a, &dy, &mut got, &kept);
        gemm_tn(m, k, n, &a, &dy, &mut fresh);
        portable::gemm_tn(m, k, n, &a, &dy, &mut want);
        close_summed(&got, &want, &scale, m, &format!("tn reusing {what}"));
        close_summed(&fresh, &want, &scale, m, &format!("tn {what}"));

        // dy·Wᵀ with dy (m×n) and W (k×n)
        let w = sparse::<T>(k, n, &mut stream);
        let scale = magnitudes(m, n, k, |i, p| dy[i * n + p], |p, j| w[j * n + p]);
        let (mut got, mut want) = (vec![T::of(9.0); m * k], vec![T::ZERO; m * k]);
        gemm_nt(m, n, k, &dy, &w, &mut got);
        portable::gemm_nt(m, n, k, &dy, &w, &mut want);
        close_summed(&got, &want, &scale, n, &format!("nt {what}"));
    }
}

#[test]
fn random_shapes_match_portable_f32() {
    random_shapes_match_portable::<f32>();
}

#[test]
fn random_shapes_match_portable_f64() {
    random_shapes_match_portable::<f64>();
}

/// The portable `x·W` sums each output in the order of `k`, starting from
/// what `c` held: equal bits to that sum written as one loop, for widths
/// that take every tile of columns (8, 4, 2, 1) and the narrow path's
/// bound.
#[test]
fn portable_nn_sums_in_the_order_of_k() {
    for n in [8, 9, 10, 11, 13, 15, 16, 20, 31] {
        let (m, k) = (2, 37);
        let a = values::<f32>(m * k, 1);
        let b = values::<f32>(k * n, 2);
        let start = values::<f32>(m * n, 3);
        let mut c = start.clone();
        portable::gemm_nn(m, k, n, &a, &b, &mut c, true);
        let mut want = Vec::new();
        for i in 0..m {
            for j in 0..n {
                let mut acc = start[i * n + j];
                for p in 0..k {
                    acc += a[i * k + p] * b[p * n + j];
                }
                want.push(acc.to_bits());
            }
        }
        let got: Vec<u32> = c.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "n = {n}");
    }
}
