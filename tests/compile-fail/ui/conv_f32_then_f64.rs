// An f32 convolution followed by an f64 layer.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 8, 8>>::new()
        .then(Conv2d::<f32, 1, 2, 3>::zeros())
        .then(Conv2d::<f64, 2, 2, 3>::zeros());
}
