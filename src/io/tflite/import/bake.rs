//! The tensors `load_tflite` stores in each layer of an imported graph,
//! found by running the loader itself over stand-ins of the layers: the
//! loader converts each operator (transposes, quantization) as it does for
//! a typed net, and each stand-in prepares what it is given with the same
//! functions the typed layer's `set` calls.

use super::graph::Item;
use super::layers::{Dims, Kind, Layer, Scalar};
use crate::int8::affine::{self, AffineMut};
use crate::int8::params::{self, ChannelsMut};
use crate::int8::{AddQuantized, AvgPool2d, Dequantize, GlobalAvgPool, MaxPool2d, Quantize, Softmax};
use crate::io::error::ModelError;
use crate::ops::{Node, Op, Operator, Operators, Setting, Visit};
use crate::quant::QuantError;
use crate::{Dtype, Path, Relu, Tensor, TensorMut, Tensors};

/// One tensor as a layer's `frozen` constructor takes it.
#[derive(Debug, Clone)]
pub(crate) struct Baked {
    /// Its name in the layer.
    pub name: &'static str,
    /// Its element type.
    pub dtype: Dtype,
    /// Its dimensions as the constructor takes them.
    pub dims: Vec<usize>,
    /// Its values, little-endian.
    pub bytes: Vec<u8>,
    /// Weights and per-channel values (written to the weights file), not
    /// a handful of parameters (written as literals).
    pub bulk: bool,
}

fn baked<T: Copy>(
    name: &'static str,
    dtype: Dtype,
    dims: &[usize],
    values: &[T],
    bulk: bool,
    le: fn(T) -> Vec<u8>,
) -> Baked {
    Baked {
        name,
        dtype,
        dims: dims.to_vec(),
        bytes: values.iter().flat_map(|&v| le(v)).collect(),
        bulk,
    }
}

fn i8s(name: &'static str, dims: &[usize], v: &[i8]) -> Baked {
    baked(name, Dtype::I8, dims, v, true, |x| x.to_le_bytes().to_vec())
}

fn i32s(name: &'static str, dims: &[usize], v: &[i32], bulk: bool) -> Baked {
    baked(name, Dtype::I32, dims, v, bulk, |x| x.to_le_bytes().to_vec())
}

fn f32s(name: &'static str, dims: &[usize], v: &[f32], bulk: bool) -> Baked {
    baked(name, Dtype::F32, dims, v, bulk, |x| x.to_le_bytes().to_vec())
}

/// What a stand-in does with its setting: the tensors the layer stores.
trait Sink {
    fn set(&mut self, setting: &Setting<'_>) -> Result<Vec<Baked>, QuantError>;
}

/// A layer whose `set` does not depend on its sizes, set as itself.
struct Real<T>(T);

impl<T: Operator + Tensors> Sink for Real<T> {
    fn set(&mut self, setting: &Setting<'_>) -> Result<Vec<Baked>, QuantError> {
        self.0.set(setting)?;
        let mut out = Vec::new();
        self.0.tensors(&mut |t: Tensor<'_>| {
            let mut bytes = Vec::new();
            t.value.extend_le_bytes(&mut bytes);
            out.push(Baked {
                name: t.name,
                dtype: t.value.dtype(),
                dims: t.layout.dims().to_vec(),
                bytes,
                bulk: false,
            });
        });
        Ok(out)
    }
}

/// An int8 convolution of `cout` filters of `filter` dimensions `[FC,
/// KH, KW]`.
struct Conv {
    cout: usize,
    filter: [usize; 3],
}

impl Sink for Conv {
    fn set(&mut self, setting: &Setting<'_>) -> Result<Vec<Baked>, QuantError> {
        let Setting::Weighted(s) = setting else {
            return Err(setting.refused("int8 convolution"));
        };
        let n = self.cout;
        let (mut weight_scale, mut multiplier, mut shift, mut bias) =
            (vec![0.0; n], vec![0; n], vec![0; n], vec![0; n]);
        let out = ChannelsMut {
            weight_scale: &mut weight_scale,
            multiplier: &mut multiplier,
            shift: &mut shift,
            bias: &mut bias,
        };
        let clamp = params::prepare_channels(s, n * self.filter.iter().product::<usize>(), out)?;
        let [fc, kh, kw] = self.filter;
        Ok(vec![
            i8s("W", &[n, fc, kh, kw], s.weights),
            i32s("b", &[n], &bias, true),
            f32s("weight_scale", &[n], &weight_scale, true),
            f32s("scales", &[2], &[s.input.scale, s.output.scale], false),
            i32s("zero_points", &[2], &[s.input.zero_point, s.output.zero_point], false),
            i32s("clamp", &[2], &clamp, false),
            i32s("multiplier", &[n], &multiplier, true),
            i32s("shift", &[n], &shift, true),
        ])
    }
}

