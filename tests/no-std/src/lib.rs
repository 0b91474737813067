//! typenet where there is no operating system: `#![no_std]`, no `alloc`,
//! two nets whose weights are compiled in (`model.rs` and `digits.rs`,
//! written by `cargo run --example bake_weights`): a small classifier with
//! inference and on-device training on batches whose size is part of the
//! type, and a convolutional digit reader.
//!
//! `.ci/run` builds this crate for `thumbv7em-none-eabihf` (a Cortex-M4F):
//! `cargo build -p typenet-no-std --target thumbv7em-none-eabihf`.
#![no_std]

// written by the exporter, kept exactly as written
#[rustfmt::skip]
#[allow(clippy::large_const_arrays)] // copied once, into a static
mod digits;
#[rustfmt::skip]
mod model;

use typenet::prelude::*;

/// The baked classifier's type: 4 inputs, 16 ReLU units, 3 classes.
pub type Classifier =
    typenet::Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];

/// The trained classifier, a constant in flash: no start-up work, no heap.
pub static CLASSIFIER: Classifier = typenet::chain![
    Affine::from_arrays(model::L0_W, model::L0_B),
    Relu,
    Affine::from_arrays(model::L2_W, model::L2_B),
    SoftmaxWithLoss,
];

/// The class of one sample, or `None` if it holds NaN or infinity.
pub fn classify(x: &[f32; 4]) -> Option<usize> {
    CLASSIFIER.classify(x).ok()
}

/// The class probabilities of one sample.
pub fn probabilities(x: &[f32; 4]) -> Option<[f32; 3]> {
    CLASSIFIER.probabilities(x).ok()
}

/// Fine-tunes a copy of the classifier on the device: one SGD step on 8
/// labelled samples (forward, backward, update), all on the stack.
/// Returns the batch's loss, or `None` if a label is not below 3, the
/// learning rate is not finite and positive, or the step would make a
/// weight NaN or infinite (then the net is left as it was).
pub fn train_step(net: &mut Classifier, x: [[f32; 4]; 8], labels: [usize; 8], lr: f64) -> Option<f32> {
    let t = Labels::<3, Const<8>>::new(labels).ok()?;
    let mut ws = net.workspace::<Const<8>>();
    let loss = net.gradient_with(&mut ws, &Batch::new(x), &t, None).ok()?;
    Sgd::try_new(lr).ok()?.step(net).ok()?;
    Some(loss)
}

/// The digit reader's type: conv 4 filters 5×5 → ReLU → 2×2 max pool →
/// Affine 4·12·12 → 10, every size after the input computed by the compiler.
/// It only infers, so its layers are `Frozen`: they keep no gradients, and
/// the `static` is exactly its 23,496 bytes of weights.
pub type DigitReader = typenet::Chain![
    Input<Image<f32, 1, 28, 28>, Conv2d<f32, 1, 4, 5, 1, 0, Frozen>>,
    Relu,
    MaxPool2d<2>,
    Affine<Image<f32, 4, 12, 12>, 10, Frozen>,
    SoftmaxWithLoss<10>
];

/// The trained digit reader, a constant in flash (23 KiB of weights).
pub static DIGITS: DigitReader = typenet::chain![
    Input::of(Conv2d::frozen(digits::L0_W, digits::L0_B)),
    Relu,
    MaxPool2d,
    Affine::frozen(digits::L3_W, digits::L3_B),
    SoftmaxWithLoss,
];

/// The digit in a 28×28 grey-scale image (0 = white, 255 = black, as in
/// MNIST), computed on the stack.
pub fn read_digit(pixels: &[[u8; 28]; 28]) -> usize {
    let image = Image([pixels.map(|row| row.map(|p| f32::from(p) / 255.0))]);
    // pixels from bytes are always finite
    DIGITS.classify(&image).unwrap_or(0)
}
