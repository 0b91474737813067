// The same mistake in a type alias: the net cannot be built to that type.
use typenet::prelude::*;

type Deep = Chain![Affine<[f32; 784], 100>, Relu, Affine<[f32; 100], 200>, Relu, Affine<[f32; 201], 10>, SoftmaxWithLoss<10>];

fn main() {
    let _net: Deep = Affine::zeros()
        .then(Relu)
        .then(Affine::zeros())
        .then(Relu)
        .then(Affine::zeros())
        .then(SoftmaxWithLoss);
}
