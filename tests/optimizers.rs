//! The optimizers of chapter 6: each finds the minimum of a convex
//! quadratic, follows the book's update formula, and trains the seed net.

mod common;

use common::{assert_close, mnist_dir, rng};
use typenet::data::{Dataset, MnistFiles, Pixels};
use typenet::optim::{
    AdaGrad, Adam, AnyOptimizer, ClipNorm, Momentum, Nesterov, NonFinite, RmsProp, Update, WeightDecay,
};
use typenet::{HyperParameterError, ParamKind};

/// One update of tensor `index` (a weight), as a step would make it.
fn update<T: Scalar, O: Optimizer<T>>(o: &mut O, index: usize, value: &mut [T], grad: &[T]) {
    let kind = ParamKind::Weight { fan_in: 1 };
    o.update(Update {
        index,
        layer: typenet::Path::at(index),
        name: "w",
        kind,
        value,
        grad,
    });
}
use typenet::prelude::*;
use typenet::train::{Trainer, accuracy};

/// Minimises f(w) = ½ Σ aᵢ (wᵢ − cᵢ)² (gradient aᵢ (wᵢ − cᵢ)) over two
/// tensors from w = 0; returns the largest distance from c.
fn minimise<T: Scalar, O: Optimizer<T>>(optimizer: &mut O, steps: usize) -> f64 {
    let a = [1.0, 4.0, 0.5, 2.0];
    let c = [3.0, -1.0, 0.5, 2.0];
    let mut w = [[T::ZERO; 2]; 2];
    for _ in 0..steps {
        let mut grad = [[T::ZERO; 2]; 2];
        for t in 0..2 {
            for i in 0..2 {
                let k = 2 * t + i;
                grad[t][i] = T::of(a[k]) * (w[t][i] - T::of(c[k]));
            }
        }
        let norm = grad
            .iter()
            .flatten()
            .map(|g| g.as_f64() * g.as_f64())
            .sum::<f64>()
            .sqrt();
        optimizer.begin_step(O::USES_GRADIENT_NORM.then_some(norm));
        for t in 0..2 {
            update(optimizer, t, &mut w[t], &grad[t]);
        }
        optimizer.end_step();
    }
    (0..4)
        .map(|k| (w[k / 2][k % 2].as_f64() - c[k]).abs())
        .fold(0.0, f64::max)
}

fn every_optimizer_finds_the_minimum<T: Scalar>() {
    let cases: [(&str, f64); 9] = [
        ("sgd", minimise::<T, _>(&mut Sgd::new(0.1), 400)),
        ("momentum", minimise::<T, _>(&mut Momentum::new(0.05, 0.9), 400)),
        ("nesterov", minimise::<T, _>(&mut Nesterov::new(0.05, 0.9), 400)),
        ("adagrad", minimise::<T, _>(&mut AdaGrad::new(1.0), 2000)),
        ("rmsprop", minimise::<T, _>(&mut RmsProp::new(0.01, 0.99), 2000)),
        ("adam", minimise::<T, _>(&mut Adam::new(0.1, 0.9, 0.999), 2000)),
        (
            "book defaults, momentum",
            minimise::<T, _>(&mut Momentum::default(), 3000),
        ),
        (
            "clipped sgd",
            minimise::<T, _>(&mut ClipNorm::new(Sgd::new(0.1), 1.0), 600),
        ),
        (
            "any adam",
            minimise::<T, _>(&mut AnyOptimizer::named("adam", Some(0.1)).unwrap(), 2000),
        ),
    ];
    for (name, distance) in cases {
        // RMSprop's step does not shrink with the gradient: it settles within about lr of the minimum
        let tol = if name == "rmsprop" { 2e-2 } else { 1e-3 };
        assert!(
            distance < tol,
            "{name} ended {distance:e} from the minimum ({})",
            std::any::type_name::<T>()
        );
    }
}

