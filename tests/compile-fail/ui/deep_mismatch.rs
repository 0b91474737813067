// A four-layer chain whose third layer expects 201 inputs after a 200-wide layer.
use typenet::prelude::*;

fn main() {
    let _net = Affine::<[f32; 784], 100>::zeros()
        .then(Relu)
        .then(Affine::<[f32; 100], 200>::zeros())
        .then(Sigmoid)
        .then(Affine::<[f32; 201], 10>::zeros())
        .then(SoftmaxWithLoss::<10>);
}
