//! Two branches over the same input, joined: by sum ([`Sum`]) or side by
//! side ([`Concat`]).

use super::residual::{SameRows, add_into};
use crate::{
    Batch, Layer, LayerInfo, Pair, Params, Path, Row, Rows, Scalar, Tensor, TensorMut, Tensors, Trainable, Training,
    expect_rows,
};

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

/// What two branches need for inference: their scratch room and their
/// outputs.
pub struct BranchScratch<YA: Row, YB: Row, SA, SB, R: Rows> {
    a: SA,
    b: SB,
    ya: Batch<YA, R>,
    yb: Batch<YB, R>,
}

impl<YA: Row, YB: Row, SA: Default, SB: Default, R: Rows> Default for BranchScratch<YA, YB, SA, SB, R> {
    fn default() -> Self {
        BranchScratch {
            a: SA::default(),
            b: SB::default(),
            ya: Batch::default(),
            yb: Batch::default(),
        }
    }
}

/// The scratch room of branches `A` and `B` over rows `X`.
type ScratchOf<X, A, B, R> = BranchScratch<
    <A as Layer<X>>::Out,
    <B as Layer<X>>::Out,
    <A as Layer<X>>::Scratch<R>,
    <B as Layer<X>>::Scratch<R>,
    R,
>;

/// The cache of branches `A` and `B` over rows `X`.
type CacheOf<X, A, B, R> = BranchCache<
    X,
    <A as Layer<X>>::Out,
    <B as Layer<X>>::Out,
    <A as Trainable<X>>::Cache<R>,
    <B as Trainable<X>>::Cache<R>,
    R,
>;

/// Both branches' training passes, into the cache's batches.
fn forward_both<X: Row<Scalar: Scalar>, A: Trainable<X>, B: Trainable<X>, R: Rows>(
    a: &mut A,
    b: &mut B,
    x: &Batch<X, R>,
    c: &mut CacheOf<X, A, B, R>,
    training: &mut Training,
) {
    c.ya.set_rows(x.nrows());
    c.yb.set_rows(x.nrows());
    a.forward(x, &mut c.ya, &mut c.a, training);
    b.forward(x, &mut c.yb, &mut c.b, training);
}

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
    X: Row<Scalar: Scalar>,
    A: Trainable<X>,
    B: Trainable<X>,
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

/// The tensors, parameters and summary rows of a two-branch block: the
/// block at its position, branch `a` at `.0` and branch `b` at `.1` under
/// it.
macro_rules! two_branches {
    ($block:ident, $kind:literal) => {
        impl<A, B> $block<A, B> {
            /// The two branches.
            pub fn branches(&self) -> (&A, &B) {
                (&self.a, &self.b)
            }

            /// The two branches, mutably.
            pub fn branches_mut(&mut self) -> (&mut A, &mut B) {
                (&mut self.a, &mut self.b)
            }

            fn describe_branches<X: Row>(&self, at: Path, output: &'static [usize], f: &mut dyn FnMut(LayerInfo))
            where
                A: Layer<X>,
                B: Layer<X>,
            {
                f(LayerInfo {
                    path: at,
                    kind: $kind,
                    input: X::DIMS,
                    output,
                    params: 0,
                    buffers: 0,
                });
                self.a.describe(at.child(0), f);
                self.b.describe(at.child(1), f);
            }
        }

        impl<A: Tensors, B: Tensors> Tensors for $block<A, B> {
            #[inline]
            fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V) {
                self.a.visit(at.child(0), f);
                self.b.visit(at.child(1), f);
            }

            #[inline]
            fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V) {
                self.a.visit_mut(at.child(0), f);
                self.b.visit_mut(at.child(1), f);
            }

            fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
                f(at, $kind);
                self.a.layers(at.child(0), f);
                self.b.layers(at.child(1), f);
            }
        }

        impl<T: Scalar, A: Params<T>, B: Params<T>> Params<T> for $block<A, B> {}
    };
}

