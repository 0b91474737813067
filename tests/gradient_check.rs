//! Back-propagation against central differences, for every layer, every
//! way of composing layers, and whole nets, in f64 and f32.
//!
//! f64: the book's bar, a mean |backprop − numerical| of at most 1e-7 per
//! tensor, and at most 1e-5 of the tensor's mean |gradient| (so a backward
//! pass that returns zeros fails). The central difference's truncation
//! error is h²/6·|f'''| ≈ 2e-9·|f'''| and its rounding error about
//! ε·|L|/h ≈ 5e-12 per element.
//!
//! f32: a central difference in f32 is dominated by rounding (4ε·|L|/2h ≈
//! 5e-3 per element with h = 1e-4), as large as the gradients themselves,
//! so it proves nothing. Instead the f32 net's back-propagation is compared
//! with the numerical gradient of its f64 twin (the same parameters and
//! inputs, which are all f32 values): the f32 forward and backward passes
//! round at ε·√k relative for sums of k terms (≈ 4e-6 for k = 784), so a
//! mean difference of at most 1e-4 of the mean |gradient| has a wide margin
//! and still fails any wrong formula.
//!
//! Training mode throughout: Dropout draws the same mask for the backward
//! pass and every numerical evaluation, BatchNorm normalises by the batch.
//! Inputs are chosen so that no ReLU input and no pooling window's runner-up
//! is within reach of a perturbation (the test checks this), because at a
//! kink there is no derivative to compare.

mod common;

use common::rng;
use rand::RngExt;
use typenet::prelude::*;
use typenet::{
    GradientDiff, Pair, ParamKind, Standardize, Training, gradient_check, numerical_gradient,
    numerical_gradient_of_net, stored_gradients,
};

/// The randomness every check's training passes use.
const SEED: u64 = 0x5eed;

/// `rows` rows of values in [lo, hi), each an f32 value, so the f32 and
/// f64 builds of a case see the same numbers.
fn inputs<X: Row<Scalar: Scalar>>(rows: usize, lo: f64, hi: f64, seed: u64) -> Batch<X> {
    let mut g = rng(seed);
    let mut b = Batch::<X>::zeros(rows);
    for v in b.as_mut_slice() {
        *v = X::Scalar::of(g.random_range(lo..hi) as f32 as f64);
    }
    b
}

/// Every tensor of `from` written into `to` (same layout, another scalar).
fn copy_params<A: Scalar, B: Scalar, LA: Params<A>, LB: Params<B>>(from: &LA, to: &mut LB) {
    let mut values = Vec::new();
    from.visit_params(&mut |p| values.extend(p.value.iter().map(|v| v.as_f64())));
    let mut at = 0;
    to.visit_params_mut(&mut |p| {
        for v in p.value.iter_mut() {
            *v = B::of(values[at]);
            at += 1;
        }
    });
    assert_eq!(at, values.len(), "the two nets hold the same tensors");
}

#[track_caller]
fn check_f64<X, N, const C: usize>(net: &mut N, x: &Batch<X>, t: &Labels<C>, tensors: usize)
where
    X: Row<Scalar = f64>,
    N: TrainableNetwork<X, Out = [f64; C]>,
{
    let report = gradient_check(net, x, t).expect("rows match");
    assert_eq!(
        report.len(),
        tensors + 1,
        "one entry per trained tensor plus the input: {report:?}"
    );
    for d in &report {
        assert!(d.mean_abs_gradient > 0.0, "{d:?}: a zero gradient checks nothing");
        assert!(
            d.mean_abs <= 1e-7 && d.mean_abs <= 1e-5 * d.mean_abs_gradient,
            "{} of layer {:?}: mean |backprop − numerical| = {:e} against a mean |gradient| of {:e}",
            d.name,
            d.layer,
            d.mean_abs,
            d.mean_abs_gradient
        );
    }
    eprintln!("f64: {report:?}");
}

