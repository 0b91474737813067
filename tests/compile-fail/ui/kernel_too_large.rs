// A 13×13 kernel is past the largest the size tables take (11) unless it
// covers the whole padded side: refused on a 30×30 image, naming the limits.
use typenet::prelude::*;

fn main() {
    let _net = Input::<Image<f32, 1, 30, 30>>::new().then(Conv2d::<f32, 1, 4, 13>::zeros());
}
