//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rand::{RngExt, SeedableRng, rngs::StdRng};
use typenet::{Batch, Row, Scalar};

/// Runs a generic test function once for `f32` and once for `f64`.
#[macro_export]
macro_rules! for_f32_and_f64 {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn f32() {
                    super::$name::<f32>()
                }
                #[test]
                fn f64() {
                    super::$name::<f64>()
                }
            }
        )+
    };
}

/// Asserts |a − b| ≤ tol for every pair, naming the first offender.
#[track_caller]
pub fn assert_close<T: Scalar>(actual: &[T], expected: &[T], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let d = (a.as_f64() - e.as_f64()).abs();
        assert!(d <= tol, "element {i}: {a} vs expected {e} (|diff| {d:e} > {tol:e})");
    }
}

/// A seeded generator, so every test sees the same numbers.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `rows` rows of uniform values in [lo, hi).
pub fn uniform_batch<X: Row<Scalar: Scalar>>(rows: usize, lo: f64, hi: f64, rng: &mut StdRng) -> Batch<X> {
    let mut b = Batch::<X>::zeros(rows);
    for v in b.as_mut_slice() {
        *v = X::Scalar::of(rng.random_range(lo..hi));
    }
    b
}

/// The crate's vendored MNIST folder.
pub fn mnist_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist")
}

/// A fresh empty folder under the system's temporary directory, unique to
/// this test process and `name`.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("typenet-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// The bytes of an IDX image file: `count` images of `rows × cols`.
pub fn idx_images(count: u32, rows: u32, cols: u32, pixel: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x803, count, rows, cols] {
        b.extend_from_slice(&u32::to_be_bytes(v));
    }
    b.extend((0..count as usize * rows as usize * cols as usize).map(pixel));
    b
}

/// The bytes of an IDX label file.
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x801, labels.len() as u32] {
        b.extend_from_slice(&u32::to_be_bytes(v));
    }
    b.extend_from_slice(labels);
    b
}

/// A safetensors file of F32 tensors `(layer, name, shape, values)`, with
/// no metadata, as a tool other than typenet would write it.
pub fn safetensors_bytes(tensors: &[(usize, &str, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let (mut header, mut data) = (Vec::new(), Vec::new());
    for (layer, name, shape, values) in tensors {
        let begin = data.len();
        for v in values {
            data.extend_from_slice(&v.to_le_bytes());
        }
        let shape: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        header.push(format!(
            "\"{layer}.{name}\":{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{begin},{}]}}",
            shape.join(","),
            data.len()
        ));
    }
    let header = format!("{{{}}}", header.join(","));
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    out
}
