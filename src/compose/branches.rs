//! Two branches over the same input, joined: by sum ([`Sum`]) or side by
//! side ([`Concat`]).

use crate::{Batch, Layer, LayerInfo, Pair, Param, ParamMut, Row, Rows, Training, expect_rows};

use super::residual::add_into;

/// What two branches keep for their backward pass: their caches, their
/// outputs, and room for the second branch's input gradient.
pub struct BranchCache<X: Row, YA: Row, YB: Row, CA, CB, R: Rows> {
    a: CA,
    b: CB,
    ya: Batch<YA, R>,
    yb: Batch<YB, R>,
    dya: Batch<YA, R>,
    dyb: Batch<YB, R>,
    dxb: Batch<X, R>,
}

impl<X: Row, YA: Row, YB: Row, CA: Default, CB: Default, R: Rows> Default for BranchCache<X, YA, YB, CA, CB, R> {
    fn default() -> Self {
        BranchCache {
            a: CA::default(),
            b: CB::default(),
            ya: Batch::default(),
            yb: Batch::default(),
            dya: Batch::default(),
            dyb: Batch::default(),
            dxb: Batch::default(),
        }
    }
}

/// The cache of branches `A` and `B` over rows `X`.
type CacheOf<X, A, B, R> =
    BranchCache<X, <A as Layer<X>>::Out, <B as Layer<X>>::Out, <A as Layer<X>>::Cache<R>, <B as Layer<X>>::Cache<R>, R>;

/// Both branches' input gradients, summed into `dx`: each branch sees the
/// same input, so the gradient with respect to it is the sum.
fn backward_both<X, A, B, R>(
    a: &mut A,
    b: &mut B,
    x: &Batch<X, R>,
    cache: &mut CacheOf<X, A, B, R>,
    dya: Option<&Batch<A::Out, R>>,
    dyb: Option<&Batch<B::Out, R>>,
    dx: Option<&mut Batch<X, R>>,
) where
    X: Row,
    A: Layer<X>,
    B: Layer<X>,
    R: Rows,
{
    let c = cache;
    let dya = dya.unwrap_or(&c.dya);
    let dyb = dyb.unwrap_or(&c.dyb);
    match dx {
        Some(dx) => {
            dx.set_rows(x.nrows());
            c.dxb.set_rows(x.nrows());
            a.backward(x, &c.ya, dya, &mut c.a, Some(dx));
            b.backward(x, &c.yb, dyb, &mut c.b, Some(&mut c.dxb));
            add_into(dx, &c.dxb);
        }
        None => {
            a.backward(x, &c.ya, dya, &mut c.a, None);
            b.backward(x, &c.yb, dyb, &mut c.b, None);
        }
    }
}

macro_rules! two_branch_tensors {
    () => {
        const LAYERS: usize = 1 + A::LAYERS + B::LAYERS;

        fn visit_params<V: FnMut(Param<'_, X::Scalar>) + ?Sized>(&self, layer: usize, f: &mut V) {
            self.a.visit_params(layer + 1, f);
            self.b.visit_params(layer + 1 + A::LAYERS, f);
        }

        fn visit_params_mut<V: FnMut(ParamMut<'_, X::Scalar>) + ?Sized>(&mut self, layer: usize, f: &mut V) {
            self.a.visit_params_mut(layer + 1, f);
            self.b.visit_params_mut(layer + 1 + A::LAYERS, f);
        }

        fn describe(&self, layer: usize, depth: usize, f: &mut dyn FnMut(LayerInfo)) {
            f(LayerInfo {
                index: layer,
                depth,
                kind: Self::KIND,
                input: X::DIMS,
                output: <Self as Layer<X>>::Out::DIMS,
                params: 0,
                buffers: 0,
            });
            self.a.describe(layer + 1, depth + 1, f);
            self.b.describe(layer + 1 + A::LAYERS, depth + 1, f);
        }
    };
}

/// y = A(x) + B(x): two branches over the same input whose outputs have
/// the same shape, added.
///
/// ```
/// use typenet::prelude::*;
///
/// let both = Sum::new(
///     Affine::<[f32; 2], 3>::from_fn(|_, _| 1.0, |_| 0.0),
///     Affine::<[f32; 2], 3>::from_fn(|_, _| 0.0, |j| j as f32),
/// );
/// let mut y = Batch::zeros(1);
/// both.infer(&Batch::from_rows(vec![[1.0, 2.0]]), &mut y);
/// assert_eq!(y[0], [3.0, 4.0, 5.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Sum<A, B> {
    a: A,
    b: B,
}

impl<A, B> Sum<A, B> {
    const KIND: &'static str = "Sum";

    /// `a(x) + b(x)`.
    pub const fn new(a: A, b: B) -> Self {
        Sum { a, b }
    }

