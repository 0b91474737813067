//! The fully connected layer y = x·W + b.

use core::fmt;

use rand::Rng;

use crate::storage::{DefaultStorage, Inline, ParamMatrix, Storage};
use crate::{Batch, Init, Layer, LayerInfo, Param, ParamMut, Rows, Scalar, kernels};

/// y = x·W + b for `IN`-wide input rows and `OUT`-wide output rows.
///
/// W is `IN × OUT` (the book's layout: one row per input), b has `OUT`
/// values. Backward stores dW = xᵀ·dy and db = Σ rows of dy on the layer
/// and, when asked, returns dx = dy·Wᵀ. The storage `S` is [`Heap`] by
/// default (with `alloc`) or [`Inline`] for a heap-free layer.
///
/// ```
/// use typenet::prelude::*;
///
/// let fc = Affine::<f64, 2, 3>::from_parts(&[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]], &[1.0, 2.0, 3.0]);
/// let x: Batch<[f64; 2]> = Batch::from_rows(vec![[1.0, 2.0]]);
/// let mut y = Batch::zeros(1);
/// fc.forward(&x, &mut y, &mut ());
/// assert_eq!(y[0], [6.0, 13.0, 20.0]);
/// ```
///
/// [`Heap`]: crate::Heap
/// [`Inline`]: crate::Inline
pub struct Affine<T: Scalar, const IN: usize, const OUT: usize, S: Storage = DefaultStorage> {
    w: S::Matrix<T, IN, OUT>,
    b: S::Matrix<T, 1, OUT>,
    dw: S::Matrix<T, IN, OUT>,
    db: S::Matrix<T, 1, OUT>,
}

impl<T: Scalar, const IN: usize, const OUT: usize, S: Storage> Affine<T, IN, OUT, S> {
    /// All weights and biases zero.
    pub fn zeros() -> Self {
        Affine {
            w: S::zeros(),
            b: S::zeros(),
            dw: S::zeros(),
            db: S::zeros(),
        }
    }

