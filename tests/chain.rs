//! The typed chain and the network API built on it.

mod common;

use common::{assert_close, rng, uniform_batch};
use typenet::prelude::*;
use typenet::{Batch, GradientDiff, InputError, LayerInfo, ParamKind, Shape, gradient_check, stored_gradients};

type Deep<T> = Chain![
    Affine<[T; 784], 100>, Relu, Affine<[T; 100], 200>, Relu, Affine<[T; 200], 10>, SoftmaxWithLoss<10>
];

fn deep<T: Scalar>(seed: u64) -> Deep<T> {
    let mut g = rng(seed);
    Affine::init(Init::He, &mut g)
        .then(Relu)
        .then(Affine::init(Init::He, &mut g))
        .then(Relu)
        .then(Affine::init(Init::He, &mut g))
        .then(SoftmaxWithLoss)
}

/// The same rows in a `Const<5>` batch and a `Dyn` batch give the same
/// scores, loss and gradients.
fn static_and_dynamic_batches_agree<T: Scalar>() {
    let mut a = deep::<T>(1);
    let mut b = a.clone();
    let x = uniform_batch::<[T; 784]>(5, 0.0, 1.0, &mut rng(2));
    let labels = [3, 1, 4, 1, 5];
    let t = Labels::<10>::from_slice(&labels).unwrap();
    let xs = Batch::<[T; 784], Const<5>>::new(core::array::from_fn(|i| x[i]));
    let ts = Labels::<10, Const<5>>::new(labels).unwrap();

    let loss_dyn = a.gradient(&x, &t).unwrap();
    let loss_static = b.gradient(&xs, &ts).unwrap();
    assert_eq!(loss_dyn, loss_static);
    assert_eq!(a.predict(&x).unwrap().rows(), b.predict(&xs).unwrap().rows());
    assert_eq!(stored_gradients(&a), stored_gradients(&b));
}

/// One sample through `scores`/`classify` equals that row of a batch, up to
/// rounding (a batch of one may take a kernel without fused multiply-add).
fn single_sample_matches_batch<T: Scalar>() {
    let net = deep::<T>(3);
    let x = uniform_batch::<[T; 784]>(4, 0.0, 1.0, &mut rng(4));
    let batch_scores = net.predict(&x).unwrap();
    let tol = if size_of::<T>() == 4 { 1e-5 } else { 1e-13 };
    for i in 0..4 {
        assert_close(&net.scores(&x[i]).unwrap(), &batch_scores[i], tol);
        assert_eq!(net.classify(&x[i]).unwrap(), typenet::argmax(&batch_scores[i]));
        let p = net.probabilities(&x[i]).unwrap();
        let total: T = p.iter().copied().sum();
        assert_close(&[total], &[T::ONE], 1e-5);
    }
}

/// 784→100→200→10 learns a fixed batch: the loss falls, accuracy reaches 1.
fn deep_chain_learns<T: Scalar>() {
    let mut net = deep::<T>(5);
    let x = uniform_batch::<[T; 784]>(20, 0.0, 1.0, &mut rng(6));
    let t = Labels::<10>::from_slice(&(0..20).map(|i| i % 10).collect::<Vec<_>>()).unwrap();
    let mut ws = net.workspace();
    let first = net.gradient_with(&mut ws, &x, &t, None).unwrap();
    let mut sgd = Sgd::new(0.05);
    for _ in 0..200 {
        net.gradient_with(&mut ws, &x, &t, None).unwrap();
        sgd.step(&mut net).unwrap();
    }
    let last = net.loss(&x, &t).unwrap();
    assert!(last < first * T::of(0.1), "loss {first} → {last}");
    assert_eq!(net.accuracy(&x, &t).unwrap(), 1.0);
}

fn non_finite_inputs_are_refused<T: Scalar>() {
    let net = deep::<T>(7);
    let mut x = Batch::<[T; 784]>::zeros(3);
    x[1][17] = T::nan();
    assert_eq!(
        net.predict(&x).unwrap_err(),
        InputError::NonFinite { row: 1, column: 17 }
    );
    assert!(
        net.accuracy(&x, &Labels::<10>::from_slice(&[0, 0, 0]).unwrap())
            .is_err()
    );
    let mut one = [T::ZERO; 784];
    one[783] = T::infinity();
    let err = net.classify(&one).unwrap_err();
    assert_eq!(err, InputError::NonFinite { row: 0, column: 783 });
    assert_eq!(
        err.to_string(),
        "input row 0 has a non-finite value (NaN or infinity) at column 783"
    );
}

