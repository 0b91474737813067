// A convolution's output (30 × 12 × 12 after pooling) wired into an Affine
// written for another size.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 28, 28>>::new()
        .then(Conv2d::<f32, 1, 30, 5>::zeros())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<Image<f32, 30, 13, 13>, 100>::zeros());
}
