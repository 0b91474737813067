// The second convolution expects 20 input channels; the first makes 30.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 28, 28>>::new()
        .then(Conv2d::<f32, 1, 30, 5>::zeros())
        .then(Conv2d::<f32, 20, 10, 3>::zeros());
}
