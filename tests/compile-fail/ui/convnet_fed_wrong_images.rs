// A net built for 28×28 digits, fed 28×27 images.
use typenet::prelude::*;

fn main() {
    let net = Input::<Image<f32, 1, 28, 28>>::new()
        .then(Conv2d::<f32, 1, 30, 5>::zeros())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 10>::zeros())
        .then(SoftmaxWithLoss);
    let images = Batch::<Image<f32, 1, 28, 27>>::zeros(2);
    let _ = net.predict(&images);
}
