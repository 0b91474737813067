//! Weights baked into a binary: the Rust source that `bake_weights` wrote
//! (`tests/no-std/src/model.rs` and `digits.rs`, compiled into this test)
//! is exactly what the exporter writes for the saved nets, and the nets
//! built from the constants predict exactly as those nets; the digit
//! reader reads digits, in a small stack.

mod common;

#[allow(dead_code)]
#[path = "no-std/src/model.rs"]
#[rustfmt::skip]
mod model;

#[allow(dead_code)]
#[path = "no-std/src/digits.rs"]
#[rustfmt::skip]
#[allow(clippy::large_const_arrays)] // copied once, into a static
mod digits;

use typenet::data::{Dataset, MnistFiles, Pixels};
use typenet::prelude::*;

type Classifier = Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];

static BAKED: Classifier = typenet::chain![
    Affine::from_arrays(model::L0_W, model::L0_B),
    Relu,
    Affine::from_arrays(model::L2_W, model::L2_B),
    SoftmaxWithLoss,
];

fn saved() -> Classifier {
    let mut net: Classifier = Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
    typenet::io::load(
        &mut net,
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-std/src/model.safetensors"),
    )
    .unwrap();
    net
}

#[test]
fn exported_source_is_the_saved_net_exactly() {
    let original = saved();
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-std/src/model.rs")).unwrap();
    assert_eq!(typenet::io::rust_source(&original).unwrap(), source);
    assert_eq!(BAKED, original);
    for i in 0..1000 {
        let x = [
            (i % 7) as f32 * 0.7 - 2.0,
            (i % 11) as f32 * 0.4 - 2.0,
            (i % 13) as f32 * 0.3 - 1.5,
            (i % 5) as f32 - 2.0,
        ];
        assert_eq!(BAKED.probabilities(&x).unwrap(), original.probabilities(&x).unwrap());
        assert_eq!(BAKED.classify(&x).unwrap(), original.classify(&x).unwrap());
    }
    // and the baked net classifies what it was trained on
    assert_eq!(BAKED.classify(&[0.1, 2.3, -0.2, 0.4]).unwrap(), 1);
    assert_eq!(BAKED.classify(&[2.5, 0.0, 0.1, -0.3]).unwrap(), 0);
}

#[test]
fn non_finite_parameters_cannot_be_exported() {
    let mut net = saved();
    net.layer_mut::<2>().bias_mut()[2] = f32::NAN;
    assert!(typenet::io::rust_source(&net).is_err());
}

type DigitReader = Chain![
    Input<Image<f32, 1, 28, 28>, Conv2d<f32, 1, 4, 5, 1, 0, Inline>>,
    Relu,
    MaxPool2d<2>,
    Affine<Image<f32, 4, 12, 12>, 10, Inline>,
    SoftmaxWithLoss<10>
];

/// The digit reader as a net that only infers: no gradients beside its
/// weights.
type FrozenDigitReader = Chain![
    Input<Image<f32, 1, 28, 28>, Conv2d<f32, 1, 4, 5, 1, 0, Frozen>>,
    Relu,
    MaxPool2d<2>,
    Affine<Image<f32, 4, 12, 12>, 10, Frozen>,
    SoftmaxWithLoss<10>
];

static DIGITS: FrozenDigitReader = typenet::chain![
    Input::of(Conv2d::frozen(digits::L0_W, digits::L0_B)),
    Relu,
    MaxPool2d,
    Affine::frozen(digits::L3_W, digits::L3_B),
    SoftmaxWithLoss,
];

/// A net that only infers is the size of its parameters: 4·25 + 4
/// convolution values and 576·10 + 10 affine ones, 4 bytes each, and not a
/// byte of gradient.
#[test]
fn a_frozen_net_is_the_size_of_its_parameters() {
    let params = (4 * 25 + 4) + (576 * 10 + 10);
    assert_eq!(DIGITS.param_count(), params);
    assert_eq!(size_of::<FrozenDigitReader>(), 4 * params);
    assert_eq!(
        size_of::<DigitReader>(),
        2 * 4 * params,
        "the trainable net keeps a gradient per value"
    );
}

#[test]
#[ignore]
fn rewrite_baked_sources() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-std/src");
    std::fs::write(format!("{dir}/model.rs"), typenet::io::rust_source(&saved()).unwrap()).unwrap();
    std::fs::write(
        format!("{dir}/digits.rs"),
        typenet::io::rust_source(&saved_digits()).unwrap(),
    )
    .unwrap();
}

fn saved_digits() -> DigitReader {
    let mut net: DigitReader = Input::new()
        .then(Conv2d::zeros())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::zeros())
        .then(SoftmaxWithLoss);
    typenet::io::load(
        &mut net,
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-std/src/digits.safetensors"),
    )
    .unwrap();
    net
}

fn mnist_test() -> Dataset<Image<f32, 1, 28, 28>, 10> {
    let files = MnistFiles::find(common::mnist_dir()).unwrap();
    Dataset::load(&files.test.images, &files.test.labels, Pixels::Unit).unwrap()
}

#[test]
fn the_baked_digit_reader_is_the_saved_one() {
    let original = saved_digits();
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-std/src/digits.rs")).unwrap();
    assert_eq!(typenet::io::rust_source(&original).unwrap(), source);
    assert_eq!(
        typenet::io::to_bytes(&DIGITS).unwrap(),
        typenet::io::to_bytes(&original).unwrap()
    );
    let test = mnist_test().take(1000);
    let mut correct = 0;
    for i in 0..test.len() {
        let image = test.image(i).unwrap();
        let class = DIGITS.classify(&image).unwrap();
        assert_eq!(class, original.classify(&image).unwrap());
        correct += usize::from(class == test.labels().get(i));
    }
    // bake_weights reports 96.4 % on the whole test set
    assert!(correct > 940, "{correct} of 1000 test digits read right");
}

/// The digit reader's inference needs no heap and little stack: a thread
/// of 64 KiB reads a digit. The smallest stack that does is found by
/// running this test binary again with a given stack until it overflows
/// (an overflow aborts the process, so it cannot be caught in one).
#[test]
fn the_digit_reader_runs_in_a_small_stack() {
    if let Ok(size) = std::env::var("TYPENET_STACK_PROBE") {
        let size: usize = size.parse().unwrap();
        let image = mnist_test().image(0).unwrap();
        let class = std::thread::Builder::new()
            .stack_size(size)
            .spawn(move || DIGITS.classify(&image).unwrap())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(class, 7);
        return;
    }
    let runs = |size: usize| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "the_digit_reader_runs_in_a_small_stack", "--test-threads=1"])
            .env("TYPENET_STACK_PROBE", size.to_string())
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(runs(64 << 10), "the digit reader overflowed a 64 KiB stack");
    let (mut fits, mut fails) = (64 << 10, 4 << 10);
    while fits - fails > 512 {
        let mid = (fits + fails) / 2;
        if runs(mid) { fits = mid } else { fails = mid }
    }
    eprintln!(
        "reading a digit needs a thread stack of at most {} KiB here",
        fits.div_ceil(1024)
    );
}
