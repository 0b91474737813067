// One mis-wired layer early in a long chain: the 40-input Affine after a
// 50-wide one is reported once, not again by each of the seven layers,
// blocks and branches chained after it.
use typenet::prelude::*;

fn main() {
    let _net = Input::<[f32; 784]>::new()
        .then(Affine::<[f32; 784], 50>::zeros())
        .then(Relu)
        .then(Affine::<[f32; 40], 20>::zeros())
        .then(Relu)
        .then(Residual::new(Affine::<[f32; 20], 20>::zeros()))
        .then(Sum::new(Affine::<[f32; 20], 20>::zeros(), Relu))
        .then(Sigmoid)
        .then(Affine::<[f32; 20], 10>::zeros())
        .then(Relu)
        .then(SoftmaxWithLoss::<10>);
}
