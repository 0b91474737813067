//! One TFLite operator as the typenet layer that computes it, checked
//! against the operator's options and tensors.

use super::super::{Activation, BuiltinOperator as B, BuiltinOptions, Model, Operator, Subgraph, Tensor, TensorType};
use super::graph::op_error;
use super::layers::{Dims, Kind, Layer, Scalar};
use crate::io::error::ModelError;
use crate::quant::Padding;

/// The most values a row (or a layer's weights) may hold: a bound on what
/// a crafted file's shapes can make the written types ask of a compiler.
const MAX_VALUES: usize = 1 << 26;

/// The number of values of `t`, if it is not absurd.
pub(crate) fn elements(t: &Tensor<'_>) -> Option<usize> {
    t.shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_VALUES)
}

/// The rows a tensor of one sample holds: `[1, H, W, C]` an image, `[1,
/// N]` or `[N]` a flat row.
pub(crate) fn rows_of(t: &Tensor<'_>) -> Result<(Dims, Scalar), String> {
    let scalar = match t.tensor_type {
        TensorType::Int8 => Scalar::I8,
        TensorType::Float32 => Scalar::F32,
        other => return Err(format!("is {other:?}; typenet's rows are int8 or float32")),
    };
    if elements(t).is_none_or(|n| n == 0) {
        return Err(format!("shape {:?} holds no values or too many", t.shape));
    }
    let dims = match *t.shape.as_slice() {
        [1, h, w, c] => Dims::Image { c, h, w },
        [1, n] | [n] => Dims::Flat(n),
        _ => {
            return Err(format!(
                "shape {:?} is not one image [1, H, W, C] or one row [1, N]",
                t.shape
            ));
        }
    };
    Ok((dims, scalar))
}

/// One operator being turned into layers.
struct One<'m, 'a> {
    model: &'m Model<'a>,
    graph: &'m Subgraph<'a>,
    k: usize,
    op: &'m Operator,
}

impl One<'_, '_> {
    fn error(&self, message: impl Into<String>) -> ModelError {
        op_error(self.graph, self.k, message)
    }

    fn tensor(&self, input: usize) -> Result<&Tensor<'_>, ModelError> {
        match self.op.inputs.get(input) {
            Some(Some(t)) => Ok(&self.graph.tensors[*t]),
            _ => Err(self.error(format!("input {input} is missing"))),
        }
    }

    fn output(&self) -> Result<&Tensor<'_>, ModelError> {
        match self.op.outputs.as_slice() {
            [t] => Ok(&self.graph.tensors[*t]),
            other => Err(self.error(format!("has {} outputs", other.len()))),
        }
    }

    /// The rows of a data tensor, checked to be `want` of `scalar`.
    fn rows(&self, t: &Tensor<'_>, what: &str) -> Result<(Dims, Scalar), ModelError> {
        rows_of(t).map_err(|m| self.error(format!("{what} tensor {:?} {m}", t.name)))
    }

    fn expect_type(&self, t: &Tensor<'_>, want: TensorType) -> Result<(), ModelError> {
        if t.tensor_type == want {
            Ok(())
        } else {
            Err(self.error(format!("tensor {:?} is {:?}, not {want:?}", t.name, t.tensor_type)))
        }
    }

    /// An int8 operator's fused activation, which must be a clamp.
    fn clamp(&self, a: Activation) -> Result<(), ModelError> {
        match a {
            Activation::Tanh | Activation::SignBit => Err(self.error(format!(
                "fused activation {a:?} is not supported (typenet fuses clamps only)"
            ))),
            _ => Ok(()),
        }
    }

    fn shape(&self, t: &Tensor<'_>, want: &[usize]) -> Result<(), ModelError> {
        if t.shape == want {
            Ok(())
        } else {
            Err(self.error(format!(
                "tensor {:?} has shape {:?}, the layer's is {want:?}",
                t.name, t.shape
            )))
        }
    }

    fn weights(&self, input: usize) -> Result<&Tensor<'_>, ModelError> {
        let w = self.tensor(input)?;
        if self.model.data(w).is_empty() || elements(w).is_none() {
            return Err(self.error(format!("weights {:?} are not a constant of a sensible size", w.name)));
        }
        Ok(w)
    }
}

/// A stride or window side as a size.
fn side(v: i32) -> Option<usize> {
    usize::try_from(v).ok().filter(|&v| v > 0)
}

