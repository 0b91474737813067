//! A residual block: a layer whose output is added back to its input.

use crate::{Batch, Layer, LayerInfo, Param, ParamMut, Row, Rows, Training, expect_rows};

/// y = x + F(x), for a layer (or chain) `F` whose output rows are its input
/// rows: the skip connection of residual networks. The gradient reaches `x`
/// both through `F` and directly.
///
/// ```
/// use typenet::prelude::*;
///
/// let block = Residual::new(Affine::<[f64; 3], 3>::from_fn(|i, j| if i == j { 1.0 } else { 0.0 }, |_| 0.5));
/// let mut y = Batch::zeros(1);
/// block.infer(&Batch::from_rows(vec![[1.0, 2.0, 3.0]]), &mut y);
/// assert_eq!(y[0], [2.5, 4.5, 6.5]); // x + (x + 0.5)
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Residual<F> {
    inner: F,
}

impl<F> Residual<F> {
    /// `x + inner(x)`.
    pub const fn new(inner: F) -> Self {
        Residual { inner }
    }

    /// The inner layer.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// The inner layer, mutably.
    pub fn inner_mut(&mut self) -> &mut F {
        &mut self.inner
    }
}

/// A [`Residual`]'s cache: the inner layer's cache and output.
pub struct ResidualCache<X: Row, C, R: Rows> {
    inner: C,
    fx: Batch<X, R>,
}

impl<X: Row, C: Default, R: Rows> Default for ResidualCache<X, C, R> {
    fn default() -> Self {
        ResidualCache {
            inner: C::default(),
            fx: Batch::default(),
        }
    }
}

/// `y += x`, element by element.
pub(crate) fn add_into<X: Row, R: Rows>(y: &mut Batch<X, R>, x: &Batch<X, R>) {
    for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *y = *y + x;
    }
}

impl<X: Row, F: Layer<X, Out = X>> Layer<X> for Residual<F> {
    type Out = X;
    type Cache<R: Rows> = ResidualCache<X, F::Cache<R>, R>;
    const LAYERS: usize = 1 + F::LAYERS;

    fn infer<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<X, R>) {
        y.set_rows(x.nrows());
        self.inner.infer(x, y);
        add_into(y, x);
    }

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<X, R>,
        cache: &mut Self::Cache<R>,
        training: &mut Training,
    ) {
        cache.fx.set_rows(x.nrows());
        y.set_rows(x.nrows());
        self.inner.forward(x, &mut cache.fx, &mut cache.inner, training);
        y.as_mut_slice().copy_from_slice(cache.fx.as_slice());
        add_into(y, x);
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        _: &Batch<X, R>,
        dy: &Batch<X, R>,
        cache: &mut Self::Cache<R>,
        mut dx: Option<&mut Batch<X, R>>,
    ) {
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        if let Some(dx) = dx.as_deref_mut() {
            dx.set_rows(x.nrows());
        }
        self.inner
            .backward(x, &cache.fx, dy, &mut cache.inner, dx.as_deref_mut());
        if let Some(dx) = dx {
            add_into(dx, dy);
        }
    }

    fn visit_params<V: FnMut(Param<'_, X::Scalar>) + ?Sized>(&self, layer: usize, f: &mut V) {
        self.inner.visit_params(layer + 1, f)
    }

    fn visit_params_mut<V: FnMut(ParamMut<'_, X::Scalar>) + ?Sized>(&mut self, layer: usize, f: &mut V) {
        self.inner.visit_params_mut(layer + 1, f)
    }

    fn describe(&self, layer: usize, depth: usize, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            index: layer,
            depth,
            kind: "Residual",
            input: X::DIMS,
            output: X::DIMS,
            params: 0,
            buffers: 0,
        });
        self.inner.describe(layer + 1, depth + 1, f)
    }
}
