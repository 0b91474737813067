// A stride of 12, past the largest the size tables take (11), is refused
// with a message naming the limits, even where the kernel fits.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 30, 30>>::new().then(Conv2d::<f32, 1, 4, 3, 12>::zeros());
}
