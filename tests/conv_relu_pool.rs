//! `ConvReluPool` is its three layers run one image at a time: the same
//! outputs, gradients and tensors as `Conv2d` → `Relu` → `MaxPool2d`
//! chained, as one layer, and the trainer's guards hold for both forms.

mod common;

use common::{rng, uniform_batch};
use typenet::io::{from_bytes, to_bytes};
use typenet::prelude::*;
use typenet::train::{DataParallel, TrainError, Trainer};
use typenet::{Dyn, Param, data::Dataset};

/// Every tensor's values and gradients, in order.
fn tensors<X: Row<Scalar: Scalar>, L: Params<X::Scalar>>(layer: &L) -> Vec<(String, Vec<f64>, Vec<f64>)> {
    let mut out = Vec::new();
    layer.visit_params(&mut |p: Param<'_, X::Scalar>| {
        out.push((
            format!("{}.{}", p.layer, p.name),
            p.value.iter().map(|v| v.as_f64()).collect(),
            p.grad.iter().map(|v| v.as_f64()).collect(),
        ))
    });
    out
}

/// `got` equals `want` within `rel` of the largest |want|: sums taken in
/// another order differ by rounding, a wrong gradient by far more.
fn close(what: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "{what}: all zero, which checks nothing");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= rel * scale, "{what}[{i}]: {g} vs {w} (scale {scale})");
    }
}

/// Runs the chained block and the fused one on the same batch, training
/// pass then backward pass with an input gradient, and compares.
fn agree<X, C, F>(chained: &mut C, fused: &mut F, x: &Batch<X>, rel: f64)
where
    X: Row<Scalar: Scalar>,
    C: Trainable<X>,
    F: Trainable<X, Out = C::Out>,
{
    let (mut y_chained, mut y_fused) = (Batch::zeros(0), Batch::zeros(0));
    let (mut cache_chained, mut cache_fused) = (chained.cache::<Dyn>(), fused.cache::<Dyn>());
    chained.forward(x, &mut y_chained, &mut cache_chained, &mut Training::new(0));
    fused.forward(x, &mut y_fused, &mut cache_fused, &mut Training::new(0));
    assert_eq!(y_fused, y_chained, "outputs");
    let (mut inferred_chained, mut inferred_fused) = (Batch::zeros(0), Batch::zeros(0));
    chained.infer(x, &mut inferred_chained);
    fused.infer(x, &mut inferred_fused);
    assert_eq!(inferred_fused, inferred_chained, "inference outputs");
    assert_eq!(inferred_fused, y_fused, "inference and training outputs");

    let dy = uniform_batch::<C::Out>(x.nrows(), -1.0, 1.0, &mut rng(5));
    let (mut dx_chained, mut dx_fused) = (Batch::zeros(0), Batch::zeros(0));
    chained.backward(x, &y_chained, &dy, &mut cache_chained, Some(&mut dx_chained));
    fused.backward(x, &y_fused, &dy, &mut cache_fused, Some(&mut dx_fused));
    let as_f64 = |b: &Batch<X>| b.as_slice().iter().map(|v| v.as_f64()).collect::<Vec<_>>();
    close("dx", &as_f64(&dx_fused), &as_f64(&dx_chained), rel);
    for ((name, value_f, grad_f), (_, value_c, grad_c)) in
        tensors::<X, F>(fused).into_iter().zip(tensors::<X, C>(chained))
    {
        assert_eq!(value_f, value_c, "{name}");
        close(&format!("gradient of {name}"), &grad_f, &grad_c, rel);
    }
}

fn simple_block<T: Scalar>(rel: f64) {
    let conv = Conv2d::<T, 1, 6, 5>::init(Init::He, &mut rng(1));
    let mut chained = Input::<Image<T, 1, 28, 28>>::new()
        .then(conv.clone())
        .then(Relu)
        .then(MaxPool2d::<2>);
    let mut fused = ConvReluPool::new(conv, MaxPool2d::<2>);
    let x = uniform_batch::<Image<T, 1, 28, 28>>(7, -1.0, 1.0, &mut rng(2));
    agree(&mut chained, &mut fused, &x, rel);
}

