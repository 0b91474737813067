// An Affine of 576 inputs given weights for 575: refused by `cargo check`,
// not at run time.
use typenet::prelude::*;

fn main() {
    let _fc = Affine::<[f32; 576], 10>::from_parts(&[[0.0; 10]; 575], &[0.0; 10]);
}
