//! int8 arithmetic exactly as TensorFlow Lite's reference kernels do it.
//!
//! TFLite's quantization scheme: a real value is `(q − zero_point) × scale`;
//! weights are int8 symmetric (per output channel for convolutions),
//! activations int8 asymmetric per tensor, biases int32 at scale
//! `s_in · s_w`. An operator accumulates in int32 and *requantizes* the sum
//! to the output's scale with an integer multiplier and shift
//! ([`QuantizedMultiplier`], found once from the real multiplier by
//! [`quantize_multiplier`]) applied by [`multiply_by_quantized_multiplier`].
//!
//! Each operator comes as a small parameter struct, prepared once from the
//! tensors' scales and zero points as TFLite's `Prepare` computes them
//! ([`per_channel_multipliers`], [`activation_range`], [`AddQuant::new`],
//! [`SoftmaxQuant::new`], …; these read floats), and an integer body over
//! slices ([`conv2d_int8`], [`depthwise_conv2d_int8`],
//! [`fully_connected_int8`], [`average_pool_int8`], [`max_pool_int8`],
//! [`add_int8`], [`softmax_int8`]) that uses no floating point. Feature maps
//! are one image in TFLite's NHWC layout (height, width, channels), weights
//! in TFLite's layouts. Everything here works without `std` or `alloc`.
//!
//! # Which TFLite
//! The bodies match LiteRT's reference kernels (`BUILTIN_REF`), which
//! TensorFlow Lite for Microcontrollers shares, built as both are by default:
//! *double rounding* (a rounding doubling high multiply, then a rounding
//! right shift). The single-rounding build (`TFLITE_SINGLE_ROUNDING`) is
//! [`multiply_by_quantized_multiplier_single_rounding`]. One difference
//! between the two runtimes: LiteRT's reference FULLY_CONNECTED requantizes
//! by a `double` product rounded half away from zero where TFLite Micro uses
//! the integer multiplier; [`DoubleMultiplier`] reproduces the former with
//! integer arithmetic, bit for bit ([`FullyConnectedRequantize`] chooses).
//!
//! ```
//! use typenet::quant::{multiply_by_quantized_multiplier, quantize_multiplier};
//!
//! // 1000 × 0.3, requantized the TFLite way.
//! let m = quantize_multiplier(0.3)?;
//! assert_eq!(multiply_by_quantized_multiplier(1000, m), 300);
//! # Ok::<(), typenet::quant::QuantError>(())
//! ```

mod activation;
mod add;
mod affine;
mod conv;
mod depthwise;
mod double_multiplier;
mod error;
mod exp;
mod fixed_point;
mod fully_connected;
mod geometry;
mod multiplier;
mod pooling;
mod softmax;

pub use activation::{FusedActivation, activation_range};
pub use add::{ADD_LEFT_SHIFT, AddQuant, add_int8};
pub use affine::{QuantParams, dequantize, quantize};
pub use conv::{ConvQuant, conv2d_int8, per_channel_multipliers};
pub use depthwise::depthwise_conv2d_int8;
pub use double_multiplier::DoubleMultiplier;
pub use error::QuantError;
pub(crate) use error::check_len;
pub use exp::{exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1, reciprocal};
pub use fixed_point::{
    multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_single_rounding, rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul, saturating_rounding_multiply_by_pot,
};
pub use fully_connected::{FullyConnectedQuant, FullyConnectedRequantize, fully_connected_int8};
pub use geometry::{FeatureMap, Padding, Window2d};
pub use multiplier::{QuantizedMultiplier, quantize_multiplier};
pub use pooling::{average_pool_int8, max_pool_int8};
pub use softmax::{SoftmaxQuant, softmax_int8};