/// The f32 net's back-propagation against the numerical gradient of its
/// f64 twin (see the file's comment).
#[track_caller]
fn check_f32<X32, X64, N32, N64, const C: usize>(
    net: &mut N32,
    x: &Batch<X32>,
    twin: &mut N64,
    twin_x: &Batch<X64>,
    t: &Labels<C>,
    tensors: usize,
) where
    X32: Row<Scalar = f32>,
    X64: Row<Scalar = f64>,
    N32: TrainableNetwork<X32, Out = [f32; C]>,
    N64: TrainableNetwork<X64, Out = [f64; C]>,
{
    copy_params::<f32, f64, _, _>(net, twin);
    let mut ws = net.workspace_seeded(SEED);
    let mut dx = x.clone();
    net.gradient_with(&mut ws, x, t, Some(&mut dx)).expect("rows match");
    let backprop = stored_gradients(net);
    let training = Training::new(SEED);
    let numerical = numerical_gradient_of_net(twin, twin_x, t, &training).expect("rows match");
    assert_eq!(backprop.len(), tensors);
    let mut ws64 = twin.workspace();
    let mut probe = twin_x.clone();
    let numerical_dx = numerical_gradient(
        |v| {
            probe.as_mut_slice().copy_from_slice(v);
            *ws64.training() = training.clone();
            twin.train_loss_with(&mut ws64, &probe, t).expect("rows match")
        },
        &mut twin_x.as_slice().to_vec(),
    );
    let pairs = backprop
        .iter()
        .zip(&numerical)
        .map(|(b, n)| (Some(b.layer), b.name, b.values.clone(), n.values.clone()))
        .chain([(None, "x", dx.as_slice().to_vec(), numerical_dx)]);
    for (layer, name, b, n) in pairs {
        let mean_abs = b.iter().zip(&n).map(|(b, n)| (*b as f64 - n).abs()).sum::<f64>() / n.len() as f64;
        let scale = n.iter().map(|n| n.abs()).sum::<f64>() / n.len() as f64;
        assert!(scale > 0.0, "{name} of layer {layer:?}: a zero gradient checks nothing");
        assert!(
            f32_agrees(mean_abs, scale),
            "{name} of layer {layer:?}: mean |f32 backprop − f64 numerical| = {mean_abs:e} against a mean |gradient| of {scale:e}"
        );
        eprintln!("f32: {name} of layer {layer:?}: {mean_abs:e} of {scale:e}");
    }
}

/// The f32 bar: the mean |f32 backprop − f64 numerical| within 1e-4 of the
/// mean |gradient| (a relative bar, so a backward of zeros misses it).
fn f32_agrees(mean_abs: f64, scale: f64) -> bool {
    scale > 0.0 && mean_abs <= 1e-4 * scale
}

/// A check in f64 and one in f32 of the net `build::<T>()` makes.
macro_rules! gradient_checks {
    ($($name:ident: $tensors:expr;)+) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn f64() {
                    let (mut net, x, t) = super::$name::<f64>();
                    check_f64(&mut net, &x, &t, $tensors);
                }

                #[test]
                fn f32() {
                    let (mut net, x, t) = super::$name::<f32>();
                    let (mut twin, twin_x, _) = super::$name::<f64>();
                    check_f32(&mut net, &x, &mut twin, &twin_x, &t, $tensors);
                }
            }
        )+
    };
}

/// How near a value of `hidden` (a ReLU's input) comes to the kink at 0.
fn kink_distance<X: Row<Scalar: Scalar>>(hidden: &Batch<X>) -> f64 {
    hidden
        .as_slice()
        .iter()
        .map(|v| v.as_f64().abs())
        .fold(f64::INFINITY, f64::min)
}

/// Panics unless every value of `hidden` (a ReLU's input) is at least
/// `margin` from 0: then no perturbation of h = 1e-4 crosses the kink.
#[track_caller]
fn away_from_kinks<X: Row<Scalar: Scalar>>(hidden: &Batch<X>, margin: f64) {
    let closest = kink_distance(hidden);
    assert!(
        closest > margin,
        "a ReLU input of {closest:e} is too near its kink: choose another seed"
    );
}

type Case<N, X, const C: usize> = (N, Batch<X>, Labels<C>);

type Single<T> = Chain![Affine<[T; 5], 4>, SoftmaxWithLoss<4>];
fn affine<T: Scalar>() -> Case<Single<T>, [T; 5], 4> {
    let mut net = Affine::<[T; 5], 4>::init(Init::Normal(0.5), &mut rng(1)).then(SoftmaxWithLoss);
    net.layer_mut::<0>()
        .bias_mut()
        .copy_from_slice(&[0.1, -0.2, 0.3, 0.0].map(T::of));
    (net, inputs(3, -1.0, 1.0, 11), Labels::from_slice(&[0, 3, 2]).unwrap())
}

