//! A `.tflite` model's weights and quantization read into a typenet net of
//! the matching type: see [`load_tflite`].

use std::path::Path;

use super::{Activation, BuiltinOperator as B, BuiltinOptions, Model, Operator as TfOp, Tensor, TensorType};
use crate::int8::{PaddingKind, WindowInfo};
use crate::io::error::{ModelError, ModelErrorKind};
use crate::io::file;
use crate::ops::{Node, OpKind, Operators, Setting, Visit, Weighted};
use crate::quant::{FusedActivation, Padding as TfPadding, QuantParams};
use crate::{Dtype, Row, Tensors};

/// Which TFLite runtime's int8 arithmetic a loaded net reproduces. They
/// differ in one place only: how FULLY_CONNECTED requantizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TfliteKernels {
    /// LiteRT's reference kernels (`BUILTIN_REF`), which the MLPerf Tiny
    /// fixtures come from: a fully connected layer requantizes by a
    /// `double` product.
    #[default]
    Reference,
    /// TensorFlow Lite for Microcontrollers (and CMSIS-NN, and LiteRT's
    /// optimized kernels): the integer multiplier everywhere.
    Micro,
}

/// Loads a TensorFlow Lite flatbuffer's weights and quantization from
/// `path` into `net`, a typenet net of the matching type: an int8 net of
/// [`int8`](crate::int8) layers for an int8 model, a float net for a float
/// one. On any error `net` is left as it was, and the error carries `path`.
///
/// **Operators to layers.** The file's main graph is matched to the net
/// in order, as [`load_pytorch`](super::super::load_pytorch) matches
/// modules: the k-th operator fills the k-th layer ([`Operators`] walks
/// them), RESHAPE operators are read past (typenet rows are flat; the
/// element counts are checked), and a float net's [`Relu`](crate::Relu)
/// layer stands for the ReLU the operator before it has fused. Each
/// operator must be the layer's kind ([`OpKind`]), with the same kernel,
/// strides and padding (TFLite's SAME or VALID; SAME with an even total
/// padding is a symmetric [`Pad`](crate::int8::Pad)), the layer's input
/// and output shapes, a fused activation the layer has, and it must read
/// the tensor the layer before it wrote: an [`int8::Residual`] or
/// [`int8::Sum`]'s ADD must add its branches' outputs.
///
/// **Layouts.** TFLite keeps images as `H × W × C` and typenet as `C × H ×
/// W` (see [`int8`](crate::int8#layout-images-stay-channel-major)), so
/// weights are converted as they are read:
///
/// | operator | TFLite | typenet |
/// | --- | --- | --- |
/// | FULLY_CONNECTED | `[out, in]`, inputs in `h, w, c` order | int8 `[OUT, IN]`, float `[IN, OUT]`, inputs in `c, h, w` order |
/// | CONV_2D | `[out, kh, kw, in]` | `[COUT, CIN, KH, KW]` |
/// | DEPTHWISE_CONV_2D | `[1, kh, kw, out]` | `[COUT, 1, KH, KW]` |
///
/// Shapes in errors are TFLite's.
///
/// **Quantization.** Each int8 layer takes its operator's input, output
/// and weight scales and zero points, its int32 biases and its fused
/// activation, and prepares its requantization as TFLite's `Prepare`
/// does. A fully connected layer requantizes as LiteRT's reference
/// kernels do; [`load_tflite_for`] chooses TFLite Micro's instead.
///
/// **Errors.** A malformed file is [`ModelErrorKind::Tflite`]; an
/// operator that does not match its layer is
/// [`ModelErrorKind::Operator`], naming the operator's index and type,
/// the layer and what differs; a tensor of another shape is
/// [`ModelErrorKind::OperatorShape`], naming the operator, the tensor and
/// both shapes. Nothing is allocated for a size the file states before
/// the reader has checked it against the file.
///
/// ```
/// use typenet::int8;
/// type Ad = typenet::Chain![
///     int8::Affine<[i8; 640], 128>, int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>,
///     int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 8>, int8::Affine<[i8; 8], 128>,
///     int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>, int8::Affine<[i8; 128], 128>,
///     int8::Affine<[i8; 128], 640>
/// ];
/// let mut net = Ad::default();
/// typenet::io::load_tflite(&mut net, "tests/fixtures/tinyml/ad01_int8.tflite")?;
/// assert_eq!(net.layer::<9>().output_quant().zero_point, 96);
/// # Ok::<(), typenet::io::ModelError>(())
/// ```
///
/// [`int8::Residual`]: crate::int8::Residual
/// [`int8::Sum`]: crate::int8::Sum
pub fn load_tflite<In: Row, N: Operators<In>>(net: &mut N, path: impl AsRef<Path>) -> Result<(), ModelError> {
    load_tflite_for(net, path, TfliteKernels::Reference)
}

