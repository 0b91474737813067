//! Large layers never pass through the stack: built, run and cloned on an
//! ordinary test thread (2 MiB) of a debug build. `.ci/run` also runs them
//! at opt-level 0 (`--profile opt0`), what a crate depending on typenet
//! gets in its own debug builds, where every by-value temporary stays on
//! the stack.

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

/// One large image through a heap net, on threads of 2 MiB: the one-sample
/// calls (`classify`, `scores`, `probabilities`) keep the image's maps on
/// the heap once they would crowd the stack, and a batch of no rows or a
/// data-parallel step builds nothing on the stack.
#[test]
fn large_images_fit_the_default_stacks() {
    let on_small_stack = |f: fn()| {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .expect("a thread")
            .join()
            .expect("no overflow")
    };
    on_small_stack(|| {
        type Big = Image<f32, 3, 256, 256>;
        let mut g = rng(31);
        let net = Input::<Big>::new()
            .then(Conv2d::<f32, 3, 16, 3>::init(Init::He, &mut g))
            .then(Relu)
            .then(MaxPool2d::<2>)
            .then(Affine::<_, 4>::init(Init::He, &mut g))
            .then(SoftmaxWithLoss);
        // built on the heap: the image alone is 786 KB
        let x = uniform_batch::<Big>(1, 0.0, 1.0, &mut g);
        let image = &x[0];
        let class = net.classify(image).unwrap();
        assert_eq!(net.scores(image).unwrap(), net.predict(&x).unwrap()[0]);
        assert!((net.probabilities(image).unwrap().iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(class < 4);
        assert_eq!(net.predict(&Batch::<Big>::zeros(0)).unwrap().nrows(), 0);
    });
    on_small_stack(|| {
        type Tall = Image<f32, 1, 128, 128>;
        let mut g = rng(32);
        let net = Input::<Tall>::new()
            .then(Conv2d::<f32, 1, 32, 3>::init(Init::He, &mut g))
            .then(Relu)
            .then(MaxPool2d::<2>)
            .then(Affine::<_, 3>::init(Init::He, &mut g))
            .then(SoftmaxWithLoss);
        let x = uniform_batch::<Tall>(2, 0.0, 1.0, &mut g);
        assert_eq!(
            net.classify(&x[1]).unwrap(),
            typenet::argmax(&net.predict(&x).unwrap()[1])
        );
        let data = typenet::data::Dataset::new(x, Labels::<3>::from_slice(&[0, 2]).unwrap()).unwrap();
        let mut parallel = typenet::train::DataParallel::new(net, Sgd::new(0.01), data, 2, 0).unwrap();
        assert!(parallel.step(&[0, 1]).unwrap().is_finite());
    });
}
