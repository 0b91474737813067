//! What a layer is: something that maps a batch of input rows to a batch of
//! output rows, in inference or training mode, and back-propagates a
//! gradient through that map.

use crate::{Batch, Chain, Param, ParamKind, ParamMut, Row, Rows, Scalar, Training};

/// A line of a net's summary: one layer, its output shape and its tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// Position in the net, from 0.
    pub index: usize,
    /// Nesting depth: 0 for a layer of the net itself, 1 inside a block
    /// such as a [`Residual`](crate::Residual).
    pub depth: usize,
    /// The layer's kind, e.g. `"Affine"`.
    pub kind: &'static str,
    /// Dimensions of its input rows (`[784]`, or `[1, 28, 28]` for images).
    pub input: &'static [usize],
    /// Dimensions of its output rows.
    pub output: &'static [usize],
    /// Number of trained scalars.
    pub params: usize,
    /// Number of kept but untrained scalars (running statistics).
    pub buffers: usize,
}

/// A layer taking rows `In` (e.g. `[f32; 784]`, or
/// [`Image<f32, 1, 28, 28>`](crate::Image)) to rows [`Layer::Out`].
///
/// The input row type is a parameter and the output an associated type, so
/// shape-agnostic layers ([`Relu`](crate::Relu)) fit any row while
/// [`Affine`](crate::Affine) fixes both, and a convolution computes its
/// output size from its input's in the type system. Chaining with
/// [`then`](Layer::then) demands `Next: Layer<Self::Out>`, which is what makes
/// a mis-wired net fail to compile where it is built.
///
/// # Two modes
/// [`infer`](Layer::infer) is inference: `&self`, deterministic, keeping
/// nothing, so a trained net is shared by many threads. [`forward`](Layer::forward)
/// is the training pass (the book's `train_flg=True`): `&mut self`, so a
/// layer may update state kept across batches (BatchNorm's running
/// statistics), with a [`Training`] context for randomness (Dropout's mask),
/// and a per-batch [`Cache`](Layer::Cache) for what
/// [`backward`](Layer::backward) will need.
///
/// # Tensors
/// A layer keeps its parameters and their gradients (as the book's layers
/// keep `dW` and `db`) and shows each one, with its [`ParamKind`], through
/// [`visit_params`](Layer::visit_params) and
/// [`visit_params_mut`](Layer::visit_params_mut). Those two have no default:
/// a layer states what it holds, even when that is nothing, and optimizers,
/// initialisers, saving and loading all see a layer only through them.
///
/// # Batches
/// The batches a layer receives have equal row counts when a
/// [`Chain`](struct@crate::Chain) or [`Network`](crate::Network) calls it. A
/// layer makes its output batches as long as its input
/// (`y.set_rows(x.nrows())`, free for `Const` batches) and may check the
/// batches it reads with [`expect_rows`], which names the layer in the
/// message instead of failing deep in a kernel.
///
/// `examples/custom_layer.rs` writes a complete layer with a weight, a bias
/// and a buffer.
#[diagnostic::on_unimplemented(
    message = "layer `{Self}` cannot follow a layer whose output rows are `{In}`",
    label = "this layer does not accept `{In}` rows",
    note = "a layer's input rows must be exactly the previous layer's output rows: the same shape and the same scalar type"
)]
pub trait Layer<In: Row> {
    /// The rows this layer outputs.
    type Out: Row<Scalar = In::Scalar>;

    /// What a training pass keeps for the backward pass of a batch of `R`
    /// rows (a mask, normalised values, the rows between two layers of a
    /// chain). Owned by the caller, so it lives across steps and a training
    /// loop allocates nothing after its first step. The default value is
    /// empty and grows on first use.
    type Cache<R: Rows>: Default + Send + Sync;

    /// How many positions this layer takes in a net's numbering (1 for a
    /// single layer; a chain or block counts its parts).
    const LAYERS: usize = 1;

