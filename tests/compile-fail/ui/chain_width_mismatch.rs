// A 50-wide hidden layer wired into a layer that takes 40 inputs.
use typenet::prelude::*;

fn main() {
    let _net = Affine::<[f32; 784], 50>::zeros()
        .then(Relu)
        .then(Affine::<[f32; 40], 10>::zeros())
        .then(SoftmaxWithLoss::<10>);
}
