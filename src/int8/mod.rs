//! int8 nets the TensorFlow Lite way, as typenet nets.
//!
//! The layers here compute what TFLite's int8 reference kernels compute,
//! bit for bit ([`quant`](crate::quant) has the arithmetic): a real value
//! is `(q − zero_point) × scale`; weights are int8 symmetric, per output
//! channel for convolutions, per tensor or per channel for [`Affine`];
//! activations int8 per tensor; biases int32 at scale `s_in · s_w`; sums
//! in int32, requantized by an integer multiplier and shift; a fused ReLU
//! or ReLU6 is the clamp of the output. Between a net's [`Quantize`] and
//! [`Dequantize`] nothing is computed in floating point.
//!
//! They are ordinary typenet layers on rows of `i8` (`[i8; N]`,
//! [`Image<i8, C, H, W>`](crate::Image)), with the sizes in their types: a
//! mis-wired int8 net fails to compile as a float one does, its
//! `summary()` lists its layers, it saves and loads ([`io`](crate::io)),
//! bakes into Rust source for a `static` net, and runs without `std` or a
//! heap on batches of `Const` rows. Every tensor is a
//! [`Buffer`](crate::ParamKind::Buffer): int8 layers only infer.
//!
//! | layer | TFLite | rows |
//! | --- | --- | --- |
//! | [`Affine<X, OUT>`] | FULLY_CONNECTED | `X` (any `i8` rows) → `[i8; OUT]` |
//! | [`Softmax<N>`] | SOFTMAX | `[i8; N]` → `[i8; N]` |
//! | [`Quantize`] / [`Dequantize`] | QUANTIZE / DEQUANTIZE | `f32` rows ↔ the same `i8` rows |
//!
//! # Layout: images stay channel-major
//! typenet's images are `C × H × W` (channels outermost, as the book and
//! PyTorch store them); TFLite's are `H × W × C`. The int8 layers keep
//! typenet's rows: an int8 net is typed like the float net it was
//! quantized from (`Image<f32, 1, 28, 28>` becomes `Image<i8, 1, 28, 28>`,
//! layer for layer), its convolutions' weights are stored as the float
//! layers store them (`[COUT, CIN, KH, KW]`), and no row type exists
//! twice. The conversion happens once, when a `.tflite` file is loaded:
//! weights are transposed from TFLite's layouts, and a fully connected
//! layer reading a whole map gets its inputs permuted from TFLite's
//! `h, w, c` order to `c, h, w`. A TFLite user's input image is transposed
//! once, at the boundary. Bit-exactness does not depend on the layout:
//! every sum is exact int32 arithmetic, whose result does not depend on
//! the order of its terms, and pooling, addition and requantization act
//! on each value alone.
#![doc = ""]

mod add;
pub(crate) mod affine;
mod boundary;
mod conv;
mod kernels;
pub(crate) mod params;
mod pool;
mod softmax;
mod window;

/// Rows of int8 codes that a layer can keep one of per output (an
/// [`Affine`]'s weights are `OUT` rows shaped like its input): `[i8; N]`
/// and `Image<i8, C, H, W>`.
pub trait Codes: crate::Row<Scalar = i8> + crate::Flat<Elem = i8> {}

impl<X: crate::Row<Scalar = i8> + crate::Flat<Elem = i8>> Codes for X {}

pub use add::{AddQuantized, BlockScratch, Residual, Sum};
pub use affine::{Affine, Requantize};
pub use boundary::{Dequantize, Quantize, Retype};
pub use conv::{Conv2d, DepthwiseConv2d};
pub use pool::{AvgPool2d, GlobalAvgPool, MaxPool2d};
pub use softmax::{SOFTMAX_OUTPUT, Softmax};
pub use window::{OutSide, Pad, Padding, PaddingKind, Same, Valid, WindowInfo};
