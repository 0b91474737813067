// A BatchNorm over 16 channels after a convolution that makes 8.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 28, 28>>::new()
        .then(Conv2d::<f32, 1, 8, 3>::zeros())
        .then(BatchNorm::<f32, 16>::new())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
}