/// A finite input that overflows inside the net is an error from every
/// evaluation, not an `Ok` holding NaN: the input is as large as the type
/// allows, so the first layer's sums are infinite.
fn outputs_that_overflow_are_errors<T: Scalar>() {
    let net = Affine::<[T; 4], 16, Inline>::from_fn(|_, _| T::ONE, |_| T::ZERO)
        .then(Relu)
        .then(Affine::<[T; 16], 3, Inline>::from_fn(
            |i, j| T::of((i + j) as f64),
            |_| T::ZERO,
        ))
        .then(SoftmaxWithLoss);
    let huge = [T::max_value(), -T::max_value(), T::max_value(), T::ZERO];
    let fine = [T::ONE, T::ZERO, T::ZERO, T::ZERO];
    let overflow = InputError::Overflow { row: 0 };
    assert_eq!(net.classify(&huge), Err(overflow));
    assert_eq!(net.scores(&huge), Err(overflow));
    assert_eq!(net.probabilities(&huge), Err(overflow));
    let x = Batch::from_rows(vec![fine, huge]);
    let t = Labels::<3>::from_slice(&[0, 1]).unwrap();
    let second = InputError::Overflow { row: 1 };
    assert_eq!(net.predict(&x), Err(second));
    assert_eq!(net.accuracy(&x, &t), Err(second));
    assert_eq!(net.loss(&x, &t), Err(second));
    assert!(
        second.to_string().contains("row 1 overflowed inside the net"),
        "{second}"
    );
    // and a finite row alone is fine
    assert!(net.classify(&fine).is_ok());
}

for_f32_and_f64!(
    static_and_dynamic_batches_agree,
    single_sample_matches_batch,
    deep_chain_learns,
    non_finite_inputs_are_refused,
    outputs_that_overflow_are_errors
);

#[test]
fn parameters_are_visited_in_order_with_their_shapes() {
    let mut net = deep::<f32>(8);
    let mut seen = Vec::new();
    net.visit_params(&mut |p| seen.push((p.layer.to_string(), p.name, p.shape, p.value.len(), p.grad.len())));
    let shape = Shape::new;
    assert_eq!(
        seen,
        [
            ("0".into(), "W", shape(&[784, 100]), 78_400, 78_400),
            ("0".into(), "b", shape(&[100]), 100, 100),
            ("2".into(), "W", shape(&[100, 200]), 20_000, 20_000),
            ("2".into(), "b", shape(&[200]), 200, 200),
            ("4".into(), "W", shape(&[200, 10]), 2_000, 2_000),
            ("4".into(), "b", shape(&[10]), 10, 10),
        ]
    );
    assert_eq!(net.param_count(), 78_400 + 100 + 20_000 + 200 + 2_000 + 10);
    // the mutable visit reaches the same tensors
    net.visit_params_mut(&mut |p| p.value.fill(0.0));
    assert!(net.layer::<0>().weights().iter().flatten().all(|&w| w == 0.0));
    assert!(net.layer::<4>().bias().iter().all(|&b| b == 0.0));
}

#[test]
fn layers_describe_themselves() {
    let net = deep::<f64>(9);
    let mut lines = Vec::new();
    lines.extend(net.summary().layers);
    let kinds: Vec<_> = lines
        .iter()
        .map(|l: &LayerInfo| (l.kind, l.input[0], l.output[0], l.params))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Affine", 784, 100, 78_500),
            ("Relu", 100, 100, 0),
            ("Affine", 100, 200, 20_200),
            ("Relu", 200, 200, 0),
            ("Affine", 200, 10, 2_010),
            ("SoftmaxWithLoss", 10, 10, 0),
        ]
    );
    assert_eq!(
        lines.iter().map(|l| l.path.to_string()).collect::<Vec<_>>(),
        ["0", "1", "2", "3", "4", "5"]
    );
}

#[test]
fn trained_nets_can_be_shared_between_threads() {
    fn assert_send_sync<X: Send + Sync>() {}
    assert_send_sync::<Deep<f32>>();
    assert_send_sync::<Chain![Affine<[f64; 4], 16, Inline>, Sigmoid, Affine<[f64; 16], 3, Inline>, SoftmaxWithLoss<3>]>(
    );
}

/// A layer with a deliberately wrong backward pass: the gradient check must
/// catch it (so a passing check means something).
#[derive(Clone)]
struct LeakyByMistake;

impl Tensors for LeakyByMistake {
    typenet::tensors! {}
}

impl Params<f64> for LeakyByMistake {}

impl<const N: usize> Layer<[f64; N]> for LeakyByMistake {
    type Out = [f64; N];
    type Scratch<R: Rows> = ();
    fn infer_with<R: Rows>(&self, x: &Batch<[f64; N], R>, y: &mut Batch<[f64; N], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = if x > 0.0 { x } else { 0.1 * x };
        }
    }
}