/// Affine, then a ReLU: inputs well away from the kink.
type Relued<T> = Chain![Affine<[T; 6], 6>, Relu, SoftmaxWithLoss<6>];
fn relu<T: Scalar>() -> Case<Relued<T>, [T; 6], 6> {
    let net = Affine::init(Init::Normal(0.7), &mut rng(2))
        .then(Relu)
        .then(SoftmaxWithLoss);
    let x = inputs(4, -1.0, 1.0, 12);
    let mut hidden = Batch::<[T; 6]>::zeros(4);
    net.layer::<0>().infer(&x, &mut hidden);
    away_from_kinks(&hidden, 1e-3);
    (net, x, Labels::from_slice(&[5, 0, 1, 3]).unwrap())
}

type Squashed<T> = Chain![Affine<[T; 6], 6>, Sigmoid, SoftmaxWithLoss<6>];
fn sigmoid<T: Scalar>() -> Case<Squashed<T>, [T; 6], 6> {
    let net = Affine::init(Init::Normal(1.0), &mut rng(3))
        .then(Sigmoid)
        .then(SoftmaxWithLoss);
    (
        net,
        inputs(4, -2.0, 2.0, 13),
        Labels::from_slice(&[1, 2, 4, 0]).unwrap(),
    )
}

type Tanhed<T> = Chain![Affine<[T; 6], 6>, Tanh, SoftmaxWithLoss<6>];
fn tanh<T: Scalar>() -> Case<Tanhed<T>, [T; 6], 6> {
    let net = Affine::init(Init::Normal(1.0), &mut rng(6))
        .then(Tanh)
        .then(SoftmaxWithLoss);
    (
        net,
        inputs(4, -2.0, 2.0, 16),
        Labels::from_slice(&[3, 2, 5, 1]).unwrap(),
    )
}

/// A leak of 0.2 on inputs away from the kink at 0, on both sides of it.
type Leaky<T> = Chain![Affine<[T; 6], 6>, LeakyRelu, SoftmaxWithLoss<6>];
fn leaky_relu<T: Scalar>() -> Case<Leaky<T>, [T; 6], 6> {
    let net = Affine::init(Init::Normal(0.7), &mut rng(7))
        .then(LeakyRelu::new(0.2))
        .then(SoftmaxWithLoss);
    let x = inputs(4, -1.0, 1.0, 17);
    let mut hidden = Batch::<[T; 6]>::zeros(4);
    net.layer::<0>().infer(&x, &mut hidden);
    away_from_kinks(&hidden, 1e-3);
    assert!(hidden.as_slice().iter().any(|&v| v < T::ZERO), "some inputs leak");
    (net, x, Labels::from_slice(&[0, 4, 2, 3]).unwrap())
}

/// Inputs on the three pieces of ReLU6 (below 0, between, above 6), away
/// from both kinks.
type Capped<T> = Chain![Affine<[T; 6], 6>, Relu6, SoftmaxWithLoss<6>];
fn relu6<T: Scalar>() -> Case<Capped<T>, [T; 6], 6> {
    let net = Affine::init(Init::Normal(4.0), &mut rng(8))
        .then(Relu6)
        .then(SoftmaxWithLoss);
    let x = inputs(4, -1.0, 1.0, 18);
    let mut hidden = Batch::<[T; 6]>::zeros(4);
    net.layer::<0>().infer(&x, &mut hidden);
    away_from_kinks(&hidden, 1e-3);
    let mut shifted = hidden.clone();
    shifted.as_mut_slice().iter_mut().for_each(|v| *v = *v - T::of(6.0));
    away_from_kinks(&shifted, 1e-3);
    let values = hidden.as_slice();
    assert!(values.iter().any(|&v| v > T::of(6.0)), "some inputs are capped");
    assert!(values.iter().any(|&v| v > T::ZERO && v < T::of(6.0)), "some pass");
    (net, x, Labels::from_slice(&[1, 5, 0, 2]).unwrap())
}

