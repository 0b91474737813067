//! Keeping a trained net: safetensors files that other tools read, and Rust
//! source that a program compiles in.

mod error;
mod file;
mod json;
mod rust_source;
mod safetensors;

pub use error::{ModelError, ModelErrorKind};
pub use rust_source::rust_source;
pub use safetensors::{from_bytes, load, save, tensor_name, to_bytes};
