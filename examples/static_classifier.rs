//! A small classifier as a value with no heap: inline weights, compile-time
//! batch sizes, one sample in as `[f32; 4]`, a class index or
//! probabilities `[f32; 3]` out. The shape of code for a service or a
//! microcontroller.
//!
//! Run with `cargo run --release --example static_classifier`.

use nalgebra::SVector;
use typenet::prelude::*;

/// The whole net, named once: 4 inputs, 16 ReLU units, 3 classes, inline.
type Classifier = Chain![Affine<f32, 4, 16, Inline>, Relu, Affine<f32, 16, 3, Inline>, SoftmaxWithLoss<3>];

/// Three noisy clusters in 4-D: the class is which coordinate is largest
/// among the first three.
fn sample(i: usize) -> ([f32; 4], usize) {
    let class = i % 3;
    let wobble = |k: usize| ((i * 37 + k * 11) % 17) as f32 / 17.0 - 0.5;
    let mut x = [wobble(0), wobble(1), wobble(2), wobble(3)];
    x[class] += 2.0;
    (x, class)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // one expression, no allocation: small deterministic weights
    let w = |i: usize, j: usize| ((i * 5 + j * 3) % 7) as f32 * 0.05 - 0.15;
    let mut net: Classifier = Affine::from_fn(w, |_| 0.0)
        .then(Relu)
        .then(Affine::from_fn(w, |_| 0.0))
        .then(SoftmaxWithLoss);

    // train on batches of 8 samples whose size is part of the type
    let mut ws = net.workspace::<Const<8>>();
    let mut sgd = Sgd::new(0.2);
    for step in 0..300 {
        let batch: [([f32; 4], usize); 8] = core::array::from_fn(|k| sample(step * 8 + k));
        let x = Batch::<[f32; 4], Const<8>>::new(batch.map(|(x, _)| x));
        let t = Labels::<3, Const<8>>::new(batch.map(|(_, c)| c))?;
        let loss = net.gradient_with(&mut ws, &x, &t, None);
        sgd.step(&mut net);
        if step % 100 == 0 {
            println!("step {step:3}: loss {loss:.4}");
        }
    }

    // one sample in, a class or probabilities out
    let x = [0.1, 2.3, -0.2, 0.4];
    let class = net.classify(&x)?;
    let probabilities: [f32; 3] = net.probabilities(&x)?;
    println!("{x:?} → class {class}, probabilities {probabilities:.3?}");

    // a nalgebra vector works as well
    let v = SVector::<f32, 4>::new(2.5, 0.0, 0.1, -0.3);
    println!("{:?} → class {}", v.as_slice(), net.classify(&v.into())?);

    let correct = (10_000..10_300)
        .filter(|&i| net.classify(&sample(i).0) == Ok(sample(i).1))
        .count();
    println!("accuracy on 300 new samples: {:.1} %", correct as f64 / 3.0);
    println!("net size: {} bytes, all inline", core::mem::size_of::<Classifier>());
    Ok(())
}