/// SoftmaxWithLoss in the middle of a chain back-propagates through the
/// softmax Jacobian; at the end it gives (y − t)/batch.
type SoftmaxInside<T> = Chain![Affine<[T; 4], 5>, SoftmaxWithLoss<5>, Affine<[T; 5], 3>, SoftmaxWithLoss<3>];
fn softmax_as_layer_and_loss<T: Scalar>() -> (SoftmaxInside<T>, Batch<[T; 4]>, Labels<3>) {
    let mut g = rng(4);
    let net = Affine::init(Init::Normal(1.0), &mut g)
        .then(SoftmaxWithLoss)
        .then(Affine::init(Init::Normal(1.0), &mut g))
        .then(SoftmaxWithLoss);
    (net, inputs(3, -1.0, 1.0, 14), Labels::from_slice(&[2, 0, 1]).unwrap())
}

/// The book's check: the 784→50→10 two-layer net, weights 0.01·N(0, 1),
/// three samples of pixel-like inputs.
fn two_layer_net_784_50_10<T: Scalar>() -> (TwoLayerNet<T, 784, 50, 10>, Batch<[T; 784]>, Labels<10>) {
    let net: TwoLayerNet<T, 784, 50, 10> = two_layer_net(0.01, &mut rng(5));
    let x = inputs(3, 0.0, 1.0, 15);
    let mut hidden = Batch::<[T; 50]>::zeros(3);
    net.layer::<0>().infer(&x, &mut hidden);
    away_from_kinks(&hidden, 1e-4);
    (net, x, Labels::from_slice(&[5, 0, 4]).unwrap())
}

/// A deeper chain with a sigmoid inside: 12→8 (ReLU)→6 (sigmoid)→4.
type Deep<T> = Chain![Affine<[T; 12], 8>, Relu, Affine<[T; 8], 6>, Sigmoid, Affine<[T; 6], 4>, SoftmaxWithLoss<4>];
fn deep_chain<T: Scalar>() -> (Deep<T>, Batch<[T; 12]>, Labels<4>) {
    let mut g = rng(6);
    let net = Affine::init(Init::He, &mut g)
        .then(Relu)
        .then(Affine::init(Init::Xavier, &mut g))
        .then(Sigmoid)
        .then(Affine::init(Init::Xavier, &mut g))
        .then(SoftmaxWithLoss);
    let x = inputs(5, -1.0, 1.0, 16);
    let mut hidden = Batch::<[T; 8]>::zeros(5);
    net.layer::<0>().infer(&x, &mut hidden);
    away_from_kinks(&hidden, 1e-3);
    (net, x, Labels::from_slice(&[0, 1, 2, 3, 1]).unwrap())
}

/// Dropout in training mode: the numerical evaluations draw the mask the
/// backward pass used.
type Dropped<T> = Chain![Affine<[T; 6], 8>, Dropout, Affine<[T; 8], 3>, SoftmaxWithLoss<3>];
fn dropout<T: Scalar>() -> (Dropped<T>, Batch<[T; 6]>, Labels<3>) {
    let mut g = rng(7);
    let net = Affine::init(Init::Normal(0.8), &mut g)
        .then(Dropout::new(0.4))
        .then(Affine::init(Init::Normal(0.8), &mut g))
        .then(SoftmaxWithLoss);
    (
        net,
        inputs(4, -1.0, 1.0, 17),
        Labels::from_slice(&[0, 2, 1, 2]).unwrap(),
    )
}

/// BatchNorm over dense features, training mode (batch statistics).
///
/// A layer right before a BatchNorm gets a zero bias gradient (the mean it
/// adds is subtracted again), which would check nothing: a sigmoid sits
/// between them.
type Normed<T> = Chain![Affine<[T; 5], 4>, Sigmoid, BatchNorm<T, 4>, Affine<[T; 4], 3>, SoftmaxWithLoss<3>];
fn batch_norm<T: Scalar>() -> (Normed<T>, Batch<[T; 5]>, Labels<3>) {
    let mut g = rng(8);
    let mut net = Affine::init(Init::Normal(1.0), &mut g)
        .then(Sigmoid)
        .then(BatchNorm::new())
        .then(Affine::init(Init::Normal(1.0), &mut g))
        .then(SoftmaxWithLoss);
    // γ and β away from their initial 1 and 0, so their gradients are general
    net.visit_params_mut(&mut |p| {
        if p.layer == 2 && p.kind != ParamKind::Buffer {
            for (i, v) in p.value.iter_mut().enumerate() {
                *v = *v + T::of(0.3 * i as f64 - 0.4);
            }
        }
    });
    (
        net,
        inputs(6, -1.0, 1.0, 18),
        Labels::from_slice(&[0, 1, 2, 0, 1, 2]).unwrap(),
    )
}

