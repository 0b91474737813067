//! The loaded tensors written as a `static` net: the net's type with
//! `Frozen` storage, a weights file of the bulky tensors, and the layers'
//! `const fn frozen` constructors over them.

use std::fmt::Write;

use super::bake::{Baked, Filled};
use super::graph::Graph;
use super::layers::{Kind, Layer, Scalar};
use super::source;
use crate::Dtype;
use crate::io::rust_source::array_type;

/// The weights file's fields: name, Rust type, bytes.
struct Fields {
    /// 4-byte elements, written first (so the `repr(C)` struct has no padding).
    wide: Vec<(String, String, Vec<u8>)>,
    /// 1-byte elements.
    narrow: Vec<(String, String, Vec<u8>)>,
}

/// A tensor as an argument: a field of the weights, or a literal.
fn argument(t: &Baked, field: &str, fields: &mut Fields) -> String {
    if t.bulk {
        let ty = array_type(t.dtype.rust_name(), &t.dims);
        let entry = (field.to_string(), ty, t.bytes.clone());
        if t.dtype.size() == 1 {
            fields.narrow.push(entry);
        } else {
            fields.wide.push(entry);
        }
        return format!("WEIGHTS.{field}");
    }
    let values: Vec<String> = match t.dtype {
        Dtype::I8 => t.bytes.iter().map(|&b| (b as i8).to_string()).collect(),
        Dtype::I32 => t
            .bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string())
            .collect(),
        _ => t
            .bytes
            .chunks_exact(4)
            .map(|c| format!("{:?}", f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
    };
    format!("[{}]", values.join(", "))
}

fn arguments(tensors: &[Baked], prefix: &str, fields: &mut Fields) -> String {
    let args: Vec<String> = tensors
        .iter()
        .map(|t| argument(t, &format!("{prefix}_{}", t.name.to_lowercase()), fields))
        .collect();
    args.join(", ")
}

/// The constructor of a layer's baked form.
fn constructor(l: &Layer) -> &'static str {
    match l.kind {
        Kind::Conv { multiplier: None, .. } => "int8::Conv2d::frozen",
        Kind::Conv { .. } => "int8::DepthwiseConv2d::frozen",
        Kind::Pool { max: true, .. } => "int8::MaxPool2d::frozen",
        Kind::Pool { max: false, .. } => "int8::AvgPool2d::frozen",
        Kind::GlobalAvgPool => "int8::GlobalAvgPool::frozen",
        Kind::Affine(_) if l.scalar == Scalar::I8 => "int8::Affine::frozen",
        Kind::Affine(_) => "typenet::Affine::frozen",
        Kind::Relu => "typenet::Relu",
        Kind::Softmax(_) => "int8::Softmax::frozen",
        Kind::Quantize => "int8::Quantize::frozen",
        Kind::Dequantize => "int8::Dequantize::frozen",
    }
}

/// The expressions of `items`, one a line at `indent`.
fn expressions(out: &mut String, items: &[Filled], indent: usize, fields: &mut Fields) {
    let pad = "    ".repeat(indent);
    for item in items {
        match item {
            Filled::Layer(l, _) if l.kind == Kind::Relu => {
                let _ = writeln!(out, "{pad}typenet::Relu,");
            }
            Filled::Layer(l, tensors) => {
                let args = arguments(tensors, &format!("op{}", l.op), fields);
                let _ = writeln!(out, "{pad}{}({args}),", constructor(l));
            }
            Filled::Residual(inner, add) => {
                let _ = writeln!(out, "{pad}int8::Residual::frozen(");
                chain(out, inner, indent + 1, fields);
                add_expression(out, add, first_op(inner), indent + 1, fields);
                let _ = writeln!(out, "{pad}),");
            }
            Filled::Sum(a, b, add) => {
                let _ = writeln!(out, "{pad}int8::Sum::frozen(");
                chain(out, a, indent + 1, fields);
                chain(out, b, indent + 1, fields);
                add_expression(out, add, first_op(a), indent + 1, fields);
                let _ = writeln!(out, "{pad}),");
            }
        }
    }
}

/// A branch: one layer as itself, more as a `chain!`.
fn chain(out: &mut String, items: &[Filled], indent: usize, fields: &mut Fields) {
    if let [Filled::Layer(..)] = items {
        expressions(out, items, indent, fields);
        return;
    }
    let pad = "    ".repeat(indent);
    let _ = writeln!(out, "{pad}typenet::chain![");
    expressions(out, items, indent + 1, fields);
    let _ = writeln!(out, "{pad}],");
}