/// [`load_tflite`] for the arithmetic of the runtime `kernels`.
pub fn load_tflite_for<In: Row, N: Operators<In>>(
    net: &mut N,
    path: impl AsRef<Path>,
    kernels: TfliteKernels,
) -> Result<(), ModelError> {
    let path = path.as_ref();
    let at = |mut e: ModelError| {
        e.path = Some(path.to_path_buf());
        e
    };
    let bytes = file::read_at_most(path, size_limit(net)).map_err(|kind| at(ModelError::new(kind)))?;
    from_tflite_bytes_for(net, &bytes, kernels).map_err(at)
}

/// [`load_tflite`] from the file's bytes.
pub fn from_tflite_bytes<In: Row, N: Operators<In>>(net: &mut N, bytes: &[u8]) -> Result<(), ModelError> {
    from_tflite_bytes_for(net, bytes, TfliteKernels::Reference)
}

/// [`load_tflite_for`] from the file's bytes.
pub fn from_tflite_bytes_for<In: Row, N: Operators<In>>(
    net: &mut N,
    bytes: &[u8],
    kernels: TfliteKernels,
) -> Result<(), ModelError> {
    let model = super::read(bytes).map_err(|e| ModelError::new(ModelErrorKind::Tflite(e)))?;
    let saved = snapshot(net);
    let result = Matcher::new(&model, kernels).and_then(|mut m| {
        net.each_operator(&mut |visit| m.visit(visit));
        m.finish()
    });
    if result.is_err() {
        restore(net, &saved);
    }
    result
}

/// The largest `.tflite` file read for `net`: 16 bytes per value it holds
/// (a float model's weights, their quantized twins, the graph) and 64 MiB.
fn size_limit<L: Tensors + ?Sized>(net: &L) -> u64 {
    let mut values = 0u64;
    net.tensors(&mut |t| values += t.value.len() as u64);
    values.saturating_mul(16).saturating_add(64 << 20)
}

fn snapshot<L: Tensors + ?Sized>(net: &L) -> Vec<Vec<u8>> {
    let mut saved = Vec::new();
    net.tensors(&mut |t| {
        let mut bytes = Vec::new();
        t.value.extend_le_bytes(&mut bytes);
        saved.push(bytes);
    });
    saved
}

fn restore<L: Tensors + ?Sized>(net: &mut L, saved: &[Vec<u8>]) {
    let mut k = 0;
    net.tensors_mut(&mut |mut t| {
        t.value.read_le_bytes(&saved[k]);
        k += 1;
    });
}

/// An operator error at `index`.
fn op_error(index: usize, op: &TfOp, layer: &str, message: impl Into<String>) -> ModelError {
    ModelError::new(ModelErrorKind::Operator {
        index,
        operator: op.builtin.to_string(),
        layer: layer.to_string(),
        message: message.into(),
    })
}

/// The layer as errors name it: `3 (int8::Conv2d)`.
fn layer_name(node: &Node<'_>) -> String {
    format!("{} ({})", node.at, node.name)
}

/// The fork of a block being matched: the tensor both branches read, and
/// the first branch's output once it has ended.
struct Fork {
    input: usize,
    first: Option<usize>,
}

struct Matcher<'m, 'a> {
    model: &'m Model<'a>,
    kernels: TfliteKernels,
    /// The main graph's operators, RESHAPEs left out, by index.
    ops: Vec<usize>,
    next: usize,
    /// Each tensor's source after RESHAPEs: a reshaped tensor is its input.
    alias: Vec<usize>,
    current: usize,
    forks: Vec<Fork>,
    /// A float operator's fused ReLU, which the next layer must be.
    fused_relu: Option<usize>,
    error: Option<ModelError>,
}

impl<'m, 'a> Matcher<'m, 'a> {
    fn new(model: &'m Model<'a>, kernels: TfliteKernels) -> Result<Self, ModelError> {
        let graph = &model.subgraphs[0];
        let invalid = |message: &str| {
            ModelError::new(ModelErrorKind::Operator {
                index: 0,
                operator: String::new(),
                layer: String::new(),
                message: message.to_string(),
            })
        };
        if graph.inputs.len() != 1 || graph.outputs.len() != 1 {
            return Err(invalid(&format!(
                "the main graph has {} inputs and {} outputs; a typenet net has one of each",
                graph.inputs.len(),
                graph.outputs.len()
            )));
        }
        let mut alias: Vec<usize> = (0..graph.tensors.len()).collect();
        let mut ops = Vec::new();
        for (i, op) in graph.operators.iter().enumerate() {
            if op.builtin == B::RESHAPE || op.builtin == B::SQUEEZE {
                let (Some(Some(from)), Some(&to)) = (op.inputs.first(), op.outputs.first()) else {
                    return Err(op_error(i, op, "", "has no input or output"));
                };
                // checked: a crafted shape's product may not fit a usize
                let count = |t: &Tensor<'_>| t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
                if count(&graph.tensors[*from]).is_none_or(|n| Some(n) != count(&graph.tensors[to])) {
                    return Err(op_error(i, op, "", "changes the number of elements"));
                }
                alias[to] = alias[*from];
            } else {
                ops.push(i);
            }
        }
        Ok(Matcher {
            model,
            kernels,
            ops,
            next: 0,
            current: alias[graph.inputs[0]],
            alias,
            forks: Vec::new(),
            fused_relu: None,
            error: None,
        })
    }