/// A residual block y = x + F(x), the gradient reaching x both ways.
type Res<T> =
    Chain![Affine<[T; 4], 5>, Residual<Chain![Affine<[T; 5], 5>, Sigmoid]>, Affine<[T; 5], 3>, SoftmaxWithLoss<3>];
fn residual<T: Scalar>() -> (Res<T>, Batch<[T; 4]>, Labels<3>) {
    let mut g = rng(9);
    let net = Affine::init(Init::Normal(0.8), &mut g)
        .then(Residual::new(Affine::init(Init::Normal(0.8), &mut g).then(Sigmoid)))
        .then(Affine::init(Init::Normal(0.8), &mut g))
        .then(SoftmaxWithLoss);
    (
        net,
        inputs(4, -1.0, 1.0, 19),
        Labels::from_slice(&[2, 1, 0, 1]).unwrap(),
    )
}

/// Two branches summed, and two branches side by side into one Affine.
type Branches<T> = Chain![
    Affine<[T; 4], 5>,
    Sum<Chain![Affine<[T; 5], 3>, Sigmoid], Affine<[T; 5], 3>>,
    Concat<Affine<[T; 3], 2>, Chain![Affine<[T; 3], 4>, Sigmoid]>,
    Affine<Pair<[T; 2], [T; 4]>, 3>,
    SoftmaxWithLoss<3>
];
fn branches<T: Scalar>() -> (Branches<T>, Batch<[T; 4]>, Labels<3>) {
    let mut g = rng(10);
    let init = Init::Normal(0.8);
    let sum = Sum::new(Affine::init(init, &mut g).then(Sigmoid), Affine::init(init, &mut g));
    let concat = Concat::new(Affine::init(init, &mut g), Affine::init(init, &mut g).then(Sigmoid));
    let net = Affine::init(init, &mut g)
        .then(sum)
        .then(concat)
        .then(Affine::init(init, &mut g))
        .then(SoftmaxWithLoss);
    (
        net,
        inputs(4, -1.0, 1.0, 20),
        Labels::from_slice(&[0, 1, 2, 1]).unwrap(),
    )
}

/// A convolution without stride or padding, read by an Affine straight
/// from its image output.
type ConvPlain<T> = Chain![
    Input<Image<T, 2, 6, 5>, Conv2d<T, 2, 3, 3>>,
    Affine<Image<T, 3, 4, 3>, 4>,
    SoftmaxWithLoss<4>
];
fn conv_plain<T: Scalar>() -> (ConvPlain<T>, Batch<Image<T, 2, 6, 5>>, Labels<4>) {
    let mut g = rng(11);
    let net = Input::new()
        .then(Conv2d::init(Init::Normal(0.5), &mut g))
        .then(Affine::init(Init::Normal(0.3), &mut g))
        .then(SoftmaxWithLoss);
    (net, inputs(3, -1.0, 1.0, 21), Labels::from_slice(&[3, 0, 2]).unwrap())
}

/// Stride 2 and padding 1 (7×7 → 4×4), then a second convolution with
/// padding 2 and stride 3 (4×4 → 2×2), with a bias each.
type ConvStrided<T> = Chain![
    Input<Image<T, 1, 7, 7>, Conv2d<T, 1, 2, 3, 2, 1>>,
    Sigmoid,
    Conv2d<T, 2, 3, 4, 3, 2>,
    Affine<Image<T, 3, 2, 2>, 3>,
    SoftmaxWithLoss<3>
];
fn conv_stride_padding<T: Scalar>() -> (ConvStrided<T>, Batch<Image<T, 1, 7, 7>>, Labels<3>) {
    let mut g = rng(12);
    let mut net = Input::new()
        .then(Conv2d::init(Init::Normal(0.5), &mut g))
        .then(Sigmoid)
        .then(Conv2d::init(Init::Normal(0.5), &mut g))
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    net.layer_mut::<0>().bias_mut().copy_from_slice(&[0.2, -0.1].map(T::of));
    (net, inputs(2, -1.0, 1.0, 22), Labels::from_slice(&[1, 2]).unwrap())
}

