//! The main graph as a tree of typenet layers, found by following tensors
//! from the graph's input: each operator reads the tensor the one before
//! wrote; a tensor read by two operators forks into two branches that
//! must meet again at an ADD.

use super::super::{BuiltinOperator as B, Model, Operator, Subgraph};
use super::layers::{Dims, Layer, Scalar};
use super::operators;
use crate::io::error::{ModelError, ModelErrorKind};

/// Forks nested deeper than this are refused (no real model comes near).
const MAX_DEPTH: usize = 64;

/// One element of a chain of layers.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// One layer (a float operator's fused ReLU is a second one).
    Layer(Layer),
    /// `x + inner(x)`: one branch of the fork is the identity.
    Residual { inner: Vec<Item>, add: usize },
    /// `a(x) + b(x)`: `a` is the branch whose first operator comes first.
    Sum { a: Vec<Item>, b: Vec<Item>, add: usize },
}

/// The graph as typenet layers.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    /// The rows it reads (TFLite's input tensor, batch 1).
    pub input: Dims,
    /// Their element type.
    pub input_scalar: Scalar,
    /// The layers in order.
    pub items: Vec<Item>,
    /// The rows it writes.
    pub output: Dims,
    /// Their element type.
    pub output_scalar: Scalar,
}

/// An error at operator `index` of `graph`.
pub(crate) fn op_error(graph: &Subgraph<'_>, index: usize, message: impl Into<String>) -> ModelError {
    let operator = graph
        .operators
        .get(index)
        .map(|op| op.builtin.to_string())
        .unwrap_or_default();
    ModelError::new(ModelErrorKind::Operator {
        index,
        operator,
        layer: String::new(),
        message: message.into(),
    })
}

/// An error about the graph as a whole.
fn graph_error(message: impl Into<String>) -> ModelError {
    ModelError::new(ModelErrorKind::Layout(message.into()))
}

/// Walks `model`'s main graph into typenet layers.
pub(crate) fn walk(model: &Model<'_>) -> Result<Graph, ModelError> {
    let Some(graph) = model.subgraphs.first() else {
        return Err(graph_error("the model has no graph"));
    };
    let ([input], [output]) = (graph.inputs.as_slice(), graph.outputs.as_slice()) else {
        return Err(graph_error(format!(
            "the main graph has {} inputs and {} outputs; a typenet net has one of each",
            graph.inputs.len(),
            graph.outputs.len()
        )));
    };
    check_indices(model, graph)?;
    let mut walk = Walk::new(model, graph)?;
    let (input_dims, input_scalar) = operators::rows_of(&graph.tensors[*input])
        .map_err(|m| graph_error(format!("the graph's input tensor {input}: {m}")))?;
    let start = walk.alias[*input];
    let end = walk.chain(start, input_dims, input_scalar, 0, false)?;
    let (items, t, dims, scalar) = (end.items, end.tensor, end.dims, end.scalar);
    if let Some(add) = end.add {
        return Err(op_error(graph, add, "adds tensors that do not fork from one tensor"));
    }
    if t != walk.alias[*output] {
        return Err(graph_error(format!(
            "the layers from the input end at tensor {t}, the graph's output is tensor {output}"
        )));
    }
    if let Some(k) = (0..graph.operators.len()).find(|&k| !walk.used[k] && !walk.reshape(k)) {
        return Err(op_error(
            graph,
            k,
            "is not on the path from the graph's input to its output",
        ));
    }
    // load_tflite fills the layers with the operators in the file's order
    let mut order = Vec::new();
    flatten(&items, &mut order);
    let file: Vec<usize> = (0..graph.operators.len()).filter(|&k| !walk.reshape(k)).collect();
    if let Some(k) = order.iter().zip(&file).find(|(a, b)| a != b).map(|(_, b)| *b) {
        return Err(op_error(
            graph,
            k,
            "comes before an operator of another branch it runs after in typenet: the file's operators interleave two branches",
        ));
    }
    Ok(Graph {
        input: input_dims,
        input_scalar,
        items,
        output: dims,
        output_scalar: scalar,
    })
}

/// Checks every tensor and buffer index of `graph` (the reader checks a
/// file's, a model built in code may hold any).
fn check_indices(model: &Model<'_>, graph: &Subgraph<'_>) -> Result<(), ModelError> {
    let n = graph.tensors.len();
    if let Some(t) = graph.inputs.iter().chain(&graph.outputs).find(|&&t| t >= n) {
        return Err(graph_error(format!("the graph names tensor {t}, it has {n}")));
    }
    for (k, op) in graph.operators.iter().enumerate() {
        if let Some(t) = op.inputs.iter().flatten().chain(&op.outputs).find(|&&t| t >= n) {
            return Err(op_error(graph, k, format!("names tensor {t}, the graph has {n}")));
        }
    }
    if let Some((t, tensor)) = graph
        .tensors
        .iter()
        .enumerate()
        .find(|(_, x)| x.buffer >= model.buffers.len())
    {
        return Err(graph_error(format!(
            "tensor {t} names buffer {}, the model has {}",
            tensor.buffer,
            model.buffers.len()
        )));
    }
    Ok(())
}