    /// Inference: `y` from `x`, deterministic, keeping nothing.
    fn infer<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<Self::Out, R>);

    /// Inference as [`infer`](Layer::infer), with `cache` as room for
    /// intermediate rows, so evaluating a data set chunk by chunk reuses
    /// its buffers instead of allocating them for every chunk. Computes the
    /// same `y`. The default ignores the cache; layers that keep rows
    /// between parts (a chain) or need scratch (a convolution) use it.
    #[inline]
    fn infer_with<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<Self::Out, R>, cache: &mut Self::Cache<R>) {
        let _ = cache;
        self.infer(x, y)
    }

    /// The training pass: `y` from `x`, keeping in `cache` what
    /// [`backward`](Layer::backward) needs, drawing any randomness from
    /// `training`.
    fn forward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &mut Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        training: &mut Training,
    );

    /// Given the gradient `dy` of the loss with respect to the output `y`
    /// that [`forward`](Layer::forward) produced from `x`, stores the
    /// gradients of the parameters on the layer and, if `dx` is given,
    /// writes the gradient with respect to `x` there. Skipping `dx` (the
    /// first layer of a net) saves work.
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<In, R>>,
    );

    /// Calls `f` with each of the layer's tensors (parameters, then
    /// buffers) and its gradient; `layer` is this layer's position in its
    /// net. A layer with no tensors writes an empty body.
    fn visit_params<V: FnMut(Param<'_, In::Scalar>) + ?Sized>(&self, layer: usize, f: &mut V);

    /// The same tensors in the same order, mutably.
    fn visit_params_mut<V: FnMut(ParamMut<'_, In::Scalar>) + ?Sized>(&mut self, layer: usize, f: &mut V);

    /// Calls `f` with a [`LayerInfo`] for this layer (each layer, for a
    /// chain). The default names the layer after its type and counts its
    /// tensors.
    fn describe(&self, layer: usize, depth: usize, f: &mut dyn FnMut(LayerInfo)) {
        let (mut params, mut buffers) = (0, 0);
        self.visit_params(layer, &mut |p| match p.kind {
            ParamKind::Buffer => buffers += p.value.len(),
            _ => params += p.value.len(),
        });
        f(LayerInfo {
            index: layer,
            depth,
            kind: short_type_name::<Self>(),
            input: In::DIMS,
            output: Self::Out::DIMS,
            params,
            buffers,
        })
    }

    /// This layer followed by `next`. Compiles only if `next` accepts this
    /// layer's output rows.
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
    fn then<L: Layer<Self::Out>>(self, next: L) -> Chain<Self, L>
    where
        Self: Sized,
    {
        Chain::new(self, next)
    }

    /// An empty cache for batches of `R` rows.
    fn cache<R: Rows>(&self) -> Self::Cache<R> {
        Self::Cache::default()
    }

    /// Re-draws every weight (of each layer, for a chain) from `init` with
    /// the weight's own fan-in, sets biases to 0 and scales to 1, and
    /// leaves buffers as they are.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use typenet::prelude::*;
    ///
    /// let mut net = Affine::<[f64; 100], 50>::zeros().then(Relu).then(Affine::<[f64; 50], 10>::zeros());
    /// net.initialize(Init::He, &mut StdRng::seed_from_u64(1));
    /// let w = net.layer::<0>().weights();
    /// let var = w.iter().flatten().map(|v| v * v).sum::<f64>() / 5000.0;
    /// assert!((var - 2.0 / 100.0).abs() < 0.002); // He: variance 2 / fan-in
    /// ```
    fn initialize<G: rand::Rng + ?Sized>(&mut self, init: crate::Init, rng: &mut G) {
        self.visit_params_mut(0, &mut |p| match p.kind {
            ParamKind::Weight { fan_in } => init.fill(p.value, fan_in, rng),
            ParamKind::Bias => p.value.fill(In::Scalar::ZERO),
            ParamKind::Scale => p.value.fill(In::Scalar::ONE),
            ParamKind::Buffer => {}
        });
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
        self.describe(0, 0, &mut |l| layers.push(l));
        crate::Summary {
            input: In::DIMS,
            scalar: core::any::type_name::<In::Scalar>(),
            layers,
        }
    }

    /// The number of trained scalars (buffers not counted).
    fn param_count(&self) -> usize {
        let mut n = 0;
        self.visit_params(0, &mut |p| {
            if p.kind.is_trained() {
                n += p.value.len()
            }
        });
        n
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
