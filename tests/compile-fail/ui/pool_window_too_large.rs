// Sizes in the wrong order: a 3×3 convolution and a 2×2 pool leave 2×2 of
// a 6×6 image, too small for a 3×3 pooling window after them.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 6, 6>>::new()
        .then(Conv2d::<f32, 1, 4, 3>::zeros())
        .then(MaxPool2d::<2>)
        .then(MaxPool2d::<3>);
}
