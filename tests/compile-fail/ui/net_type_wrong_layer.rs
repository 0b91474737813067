// A net's type written with `Net!`: the second convolution expects 3
// channels where the first gives 8.
use typenet::prelude::*;

type Wrong = typenet::Net![
    Image<f32, 1, 28, 28> => Conv2d<f32, 1, 8, 3>, Relu, Conv2d<f32, 3, 8, 3>, Affine<_, 10>, SoftmaxWithLoss<10>
];

fn main() {
    let _net: Option<Wrong> = None;
}
