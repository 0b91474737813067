//! 01 · The book's two-layer net (chapters 4 and 5) by hand: 784 pixels →
//! 50 ReLU units → 10 classes, on real MNIST digits. What a net computes
//! (`predict`, `loss`, `accuracy`), how back-propagation gets its gradient
//! (`gradient`), and the check that proves the gradient right: the
//! numerical gradient, from the loss alone, by central differences.
//!
//! The net is one type, `TwoLayerNet<f64, 784, 50, 10>`, the chain
//! `Affine → Relu → Affine → SoftmaxWithLoss`; feeding it rows of any other
//! width does not compile. It works in `f64` here so that the numerical
//! gradient is accurate enough to compare with (in `f32` a central
//! difference is mostly rounding).
//!
//! ```text
//! cargo run --release --example 01_dense_by_hand
//! ```
//!
//! Next: `02_training_loop` trains this net.

use rand::{SeedableRng, rngs::StdRng};
use typenet::data::{Dataset, MnistFiles, Pixels};
use typenet::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The bundled MNIST: each image a row of 784 values in [0, 1], its
    // label checked to be below 10 when loaded.
    let files = MnistFiles::find(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))?;
    let train = Dataset::<[f64; 784], 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
    let (x, t) = (train.take(3).to_batch(), train.take(3).labels().clone());
    println!(
        "three digits, labelled {:?}",
        (0..3).map(|i| t.get(i)).collect::<Vec<_>>()
    );

    // The book's constructor: weights 0.01·N(0, 1), biases 0.
    let mut net: TwoLayerNet<f64, 784, 50, 10> = two_layer_net(0.01, &mut StdRng::seed_from_u64(42));
    println!("{}", net.summary());

    // predict: the scores before the softmax, one row of 10 per digit.
    let scores: Batch<[f64; 10]> = net.predict(&x)?;
    // probabilities: after the softmax, for one digit.
    let p = net.probabilities(&x[0])?;
    println!("scores of digit 0: {:.4?}", scores[0]);
    println!("probabilities:     {:.4?}", p);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);

    // loss: the mean cross-entropy. Tiny weights give near-equal scores,
    // so every class is about 1/10 likely and the loss about ln 10.
    let loss = net.loss(&x, &t)?;
    println!(
        "loss {loss:.4} (ln 10 = {:.4}), accuracy {}",
        10f64.ln(),
        net.accuracy(&x, &t)?
    );
    assert!((loss - 10f64.ln()).abs() < 0.01 * 10f64.ln(), "{loss}");

    // gradient: a training pass and a backward pass. The gradient of the
    // loss with respect to every parameter is left on its layer, where an
    // optimizer finds it; the loss is returned.
    net.gradient(&x, &t)?;
    let dw1 = net.layer::<0>().weight_grad(); // 784 rows of 50, like W1
    let untouched = dw1.iter().filter(|row| row.iter().all(|&g| g == 0.0)).count();
    // a pixel that is 0 in all three digits adds nothing to the hidden
    // units, so its row of dW1 is exactly 0
    println!(
        "dW1: {} rows of {}, {untouched} of them all zero",
        dw1.len(),
        dw1[0].len()
    );

    // The gradient check: for every parameter w, (L(w + h) − L(w − h)) / 2h
    // against what back-propagation computed, and the same for the input.
    // This is slow (two forward passes per parameter, 39,760 of them) and
    // only for testing a layer; back-propagation gets all of them in one
    // backward pass. It needs a smooth point: a hidden unit within h of 0,
    // ReLU's kink, would spoil the difference, so like the book it checks
    // the freshly made net.
    for d in typenet::gradient_check(&mut net, &x, &t)? {
        let at = d.layer.map_or("input".to_string(), |l| format!("layer {l}"));
        println!(
            "{at:>8} {:<2}: mean |backprop − numerical| {:.1e}, mean |gradient| {:.1e}",
            d.name, d.mean_abs, d.mean_abs_gradient
        );
        assert!(d.mean_abs <= 1e-6 * d.mean_abs_gradient, "backprop disagrees: {d:?}");
    }
    // A step against the gradient lowers the loss: the whole idea of
    // training. (The book's `W -= lr * dW`, refused if it would write NaN.)
    Sgd::new(0.1).step(&mut net)?;
    let after = net.loss(&x, &t)?;
    println!("after one SGD step: loss {after:.4}");
    assert!(after < loss);

    Ok(())
}
