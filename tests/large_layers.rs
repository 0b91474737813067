//! Large layers never pass through the stack: built, run and cloned on an
//! ordinary test thread (2 MiB) of a debug build.

mod common;

use common::{rng, uniform_batch};
use typenet::prelude::*;

/// 784×1000 f64 weights are 6.3 MB, three times a test thread's stack.
#[test]
fn affine_784_by_1000_f64_builds_runs_and_clones() {
    let mut g = rng(9);
    let mut fc = Affine::<[f64; 784], 1000>::init(Init::He, &mut g);
    let x = uniform_batch::<[f64; 784]>(4, 0.0, 1.0, &mut g);
    let mut y = Batch::<[f64; 1000]>::zeros(4);
    let mut cache = Default::default();
    fc.forward(&x, &mut y, &mut cache, &mut Training::default());
    let dy = uniform_batch::<[f64; 1000]>(4, -1.0, 1.0, &mut g);
    let mut dx = Batch::<[f64; 784]>::zeros(4);
    fc.backward(&x, &y, &dy, &mut cache, Some(&mut dx));

    let copy = fc.clone();
    assert_eq!(copy, fc);
    assert_eq!(copy.weight_grad(), fc.weight_grad());
    // y = x·W + b, spot-checked against a direct sum
    let expected: f64 = (0..784).map(|i| x[2][i] * fc.weights()[i][7]).sum::<f64>() + fc.bias()[7];
    assert!((y[2][7] - expected).abs() < 1e-9);
    assert!(dx.is_finite() && dx.as_slice().iter().any(|&v| v != 0.0));

    // and inside a chain with a loss
    let mut net = fc
        .then(Relu)
        .then(Affine::<[f64; 1000], 10>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    let t = Labels::<10>::from_slice(&[1, 2, 3, 4]).unwrap();
    let loss = net.gradient(&x, &t).unwrap();
    assert!(loss.is_finite());
    let _twin = net.clone();
}