fn strided_block<T: Scalar>(rel: f64) {
    let conv = Conv2d::<T, 2, 3, 3, 2, 1>::init(Init::He, &mut rng(3));
    let mut chained = Input::<Image<T, 2, 11, 9>>::new()
        .then(conv.clone())
        .then(Relu)
        .then(MaxPool2d::<3, 2>);
    let mut fused = ConvReluPool::new(conv, MaxPool2d::<3, 2>);
    let x = uniform_batch::<Image<T, 2, 11, 9>>(5, -1.0, 1.0, &mut rng(4));
    agree(&mut chained, &mut fused, &x, rel);
}

#[test]
fn the_fused_block_computes_what_the_three_layers_do_f32() {
    simple_block::<f32>(1e-5);
    strided_block::<f32>(1e-5);
}

#[test]
fn the_fused_block_computes_what_the_three_layers_do_f64() {
    simple_block::<f64>(1e-12);
    strided_block::<f64>(1e-12);
}

type Chained = Chain![
    Input<Image<f32, 1, 12, 12>, Conv2d<f32, 1, 4, 3>>,
    Relu,
    MaxPool2d<2>,
    Affine<Image<f32, 4, 5, 5>, 3>,
    SoftmaxWithLoss<3>
];
type Fused = Chain![
    Input<Image<f32, 1, 12, 12>, ConvReluPool<Conv2d<f32, 1, 4, 3>, MaxPool2d<2>>>,
    Affine<Image<f32, 4, 5, 5>, 3>,
    SoftmaxWithLoss<3>
];

fn chained(seed: u64) -> Chained {
    let mut g = rng(seed);
    Input::new()
        .then(Conv2d::init(Init::He, &mut g))
        .then(Relu)
        .then(MaxPool2d)
        .then(Affine::init(Init::He, &mut g))
        .then(SoftmaxWithLoss)
}

fn fused(seed: u64) -> Fused {
    let mut g = rng(seed);
    Input::new()
        .then(ConvReluPool::new(Conv2d::init(Init::He, &mut g), MaxPool2d))
        .then(Affine::init(Init::He, &mut g))
        .then(SoftmaxWithLoss)
}

/// The block is one layer: one summary row with the pooled output and the
/// convolution's parameters, one position (the Affine after it is layer 1,
/// its tensors `"1.W"`), the same tensors in the same order as the three
/// layers chained, and the same predictions with the same values.
#[test]
fn the_block_is_one_layer_with_the_three_layers_tensors() {
    let (a, b) = (chained(7), fused(7));
    let (rows_a, rows_b) = (a.summary().layers, b.summary().layers);
    assert_eq!(rows_b.len(), 3);
    assert_eq!(
        (rows_b[0].kind, rows_b[0].output, rows_b[0].params),
        ("ConvReluPool", rows_a[2].output, rows_a[0].params)
    );
    assert_eq!(b.layer::<1>().weights(), a.layer::<3>().weights());
    let mut tensors_b = Vec::new();
    b.tensors(&mut |t| tensors_b.push(format!("{}.{}", t.layer, t.name)));
    assert_eq!(tensors_b, ["0.W", "0.b", "1.W", "1.b"]);
    // a file of one form names another layer list: refused, saying where
    let err = from_bytes(&mut fused(8), &to_bytes(&a).unwrap()).unwrap_err();
    assert!(err.to_string().contains("ConvReluPool"), "{err}");
    // the same values, in the same order, give the same net
    let mut values = Vec::new();
    a.visit_params(&mut |p| values.push(p.value.to_vec()));
    let mut copy = fused(9);
    let mut k = 0;
    copy.visit_params_mut(&mut |p| {
        p.value.copy_from_slice(&values[k]);
        k += 1;
    });
    assert_eq!(to_bytes(&copy).unwrap(), to_bytes(&b).unwrap());
    let x = uniform_batch::<Image<f32, 1, 12, 12>>(4, 0.0, 1.0, &mut rng(10));
    assert_eq!(a.predict(&x).unwrap(), b.predict(&x).unwrap());
}

