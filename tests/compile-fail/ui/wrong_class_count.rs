// Targets for 9 classes given to a net with 10 outputs: labels and one-hot rows.
use typenet::prelude::*;

fn main() {
    let mut net: TwoLayerNet<f32, 784, 50, 10> =
        Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
    let x = Batch::<[f32; 784]>::zeros(2);
    let labels = Labels::<9>::from_slice(&[1, 2]).unwrap();
    let _ = net.loss(&x, &labels);
    let one_hot = Batch::<[f32; 9]>::zeros(2);
    let _ = net.gradient(&x, &one_hot);
}