/// Two steps of each rule, worked out by hand from the book's formulas
/// with w = 1 and gradients 0.5 then −1.
fn updates_follow_the_book<T: Scalar>() {
    let run = |o: &mut dyn FnMut(&mut [T; 1], &[T; 1])| {
        let mut w = [T::ONE];
        o(&mut w, &[T::of(0.5)]);
        let first = w[0];
        o(&mut w, &[T::of(-1.0)]);
        [first, w[0]]
    };
    let mut m = Momentum::<T>::new(0.1, 0.9);
    // v = −0.05, w = 0.95; v = 0.9·−0.05 + 0.1 = 0.055, w = 1.005
    let got = run(&mut |w, g| {
        m.begin_step(None);
        update(&mut m, 0, w, g);
        Optimizer::<T>::end_step(&mut m);
    });
    assert_close(&got, &[T::of(0.95), T::of(1.005)], 1e-6);

    let mut n = Nesterov::<T>::new(0.1, 0.9);
    // v = −0.05; w = 1 + 0.81·−0.05 − 1.9·0.05 = 0.8645
    // v = 0.055; w = 0.8645 + 0.81·0.055 + 1.9·0.1 = 1.09905
    let got = run(&mut |w, g| {
        n.begin_step(None);
        update(&mut n, 0, w, g);
        Optimizer::<T>::end_step(&mut n);
    });
    assert_close(&got, &[T::of(0.8645), T::of(1.09905)], 1e-6);

    let mut a = AdaGrad::<T>::new(0.1);
    // h = 0.25, w = 1 − 0.05/0.5 = 0.9; h = 1.25, w = 0.9 + 0.1/√1.25
    let got = run(&mut |w, g| {
        a.begin_step(None);
        update(&mut a, 0, w, g);
        Optimizer::<T>::end_step(&mut a);
    });
    assert_close(&got, &[T::of(0.9), T::of(0.9 + 0.1 / 1.25f64.sqrt())], 1e-6);

    let mut r = RmsProp::<T>::new(0.1, 0.9);
    // h = 0.025, w = 1 − 0.05/√0.025; h = 0.0225 + 0.1 = 0.1225, w += 0.1/0.35
    let w1 = 1.0 - 0.05 / 0.025f64.sqrt();
    let got = run(&mut |w, g| {
        r.begin_step(None);
        update(&mut r, 0, w, g);
        Optimizer::<T>::end_step(&mut r);
    });
    assert_close(&got, &[T::of(w1), T::of(w1 + 0.1 / 0.35)], 1e-5);

    let mut adam = Adam::<T>::new(0.1, 0.9, 0.999);
    // t = 1: lr_t = 0.1·√0.001/0.1, m = 0.05, v = 0.00025: step lr_t·m/√v = 0.1
    // t = 2: lr_t = 0.1·√(1 − 0.999²)/(1 − 0.81), m = 0.045 − 0.1, v = 0.00024975 + 0.001
    let lr2 = 0.1 * (1.0 - 0.999f64 * 0.999).sqrt() / (1.0 - 0.81);
    let (m2, v2): (f64, f64) = (0.9 * 0.05 - 0.1, 0.999 * 0.00025 + 0.001);
    let got = run(&mut |w, g| {
        adam.begin_step(None);
        update(&mut adam, 0, w, g);
        Optimizer::<T>::end_step(&mut adam);
    });
    assert_close(&got, &[T::of(0.9), T::of(0.9 - lr2 * m2 / v2.sqrt())], 1e-5);

    let mut decayed = WeightDecay::new(Sgd::new(0.1), 0.5);
    // gradient 0.5 + 0.5·1 = 1: w = 0.9; then −1 + 0.5·0.9 = −0.55: w = 0.955
    let got = run(&mut |w, g| {
        decayed.begin_step(None);
        update(&mut decayed, 0, w, g);
        Optimizer::<T>::end_step(&mut decayed);
    });
    assert_close(&got, &[T::of(0.9), T::of(0.955)], 1e-6);

    let mut clipped = ClipNorm::new(Sgd::new(1.0), 0.25);
    // norm 0.5 > 0.25: the gradient is halved
    let mut w = [T::ONE];
    clipped.begin_step(Some(0.5));
    update(&mut clipped, 0, &mut w, &[T::of(0.5)]);
    assert_close(&w, &[T::of(0.75)], 1e-6);
}

for_f32_and_f64!(every_optimizer_finds_the_minimum, updates_follow_the_book);

