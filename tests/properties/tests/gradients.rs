//! Back-propagation equals the numerical gradient for random weights and
//! inputs, for every layer and a three-layer chain, in f64.
//!
//! Tolerance: |backprop − numerical| ≤ 1e-6 · (1 + |numerical|) for every
//! element. With weights and inputs in [−2, 2] the central difference's
//! truncation error h²/6·|f'''| stays below ~1e-8 · |f'''| and its
//! rounding error near 1e-12; 1e-6 leaves room for the largest third
//! derivatives these ranges produce while still catching any wrong formula,
//! whose errors are of the order of the gradient itself. Cases where the
//! true class gets a probability below 1e-5 are skipped: there the loss's
//! 1e-7 guard flattens it, on purpose, while back-propagation keeps the
//! (y − t) gradient.

use proptest::prelude::*;
use typenet::prelude::*;
use typenet::{Gradient, numerical_gradient, numerical_gradient_of_net, stored_gradients};

const TOL: f64 = 1e-6;

fn close(backprop: &[Gradient<f64>], numerical: &[Gradient<f64>]) -> Result<(), TestCaseError> {
    for (b, n) in backprop.iter().zip(numerical) {
        for (x, y) in b.values.iter().zip(&n.values) {
            prop_assert!(
                (x - y).abs() <= TOL * (1.0 + y.abs()),
                "{} of layer {}: {} vs {}",
                b.name,
                b.layer,
                x,
                y
            );
        }
    }
    Ok(())
}

/// Checks the parameter gradients and the input gradient of `net` at `x`.
fn check<const IN: usize, N>(net: &mut N, x: &Batch<[f64; IN]>, t: &Labels<3>) -> Result<(), TestCaseError>
where
    N: TrainableNetwork<[f64; IN], Out = [f64; 3]>,
{
    let mut ws = net.workspace();
    // below a probability of 1e-7 the loss is clamped flat (the log guard)
    // while back-propagation keeps pushing; compare only where it is not
    let mut outputs = Batch::zeros(x.nrows());
    net.infer(x, &mut outputs);
    prop_assume!((0..x.nrows()).all(|i| outputs[i][t.get(i)] > 1e-5));
    let mut dx = x.clone();
    net.gradient_with(&mut ws, x, t, Some(&mut dx))
        .expect("as many rows as labels");
    let backprop = stored_gradients(net);
    close(
        &backprop,
        &numerical_gradient_of_net(net, x, t, &Training::default()).expect("rows match"),
    )?;
    let mut probe = x.clone();
    let numerical_dx = numerical_gradient(
        |v| {
            probe.as_mut_slice().copy_from_slice(v);
            net.loss(&probe, t).expect("finite inputs")
        },
        &mut x.as_slice().to_vec(),
    );
    for (a, b) in dx.as_slice().iter().zip(&numerical_dx) {
        prop_assert!((a - b).abs() <= TOL * (1.0 + b.abs()), "dx: {} vs {}", a, b);
    }
    Ok(())
}

fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-2.0f64..2.0, n)
}

fn labels() -> impl Strategy<Value = Labels<3>> {
    prop::collection::vec(0usize..3, 4).prop_map(|l| Labels::from_slice(&l).expect("below 3"))
}

fn batch<const W: usize>(v: &[f64]) -> Batch<[f64; W]> {
    Batch::from_flat(v).expect("whole rows")
}

fn affine_from<const I: usize, const O: usize>(v: &[f64]) -> Affine<[f64; I], O> {
    Affine::from_fn(|i, j| v[i * O + j], |j| v[I * O + j] * 0.5)
}

/// Inputs at least 0.01 from 0, so x ± h never crosses ReLU's kink.
fn away_from_zero(v: Vec<f64>) -> Vec<f64> {
    v.into_iter()
        .map(|x| if x.abs() < 0.01 { x.signum() * 0.01 + x } else { x })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn affine(w in values(5 * 3 + 3), x in values(4 * 5), t in labels()) {
        check(&mut affine_from::<5, 3>(&w).then(SoftmaxWithLoss), &batch(&x), &t)?;
    }

    #[test]
    fn relu(x in values(4 * 3).prop_map(away_from_zero), t in labels()) {
        check(&mut Input::<[f64; 3]>::new().then(Relu).then(SoftmaxWithLoss), &batch(&x), &t)?;
    }

    #[test]
    fn sigmoid(x in values(4 * 3), t in labels()) {
        check(&mut Input::<[f64; 3]>::new().then(Sigmoid).then(SoftmaxWithLoss), &batch(&x), &t)?;
    }

    #[test]
    fn softmax_as_a_layer(w in values(3 * 3 + 3), x in values(4 * 3), t in labels()) {
        let mut net = Input::<[f64; 3]>::new().then(SoftmaxWithLoss).then(affine_from::<3, 3>(&w)).then(SoftmaxWithLoss);
        check(&mut net, &batch(&x), &t)?;
    }

    /// Affine → Sigmoid → Affine → ReLU → Affine, ending in softmax with
    /// loss. Cases where a ReLU input lands within 0.01 of its kink are
    /// skipped: there the function has no derivative to compare.
    #[test]
    fn three_layer_chain(w in values(4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3), x in values(4 * 4), t in labels()) {
        let (w1, rest) = w.split_at(4 * 6 + 6);
        let (w2, w3) = rest.split_at(6 * 5 + 5);
        let mut net = affine_from::<4, 6>(w1)
            .then(Sigmoid)
            .then(affine_from::<6, 5>(w2))
            .then(Relu)
            .then(affine_from::<5, 3>(w3))
            .then(SoftmaxWithLoss);
        let x = batch::<4>(&x);
        // layers 0 to 2 (Affine, Sigmoid, Affine) give the ReLU's input
        let mut relu_inputs = Batch::<[f64; 5]>::zeros(x.nrows());
        net.first().first().first().infer(&x, &mut relu_inputs);
        prop_assume!(relu_inputs.as_slice().iter().all(|v| v.abs() > 0.01));
        check(&mut net, &x, &t)?;
    }
}
