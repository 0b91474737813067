//! A small classifier as a value with no heap: inline weights, compile-time
//! batch sizes, one sample in as `[f32; 4]`, a class index or
//! probabilities `[f32; 3]` out. The shape of code for a service or a
//! microcontroller.
//!
//! Run with `cargo run --release --example static_classifier`.

use nalgebra::SVector;
use rand::{SeedableRng, rngs::StdRng};
use typenet::prelude::*;

/// The whole net, named once: 4 inputs, 16 ReLU units, 3 classes, inline.
pub type Classifier = Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];

/// Three noisy clusters in 4-D: the class is which of the first three
/// coordinates is raised.
pub fn sample(i: usize) -> ([f32; 4], usize) {
    let class = i % 3;
    let wobble = |k: usize| ((i * 37 + k * 11) % 17) as f32 / 17.0 - 0.5;
    let mut x = [wobble(0), wobble(1), wobble(2), wobble(3)];
    x[class] += 2.0;
    (x, class)
}

/// Trains a classifier from seeded He-initialised weights for `steps` steps
/// of 8 samples, with no allocation; returns it with the losses of steps 0,
/// 100 and 200.
pub fn train(steps: usize) -> (Classifier, [f32; 3]) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut net: Classifier = Affine::init(Init::He, &mut rng)
        .then(Relu)
        .then(Affine::init(Init::He, &mut rng))
        .then(SoftmaxWithLoss);
    let mut ws = net.workspace::<Const<8>>();
    let mut sgd = Sgd::new(0.2);
    let mut losses = [0.0; 3];
    for step in 0..steps {
        let batch: [([f32; 4], usize); 8] = core::array::from_fn(|k| sample(step * 8 + k));
        let x = Batch::<[f32; 4], Const<8>>::new(batch.map(|(x, _)| x));
        let t = Labels::<3, Const<8>>::new(batch.map(|(_, c)| c)).expect("classes below 3");
        let loss = net.gradient_with(&mut ws, &x, &t, None).expect("one label per row");
        sgd.step(&mut net).expect("a finite step");
        if step % 100 == 0 && step / 100 < 3 {
            losses[step / 100] = loss;
        }
    }
    (net, losses)
}

#[allow(dead_code)] // `bake_weights` includes this file for `train`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (net, losses) = train(300);
    println!("loss at steps 0, 100, 200: {losses:.4?}");

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