/// The output side of a window over `n`, as TFLite computes it.
fn out_side(padding: Padding, n: usize, k: usize, s: usize) -> Option<usize> {
    match padding {
        Padding::Same => Some(n.div_ceil(s)),
        Padding::Valid => n.checked_sub(k).map(|d| d / s + 1),
    }
}

/// Operator `k` reading rows `dims` of `scalar`, as the typenet layers that
/// compute it (two for a float operator with a fused ReLU).
pub(crate) fn layer(
    model: &Model<'_>,
    graph: &Subgraph<'_>,
    k: usize,
    dims: Dims,
    scalar: Scalar,
) -> Result<Vec<Layer>, ModelError> {
    let op = &graph.operators[k];
    let one = One { model, graph, k, op };
    let x = one.tensor(0)?;
    let y = one.output()?;
    let (x_dims, x_scalar) = one.rows(x, "input")?;
    let (y_dims, y_scalar) = one.rows(y, "output")?;
    if x_scalar != scalar || x_dims.values() != dims.values() {
        return Err(one.error(format!(
            "reads {} values of {:?}, the layer before writes {}",
            x_dims.values(),
            x.tensor_type,
            dims.describe(scalar)
        )));
    }
    let image = |d: Dims, what: &str| match d {
        Dims::Image { c, h, w } => Ok((c, h, w)),
        Dims::Flat(_) => Err(one.error(format!("the {what} is not an image [1, H, W, C]"))),
    };
    let int8_only = || {
        if scalar == Scalar::I8 && y_scalar == Scalar::I8 {
            Ok(())
        } else {
            Err(one.error(format!(
                "float {} is not supported: typenet imports float FULLY_CONNECTED (with a fused ReLU) only",
                op.builtin
            )))
        }
    };
    let single = |kind: Kind, out: Dims| {
        Ok(vec![Layer {
            op: k,
            kind,
            input: dims,
            input_scalar: scalar,
            out,
            scalar: y_scalar,
        }])
    };
    match (op.builtin, &op.options) {
        (B::CONV_2D | B::DEPTHWISE_CONV_2D, options) => {
            int8_only()?;
            // a reshape may stand before a convolution only if it keeps the map
            let (cin, h, w) = image(dims, "input")?;
            if x_dims != dims {
                return Err(one.error(format!(
                    "reads a {:?} map, the layer before writes {}",
                    x.shape,
                    dims.describe(scalar)
                )));
            }
            let (cout, ho, wo) = image(y_dims, "output")?;
            let (padding, stride, dilation, activation, multiplier) = match options {
                BuiltinOptions::Conv2d(o) if op.builtin == B::CONV_2D => (
                    o.padding,
                    (o.stride_h, o.stride_w),
                    (o.dilation_h, o.dilation_w),
                    o.activation,
                    None,
                ),
                BuiltinOptions::DepthwiseConv2d(o) if op.builtin == B::DEPTHWISE_CONV_2D => (
                    o.padding,
                    (o.stride_h, o.stride_w),
                    (o.dilation_h, o.dilation_w),
                    o.activation,
                    Some(o.depth_multiplier),
                ),
                other => return Err(one.error(format!("has {} instead of its options", other.table_name()))),
            };
            match dilation {
                (1, 1) => {}
                (d, e) if d == e => return Err(one.error(format!("dilation {d} is not supported"))),
                (d, e) => return Err(one.error(format!("dilation {d}×{e} is not supported"))),
            }
            one.clamp(activation)?;
            let (Some(sh), Some(sw)) = (side(stride.0), side(stride.1)) else {
                return Err(one.error(format!("stride {}×{} is not supported", stride.0, stride.1)));
            };
            let filter = one.weights(1)?;
            let (kh, kw) = match (multiplier, filter.shape.as_slice()) {
                (None, &[o, kh, kw, i]) if o == cout && i == cin => (kh, kw),
                (Some(m), &[1, kh, kw, o]) if o == cout => {
                    if usize::try_from(m).ok().and_then(|m| m.checked_mul(cin)) != Some(cout) {
                        return Err(one.error(format!(
                            "depth multiplier {m} takes {cin} channels to {cin}×{m}, its output has {cout}"
                        )));
                    }
                    (kh, kw)
                }
                _ => {
                    let want = if multiplier.is_some() {
                        "[1, KH, KW, COUT]"
                    } else {
                        "[COUT, KH, KW, CIN]"
                    };
                    return Err(one.error(format!(
                        "filter {:?} has shape {:?}, not {want} for {cin} to {cout} channels",
                        filter.name, filter.shape
                    )));
                }
            };
            if kh == 0 || kw == 0 {
                return Err(one.error("an empty filter"));
            }
            let want = (out_side(padding, h, kh, sh), out_side(padding, w, kw, sw));
            if want != (Some(ho), Some(wo)) {
                return Err(one.error(format!(
                    "writes {ho}×{wo} from {h}×{w} with a {kh}×{kw} window and strides {sh}×{sw}, which give {want:?}"
                )));
            }
            let multiplier = multiplier.map(|_| cout / cin);
            let (kernel, stride) = ((kh, kw), (sh, sw));
            single(
                Kind::Conv {
                    cin,
                    cout,
                    kernel,
                    stride,
                    padding,
                    multiplier,
                },
                y_dims,
            )
        }
        (B::AVERAGE_POOL_2D | B::MAX_POOL_2D, BuiltinOptions::Pool2d(o)) => {
            int8_only()?;
            let (c, h, w) = image(dims, "input")?;
            if x_dims != dims {
                return Err(one.error(format!(
                    "reads a {:?} map, the layer before writes {}",
                    x.shape,
                    dims.describe(scalar)
                )));
            }
            one.clamp(o.activation)?;
            let (Some(kh), Some(kw), Some(sh), Some(sw)) = (
                side(o.filter_height),
                side(o.filter_width),
                side(o.stride_h),
                side(o.stride_w),
            ) else {
                return Err(one.error(format!(
                    "window {}×{} with strides {}×{} is not supported",
                    o.filter_height, o.filter_width, o.stride_h, o.stride_w
                )));
            };
            let y_elements = y_dims.values();
            if op.builtin == B::AVERAGE_POOL_2D && (kh, kw) == (h, w) && y_elements == c {
                return single(Kind::GlobalAvgPool, Dims::Flat(c));
            }
            let (yc, ho, wo) = image(y_dims, "output")?;
            let want = (out_side(o.padding, h, kh, sh), out_side(o.padding, w, kw, sw));
            if yc != c || want != (Some(ho), Some(wo)) {
                return Err(one.error(format!(
                    "writes {yc} × {ho} × {wo} from {c} × {h} × {w} with a {kh}×{kw} window and strides {sh}×{sw}"
                )));
            }
            let max = op.builtin == B::MAX_POOL_2D;
            let (kernel, stride, padding) = ((kh, kw), (sh, sw), o.padding);
            single(
                Kind::Pool {
                    max,
                    kernel,
                    stride,
                    padding,
                },
                y_dims,
            )
        }
        (B::FULLY_CONNECTED, BuiltinOptions::FullyConnected(o)) => {
            if o.weights_format != super::super::WeightsFormat::Default {
                return Err(one.error("weights format SHUFFLED4x16INT8 is not supported"));
            }
            let units = y_dims.values();
            let w = one.weights(1)?;
            one.shape(w, &[units, dims.values()])?;
            let out = Dims::Flat(units);
            match (scalar, y_scalar) {
                (Scalar::I8, Scalar::I8) => {
                    one.expect_type(w, TensorType::Int8)?;
                    one.clamp(o.activation)?;
                    single(Kind::Affine(units), out)
                }
                (Scalar::F32, Scalar::F32) => {
                    if w.tensor_type != TensorType::Float32 {
                        return Err(one.error(format!(
                            "weights {:?} are {:?} with float activations (a hybrid model), which is not supported",
                            w.name, w.tensor_type
                        )));
                    }
                    let affine = Layer {
                        op: k,
                        kind: Kind::Affine(units),
                        input: dims,
                        input_scalar: scalar,
                        out,
                        scalar,
                    };
                    let relu = Layer {
                        op: k,
                        kind: Kind::Relu,
                        input: out,
                        input_scalar: scalar,
                        out,
                        scalar,
                    };
                    match o.activation {
                        Activation::None => Ok(vec![affine]),
                        Activation::Relu => Ok(vec![affine, relu]),
                        other => Err(one.error(format!(
                            "fused activation {other:?} is not supported for floats (ReLU is)"
                        ))),
                    }
                }
                _ => Err(one.error("reads and writes different element types")),
            }
        }
        (B::SOFTMAX, BuiltinOptions::Softmax(_)) => {
            int8_only()?;
            let Dims::Flat(n) = dims else {
                return Err(one.error(format!(
                    "a softmax over a map ({}) is not supported",
                    dims.describe(scalar)
                )));
            };
            if y_dims.values() != n {
                return Err(one.error(format!("writes {} values from {n}", y_dims.values())));
            }
            single(Kind::Softmax(n), dims)
        }
        (B::QUANTIZE, _) | (B::DEQUANTIZE, _) => {
            let (from, to, name, kind) = if op.builtin == B::QUANTIZE {
                (Scalar::F32, Scalar::I8, "Quantize", Kind::Quantize)
            } else {
                (Scalar::I8, Scalar::F32, "Dequantize", Kind::Dequantize)
            };
            if (scalar, y_scalar) != (from, to) {
                return Err(one.error(format!(
                    "takes {:?} to {:?}; typenet's {name} takes {} to {}",
                    x.tensor_type,
                    y.tensor_type,
                    from.rust(),
                    to.rust()
                )));
            }
            if y_dims.values() != dims.values() {
                return Err(one.error("changes the number of values"));
            }
            single(kind, dims)
        }
        (B::AVERAGE_POOL_2D | B::MAX_POOL_2D | B::FULLY_CONNECTED | B::SOFTMAX, other) => {
            Err(one.error(format!("has {} instead of its options", other.table_name())))
        }
        (other, _) => Err(one.error(format!(
            "{other} is not supported; typenet imports CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, \
             AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, QUANTIZE, DEQUANTIZE, ADD, RESHAPE and SQUEEZE"
        ))),
    }
}

