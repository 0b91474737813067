// A batch of 8 rows with labels for a batch of 4: the class count and the
// scalar type are right, the number of rows is not.
use typenet::prelude::*;

fn main() {
    let mut net = Affine::<[f32; 2], 3, Inline>::zeros().then(SoftmaxWithLoss);
    let x = Batch::<[f32; 2], Const<8>>::default();
    let t = Labels::<3, Const<4>>::new([0, 1, 2, 0]).unwrap();
    let _ = net.gradient(&x, &t);
}
