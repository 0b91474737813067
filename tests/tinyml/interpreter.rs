//! Scaffolding for the tests, not an API: runs an int8 `.tflite` model one
//! operator at a time with `typenet::quant`'s functions and parameters
//! prepared from the file, so the arithmetic can be checked against
//! LiteRT's reference kernels before typed layers exist.

use typenet::io::tflite::{BuiltinOperator as Op, BuiltinOptions, Model, Operator, Tensor, TensorType};
use typenet::quant::{self, FeatureMap, FullyConnectedRequantize, QuantParams, QuantizedMultiplier, Window2d};

/// Which requantization FULLY_CONNECTED uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullyConnectedMode {
    /// LiteRT's reference kernel: a double product rounded half away from zero.
    Double,
    /// TFLite Micro's, CMSIS-NN's: the integer multiplier.
    Integer,
}

fn params(t: &Tensor<'_>) -> Result<QuantParams, String> {
    let q = t
        .quantization
        .as_ref()
        .ok_or_else(|| format!("tensor `{}` is not quantized", t.name))?;
    if q.scale.len() != 1 {
        return Err(format!("tensor `{}` has {} scales", t.name, q.scale.len()));
    }
    Ok(QuantParams::new(
        q.scale[0],
        q.zero_point.first().copied().unwrap_or(0) as i32,
    ))
}

fn map(t: &Tensor<'_>) -> Result<FeatureMap, String> {
    match t.shape.as_slice() {
        [1, h, w, c] => Ok(FeatureMap::new(*h, *w, *c)),
        other => Err(format!("tensor `{}` is {other:?}, not one NHWC image", t.name)),
    }
}

