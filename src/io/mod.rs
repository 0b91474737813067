//! Keeping a trained net: safetensors files that other tools read.

mod error;
mod json;
mod safetensors;

pub use error::{ModelError, ModelErrorKind};
pub use safetensors::{from_bytes, load, save, tensor_name, to_bytes};