/// A data set with a NaN pixel is refused by the trainer before its first
/// step, naming the sample and the pixel; a step on it (by hand) is
/// refused, and the net keeps its parameters; on two threads as on one.
fn refuses_a_nan_batch<N>(make: impl Fn() -> N)
where
    N: TrainableNetwork<Image<f32, 1, 12, 12>, Out = [f32; 3]>
        + Clone
        + PartialEq
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let mut images = uniform_batch::<Image<f32, 1, 12, 12>>(30, 0.0, 1.0, &mut rng(11));
    for image in images.rows_mut() {
        // every image, so that the first step's draw meets one
        image.0[0][5][5] = f32::NAN;
    }
    let labels: Vec<usize> = (0..30).map(|i| i % 3).collect();
    let data = Dataset::new(images, Labels::<3>::from_slice(&labels).unwrap()).unwrap();
    for threads in [1, 2] {
        let mut net = make();
        let before = net.clone();
        let err = Trainer::new(Sgd::new(0.1))
            .batch_size(10)
            .iterations(2)
            .threads(threads)
            .train(&mut net, &data, None, |_| {})
            .unwrap_err();
        // pixel (0, 5, 5) of a 12×12 image is at position 5·12 + 5
        let refused = TrainError::NonFiniteSample {
            set: "training",
            row: 0,
            column: 65,
        };
        assert_eq!(err, refused, "{threads} threads");
        assert_eq!(net, before, "{threads} threads: trained on a NaN");

        let mut parallel = DataParallel::new(make(), Sgd::new(0.1), data.clone(), threads, 0).unwrap();
        let err = parallel.step(&(0..10).collect::<Vec<_>>()).unwrap_err();
        assert!(
            matches!(err, TrainError::NonFinite { step: 0, .. }),
            "{threads} threads: {err:?}"
        );
        assert_eq!(
            parallel.into_parts().0,
            before,
            "{threads} threads: the refused step reached the weights"
        );
    }
}

/// A convolutional net meets a NaN pixel as a dense one does, chained or
/// fused.
#[test]
fn conv_nets_refuse_a_nan_batch() {
    refuses_a_nan_batch(|| chained(12));
    refuses_a_nan_batch(|| fused(12));
}

/// Trained the same way, the fused net and the chained one end with the
/// same test accuracy, up to the rounding of summing gradients in
/// another order.
#[test]
fn fused_and_chained_nets_train_alike() {
    let mut images = uniform_batch::<Image<f32, 1, 12, 12>>(90, 0.0, 0.2, &mut rng(13));
    let labels: Vec<usize> = (0..90).map(|i| i % 3).collect();
    for (image, &label) in images.rows_mut().iter_mut().zip(&labels) {
        for r in 0..12 {
            image.0[0][r][4 * label] += 1.0; // a bright column per class
        }
    }
    let data = Dataset::new(images, Labels::<3>::from_slice(&labels).unwrap()).unwrap();
    let trainer = || Trainer::new(Sgd::new(0.1)).batch_size(30).iterations(60);
    let losses_chained = trainer()
        .train(&mut chained(14), &data, None, |_| {})
        .unwrap()
        .train_loss;
    let losses_fused = trainer().train(&mut fused(14), &data, None, |_| {}).unwrap().train_loss;
    assert!(losses_chained[59] < 0.5 * losses_chained[0], "{losses_chained:?}");
    close("losses", &losses_fused, &losses_chained, 1e-4);
}
