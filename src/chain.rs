//! The typed chain: two layers joined so that the second accepts the
//! first's output rows. Chains nest, so a net of any depth is one type.

use crate::{Batch, Layer, LayerInfo, Param, ParamMut, Row, Rows};

/// `A` followed by `B`, where `B` takes the rows `A` outputs.
///
/// Built only by [`Layer::then`]: the fields are private and there is no
/// other constructor, so no chain exists whose layers do not fit. Chains nest
/// to the left: `a.then(b).then(c)` is `Chain<Chain<A, B>, C>`, which the
/// [`Chain!`](crate::Chain!) macro writes as `Chain![A, B, C]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain<A, B> {
    first: A,
    second: B,
}

impl<A, B> Chain<A, B> {
    /// `first` followed by `second`, in a constant expression (a `static`
    /// model baked into a program). It demands what [`Layer::then`]
    /// demands: `second` must take the rows `first` outputs.
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// static NET: Chain![Affine<f32, 2, 2, Inline>, Relu, Affine<f32, 2, 1, Inline>] = Chain::new(
    ///     Chain::new(Affine::from_arrays([[1.0, -1.0], [0.5, 2.0]], [0.0, 0.1]), Relu),
    ///     Affine::from_arrays([[1.0], [1.0]], [0.0]),
    /// );
    /// let mut y = Batch::<[f32; 1], Const<1>>::default();
    /// NET.infer(&Batch::new([[1.0, 1.0]]), &mut y);
    /// assert_eq!(y[0], [1.5 + 1.1]);
    /// ```
    pub const fn new<In: Row>(first: A, second: B) -> Self
    where
        A: Layer<In>,
        B: Layer<A::Out>,
    {
        Chain { first, second }
    }

    /// The first part (itself a chain when this chain has more than two layers).
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The second part: the last layer.
    pub fn second(&self) -> &B {
        &self.second
    }

    /// The first part, mutably.
    pub fn first_mut(&mut self) -> &mut A {
        &mut self.first
    }

    /// The last layer, mutably.
    pub fn second_mut(&mut self) -> &mut B {
        &mut self.second
    }

    /// Both parts.
    pub fn into_parts(self) -> (A, B) {
        (self.first, self.second)
    }
}

/// The [`Layer::Cache`] of a [`Chain`]: the rows between its two parts (and
/// their gradient), plus each part's own cache.
pub struct ChainCache<M: Row, CA, CB, R: Rows> {
    pub(crate) mid: Batch<M, R>,
    pub(crate) dmid: Batch<M, R>,
    pub(crate) first: CA,
    pub(crate) second: CB,
}

impl<M: Row, CA, CB, R: Rows> ChainCache<M, CA, CB, R> {
    /// The output of the first part as of the last forward pass.
    pub fn hidden(&self) -> &Batch<M, R> {
        &self.mid
    }

    /// The first part's cache.
    pub fn first(&self) -> &CA {
        &self.first
    }
}

impl<M: Row, CA: Default, CB: Default, R: Rows> Default for ChainCache<M, CA, CB, R> {
    fn default() -> Self {
        ChainCache {
            mid: Batch::default(),
            dmid: Batch::default(),
            first: CA::default(),
            second: CB::default(),
        }
    }
}

impl<In: Row, A: Layer<In>, B: Layer<A::Out>> Layer<In> for Chain<A, B> {
    type Out = B::Out;
    type Cache<R: Rows> = ChainCache<A::Out, A::Cache<R>, B::Cache<R>, R>;
    const LAYERS: usize = A::LAYERS + B::LAYERS;

    #[inline]
    fn forward<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<B::Out, R>, cache: &mut Self::Cache<R>) {
        cache.mid.set_rows(x.nrows());
        self.first.forward(x, &mut cache.mid, &mut cache.first);
        self.second.forward(&cache.mid, y, &mut cache.second);
    }

    /// Only the rows between the two parts, on the stack for `Const`
    /// batches: no backward buffers to set up.
    #[inline]
    fn infer<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<B::Out, R>) {
        let mut mid = Batch::<A::Out, R>::default();
        mid.set_rows(x.nrows());
        self.first.infer(x, &mut mid);
        self.second.infer(&mid, y);
    }

    #[inline]
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &Batch<B::Out, R>,
        dy: &Batch<B::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<In, R>>,
    ) {
        cache.dmid.set_rows(x.nrows());
        self.second
            .backward(&cache.mid, y, dy, &mut cache.second, Some(&mut cache.dmid));
        self.first.backward(x, &cache.mid, &cache.dmid, &mut cache.first, dx);
    }

    fn visit_params<F: FnMut(Param<'_, In::Scalar>)>(&self, first: usize, f: &mut F) {
        self.first.visit_params(first, f);
        self.second.visit_params(first + A::LAYERS, f);
    }

    fn visit_params_mut<F: FnMut(ParamMut<'_, In::Scalar>)>(&mut self, first: usize, f: &mut F) {
        self.first.visit_params_mut(first, f);
        self.second.visit_params_mut(first + A::LAYERS, f);
    }

    fn describe<F: FnMut(LayerInfo)>(&self, first: usize, f: &mut F) {
        self.first.describe(first, f);
        self.second.describe(first + A::LAYERS, f);
    }
}

/// The type of a chain of layers, written in order.
///
/// `Chain![A, B, C]` is `Chain<Chain<A, B>, C>`, the type of
/// `a.then(b).then(c)`, so a whole net can be named in one type alias:
///
/// ```
/// use typenet::prelude::*;
///
/// type Seed = Chain![Affine<f32, 784, 50>, Relu, Affine<f32, 50, 10>, SoftmaxWithLoss<10>];
///
/// let net: Seed = Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
/// assert_eq!(net.param_count(), 784 * 50 + 50 + 50 * 10 + 10);
/// ```
#[macro_export]
macro_rules! Chain {
    ($first:ty $(,)?) => { $first };
    ($first:ty, $($rest:ty),+ $(,)?) => { $crate::Chain!(@fold $first; $($rest),+) };
    (@fold $acc:ty; $next:ty) => { $crate::Chain<$acc, $next> };
    (@fold $acc:ty; $next:ty, $($rest:ty),+) => { $crate::Chain!(@fold $crate::Chain<$acc, $next>; $($rest),+) };
}
