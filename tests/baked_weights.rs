//! Weights baked into a binary: the Rust source that `bake_weights` wrote
//! (`tests/no-std/src/model.rs`, compiled into this test) is exactly what
//! the exporter writes for the saved net, and the net built from its
//! constants predicts exactly as that net.

#[allow(dead_code)]
#[path = "no-std/src/model.rs"]
#[rustfmt::skip]
mod model;

use typenet::prelude::*;

type Classifier = Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];

static BAKED: Classifier = typenet::chain![
    Affine::from_arrays(model::L0_W, model::L0_B),
    Relu,
    Affine::from_arrays(model::L2_W, model::L2_B),
    SoftmaxWithLoss,
];

fn saved() -> Classifier {
    let mut net: Classifier = Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
    typenet::io::load(
        &mut net,
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-std/src/model.safetensors"),
    )
    .unwrap();
    net
}

#[test]
fn exported_source_is_the_saved_net_exactly() {
    let original = saved();
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/no-std/src/model.rs")).unwrap();
    assert_eq!(typenet::io::rust_source(&original).unwrap(), source);
    assert_eq!(BAKED, original);
    for i in 0..1000 {
        let x = [
            (i % 7) as f32 * 0.7 - 2.0,
            (i % 11) as f32 * 0.4 - 2.0,
            (i % 13) as f32 * 0.3 - 1.5,
            (i % 5) as f32 - 2.0,
        ];
        assert_eq!(BAKED.probabilities(&x).unwrap(), original.probabilities(&x).unwrap());
        assert_eq!(BAKED.classify(&x).unwrap(), original.classify(&x).unwrap());
    }
    // and the baked net classifies what it was trained on
    assert_eq!(BAKED.classify(&[0.1, 2.3, -0.2, 0.4]).unwrap(), 1);
    assert_eq!(BAKED.classify(&[2.5, 0.0, 0.1, -0.3]).unwrap(), 0);
}

#[test]
fn non_finite_parameters_cannot_be_exported() {
    let mut net = saved();
    net.layer_mut::<2>().bias_mut()[2] = f32::NAN;
    assert!(typenet::io::rust_source(&net).is_err());
}