/// Runs operator `op` of `model`'s main graph on `values` (every tensor's
/// int8 values by index, `None` for those not yet computed), writing its output.
pub fn run_op(
    model: &Model<'_>,
    op: &Operator,
    values: &mut [Option<Vec<i8>>],
    fc: FullyConnectedMode,
) -> Result<(), String> {
    let graph = &model.subgraphs[0];
    let tensor = |i: usize| &graph.tensors[i];
    let input_index = |k: usize| {
        op.inputs
            .get(k)
            .copied()
            .flatten()
            .ok_or_else(|| format!("{}: input {k} missing", op.builtin))
    };
    let value = |values: &[Option<Vec<i8>>], i: usize| -> Result<Vec<i8>, String> {
        if let Some(v) = &values[i] {
            return Ok(v.clone());
        }
        model.tensor_i8(tensor(i)).map_err(|e| e.to_string())
    };
    let out_index = op.outputs[0];
    let out_t = tensor(out_index);
    if out_t.tensor_type != TensorType::Int8 {
        return Err(format!("{}: output is {:?}", op.builtin, out_t.tensor_type));
    }
    let mut out = vec![0i8; out_t.elements()];
    let e = |e: quant::QuantError| format!("{}: {e}", op.builtin);
    match (&op.builtin, &op.options) {
        (&Op::CONV_2D, _) | (&Op::DEPTHWISE_CONV_2D, _) => {
            let (x_t, w_t, b_t) = (
                tensor(input_index(0)?),
                tensor(input_index(1)?),
                tensor(input_index(2)?),
            );
            let (in_map, out_map) = (map(x_t)?, map(out_t)?);
            let (padding, stride, dilation, activation, depth_multiplier) = match &op.options {
                BuiltinOptions::Conv2d(o) => (
                    o.padding,
                    (o.stride_h, o.stride_w),
                    (o.dilation_h, o.dilation_w),
                    o.activation,
                    0,
                ),
                BuiltinOptions::DepthwiseConv2d(o) => (
                    o.padding,
                    (o.stride_h, o.stride_w),
                    (o.dilation_h, o.dilation_w),
                    o.activation,
                    o.depth_multiplier,
                ),
                other => return Err(format!("{}: options {other:?}", op.builtin)),
            };
            let (kh, kw) = (w_t.shape[1], w_t.shape[2]);
            let u = |v: i32| usize::try_from(v).map_err(|_| format!("negative {v}"));
            let (window, oh, ow) = Window2d::tflite(
                padding,
                (in_map.height, in_map.width),
                (kh, kw),
                (u(stride.0)?, u(stride.1)?),
                (u(dilation.0)?, u(dilation.1)?),
            )
            .map_err(e)?;
            if (oh, ow) != (out_map.height, out_map.width) {
                return Err(format!(
                    "{}: computed {oh}×{ow}, file says {:?}",
                    op.builtin, out_t.shape
                ));
            }
            let (x_q, out_q) = (params(x_t)?, params(out_t)?);
            let scales = &w_t.quantization.as_ref().ok_or("unquantized weights")?.scale;
            let mut multipliers = vec![QuantizedMultiplier::default(); out_map.channels];
            quant::per_channel_multipliers(x_q.scale, scales, out_q.scale, &mut multipliers).map_err(e)?;
            let (activation_min, activation_max) =
                quant::activation_range(activation.fused().map_err(|e| e.to_string())?, out_q).map_err(e)?;
            let conv = quant::ConvQuant {
                input_zero_point: x_q.zero_point,
                output_zero_point: out_q.zero_point,
                multipliers: &multipliers,
                activation_min,
                activation_max,
            };
            let (x, w) = (value(values, input_index(0)?)?, value(values, input_index(1)?)?);
            let bias = model.tensor_i32(b_t).map_err(|e| e.to_string())?;
            if op.builtin == Op::CONV_2D {
                quant::conv2d_int8(&conv, &window, (in_map, &x), &w, Some(&bias), (out_map, &mut out)).map_err(e)?;
            } else {
                let dm = u(depth_multiplier)?;
                quant::depthwise_conv2d_int8(&conv, &window, dm, (in_map, &x), &w, Some(&bias), (out_map, &mut out))
                    .map_err(e)?;
            }
        }
        (&Op::AVERAGE_POOL_2D | &Op::MAX_POOL_2D, BuiltinOptions::Pool2d(o)) => {
            let x_t = tensor(input_index(0)?);
            let (in_map, out_map) = (map(x_t)?, map(out_t)?);
            let u = |v: i32| usize::try_from(v).map_err(|_| format!("negative {v}"));
            let (window, oh, ow) = Window2d::tflite(
                o.padding,
                (in_map.height, in_map.width),
                (u(o.filter_height)?, u(o.filter_width)?),
                (u(o.stride_h)?, u(o.stride_w)?),
                (1, 1),
            )
            .map_err(e)?;
            if (oh, ow) != (out_map.height, out_map.width) {
                return Err(format!(
                    "{}: computed {oh}×{ow}, file says {:?}",
                    op.builtin, out_t.shape
                ));
            }
            let clamp =
                quant::activation_range(o.activation.fused().map_err(|e| e.to_string())?, params(out_t)?).map_err(e)?;
            let x = value(values, input_index(0)?)?;
            if op.builtin == Op::AVERAGE_POOL_2D {
                quant::average_pool_int8(&window, clamp, (in_map, &x), (out_map, &mut out)).map_err(e)?;
            } else {
                quant::max_pool_int8(&window, clamp, (in_map, &x), (out_map, &mut out)).map_err(e)?;
            }
        }
        (&Op::RESHAPE, _) => {
            out = value(values, input_index(0)?)?;
            if out.len() != out_t.elements() {
                return Err("RESHAPE changes the element count".into());
            }
        }
        (&Op::FULLY_CONNECTED, BuiltinOptions::FullyConnected(o)) => {
            let (x_t, w_t) = (tensor(input_index(0)?), tensor(input_index(1)?));
            let (x_q, out_q) = (params(x_t)?, params(out_t)?);
            let w_quant = w_t.quantization.as_ref().ok_or("unquantized weights")?;
            let (units, inputs) = (w_t.shape[0], w_t.shape[1]);
            let w_scales = &w_quant.scale;
            let per_channel_int: Vec<QuantizedMultiplier>;
            let per_channel_double: Vec<quant::DoubleMultiplier>;
            let requantize = match (w_scales.len(), fc) {
                (1, FullyConnectedMode::Double) => {
                    FullyConnectedRequantize::double(x_q.scale, w_scales[0], out_q.scale).map_err(e)?
                }
                (1, FullyConnectedMode::Integer) => {
                    FullyConnectedRequantize::multiplier(x_q.scale, w_scales[0], out_q.scale).map_err(e)?
                }
                (_, FullyConnectedMode::Double) => {
                    per_channel_double = w_scales
                        .iter()
                        .map(|&s| {
                            quant::DoubleMultiplier::new(f64::from(x_q.scale) * f64::from(s) / f64::from(out_q.scale))
                        })
                        .collect::<Result<_, _>>()
                        .map_err(e)?;
                    FullyConnectedRequantize::PerChannelDouble(&per_channel_double)
                }
                (_, FullyConnectedMode::Integer) => {
                    let mut m = vec![QuantizedMultiplier::default(); units];
                    quant::per_channel_multipliers(x_q.scale, w_scales, out_q.scale, &mut m).map_err(e)?;
                    per_channel_int = m;
                    FullyConnectedRequantize::PerChannel(&per_channel_int)
                }
            };
            let (activation_min, activation_max) =
                quant::activation_range(o.activation.fused().map_err(|e| e.to_string())?, out_q).map_err(e)?;
            let weights_zero_point = if w_scales.len() == 1 {
                w_quant.zero_point.first().copied().unwrap_or(0) as i32
            } else {
                0
            };
            let fcq = quant::FullyConnectedQuant {
                input_zero_point: x_q.zero_point,
                weights_zero_point,
                output_zero_point: out_q.zero_point,
                requantize,
                activation_min,
                activation_max,
            };
            let x = value(values, input_index(0)?)?;
            let w = value(values, input_index(1)?)?;
            let bias = match op.inputs.get(2).copied().flatten() {
                Some(b) => Some(model.tensor_i32(tensor(b)).map_err(|e| e.to_string())?),
                None => None,
            };
            if x.len() % inputs != 0 {
                return Err(format!("FULLY_CONNECTED: {} inputs for rows of {inputs}", x.len()));
            }
            for (row, out_row) in x.chunks_exact(inputs).zip(out.chunks_exact_mut(units)) {
                quant::fully_connected_int8(&fcq, row, &w, bias.as_deref(), out_row).map_err(e)?;
            }
        }
        (&Op::SOFTMAX, BuiltinOptions::Softmax(o)) => {
            let x_t = tensor(input_index(0)?);
            let q = quant::SoftmaxQuant::new(o.beta, params(x_t)?.scale, params(out_t)?).map_err(e)?;
            let depth = *x_t.shape.last().ok_or("scalar softmax")?;
            let x = value(values, input_index(0)?)?;
            quant::softmax_int8(&q, depth, &x, &mut out).map_err(e)?;
        }
        (&Op::ADD, BuiltinOptions::Add(o)) => {
            let (a_t, b_t) = (tensor(input_index(0)?), tensor(input_index(1)?));
            if a_t.shape != b_t.shape {
                return Err("ADD with broadcasting".into());
            }
            let q = quant::AddQuant::new(
                params(a_t)?,
                params(b_t)?,
                params(out_t)?,
                o.activation.fused().map_err(|e| e.to_string())?,
            )
            .map_err(e)?;
            let (a, b) = (value(values, input_index(0)?)?, value(values, input_index(1)?)?);
            quant::add_int8(&q, &a, &b, &mut out).map_err(e)?;
        }
        (builtin, options) => return Err(format!("{builtin} with {options:?} is not supported here")),
    }
    values[out_index] = Some(out);
    Ok(())
}

/// Runs the whole main graph on one input; returns every tensor's values.
pub fn run(model: &Model<'_>, input: &[i8], fc: FullyConnectedMode) -> Result<Vec<Option<Vec<i8>>>, String> {
    let graph = &model.subgraphs[0];
    let mut values = vec![None; graph.tensors.len()];
    values[graph.inputs[0]] = Some(input.to_vec());
    for op in &graph.operators {
        run_op(model, op, &mut values, fc)?;
    }
    Ok(values)
}