/// An int8 fully connected layer of `units` outputs reading rows `input`.
struct Affine {
    units: usize,
    input: Vec<usize>,
}

impl Sink for Affine {
    fn set(&mut self, setting: &Setting<'_>) -> Result<Vec<Baked>, QuantError> {
        let Setting::Weighted(s) = setting else {
            return Err(setting.refused("int8::Affine"));
        };
        let n = self.units;
        let (mut weight_scale, mut multiplier, mut shift, mut bias) =
            (vec![0.0; n], vec![0; n], vec![0; n], vec![0; n]);
        let mut double = vec![[0; 3]; n];
        let out = AffineMut {
            weight_scale: &mut weight_scale,
            multiplier: &mut multiplier,
            shift: &mut shift,
            double_multiplier: &mut double,
            bias: &mut bias,
        };
        let fixed = affine::prepare(s, self.input.iter().product(), out)?;
        let mut w_dims = vec![n];
        w_dims.extend(&self.input);
        Ok(vec![
            i8s("W", &w_dims, s.weights),
            i32s("b", &[n], &bias, true),
            f32s("weight_scale", &[n], &weight_scale, true),
            f32s("scales", &[2], &fixed.scales, false),
            i32s("zero_points", &[3], &fixed.zero_points, false),
            i32s("clamp", &[2], &fixed.clamp, false),
            i32s("multiplier", &[n], &multiplier, true),
            i32s("shift", &[n], &shift, true),
            i32s("double_multiplier", &[n, 3], double.as_flattened(), true),
            i32s("requantize", &[1], &fixed.requantize, false),
        ])
    }
}

/// A float fully connected layer: weights `[IN…, OUT]` as the loader
/// writes them, biases `[OUT]`.
struct FloatAffine {
    units: usize,
    input: Vec<usize>,
}

impl Sink for FloatAffine {
    fn set(&mut self, setting: &Setting<'_>) -> Result<Vec<Baked>, QuantError> {
        let Setting::Float { weights, bias } = setting else {
            return Err(setting.refused("Affine"));
        };
        let inputs: usize = self.input.iter().product();
        crate::quant::check_len("weights", inputs * self.units, weights.len())?;
        crate::quant::check_len("bias", self.units, bias.len())?;
        let mut dims = self.input.clone();
        dims.push(self.units);
        Ok(vec![
            f32s("W", &dims, weights, true),
            f32s("b", &[self.units], bias, true),
        ])
    }
}

/// typenet's dimensions of rows.
fn dims(d: Dims) -> Vec<usize> {
    match d {
        Dims::Image { c, h, w } => vec![c, h, w],
        Dims::Flat(n) => vec![n],
    }
}

/// A layer's stand-in: its name and rows, and its operator.
struct Recorder {
    name: &'static str,
    input: Vec<usize>,
    output: Vec<usize>,
    op: Stage,
}

/// What the typed layer reports to the loader, its sink, and what the
/// sink made of the setting.
struct Stage {
    info: Op,
    sink: Box<dyn Sink>,
    baked: Vec<Baked>,
}

impl Operator for Stage {
    fn op(&self) -> Op {
        self.info
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        self.baked = self.sink.set(setting)?;
        Ok(())
    }
}

impl Recorder {
    fn of(layer: &Layer) -> Self {
        let (name, sink): (&'static str, Box<dyn Sink>) = match layer.kind {
            Kind::Conv {
                cin,
                cout,
                kernel: (kh, kw),
                multiplier,
                ..
            } => {
                let fc = if multiplier.is_some() { 1 } else { cin };
                let name = if multiplier.is_some() {
                    "int8::DepthwiseConv2d"
                } else {
                    "int8::Conv2d"
                };
                (
                    name,
                    Box::new(Conv {
                        cout,
                        filter: [fc, kh, kw],
                    }),
                )
            }
            Kind::Pool { max: true, .. } => ("int8::MaxPool2d", Box::new(Real(MaxPool2d::<1, 1>::default()))),
            Kind::Pool { max: false, .. } => ("int8::AvgPool2d", Box::new(Real(AvgPool2d::<1, 1>::default()))),
            Kind::GlobalAvgPool => ("int8::GlobalAvgPool", Box::new(Real(GlobalAvgPool::default()))),
            Kind::Affine(units) if layer.scalar == Scalar::I8 => (
                "int8::Affine",
                Box::new(Affine {
                    units,
                    input: dims(layer.input),
                }),
            ),
            Kind::Affine(units) => (
                "Affine",
                Box::new(FloatAffine {
                    units,
                    input: dims(layer.input),
                }),
            ),
            Kind::Relu => ("Relu", Box::new(Real(Relu))),
            // a softmax's tensors do not depend on its length
            Kind::Softmax(_) => ("int8::Softmax", Box::new(Real(Softmax::<1>::default()))),
            Kind::Quantize => ("int8::Quantize", Box::new(Real(Quantize::default()))),
            Kind::Dequantize => ("int8::Dequantize", Box::new(Real(Dequantize::default()))),
        };
        Recorder {
            name,
            input: dims(layer.input),
            output: dims(layer.out),
            op: Stage {
                info: layer.info(),
                sink,
                baked: Vec::new(),
            },
        }
    }