/// The seed net learns with every optimizer (at its book default rate,
/// except SGD's 0.1 of the book's MNIST runs).
#[test]
fn every_optimizer_trains_the_seed_net() {
    let f = MnistFiles::find(mnist_dir()).unwrap();
    let train = Dataset::<[f32; 784], 10>::load(&f.train.images, &f.train.labels, Pixels::Unit).unwrap();
    let test = Dataset::<[f32; 784], 10>::load(&f.test.images, &f.test.labels, Pixels::Unit).unwrap();
    for name in AnyOptimizer::<f32>::NAMES {
        let lr = (name == "sgd").then_some(0.1);
        let optimizer = AnyOptimizer::named(name, lr).unwrap();
        let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut rng(42));
        Trainer::new(optimizer)
            .iterations(300)
            .seed(1)
            .train(&mut net, &train, None, |_| {})
            .unwrap();
        let acc = accuracy(&net, &test).unwrap();
        assert!(acc > 0.8, "{name}: test accuracy {acc} after 300 steps");
    }
}

/// A 3→2 net with a gradient from one batch.
fn small_net_with_gradient(x: [[f32; 3]; 2]) -> Chain![Affine<[f32; 3], 2>, SoftmaxWithLoss<2>] {
    let mut net = Affine::<[f32; 3], 2>::from_fn(|i, j| (i + j) as f32 * 0.1, |_| 0.0).then(SoftmaxWithLoss);
    let t = Labels::<2>::from_slice(&[0, 1]).unwrap();
    net.gradient(&Batch::from_rows(x.to_vec()), &t).unwrap();
    net
}

/// A NaN batch through `gradient` then `step` by hand: the step is refused,
/// naming the tensor, and every weight stays as it was.
#[test]
fn a_nan_batch_cannot_reach_the_weights() {
    let mut net = small_net_with_gradient([[1.0, f32::NAN, 0.0], [0.0, 1.0, 2.0]]);
    let before = net.clone();
    for optimizer in AnyOptimizer::<f32>::NAMES {
        let mut o = AnyOptimizer::<f32>::named(optimizer, None).unwrap();
        assert_eq!(
            o.step(&mut net),
            Err(NonFinite::Gradient(typenet::Path::at(0), "W")),
            "{optimizer}"
        );
        assert_eq!(net, before, "{optimizer} wrote into the net");
    }
}

/// An update that overflows (lr 1e30 on gradients of about 1e10, past
/// f32's 3.4e38) is refused before anything is written: the weights and the
/// optimizer's own state (momentum's velocity, Adam's moments and step
/// count) are exactly as before, so the next, sensible step works.
#[test]
fn a_refused_step_leaves_weights_and_optimizer_state_untouched() {
    let x = [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]];
    let mut net = small_net_with_gradient(x);
    net.visit_params_mut(&mut |p| p.grad.iter_mut().for_each(|g| *g *= 1e10));
    let before = net.clone();
    let mut momentum = Momentum::<f32>::new(1e30, 0.9);
    let state = momentum.clone();
    assert_eq!(
        momentum.step(&mut net),
        Err(NonFinite::Parameter(typenet::Path::at(0), "W"))
    );
    assert_eq!((&net, &momentum), (&before, &state));

    // Adam: a refused step (a NaN gradient) leaves its moments and step
    // count, and the next step is the one it would have been
    let mut adam = Adam::<f32>::new(0.1, 0.9, 0.999);
    adam.step(&mut net).unwrap();
    let state = adam.clone();
    let mut bad = net.clone();
    bad.visit_params_mut(&mut |p| p.grad.fill(f32::NAN));
    let before = bad.clone();
    assert_eq!(adam.step(&mut bad), Err(NonFinite::Gradient(typenet::Path::at(0), "W")));
    assert_eq!((&bad, &adam), (&before, &state));
    let (mut fresh, mut twin) = (state.clone(), net.clone());
    fresh.step(&mut twin).unwrap();
    adam.step(&mut net).unwrap();
    assert_eq!((net, adam.steps()), (twin, 2));
}

