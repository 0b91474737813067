//! The walked graph written as Rust: the net's type and its entry points.

use std::fmt::Write;

use super::graph::{Graph, Item};
use super::layers::{Dims, Kind, Scalar};

/// Writes `items` as the elements of a `Net!` or `Chain!`, one a line at
/// `indent`, each with a comment naming its operators and output.
pub(crate) fn items(out: &mut String, items: &[Item], indent: usize, frozen: bool) {
    for item in items {
        element(out, item, indent, frozen);
    }
}

/// The operators an item covers and the rows it writes.
fn span(item: &Item) -> (usize, usize, Option<Dims>) {
    match item {
        Item::Layer(l) => (l.op, l.op, Some(l.out)),
        Item::Residual { inner, add } => (span(&inner[0]).0, *add, inner.last().and_then(|i| span(i).2)),
        Item::Sum { a, add, .. } => (span(&a[0]).0, *add, a.last().and_then(|i| span(i).2)),
    }
}

fn comment(item: &Item) -> String {
    let (first, last, dims) = span(item);
    let ops = if first == last {
        format!("operator {first}")
    } else {
        format!("operators {first}–{last}")
    };
    match dims {
        Some(Dims::Image { c, h, w }) => format!("{ops}: {c} × {h} × {w}"),
        Some(Dims::Flat(n)) => format!("{ops}: {n}"),
        None => ops,
    }
}

/// A branch: one layer as itself, more as a `Chain!`.
fn branch(out: &mut String, branch: &[Item], indent: usize, frozen: bool) {
    let pad = "    ".repeat(indent);
    if let [Item::Layer(l)] = branch {
        let _ = writeln!(out, "{pad}{}, // {}", l.ty(frozen), comment(&branch[0]));
        return;
    }
    let _ = writeln!(out, "{pad}typenet::Chain![");
    items(out, branch, indent + 1, frozen);
    let _ = writeln!(out, "{pad}],");
}

fn element(out: &mut String, item: &Item, indent: usize, frozen: bool) {
    let pad = "    ".repeat(indent);
    match item {
        Item::Layer(l) => {
            let _ = writeln!(out, "{pad}{}, // {}", l.ty(frozen), comment(item));
        }
        Item::Residual { inner, .. } => {
            let _ = writeln!(out, "{pad}int8::Residual<typenet::Chain![ // {}", comment(item));
            items(out, inner, indent + 1, frozen);
            let _ = writeln!(out, "{pad}]>,");
        }
        Item::Sum { a, b, .. } => {
            let _ = writeln!(out, "{pad}int8::Sum< // {}", comment(item));
            branch(out, a, indent + 1, frozen);
            branch(out, b, indent + 1, frozen);
            let _ = writeln!(out, "{pad}>,");
        }
    }
}

/// The empty net to load into: `Net::default()`, or for a net with
/// float layers (which have no default) the chain of their `zeros`.
fn zeros(graph: &Graph) -> String {
    let inits: Vec<&str> = graph
        .items
        .iter()
        .map(|item| match item {
            Item::Layer(l) if l.kind == Kind::Affine(l.out.values()) && l.scalar == Scalar::F32 => {
                "typenet::Affine::zeros()"
            }
            Item::Layer(l) if l.kind == Kind::Relu => "typenet::Relu",
            _ => "Default::default()",
        })
        .collect();
    if inits.iter().all(|&i| i == "Default::default()") {
        return " = Net::default()".into();
    }
    let mut out = String::from(": Net = typenet::chain![\n");
    for (k, init) in inits.iter().enumerate() {
        match graph.input {
            Dims::Image { .. } if k == 0 => {
                let _ = writeln!(out, "        typenet::Input::new().then({init}),");
            }
            _ => {
                let _ = writeln!(out, "        {init},");
            }
        }
    }
    out.push_str("    ]");
    out
}

/// Whether the last layer is an int8 softmax.
fn ends_in_softmax(items: &[Item]) -> bool {
    matches!(items.last(), Some(Item::Layer(l)) if matches!(l.kind, Kind::Softmax(_)))
}

/// How the written net gets its weights.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weights {
    /// `load(bytes)` from the `.tflite` file, one-sample calls on the heap.
    Loaded,
    /// A `static NET` (written after this), one-sample calls on the stack:
    /// nothing that needs `std` or a heap.
    Baked,
}