/// The operators of `items` in the order the loader reads them.
fn flatten(items: &[Item], order: &mut Vec<usize>) {
    for item in items {
        match item {
            Item::Layer(l) => {
                if order.last() != Some(&l.op) {
                    order.push(l.op);
                }
            }
            Item::Residual { inner, add } => {
                flatten(inner, order);
                order.push(*add);
            }
            Item::Sum { a, b, add } => {
                flatten(a, order);
                flatten(b, order);
                order.push(*add);
            }
        }
    }
}

/// Where a chain of layers ended: its tensor, rows, and the ADD that
/// reads it, when a branch reaches one.
struct End {
    items: Vec<Item>,
    tensor: usize,
    dims: Dims,
    scalar: Scalar,
    add: Option<usize>,
}

struct Walk<'m, 'a> {
    model: &'m Model<'a>,
    graph: &'m Subgraph<'a>,
    /// Each tensor's source past RESHAPE and SQUEEZE.
    alias: Vec<usize>,
    /// The operators reading each (source) tensor as data.
    readers: Vec<Vec<usize>>,
    used: Vec<bool>,
}

impl<'m, 'a> Walk<'m, 'a> {
    fn new(model: &'m Model<'a>, graph: &'m Subgraph<'a>) -> Result<Self, ModelError> {
        let n = graph.tensors.len();
        let mut from: Vec<Option<usize>> = vec![None; n];
        for (k, op) in graph.operators.iter().enumerate() {
            if is_reshape(op) {
                let (Some(Some(x)), Some(&y)) = (op.inputs.first(), op.outputs.first()) else {
                    return Err(op_error(graph, k, "has no input or output"));
                };
                if operators::elements(&graph.tensors[*x])
                    .is_none_or(|n| Some(n) != operators::elements(&graph.tensors[y]))
                {
                    return Err(op_error(
                        graph,
                        k,
                        format!(
                            "changes the number of elements ({:?} to {:?})",
                            graph.tensors[*x].shape, graph.tensors[y].shape
                        ),
                    ));
                }
                if from[y].replace(*x).is_some() {
                    return Err(op_error(
                        graph,
                        k,
                        format!("writes tensor {y}, which another operator writes"),
                    ));
                }
            }
        }
        // a chain of reshapes longer than the graph's operators is a cycle
        let mut alias = Vec::with_capacity(n);
        for t in 0..n {
            let mut s = t;
            let mut steps = 0;
            while let Some(x) = from[s] {
                s = x;
                steps += 1;
                if steps > graph.operators.len() {
                    return Err(graph_error(format!("tensor {t} is reshaped from itself: a cycle")));
                }
            }
            alias.push(s);
        }
        let mut readers = vec![Vec::new(); n];
        for (k, op) in graph.operators.iter().enumerate() {
            if is_reshape(op) {
                continue;
            }
            let data = if op.builtin == B::ADD { 2 } else { 1 };
            for x in op.inputs.iter().take(data).flatten() {
                readers[alias[*x]].push(k);
            }
        }
        Ok(Walk {
            model,
            graph,
            alias,
            readers,
            used: vec![false; graph.operators.len()],
        })
    }

    fn reshape(&self, k: usize) -> bool {
        is_reshape(&self.graph.operators[k])
    }

    fn is_add(&self, k: usize) -> bool {
        self.graph.operators[k].builtin == B::ADD
    }

    /// The source of operator `k`'s output.
    fn output(&self, k: usize) -> Result<usize, ModelError> {
        match self.graph.operators[k].outputs.as_slice() {
            [y] => Ok(self.alias[*y]),
            other => Err(op_error(self.graph, k, format!("has {} outputs", other.len()))),
        }
    }

    /// Marks operator `k` walked; a second visit is a cycle.
    fn take(&mut self, k: usize) -> Result<(), ModelError> {
        if std::mem::replace(&mut self.used[k], true) {
            return Err(op_error(self.graph, k, "is reached twice: the graph has a cycle"));
        }
        Ok(())
    }

