//! A `.tflite` model as Rust source: the typenet type of its graph and
//! typed entry points, see [`rust_source`].

mod bake;
mod graph;
mod layers;
mod operators;
mod source;
mod statics;

use crate::io::error::{ModelError, ModelErrorKind};

/// Rust source declaring the typenet net of a TensorFlow Lite model, from
/// the `.tflite` file's bytes: `pub type Net` (a
/// [`Net!`](crate::Net!) from the input image, or a [`Chain!`](crate::Chain!)
/// for flat rows), so the compiler checks the imported graph as it checks
/// a hand-written one; `Input` and `Output`, the rows it reads and
/// writes, and `INPUT`/`OUTPUT`, their sizes; `load(bytes)`, the net
/// filled by [`from_tflite_bytes`](super::from_tflite_bytes); `row(nhwc)`,
/// an input from TFLite's `H × W × C` order to typenet's `C × H × W`;
/// `scores`, `classify` and, for a net ending in a softmax,
/// `probabilities`, for one input.
///
/// **The graph.** The main graph is walked from its input along tensors:
/// each operator reads the tensor the one before wrote, RESHAPE and
/// SQUEEZE are read past (typenet rows are flat; their element counts are
/// checked), and a tensor two operators read is a fork whose branches meet
/// again at an ADD: an [`int8::Residual`](crate::int8::Residual) when one
/// branch is the identity, else an [`int8::Sum`](crate::int8::Sum) whose
/// first branch is the one the file runs first. Operators: CONV_2D,
/// DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D (a window over the
/// whole map is a [`GlobalAvgPool`](crate::int8::GlobalAvgPool)),
/// MAX_POOL_2D, SOFTMAX, QUANTIZE, DEQUANTIZE and ADD, int8; of float
/// models those of fully connected layers with fused ReLUs
/// ([`Affine`](crate::Affine) and [`Relu`](crate::Relu)).
///
/// ```
/// let bytes = std::fs::read("tests/fixtures/tinyml/kws_ref_model.tflite")?;
/// let source = typenet::io::tflite::rust_source(&bytes)?;
/// assert!(source.contains("pub type Net = typenet::Net![\n    Image<i8, 1, 49, 10> =>\n"));
/// assert!(source.contains("    int8::Conv2d<1, 64, 10, 4, 2, 2, Same>, // operator 0: 64 × 25 × 5\n"));
/// assert!(source.contains("pub fn probabilities(net: &Net, x: &Input) -> [f32; OUTPUT]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// A malformed file is [`ModelErrorKind::Tflite`]. An operator typenet
/// has no layer for, or an option its layer does not have, is
/// [`ModelErrorKind::Operator`] naming the operator's index and type and
/// what is not supported ("operator 7 (CONV_2D): dilation 2 is not
/// supported"); so is a graph that is not a chain of blocks (a branch that
/// never rejoins, a cycle, an operator off the path from input to
/// output). Nothing is allocated for a size the file states before it is
/// checked.
pub fn rust_source(bytes: &[u8]) -> Result<String, ModelError> {
    let model = super::read(bytes).map_err(|e| ModelError::new(ModelErrorKind::Tflite(e)))?;
    rust_source_of(&model)
}

/// [`rust_source`] of a model already read (or built: its tensor indices
/// need not be checked, a wrong one is an error).
///
/// ```
/// use typenet::io::tflite::{self, BuiltinOperator};
///
/// let bytes = std::fs::read("tests/fixtures/tinyml/kws_ref_model.tflite")?;
/// let mut model = tflite::read(&bytes)?;
/// model.subgraphs[0].operators[1].builtin = BuiltinOperator::TANH;
/// let error = tflite::rust_source_of(&model).unwrap_err().to_string();
/// assert!(error.starts_with("operator 1 (TANH): TANH is not supported"), "{error}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rust_source_of(model: &super::Model<'_>) -> Result<String, ModelError> {
    let graph = graph::walk(model)?;
    let operators = model.subgraphs[0].operators.len();
    Ok(source::write(
        &graph,
        &format!("of {operators} operators"),
        source::Weights::Loaded,
    ))
}

/// A net with its weights: what [`baked_rust_source`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BakedSource {
    /// The Rust source.
    pub source: String,
    /// The weights file it includes, to be written next to it.
    pub weights: Vec<u8>,
}

/// The net of a TensorFlow Lite model with its weights and quantization
/// as a `static`, for a program that must carry its model (a firmware:
/// no file, no heap, no `std`). Like [`rust_source`] it declares `Net`,
/// `Input`, `Output`, `INPUT`, `OUTPUT` and `row`; then `pub type
/// NetFrozen` (the same layers, weights in [`Frozen`](crate::Frozen)
/// storage), `pub static NET: NetFrozen` built from the layers' `const fn
/// frozen` constructors, and `scores(x)`, `classify(x)` and (after a
/// softmax) `probabilities(x)` of `NET` for one input, its rows on the
/// stack. The weights, per-channel multipliers and biases are in
/// `weights` (little-endian), which the source includes as
/// `include_bytes!(weights_file)` (a path relative to the source file);
/// each layer's few scales, zero points and clamps are literals.
///
/// The tensors are the ones [`from_tflite_bytes`](super::from_tflite_bytes)
/// stores: the loader itself reads the file into stand-ins of the layers,
/// which prepare what it gives them with the functions the int8 layers'
/// `set` uses, so the baked net and a loaded one are equal bit for bit.
///
/// ```
/// let bytes = std::fs::read("tests/fixtures/tinyml/kws_ref_model.tflite")?;
/// let baked = typenet::io::tflite::baked_rust_source(&bytes, "kws.bin")?;
/// assert!(baked.source.contains("pub static NET: NetFrozen = typenet::chain![\n"));
/// assert!(baked.source.contains("pub fn probabilities(x: &Input) -> [f32; OUTPUT]"));
/// assert!(!baked.source.contains("pub fn load")); // nothing needs std
/// assert!(baked.source.contains("*include_bytes!(\"kws.bin\")"));
/// assert!(baked.weights.len() > 22_000); // 22,848 weights and their channels' values
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Those of [`rust_source`], and those [`from_tflite_bytes`](super::from_tflite_bytes)
/// would give the written `load`.
pub fn baked_rust_source(bytes: &[u8], weights_file: &str) -> Result<BakedSource, ModelError> {
    let model = super::read(bytes).map_err(|e| ModelError::new(ModelErrorKind::Tflite(e)))?;
    let graph = graph::walk(&model)?;
    let filled = bake::fill(&graph.items, bytes)?;
    let operators = model.subgraphs[0].operators.len();
    let mut source = source::write(&graph, &format!("of {operators} operators"), source::Weights::Baked);
    let (statics, weights) = statics::write(&graph, &filled, weights_file);
    source.push_str(&statics);
    Ok(BakedSource { source, weights })
}
