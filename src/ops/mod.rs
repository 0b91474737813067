//! A net's layers seen as TensorFlow Lite operators: what each computes
//! (an [`Op`]: kind, element type, window), and how to set its weights and
//! quantization from outside ([`Setting`]). This is what
//! [`load_tflite`](crate::io::load_tflite) matches a `.tflite` file's
//! operators against and fills an int8 net through.
//!
//! [`Operators::operators`] walks a net in order: a [`Visit::Layer`] for
//! each layer, and for a block with two branches ([`int8::Residual`],
//! [`int8::Sum`]) a [`Visit::Fork`], the first branch's layers, a
//! [`Visit::Switch`] (for a `Sum`), the second's, and a [`Visit::Merge`]
//! for the addition that ends it, so a loader can follow the data flow.
//!
//! Every int8 layer is an operator, and so are the float layers a float
//! `.tflite` model is made of ([`Affine`](crate::Affine),
//! [`Conv2d`](crate::Conv2d), [`MaxPool2d`](crate::MaxPool2d),
//! [`Relu`](crate::Relu), [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)). A
//! new layer becomes loadable from `.tflite` files by implementing
//! [`Operator`]: its kind and window, and what it does with a setting.
//!
//! [`int8::Residual`]: crate::int8::Residual
//! [`int8::Sum`]: crate::int8::Sum

mod float;

use crate::int8::WindowInfo;
use crate::model::sequence_start;
use crate::quant::{FusedActivation, QuantError, QuantParams};
use crate::{Chain, Dtype, Input, Layer, Path, Row, Tensors};

/// What an operator computes, as a `.tflite` file names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpKind {
    /// FULLY_CONNECTED (typenet's `Affine`).
    FullyConnected,
    /// CONV_2D.
    Conv2d,
    /// DEPTHWISE_CONV_2D with this many outputs per input channel.
    DepthwiseConv2d {
        /// The depth multiplier.
        multiplier: usize,
    },
    /// MAX_POOL_2D.
    MaxPool2d,
    /// AVERAGE_POOL_2D.
    AveragePool2d,
    /// AVERAGE_POOL_2D over the whole map (or MEAN over height and width).
    GlobalAveragePool,
    /// ADD of two tensors of one shape.
    Add,
    /// SOFTMAX.
    Softmax,
    /// QUANTIZE from float.
    Quantize,
    /// DEQUANTIZE to float.
    Dequantize,
    /// A float ReLU layer (TFLite fuses it into the operator before).
    Relu,
}

impl OpKind {
    /// TFLite's name of the operator.
    pub fn tflite_name(self) -> &'static str {
        match self {
            OpKind::FullyConnected => "FULLY_CONNECTED",
            OpKind::Conv2d => "CONV_2D",
            OpKind::DepthwiseConv2d { .. } => "DEPTHWISE_CONV_2D",
            OpKind::MaxPool2d => "MAX_POOL_2D",
            OpKind::AveragePool2d | OpKind::GlobalAveragePool => "AVERAGE_POOL_2D",
            OpKind::Add => "ADD",
            OpKind::Softmax => "SOFTMAX",
            OpKind::Quantize => "QUANTIZE",
            OpKind::Dequantize => "DEQUANTIZE",
            OpKind::Relu => "RELU",
        }
    }
}

/// An operator's kind, element type and window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// What it computes.
    pub kind: OpKind,
    /// The type of its input values (`I8` for an int8 operator, `F32` for
    /// QUANTIZE and float layers).
    pub element: Dtype,
    /// Its window, for convolutions and pooling.
    pub window: Option<WindowInfo>,
}

/// The quantization and weights of one int8 operator with weights (fully
/// connected, convolution, depthwise convolution), weights in the layer's
/// own layout.
#[derive(Clone, Copy, Debug)]
pub struct Weighted<'a> {
    /// The input's scale and zero point.
    pub input: QuantParams,
    /// The output's.
    pub output: QuantParams,
    /// The weights, in the layer's layout (see each layer).
    pub weights: &'a [i8],
    /// One scale for all weights, or one per output channel.
    pub weight_scales: &'a [f32],
    /// The weights' zero point (TFLite's are symmetric, 0; a fully
    /// connected layer's per-tensor weights may have another).
    pub weight_zero_point: i32,
    /// One int32 bias per output channel at scale `s_in · s_w`, or none.
    pub bias: &'a [i32],
    /// The fused activation, applied as the clamp of the output.
    pub activation: FusedActivation,
    /// Requantize a fully connected layer as LiteRT's reference kernel does
    /// (a double product), rather than by the integer multiplier of TFLite
    /// Micro and LiteRT's optimized kernels. Convolutions ignore it.
    pub double_requantize: bool,
}

