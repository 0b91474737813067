//! What a `.tflite` file holds, as read: subgraphs of tensors and
//! operators, and the buffers the constant tensors' data is in.

use super::TfliteError;
use super::names::{BUILTIN_OPERATOR_NAMES, BUILTIN_OPTIONS_NAMES};
use crate::quant::{FusedActivation, Padding};

/// A TFLite model: its operator codes, subgraphs (the first is the one
/// run) and buffers, borrowing the file's bytes.
#[derive(Debug, Clone)]
pub struct Model<'a> {
    /// The schema version the file was written with (3 today).
    pub version: u32,
    /// The converter's description, if any.
    pub description: Option<&'a str>,
    /// The operator kinds the operators refer to by index.
    pub operator_codes: Vec<OperatorCode<'a>>,
    /// The graphs; `subgraphs[0]` is the model's main graph.
    pub subgraphs: Vec<Subgraph<'a>>,
    /// Tensor data, by buffer index; buffer 0 is TFLite's empty sentinel.
    pub buffers: Vec<&'a [u8]>,
}

/// One entry of the model's operator table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorCode<'a> {
    /// The operator, with TFLite's rule for the two code fields applied
    /// (the larger of `deprecated_builtin_code` and `builtin_code`).
    pub builtin: BuiltinOperator,
    /// The name of a custom operator.
    pub custom_code: Option<&'a str>,
    /// The operator's version.
    pub version: i32,
}

/// A graph: tensors, the operators between them in execution order, and
/// which tensors are its inputs and outputs.
#[derive(Debug, Clone)]
pub struct Subgraph<'a> {
    /// Its name, if any.
    pub name: Option<&'a str>,
    /// Every tensor, by index.
    pub tensors: Vec<Tensor<'a>>,
    /// The operators, in the order they run.
    pub operators: Vec<Operator>,
    /// Input tensor indices.
    pub inputs: Vec<usize>,
    /// Output tensor indices.
    pub outputs: Vec<usize>,
}

/// A tensor: shape, element type, quantization and (for constants) the
/// buffer holding its data.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor<'a> {
    /// Its name (empty if the file has none).
    pub name: &'a str,
    /// Its element type.
    pub tensor_type: TensorType,
    /// Its dimensions, outermost first (NHWC for images).
    pub shape: Vec<usize>,
    /// The index of its buffer in [`Model::buffers`]; an empty buffer means
    /// the tensor is computed.
    pub buffer: usize,
    /// Affine quantization, if the file gives scales.
    pub quantization: Option<Quantization>,
    /// A variable (state) tensor.
    pub is_variable: bool,
}

impl Tensor<'_> {
    /// The number of elements.
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A tensor's quantization: `real = (q − zero_point[c]) × scale[c]` where `c`
/// is the index along `quantized_dimension` (one scale: per tensor).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    /// One scale per tensor, or one per index of `quantized_dimension`.
    pub scale: Vec<f32>,
    /// As many zero points as scales (or none: zero).
    pub zero_point: Vec<i64>,
    /// The dimension per-channel scales run along.
    pub quantized_dimension: usize,
}

/// TFLite's tensor element types (schema.fbs `TensorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum TensorType {
    Float32,
    Float16,
    Int32,
    UInt8,
    Int64,
    String,
    Bool,
    Int16,
    Complex64,
    Int8,
    Float64,
    Complex128,
    UInt64,
    Resource,
    Variant,
    UInt32,
    UInt16,
    Int4,
    BFloat16,
    Int2,
    UInt4,
    Float8E4M3Fn,
    Float8E5M2,
}

impl TensorType {
    pub(super) fn from_code(code: i8) -> Option<Self> {
        use TensorType::*;
        const ALL: [TensorType; 23] = [
            Float32,
            Float16,
            Int32,
            UInt8,
            Int64,
            String,
            Bool,
            Int16,
            Complex64,
            Int8,
            Float64,
            Complex128,
            UInt64,
            Resource,
            Variant,
            UInt32,
            UInt16,
            Int4,
            BFloat16,
            Int2,
            UInt4,
            Float8E4M3Fn,
            Float8E5M2,
        ];
        usize::try_from(code).ok().and_then(|i| ALL.get(i).copied())
    }

