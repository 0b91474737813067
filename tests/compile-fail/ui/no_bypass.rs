// A chain cannot be assembled by hand around the width check.
use typenet::prelude::*;

fn main() {
    let _net: Chain<_, _, 1> = Chain {
        first: Affine::<[f32; 784], 50>::zeros(),
        second: Affine::<[f32; 40], 10>::zeros(),
    };
}