    /// The layers from tensor `t` on, until the graph's end or (in a
    /// branch) the ADD that ends it.
    fn chain(
        &mut self,
        mut t: usize,
        mut dims: Dims,
        mut scalar: Scalar,
        depth: usize,
        branch: bool,
    ) -> Result<End, ModelError> {
        let mut items = Vec::new();
        loop {
            let readers = self.readers[t].clone();
            match readers.as_slice() {
                [] => break,
                [k] if self.is_add(*k) => {
                    if branch {
                        return Ok(End {
                            items,
                            tensor: t,
                            dims,
                            scalar,
                            add: Some(*k),
                        });
                    }
                    return Err(op_error(
                        self.graph,
                        *k,
                        "adds tensors that do not fork from one tensor",
                    ));
                }
                [k] => {
                    let k = *k;
                    (dims, scalar) = self.layer(k, dims, scalar, &mut items)?;
                    t = self.output(k)?;
                }
                [a, b] if a == b => {
                    return Err(op_error(
                        self.graph,
                        *a,
                        "reads one tensor twice (x + x); typenet's blocks add two branches",
                    ));
                }
                [a, b] => {
                    if depth >= MAX_DEPTH {
                        return Err(op_error(
                            self.graph,
                            *a,
                            format!("forks nested more than {MAX_DEPTH} deep"),
                        ));
                    }
                    let (first, second) = (
                        self.branch(*a, dims, scalar, depth)?,
                        self.branch(*b, dims, scalar, depth)?,
                    );
                    let (item, add, out) = self.join(t, first, second, *a, *b)?;
                    items.push(item);
                    self.take(add)?;
                    operators::check_add(self.graph, add, out)?;
                    dims = out;
                    t = self.output(add)?;
                }
                many => {
                    return Err(op_error(
                        self.graph,
                        many[2],
                        format!(
                            "is the third operator reading tensor {t} (operators {many:?} read it); typenet's blocks fork in two"
                        ),
                    ));
                }
            }
        }
        Ok(End {
            items,
            tensor: t,
            dims,
            scalar,
            add: None,
        })
    }

    /// Operator `k` as a layer (or two) of `items`: its rows after it.
    fn layer(
        &mut self,
        k: usize,
        dims: Dims,
        scalar: Scalar,
        items: &mut Vec<Item>,
    ) -> Result<(Dims, Scalar), ModelError> {
        self.take(k)?;
        let out = operators::layer(self.model, self.graph, k, dims, scalar)?;
        let next = (
            out.last().map_or(dims, |l| l.out),
            out.last().map_or(scalar, |l| l.scalar),
        );
        items.extend(out.into_iter().map(Item::Layer));
        Ok(next)
    }

    /// A fork's branch starting at reader `k`: empty if `k` is the ADD.
    fn branch(&mut self, k: usize, dims: Dims, scalar: Scalar, depth: usize) -> Result<End, ModelError> {
        if self.is_add(k) {
            return Ok(End {
                items: Vec::new(),
                tensor: usize::MAX,
                dims,
                scalar,
                add: Some(k),
            });
        }
        let mut items = Vec::new();
        let (dims, scalar) = self.layer(k, dims, scalar, &mut items)?;
        let t = self.output(k)?;
        let mut end = self.chain(t, dims, scalar, depth + 1, true)?;
        items.append(&mut end.items);
        end.items = items;
        Ok(end)
    }

    /// The block two branches of tensor `t` form, and the ADD they meet at.
    fn join(&self, t: usize, first: End, second: End, a: usize, b: usize) -> Result<(Item, usize, Dims), ModelError> {
        let (Some(add_a), Some(add_b)) = (first.add, second.add) else {
            let k = if first.add.is_none() { a } else { b };
            return Err(op_error(
                self.graph,
                k,
                format!(
                    "starts a branch from tensor {t} that reaches the graph's end without meeting the other at an ADD"
                ),
            ));
        };
        if add_a != add_b {
            return Err(op_error(
                self.graph,
                add_b,
                format!(
                    "ends a branch from tensor {t} whose other branch ends at operator {add_a}; the branches must meet at one ADD"
                ),
            ));
        }
        let end = |e: &End| if e.items.is_empty() { t } else { e.tensor };
        let ends = [end(&first), end(&second)];
        let op = &self.graph.operators[add_a];
        let inputs: Vec<usize> = op.inputs.iter().take(2).flatten().map(|&x| self.alias[x]).collect();
        if !(inputs == ends || inputs == [ends[1], ends[0]]) {
            return Err(op_error(
                self.graph,
                add_a,
                format!("adds tensors {inputs:?}, not the ends of the branches from tensor {t} ({ends:?})"),
            ));
        }
        if first.dims != second.dims || first.scalar != Scalar::I8 || second.scalar != Scalar::I8 {
            return Err(op_error(
                self.graph,
                add_a,
                format!(
                    "adds {} rows to {} rows; typenet adds int8 rows of one shape",
                    first.dims.describe(first.scalar),
                    second.dims.describe(second.scalar)
                ),
            ));
        }
        let out = first.dims;
        let item = match (first.items.is_empty(), second.items.is_empty()) {
            (true, true) => {
                return Err(op_error(self.graph, add_a, format!("adds tensor {t} to itself")));
            }
            (true, false) => Item::Residual {
                inner: second.items,
                add: add_a,
            },
            (false, true) => Item::Residual {
                inner: first.items,
                add: add_a,
            },
            (false, false) => {
                // the branch whose first operator the file runs first is `a`
                let (x, y) = if a < b { (first, second) } else { (second, first) };
                Item::Sum {
                    a: x.items,
                    b: y.items,
                    add: add_a,
                }
            }
        };
        Ok((item, add_a, out))
    }
}

fn is_reshape(op: &Operator) -> bool {
    op.builtin == B::RESHAPE || op.builtin == B::SQUEEZE
}
