//! What a layer is: something that maps a batch of input rows to a batch of
//! output rows and back-propagates a gradient through that map.

use crate::{Batch, Chain, Row, Rows, Scalar};

/// One parameter tensor of a layer and its gradient, read-only.
#[derive(Debug)]
pub struct Param<'a, T> {
    /// Position of the owning layer in its chain, from 0.
    pub layer: usize,
    /// The tensor's name in its layer (`"W"`, `"b"`: the book's names).
    pub name: &'static str,
    /// Rows and columns (a bias is one row).
    pub shape: [usize; 2],
    /// The values, row-major.
    pub value: &'a [T],
    /// The gradient of the loss with respect to the values, as of the last
    /// backward pass.
    pub grad: &'a [T],
}

/// One parameter tensor of a layer and its gradient, mutable: what an
/// optimizer's update step receives.
#[derive(Debug)]
pub struct ParamMut<'a, T> {
    /// Position of the owning layer in its chain, from 0.
    pub layer: usize,
    /// The tensor's name in its layer (`"W"`, `"b"`).
    pub name: &'static str,
    /// Rows and columns (a bias is one row).
    pub shape: [usize; 2],
    /// The values, row-major.
    pub value: &'a mut [T],
    /// The gradient of the loss with respect to the values.
    pub grad: &'a mut [T],
}

/// A line of a net's summary: one layer, its output width and its
/// parameter count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// Position in the chain, from 0.
    pub index: usize,
    /// The layer's kind, e.g. `"Affine"`.
    pub kind: &'static str,
    /// Width of its input rows.
    pub inputs: usize,
    /// Width of its output rows.
    pub outputs: usize,
    /// Number of trainable scalars.
    pub params: usize,
}

/// A layer taking rows `In` (e.g. `[f32; 784]`) to rows [`Layer::Out`].
///
/// The input row type is a parameter, the output an associated type, so
/// width-agnostic layers ([`Relu`](crate::Relu), [`Sigmoid`](crate::Sigmoid))
/// fit any width while [`Affine`](crate::Affine) fixes both. Chaining with
/// [`then`](Layer::then) demands `Next: Layer<Self::Out>`, which is what makes
/// a mis-wired net fail to compile where it is built.
///
/// A layer keeps its parameters and their gradients (as the book's layers
/// keep `dW` and `db`) but no per-batch state: what backward needs besides
/// the input and output lives in [`Layer::Cache`], owned by the caller. So
/// `forward` takes `&self`, and a trained net is `Send + Sync` and can
/// serve many threads at once.
#[diagnostic::on_unimplemented(
    message = "layer `{Self}` cannot follow a layer whose output rows are `{In}`",
    label = "this layer does not accept `{In}` rows",
    note = "a layer's input rows must be exactly the previous layer's output rows: the same width and the same scalar type"
)]
pub trait Layer<In: Row> {
    /// The rows this layer outputs.
    type Out: Row<Scalar = In::Scalar>;

    /// Per-batch scratch kept from `forward` to `backward` for a batch of
    /// `R` rows (the hidden activations of a [`Chain`](struct@crate::Chain)). The default value is
    /// empty for `Dyn` rows and grows on first use.
    type Cache<R: Rows>: Default + Send + Sync;

    /// The number of layers this value counts as in a chain (1 for a single
    /// layer).
    const LAYERS: usize = 1;

    /// Computes `y` from `x`; both have the same number of rows.
    fn forward<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<Self::Out, R>, cache: &mut Self::Cache<R>);

    /// Computes `y` from `x` for inference: the same values as
    /// [`forward`](Layer::forward), keeping nothing for a backward pass.
    #[inline]
    fn infer<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<Self::Out, R>) {
        self.forward(x, y, &mut self.cache())
    }

    /// Given the gradient `dy` of the loss with respect to the output `y`
    /// that `forward` produced from `x`, stores the gradients of the
    /// parameters on the layer and, if `dx` is given, writes the gradient
    /// with respect to `x` there. Skipping `dx` (the first layer of a net)
    /// saves a matrix product.
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<In, R>>,
    );

    /// Calls `f` with each parameter tensor and its gradient; `first` is this
    /// layer's position in the chain.
    fn visit_params<F: FnMut(Param<'_, In::Scalar>)>(&self, first: usize, f: &mut F) {
        let _ = (first, f);
    }

    /// Calls `f` with each parameter tensor and its gradient, mutably.
    fn visit_params_mut<F: FnMut(ParamMut<'_, In::Scalar>)>(&mut self, first: usize, f: &mut F) {
        let _ = (first, f);
    }

    /// Calls `f` with a [`LayerInfo`] for this layer (each layer, for a chain).
    fn describe<F: FnMut(LayerInfo)>(&self, first: usize, f: &mut F);

    /// This layer followed by `next`. Compiles only if `next` accepts this
    /// layer's output rows.
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// let net = Affine::<f32, 4, 8>::zeros()
    ///     .then(Relu)
    ///     .then(Affine::<f32, 8, 3>::zeros())
    ///     .then(SoftmaxWithLoss::<3>);
    /// assert_eq!(net.param_count(), 4 * 8 + 8 + 8 * 3 + 3);
    /// ```
    ///
    /// ```compile_fail
    /// use typenet::prelude::*;
    ///
    /// // 8 outputs cannot feed a layer that takes 5 inputs
    /// let net = Affine::<f32, 4, 8>::zeros().then(Affine::<f32, 5, 3>::zeros());
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

    /// Re-draws every weight of the layer (or of each layer of a chain)
    /// from `init`, with each weight tensor's own fan-in (its rows), and
    /// sets every bias (tensors named `"b"`) to zero.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use typenet::prelude::*;
    ///
    /// let mut net = Affine::<f64, 100, 50>::zeros().then(Relu).then(Affine::<f64, 50, 10>::zeros());
    /// net.initialize(Init::He, &mut StdRng::seed_from_u64(1));
    /// let w = net.first().first().weights();
    /// let var = w.iter().flatten().map(|v| v * v).sum::<f64>() / 5000.0;
    /// assert!((var - 2.0 / 100.0).abs() < 0.002); // He: variance 2 / fan-in
    /// ```
    fn initialize<G: rand::Rng + ?Sized>(&mut self, init: crate::Init, rng: &mut G) {
        self.visit_params_mut(0, &mut |p| {
            if p.name == "b" {
                p.value.fill(In::Scalar::ZERO);
            } else {
                init.fill(p.value, p.shape[0], rng);
            }
        });
    }

    /// A table of the layers: kind, output width and parameters, with the
    /// total, as Keras and PyTorch users know it.
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// let net = Affine::<f32, 784, 50>::zeros().then(Relu).then(Affine::<f32, 50, 10>::zeros()).then(SoftmaxWithLoss);
    /// let table = net.summary().to_string();
    /// assert!(table.contains("Affine") && table.contains("39,760"));
    /// ```
    #[cfg(feature = "alloc")]
    fn summary(&self) -> crate::Summary {
        let mut layers = alloc::vec::Vec::new();
        self.describe(0, &mut |l| layers.push(l));
        crate::Summary {
            inputs: In::WIDTH,
            scalar: In::Scalar::RUST_NAME,
            layers,
        }
    }

    /// The number of trainable scalars.
    fn param_count(&self) -> usize {
        let mut n = 0;
        self.visit_params(0, &mut |p| n += p.value.len());
        n
    }
}
