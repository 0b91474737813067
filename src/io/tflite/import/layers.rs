//! The typenet layers an imported graph is made of: their rows, kinds and
//! Rust types, and what each reports to the loader.

use crate::Dtype;
use crate::int8::{PaddingKind, WindowInfo};
use crate::ops::{Op, OpKind};
use crate::quant::Padding;

/// The element type of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// int8 codes.
    I8,
    /// float32.
    F32,
}

impl Scalar {
    pub(crate) fn rust(self) -> &'static str {
        match self {
            Scalar::I8 => "i8",
            Scalar::F32 => "f32",
        }
    }
}

/// typenet rows: a channel-major image or a flat row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dims {
    /// `Image<_, C, H, W>`.
    Image { c: usize, h: usize, w: usize },
    /// `[_; N]`.
    Flat(usize),
}

impl Dims {
    pub(crate) fn values(self) -> usize {
        match self {
            Dims::Image { c, h, w } => c * h * w,
            Dims::Flat(n) => n,
        }
    }

    /// The Rust type of these rows of `scalar`.
    pub(crate) fn row_type(self, scalar: Scalar) -> String {
        match self {
            Dims::Image { c, h, w } => format!("Image<{}, {c}, {h}, {w}>", scalar.rust()),
            Dims::Flat(n) => format!("[{}; {n}]", scalar.rust()),
        }
    }

    /// As errors name them: `int8 64 × 25 × 5`.
    pub(crate) fn describe(self, scalar: Scalar) -> String {
        let s = match scalar {
            Scalar::I8 => "int8",
            Scalar::F32 => "float",
        };
        match self {
            Dims::Image { c, h, w } => format!("{s} {c} × {h} × {w}"),
            Dims::Flat(n) => format!("{s} {n}"),
        }
    }

    /// TFLite's shape of one row: `[1, H, W, C]`, `[1, N]`.
    pub(crate) fn nhwc(self) -> Vec<usize> {
        match self {
            Dims::Image { c, h, w } => vec![1, h, w, c],
            Dims::Flat(n) => vec![1, n],
        }
    }
}

/// What a layer is, with the sizes its type does not take from its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `int8::Conv2d`, or `int8::DepthwiseConv2d` with a depth multiplier.
    Conv {
        cin: usize,
        cout: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: Padding,
        multiplier: Option<usize>,
    },
    /// `int8::MaxPool2d` or `int8::AvgPool2d`.
    Pool {
        max: bool,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: Padding,
    },
    /// `int8::GlobalAvgPool`.
    GlobalAvgPool,
    /// `int8::Affine` (or the float `Affine`) of `OUT` outputs.
    Affine(usize),
    /// A float operator's fused ReLU.
    Relu,
    /// `int8::Softmax<N>`.
    Softmax(usize),
    /// `int8::Quantize`.
    Quantize,
    /// `int8::Dequantize`.
    Dequantize,
}

/// One typenet layer and the operator it computes.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    /// The operator's index in the main graph.
    pub op: usize,
    /// What it is.
    pub kind: Kind,
    /// The rows it reads.
    pub input: Dims,
    /// Their element type.
    pub input_scalar: Scalar,
    /// The rows it writes.
    pub out: Dims,
    /// Their element type.
    pub scalar: Scalar,
}

impl Layer {
    /// The layer's Rust type; with `frozen`, the type of its baked form
    /// (weights in `Frozen` storage).
    pub(crate) fn ty(&self, frozen: bool) -> String {
        match self.kind {
            Kind::Conv {
                cin,
                cout,
                kernel: (kh, kw),
                stride: (sh, sw),
                padding,
                multiplier,
            } => {
                let name = if multiplier.is_some() {
                    "DepthwiseConv2d"
                } else {
                    "Conv2d"
                };
                let tail = if frozen {
                    let padding = match effective(padding, (kh, kw), (sh, sw)) {
                        Padding::Same => "Same",
                        Padding::Valid => "int8::Valid",
                    };
                    format!(", {sh}, {sw}, {padding}, typenet::Frozen")
                } else {
                    window_tail(padding, (kh, kw), (sh, sw), (1, 1))
                };
                format!("int8::{name}<{cin}, {cout}, {kh}, {kw}{tail}>")
            }
            Kind::Pool {
                max,
                kernel: (kh, kw),
                stride,
                padding,
            } => {
                let name = if max { "MaxPool2d" } else { "AvgPool2d" };
                format!(
                    "int8::{name}<{kh}, {kw}{}>",
                    window_tail(padding, (kh, kw), stride, (kh, kw))
                )
            }
            Kind::GlobalAvgPool => "int8::GlobalAvgPool".into(),
            Kind::Affine(units) => {
                let module = if self.scalar == Scalar::I8 { "int8" } else { "typenet" };
                let storage = if frozen { ", typenet::Frozen" } else { "" };
                format!(
                    "{module}::Affine<{}, {units}{storage}>",
                    self.input.row_type(self.input_scalar)
                )
            }
            Kind::Relu => "typenet::Relu".into(),
            Kind::Softmax(n) => format!("int8::Softmax<{n}>"),
            Kind::Quantize => "int8::Quantize".into(),
            Kind::Dequantize => "int8::Dequantize".into(),
        }
    }