fn add_expression(out: &mut String, add: &[Baked], block: usize, indent: usize, fields: &mut Fields) {
    let pad = "    ".repeat(indent);
    let args = arguments(add, &format!("block{block}"), fields);
    let _ = writeln!(out, "{pad}int8::AddQuantized::frozen({args}),");
}

fn first_op(items: &[Filled]) -> usize {
    match items.first() {
        Some(Filled::Layer(l, _)) => l.op,
        Some(Filled::Residual(inner, _)) => first_op(inner),
        Some(Filled::Sum(a, ..)) => first_op(a),
        None => 0,
    }
}

/// The baked section of the source for `graph`, whose layers hold
/// `filled`, and the weights file it includes as `weights_file`.
pub(crate) fn write(graph: &Graph, filled: &[Filled], weights_file: &str) -> (String, Vec<u8>) {
    let mut fields = Fields {
        wide: Vec::new(),
        narrow: Vec::new(),
    };
    let mut net = String::new();
    expressions(&mut net, filled, 1, &mut fields);
    let mut bytes = Vec::new();
    let mut declared = String::new();
    for (name, ty, data) in fields.wide.iter().chain(&fields.narrow) {
        let _ = writeln!(declared, "    {name}: {ty},");
        bytes.extend_from_slice(data);
    }
    // the struct's size is a multiple of its alignment, 4
    let pad = bytes.len().next_multiple_of(4) - bytes.len();
    if pad > 0 {
        let _ = writeln!(declared, "    _end: [u8; {pad}],");
        bytes.resize(bytes.len() + pad, 0);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "
/// The net as baked: the same layers, their weights in `Frozen` storage.
pub type NetFrozen = typenet::Chain!["
    );
    source::items(&mut out, &graph.items, 1, true);
    let _ = write!(
        out,
        "];

/// The weights and per-channel quantization of every layer, as the
/// weights file holds them (little-endian).
#[repr(C)]
struct Weights {{
{declared}}}

const _: () = assert!(cfg!(target_endian = \"little\"), \"the weights file is little-endian\");

// SAFETY: `Weights` is `repr(C)` over arrays of `i32`, `f32` and `i8` (the
// 4-byte ones first: no padding), of exactly the file's {len} bytes (a
// transmute between types of two sizes does not compile); every bit
// pattern is a valid `i8`, `i32` and `f32`.
const WEIGHTS: Weights = unsafe {{ core::mem::transmute::<[u8; {len}], Weights>(*include_bytes!({file:?})) }};

/// The net with the weights of the file it was written from, a `static`:
/// no file to read, no heap.
pub static NET: NetFrozen = typenet::chain![
{net}];

/// [`NET`]'s output for one input, its rows on the stack (every
/// intermediate row of the net at once): no heap.
pub fn scores(x: &Input) -> Output {{
    let mut y = typenet::Batch::<Output, typenet::Const<1>>::default();
    <NetFrozen as typenet::Layer<Input>>::infer(&NET, typenet::Batch::one(x), &mut y);
    y[0]
}}
",
        len = bytes.len(),
        file = weights_file,
    );
    out.push_str(&source::one_sample(graph, "", ""));
    (out, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tensors_are_literals_and_bulky_ones_fields() {
        let mut fields = Fields {
            wide: Vec::new(),
            narrow: Vec::new(),
        };
        let t = |dtype, bytes: Vec<u8>, bulk| Baked {
            name: "x",
            dtype,
            dims: vec![bytes.len() / dtype.size()],
            bytes,
            bulk,
        };
        let scales = t(
            Dtype::F32,
            [0.5f32, 1.0].iter().flat_map(|v| v.to_le_bytes()).collect(),
            false,
        );
        assert_eq!(argument(&scales, "op0_scales", &mut fields), "[0.5, 1.0]");
        let clamp = t(
            Dtype::I32,
            [-128i32, 127].iter().flat_map(|v| v.to_le_bytes()).collect(),
            false,
        );
        assert_eq!(argument(&clamp, "op0_clamp", &mut fields), "[-128, 127]");
        let w = t(Dtype::I8, vec![1, 255, 3], true);
        assert_eq!(argument(&w, "op0_w", &mut fields), "WEIGHTS.op0_w");
        assert_eq!(
            fields.narrow,
            [("op0_w".to_string(), "[i8; 3]".to_string(), vec![1, 255, 3])]
        );
        assert!(fields.wide.is_empty());
    }
}
