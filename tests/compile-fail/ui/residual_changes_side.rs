// A residual block whose inner convolution, unpadded, shrinks the image
// from 14×14 to 12×12: its output cannot be added to its input.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 8, 14, 14>>::new()
        .then(Residual::new(typenet::chain![
            Conv2d::<f32, 8, 8, 3, 1, 1>::zeros(),
            Relu,
            Conv2d::<f32, 8, 8, 3>::zeros(),
        ]))
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
}
