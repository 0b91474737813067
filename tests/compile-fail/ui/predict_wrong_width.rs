// Feeding 783-wide rows to a net that takes 784, in a batch and as one sample.
use typenet::prelude::*;

type Net = TwoLayerNet<f32, 784, 50, 10>;

fn main() {
    let net: Net = Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
    let x = Batch::<[f32; 783]>::zeros(4);
    let _ = net.predict(&x);
    let _ = net.classify(&[0.0f32; 783]);
}