    fn add(name: &'static str, input: Dims, output: Dims) -> Self {
        Recorder {
            name,
            input: dims(input),
            output: dims(output),
            op: Stage {
                info: AddQuantized::new().op(),
                sink: Box::new(Real(AddQuantized::new())),
                baked: Vec::new(),
            },
        }
    }
}

/// The graph's items with their stand-ins, and after loading their tensors.
pub(crate) enum Filled {
    /// A layer and its tensors.
    Layer(Layer, Vec<Baked>),
    /// A residual block: its branch and its addition's tensors.
    Residual(Vec<Filled>, Vec<Baked>),
    /// A sum of two branches and its addition's tensors.
    Sum(Vec<Filled>, Vec<Filled>, Vec<Baked>),
}

enum Standin {
    Layer(Layer, Recorder),
    Residual(Vec<Standin>, Recorder),
    Sum(Vec<Standin>, Vec<Standin>, Recorder),
}

/// The rows the first layer of `items` reads.
fn input_of(items: &[Item]) -> Option<Dims> {
    match items.first()? {
        Item::Layer(l) => Some(l.input),
        Item::Residual { inner, .. } => input_of(inner),
        Item::Sum { a, .. } => input_of(a),
    }
}

/// The rows the last layer of `items` writes.
fn output_of(items: &[Item]) -> Option<Dims> {
    match items.last()? {
        Item::Layer(l) => Some(l.out),
        Item::Residual { inner, .. } => output_of(inner),
        Item::Sum { a, .. } => output_of(a),
    }
}

fn standins(items: &[Item]) -> Vec<Standin> {
    items
        .iter()
        .map(|item| match item {
            Item::Layer(l) => Standin::Layer(l.clone(), Recorder::of(l)),
            Item::Residual { inner, .. } => {
                let x = input_of(inner).unwrap_or(Dims::Flat(0));
                Standin::Residual(standins(inner), Recorder::add("int8::Residual", x, x))
            }
            Item::Sum { a, b, .. } => {
                let (x, y) = (
                    input_of(a).unwrap_or(Dims::Flat(0)),
                    output_of(a).unwrap_or(Dims::Flat(0)),
                );
                Standin::Sum(standins(a), standins(b), Recorder::add("int8::Sum", x, y))
            }
        })
        .collect()
}

fn node(at: Path, r: &mut Recorder) -> Node<'_> {
    Node {
        at,
        name: r.name,
        input: &r.input,
        output: &r.output,
        op: &mut r.op,
    }
}

fn visit(items: &mut [Standin], at: Path, f: &mut dyn FnMut(Visit<'_>)) {
    for (i, item) in items.iter_mut().enumerate() {
        let at = at.child(i);
        match item {
            Standin::Layer(_, r) => f(Visit::Layer(node(at, r))),
            Standin::Residual(inner, add) => {
                f(Visit::Fork);
                visit(inner, at, f);
                f(Visit::Merge(node(at, add)));
            }
            Standin::Sum(a, b, add) => {
                f(Visit::Fork);
                visit(a, at.child(0), f);
                f(Visit::Switch);
                visit(b, at.child(1), f);
                f(Visit::Merge(node(at, add)));
            }
        }
    }
}

fn filled(items: Vec<Standin>) -> Vec<Filled> {
    items
        .into_iter()
        .map(|item| match item {
            Standin::Layer(l, r) => Filled::Layer(l, r.op.baked),
            Standin::Residual(inner, add) => Filled::Residual(filled(inner), add.op.baked),
            Standin::Sum(a, b, add) => Filled::Sum(filled(a), filled(b), add.op.baked),
        })
        .collect()
}

/// The walked graph as the loader sees a net: its operators in order.
struct Net(Vec<Standin>);

impl Tensors for Net {
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, _: Path, _: &mut V) {}

    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, _: Path, _: &mut V) {}
}

// the loader only walks the operators; the row type is not read
impl Operators<[i8; 1]> for Net {
    fn operators(&mut self, at: Path, f: &mut dyn FnMut(Visit<'_>)) {
        visit(&mut self.0, at, f)
    }
}

/// The tensors `from_tflite_bytes` stores in each layer of `items`, a
/// walk of the model `bytes` holds.
pub(crate) fn fill(items: &[Item], bytes: &[u8]) -> Result<Vec<Filled>, ModelError> {
    let mut net = Net(standins(items));
    crate::io::from_tflite_bytes::<[i8; 1], _>(&mut net, bytes)?;
    Ok(filled(net.0))
}