/// Max pooling routes the gradient to each window's maximum; the inputs
/// are spaced so no window's two largest values are within 1e-3.
/// Overlapping 3×3 average windows at stride 2 (7×7 → 3×3) after a conv,
/// so the gradient reaches the conv's weights through shared windows.
type Averaged<T> = Chain![
    Input<Image<T, 2, 9, 9>, Conv2d<T, 2, 3, 3>>,
    AvgPool2d<3, 2>,
    Affine<Image<T, 3, 3, 3>, 3>,
    SoftmaxWithLoss<3>
];
fn avg_pool<T: Scalar>() -> (Averaged<T>, Batch<Image<T, 2, 9, 9>>, Labels<3>) {
    let mut g = rng(35);
    let net = Input::new()
        .then(Conv2d::init(Init::Normal(0.5), &mut g))
        .then(AvgPool2d)
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    (net, inputs(2, -1.0, 1.0, 36), Labels::from_slice(&[2, 0]).unwrap())
}

/// Raw inputs standardised per channel in front of a conv: the input's
/// gradient goes through the division by each channel's std.
type Standardized<T> = Chain![
    Input<Image<T, 2, 4, 4>, Standardize<T, 2>>,
    Conv2d<T, 2, 2, 3>,
    Affine<Image<T, 2, 2, 2>, 3>,
    SoftmaxWithLoss<3>
];
fn standardize<T: Scalar>() -> (Standardized<T>, Batch<Image<T, 2, 4, 4>>, Labels<3>) {
    let mut g = rng(39);
    let norm = Standardize::new([0.5, -3.0].map(T::of), [0.25, 4.0].map(T::of)).unwrap();
    let net = Input::<Image<T, 2, 4, 4>>::new()
        .then(norm)
        .then(Conv2d::init(Init::Normal(0.5), &mut g))
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    (net, inputs(2, -1.0, 1.0, 40), Labels::from_slice(&[0, 2]).unwrap())
}

/// A conv, then the mean of each channel over the whole map.
type GloballyAveraged<T> = Chain![
    Input<Image<T, 2, 5, 6>, Conv2d<T, 2, 4, 3, 1, 1>>,
    Relu6,
    GlobalAvgPool,
    Affine<[T; 4], 3>,
    SoftmaxWithLoss<3>
];
fn global_avg_pool<T: Scalar>() -> (GloballyAveraged<T>, Batch<Image<T, 2, 5, 6>>, Labels<3>) {
    let mut g = rng(37);
    let net = Input::new()
        .then(Conv2d::init(Init::Normal(0.5), &mut g))
        .then(Relu6)
        .then(GlobalAvgPool)
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    let x = inputs(3, -1.0, 1.0, 40);
    let mut hidden = Batch::<Image<T, 4, 5, 6>>::zeros(3);
    net.layer::<0>().infer(&x, &mut hidden);
    away_from_kinks(&hidden, 1e-3);
    (net, x, Labels::from_slice(&[1, 2, 0]).unwrap())
}

type Pooled<T> = Chain![
    Input<Image<T, 2, 6, 6>, Conv2d<T, 2, 2, 1>>,
    MaxPool2d<2>,
    Affine<Image<T, 2, 3, 3>, 3>,
    SoftmaxWithLoss<3>
];
fn max_pool<T: Scalar>() -> (Pooled<T>, Batch<Image<T, 2, 6, 6>>, Labels<3>) {
    let mut g = rng(13);
    let net = Input::new()
        .then(Conv2d::from_fn(
            |o, c, _, _| T::of(if o == c { 1.0 } else { 0.25 }),
            |_| T::ZERO,
        ))
        .then(MaxPool2d::<2>)
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    // distinct values 0.01 apart, shuffled
    let mut x = Batch::<Image<T, 2, 6, 6>>::zeros(2);
    let mut order: Vec<usize> = (0..x.as_slice().len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, g.random_range(0..=i));
    }
    for (v, &k) in x.as_mut_slice().iter_mut().zip(&order) {
        *v = T::of((k as f64 * 0.01 - 0.7) as f32 as f64);
    }
    (net, x, Labels::from_slice(&[0, 2]).unwrap())
}

