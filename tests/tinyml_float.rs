//! The float fixtures are usable as they are documented: the anomaly
//! detector's float model (10 FULLY_CONNECTED) computed from the `.tflite`
//! reader's weights with TFLite's reference float loop (a sum in input
//! order, then the bias, then the activation) matches LiteRT's reference
//! outputs on the documented inputs.

mod tinyml;

use typenet::io::tflite::{self, Activation, BuiltinOptions};

fn fully_connected(input: &[f32], weights: &[f32], bias: &[f32], activation: Activation) -> Vec<f32> {
    let inputs = input.len();
    weights
        .chunks_exact(inputs)
        .zip(bias)
        .map(|(row, b)| {
            let mut total = 0.0f32;
            for (x, w) in input.iter().zip(row) {
                total += x * w;
            }
            let y = total + b;
            match activation {
                Activation::Relu => y.max(0.0),
                Activation::None => y,
                other => panic!("{other:?}"),
            }
        })
        .collect()
}

#[test]
fn the_float_anomaly_detector_matches_litert_reference() {
    let bytes = tinyml::bytes("ad01_fp32.tflite");
    let model = tflite::read(&bytes).unwrap();
    let graph = &model.subgraphs[0];
    let layers: Vec<_> = graph
        .operators
        .iter()
        .map(|op| {
            let BuiltinOptions::FullyConnected(o) = op.options else {
                panic!("{op:?}")
            };
            let w = model.tensor_f32(&graph.tensors[op.inputs[1].unwrap()]).unwrap();
            let b = model.tensor_f32(&graph.tensors[op.inputs[2].unwrap()]).unwrap();
            (w, b, o.activation)
        })
        .collect();
    let run = |x: &[f32]| {
        layers
            .iter()
            .fold(x.to_vec(), |x, (w, b, a)| fully_connected(&x, w, b, *a))
    };

    let int8 = tinyml::fixture("ad_int8");
    let float = tinyml::fixture("ad_float");
    let (scale, zero_point) = (float["input_scale"].f32()[0], float["input_zero_point"].i32()[0] as f32);
    let outputs = float["output"].f32();
    let mut inputs: Vec<Vec<f32>> = (0..32)
        .map(|i| {
            int8["input"]
                .row_i8(i)
                .iter()
                .map(|&q| (f32::from(q) - zero_point) * scale)
                .collect()
        })
        .collect();
    inputs.extend(tinyml::ad_windows());
    let expected = outputs
        .iter()
        .chain(float["sample_output"].f32())
        .copied()
        .collect::<Vec<f32>>();
    let mut worst = 0.0f64;
    let mut equal = 0;
    for (i, x) in inputs.iter().enumerate() {
        let got = run(x);
        for (g, e) in got.iter().zip(&expected[i * 640..][..640]) {
            equal += usize::from(g.to_bits() == e.to_bits());
            worst = worst.max(f64::from((g - e).abs()) / f64::from(e.abs()).max(1e-3));
        }
    }
    let total = inputs.len() * 640;
    assert!(worst <= 1e-5, "worst relative difference {worst:e}");
    assert_eq!(
        equal, total,
        "{equal} of {total} outputs have LiteRT's bits (worst relative difference {worst:e})"
    );
}