/// Checks the ADD `k` that ends a block writing rows `dims`.
pub(crate) fn check_add(graph: &Subgraph<'_>, k: usize, dims: Dims) -> Result<(), ModelError> {
    let op = &graph.operators[k];
    let BuiltinOptions::Add(o) = &op.options else {
        return Err(op_error(
            graph,
            k,
            format!("has {} instead of its options", op.options.table_name()),
        ));
    };
    if matches!(o.activation, Activation::Tanh | Activation::SignBit) {
        return Err(op_error(
            graph,
            k,
            format!(
                "fused activation {:?} is not supported (typenet fuses clamps only)",
                o.activation
            ),
        ));
    }
    let want = dims.nhwc();
    for t in op.inputs.iter().take(2).flatten().chain(&op.outputs) {
        let t = &graph.tensors[*t];
        if t.tensor_type != TensorType::Int8 {
            return Err(op_error(
                graph,
                k,
                format!("tensor {:?} is {:?}; typenet adds int8 rows", t.name, t.tensor_type),
            ));
        }
        let fits = t.shape == want || (t.shape.len() == 2 && elements(t) == Some(dims.values()) && t.shape[0] == 1);
        if !fits {
            return Err(op_error(
                graph,
                k,
                format!("tensor {:?} has shape {:?}, the block writes {want:?}", t.name, t.shape),
            ));
        }
    }
    if op.outputs.len() != 1 {
        return Err(op_error(graph, k, format!("has {} outputs", op.outputs.len())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_sides_are_tflite_s() {
        assert_eq!(out_side(Padding::Same, 49, 10, 2), Some(25));
        assert_eq!(out_side(Padding::Valid, 49, 10, 2), Some(20));
        assert_eq!(out_side(Padding::Valid, 3, 5, 1), None);
    }

    #[test]
    fn rows_are_one_image_or_one_flat_row() {
        let t = |shape: Vec<usize>, tensor_type| Tensor {
            name: "x",
            tensor_type,
            shape,
            buffer: 0,
            quantization: None,
            is_variable: false,
        };
        let image = Dims::Image { c: 3, h: 32, w: 32 };
        assert_eq!(
            rows_of(&t(vec![1, 32, 32, 3], TensorType::Int8)),
            Ok((image, Scalar::I8))
        );
        assert_eq!(
            rows_of(&t(vec![640], TensorType::Float32)),
            Ok((Dims::Flat(640), Scalar::F32))
        );
        assert!(rows_of(&t(vec![2, 32, 32, 3], TensorType::Int8)).is_err());
        assert!(rows_of(&t(vec![1, 1 << 20, 1 << 20, 1 << 20], TensorType::Int8)).is_err());
        assert!(rows_of(&t(vec![1, 4], TensorType::Int16)).is_err());
        assert_eq!(image.row_type(Scalar::I8), "Image<i8, 3, 32, 32>");
        assert_eq!(image.nhwc(), [1, 32, 32, 3]);
    }
}