    /// Bytes per element for the types stored one element per whole number
    /// of bytes (`None` for strings, packed 2- and 4-bit types, resources).
    pub fn size(self) -> Option<usize> {
        use TensorType::*;
        Some(match self {
            Bool | Int8 | UInt8 | Float8E4M3Fn | Float8E5M2 => 1,
            Int16 | UInt16 | Float16 | BFloat16 => 2,
            Float32 | Int32 | UInt32 => 4,
            Int64 | UInt64 | Float64 | Complex64 => 8,
            Complex128 => 16,
            String | Resource | Variant | Int4 | Int2 | UInt4 => return None,
        })
    }
}

/// A builtin operator code (schema.fbs `BuiltinOperator`), with constants
/// for the ones typenet reads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BuiltinOperator(pub i32);

#[allow(missing_docs)]
impl BuiltinOperator {
    pub const ADD: Self = Self(0);
    pub const AVERAGE_POOL_2D: Self = Self(1);
    pub const CONCATENATION: Self = Self(2);
    pub const CONV_2D: Self = Self(3);
    pub const DEPTHWISE_CONV_2D: Self = Self(4);
    pub const DEQUANTIZE: Self = Self(6);
    pub const FULLY_CONNECTED: Self = Self(9);
    pub const LOGISTIC: Self = Self(14);
    pub const MAX_POOL_2D: Self = Self(17);
    pub const MUL: Self = Self(18);
    pub const RELU: Self = Self(19);
    pub const RELU6: Self = Self(21);
    pub const RESHAPE: Self = Self(22);
    pub const SOFTMAX: Self = Self(25);
    pub const TANH: Self = Self(28);
    pub const CUSTOM: Self = Self(32);
    pub const PAD: Self = Self(34);
    pub const MEAN: Self = Self(40);
    pub const SQUEEZE: Self = Self(43);
    pub const QUANTIZE: Self = Self(114);

    /// TFLite's name for it (`"CONV_2D"`), or `None` for a code this schema
    /// does not know.
    pub fn name(self) -> Option<&'static str> {
        usize::try_from(self.0)
            .ok()
            .and_then(|i| BUILTIN_OPERATOR_NAMES.get(i))
            .copied()
            .filter(|n| !n.is_empty())
    }
}

impl core::fmt::Debug for BuiltinOperator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

impl core::fmt::Display for BuiltinOperator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "builtin operator {}", self.0),
        }
    }
}

/// One operator: what it is, its tensors, and its options.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// Its entry in [`Model::operator_codes`].
    pub opcode_index: usize,
    /// The operator (from that entry).
    pub builtin: BuiltinOperator,
    /// Input tensor indices; `None` for an omitted optional input (TFLite's −1).
    pub inputs: Vec<Option<usize>>,
    /// Output tensor indices.
    pub outputs: Vec<usize>,
    /// Its builtin options.
    pub options: BuiltinOptions,
}

/// An operator's options, for the operators typenet reads; the others are
/// kept by their union type code.
#[derive(Debug, Clone, PartialEq)]
pub enum BuiltinOptions {
    /// No options table.
    None,
    /// CONV_2D.
    Conv2d(Conv2dOptions),
    /// DEPTHWISE_CONV_2D.
    DepthwiseConv2d(DepthwiseConv2dOptions),
    /// FULLY_CONNECTED.
    FullyConnected(FullyConnectedOptions),
    /// AVERAGE_POOL_2D, MAX_POOL_2D, L2_POOL_2D.
    Pool2d(Pool2dOptions),
    /// ADD.
    Add(AddOptions),
    /// RESHAPE.
    Reshape(ReshapeOptions),
    /// SOFTMAX.
    Softmax(SoftmaxOptions),
    /// QUANTIZE (no fields).
    Quantize,
    /// DEQUANTIZE (no fields).
    Dequantize,
    /// Another option table, by its `BuiltinOptions` type code.
    Other(u8),
}

