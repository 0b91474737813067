// Two branches of different sides added: a strided 3×3 convolution halves
// 14×14 to 7×7, the 1×1 branch beside it keeps 14×14.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 8, 14, 14>>::new()
        .then(Sum::new(
            Conv2d::<f32, 8, 16, 3, 2, 1>::zeros(),
            Conv2d::<f32, 8, 16, 1>::zeros(),
        ))
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
}