/// y = A(x) + B(x): two branches over the same input whose outputs have
/// the same shape, added: a residual block with a projection shortcut is a
/// `Sum` of the block and a 1×1 strided convolution.
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
    /// `a(x) + b(x)`.
    pub const fn new(a: A, b: B) -> Self {
        Sum { a, b }
    }
}

two_branches!(Sum, "Sum");

impl<X: Row, A: Layer<X, Out: Row<Scalar: Scalar>>, B: Layer<X>> Layer<X> for Sum<A, B>
where
    B::Out: SameRows<A::Out>,
{
    type Out = A::Out;
    /// Branch `a` writes straight into the output; `b` into the scratch.
    type Scratch<R: Rows> = ScratchOf<X, A, B, R>;

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<A::Out, R>, s: &mut Self::Scratch<R>) {
        y.set_rows(x.nrows());
        s.yb.set_rows(x.nrows());
        self.a.infer_with(x, y, &mut s.a);
        self.b.infer_with(x, &mut s.yb, &mut s.b);
        add_into(y, B::Out::back(&s.yb));
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        self.describe_branches::<X>(at, A::Out::DIMS, f)
    }
}

impl<X: Row<Scalar: Scalar>, A: Trainable<X>, B: Trainable<X>> Trainable<X> for Sum<A, B>
where
    B::Out: SameRows<A::Out>,
{
    type Cache<R: Rows> = CacheOf<X, A, B, R>;

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<A::Out, R>,
        c: &mut Self::Cache<R>,
        training: &mut Training,
    ) {
        forward_both(&mut self.a, &mut self.b, x, c, training);
        y.set_rows(x.nrows());
        y.as_mut_slice().copy_from_slice(c.ya.as_slice());
        add_into(y, B::Out::back(&c.yb));
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
        let dyb = B::Out::same(dy);
        backward_both(&mut self.a, &mut self.b, x, cache, Some(dy), Some(dyb), dx);
    }
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
    /// `(a(x), b(x))`.
    pub const fn new(a: A, b: B) -> Self {
        Concat { a, b }
    }
}

two_branches!(Concat, "Concat");

/// Writes `(a, b)` rows into `y`.
fn pair_up<A: Row, B: Row<Scalar = A::Scalar>, R: Rows>(
    y: &mut Batch<Pair<A, B>, R>,
    a: &Batch<A, R>,
    b: &Batch<B, R>,
) {
    y.set_rows(a.nrows());
    for ((y, a), b) in y.rows_mut().iter_mut().zip(a.rows()).zip(b.rows()) {
        *y = Pair { first: *a, second: *b };
    }
}

impl<X: Row, A: Layer<X>, B: Layer<X, Out: Row<Scalar = <A::Out as Row>::Scalar>>> Layer<X> for Concat<A, B> {
    type Out = Pair<A::Out, B::Out>;
    type Scratch<R: Rows> = ScratchOf<X, A, B, R>;

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<Self::Out, R>, s: &mut Self::Scratch<R>) {
        s.ya.set_rows(x.nrows());
        s.yb.set_rows(x.nrows());
        self.a.infer_with(x, &mut s.ya, &mut s.a);
        self.b.infer_with(x, &mut s.yb, &mut s.b);
        pair_up(y, &s.ya, &s.yb);
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        self.describe_branches::<X>(at, <Self::Out as Row>::DIMS, f)
    }
}

impl<X: Row<Scalar: Scalar>, A: Trainable<X>, B: Trainable<X>> Trainable<X> for Concat<A, B> {
    type Cache<R: Rows> = CacheOf<X, A, B, R>;

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<Self::Out, R>,
        c: &mut Self::Cache<R>,
        training: &mut Training,
    ) {
        forward_both(&mut self.a, &mut self.b, x, c, training);
        pair_up(y, &c.ya, &c.yb);
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
}
