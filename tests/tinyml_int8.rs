//! `typenet::quant`'s integer arithmetic against LiteRT's reference kernels
//! (`BUILTIN_REF`) on the four MLPerf Tiny int8 models: every operator of
//! every model on the traced intermediate tensors, and whole models on the
//! 32 seeded random inputs and the MLPerf samples, bit for bit. The models
//! run through a test-only interpreter over the `.tflite` reader
//! (`tests/tinyml/interpreter.rs`).

mod tinyml;

use tinyml::interpreter::{FullyConnectedMode, run, run_op};
use typenet::io::tflite;
use typenet::quant::{self, QuantParams};

/// Compares every output of the fixture's inputs; returns the number of
/// outputs that differ.
fn outputs_differing(stem: &str, file: &str, fc: FullyConnectedMode) -> (usize, usize) {
    let bytes = tinyml::bytes(file);
    let model = tflite::read(&bytes).unwrap();
    let fixture = tinyml::fixture(&format!("{stem}_int8"));
    let graph = &model.subgraphs[0];
    let mut compared = 0;
    let mut differing = 0;
    for (inputs, outputs) in [("input", "output"), ("sample_input", "sample_output")] {
        let (Some(inputs), Some(outputs)) = (fixture.get(inputs), fixture.get(outputs)) else {
            continue;
        };
        for i in 0..inputs.shape[0] {
            let values = run(&model, inputs.row_i8(i), fc).unwrap_or_else(|e| panic!("{file}: {e}"));
            let got = values[graph.outputs[0]].as_ref().unwrap();
            let expected = outputs.row_i8(i);
            compared += expected.len();
            differing += got.iter().zip(expected).filter(|(a, b)| a != b).count();
        }
    }
    (differing, compared)
}

#[test]
fn anomaly_detection_is_bit_exact_on_every_input() {
    // 10 FULLY_CONNECTED: 32 random inputs and the 196 sample windows.
    let (differing, compared) = outputs_differing("ad", "ad01_int8.tflite", FullyConnectedMode::Double);
    assert_eq!(compared, (32 + 196) * 640);
    assert_eq!(differing, 0, "of {compared} outputs");
}

#[test]
fn the_integer_fully_connected_of_tflite_micro_is_not_litert_reference() {
    // TFLite Micro's and CMSIS-NN's requantization by the Q31 multiplier
    // differs from LiteRT's reference (a double product) on the anomaly
    // detector; the double one above is exact.
    let (differing, compared) = outputs_differing("ad", "ad01_int8.tflite", FullyConnectedMode::Integer);
    assert!(
        differing > 0,
        "the two requantizations agreed on all {compared} outputs"
    );
}

#[test]
fn whole_models_are_bit_exact_on_every_input() {
    for (stem, file) in [
        ("kws", "kws_ref_model.tflite"),
        ("ic", "pretrainedResnet_quant.tflite"),
        ("vww", "vww_96_int8.tflite"),
    ] {
        let (differing, compared) = outputs_differing(stem, file, FullyConnectedMode::Double);
        assert_eq!(differing, 0, "{file}: {differing} of {compared} outputs differ");
    }
}

#[test]
fn every_operator_is_bit_exact_on_the_traced_tensors() {
    for (stem, file) in tinyml::INT8_MODELS {
        let bytes = tinyml::bytes(file);
        let model = tflite::read(&bytes).unwrap();
        let graph = &model.subgraphs[0];
        let fixture = tinyml::fixture(&format!("{stem}_int8"));
        for trace in ["random0", "sample"] {
            let traced = |t: usize| fixture.get(&format!("trace/{trace}/{t}")).map(|a| a.i8().to_vec());
            let Some(last) = traced(graph.outputs[0]) else { continue };
            let input = match trace {
                "random0" => fixture["input"].row_i8(0).to_vec(),
                _ => fixture["sample_input"].row_i8(0).to_vec(),
            };
            for (k, op) in graph.operators.iter().enumerate() {
                // Each operator alone, on LiteRT's own inputs to it.
                let mut values: Vec<Option<Vec<i8>>> = (0..graph.tensors.len()).map(traced).collect();
                values[graph.inputs[0]] = Some(input.clone());
                values[op.outputs[0]] = None;
                run_op(&model, op, &mut values, FullyConnectedMode::Double)
                    .unwrap_or_else(|e| panic!("{file} op {k}: {e}"));
                let got = values[op.outputs[0]].as_ref().unwrap();
                let expected = traced(op.outputs[0]).unwrap();
                let differing = got.iter().zip(&expected).filter(|(a, b)| a != b).count();
                assert_eq!(
                    differing,
                    0,
                    "{file} ({trace}), operator {k} ({}): {differing} of {} values",
                    op.builtin,
                    expected.len()
                );
            }
            assert_eq!(last.len(), graph.tensors[graph.outputs[0]].elements());
        }
    }
}

#[test]
fn the_sample_windows_quantize_as_tflite_does() {
    let bytes = tinyml::bytes("ad01_int8.tflite");
    let model = tflite::read(&bytes).unwrap();
    let graph = &model.subgraphs[0];
    let q = graph.tensors[graph.inputs[0]].quantization.as_ref().unwrap();
    let params = QuantParams::new(q.scale[0], q.zero_point[0] as i32);
    let expected = tinyml::fixture("ad_int8");
    let expected = &expected["sample_input"];
    for (i, window) in tinyml::ad_windows().iter().enumerate() {
        let codes: Vec<i8> = window.iter().map(|&x| quant::quantize(x, params)).collect();
        assert_eq!(codes, expected.row_i8(i), "window {i}");
    }
}

#[test]
fn the_sample_classes_are_mlperf_s() {
    // KWS's sample is class 5 ("left" in the benchmark's labels) and the IC
    // sample is class 0 (airplane), as LiteRT's reference kernels find.
    for (stem, file, class) in [
        ("kws", "kws_ref_model.tflite", 5),
        ("ic", "pretrainedResnet_quant.tflite", 0),
    ] {
        let bytes = tinyml::bytes(file);
        let model = tflite::read(&bytes).unwrap();
        let fixture = tinyml::fixture(&format!("{stem}_int8"));
        let values = run(&model, fixture["sample_input"].row_i8(0), FullyConnectedMode::Double).unwrap();
        let out = values[model.subgraphs[0].outputs[0]].as_ref().unwrap();
        let best = (0..out.len()).max_by_key(|&i| (out[i], std::cmp::Reverse(i))).unwrap();
        assert_eq!(best, class, "{file}: {out:?}");
    }
}
