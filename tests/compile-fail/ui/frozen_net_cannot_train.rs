// A net of Frozen layers keeps no gradients: it infers, and refuses to be
// trained where the training is written.
use typenet::prelude::*;

fn main() {
    let mut net = Affine::<[f32; 2], 3, Frozen>::frozen([[1.0; 3]; 2], [0.0; 3]).then(SoftmaxWithLoss);
    assert_eq!(net.classify(&[1.0, 2.0]).unwrap(), 0);
    let _ = Sgd::new(0.1).step(&mut net);
}