impl<const N: usize> Trainable<[f64; N]> for LeakyByMistake {
    type Cache<R: Rows> = ();
    fn forward<R: Rows>(&mut self, x: &Batch<[f64; N], R>, y: &mut Batch<[f64; N], R>, _: &mut (), _: &mut Training) {
        self.infer(x, y)
    }
    fn backward<R: Rows>(
        &mut self,
        _: &Batch<[f64; N], R>,
        _: &Batch<[f64; N], R>,
        dy: &Batch<[f64; N], R>,
        _: &mut (),
        dx: Option<&mut Batch<[f64; N], R>>,
    ) {
        // wrong: forgets the 0.1 slope for negative inputs
        if let Some(dx) = dx {
            dx.set_rows(dy.nrows());
            dx.as_mut_slice().copy_from_slice(dy.as_slice());
        }
    }
}

#[test]
fn gradient_check_catches_a_wrong_backward() {
    let mut g = rng(10);
    let mut net = Affine::<[f64; 3], 4>::init(Init::Normal(1.0), &mut g)
        .then(LeakyByMistake)
        .then(Affine::<[f64; 4], 2>::init(Init::Normal(1.0), &mut g))
        .then(SoftmaxWithLoss);
    let x = uniform_batch::<[f64; 3]>(6, -1.0, 1.0, &mut g);
    let t = Labels::<2>::from_slice(&[0, 1, 0, 1, 1, 0]).unwrap();
    let report = gradient_check(&mut net, &x, &t).unwrap();
    let first_w: &GradientDiff = &report[0];
    assert_eq!((first_w.layer, first_w.name), (Some(typenet::Path::at(0)), "W"));
    assert!(
        first_w.mean_abs > 1e-3,
        "the broken backward went unnoticed: {report:?}"
    );
}

/// Whole-chain initialisation: each weight tensor gets its own fan-in's
/// variance, biases become zero, the same seed gives the same weights.
#[test]
fn initialisers_scale_with_fan_in_and_are_seeded() {
    let mut net = deep::<f64>(1);
    net.layer_mut::<0>().bias_mut()[3] = 1.0;
    type Variance = fn(f64) -> f64;
    let expected_variance: [(Init, Variance); 3] = [
        (Init::He, |n| 2.0 / n),
        (Init::Xavier, |n| 1.0 / n),
        (Init::Normal(0.01), |_| 1e-4),
    ];
    for (init, var) in expected_variance {
        net.initialize(init, &mut rng(5));
        let mut seen = Vec::new();
        net.visit_params(&mut |p| {
            let mean_sq = p.value.iter().map(|v| v * v).sum::<f64>() / p.value.len() as f64;
            seen.push((p.kind, mean_sq));
        });
        for (kind, mean_sq) in seen {
            if let ParamKind::Weight { fan_in } = kind {
                let want = var(fan_in as f64);
                assert!(
                    (mean_sq / want - 1.0).abs() < 0.1,
                    "{init:?}: variance {mean_sq} vs {want}"
                );
            } else {
                assert_eq!((kind, mean_sq), (ParamKind::Bias, 0.0));
            }
        }
    }
    let (mut a, mut b) = (deep::<f32>(1), deep::<f32>(2));
    a.initialize(Init::Xavier, &mut rng(7));
    b.initialize(Init::Xavier, &mut rng(7));
    assert_eq!(a, b);
}

#[test]
fn summary_lists_layers_widths_and_parameters() {
    let table = deep::<f32>(1).summary().to_string();
    let expected = [
        "  #  layer                output        params",
        "     input                   784",
        "  0  Affine                  100        78,500",
        "  1  Relu                    100             0",
        "  2  Affine                  200        20,200",
        "  3  Relu                    200             0",
        "  4  Affine                   10         2,010",
        "  5  SoftmaxWithLoss          10             0",
        "     total                             100,710  (f32)",
    ]
    .join("\n");
    assert_eq!(table, expected);
}

/// nalgebra at the edges: a `DMatrix` with a sample per row becomes a
/// batch and back, and an `SVector` is one sample.
#[test]
fn nalgebra_matrices_and_vectors_go_in_and_out() {
    let m = nalgebra::DMatrix::<f64>::from_fn(3, 784, |r, c| ((r * 784 + c) % 13) as f64 / 13.0);
    let batch = Batch::<[f64; 784]>::from_matrix(&m).unwrap();
    assert_eq!(batch[2][5], m[(2, 5)]);
    assert_eq!(batch.to_matrix(), m);
    assert!(Batch::<[f64; 783]>::from_matrix(&m).is_none());

    let net = deep::<f64>(11);
    let v = nalgebra::SVector::<f64, 784>::from_fn(|i, _| m[(1, i)]);
    assert_eq!(net.classify(&v.into()).unwrap(), net.classify(&batch[1]).unwrap());
}