    /// What the typed layer reports to the loader: its kind, element
    /// type and window.
    pub(crate) fn info(&self) -> Op {
        let window = |kernel, stride, padding| {
            Some(WindowInfo {
                kernel,
                stride,
                padding: match effective(padding, kernel, stride) {
                    Padding::Same => PaddingKind::Same,
                    Padding::Valid => PaddingKind::Valid,
                },
            })
        };
        let (kind, window) = match self.kind {
            Kind::Conv {
                kernel,
                stride,
                padding,
                multiplier: None,
                ..
            } => (OpKind::Conv2d, window(kernel, stride, padding)),
            Kind::Conv {
                kernel,
                stride,
                padding,
                multiplier: Some(multiplier),
                ..
            } => (OpKind::DepthwiseConv2d { multiplier }, window(kernel, stride, padding)),
            Kind::Pool {
                max,
                kernel,
                stride,
                padding,
            } => (
                if max { OpKind::MaxPool2d } else { OpKind::AveragePool2d },
                window(kernel, stride, padding),
            ),
            Kind::GlobalAvgPool => (OpKind::GlobalAveragePool, None),
            Kind::Affine(_) => (OpKind::FullyConnected, None),
            Kind::Relu => (OpKind::Relu, None),
            Kind::Softmax(_) => (OpKind::Softmax, None),
            Kind::Quantize => (OpKind::Quantize, None),
            Kind::Dequantize => (OpKind::Dequantize, None),
        };
        let element = match self.input_scalar {
            Scalar::I8 => Dtype::I8,
            Scalar::F32 => Dtype::F32,
        };
        Op { kind, element, window }
    }
}

/// The padding a layer is written with: a 1×1 window moved by 1 pads
/// nothing either way, and is written VALID (the shortest type).
pub(crate) fn effective(padding: Padding, kernel: (usize, usize), stride: (usize, usize)) -> Padding {
    if (kernel, stride) == ((1, 1), (1, 1)) {
        Padding::Valid
    } else {
        padding
    }
}

/// The window's parameters after `KH, KW` as a typenet type writes them,
/// shortest first: `default_stride` and VALID are the defaults.
pub(crate) fn window_tail(
    padding: Padding,
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    default_stride: (usize, usize),
) -> String {
    match effective(padding, (kh, kw), (sh, sw)) {
        Padding::Same => format!(", {sh}, {sw}, Same"),
        Padding::Valid if (sh, sw) == default_stride => String::new(),
        Padding::Valid => format!(", {sh}, {sw}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_written_in_their_shortest_form() {
        assert_eq!(window_tail(Padding::Same, (1, 1), (1, 1), (1, 1)), "");
        assert_eq!(window_tail(Padding::Same, (1, 1), (2, 2), (1, 1)), ", 2, 2, Same");
        assert_eq!(window_tail(Padding::Valid, (3, 3), (1, 1), (1, 1)), "");
        assert_eq!(window_tail(Padding::Valid, (3, 3), (2, 1), (1, 1)), ", 2, 1");
        // a pool's default stride is its window
        assert_eq!(window_tail(Padding::Valid, (2, 2), (2, 2), (2, 2)), "");
        assert_eq!(window_tail(Padding::Same, (3, 3), (2, 2), (3, 3)), ", 2, 2, Same");
    }
}
