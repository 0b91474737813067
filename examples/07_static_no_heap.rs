//! 07 · Nets with no heap, and nets baked into a binary: the shape of code
//! for a microcontroller (the crate is `#![no_std]` without its default
//! features, with no `alloc`).
//!
//! - An `Inline` layer keeps its weights (and their gradients) in the
//!   layer value, a `Const<8>` batch keeps its 8 rows in the batch value:
//!   the 4 → 16 → 3 classifier below is built, trained and run on the
//!   stack, with no allocation at all.
//! - `io::rust_source(&net)` writes a trained net's tensors as Rust
//!   constants, bit for bit; a program compiles them into a `static` net
//!   with the layers' `const` constructors. A `Frozen` layer keeps no
//!   gradients, so the `static` is exactly its parameters' bytes of flash.
//!
//! The baking flow: `cargo run --release --example bake_weights` trains this
//! file's classifier (`train(300)`) and writes it to
//! `tests/no-std/src/model.rs`; this program compiles that file into the
//! `static` `BAKED`, as `tests/no-std` does for a Cortex-M4F.
//!
//! ```text
//! cargo run --release --example 07_static_no_heap
//! ```

use rand::{SeedableRng, rngs::StdRng};
use typenet::prelude::*;

/// The constants `bake_weights` wrote, exactly as written.
#[rustfmt::skip]
#[path = "../tests/no-std/src/model.rs"]
mod model;

/// The whole net, named once: 4 inputs, 16 ReLU units, 3 classes, inline.
pub type Classifier = Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];

/// The same net for inference only.
pub type FrozenClassifier =
    Chain![Affine<[f32; 4], 16, Frozen>, Relu, Affine<[f32; 16], 3, Frozen>, SoftmaxWithLoss<3>];

/// The baked classifier: constants in the binary, no start-up work, no heap.
pub static BAKED: FrozenClassifier = typenet::chain![
    Affine::frozen(model::L0_W, model::L0_B),
    Relu,
    Affine::frozen(model::L2_W, model::L2_B),
    SoftmaxWithLoss,
];

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
    // the activations of a batch of 8, inline: the workspace is a value too
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
    assert!(losses[2] < losses[0]);

    // one sample in as an array, a class or probabilities out
    let x = [0.1, 2.3, -0.2, 0.4];
    let probabilities: [f32; 3] = net.probabilities(&x)?;
    println!("{x:?} → class {}, probabilities {probabilities:.3?}", net.classify(&x)?);
    assert_eq!(net.classify(&x)?, 1);

    // a batch whose size is a type: 8 rows in, 8 rows of scores out
    let batch = Batch::<[f32; 4], Const<8>>::new(core::array::from_fn(|k| sample(20_000 + k).0));
    let scores: Batch<[f32; 3], Const<8>> = net.predict(&batch)?;
    println!("8 scores at once, inline: {:.2?}", scores[0]);

    // baking: the tensors as Rust source, ready for a `static`
    let source = typenet::io::rust_source(&net)?;
    println!(
        "\nrust_source writes:\n{}\n  …",
        source.lines().take(8).collect::<Vec<_>>().join("\n")
    );
    assert!(source.contains("pub const L0_W: [[f32; 16]; 4]"));

    // the static that bake_weights' file became, and what it costs
    let correct = (10_000..10_300)
        .filter(|&i| BAKED.classify(&sample(i).0) == Ok(sample(i).1))
        .count();
    println!("\nthe baked net reads {correct} of 300 new samples right");
    assert!(correct >= 285, "{correct}");
    let params = BAKED.param_count();
    println!(
        "{params} parameters: {} bytes frozen, {} bytes trainable (a gradient per value)",
        size_of::<FrozenClassifier>(),
        size_of::<Classifier>()
    );
    assert_eq!(size_of::<FrozenClassifier>(), 4 * params);
    assert_eq!(size_of::<Classifier>(), 2 * 4 * params);
    Ok(())
}