    /// The two branches.
    pub fn branches(&self) -> (&A, &B) {
        (&self.a, &self.b)
    }

    /// The two branches, mutably.
    pub fn branches_mut(&mut self) -> (&mut A, &mut B) {
        (&mut self.a, &mut self.b)
    }
}

impl<X: Row, A: Layer<X>, B: Layer<X, Out = A::Out>> Layer<X> for Sum<A, B> {
    type Out = A::Out;
    type Cache<R: Rows> = BranchCache<X, A::Out, B::Out, A::Cache<R>, B::Cache<R>, R>;

    fn infer<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<A::Out, R>) {
        y.set_rows(x.nrows());
        let mut yb = Batch::<B::Out, R>::default();
        yb.set_rows(x.nrows());
        self.a.infer(x, y);
        self.b.infer(x, &mut yb);
        add_into(y, &yb);
    }

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<A::Out, R>,
        c: &mut Self::Cache<R>,
        training: &mut Training,
    ) {
        let n = x.nrows();
        c.ya.set_rows(n);
        c.yb.set_rows(n);
        y.set_rows(n);
        self.a.forward(x, &mut c.ya, &mut c.a, training);
        self.b.forward(x, &mut c.yb, &mut c.b, training);
        y.as_mut_slice().copy_from_slice(c.ya.as_slice());
        add_into(y, &c.yb);
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        _: &Batch<A::Out, R>,
        dy: &Batch<A::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<X, R>>,
    ) {
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        backward_both(&mut self.a, &mut self.b, x, cache, Some(dy), Some(dy), dx);
    }

    two_branch_tensors!();
}

/// y = (A(x), B(x)) side by side, as a [`Pair`] row: concatenation. A
/// following [`Affine`](crate::Affine) takes the pair as `A`'s and `B`'s
/// widths together, with no width arithmetic in any type.
///
/// ```
/// use typenet::prelude::*;
///
/// let both = Concat::new(
///     Affine::<[f32; 2], 1>::from_fn(|_, _| 1.0, |_| 0.0),
///     Affine::<[f32; 2], 2>::from_fn(|i, _| i as f32, |_| 0.0),
/// );
/// let mut y = Batch::zeros(1);
/// both.infer(&Batch::from_rows(vec![[1.0, 2.0]]), &mut y);
/// assert_eq!(y[0].as_slice(), &[3.0, 2.0, 2.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Concat<A, B> {
    a: A,
    b: B,
}

impl<A, B> Concat<A, B> {
    const KIND: &'static str = "Concat";

    /// `(a(x), b(x))`.
    pub const fn new(a: A, b: B) -> Self {
        Concat { a, b }
    }

    /// The two branches.
    pub fn branches(&self) -> (&A, &B) {
        (&self.a, &self.b)
    }

    /// The two branches, mutably.
    pub fn branches_mut(&mut self) -> (&mut A, &mut B) {
        (&mut self.a, &mut self.b)
    }
}

impl<X: Row, A: Layer<X>, B: Layer<X>> Layer<X> for Concat<A, B> {
    type Out = Pair<A::Out, B::Out>;
    type Cache<R: Rows> = BranchCache<X, A::Out, B::Out, A::Cache<R>, B::Cache<R>, R>;

    fn infer<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<Self::Out, R>) {
        let n = x.nrows();
        let (mut ya, mut yb) = (Batch::<A::Out, R>::default(), Batch::<B::Out, R>::default());
        ya.set_rows(n);
        yb.set_rows(n);
        y.set_rows(n);
        self.a.infer(x, &mut ya);
        self.b.infer(x, &mut yb);
        for ((y, a), b) in y.rows_mut().iter_mut().zip(ya.rows()).zip(yb.rows()) {
            *y = Pair { first: *a, second: *b };
        }
    }

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<Self::Out, R>,
        c: &mut Self::Cache<R>,
        training: &mut Training,
    ) {
        let n = x.nrows();
        c.ya.set_rows(n);
        c.yb.set_rows(n);
        y.set_rows(n);
        self.a.forward(x, &mut c.ya, &mut c.a, training);
        self.b.forward(x, &mut c.yb, &mut c.b, training);
        for ((y, a), b) in y.rows_mut().iter_mut().zip(c.ya.rows()).zip(c.yb.rows()) {
            *y = Pair { first: *a, second: *b };
        }
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        _: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<X, R>>,
    ) {
        let n = x.nrows();
        expect_rows::<Self>("dy", n, dy.nrows());
        cache.dya.set_rows(n);
        cache.dyb.set_rows(n);
        for ((d, a), b) in dy.rows().iter().zip(cache.dya.rows_mut()).zip(cache.dyb.rows_mut()) {
            (*a, *b) = (d.first, d.second);
        }
        backward_both(&mut self.a, &mut self.b, x, cache, None, None, dx);
    }

    two_branch_tensors!();
}
