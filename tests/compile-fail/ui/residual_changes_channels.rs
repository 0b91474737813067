// A residual block whose inner convolution changes the channel count: its
// output cannot be added to its input.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 8, 14, 14>>::new()
        .then(Residual::new(Conv2d::<f32, 8, 16, 3, 1, 1>::zeros()))
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
}
