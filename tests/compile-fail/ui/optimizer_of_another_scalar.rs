// An optimizer of f64 stepping a net of f32 layers.
use typenet::prelude::*;

fn main() {
    let mut net: TwoLayerNet<f32, 4, 8, 3> = Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
    let mut adam = typenet::Adam::<f64>::new(0.001, 0.9, 0.999);
    let _ = adam.step(&mut net);
}