/// BatchNorm over the channels of images (PyTorch's BatchNorm2d).
type ConvNormed<T> = Chain![Input<Image<T, 1, 5, 5>, Conv2d<T, 1, 3, 2>>, Sigmoid, BatchNorm<T, 3>, Affine<Image<T, 3, 4, 4>, 3>, SoftmaxWithLoss<3>];
fn batch_norm_2d<T: Scalar>() -> (ConvNormed<T>, Batch<Image<T, 1, 5, 5>>, Labels<3>) {
    let mut g = rng(14);
    let net = Input::new()
        .then(Conv2d::init(Init::Normal(0.7), &mut g))
        .then(Sigmoid)
        .then(BatchNorm::new())
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    (net, inputs(3, -1.0, 1.0, 24), Labels::from_slice(&[1, 0, 2]).unwrap())
}

/// The smallest lead of a 2×2 window's largest value over its runner-up:
/// while a perturbation moves values by less, max pooling picks the same.
fn maxima_lead<T: Scalar, const C: usize, const H: usize, const W: usize>(x: &Batch<Image<T, C, H, W>>) -> f64 {
    let mut lead = f64::INFINITY;
    for image in x.rows() {
        for plane in &image.0 {
            for i in (0..H - 1).step_by(2) {
                for j in (0..W - 1).step_by(2) {
                    let mut v =
                        [plane[i][j], plane[i][j + 1], plane[i + 1][j], plane[i + 1][j + 1]].map(|v| v.as_f64());
                    v.sort_by(f64::total_cmp);
                    lead = lead.min(v[3] - v[2]);
                }
            }
        }
    }
    lead
}

/// The book's own gradient check of SimpleConvNet (`ch07/gradient_check.py`):
/// 1×10×10 input, conv 10 filters 3×3 → ReLU → 2×2 max pool → Affine 10 →
/// ReLU → Affine 10 → softmax, weights 0.01·N(0, 1), one image.
type SmallConvNet<T> = Chain![
    Input<Image<T, 1, 10, 10>, Conv2d<T, 1, 10, 3>>,
    Relu,
    MaxPool2d<2>,
    Affine<Image<T, 10, 4, 4>, 10>,
    Relu,
    Affine<[T; 10], 10>,
    SoftmaxWithLoss<10>
];
///
/// With 640 ReLU inputs and 160 pooling windows, some seeds put one within
/// reach of a perturbation of 1e-4 (which moves a convolution output by at
/// most 1e-4); the case takes the first seed from 15 on that does not, and
/// checks it.
fn simple_conv_net<T: Scalar>() -> (SmallConvNet<T>, Batch<Image<T, 1, 10, 10>>, Labels<10>) {
    (15..)
        .find_map(|seed| {
            let mut g = rng(seed);
            let init = Init::Normal(0.01);
            let net = Input::new()
                .then(Conv2d::init(init, &mut g))
                .then(Relu)
                .then(MaxPool2d::<2>)
                .then(Affine::init(init, &mut g))
                .then(Relu)
                .then(Affine::init(init, &mut g))
                .then(SoftmaxWithLoss);
            let x = inputs(1, 0.0, 1.0, seed + 10);
            let mut conv = Batch::<Image<T, 10, 8, 8>>::zeros(1);
            net.layer::<0>().infer(&x, &mut conv);
            let mut hidden = Batch::<[T; 10]>::zeros(1);
            net.first().first().first().infer(&x, &mut hidden);
            let clear = kink_distance(&conv) > 2e-4 && maxima_lead(&conv) > 2e-4 && kink_distance(&hidden) > 1e-5;
            clear.then(|| (net, x, Labels::from_slice(&[1]).unwrap()))
        })
        .expect("some seed")
}

/// Conv → ReLU → 2×2 pool run as one layer, one image at a time.
type Fused<T> = Chain![
    Input<Image<T, 2, 6, 6>, ConvReluPool<Conv2d<T, 2, 3, 3>, MaxPool2d<2>>>,
    Affine<Image<T, 3, 2, 2>, 3>,
    SoftmaxWithLoss<3>
];
fn conv_relu_pool<T: Scalar>() -> (Fused<T>, Batch<Image<T, 2, 6, 6>>, Labels<3>) {
    let mut g = rng(31);
    let net = Input::new()
        .then(ConvReluPool::new(Conv2d::init(Init::Normal(0.5), &mut g), MaxPool2d))
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    (net, inputs(3, -1.0, 1.0, 32), Labels::from_slice(&[2, 0, 1]).unwrap())
}