    fn graph(&self) -> &'m super::Subgraph<'a> {
        &self.model.subgraphs[0]
    }

    fn visit(&mut self, visit: Visit<'_>) {
        if self.error.is_some() {
            return;
        }
        let result = match visit {
            Visit::Layer(node) => self.layer(node),
            Visit::Fork => self.check_no_fused_relu(None).map(|()| {
                self.forks.push(Fork {
                    input: self.current,
                    first: None,
                })
            }),
            Visit::Switch => {
                let current = self.current;
                match self.forks.last_mut() {
                    Some(fork) => {
                        fork.first = Some(current);
                        self.current = fork.input;
                        Ok(())
                    }
                    None => Ok(()),
                }
            }
            Visit::Merge(node) => self.merge(node),
        };
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    fn finish(self) -> Result<(), ModelError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let graph = self.graph();
        if let Some(index) = self.fused_relu {
            let op = &graph.operators[index];
            return Err(op_error(
                index,
                op,
                "",
                "has a fused ReLU, and the net ends without the Relu layer that stands for it",
            ));
        }
        if let Some(&index) = self.ops.get(self.next) {
            let op = &graph.operators[index];
            return Err(op_error(
                index,
                op,
                "",
                format!(
                    "the net has no layer for it: the file has {} operators besides RESHAPE, the net {} layers",
                    self.ops.len(),
                    self.next
                ),
            ));
        }
        let output = self.alias[graph.outputs[0]];
        if self.current != output {
            return Err(ModelError::new(ModelErrorKind::Operator {
                index: graph.operators.len(),
                operator: String::new(),
                layer: String::new(),
                message: format!(
                    "the net's last layer writes tensor {}, the graph's output is tensor {}",
                    self.current, output
                ),
            }));
        }
        Ok(())
    }

    /// A float net's ReLU layer for the operator before, or an error if
    /// one was due and `node` is another layer.
    fn check_no_fused_relu(&mut self, node: Option<&Node<'_>>) -> Result<(), ModelError> {
        match self.fused_relu.take() {
            None => Ok(()),
            Some(index) => Err(op_error(
                index,
                &self.graph().operators[index],
                &node.map(layer_name).unwrap_or_default(),
                "has a fused ReLU: the float net needs a Relu layer after the layer it fills",
            )),
        }
    }

    /// The next operator for `node`, which must read the current tensor.
    fn take(&mut self, node: &Node<'_>) -> Result<(usize, &'m TfOp), ModelError> {
        let graph = self.graph();
        let Some(&index) = self.ops.get(self.next) else {
            return Err(ModelError::new(ModelErrorKind::Operator {
                index: graph.operators.len(),
                operator: String::new(),
                layer: layer_name(node),
                message: format!(
                    "the file has no operator for it: {} operators besides RESHAPE",
                    self.ops.len()
                ),
            }));
        };
        self.next += 1;
        Ok((index, &graph.operators[index]))
    }

    fn input(&self, index: usize, op: &TfOp, node: &Node<'_>, k: usize) -> Result<usize, ModelError> {
        match op.inputs.get(k) {
            Some(Some(t)) => Ok(*t),
            _ => Err(op_error(index, op, &layer_name(node), format!("input {k} is missing"))),
        }
    }

    fn layer(&mut self, node: Node<'_>) -> Result<(), ModelError> {
        let info = node.op.op();
        if info.kind == OpKind::Relu {
            return match self.fused_relu.take() {
                Some(_) => node
                    .op
                    .set(&Setting::Nothing)
                    .map_err(|e| ModelError::new(ModelErrorKind::Layout(format!("layer {}: {e}", layer_name(&node))))),
                None => Err(ModelError::new(ModelErrorKind::Operator {
                    index: self.ops.get(self.next.wrapping_sub(1)).copied().unwrap_or(0),
                    operator: String::new(),
                    layer: layer_name(&node),
                    message: "a ReLU layer needs an operator with a fused ReLU before it".into(),
                })),
            };
        }
        self.check_no_fused_relu(Some(&node))?;
        let (index, op) = self.take(&node)?;
        let x = self.input(index, op, &node, 0)?;
        if self.alias[x] != self.current {
            return Err(op_error(
                index,
                op,
                &layer_name(&node),
                format!(
                    "reads tensor {x}, not tensor {}, the output of the layer before",
                    self.current
                ),
            ));
        }
        let Some(&y) = op.outputs.first() else {
            return Err(op_error(index, op, &layer_name(&node), "has no output"));
        };
        let mut one = OneOp {
            model: self.model,
            index,
            op,
            node,
            x,
            y,
            kernels: self.kernels,
        };
        let fused_relu = one.fill()?;
        if fused_relu {
            self.fused_relu = Some(index);
        }
        self.current = self.alias[y];
        Ok(())
    }

