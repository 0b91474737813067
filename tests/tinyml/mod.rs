//! The MLPerf Tiny models and fixtures of `tests/fixtures/tinyml/` for the
//! tests: their paths, and a reader of the `.fixture` format its README
//! describes.
#![allow(dead_code)]

pub mod fixture;
pub mod interpreter;
pub mod nets;

use std::path::PathBuf;

pub use fixture::{Fixture, parse};

/// The fixtures' folder.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tinyml")
}

/// The bytes of a file in it.
pub fn bytes(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The four int8 reference models with their fixture stems.
pub const INT8_MODELS: [(&str, &str); 4] = [
    ("kws", "kws_ref_model.tflite"),
    ("vww", "vww_96_int8.tflite"),
    ("ic", "pretrainedResnet_quant.tflite"),
    ("ad", "ad01_int8.tflite"),
];

/// The four float reference models with their fixture stems.
pub const FLOAT_MODELS: [(&str, &str); 4] = [
    ("kws", "kws_ref_model_float32.tflite"),
    ("vww", "vww_96_float.tflite"),
    ("ic", "pretrainedResnet.tflite"),
    ("ad", "ad01_fp32.tflite"),
];

/// Reads `<stem>.fixture`; a malformed file is an error.
pub fn fixture(name: &str) -> Fixture {
    parse(&bytes(&format!("{name}.fixture"))).unwrap_or_else(|e| panic!("{name}.fixture: {e}"))
}

/// The 196 windows of 5 frames of the anomaly detector's sample
/// spectrogram (200 frames × 128 mels), each 640 values.
pub fn ad_windows() -> Vec<Vec<f32>> {
    let raw = bytes("samples/normal_id_01_00000000_hist_librosa.bin");
    let values: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(values.len(), 200 * 128);
    (0..196).map(|i| values[i * 128..(i + 5) * 128].to_vec()).collect()
}