    /// Weights drawn from `init` (seeded by `rng`), biases zero.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use typenet::{Affine, Init};
    ///
    /// let a = Affine::<f32, 784, 50>::init(Init::Normal(0.01), &mut StdRng::seed_from_u64(1));
    /// let b = Affine::<f32, 784, 50>::init(Init::Normal(0.01), &mut StdRng::seed_from_u64(1));
    /// assert_eq!(a.weights(), b.weights());
    /// ```
    pub fn init<G: Rng + ?Sized>(init: Init, rng: &mut G) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.w.rows_mut().as_flattened_mut(), IN, rng);
        layer
    }

    /// A layer with these weights (`IN` rows of `OUT`) and biases.
    pub fn from_parts(weights: &[[T; OUT]; IN], bias: &[T; OUT]) -> Self {
        let mut layer = Self::zeros();
        layer.w.rows_mut().copy_from_slice(weights);
        layer.b.rows_mut()[0] = *bias;
        layer
    }

    /// A layer whose weight (i, j) is `weight(i, j)` and bias j is `bias(j)`.
    pub fn from_fn(mut weight: impl FnMut(usize, usize) -> T, mut bias: impl FnMut(usize) -> T) -> Self {
        let mut layer = Self::zeros();
        for (i, row) in layer.w.rows_mut().iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = weight(i, j);
            }
        }
        for (j, v) in layer.b.rows_mut()[0].iter_mut().enumerate() {
            *v = bias(j);
        }
        layer
    }

    /// The weights: `IN` rows of `OUT`.
    pub fn weights(&self) -> &[[T; OUT]] {
        self.w.rows()
    }

    /// The weights, mutably.
    pub fn weights_mut(&mut self) -> &mut [[T; OUT]] {
        self.w.rows_mut()
    }

    /// The biases.
    pub fn bias(&self) -> &[T; OUT] {
        &self.b.rows()[0]
    }

    /// The biases, mutably.
    pub fn bias_mut(&mut self) -> &mut [T; OUT] {
        &mut self.b.rows_mut()[0]
    }

    /// dW from the last backward pass.
    pub fn weight_grad(&self) -> &[[T; OUT]] {
        self.dw.rows()
    }

    /// db from the last backward pass.
    pub fn bias_grad(&self) -> &[T; OUT] {
        &self.db.rows()[0]
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize> Affine<T, IN, OUT, Inline> {
    /// An inline layer with these weights and biases, in a constant
    /// expression: weights exported by [`rust_source`](crate::io::rust_source)
    /// become a `static` net with no heap and no start-up work.
    pub const fn from_arrays(weights: [[T; OUT]; IN], bias: [T; OUT]) -> Self {
        Affine {
            w: weights,
            b: [bias],
            dw: [[T::ZERO; OUT]; IN],
            db: [[T::ZERO; OUT]; 1],
        }
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize, S: Storage> Layer<[T; IN]> for Affine<T, IN, OUT, S> {
    type Out = [T; OUT];
    type Cache<R: Rows> = ();

    #[inline]
    fn forward<R: Rows>(&self, x: &Batch<[T; IN], R>, y: &mut Batch<[T; OUT], R>, _: &mut ()) {
        let bias = self.bias();
        for row in y.rows_mut() {
            *row = *bias;
        }
        let m = x.nrows();
        kernels::nn(
            m,
            IN,
            OUT,
            x.as_slice(),
            self.w.rows().as_flattened(),
            y.as_mut_slice(),
            true,
        );
    }

    #[inline]
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<[T; IN], R>,
        _: &Batch<[T; OUT], R>,
        dy: &Batch<[T; OUT], R>,
        _: &mut (),
        dx: Option<&mut Batch<[T; IN], R>>,
    ) {
        let m = x.nrows();
        kernels::tn(
            m,
            IN,
            OUT,
            x.as_slice(),
            dy.as_slice(),
            self.dw.rows_mut().as_flattened_mut(),
        );
        let db = &mut self.db.rows_mut()[0];
        *db = [T::ZERO; OUT];
        for row in dy.rows() {
            for (s, &v) in db.iter_mut().zip(row) {
                *s = *s + v;
            }
        }
        if let Some(dx) = dx {
            kernels::nt(
                m,
                OUT,
                IN,
                dy.as_slice(),
                self.w.rows().as_flattened(),
                dx.as_mut_slice(),
            );
        }
    }

    fn visit_params<F: FnMut(Param<'_, T>)>(&self, first: usize, f: &mut F) {
        f(Param {
            layer: first,
            name: "W",
            shape: [IN, OUT],
            value: self.w.rows().as_flattened(),
            grad: self.dw.rows().as_flattened(),
        });
        f(Param {
            layer: first,
            name: "b",
            shape: [1, OUT],
            value: self.b.rows().as_flattened(),
            grad: self.db.rows().as_flattened(),
        });
    }

    fn visit_params_mut<F: FnMut(ParamMut<'_, T>)>(&mut self, first: usize, f: &mut F) {
        f(ParamMut {
            layer: first,
            name: "W",
            shape: [IN, OUT],
            value: self.w.rows_mut().as_flattened_mut(),
            grad: self.dw.rows_mut().as_flattened_mut(),
        });
        f(ParamMut {
            layer: first,
            name: "b",
            shape: [1, OUT],
            value: self.b.rows_mut().as_flattened_mut(),
            grad: self.db.rows_mut().as_flattened_mut(),
        });
    }

    fn describe<F: FnMut(LayerInfo)>(&self, first: usize, f: &mut F) {
        f(LayerInfo {
            index: first,
            kind: "Affine",
            inputs: IN,
            outputs: OUT,
            params: IN * OUT + OUT,
        });
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize, S: Storage> Clone for Affine<T, IN, OUT, S> {
    fn clone(&self) -> Self {
        Affine {
            w: self.w.clone(),
            b: self.b.clone(),
            dw: self.dw.clone(),
            db: self.db.clone(),
        }
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize, S: Storage> PartialEq for Affine<T, IN, OUT, S> {
    /// Equal weights and biases (gradients are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.w.rows() == other.w.rows() && self.b.rows() == other.b.rows()
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize, S: Storage> fmt::Debug for Affine<T, IN, OUT, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Affine<{}, {IN}, {OUT}, {:?}>", T::RUST_NAME, S::default())
    }
}
