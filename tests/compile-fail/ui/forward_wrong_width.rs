// A single layer's forward pass with rows of the wrong width.
use typenet::prelude::*;

fn main() {
    let fc = Affine::<[f32; 4], 3>::zeros();
    let x = Batch::<[f32; 5]>::zeros(2);
    let mut y = Batch::<[f32; 3]>::zeros(2);
    fc.infer(&x, &mut y);
}
