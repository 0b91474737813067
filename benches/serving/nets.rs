//! The two nets of the serving benchmark, trained here once and saved with
//! `typenet::io::save`: the files every other runtime's model is built
//! from.

use std::path::Path;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typenet::data::Dataset;
use typenet::prelude::*;
use typenet::train::DataParallel;

/// A 28×28 grey-scale digit.
pub type Digit = Image<f32, 1, 28, 28>;

/// What the benchmark asks of a net: 10 classes, trainable, cloned into
/// the trainer's replicas.
pub trait Net<X: Row<Scalar = f32>>: TrainableNetwork<X, Out = [f32; 10]> + Clone + Send + Sync + 'static {}
impl<X: Row<Scalar = f32>, N: TrainableNetwork<X, Out = [f32; 10]> + Clone + Send + Sync + 'static> Net<X> for N {}

const SEED: u64 = 42;

/// The book's SimpleConvNet with conv → ReLU → pool as one
/// `ConvReluPool`: tensors `0.W` [30, 1, 5, 5], `0.b`, `1.W` [4320, 100]
/// (rows in the pooled maps' C, H, W order), `1.b`, `3.W` [100, 10], `3.b`.
pub fn fused_conv_net() -> impl Net<Digit> {
    let rng = &mut StdRng::seed_from_u64(SEED);
    Input::<Digit>::new()
        .then(ConvReluPool::new(
            Conv2d::<f32, 1, 30, 5>::init(Init::Normal(0.01), rng),
            MaxPool2d::<2>,
        ))
        .then(Affine::<_, 100>::init(Init::Normal(0.01), rng))
        .then(Relu)
        .then(Affine::<_, 10>::init(Init::Normal(0.01), rng))
        .then(SoftmaxWithLoss)
}

/// The same net, its first three layers chained (`Conv2d`, `Relu`,
/// `MaxPool2d`); [`copy_params`] gives it the fused net's values.
pub fn chained_conv_net() -> impl Net<Digit> {
    Input::<Digit>::new()
        .then(Conv2d::<f32, 1, 30, 5>::zeros())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 100>::zeros())
        .then(Relu)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss)
}

/// The book's 784 → 50 (ReLU) → 10 net: `0.W` [784, 50], `0.b`, `2.W`
/// [50, 10], `2.b`.
pub fn dense_net() -> impl Net<[f32; 784]> {
    let rng = &mut StdRng::seed_from_u64(SEED);
    Affine::<[f32; 784], 50>::init(Init::Normal(0.01), rng)
        .then(Relu)
        .then(Affine::<_, 10>::init(Init::Normal(0.01), rng))
        .then(SoftmaxWithLoss)
}

/// Copies every trained value of `from` into `to`, tensor by tensor in
/// their order (the same for a `ConvReluPool` and its three layers).
pub fn copy_params<A: Params<f32>, B: Params<f32>>(from: &A, to: &mut B) {
    let mut values = Vec::new();
    from.visit_params(&mut |p| values.push((p.shape, p.value.to_vec())));
    let mut next = values.into_iter();
    to.visit_params_mut(&mut |p| {
        let (shape, value) = next.next().expect("the same number of tensors");
        assert_eq!(p.shape, shape, "tensor {}.{}", p.layer, p.name);
        p.value.copy_from_slice(&value);
    });
    assert!(next.next().is_none(), "the same number of tensors");
}

/// `net` loaded from `file` if it exists; otherwise trained on `train`
/// (`steps` steps of 100 samples drawn with replacement, `optimizer`) and
/// saved there. Returns whether it was trained.
pub fn train_or_load<X, N, O>(
    net: &mut N,
    file: &Path,
    train: &Dataset<X, 10>,
    optimizer: O,
    steps: usize,
) -> Result<bool, Box<dyn std::error::Error>>
where
    X: Row<Scalar = f32>,
    N: Net<X>,
    O: Optimizer<f32> + Clone + Send + 'static,
{
    if file.exists() {
        typenet::io::load(net, file)?;
        return Ok(false);
    }
    let mut replicas = DataParallel::new(net.clone(), optimizer, train.clone(), 1, SEED)?;
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut indices = vec![0; 100];
    for _ in 0..steps {
        indices.fill_with(|| rng.random_range(0..train.len()));
        replicas.step(&indices)?;
    }
    *net = replicas.into_parts().0;
    typenet::io::save(net, file)?;
    Ok(true)
}
