//! Keeping a trained net: safetensors files that other tools read, weights
//! trained in PyTorch, Rust source that a program compiles in, and reading
//! TensorFlow Lite models ([`tflite`]).

mod error;
mod file;
mod json;
mod pytorch;
pub(crate) mod regular;
pub(crate) mod rust_source;
mod safetensors;
pub mod tflite;

pub use error::{ModelError, ModelErrorKind};
pub use pytorch::{from_pytorch_bytes, from_pytorch_bytes_ordered, load_pytorch, load_pytorch_ordered};
pub use rust_source::rust_source;
pub use safetensors::{check_save, from_bytes, load, save, tensor_name, to_bytes};
pub use tflite::{TfliteKernels, from_tflite_bytes, from_tflite_bytes_for, load_tflite, load_tflite_for};
