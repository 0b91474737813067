//! The fully connected layer y = x·W + b.

use core::fmt;

use rand::Rng;

use crate::Element;
use crate::model::{DefaultStorage, Frozen, Inline, InlineMatrix, NoGrad, SameScalar, Storage, TrainStorage};
use crate::{
    Batch, Init, Layer, Params, Row, Rows, Scalar, Shape, TensorData, Tensors, Trainable, Training, expect_rows,
    kernels,
};

/// y = x·W + b, from input rows `X` (`[T; IN]`, or an [`Image`](crate::Image)
/// read as its `C·H·W` values) to `OUT`-wide rows `[T; OUT]`.
///
/// W has one row of `OUT` values per input value (the book's layout,
/// `[IN, OUT]`; baked into Rust source shaped like the input rows,
/// `[C, H, W, OUT]` for images), b has `OUT` values. Backward stores dW = xᵀ·dy and db = Σ rows of dy on the layer
/// and, when asked, returns dx = dy·Wᵀ. The storage `S` is
/// [`Heap`](crate::Heap) by default (with `alloc`), [`Inline`] for a
/// heap-free layer, or [`Frozen`] for one that only infers and keeps no
/// gradients.
///
/// ```
/// use typenet::prelude::*;
///
/// let fc = Affine::<[f64; 2], 3>::from_parts(&[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]], &[1.0, 2.0, 3.0]);
/// let mut y = Batch::zeros(1);
/// fc.infer(&Batch::from_rows(vec![[1.0, 2.0]]), &mut y);
/// assert_eq!(y[0], [6.0, 13.0, 20.0]);
/// ```
pub struct Affine<X: Row, const OUT: usize, S: Storage = DefaultStorage> {
    w: S::Matrix<X, [X::Scalar; OUT]>,
    b: S::Matrix<[X::Scalar; 1], [X::Scalar; OUT]>,
    dw: S::Grad<X, [X::Scalar; OUT]>,
    db: S::Grad<[X::Scalar; 1], [X::Scalar; OUT]>,
}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: Storage> Affine<X, OUT, S> {
    /// All weights and biases zero.
    pub fn zeros() -> Self {
        let zero = [X::Scalar::ZERO; OUT];
        Affine {
            w: S::filled::<X, _>(zero),
            b: S::filled::<[X::Scalar; 1], _>(zero),
            dw: S::grad_filled::<X, _>(zero),
            db: S::grad_filled::<[X::Scalar; 1], _>(zero),
        }
    }

    /// Weights drawn from `init` (seeded by `rng`, fan-in = the input
    /// width), biases zero.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use typenet::{Affine, Init};
    ///
    /// let a = Affine::<[f32; 784], 50>::init(Init::Normal(0.01), &mut StdRng::seed_from_u64(1));
    /// let b = Affine::<[f32; 784], 50>::init(Init::Normal(0.01), &mut StdRng::seed_from_u64(1));
    /// assert_eq!(a.weights(), b.weights());
    /// ```
    pub fn init<G: Rng + ?Sized>(init: Init, rng: &mut G) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.w.as_mut_slice().as_flattened_mut(), X::WIDTH, rng);
        layer
    }

    /// A layer with these weights (one row of `OUT` per input value) and
    /// biases.
    pub fn from_parts(weights: &X::Array<[X::Scalar; OUT]>, bias: &[X::Scalar; OUT]) -> Self {
        let mut layer = Self::zeros();
        layer.w.as_mut_slice().copy_from_slice(X::array_slice(weights));
        layer.b.as_mut_slice()[0] = *bias;
        layer
    }

    /// A layer whose weight (i, j) is `weight(i, j)` and bias j is `bias(j)`.
    pub fn from_fn(
        mut weight: impl FnMut(usize, usize) -> X::Scalar,
        mut bias: impl FnMut(usize) -> X::Scalar,
    ) -> Self {
        let mut layer = Self::zeros();
        for (i, row) in layer.w.as_mut_slice().iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = weight(i, j);
            }
        }
        for (j, v) in layer.b.as_mut_slice()[0].iter_mut().enumerate() {
            *v = bias(j);
        }
        layer
    }

    /// The weights: one row of `OUT` per input value.
    pub fn weights(&self) -> &[[X::Scalar; OUT]] {
        self.w.as_slice()
    }

    /// The weights, mutably.
    pub fn weights_mut(&mut self) -> &mut [[X::Scalar; OUT]] {
        self.w.as_mut_slice()
    }

    /// The biases.
    pub fn bias(&self) -> &[X::Scalar; OUT] {
        &self.b.as_slice()[0]
    }

    /// The biases, mutably.
    pub fn bias_mut(&mut self) -> &mut [X::Scalar; OUT] {
        &mut self.b.as_mut_slice()[0]
    }

    /// dW from the last backward pass (empty for a [`Frozen`] layer).
    pub fn weight_grad(&self) -> &[[X::Scalar; OUT]] {
        self.dw.as_slice()
    }

    /// db from the last backward pass (empty for a [`Frozen`] layer).
    pub fn bias_grad(&self) -> &[X::Scalar] {
        self.db.as_slice().as_flattened()
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize> Affine<X, OUT, Inline> {
    /// An inline layer with these weights (one run of `OUT` per input
    /// value, shaped like the input rows: `[[T; OUT]; IN]`, or
    /// `[[[[T; OUT]; W]; H]; C]` for images) and biases, in a constant
    /// expression: weights exported by [`rust_source`](crate::io::rust_source)
    /// become a `static` net with no heap and no start-up work, trainable
    /// on the device.
    pub const fn from_arrays(weights: X::Array<[X::Scalar; OUT]>, bias: [X::Scalar; OUT]) -> Self {
        Affine {
            w: InlineMatrix(weights),
            b: InlineMatrix([bias]),
            // SAFETY: by `Row`'s contract an `Array<E>` is nothing but `E`s,
            // here arrays of floats, for which all-zero bytes are 0.0.
            dw: InlineMatrix(unsafe { core::mem::zeroed() }),
            db: InlineMatrix([[X::Scalar::ZERO; OUT]]),
        }
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize> Affine<X, OUT, Frozen> {
    /// An inference-only layer with these weights and biases (shaped as
    /// for [`Affine::from_arrays`]), in a constant expression: a `static`
    /// of these takes exactly its parameters' bytes of flash.
    pub const fn frozen(weights: X::Array<[X::Scalar; OUT]>, bias: [X::Scalar; OUT]) -> Self {
        Affine {
            w: InlineMatrix(weights),
            b: InlineMatrix([bias]),
            dw: NoGrad::NONE,
            db: NoGrad::NONE,
        }
    }
}

/// What an [`Affine`]'s training pass keeps for its backward pass: where
/// its input is zero, so the weight gradient's product skips the same
/// terms without scanning the input again.
#[derive(Clone, Debug, Default)]
pub struct AffineCache {
    nonzero: kernels::Nonzero,
}

impl<X: Row, const OUT: usize, S: Storage> Tensors for Affine<X, OUT, S> {
    crate::tensors! {
        "W": Weight { fan_in: X::WIDTH }, [X::WIDTH, OUT], Shape::rows_then(X::DIMS, OUT) => w / dw;
        "b": Bias, [OUT] => b / db;
    }
}

impl<T: Scalar, X: Row<Scalar: SameScalar<T>>, const OUT: usize, S: TrainStorage> Params<T> for Affine<X, OUT, S> {}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: Storage> Layer<X> for Affine<X, OUT, S> {
    type Out = [X::Scalar; OUT];
    type Scratch<R: Rows> = ();

    #[inline]
    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<[X::Scalar; OUT], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        let bias = self.bias();
        for row in y.rows_mut() {
            *row = *bias;
        }
        let w = self.w.as_slice().as_flattened();
        kernels::nn(x.nrows(), X::WIDTH, OUT, x.as_slice(), w, y.as_mut_slice(), true);
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: TrainStorage> Trainable<X> for Affine<X, OUT, S> {
    type Cache<R: Rows> = AffineCache;

    #[inline]
    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<[X::Scalar; OUT], R>,
        cache: &mut AffineCache,
        _: &mut Training,
    ) {
        y.set_rows(x.nrows());
        let bias = self.bias();
        for row in y.rows_mut() {
            *row = *bias;
        }
        let w = self.w.as_slice().as_flattened();
        let (m, x, y) = (x.nrows(), x.as_slice(), y.as_mut_slice());
        kernels::nn_keeping(m, X::WIDTH, OUT, x, w, y, true, &mut cache.nonzero);
    }

    #[inline]
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        _: &Batch<[X::Scalar; OUT], R>,
        dy: &Batch<[X::Scalar; OUT], R>,
        cache: &mut AffineCache,
        dx: Option<&mut Batch<X, R>>,
    ) {
        let m = x.nrows();
        expect_rows::<Self>("dy", m, dy.nrows());
        let dw = self.dw.as_mut_slice().as_flattened_mut();
        kernels::tn_reusing(m, X::WIDTH, OUT, x.as_slice(), dy.as_slice(), dw, &cache.nonzero);
        let db = &mut self.db.as_mut_slice()[0];
        *db = [X::Scalar::ZERO; OUT];
        for row in dy.rows() {
            for (s, &v) in db.iter_mut().zip(row) {
                *s = *s + v;
            }
        }
        if let Some(dx) = dx {
            dx.set_rows(m);
            let w = self.w.as_slice().as_flattened();
            kernels::nt(m, OUT, X::WIDTH, dy.as_slice(), w, dx.as_mut_slice());
        }
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: Storage> Clone for Affine<X, OUT, S> {
    fn clone(&self) -> Self {
        Affine {
            w: self.w.clone(),
            b: self.b.clone(),
            dw: self.dw.clone(),
            db: self.db.clone(),
        }
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: Storage> PartialEq for Affine<X, OUT, S> {
    /// Equal weights and biases (gradients are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.w.as_slice() == other.w.as_slice() && self.b.as_slice() == other.b.as_slice()
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: Storage> fmt::Debug for Affine<X, OUT, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Affine {:?} → [{OUT}] ({:?})", X::DIMS, S::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Image;

    /// The constant constructors (Miri runs these): shaped weights land
    /// where the generic constructor puts them, and the inline gradient
    /// starts at zero.
    #[test]
    fn inline_constructors_place_every_weight() {
        const FC: Affine<Image<f32, 2, 1, 2>, 3, Inline> = Affine::from_arrays(
            [
                [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]],
                [[[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]],
            ],
            [0.5; 3],
        );
        let by_fn = Affine::<Image<f32, 2, 1, 2>, 3, Inline>::from_fn(|i, j| (3 * i + j + 1) as f32, |_| 0.5);
        assert_eq!(FC, by_fn);
        assert_eq!(FC.weight_grad().as_flattened(), &[0.0; 12]);
        let mut y = Batch::<[f32; 3], crate::Const<1>>::default();
        FC.infer(&Batch::new([Image([[[1.0, 0.0]], [[0.0, 1.0]]])]), &mut y);
        assert_eq!(y[0], [1.0 + 10.0 + 0.5, 2.0 + 11.0 + 0.5, 3.0 + 12.0 + 0.5]);
    }
}
