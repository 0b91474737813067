//! What a layer is, for inference: something that maps a batch of input
//! rows to a batch of output rows.

use crate::{Batch, Chain, Const, Fitted, Path, Row, Rows, Tensors};

/// A line of a net's summary: one layer, its input and output shapes and
/// its tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// Position in the net: `3`, or `3.0` inside a block (see [`Path`]).
    pub path: Path,
    /// The layer's kind, e.g. `"Affine"`.
    pub kind: &'static str,
    /// Dimensions of its input rows (`[784]`, or `[1, 28, 28]` for images).
    pub input: &'static [usize],
    /// Dimensions of its output rows.
    pub output: &'static [usize],
    /// Number of trained values.
    pub params: usize,
    /// Number of kept but untrained values (running statistics, a quantized
    /// layer's integer tensors).
    pub buffers: usize,
}

impl LayerInfo {
    /// The line for `layer` at `at`, named after its type, its tensors
    /// counted: what [`Layer::describe`] gives unless a layer says more.
    pub fn of<In: Row, L: Layer<In> + ?Sized>(layer: &L, at: Path) -> LayerInfo {
        let (mut params, mut buffers) = (0, 0);
        layer.visit(at, &mut |t| {
            if t.kind.is_trained() {
                params += t.value.len()
            } else {
                buffers += t.value.len()
            }
        });
        LayerInfo {
            path: at,
            kind: short_type_name::<L>(),
            input: In::DIMS,
            output: L::Out::DIMS,
            params,
            buffers,
        }
    }

    /// Nesting depth: 0 for a layer of the net itself, 1 inside a block.
    pub fn depth(&self) -> usize {
        self.path.depth()
    }
}

/// A layer taking rows `In` (e.g. `[f32; 784]`, or
/// [`Image<f32, 1, 28, 28>`](crate::Image)) to rows [`Layer::Out`], in
/// inference: `&self`, deterministic, keeping nothing between calls, so a
/// trained net is shared by many threads.
///
/// The input row type is a parameter and the output an associated type, so
/// shape-agnostic layers ([`Relu`](crate::Relu)) fit any row while
/// [`Affine`](crate::Affine) fixes both, and a convolution computes its
/// output size from its input's in the type system. Chaining with
/// [`then`](Layer::then) demands `Next: Layer<Self::Out>`, which is what makes
/// a mis-wired net fail to compile where it is built.
///
/// This is all a layer that only infers implements (a quantized layer, a
/// layer with frozen weights), besides its [`Tensors`]; it then chains,
/// summarises, saves, loads and bakes like any other. A layer that trains
/// adds [`Trainable`](crate::Trainable): the training pass and the backward
/// pass.
///
/// # Batches
/// The batches a layer receives have equal row counts when a
/// [`Chain`](struct@crate::Chain) or [`Network`](crate::Network) calls it. A
/// layer makes its output batches as long as its input
/// (`y.set_rows(x.nrows())`, free for `Const` batches) and may check the
/// batches it reads with [`expect_rows`], which names the layer in the
/// message instead of failing deep in a kernel.
///
/// `examples/03_custom_layer.rs` writes a complete layer with a weight, a
/// bias and a buffer; `tests/layer_model.rs` an inference-only one.
#[diagnostic::on_unimplemented(
    message = "layer `{Self}` cannot follow a layer whose output rows are `{In}`",
    label = "this layer does not accept `{In}` rows",
    note = "a layer's input rows must be exactly the previous layer's output rows: the same shape and the same scalar type"
)]
pub trait Layer<In: Row>: Tensors {
    /// The rows this layer outputs.
    type Out: Row;

    /// Room for intermediate results of inference on batches of `R` rows
    /// (the rows between the layers of a chain, a convolution's unfolded
    /// patches): owned by the caller, so evaluating a data set chunk by
    /// chunk allocates nothing after the first chunk. `()` for a layer that
    /// needs none.
    type Scratch<R: Rows>: Default + Send + Sync;