    fn merge(&mut self, node: Node<'_>) -> Result<(), ModelError> {
        self.check_no_fused_relu(Some(&node))?;
        let Some(fork) = self.forks.pop() else {
            return Err(ModelError::new(ModelErrorKind::Layout("a merge without a fork".into())));
        };
        // the block's first branch, then its second: a residual block's
        // first is the shortcut (its input), a sum's its first branch
        let (first, second) = match fork.first {
            Some(first) => (first, self.current),
            None => (fork.input, self.current),
        };
        let (index, op) = self.take(&node)?;
        let layer = layer_name(&node);
        if op.builtin != B::ADD {
            return Err(op_error(index, op, &layer, "the block's addition must be an ADD"));
        }
        let (a, b) = (self.input(index, op, &node, 0)?, self.input(index, op, &node, 1)?);
        let (ta, tb) = (self.alias[a], self.alias[b]);
        let (first_t, second_t) = if (ta, tb) == (first, second) {
            (a, b)
        } else if (ta, tb) == (second, first) {
            (b, a)
        } else {
            return Err(op_error(
                index,
                op,
                &layer,
                format!("adds tensors {a} and {b}, not the block's branches (tensors {first} and {second})"),
            ));
        };
        let BuiltinOptions::Add(options) = &op.options else {
            return Err(op_error(index, op, &layer, "has no ADD options"));
        };
        let Some(&y) = op.outputs.first() else {
            return Err(op_error(index, op, &layer, "has no output"));
        };
        let graph = self.graph();
        let mut one = OneOp {
            model: self.model,
            index,
            op,
            node,
            x: first_t,
            y,
            kernels: self.kernels,
        };
        for t in [first_t, second_t, y] {
            one.same_shape(&graph.tensors[t], one.node.output)?;
        }
        let setting = Setting::Add {
            first: one.params(&graph.tensors[first_t])?,
            second: one.params(&graph.tensors[second_t])?,
            output: one.params(&graph.tensors[y])?,
            activation: one.activation(options.activation)?,
        };
        one.set(&setting)?;
        self.current = self.alias[y];
        Ok(())
    }
}

/// One operator being read into its layer.
struct OneOp<'m, 'a, 'n> {
    model: &'m Model<'a>,
    index: usize,
    op: &'m TfOp,
    node: Node<'n>,
    x: usize,
    y: usize,
    kernels: TfliteKernels,
}

