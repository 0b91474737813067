//! Back-propagation equals the numerical gradient for random weights and
//! inputs through the convolutional layers (`Conv2d` of several geometries,
//! padding and strides included, `MaxPool2d`, `BatchNorm` on images and on
//! dense rows, and `ConvReluPool`), in f64, for the parameters and the input.
//!
//! Tolerance as in `gradients.rs`: |backprop − numerical| ≤ 1e-6 ·
//! (1 + |numerical|) per element. Where a ReLU input or the two largest
//! values of a pooling window lie within 0.01 of each other the function
//! has no derivative at the point the difference straddles, so such cases
//! are skipped (`prop_assume!`), and the skip is rare with inputs in
//! [−2, 2].

use proptest::prelude::*;
use typenet::prelude::*;
use typenet::{Gradient, numerical_gradient, numerical_gradient_of_net, stored_gradients};

const TOL: f64 = 1e-6;

fn close(what: &str, backprop: &[f64], numerical: &[f64]) -> Result<(), TestCaseError> {
    prop_assert_eq!(backprop.len(), numerical.len());
    for (i, (x, y)) in backprop.iter().zip(numerical).enumerate() {
        prop_assert!(
            (x - y).abs() <= TOL * (1.0 + y.abs()),
            "{}[{}]: {} vs {}",
            what,
            i,
            x,
            y
        );
    }
    Ok(())
}

fn close_all(backprop: &[Gradient<f64>], numerical: &[Gradient<f64>]) -> Result<(), TestCaseError> {
    prop_assert_eq!(backprop.len(), numerical.len());
    for (b, n) in backprop.iter().zip(numerical) {
        close(&format!("{} of layer {}", b.name, b.layer), &b.values, &n.values)?;
    }
    Ok(())
}

/// The parameter gradients and the input gradient of `net` at `x`, against
/// central differences.
fn check<X, N>(net: &mut N, x: &Batch<X>, t: &Labels<3>) -> Result<(), TestCaseError>
where
    X: Row<Scalar = f64>,
    N: TrainableNetwork<X, Out = [f64; 3]>,
{
    let mut outputs = Batch::zeros(x.nrows());
    net.infer(x, &mut outputs);
    prop_assume!((0..x.nrows()).all(|i| outputs[i][t.get(i)] > 1e-5));
    let mut ws = net.workspace();
    let mut dx = x.clone();
    net.gradient_with(&mut ws, x, t, Some(&mut dx))
        .expect("as many rows as labels");
    let backprop = stored_gradients(net);
    prop_assert!(!backprop.is_empty());
    close_all(
        &backprop,
        &numerical_gradient_of_net(net, x, t, &Training::default()).expect("rows match"),
    )?;
    // the training loss, as back-propagation differentiates it: a
    // BatchNorm normalises by the batch's own statistics there
    let mut probe = x.clone();
    let mut probe_ws = net.workspace();
    let numerical_dx = numerical_gradient(
        |v| {
            probe.as_mut_slice().copy_from_slice(v);
            net.train_loss_with(&mut probe_ws, &probe, t).expect("finite inputs")
        },
        &mut x.as_slice().to_vec(),
    );
    close("dx", dx.as_slice(), &numerical_dx)
}

fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-2.0f64..2.0, n)
}

fn labels() -> impl Strategy<Value = Labels<3>> {
    labels_of(2)
}

fn labels_of(rows: usize) -> impl Strategy<Value = Labels<3>> {
    prop::collection::vec(0usize..3, rows).prop_map(|l| Labels::from_slice(&l).expect("below 3"))
}

/// `true` if every feature of `rows` (each `features` wide, `positions`
/// values per feature) varies by more than `margin` over the batch: a
/// nearly constant feature makes a BatchNorm's gradient so steep that the
/// central difference no longer measures it.
fn features_vary(values: &[f64], features: usize, positions: usize, margin: f64) -> bool {
    let rows = values.len() / (features * positions);
    (0..features).all(|f| {
        let v: Vec<f64> = (0..rows)
            .flat_map(|r| (0..positions).map(move |p| (r, p)))
            .map(|(r, p)| values[(r * features + f) * positions + p])
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / v.len() as f64).sqrt() > margin
    })
}

fn images<const C: usize, const H: usize, const W: usize>(v: &[f64]) -> Batch<Image<f64, C, H, W>> {
    Batch::from_flat(v).expect("whole images")
}

/// A convolution whose weights are `v` (then its biases).
fn conv<const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize>(
    v: &[f64],
) -> Conv2d<f64, CIN, COUT, K, S, P> {
    let n = COUT * CIN * K * K;
    Conv2d::from_fn(
        |o, c, i, j| v[((o * CIN + c) * K + i) * K + j] * 0.5,
        |o| v[n + o] * 0.1,
    )
}

/// A dense head of 3 classes over `IN` inputs from `v`.
fn head<X: Row<Scalar = f64>, const IN: usize>(v: &[f64]) -> Affine<X, 3> {
    Affine::from_fn(|i, j| v[(i * 3 + j) % v.len()] * 0.5, |j| v[j] * 0.1)
}

