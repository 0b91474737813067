// A 5×5 kernel on a 4×4 image padded by nothing.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 4, 4>>::new().then(Conv2d::<f32, 1, 8, 5>::zeros());
}