impl OneOp<'_, '_, '_> {
    fn error(&self, message: impl Into<String>) -> ModelError {
        op_error(self.index, self.op, &layer_name(&self.node), message)
    }

    fn tensor(&self, t: usize) -> &Tensor<'_> {
        &self.model.subgraphs[0].tensors[t]
    }

    fn input_tensor(&self, k: usize) -> Result<&Tensor<'_>, ModelError> {
        match self.op.inputs.get(k) {
            Some(Some(t)) => Ok(self.tensor(*t)),
            _ => Err(self.error(format!("input {k} is missing"))),
        }
    }

    fn shape_error(&self, t: &Tensor<'_>, expected: Vec<usize>) -> ModelError {
        ModelError::new(ModelErrorKind::OperatorShape {
            index: self.index,
            operator: self.op.builtin.to_string(),
            tensor: t.name.to_string(),
            expected: expected.into(),
            found: t.shape.clone().into(),
        })
    }

    /// Checks that `t` holds one row of `dims` (typenet's dimensions): an
    /// image `[C, H, W]` as `[1, H, W, C]`, dense rows by their count.
    fn same_shape(&self, t: &Tensor<'_>, dims: &[usize]) -> Result<(), ModelError> {
        let nhwc = tflite_shape(dims);
        let ok = match dims {
            [c, h, w] => t.shape == nhwc || (h * w == 1 && t.elements() == *c && t.shape.first() == Some(&1)),
            _ => t.elements() == dims.iter().product::<usize>() && t.shape.first().is_none_or(|&b| b == 1),
        };
        if ok { Ok(()) } else { Err(self.shape_error(t, nhwc)) }
    }

    fn params(&self, t: &Tensor<'_>) -> Result<QuantParams, ModelError> {
        let Some(q) = &t.quantization else {
            return Err(self.error(format!("tensor {:?} is not quantized", t.name)));
        };
        if q.scale.len() != 1 || q.zero_point.len() > 1 {
            return Err(self.error(format!(
                "tensor {:?} has {} scales; activations are quantized per tensor",
                t.name,
                q.scale.len()
            )));
        }
        let zero_point = q.zero_point.first().copied().unwrap_or(0);
        let zero_point = i32::try_from(zero_point).map_err(|_| {
            self.error(format!(
                "tensor {:?} has zero point {zero_point}, outside int32",
                t.name
            ))
        })?;
        Ok(QuantParams::new(q.scale[0], zero_point))
    }

    fn activation(&self, a: Activation) -> Result<FusedActivation, ModelError> {
        a.fused().map_err(|e| self.error(e.message))
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), ModelError> {
        let result = self.node.op.set(setting);
        result.map_err(|e| self.error(e.to_string()))
    }

    fn element(&self, t: &Tensor<'_>, want: TensorType) -> Result<(), ModelError> {
        if t.tensor_type == want {
            Ok(())
        } else {
            Err(self.error(format!(
                "tensor {:?} is {:?}, the layer needs {want:?}",
                t.name, t.tensor_type
            )))
        }
    }

    /// A constant tensor's values, checked by the reader against the file.
    fn i8s(&self, t: &Tensor<'_>) -> Result<Vec<i8>, ModelError> {
        self.model.tensor_i8(t).map_err(|e| self.error(e.to_string()))
    }

    fn i32s(&self, t: &Tensor<'_>) -> Result<Vec<i32>, ModelError> {
        self.model.tensor_i32(t).map_err(|e| self.error(e.to_string()))
    }

    fn f32s(&self, t: &Tensor<'_>) -> Result<Vec<f32>, ModelError> {
        let values = self.model.tensor_f32(t).map_err(|e| self.error(e.to_string()))?;
        if values.iter().all(|v| v.is_finite()) {
            Ok(values)
        } else {
            Err(self.error(format!("tensor {:?} holds NaN or infinity", t.name)))
        }
    }

    /// The weight scales of a per-channel (along `dim`) or per-tensor
    /// quantized weight tensor of `channels` channels, and its zero point.
    fn weight_quant(&self, w: &Tensor<'_>, channels: usize, dim: usize) -> Result<(Vec<f32>, i32), ModelError> {
        let Some(q) = &w.quantization else {
            return Err(self.error(format!("weights {:?} are not quantized", w.name)));
        };
        if q.scale.len() == 1 {
            let zero_point = q.zero_point.first().copied().unwrap_or(0);
            let zero_point = i32::try_from(zero_point)
                .map_err(|_| self.error(format!("weights {:?} have zero point {zero_point}", w.name)))?;
            return Ok((q.scale.clone(), zero_point));
        }
        if q.scale.len() != channels || q.quantized_dimension != dim {
            return Err(self.error(format!(
                "weights {:?} have {} scales along dimension {}, the layer needs 1 or {channels} along dimension {dim}",
                w.name,
                q.scale.len(),
                q.quantized_dimension
            )));
        }
        if q.zero_point.iter().any(|&z| z != 0) {
            return Err(self.error(format!(
                "weights {:?} are quantized per channel with zero points other than 0",
                w.name
            )));
        }
        Ok((q.scale.clone(), 0))
    }

    /// The operator's bias (input 2) as int32s or floats, if it has one.
    fn bias_tensor(&self) -> Option<&Tensor<'_>> {
        match self.op.inputs.get(2) {
            Some(Some(t)) => Some(self.tensor(*t)),
            _ => None,
        }
    }

    fn check_shape(&self, t: &Tensor<'_>, expected: &[usize]) -> Result<(), ModelError> {
        if t.shape == expected {
            Ok(())
        } else {
            Err(self.shape_error(t, expected.to_vec()))
        }
    }

    /// Reads the operator into its layer; `true` if it has a fused ReLU a
    /// float net's next layer stands for.
    fn fill(&mut self) -> Result<bool, ModelError> {
        let info = self.node.op.op();
        let int8 = info.element == Dtype::I8 || info.kind == OpKind::Quantize;
        let builtin = match info.kind {
            OpKind::FullyConnected => B::FULLY_CONNECTED,
            OpKind::Conv2d => B::CONV_2D,
            OpKind::DepthwiseConv2d { .. } => B::DEPTHWISE_CONV_2D,
            OpKind::MaxPool2d => B::MAX_POOL_2D,
            OpKind::AveragePool2d | OpKind::GlobalAveragePool => B::AVERAGE_POOL_2D,
            OpKind::Softmax => B::SOFTMAX,
            OpKind::Quantize => B::QUANTIZE,
            OpKind::Dequantize => B::DEQUANTIZE,
            OpKind::Add | OpKind::Relu => {
                return Err(self.error("an addition or ReLU cannot stand alone"));
            }
        };
        if self.op.builtin != builtin {
            return Err(self.error(format!(
                "the layer is a {} {}, the file's operator is {}",
                if int8 { "int8" } else { "float" },
                info.kind.tflite_name(),
                self.op.builtin
            )));
        }
        let graph = &self.model.subgraphs[0];
        let (x_t, y_t) = (&graph.tensors[self.x], &graph.tensors[self.y]);
        let (x_type, y_type) = match (info.kind, int8) {
            (OpKind::Quantize, _) => (TensorType::Float32, TensorType::Int8),
            (OpKind::Dequantize, _) => (TensorType::Int8, TensorType::Float32),
            (_, true) => (TensorType::Int8, TensorType::Int8),
            (_, false) => (TensorType::Float32, TensorType::Float32),
        };
        self.element(x_t, x_type)?;
        self.element(y_t, y_type)?;
        self.same_shape(x_t, self.node.input)?;
        self.same_shape(y_t, self.node.output)?;
        match info.kind {
            OpKind::FullyConnected => self.fully_connected(int8),
            OpKind::Conv2d | OpKind::DepthwiseConv2d { .. } => self.convolution(int8, info.kind, info.window),
            OpKind::MaxPool2d | OpKind::AveragePool2d | OpKind::GlobalAveragePool => {
                self.pool(int8, info.kind, info.window)
            }
            OpKind::Softmax => {
                let BuiltinOptions::Softmax(o) = &self.op.options else {
                    return Err(self.error("has no SOFTMAX options"));
                };
                if int8 {
                    let setting = Setting::Softmax {
                        beta: o.beta,
                        input: self.params(x_t)?,
                        output: self.params(y_t)?,
                    };
                    self.set(&setting)?;
                } else if o.beta != 1.0 {
                    return Err(self.error(format!("softmax with β = {}; the layer's is 1", o.beta)));
                } else {
                    self.set(&Setting::Nothing)?;
                }
                Ok(false)
            }
            OpKind::Quantize => {
                let p = self.params(y_t)?;
                self.set(&Setting::Quantize(p))?;
                Ok(false)
            }
            OpKind::Dequantize => {
                let p = self.params(x_t)?;
                self.set(&Setting::Dequantize(p))?;
                Ok(false)
            }
            OpKind::Add | OpKind::Relu => Ok(false),
        }
    }

    /// A float layer's fused activation: ReLU (stood for by the next
    /// layer) or none.
    fn float_activation(&self, a: Activation) -> Result<bool, ModelError> {
        match a {
            Activation::None => Ok(false),
            Activation::Relu => Ok(true),
            other => Err(self.error(format!("fuses {other:?}; a float net has Relu layers only"))),
        }
    }

    fn fully_connected(&mut self, int8: bool) -> Result<bool, ModelError> {
        let BuiltinOptions::FullyConnected(o) = &self.op.options else {
            return Err(self.error("has no FULLY_CONNECTED options"));
        };
        if o.weights_format != super::WeightsFormat::Default {
            return Err(self.error("has shuffled weights, which only one of TFLite's kernels reads"));
        }
        let units: usize = self.node.output.iter().product();
        let inputs: usize = self.node.input.iter().product();
        let w = self.input_tensor(1)?;
        self.check_shape(w, &[units, inputs])?;
        // TFLite flattens a map as h, w, c; typenet's rows are c, h, w
        let from = |i: usize| match self.node.input {
            [c, h, width] if h * width > 1 => {
                let (ci, rest) = (i / (h * width), i % (h * width));
                rest * c + ci
            }
            _ => i,
        };
        if int8 {
            self.element(w, TensorType::Int8)?;
            let file = self.i8s(w)?;
            let mut weights = vec![0i8; units * inputs];
            for u in 0..units {
                for i in 0..inputs {
                    weights[u * inputs + i] = file[u * inputs + from(i)];
                }
            }
            let (weight_scales, weight_zero_point) = self.weight_quant(w, units, 0)?;
            let bias = match self.bias_tensor() {
                Some(b) => {
                    self.element(b, TensorType::Int32)?;
                    self.check_shape(b, &[units])?;
                    self.i32s(b)?
                }
                None => Vec::new(),
            };
            let graph = &self.model.subgraphs[0];
            let setting = Setting::Weighted(Weighted {
                input: self.params(&graph.tensors[self.x])?,
                output: self.params(&graph.tensors[self.y])?,
                weights: &weights,
                weight_scales: &weight_scales,
                weight_zero_point,
                bias: &bias,
                activation: self.activation(o.activation)?,
                double_requantize: self.kernels == TfliteKernels::Reference,
            });
            self.set(&setting)?;
            Ok(false)
        } else {
            if w.tensor_type != TensorType::Float32 {
                return Err(self.error(format!(
                    "weights {:?} are {:?} with float activations (a hybrid model), which typenet's float layers do not compute",
                    w.name, w.tensor_type
                )));
            }
            let file = self.f32s(w)?;
            // typenet's float Affine is [IN, OUT]
            let mut weights = vec![0f32; units * inputs];
            for u in 0..units {
                for i in 0..inputs {
                    weights[i * units + u] = file[u * inputs + from(i)];
                }
            }
            let bias = self.float_bias(units)?;
            let relu = self.float_activation(o.activation)?;
            self.set(&Setting::Float {
                weights: &weights,
                bias: &bias,
            })?;
            Ok(relu)
        }
    }

    fn float_bias(&self, channels: usize) -> Result<Vec<f32>, ModelError> {
        match self.bias_tensor() {
            Some(b) => {
                self.element(b, TensorType::Float32)?;
                self.check_shape(b, &[channels])?;
                self.f32s(b)
            }
            None => Ok(vec![0.0; channels]),
        }
    }

    /// Checks the file's window against the layer's, over an input of
    /// `(h, w)` and an output of `(ho, wo)`.
    fn check_window(
        &self,
        file: (TfPadding, WindowInfo),
        layer: Option<WindowInfo>,
        (h, w): (usize, usize),
        (ho, wo): (usize, usize),
    ) -> Result<(), ModelError> {
        let (padding, file) = file;
        let Some(layer) = layer else {
            return Err(self.error("the layer has no window"));
        };
        if file.kernel != layer.kernel || file.stride != layer.stride {
            return Err(self.error(format!(
                "a {}×{} window with strides {}×{} in the file, {}×{} with strides {}×{} in the layer",
                file.kernel.0,
                file.kernel.1,
                file.stride.0,
                file.stride.1,
                layer.kernel.0,
                layer.kernel.1,
                layer.stride.0,
                layer.stride.1
            )));
        }
        let total = |n: usize, k: usize, s: usize, out: usize| (out.saturating_sub(1) * s + k).saturating_sub(n);
        let same_as_symmetric = |p: usize| {
            total(h, file.kernel.0, file.stride.0, ho) == 2 * p && total(w, file.kernel.1, file.stride.1, wo) == 2 * p
        };
        let fits = match (padding, layer.padding) {
            (TfPadding::Same, PaddingKind::Same) | (TfPadding::Valid, PaddingKind::Valid) => true,
            (TfPadding::Valid, PaddingKind::Symmetric(p)) => p == 0,
            (TfPadding::Same, PaddingKind::Symmetric(p)) => same_as_symmetric(p),
            // a VALID layer over a SAME operator that pads nothing
            (TfPadding::Same, PaddingKind::Valid) => same_as_symmetric(0),
            (TfPadding::Valid, PaddingKind::Same) => same_as_symmetric(0),
        };
        if fits {
            Ok(())
        } else {
            Err(self.error(format!(
                "{} padding in the file, {:?} in the layer",
                match padding {
                    TfPadding::Same => "SAME",
                    TfPadding::Valid => "VALID",
                },
                layer.padding
            )))
        }
    }

    fn convolution(&mut self, int8: bool, kind: OpKind, window: Option<WindowInfo>) -> Result<bool, ModelError> {
        let [cin, h, w] = *self.node.input else {
            return Err(self.error("the layer does not read images"));
        };
        let [cout, ho, wo] = *self.node.output else {
            return Err(self.error("the layer does not write images"));
        };
        let depthwise = matches!(kind, OpKind::DepthwiseConv2d { .. });
        let (padding, stride, dilation, activation) = match (&self.op.options, depthwise) {
            (BuiltinOptions::Conv2d(o), false) => (
                o.padding,
                (o.stride_h, o.stride_w),
                (o.dilation_h, o.dilation_w),
                o.activation,
            ),
            (BuiltinOptions::DepthwiseConv2d(o), true) => {
                let OpKind::DepthwiseConv2d { multiplier } = kind else {
                    unreachable!()
                };
                if usize::try_from(o.depth_multiplier).ok() != Some(multiplier) {
                    return Err(self.error(format!(
                        "depth multiplier {} in the file, {multiplier} in the layer",
                        o.depth_multiplier
                    )));
                }
                (
                    o.padding,
                    (o.stride_h, o.stride_w),
                    (o.dilation_h, o.dilation_w),
                    o.activation,
                )
            }
            _ => return Err(self.error("has no convolution options")),
        };
        if dilation != (1, 1) {
            return Err(self.error(format!(
                "dilation {}×{}; typenet's convolutions have none",
                dilation.0, dilation.1
            )));
        }
        let Some(layer_window) = window else {
            return Err(self.error("the layer has no window"));
        };
        let (kh, kw) = layer_window.kernel;
        let filter = self.input_tensor(1)?;
        let expected = if depthwise {
            vec![1, kh, kw, cout]
        } else {
            vec![cout, kh, kw, cin]
        };
        self.check_shape(filter, &expected)?;
        let Some(file_window) = window_of(padding, (kh, kw), stride) else {
            return Err(self.error("a stride of 0 or less"));
        };
        self.check_window(file_window, window, (h, w), (ho, wo))?;
        // typenet: [COUT, CIN, KH, KW] (depthwise [COUT, 1, KH, KW])
        let cin_w = if depthwise { 1 } else { cin };
        let from = |o: usize, i: usize, y: usize, x: usize| {
            if depthwise {
                (y * kw + x) * cout + o
            } else {
                ((o * kh + y) * kw + x) * cin + i
            }
        };
        let reorder = |file: &[i8]| -> Vec<i8> {
            let mut out = Vec::with_capacity(file.len());
            for o in 0..cout {
                for i in 0..cin_w {
                    for y in 0..kh {
                        for x in 0..kw {
                            out.push(file[from(o, i, y, x)]);
                        }
                    }
                }
            }
            out
        };
        if int8 {
            self.element(filter, TensorType::Int8)?;
            let weights = reorder(&self.i8s(filter)?);
            let (weight_scales, weight_zero_point) = self.weight_quant(filter, cout, if depthwise { 3 } else { 0 })?;
            if weight_zero_point != 0 {
                return Err(self.error(format!(
                    "weights {:?} have zero point {weight_zero_point}; TFLite's int8 convolutions are symmetric",
                    filter.name
                )));
            }
            let bias = match self.bias_tensor() {
                Some(b) => {
                    self.element(b, TensorType::Int32)?;
                    self.check_shape(b, &[cout])?;
                    self.i32s(b)?
                }
                None => Vec::new(),
            };
            let graph = &self.model.subgraphs[0];
            let setting = Setting::Weighted(Weighted {
                input: self.params(&graph.tensors[self.x])?,
                output: self.params(&graph.tensors[self.y])?,
                weights: &weights,
                weight_scales: &weight_scales,
                weight_zero_point: 0,
                bias: &bias,
                activation: self.activation(activation)?,
                double_requantize: false,
            });
            self.set(&setting)?;
            Ok(false)
        } else {
            if filter.tensor_type != TensorType::Float32 {
                return Err(self.error(format!(
                    "weights {:?} are {:?} with float activations (a hybrid model), which typenet's float layers do not compute",
                    filter.name, filter.tensor_type
                )));
            }
            let file = self.f32s(filter)?;
            let mut weights = Vec::with_capacity(file.len());
            for o in 0..cout {
                for i in 0..cin_w {
                    for y in 0..kh {
                        for x in 0..kw {
                            weights.push(file[from(o, i, y, x)]);
                        }
                    }
                }
            }
            let bias = self.float_bias(cout)?;
            let relu = self.float_activation(activation)?;
            self.set(&Setting::Float {
                weights: &weights,
                bias: &bias,
            })?;
            Ok(relu)
        }
    }

    fn pool(&mut self, int8: bool, kind: OpKind, window: Option<WindowInfo>) -> Result<bool, ModelError> {
        let BuiltinOptions::Pool2d(o) = &self.op.options else {
            return Err(self.error("has no pooling options"));
        };
        let [_, h, w] = *self.node.input else {
            return Err(self.error("the layer does not read images"));
        };
        let (ho, wo) = match *self.node.output {
            [_, ho, wo] => (ho, wo),
            _ => (1, 1),
        };
        let size = |v: i32| usize::try_from(v).unwrap_or(0);
        let kernel = (size(o.filter_height), size(o.filter_width));
        let Some(file_window) = window_of(o.padding, kernel, (o.stride_h, o.stride_w)) else {
            return Err(self.error("a stride of 0 or less"));
        };
        if kind == OpKind::GlobalAveragePool {
            if kernel != (h, w) || (ho, wo) != (1, 1) {
                return Err(self.error(format!(
                    "a {}×{} window over a {h}×{w} map is not a global average",
                    kernel.0, kernel.1
                )));
            }
        } else {
            self.check_window(file_window, window, (h, w), (ho, wo))?;
        }
        let graph = &self.model.subgraphs[0];
        if int8 {
            let (input, output) = (
                self.params(&graph.tensors[self.x])?,
                self.params(&graph.tensors[self.y])?,
            );
            if input != output {
                return Err(self.error(format!(
                    "input quantized as {input:?}, output as {output:?}: TFLite's int8 pooling keeps its input's"
                )));
            }
            let setting = Setting::Pool {
                output,
                activation: self.activation(o.activation)?,
            };
            self.set(&setting)?;
            Ok(false)
        } else {
            let relu = self.float_activation(o.activation)?;
            self.set(&Setting::Nothing)?;
            Ok(relu)
        }
    }
}

/// typenet dimensions as TFLite's shape of one row: `[C, H, W]` as `[1, H,
/// W, C]`, `[N]` as `[1, N]`.
fn tflite_shape(dims: &[usize]) -> Vec<usize> {
    match dims {
        [c, h, w] => vec![1, *h, *w, *c],
        other => {
            let mut v = vec![1];
            v.extend_from_slice(other);
            v
        }
    }
}

/// The window of a TFLite operator's options.
fn window_of(padding: TfPadding, (kh, kw): (usize, usize), (sh, sw): (i32, i32)) -> Option<(TfPadding, WindowInfo)> {
    let s = |v: i32| usize::try_from(v).ok().filter(|&v| v > 0);
    Some((
        padding,
        WindowInfo {
            kernel: (kh, kw),
            stride: (s(sh)?, s(sw)?),
            padding: match padding {
                TfPadding::Same => PaddingKind::Same,
                TfPadding::Valid => PaddingKind::Valid,
            },
        },
    ))
}