/// The file for `graph` up to its weights, read from a model described as
/// `about`: the net's type, its rows and their sizes, `row`, and (loaded)
/// `load` and the one-sample calls.
pub(crate) fn write(graph: &Graph, about: &str, weights: Weights) -> String {
    let mut net = String::new();
    let input = graph.input.row_type(graph.input_scalar);
    let output = graph.output.row_type(graph.output_scalar);
    match graph.input {
        Dims::Image { .. } => {
            let _ = writeln!(net, "pub type Net = typenet::Net![\n    {input} =>");
        }
        Dims::Flat(_) => {
            let _ = writeln!(net, "pub type Net = typenet::Chain![");
        }
    }
    items(&mut net, &graph.items, 1, false);
    net.push_str("];\n");

    let mut uses = Vec::new();
    if net.contains("int8::") {
        uses.push(if net.contains(", Same>") {
            "use typenet::int8::{self, Same};"
        } else {
            "use typenet::int8;"
        });
    }
    if net.contains("Image<") || input.contains("Image<") || output.contains("Image<") {
        uses.push("use typenet::Image;");
    }

    let mut out = String::new();
    let (writer, what) = match weights {
        Weights::Loaded => ("rust_source", "typed entry points"),
        Weights::Baked => ("baked_rust_source", "its weights as a static"),
    };
    let _ = writeln!(out, "// A typenet net of the TensorFlow Lite model {about}, written by");
    let _ = writeln!(
        out,
        "// typenet::io::tflite::{writer}: the net's type (the compiler checks the"
    );
    let _ = writeln!(out, "// graph as it checks a hand-written one) and {what}. Write it");
    let _ = writeln!(out, "// again from the model rather than editing it.");
    out.push('\n');
    for u in &uses {
        let _ = writeln!(out, "{u}");
    }
    if !uses.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "/// The net, layer by layer, with the operators of the file each computes."
    );
    out.push_str(&net);
    let nhwc = graph.input.nhwc();
    let _ = write!(
        out,
        "
/// The rows the net reads: one input.
pub type Input = {input};

/// The rows the net writes: one output.
pub type Output = {output};

/// Values per input (TFLite's input tensor is {nhwc:?}).
pub const INPUT: usize = {inputs};

/// Values per output.
pub const OUTPUT: usize = {outputs};
",
        inputs = graph.input.values(),
        outputs = graph.output.values(),
    );
    let scalar = graph.input_scalar.rust();
    match graph.input {
        Dims::Image { c, .. } => {
            let _ = write!(
                out,
                "
/// One input from TFLite's `H × W × C` order (the model's input tensor)
/// to typenet's `C × H × W`; `None` unless `nhwc` holds [`INPUT`] values.
pub fn row(nhwc: &[{scalar}]) -> Option<Input> {{
    if nhwc.len() != INPUT {{
        return None;
    }}
    let mut x = <Input as typenet::Row>::ZERO;
    for (pixel, values) in nhwc.chunks_exact({c}).enumerate() {{
        for (channel, &v) in x.0.iter_mut().zip(values) {{
            channel.as_flattened_mut()[pixel] = v;
        }}
    }}
    Some(x)
}}
"
            );
        }
        Dims::Flat(_) => {
            let _ = write!(
                out,
                "
/// One input from the model's input tensor; `None` unless `values` holds
/// [`INPUT`] values.
pub fn row(values: &[{scalar}]) -> Option<Input> {{
    values.try_into().ok()
}}
"
            );
        }
    }
    if weights == Weights::Loaded {
        let _ = write!(
            out,
            "
/// The net with the weights and quantization of `bytes`, a `.tflite` file
/// of this graph.
pub fn load(bytes: &[u8]) -> Result<Net, typenet::io::ModelError> {{
    let mut net{zeros};
    typenet::io::from_tflite_bytes(&mut net, bytes)?;
    Ok(net)
}}

/// The net's output for one input.
pub fn scores(net: &Net, x: &Input) -> Output {{
    let mut y = typenet::Batch::zeros(1);
    <Net as typenet::Layer<Input>>::infer(net, &typenet::Batch::from_rows(vec![*x]), &mut y);
    y[0]
}}
",
            zeros = zeros(graph),
        );
        out.push_str(&one_sample(graph, "net: &Net, ", "net, "));
    }
    out
}

/// `classify` and (after a softmax) `probabilities` over `scores`, whose
/// parameters before `x` are `params`, called with `args`.
pub(crate) fn one_sample(graph: &Graph, params: &str, args: &str) -> String {
    let mut out = String::new();
    let slice = match graph.output {
        Dims::Image { .. } => format!("typenet::Row::as_slice(&scores({args}x))"),
        Dims::Flat(_) => format!("&scores({args}x)"),
    };
    let _ = write!(
        out,
        "
/// The index of the highest output for one input.
pub fn classify({params}x: &Input) -> usize {{
    typenet::argmax({slice})
}}
"
    );
    if ends_in_softmax(&graph.items) && graph.output_scalar == Scalar::I8 {
        let _ = write!(
            out,
            "
/// The softmax's probabilities for one input (its codes at TFLite's fixed
/// output quantization, scale 1/256 and zero point −128).
pub fn probabilities({params}x: &Input) -> [f32; OUTPUT] {{
    scores({args}x).map(|q| typenet::quant::dequantize(q, typenet::int8::SOFTMAX_OUTPUT))
}}
"
        );
    }
    out
}