impl BuiltinOptions {
    /// The schema's name of the table (`"Conv2DOptions"`).
    pub fn table_name(&self) -> &'static str {
        let code = match self {
            Self::None => 0,
            Self::Conv2d(_) => 1,
            Self::DepthwiseConv2d(_) => 2,
            Self::Pool2d(_) => 5,
            Self::FullyConnected(_) => 8,
            Self::Softmax(_) => 9,
            Self::Add(_) => 11,
            Self::Reshape(_) => 17,
            Self::Dequantize => 38,
            Self::Quantize => 89,
            Self::Other(code) => usize::from(*code),
        };
        BUILTIN_OPTIONS_NAMES
            .get(code)
            .copied()
            .unwrap_or("an unknown options table")
    }
}

/// An activation TFLite fuses into an operator (schema.fbs
/// `ActivationFunctionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// None.
    None,
    /// ReLU.
    Relu,
    /// Clamp to [−1, 1].
    ReluN1To1,
    /// Clamp to [0, 6].
    Relu6,
    /// tanh.
    Tanh,
    /// The sign bit.
    SignBit,
}

impl Activation {
    pub(super) fn from_code(code: i8) -> Option<Self> {
        Some(match code {
            0 => Self::None,
            1 => Self::Relu,
            2 => Self::ReluN1To1,
            3 => Self::Relu6,
            4 => Self::Tanh,
            5 => Self::SignBit,
            _ => return None,
        })
    }

    /// As the clamp of a quantized output; tanh and the sign bit are not
    /// clamps and give an error naming them.
    pub fn fused(self) -> Result<FusedActivation, TfliteError> {
        match self {
            Self::None => Ok(FusedActivation::None),
            Self::Relu => Ok(FusedActivation::Relu),
            Self::ReluN1To1 => Ok(FusedActivation::ReluN1To1),
            Self::Relu6 => Ok(FusedActivation::Relu6),
            Self::Tanh | Self::SignBit => Err(TfliteError::invalid(
                "fused_activation_function",
                format!("{self:?} is not a clamp"),
            )),
        }
    }
}

/// CONV_2D's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// SAME or VALID.
    pub padding: Padding,
    /// Columns between output columns.
    pub stride_w: i32,
    /// Rows between output rows.
    pub stride_h: i32,
    /// The fused activation.
    pub activation: Activation,
    /// Column dilation (1 by default).
    pub dilation_w: i32,
    /// Row dilation (1 by default).
    pub dilation_h: i32,
}

/// DEPTHWISE_CONV_2D's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthwiseConv2dOptions {
    /// SAME or VALID.
    pub padding: Padding,
    /// Columns between output columns.
    pub stride_w: i32,
    /// Rows between output rows.
    pub stride_h: i32,
    /// Output channels per input channel.
    pub depth_multiplier: i32,
    /// The fused activation.
    pub activation: Activation,
    /// Column dilation (1 by default).
    pub dilation_w: i32,
    /// Row dilation (1 by default).
    pub dilation_h: i32,
}

/// FULLY_CONNECTED's weight layouts (schema.fbs
/// `FullyConnectedOptionsWeightsFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFormat {
    /// `[units][inputs]`.
    Default,
    /// A shuffled layout for one optimized kernel.
    Shuffled4x16Int8,
}

/// FULLY_CONNECTED's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullyConnectedOptions {
    /// The fused activation.
    pub activation: Activation,
    /// The weights' layout.
    pub weights_format: WeightsFormat,
    /// Keep the input's leading dimensions in the output.
    pub keep_num_dims: bool,
    /// Quantize float inputs asymmetrically (hybrid models).
    pub asymmetric_quantize_inputs: bool,
}

/// The pooling operators' options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// SAME or VALID.
    pub padding: Padding,
    /// Columns between output columns.
    pub stride_w: i32,
    /// Rows between output rows.
    pub stride_h: i32,
    /// Window columns.
    pub filter_width: i32,
    /// Window rows.
    pub filter_height: i32,
    /// The fused activation.
    pub activation: Activation,
}

/// ADD's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddOptions {
    /// The fused activation.
    pub activation: Activation,
    /// int16 only: power-of-two scales (true by default).
    pub pot_scale_int16: bool,
}

/// RESHAPE's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReshapeOptions {
    /// The shape (TFLite also takes it from a second input; −1 is inferred).
    pub new_shape: Vec<i32>,
}

/// SOFTMAX's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftmaxOptions {
    /// The inverse temperature β.
    pub beta: f32,
}
