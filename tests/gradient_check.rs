//! Back-propagation against central differences, for every layer and for
//! whole nets, in f64 and f32.

mod common;

use common::{rng, uniform_batch};
use typenet::prelude::*;
use typenet::{GradientDiff, gradient_check};

/// How far backprop may be from the numerical gradient (mean absolute
/// difference per tensor).
///
/// f64: the book's bar. The central difference has truncation error
/// h²/6·|f'''| ≈ 2e-9·|f'''| and rounding error ≈ ε·|L|/h ≈ 2e-16 · 2.3 / 1e-4
/// ≈ 5e-12 per element.
///
/// f32: rounding dominates. The loss carries a relative error of a few ε
/// (ε = 1.2e-7) from the sums of its forward pass, and the difference of two
/// such losses is divided by 2h = 2e-4, so a single element can be off by
/// about 4ε·|L|/2h ≈ 4 · 1.2e-7 · 2.3 / 2e-4 ≈ 5.5e-3; the mean over a
/// tensor is well below that bound.
fn tolerance<T: Scalar>() -> f64 {
    if T::DTYPE == "F64" { 1e-7 } else { 5.5e-3 }
}

#[track_caller]
fn assert_within<T: Scalar>(report: &[GradientDiff], tensors: usize) {
    assert_eq!(
        report.len(),
        tensors,
        "one entry per parameter tensor plus the input: {report:?}"
    );
    for d in report {
        assert!(
            d.mean_abs <= tolerance::<T>(),
            "{} of layer {:?}: mean |backprop − numerical| = {:e}, over {:e}",
            d.name,
            d.layer,
            d.mean_abs,
            tolerance::<T>()
        );
        assert!(d.mean_abs.is_finite() && d.max_abs.is_finite());
    }
    eprintln!("{}: {report:?}", T::DTYPE);
}

fn affine<T: Scalar>() {
    let mut g = rng(1);
    let mut net = Affine::<T, 5, 4>::init(Init::Normal(0.5), &mut g).then(SoftmaxWithLoss);
    net.first_mut()
        .bias_mut()
        .copy_from_slice(&[0.1, -0.2, 0.3, 0.0].map(T::of));
    let x = uniform_batch::<[T; 5]>(3, -1.0, 1.0, &mut g);
    let t = Labels::<4>::from_slice(&[0, 3, 2]).unwrap();
    assert_within::<T>(&gradient_check(&mut net, &x, &t), 3);
}

/// Inputs at least 0.05 away from the kink, so x ± h never crosses it.
fn relu<T: Scalar>() {
    let mut g = rng(2);
    let mut net = <Relu as Layer<[T; 6]>>::then(Relu, SoftmaxWithLoss::<6>);
    let mut x = uniform_batch::<[T; 6]>(4, 0.05, 2.0, &mut g);
    for (i, v) in x.as_mut_slice().iter_mut().enumerate() {
        if i % 3 == 0 {
            *v = -*v;
        }
    }
    let t = Labels::<6>::from_slice(&[5, 0, 1, 3]).unwrap();
    let report = gradient_check(&mut net, &x, &t);
    assert_within::<T>(&report, 1);
}

fn sigmoid<T: Scalar>() {
    let mut g = rng(3);
    let mut net = <Sigmoid as Layer<[T; 6]>>::then(Sigmoid, SoftmaxWithLoss::<6>);
    let x = uniform_batch::<[T; 6]>(4, -3.0, 3.0, &mut g);
    let t = Labels::<6>::from_slice(&[1, 2, 4, 0]).unwrap();
    assert_within::<T>(&gradient_check(&mut net, &x, &t), 1);
}

/// SoftmaxWithLoss in the middle of a chain back-propagates through the
/// softmax Jacobian; at the end it gives (y − t)/batch. One-hot targets.
fn softmax_as_layer_and_loss<T: Scalar>() {
    let mut g = rng(4);
    let mut net = Affine::<T, 4, 5>::init(Init::Normal(1.0), &mut g)
        .then(SoftmaxWithLoss)
        .then(Affine::<T, 5, 3>::init(Init::Normal(1.0), &mut g))
        .then(SoftmaxWithLoss);
    let x = uniform_batch::<[T; 4]>(3, -1.0, 1.0, &mut g);
    let t = Labels::<3>::from_slice(&[2, 0, 1]).unwrap().one_hot::<T>();
    assert_within::<T>(&gradient_check(&mut net, &x, &t), 5);
}

/// The book's check: the 784→50→10 two-layer net, weights 0.01·N(0, 1),
/// three samples of pixel-like inputs.
fn two_layer_net_784_50_10<T: Scalar>() {
    let mut g = rng(5);
    let mut net: TwoLayerNet<T, 784, 50, 10> = two_layer_net(0.01, &mut g);
    let x = uniform_batch::<[T; 784]>(3, 0.0, 1.0, &mut g);
    let t = Labels::<10>::from_slice(&[5, 0, 4]).unwrap();
    assert_within::<T>(&gradient_check(&mut net, &x, &t), 5);
}

/// A deeper chain with a sigmoid inside: 12→8 (ReLU)→6 (sigmoid)→4.
fn deep_chain<T: Scalar>() {
    let mut g = rng(6);
    let mut net = Affine::<T, 12, 8>::init(Init::He, &mut g)
        .then(Relu)
        .then(Affine::<T, 8, 6>::init(Init::Xavier, &mut g))
        .then(Sigmoid)
        .then(Affine::<T, 6, 4>::init(Init::Xavier, &mut g))
        .then(SoftmaxWithLoss);
    let x = uniform_batch::<[T; 12]>(5, -1.0, 1.0, &mut g);
    let t = Labels::<4>::from_slice(&[0, 1, 2, 3, 1]).unwrap();
    assert_within::<T>(&gradient_check(&mut net, &x, &t), 7);
}

/// A batch of one row: the mean over the batch is the row itself, in a
/// `Dyn` batch and a `Const<1>` batch alike.
fn batch_of_one<T: Scalar>() {
    let mut g = rng(7);
    let mut net = Affine::<T, 6, 4>::init(Init::He, &mut g)
        .then(Relu)
        .then(Affine::<T, 4, 3>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    let x = uniform_batch::<[T; 6]>(1, -1.0, 1.0, &mut g);
    let t = Labels::<3>::from_slice(&[2]).unwrap();
    assert_within::<T>(&gradient_check(&mut net, &x, &t), 5);
    let mut twin = net.clone();
    let loss = net.gradient(&x, &t);
    let one = Batch::<[T; 6], Const<1>>::new([x[0]]);
    let loss_static = twin.gradient(&one, &Labels::<3, Const<1>>::new([2]).unwrap());
    assert_eq!(loss, loss_static);
    assert_eq!(typenet::stored_gradients(&net), typenet::stored_gradients(&twin));
}

for_f32_and_f64!(
    affine,
    relu,
    sigmoid,
    softmax_as_layer_and_loss,
    two_layer_net_784_50_10,
    deep_chain,
    batch_of_one
);
