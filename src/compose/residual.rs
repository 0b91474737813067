//! A residual block: a layer whose output is added back to its input.

use crate::model::sequence_start;
use crate::{
    Batch, Fitted, Layer, LayerInfo, Params, Path, Row, Rows, Scalar, Tensor, TensorMut, Tensors, Trainable, Training,
    expect_rows,
};

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

/// A [`Residual`]'s training cache: the inner layer's cache and output.
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
pub(crate) fn add_into<X: Row<Scalar: Scalar>, R: Rows>(y: &mut Batch<X, R>, x: &Batch<X, R>) {
    for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *y = *y + x;
    }
}

impl<F: Tensors> Tensors for Residual<F> {
    /// The inner layers under this block's position.
    #[inline]
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V) {
        self.inner.visit(sequence_start::<F>(at), f)
    }

    #[inline]
    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V) {
        self.inner.visit_mut(sequence_start::<F>(at), f)
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "Residual");
        self.inner.layers(sequence_start::<F>(at), f)
    }
}

impl<T: Scalar, F: Params<T>> Params<T> for Residual<F> {}

/// Rows that are added element by element must be the same rows: a
/// [`Residual`]'s block must output what it takes, the branches of a
/// [`Sum`](crate::Sum) the same rows.
#[diagnostic::on_unimplemented(
    message = "rows `{Self}` cannot be added to rows `{X}`: they are not the same shape",
    label = "these rows are added to `{X}`",
    note = "a `Residual` adds its block's output to the block's input, and a `Sum` adds its two branches' outputs: both sides must be the same rows",
    note = "to change the shape beside a shortcut, make the shortcut a branch of its own (a 1×1 strided convolution) and join both with `Sum`"
)]
pub trait SameRows<X: Row>: Row {
    /// `X`: the rows of the sum. A [`Residual`]'s scratch room is known
    /// through it, so where the two sides differ the block's type is not
    /// complete and the layers chained after it are not checked against
    /// it again (see [`Fitted`]).
    type Rows: Row;
    /// A batch of `X` rows as the same batch of `Self` rows.
    fn same<R: Rows>(batch: &Batch<X, R>) -> &Batch<Self, R>;
    /// The same, mutably.
    fn same_mut<R: Rows>(batch: &mut Batch<X, R>) -> &mut Batch<Self, R>;
    /// A batch of `Self` rows as the same batch of `X` rows.
    fn back<R: Rows>(batch: &Batch<Self, R>) -> &Batch<X, R>;
}

impl<X: Row> SameRows<X> for X {
    type Rows = X;
    #[inline(always)]
    fn same<R: Rows>(batch: &Batch<X, R>) -> &Batch<X, R> {
        batch
    }
    #[inline(always)]
    fn same_mut<R: Rows>(batch: &mut Batch<X, R>) -> &mut Batch<X, R> {
        batch
    }
    #[inline(always)]
    fn back<R: Rows>(batch: &Batch<X, R>) -> &Batch<X, R> {
        batch
    }
}

impl<X: Row<Scalar: Scalar>, F: Layer<X>> Layer<X> for Residual<F>
where
    F::Out: SameRows<X>,
{
    type Out = X;
    /// `F`'s, known once `F`'s output is known to be the same rows as its
    /// input (see [`Fitted`]): a block that changes its rows is reported
    /// once, not again by the layers after it.
    type Scratch<R: Rows> = Fitted<<F::Out as SameRows<X>>::Rows, F::Scratch<R>>;

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<X, R>, scratch: &mut F::Scratch<R>) {
        y.set_rows(x.nrows());
        self.inner.infer_with(x, F::Out::same_mut(y), scratch);
        add_into(y, x);
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            path: at,
            kind: "Residual",
            input: X::DIMS,
            output: X::DIMS,
            params: 0,
            buffers: 0,
        });
        self.inner.describe(sequence_start::<F>(at), f)
    }
}

impl<X: Row<Scalar: Scalar>, F: Trainable<X>> Trainable<X> for Residual<F>
where
    F::Out: SameRows<X>,
{
    type Cache<R: Rows> = ResidualCache<X, F::Cache<R>, R>;

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<X, R>,
        cache: &mut Self::Cache<R>,
        training: &mut Training,
    ) {
        cache.fx.set_rows(x.nrows());
        y.set_rows(x.nrows());
        self.inner
            .forward(x, F::Out::same_mut(&mut cache.fx), &mut cache.inner, training);
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
        let (fx, dy_inner) = (F::Out::same(&cache.fx), F::Out::same(dy));
        self.inner
            .backward(x, fx, dy_inner, &mut cache.inner, dx.as_deref_mut());
        if let Some(dx) = dx {
            add_into(dx, dy);
        }
    }
}
