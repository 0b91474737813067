//! 08 · nalgebra values in and out of a net, without copies.
//!
//! typenet stores a batch as its samples row after row; nalgebra stores a
//! matrix column after column. So the matrix a batch *is*, without a copy,
//! has **one column per sample** (`WIDTH × n`, what nalgebra code writes as
//! `Xᵀ`), and every conversion here takes and gives that layout:
//!
//! - an `SVector<T, N>` is a sample: `typenet::as_row(&v)` is the `&[T; N]`
//!   it stores, by reference;
//! - a `DMatrix` with one column per sample moves into a batch
//!   (`Batch::from_columns`, the buffer changes owner) and back
//!   (`into_columns`); a borrowed batch is seen as one (`as_columns`);
//! - an `Affine`'s weights are an `OUT × IN` matrix view (`weights_matrix`,
//!   PyTorch's `(out, in)` layout), writable (`weights_matrix_mut`).
//!
//! A matrix with one sample per *row* (`n × WIDTH`) holds each sample's
//! values apart, so it goes in by copy (`Batch::from_matrix`). Why there is
//! no row-major view: the `batch` module's docs.
//!
//! The program trains a linear classifier (two `Affine` layers, no
//! activation between them) on samples made as a nalgebra matrix, then
//! folds the two layers into one with a nalgebra product, W = W₂·W₁ and
//! b = W₂·b₁ + b₂, written into a new layer through its weights' view.
//!
//! ```text
//! cargo run --example 08_nalgebra
//! ```

use nalgebra::{DMatrix, SVector};
use rand::{SeedableRng, rngs::StdRng};
use typenet::prelude::*;
use typenet::{Dyn, as_row};

/// 3 classes by which of the first three features is largest.
fn class_of(sample: &[f64]) -> usize {
    (0..3).max_by(|&a, &b| sample[a].total_cmp(&sample[b])).unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Samples as a nalgebra user holds them: 4 features × 300 samples,
    // one column each.
    let samples = DMatrix::<f64>::from_fn(4, 300, |f, s| ((s * 7 + f * 13) % 23) as f64 / 23.0 - 0.5);
    let labels: Vec<usize> = samples.column_iter().map(|c| class_of(c.as_slice())).collect();

    // into a batch: the matrix's buffer becomes the batch's, no copy
    let values = samples.as_ptr();
    let x = Batch::<[f64; 4]>::from_columns(samples).ok_or("not 4 features a sample")?;
    assert_eq!(x.as_slice().as_ptr(), values);
    let t = Labels::<3>::from_slice(&labels)?;

    let mut rng = StdRng::seed_from_u64(8);
    let mut net = Affine::<[f64; 4], 8>::init(Init::Xavier, &mut rng)
        .then(Affine::<[f64; 8], 3>::init(Init::Xavier, &mut rng))
        .then(SoftmaxWithLoss);
    let mut ws = net.workspace_seeded(0);
    let mut adam = typenet::Adam::new(0.05, 0.9, 0.999);
    for _ in 0..300 {
        net.gradient_with(&mut ws, &x, &t, None)?;
        adam.step(&mut net)?;
    }
    println!("linear classifier trained: accuracy {:.3}", net.accuracy(&x, &t)?);

    // A sample as an SVector goes in by reference ...
    let v = SVector::<f64, 4>::new(0.1, 0.4, -0.2, 0.3);
    let row: &[f64; 4] = as_row(&v);
    assert!(std::ptr::eq(row.as_ptr(), v.as_ptr()));
    // ... and its probabilities come out as one (a move of 3 values)
    let p = SVector::<f64, 3>::from(net.probabilities(row)?);
    println!(
        "{:?} → probabilities {:.3?}, class {}",
        v.as_slice(),
        p.as_slice(),
        p.imax()
    );
    assert_eq!(p.imax(), net.classify(row)?);

    // A batch of scores, seen as a 3 × 300 matrix: each column a sample's.
    let scores: Batch<[f64; 3]> = net.predict(&x)?;
    let by_column: Vec<usize> = scores.as_columns().column_iter().map(|c| c.imax()).collect();
    assert_eq!(
        by_column,
        (0..x.nrows()).map(|i| net.classify(&x[i]).unwrap()).collect::<Vec<_>>()
    );

    // The weights as matrices: W₁ is 8 × 4, W₂ 3 × 8 (out × in), views
    // into the layers. Two layers with nothing between them compute one
    // linear map; nalgebra works it out.
    let (first, second) = (net.layer::<0>(), net.layer::<1>());
    let w = second.weights_matrix() * first.weights_matrix(); // 3 × 4
    let b = second.weights_matrix() * SVector::<f64, 8>::from(*first.bias()) + SVector::<f64, 3>::from(*second.bias());
    let mut folded = Affine::<[f64; 4], 3>::zeros().then(SoftmaxWithLoss);
    folded.layer_mut::<0>().weights_matrix_mut().copy_from(&w);
    folded.layer_mut::<0>().bias_mut().copy_from_slice(b.as_slice());
    println!("{}", folded.summary());

    // one layer now does the work of two, up to rounding
    let (two, one) = (net.predict(&x)?, folded.predict(&x)?);
    let scale = two.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = two
        .as_slice()
        .iter()
        .zip(one.as_slice())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("folded: scores within {worst:.1e} of the two layers' (largest score {scale:.2})");
    assert!(worst <= 1e-12 * scale, "{worst}");
    assert_eq!(folded.accuracy(&x, &t)?, net.accuracy(&x, &t)?);

    // And out again: the batch's buffer back as a matrix, one column per
    // sample, still not copied.
    let m: DMatrix<f64> = x.into_columns();
    assert_eq!(m.as_ptr(), values);
    // A matrix with one sample per row has to be copied in:
    let rows = m.transpose(); // 300 × 4
    let copied = Batch::<[f64; 4], Dyn>::from_matrix(&rows).ok_or("not 4 columns")?;
    assert_eq!(copied.as_columns(), m);
    println!(
        "{} samples back as a {}×{} matrix, the same buffer",
        m.ncols(),
        m.nrows(),
        m.ncols()
    );
    Ok(())
}
