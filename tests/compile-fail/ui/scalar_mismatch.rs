// An f32 layer followed by an f64 layer of the right width.
use typenet::prelude::*;

fn main() {
    let _net = Affine::<[f32; 784], 50>::zeros()
        .then(Relu)
        .then(Affine::<[f64; 50], 10>::zeros());
}
