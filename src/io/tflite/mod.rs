//! Reading TensorFlow Lite `.tflite` files: [`read`] turns the flatbuffer
//! into a [`Model`] of subgraphs, [`Tensor`]s (name, type, shape,
//! quantization, buffer) and [`Operator`]s (builtin code, tensors,
//! options), the constant tensors' data borrowed from the file's bytes.
//!
//! ```
//! use typenet::io::tflite::{self, BuiltinOperator, BuiltinOptions};
//!
//! let bytes = std::fs::read("tests/fixtures/tinyml/kws_ref_model.tflite")?;
//! let model = tflite::read(&bytes)?;
//! let graph = &model.subgraphs[0];
//! let first = &graph.operators[0];
//! assert_eq!(first.builtin, BuiltinOperator::CONV_2D);
//! if let BuiltinOptions::Conv2d(conv) = &first.options {
//!     let weights = &graph.tensors[first.inputs[1].unwrap()];
//!     assert_eq!(weights.shape, [64, 10, 4, 1]); // [out, kh, kw, in]
//!     assert_eq!((conv.stride_h, conv.stride_w), (2, 2));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why a reader of its own
//! The alternatives are generated code from TFLite's `schema.fbs` for the
//! `flatbuffers` or `planus` crates. The flatc output for the schema is
//! large (MicroFlow, a Rust TFLite engine, commits 862,686 characters of it,
//! about 25,000 lines, for a schema 50 operators older than today's),
//! must be regenerated with a matching code generator whenever the schema
//! grows, and adds a dependency to a crate whose core has four; and the
//! `flatbuffers` verifier's defaults let a small file point offsets at one
//! vector until 2 GiB of "apparent size" are reached, so what a decoder
//! then allocates is not bounded by the file. What a model needs here is about 40
//! fields of 9 tables. The wire-level reader (`flatbuffer.rs`) is 315
//! lines, the schema walk (`parse.rs`) 515 and the types 430:
//! every offset, vtable and vector length is checked against the file
//! before it is followed or anything is allocated for it, the schema's
//! fixed paths are the only ones followed (so nesting is bounded and
//! cycles cannot be walked), and the bytes read are charged to a budget of
//! a few times the file's size, so work and memory stay linear in it.
//! `tests/tflite_reader.rs` parses the MLPerf Tiny models and feeds it
//! every truncation of a model, random byte flips and crafted offsets.

mod error;
mod flatbuffer;
mod import;
mod load;
mod model;
mod names;
mod parse;

pub use error::TfliteError;
pub use import::{BakedSource, baked_rust_source, rust_source, rust_source_of};
pub use load::{TfliteKernels, from_tflite_bytes, from_tflite_bytes_for, load_tflite, load_tflite_for};
pub use model::{
    Activation, AddOptions, BuiltinOperator, BuiltinOptions, Conv2dOptions, DepthwiseConv2dOptions,
    FullyConnectedOptions, Model, Operator, OperatorCode, Pool2dOptions, Quantization, ReshapeOptions, SoftmaxOptions,
    Subgraph, Tensor, TensorType, WeightsFormat,
};
pub use parse::read;

impl<'a> Model<'a> {
    /// The data of a constant tensor of `subgraph` (empty for a computed one).
    pub fn data(&self, tensor: &Tensor<'_>) -> &'a [u8] {
        self.buffers[tensor.buffer]
    }

    /// A constant tensor's data as `T`s, checked against its type and shape.
    fn decode<T, const N: usize>(
        &self,
        tensor: &Tensor<'_>,
        tensor_type: TensorType,
        from: fn([u8; N]) -> T,
    ) -> Result<Vec<T>, TfliteError> {
        let location = || format!("tensor `{}`", tensor.name);
        if tensor.tensor_type != tensor_type {
            return Err(TfliteError::invalid(
                location(),
                format!("is {:?}, not {tensor_type:?}", tensor.tensor_type),
            ));
        }
        let data = self.data(tensor);
        if data.is_empty() {
            return Err(TfliteError::invalid(
                location(),
                "has no data (it is computed, not a constant)",
            ));
        }
        if data.len() != tensor.elements() * N {
            return Err(TfliteError::invalid(
                location(),
                format!("{} bytes for shape {:?}", data.len(), tensor.shape),
            ));
        }
        Ok(data
            .chunks_exact(N)
            .map(|c| from(c.try_into().expect("chunks of N")))
            .collect())
    }

    /// A constant int8 tensor's values.
    pub fn tensor_i8(&self, tensor: &Tensor<'_>) -> Result<Vec<i8>, TfliteError> {
        self.decode(tensor, TensorType::Int8, i8::from_le_bytes)
    }

    /// A constant int32 tensor's values (biases of int8 operators).
    pub fn tensor_i32(&self, tensor: &Tensor<'_>) -> Result<Vec<i32>, TfliteError> {
        self.decode(tensor, TensorType::Int32, i32::from_le_bytes)
    }

    /// A constant float32 tensor's values.
    pub fn tensor_f32(&self, tensor: &Tensor<'_>) -> Result<Vec<f32>, TfliteError> {
        self.decode(tensor, TensorType::Float32, f32::from_le_bytes)
    }
}
