//! typenet where there is no operating system: `#![no_std]`, no `alloc`,
//! two nets whose weights are compiled in (`model.rs` and `digits.rs`,
//! written by `cargo run --example bake_weights`): a small classifier with
//! inference and on-device training on batches whose size is part of the
//! type, and a convolutional digit reader.
//!
//! `.ci/run` builds this crate for `thumbv7em-none-eabihf` (a Cortex-M4F):
//! `cargo build -p typenet-no-std --target thumbv7em-none-eabihf`, and
//! `tests/firmware` runs it on an emulated Cortex-M4F and compares every
//! output, bit for bit, with a host build of this same code.
#![no_std]

// written by the exporter, kept exactly as written
#[rustfmt::skip]
#[allow(clippy::large_const_arrays)] // copied once, into a static
mod digits;
#[rustfmt::skip]
mod model;
// the MLPerf Tiny keyword spotter as typenet::io::tflite::baked_rust_source
// writes it: its type, and its weights in flash
#[rustfmt::skip]
#[allow(dead_code)] // the written file's whole API, used in part here
#[path = "../../imported/kws_baked.rs"]
mod kws;

use typenet::prelude::*;

/// The baked classifier's type for inference: 4 inputs, 16 ReLU units, 3
/// classes, `Frozen` (no gradients), so its `static` is its 524 bytes of
/// weights.
pub type FrozenClassifier =
    typenet::Chain![Affine<[f32; 4], 16, Frozen>, Relu, Affine<[f32; 16], 3, Frozen>, SoftmaxWithLoss<3>];

/// The same net with room for gradients: what trains on the device.
pub type Classifier =
    typenet::Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];

/// The trained classifier, a constant in flash: no start-up work, no heap.
pub static CLASSIFIER: FrozenClassifier = typenet::chain![
    Affine::frozen(model::L0_W, model::L0_B),
    Relu,
    Affine::frozen(model::L2_W, model::L2_B),
    SoftmaxWithLoss,
];

/// A trainable copy of the baked classifier, in RAM (1,048 bytes: its
/// weights and their gradients), to fine-tune with [`train_step`].
pub fn trainable_classifier() -> Classifier {
    typenet::chain![
        Affine::from_arrays(model::L0_W, model::L0_B),
        Relu,
        Affine::from_arrays(model::L2_W, model::L2_B),
        SoftmaxWithLoss,
    ]
}

/// The class of one sample, or `None` if it holds NaN or infinity.
pub fn classify(x: &[f32; 4]) -> Option<usize> {
    CLASSIFIER.classify(x).ok()
}

/// The class probabilities of one sample.
pub fn probabilities(x: &[f32; 4]) -> Option<[f32; 3]> {
    CLASSIFIER.probabilities(x).ok()
}

/// How many numbers the classifier has: two weight matrices and their
/// biases.
pub const CLASSIFIER_PARAMS: usize = 4 * 16 + 16 + 16 * 3 + 3;

/// The classifier's numbers in one array (first layer's weights row by row,
/// its biases, then the second layer's), e.g. to send a net fine-tuned on
/// the device back to a host.
pub fn classifier_parameters(net: &Classifier) -> [f32; CLASSIFIER_PARAMS] {
    let (first, second) = (net.layer::<0>(), net.layer::<2>());
    let values = first.weights().iter().flatten().chain(first.bias());
    let values = values.chain(second.weights().iter().flatten()).chain(second.bias());
    let mut out = [0.0; CLASSIFIER_PARAMS];
    for (o, v) in out.iter_mut().zip(values) {
        *o = *v;
    }
    out
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

/// The digit reader's type: conv 4 filters 5×5 → ReLU → 2×2 max pool as
/// one `ConvReluPool` layer, then Affine 4·12·12 → 10, every size after the
/// input computed by the compiler. Fused, the convolution's 4 × 24 × 24
/// maps are never held whole: without a heap the layer computes the two
/// rows each pooled row needs, so one digit takes the input, the pooled
/// maps and a few rows of stack instead of two 9 KiB activations. It only
/// infers, so its layers are `Frozen`: they keep no gradients, and the
/// `static` is exactly its 23,496 bytes of weights.
pub type DigitReader = typenet::Chain![
    Input<Image<f32, 1, 28, 28>, ConvReluPool<Conv2d<f32, 1, 4, 5, 1, 0, Frozen>, MaxPool2d<2>>>,
    Affine<Image<f32, 4, 12, 12>, 10, Frozen>,
    SoftmaxWithLoss<10>
];

/// The trained digit reader, a constant in flash (23 KiB of weights).
pub static DIGITS: DigitReader = typenet::chain![
    Input::of(ConvReluPool::new(Conv2d::frozen(digits::L0_W, digits::L0_B), MaxPool2d)),
    Affine::frozen(digits::L3_W, digits::L3_B),
    SoftmaxWithLoss,
];

/// The digit in a 28×28 grey-scale image (0 = white, 255 = black, as in
/// MNIST), computed on the stack.
pub fn read_digit(pixels: &[[u8; 28]; 28]) -> usize {
    // pixels from bytes are always finite
    DIGITS.classify(&unit_image(pixels)).unwrap_or(0)
}

/// The probability of each digit 0–9 for a 28×28 grey-scale image (as
/// [`read_digit`] takes it).
pub fn digit_probabilities(pixels: &[[u8; 28]; 28]) -> Option<[f32; 10]> {
    DIGITS.probabilities(&unit_image(pixels)).ok()
}

/// The digit in an image of intensities (0.0 = white, 1.0 = black, the
/// scale [`read_digit`] maps bytes to), or `None` if a pixel is NaN or
/// infinite.
pub fn read_digit_f32(image: &Image<f32, 1, 28, 28>) -> Option<usize> {
    DIGITS.classify(image).ok()
}

/// Bytes 0–255 as intensities 0.0–1.0, the scale the digit reader was
/// trained on.
fn unit_image(pixels: &[[u8; 28]; 28]) -> Image<f32, 1, 28, 28> {
    Image([pixels.map(|row| row.map(|p| f32::from(p) / 255.0))])
}

/// The keyword class of one input of 49 × 10 MFCC codes (TFLite's order)
/// by the MLPerf Tiny keyword spotter, baked: `None` unless `mfcc` holds
/// 490 codes. Its intermediate rows (72 kB) are on the stack.
pub fn keyword(mfcc: &[i8]) -> Option<usize> {
    kws::row(mfcc).map(|x| kws::classify(&x))
}

/// The keyword spotter's int8 output (its softmax's codes, as TFLite's
/// output tensor holds them) for one input of 49 × 10 MFCC codes
/// (TFLite's order): `None` unless `mfcc` holds 490 codes.
pub fn keyword_scores(mfcc: &[i8]) -> Option<[i8; 12]> {
    kws::row(mfcc).map(|x| kws::scores(&x))
}