/// The same with stride 2 and padding 1 (9×9 → 5×5) and overlapping 3×3
/// windows at stride 2 (5×5 → 2×2), which take the general pooling path.
type FusedStrided<T> = Chain![
    Input<Image<T, 1, 9, 9>, ConvReluPool<Conv2d<T, 1, 2, 3, 2, 1>, MaxPool2d<3, 2>>>,
    Affine<Image<T, 2, 2, 2>, 3>,
    SoftmaxWithLoss<3>
];
fn conv_relu_pool_strided<T: Scalar>() -> (FusedStrided<T>, Batch<Image<T, 1, 9, 9>>, Labels<3>) {
    let mut g = rng(33);
    let net = Input::new()
        .then(ConvReluPool::new(Conv2d::init(Init::Normal(0.5), &mut g), MaxPool2d))
        .then(Affine::init(Init::Normal(0.5), &mut g))
        .then(SoftmaxWithLoss);
    (net, inputs(2, -1.0, 1.0, 34), Labels::from_slice(&[1, 2]).unwrap())
}

gradient_checks! {
    affine: 2;
    relu: 2;
    sigmoid: 2;
    tanh: 2;
    leaky_relu: 2;
    relu6: 2;
    softmax_as_layer_and_loss: 4;
    two_layer_net_784_50_10: 4;
    deep_chain: 6;
    dropout: 4;
    batch_norm: 6;
    residual: 6;
    branches: 12;
    conv_plain: 4;
    conv_stride_padding: 6;
    max_pool: 4;
    avg_pool: 4;
    global_avg_pool: 4;
    standardize: 4;
    batch_norm_2d: 6;
    simple_conv_net: 6;
    conv_relu_pool: 4;
    conv_relu_pool_strided: 4;
}

/// One-hot targets give the gradient labels give.
#[test]
fn one_hot_targets_match_labels() {
    let (mut net, x, t) = softmax_as_layer_and_loss::<f64>();
    let by_label = gradient_check(&mut net, &x, &t).unwrap();
    let by_row = gradient_check(&mut net, &x, &t.one_hot::<f64>()).unwrap();
    assert_eq!(by_label, by_row);
}

/// A batch of one row: the mean over the batch is the row itself, in a
/// `Dyn` batch and a `Const<1>` batch alike.
#[test]
fn a_batch_of_one_is_its_row() {
    let (mut net, x, _) = deep_chain::<f64>();
    let x = Batch::from_rows(vec![x[0]]);
    let t = Labels::<4>::from_slice(&[2]).unwrap();
    check_f64(&mut net, &x, &t, 6);
    let mut twin = net.clone();
    let loss = net.gradient(&x, &t).unwrap();
    let one = Batch::<[f64; 12], Const<1>>::new([x[0]]);
    let loss_static = twin.gradient(&one, &Labels::<4, Const<1>>::new([2]).unwrap()).unwrap();
    assert_eq!(loss, loss_static);
    assert_eq!(stored_gradients(&net), stored_gradients(&twin));
}

/// A layer with a deliberately wrong backward pass fails the check, in f64
/// and f32 alike, so a passing check means something.
#[test]
fn the_check_catches_a_wrong_backward() {
    let report: Vec<GradientDiff> = {
        let (mut net, x, t) = relu::<f64>();
        // the wrong backward: a stored gradient of zeros, as a broken layer
        // that forgot to compute it would leave
        net.gradient(&x, &t).unwrap();
        let backprop: Vec<_> = stored_gradients(&net)
            .iter()
            .map(|g| vec![0.0; g.values.len()])
            .collect();
        let numerical = numerical_gradient_of_net(&mut net, &x, &t, &Training::new(SEED)).unwrap();
        backprop
            .iter()
            .zip(&numerical)
            .map(|(b, n)| {
                let mean_abs = b.iter().zip(&n.values).map(|(b, n)| (b - n).abs()).sum::<f64>() / b.len() as f64;
                let scale = n.values.iter().map(|n| n.abs()).sum::<f64>() / b.len() as f64;
                GradientDiff {
                    layer: Some(n.layer),
                    name: n.name,
                    mean_abs,
                    max_abs: 0.0,
                    mean_abs_gradient: scale,
                }
            })
            .collect()
    };
    assert!(
        report.iter().all(|d| d.mean_abs > 1e-5 * d.mean_abs_gradient),
        "{report:?}"
    );
    // and the f32 bar, for the same zeros
    assert!(
        report.iter().all(|d| !f32_agrees(d.mean_abs, d.mean_abs_gradient)),
        "{report:?}"
    );
}