    /// Inference: `y` from `x`, with `scratch` as room for intermediate
    /// results.
    fn infer_with<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<Self::Out, R>, scratch: &mut Self::Scratch<R>);

    /// Inference with fresh scratch room: `y` from `x`.
    #[inline]
    fn infer<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<Self::Out, R>) {
        self.infer_with(x, y, &mut Self::Scratch::default())
    }

    /// Calls `f` with a [`LayerInfo`] for this layer at `at` (each layer,
    /// for a chain or a block). The default names the layer after its type
    /// and counts its tensors.
    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo::of::<In, Self>(self, at))
    }

    /// This layer followed by `next`: the chain `Chain<Self, L>` (written
    /// as a [`Fitted`] one, so that a layer that does not fit is reported
    /// once). Compiles only if `next` accepts this layer's output rows.
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// let net = Affine::<[f32; 4], 8>::zeros()
    ///     .then(Relu)
    ///     .then(Affine::<[f32; 8], 3>::zeros())
    ///     .then(SoftmaxWithLoss::<3>);
    /// assert_eq!(net.param_count(), 4 * 8 + 8 + 8 * 3 + 3);
    /// ```
    ///
    /// ```compile_fail
    /// use typenet::prelude::*;
    ///
    /// // 8 outputs cannot feed a layer that takes 5 inputs
    /// let net = Affine::<[f32; 4], 8>::zeros().then(Affine::<[f32; 5], 3>::zeros());
    /// ```
    fn then<L: Layer<Self::Out>>(self, next: L) -> Fitted<L::Scratch<Const<1>>, Chain<Self, L>>
    where
        Self: Sized,
    {
        Chain::join(self, next)
    }

    /// A table of the layers: kind, output shape, parameters and buffers,
    /// with the totals, as Keras and PyTorch users know it.
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// let net = Affine::<[f32; 784], 50>::zeros().then(Relu).then(Affine::<[f32; 50], 10>::zeros()).then(SoftmaxWithLoss);
    /// let table = net.summary().to_string();
    /// assert!(table.contains("Affine") && table.contains("39,760"));
    /// ```
    #[cfg(feature = "alloc")]
    fn summary(&self) -> crate::Summary {
        let mut layers = alloc::vec::Vec::new();
        self.describe(crate::model::sequence_start::<Self>(Path::ROOT), &mut |l| {
            layers.push(l)
        });
        crate::Summary {
            input: In::DIMS,
            scalar: <In::Scalar as crate::Element>::DTYPE.rust_name(),
            layers,
        }
    }
}

/// Checks that a batch a layer reads has as many rows as its input, and
/// panics with a message naming the layer `L` (and `what` the batch is)
/// if not: the error a mis-sized batch gets instead of an index out of
/// range inside a kernel.
///
/// ```should_panic
/// use typenet::{Affine, expect_rows};
/// // panics: "Affine<[f32; 4], 2>: dy has 3 rows, its input has 4"
/// expect_rows::<Affine<[f32; 4], 2>>("dy", 4, 3);
/// ```
#[track_caller]
pub fn expect_rows<L: ?Sized>(what: &str, input_rows: usize, rows: usize) {
    if input_rows != rows {
        panic!(
            "{}: {what} has {rows} rows, its input has {input_rows}",
            readable_type_name::<L>()
        );
    }
}

/// A type's name without module paths: `Affine<[f32; 4], 2>`.
fn readable_type_name<L: ?Sized>() -> impl core::fmt::Display {
    struct Name(&'static str);
    impl core::fmt::Display for Name {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            // drop every `path::` prefix, keep the rest as written
            let mut word_start = 0;
            let bytes = self.0.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                let c = bytes[i];
                if c == b':' && bytes.get(i + 1) == Some(&b':') {
                    word_start = i + 2;
                    i += 2;
                    continue;
                }
                if !(c.is_ascii_alphanumeric() || c == b'_') {
                    f.write_str(&self.0[word_start..=i])?;
                    word_start = i + 1;
                }
                i += 1;
            }
            f.write_str(&self.0[word_start.min(self.0.len())..])
        }
    }
    Name(core::any::type_name::<L>())
}

/// The last path segment of a type's name, without generic arguments:
/// `Affine` for `typenet::layers::affine::Affine<f32, ..>`.
pub(crate) fn short_type_name<L: ?Sized>() -> &'static str {
    let full = core::any::type_name::<L>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}
