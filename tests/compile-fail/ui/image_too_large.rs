// Sides beyond what the size tables cover are refused with a message that
// says so.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 300, 300>>::new().then(Conv2d::<f32, 1, 4, 3>::zeros());
}
