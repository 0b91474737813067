// A 7×7 kernel on a 4×4 image padded by 1 on each end (6×6): larger than
// the padded side.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 4, 4>>::new().then(Conv2d::<f32, 1, 8, 7, 1, 1>::zeros());
}