/// `true` if no two of `values` that one max-pool window compares lie
/// within `margin` of each other, for windows of `k` × `k` at stride `s`
/// over maps of `h` × `w`.
fn windows_apart(values: &[f64], h: usize, w: usize, k: usize, s: usize, margin: f64) -> bool {
    values.chunks(h * w).all(|map| {
        (0..=(h - k) / s).all(|oi| {
            (0..=(w - k) / s).all(|oj| {
                let mut v: Vec<f64> = (0..k * k).map(|t| map[(oi * s + t / k) * w + oj * s + t % k]).collect();
                v.sort_by(|a, b| b.partial_cmp(a).unwrap());
                v.len() < 2 || v[0] - v[1] > margin
            })
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// 3×3, stride 1, no padding, two input channels.
    #[test]
    fn conv_3x3(w in values(3 * 2 * 9 + 3), h in values(3 * 3 * 3), x in values(2 * 2 * 5 * 5), t in labels()) {
        let mut net = Input::<Image<f64, 2, 5, 5>>::new()
            .then(conv::<2, 3, 3, 1, 0>(&w))
            .then(head::<_, 27>(&h))
            .then(SoftmaxWithLoss);
        check(&mut net, &images::<2, 5, 5>(&x), &t)?;
    }

    /// 3×3, stride 2, padding 1: taps outside the image read zeros.
    #[test]
    fn conv_strided_padded(w in values(2 * 9 + 2), h in values(2 * 3 * 3), x in values(2 * 5 * 5), t in labels()) {
        let mut net = Input::<Image<f64, 1, 5, 5>>::new()
            .then(conv::<1, 2, 3, 2, 1>(&w))
            .then(head::<_, 18>(&h))
            .then(SoftmaxWithLoss);
        check(&mut net, &images::<1, 5, 5>(&x), &t)?;
    }

    /// A 1×1 convolution at stride 2 (a projection shortcut's).
    #[test]
    fn conv_pointwise_strided(w in values(2 * 3 + 2), h in values(2 * 2 * 2 * 3), x in values(2 * 3 * 4 * 4), t in labels()) {
        let mut net = Input::<Image<f64, 3, 4, 4>>::new()
            .then(conv::<3, 2, 1, 2, 0>(&w))
            .then(head::<_, 8>(&h))
            .then(SoftmaxWithLoss);
        check(&mut net, &images::<3, 4, 4>(&x), &t)?;
    }

    /// 2×2 max pooling over distinct values.
    #[test]
    fn max_pool(h in values(2 * 2 * 2 * 3), x in values(2 * 2 * 4 * 4), t in labels()) {
        prop_assume!(windows_apart(&x, 4, 4, 2, 2, 0.01));
        let mut net = Input::<Image<f64, 2, 4, 4>>::new()
            .then(MaxPool2d::<2>)
            .then(head::<_, 8>(&h))
            .then(SoftmaxWithLoss);
        check(&mut net, &images::<2, 4, 4>(&x), &t)?;
    }

    /// Overlapping 3×3 windows at stride 1.
    #[test]
    fn max_pool_overlapping(h in values(3 * 3 * 3), x in values(2 * 5 * 5), t in labels()) {
        prop_assume!(windows_apart(&x, 5, 5, 3, 1, 0.01));
        let mut net = Input::<Image<f64, 1, 5, 5>>::new()
            .then(MaxPool2d::<3, 1>)
            .then(head::<_, 9>(&h))
            .then(SoftmaxWithLoss);
        check(&mut net, &images::<1, 5, 5>(&x), &t)?;
    }

    /// BatchNorm over the channels of images, trained γ and β (the batch's
    /// statistics in the training pass the gradient is taken of).
    #[test]
    fn batch_norm_images(h in values(2 * 3 * 3 * 3), x in values(2 * 2 * 3 * 3), t in labels()) {
        prop_assume!(features_vary(&x, 2, 9, 0.3));
        let mut net = Input::<Image<f64, 2, 3, 3>>::new()
            .then(BatchNorm::new())
            .then(head::<_, 18>(&h))
            .then(SoftmaxWithLoss);
        check(&mut net, &images::<2, 3, 3>(&x), &t)?;
    }

    /// BatchNorm over the features of dense rows, after an Affine.
    #[test]
    fn batch_norm_dense(w in values(4 * 5 + 5), h in values(5 * 3), x in values(6 * 4), t in labels_of(6)) {
        let affine = Affine::<[f64; 4], 5>::from_fn(|i, j| w[i * 5 + j], |j| w[20 + j]);
        let x: Batch<[f64; 4]> = Batch::from_flat(&x).expect("whole rows");
        let mut features = Batch::zeros(6);
        affine.infer(&x, &mut features);
        prop_assume!(features_vary(features.as_slice(), 5, 1, 0.3));
        let mut net = affine.then(BatchNorm::new()).then(head::<_, 5>(&h)).then(SoftmaxWithLoss);
        check(&mut net, &x, &t)?;
    }

    /// ConvReluPool against the numerical gradient: away from the ReLU's
    /// kink and from ties in the pooled windows.
    #[test]
    fn conv_relu_pool(w in values(2 * 9 + 2), h in values(2 * 2 * 2 * 3), x in values(2 * 6 * 6), t in labels()) {
        let layer = conv::<1, 2, 3, 1, 0>(&w);
        let x = images::<1, 6, 6>(&x);
        let mut maps = Batch::<Image<f64, 2, 4, 4>>::zeros(x.nrows());
        layer.infer(&x, &mut maps);
        prop_assume!(maps.as_slice().iter().all(|v| v.abs() > 0.01));
        let relu: Vec<f64> = maps.as_slice().iter().map(|v| v.max(0.0)).collect();
        prop_assume!(windows_apart(&relu, 4, 4, 2, 2, 0.01));
        let mut net = Input::<Image<f64, 1, 6, 6>>::new()
            .then(ConvReluPool::new(layer, MaxPool2d::<2>))
            .then(head::<_, 8>(&h))
            .then(SoftmaxWithLoss);
        check(&mut net, &x, &t)?;
    }
}