/// Rates that cannot train are refused when the optimizer is made.
#[test]
fn hyper_parameters_are_checked() {
    let lr = |e: HyperParameterError| (e.of, e.name);
    assert_eq!(Sgd::try_new(-0.1).map_err(lr), Err(("Sgd", "lr")));
    assert_eq!(Sgd::try_new(f64::NAN).map_err(lr), Err(("Sgd", "lr")));
    assert_eq!(Sgd::try_new(0.0).map_err(lr), Err(("Sgd", "lr")));
    assert!(Momentum::<f32>::try_new(0.1, 1.0).is_err());
    assert!(Adam::<f32>::try_new(0.1, 0.9, 1.0).is_err());
    assert!(Adam::<f32>::try_new(0.1, -0.1, 0.9).is_err());
    assert!(RmsProp::<f32>::try_new(0.1, 1.5).is_err());
    assert!(ClipNorm::<_, f32>::try_new(Sgd::new(0.1), -1.0).is_err());
    assert!(ClipNorm::<_, f32>::try_new(Sgd::new(0.1), f64::NAN).is_err());
    assert!(WeightDecay::<_, f32>::try_new(Sgd::new(0.1), -0.5).is_err());
    assert!(AnyOptimizer::<f32>::named("adam", Some(-0.001)).is_err());
    assert_eq!(
        Sgd::try_new(-0.1).unwrap_err().to_string(),
        "Sgd: lr must be finite and > 0, not -0.1"
    );
    let caught = std::panic::catch_unwind(|| Sgd::new(-0.1));
    assert!(caught.is_err(), "new panics with the same message");
}

/// Weight decay, like the book's, decays weights and leaves biases alone.
#[test]
fn weight_decay_touches_weights_only() {
    let mut net = Affine::<[f64; 2], 2>::from_fn(|_, _| 1.0, |_| 1.0).then(SoftmaxWithLoss);
    net.visit_params_mut(&mut |p| p.grad.fill(0.0));
    WeightDecay::new(Sgd::new(0.1), 0.5).step(&mut net).unwrap();
    assert_eq!(net.layer::<0>().weights(), &[[0.95; 2]; 2]);
    assert_eq!(net.layer::<0>().bias(), &[1.0; 2]);
}

/// A rate is checked in the type the updates compute in: 1e39 is a finite
/// `f64` but infinite as an `f32`, and 0.999999999 is 1 as an `f32`. The
/// error names the rate and prints the value as it was written.
#[test]
fn hyper_parameters_are_checked_in_the_scalar_type() {
    for lr in [1e39, 1e300, 1e-50] {
        assert_eq!(Sgd::try_new(lr).unwrap_err().name, "lr", "{lr:e}");
        assert_eq!(Momentum::<f32>::try_new(lr, 0.9).unwrap_err().name, "lr");
        assert_eq!(Nesterov::<f32>::try_new(lr, 0.9).unwrap_err().name, "lr");
        assert_eq!(AdaGrad::<f32>::try_new(lr).unwrap_err().name, "lr");
        assert_eq!(RmsProp::<f32>::try_new(lr, 0.9).unwrap_err().name, "lr");
        assert_eq!(Adam::<f32>::try_new(lr, 0.9, 0.999).unwrap_err().name, "lr");
        assert!(AnyOptimizer::<f32>::named("adam", Some(lr)).is_err());
    }
    assert_eq!(
        Sgd::try_new(1e39).unwrap_err().to_string(),
        "Sgd: lr must be finite and > 0 as an f32, not 1e39"
    );
    // in f64 the same rates are finite: accepted where the updates are f64
    Momentum::<f64>::try_new(1e39, 0.9).unwrap();
    Adam::<f64>::try_new(1e39, 0.9, 0.999).unwrap();
    // rates that round to 1 in f32
    let almost_one = 0.999_999_999;
    assert_eq!(
        Momentum::<f32>::try_new(0.1, almost_one).unwrap_err().to_string(),
        "Momentum: momentum must be in [0, 1) as an f32, not 0.999999999"
    );
    assert!(Nesterov::<f32>::try_new(0.1, almost_one).is_err());
    assert!(RmsProp::<f32>::try_new(0.1, almost_one).is_err());
    Momentum::<f64>::try_new(0.1, almost_one).unwrap();
    assert!(WeightDecay::<_, f32>::try_new(Sgd::new(0.1), 1e39).is_err());
    WeightDecay::<_, f64>::try_new(Sgd::new(0.1), 1e39).unwrap();
    // values are printed readably, never as hundreds of digits
    assert_eq!(
        Dropout::try_new(-1e-300).unwrap_err().to_string(),
        "Dropout: ratio must be in [0, 1), not -1e-300"
    );
    assert_eq!(
        Sgd::try_new(-1e300).unwrap_err().to_string(),
        "Sgd: lr must be finite and > 0, not -1e300"
    );
}