/// What an operator is set to.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Setting<'a> {
    /// An int8 operator with weights.
    Weighted(Weighted<'a>),
    /// An int8 pooling operator: input and output share `output`'s
    /// quantization, as TFLite requires; the activation is the clamp.
    Pool {
        /// The output's (and input's) quantization.
        output: QuantParams,
        /// The fused activation.
        activation: FusedActivation,
    },
    /// An int8 addition.
    Add {
        /// The first branch's quantization.
        first: QuantParams,
        /// The second branch's.
        second: QuantParams,
        /// The output's.
        output: QuantParams,
        /// The fused activation.
        activation: FusedActivation,
    },
    /// An int8 softmax.
    Softmax {
        /// The inverse temperature.
        beta: f32,
        /// The input's quantization.
        input: QuantParams,
        /// The output's (scale 1/256, zero point −128 for int8).
        output: QuantParams,
    },
    /// Quantizing floats to this.
    Quantize(QuantParams),
    /// Dequantizing from this.
    Dequantize(QuantParams),
    /// A float layer's weights and biases, in the layer's own layout.
    Float {
        /// The weights.
        weights: &'a [f32],
        /// The biases.
        bias: &'a [f32],
    },
    /// Nothing to set (a float ReLU).
    Nothing,
}

impl Setting<'_> {
    /// The setting's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Setting::Weighted(_) => "int8 weights",
            Setting::Pool { .. } => "int8 pooling",
            Setting::Add { .. } => "int8 addition",
            Setting::Softmax { .. } => "int8 softmax",
            Setting::Quantize(_) => "quantization",
            Setting::Dequantize(_) => "dequantization",
            Setting::Float { .. } => "float weights",
            Setting::Nothing => "nothing",
        }
    }

    /// The error for a setting an operator does not take.
    pub(crate) fn refused(&self, operator: &'static str) -> QuantError {
        QuantError::Setting {
            operator,
            setting: self.name(),
        }
    }
}

/// A layer as an operator: what it computes and how it is set.
pub trait Operator {
    /// Its kind, element type and window.
    fn op(&self) -> Op;

    /// Sets its weights and quantization; an error (and the layer left as
    /// it was) if the setting is not for this operator, a length is wrong or
    /// a scale cannot be requantized to.
    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError>;
}

/// One layer of a walk, with its place and shapes.
pub struct Node<'a> {
    /// Its position in the net.
    pub at: Path,
    /// The layer's type, without its module (`"Conv2d"`).
    pub name: &'static str,
    /// The dimensions of its input rows (typenet's: `[C, H, W]` for images).
    pub input: &'a [usize],
    /// The dimensions of its output rows.
    pub output: &'a [usize],
    /// The operator.
    pub op: &'a mut dyn Operator,
}

/// A step of [`Operators::operators`].
pub enum Visit<'a> {
    /// A layer, in order.
    Layer(Node<'a>),
    /// A block of two branches begins; both read the block's input. For a
    /// residual block the second branch is the input itself, and no
    /// [`Switch`](Visit::Switch) follows.
    Fork,
    /// The first branch ended; the second begins.
    Switch,
    /// The addition that ends the block, of the two branches' outputs.
    Merge(Node<'a>),
}

/// A net (or layer) whose operators can be walked in order, mutably.
pub trait Operators<In: Row>: Tensors {
    /// Calls `f` with each operator under `at`, in the order they run.
    fn operators(&mut self, at: Path, f: &mut dyn FnMut(Visit<'_>));

    /// Every operator of the net, numbered from its first layer (0).
    fn each_operator(&mut self, f: &mut dyn FnMut(Visit<'_>)) {
        self.operators(sequence_start::<Self>(Path::ROOT), f)
    }
}

impl<In: Row, L: Layer<In> + Operator> Operators<In> for L {
    fn operators(&mut self, at: Path, f: &mut dyn FnMut(Visit<'_>)) {
        f(Visit::Layer(Node {
            at,
            name: crate::model::short_type_name::<L>(),
            input: In::DIMS,
            output: <L::Out as Row>::DIMS,
            op: self,
        }))
    }
}

impl<In: Row, A: Layer<In> + Operators<In>, B: Operators<A::Out>, const N: usize> Operators<In> for Chain<A, B, N> {
    fn operators(&mut self, at: Path, f: &mut dyn FnMut(Visit<'_>)) {
        self.first_mut().operators(sequence_start::<A>(at), f);
        self.second_mut().operators(at.child(N), f);
    }
}

impl<X: Row, L: Layer<X> + Operators<X>> Operators<X> for Input<X, L> {
    fn operators(&mut self, at: Path, f: &mut dyn FnMut(Visit<'_>)) {
        self.layer_mut().operators(at, f)
    }
}
