// A conv net's type written with `Net!` whose Affine names the wrong input:
// the pool leaves 8×13×13, the Affine is written for 8×12×12.
use typenet::prelude::*;

type Wrong = typenet::Net![
    Image<f32, 1, 28, 28> => Conv2d<f32, 1, 8, 3>, Relu, MaxPool2d<2>, Affine<Image<f32, 8, 12, 12>, 10>, SoftmaxWithLoss<10>
];

fn main() {
    let _net: Wrong = Input::<Image<f32, 1, 28, 28>>::new()
        .then(Conv2d::zeros())
        .then(Relu)
        .then(MaxPool2d)
        .then(Affine::zeros())
        .then(SoftmaxWithLoss);
}
