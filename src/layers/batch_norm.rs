//! Batch normalization (the book's chapter 6): each feature normalised by
//! the batch's statistics in training and by running averages at inference.

use core::fmt;

use crate::model::{DefaultStorage, Storage, TrainStorage};
use crate::{
    Batch, Const, HyperParameterError, Image, Layer, Params, Row, Rows, Scalar, TensorData, Tensors, Trainable,
    Training, expect_rows,
};

/// Batch normalization over `F` features: y = γ·(x − μ)/√(σ² + ε) + β.
///
/// On dense rows `[T; F]` each of the `F` values is a feature (the book's
/// `BatchNormalization`, PyTorch's `BatchNorm1d`); on images
/// `Image<T, F, H, W>` each of the `F` channels is one, normalised over the
/// batch and all H×W positions (PyTorch's `BatchNorm2d`).
///
/// In training ([`forward`](Trainable::forward)) μ and σ² are the batch's, and
/// the running averages move towards them: `running = momentum·running +
/// (1 − momentum)·batch` (the book's momentum 0.9; σ² is the batch's
/// biased variance, as the book computes it). At inference
/// ([`infer`](Layer::infer)) the running averages are used, so a sample's
/// output does not depend on the rest of its batch. γ is a
/// [`Scale`](crate::ParamKind::Scale) (starts at 1), β a
/// [`Bias`](crate::ParamKind::Bias)
/// (starts at 0); the running mean and variance are
/// [`Buffer`](crate::ParamKind::Buffer)s: saved and loaded with the net,
/// never touched by an optimizer.
///
/// ```
/// use typenet::prelude::*;
///
/// let mut bn = BatchNorm::<f64, 2>::new();
/// let x = Batch::from_rows(vec![[1.0, 10.0], [3.0, 30.0]]);
/// let mut y = Batch::zeros(2);
/// bn.forward(&x, &mut y, &mut Default::default(), &mut Training::default());
/// assert!((y[0][0] + 1.0).abs() < 1e-5 && (y[1][1] - 1.0).abs() < 1e-5); // (x − μ) / σ
/// let [a, b] = *bn.running_mean(); // 0.9·0 + 0.1·μ
/// assert!((a - 0.2).abs() < 1e-12 && (b - 2.0).abs() < 1e-12);
/// ```
pub struct BatchNorm<T: Scalar, const F: usize, S: Storage = DefaultStorage> {
    gamma: S::Matrix<[T; 1], [T; F]>,
    beta: S::Matrix<[T; 1], [T; F]>,
    dgamma: S::Grad<[T; 1], [T; F]>,
    dbeta: S::Grad<[T; 1], [T; F]>,
    running_mean: S::Matrix<[T; 1], [T; F]>,
    running_var: S::Matrix<[T; 1], [T; F]>,
    momentum: f64,
    eps: f64,
}

impl<T: Scalar, const F: usize> BatchNorm<T, F> {
    /// γ = 1, β = 0, running mean 0 and variance 1, with the book's
    /// momentum 0.9 and ε = 1e-6, in the default storage (so in a chain
    /// nothing but the rows needs to be known; another storage is
    /// `BatchNorm::<T, F, Inline>::default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The same with PyTorch's defaults: momentum 0.9 in the book's sense
    /// (PyTorch's `momentum=0.1`) and ε = 1e-5, for weights trained there.
    pub fn pytorch() -> Self {
        Self::new().with_eps(1e-5)
    }
}

impl<T: Scalar, const F: usize, S: Storage> BatchNorm<T, F, S> {
    /// With this ε (added to the variance before the square root).
    ///
    /// # Panics
    /// Unless ε is finite and > 0 in `T`; [`try_with_eps`](BatchNorm::try_with_eps)
    /// returns the error instead.
    #[track_caller]
    pub fn with_eps(self, eps: f64) -> Self {
        crate::optim::valid(self.try_with_eps(eps))
    }

    /// With this ε, or an error unless it is finite and > 0 in the scalar
    /// type `T` (1e39 is infinite in `f32`; 1e-50 is 0).
    pub fn try_with_eps(mut self, eps: f64) -> Result<Self, HyperParameterError> {
        let e = T::of(eps);
        let ok = e.is_finite() && e > T::ZERO;
        HyperParameterError::check("BatchNorm", "eps", eps, ok, "finite and > 0 in the net's scalar type")?;
        self.eps = eps;
        Ok(self)
    }

    /// With this momentum of the running averages (the book's sense: the
    /// weight of the old average, 0.9 by default).
    ///
    /// # Panics
    /// Unless 0 ≤ momentum ≤ 1; [`try_with_momentum`](BatchNorm::try_with_momentum)
    /// returns the error instead.
    #[track_caller]
    pub fn with_momentum(self, momentum: f64) -> Self {
        crate::optim::valid(self.try_with_momentum(momentum))
    }

    /// With this momentum, or an error unless 0 ≤ momentum ≤ 1.
    pub fn try_with_momentum(mut self, momentum: f64) -> Result<Self, HyperParameterError> {
        let ok = (0.0..=1.0).contains(&momentum);
        HyperParameterError::check("BatchNorm", "momentum", momentum, ok, "in [0, 1]")?;
        self.momentum = momentum;
        Ok(self)
    }

    /// γ, one per feature.
    pub fn gamma(&self) -> &[T; F] {
        &self.gamma.as_slice()[0]
    }

    /// β, one per feature.
    pub fn beta(&self) -> &[T; F] {
        &self.beta.as_slice()[0]
    }

    /// The running mean, one per feature.
    pub fn running_mean(&self) -> &[T; F] {
        &self.running_mean.as_slice()[0]
    }

    /// The running variance, one per feature.
    pub fn running_var(&self) -> &[T; F] {
        &self.running_var.as_slice()[0]
    }

    /// ε.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// Inference on `n` samples of `F` features × `positions` values.
    fn infer_flat(&self, n: usize, positions: usize, x: &[T], y: &mut [T]) {
        let eps = T::of(self.eps);
        let (gamma, beta) = (self.gamma(), self.beta());
        let (mean, var) = (self.running_mean(), self.running_var());
        for f in 0..F {
            let scale = gamma[f] / (var[f] + eps).sqrt();
            let shift = beta[f] - mean[f] * scale;
            for s in 0..n {
                let at = (s * F + f) * positions;
                for (y, &x) in y[at..at + positions].iter_mut().zip(&x[at..at + positions]) {
                    *y = x * scale + shift;
                }
            }
        }
    }

    /// The training pass on `n` samples of `F` features × `positions`.
    #[allow(clippy::needless_range_loop)] // f indexes several per-feature arrays
    fn forward_flat(&mut self, n: usize, positions: usize, x: &[T], y: &mut [T], xn: &mut [T], inv_stds: &mut [T; F]) {
        let count = n * positions;
        if count == 0 {
            return;
        }
        let (eps, inv_count) = (T::of(self.eps), T::ONE / T::of(count as f64));
        let (keep, take) = (T::of(self.momentum), T::of(1.0 - self.momentum));
        for f in 0..F {
            let values = |s: usize| (s * F + f) * positions..(s * F + f + 1) * positions;
            let mean = (0..n).map(|s| x[values(s)].iter().copied().sum::<T>()).sum::<T>() * inv_count;
            let var = (0..n)
                .map(|s| x[values(s)].iter().map(|&v| (v - mean) * (v - mean)).sum::<T>())
                .sum::<T>()
                * inv_count;
            let inv_std = T::ONE / (var + eps).sqrt();
            inv_stds[f] = inv_std;
            let (g, b) = (self.gamma()[f], self.beta()[f]);
            for s in 0..n {
                let r = values(s);
                for ((y, xn), &x) in y[r.clone()].iter_mut().zip(&mut xn[r.clone()]).zip(&x[r]) {
                    *xn = (x - mean) * inv_std;
                    *y = g * *xn + b;
                }
            }
            // a batch holding NaN or infinity must not poison the averages
            // inference relies on (the step itself will be refused)
            if mean.is_finite() && var.is_finite() {
                let rm = &mut self.running_mean.as_mut_slice()[0][f];
                *rm = keep * *rm + take * mean;
                let rv = &mut self.running_var.as_mut_slice()[0][f];
                *rv = keep * *rv + take * var;
            }
        }
    }

    /// The backward pass on `n` samples of `F` features × `positions`.
    #[allow(clippy::needless_range_loop)] // f indexes several per-feature arrays
    fn backward_flat(
        &mut self,
        n: usize,
        positions: usize,
        dy: &[T],
        xn: &[T],
        inv_stds: &[T; F],
        dx: Option<&mut [T]>,
    ) {
        let count = n * positions;
        let values = |s: usize, f: usize| (s * F + f) * positions..(s * F + f + 1) * positions;
        for f in 0..F {
            let (mut dbeta, mut dgamma) = (T::ZERO, T::ZERO);
            for s in 0..n {
                for (&d, &xn) in dy[values(s, f)].iter().zip(&xn[values(s, f)]) {
                    dbeta = dbeta + d;
                    dgamma = dgamma + d * xn;
                }
            }
            self.dbeta.as_mut_slice()[0][f] = dbeta;
            self.dgamma.as_mut_slice()[0][f] = dgamma;
        }
        let Some(dx) = dx else { return };
        if count == 0 {
            return;
        }
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)), the book's backward
        // written with the sums dβ and dγ just computed
        let inv_count = T::ONE / T::of(count as f64);
        for f in 0..F {
            let scale = self.gamma()[f] * inv_stds[f];
            let (mean_dy, mean_dyxn) = (
                self.dbeta.as_slice()[0][f] * inv_count,
                self.dgamma.as_slice()[0][f] * inv_count,
            );
            for s in 0..n {
                let r = values(s, f);
                for ((dx, &d), &xn) in dx[r.clone()].iter_mut().zip(&dy[r.clone()]).zip(&xn[r]) {
                    *dx = scale * (d - mean_dy - xn * mean_dyxn);
                }
            }
        }
    }
}

impl<T: Scalar, const F: usize, S: Storage> Tensors for BatchNorm<T, F, S> {
    crate::tensors! {
        "gamma": Scale, [F] => gamma / dgamma;
        "beta": Bias, [F] => beta / dbeta;
        "running_mean": Buffer, [F] => running_mean;
        "running_var": Buffer, [F] => running_var;
    }
}

impl<U: Scalar, T: Scalar + crate::model::SameScalar<U>, const F: usize, S: TrainStorage> Params<U>
    for BatchNorm<T, F, S>
{
}

impl<T: Scalar, const F: usize, S: Storage> Default for BatchNorm<T, F, S> {
    /// γ = 1, β = 0, running mean 0 and variance 1, momentum 0.9, ε = 1e-6.
    fn default() -> Self {
        let filled = |v: T| S::filled::<[T; 1], _>([v; F]);
        let grad = || S::grad_filled::<[T; 1], _>([T::ZERO; F]);
        BatchNorm {
            gamma: filled(T::ONE),
            beta: filled(T::ZERO),
            dgamma: grad(),
            dbeta: grad(),
            running_mean: filled(T::ZERO),
            running_var: filled(T::ONE),
            momentum: 0.9,
            eps: 1e-6,
        }
    }
}

impl<T: Scalar, const F: usize, S: Storage> Clone for BatchNorm<T, F, S> {
    fn clone(&self) -> Self {
        BatchNorm {
            gamma: self.gamma.clone(),
            beta: self.beta.clone(),
            dgamma: self.dgamma.clone(),
            dbeta: self.dbeta.clone(),
            running_mean: self.running_mean.clone(),
            running_var: self.running_var.clone(),
            momentum: self.momentum,
            eps: self.eps,
        }
    }
}

impl<T: Scalar, const F: usize, S: Storage> PartialEq for BatchNorm<T, F, S> {
    /// Equal γ, β, running statistics, momentum and ε.
    fn eq(&self, o: &Self) -> bool {
        self.gamma() == o.gamma()
            && self.beta() == o.beta()
            && self.running_mean() == o.running_mean()
            && self.running_var() == o.running_var()
            && self.momentum == o.momentum
            && self.eps == o.eps
    }
}

impl<T: Scalar, const F: usize, S: Storage> fmt::Debug for BatchNorm<T, F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchNorm<{F}> (momentum {}, eps {})", self.momentum, self.eps)
    }
}

/// What [`BatchNorm`]'s training pass keeps: the normalised values and each
/// feature's 1/σ.
pub struct BatchNormCache<T: Scalar, const F: usize, X: Row, R: Rows> {
    xn: Batch<X, R>,
    inv_std: Batch<[T; F], Const<1>>,
}

impl<T: Scalar, const F: usize, X: Row, R: Rows> Default for BatchNormCache<T, F, X, R> {
    fn default() -> Self {
        BatchNormCache {
            xn: Batch::default(),
            inv_std: Batch::default(),
        }
    }
}

/// The layer for rows whose values form `F` features of `POSITIONS`
/// values each (1 for dense rows, H·W for images).
macro_rules! batch_norm_layer {
    ($row:ty, $positions:expr $(, $generic:ident)*) => {
        impl<T: Scalar, const F: usize, S: Storage $(, const $generic: usize)*> Layer<$row> for BatchNorm<T, F, S> {
            type Out = $row;
            type Scratch<R: Rows> = ();

            fn infer_with<R: Rows>(&self, x: &Batch<$row, R>, y: &mut Batch<$row, R>, _: &mut ()) {
                y.set_rows(x.nrows());
                self.infer_flat(x.nrows(), $positions, x.as_slice(), y.as_mut_slice());
            }
        }

        impl<T: Scalar, const F: usize, S: TrainStorage $(, const $generic: usize)*> Trainable<$row> for BatchNorm<T, F, S> {
            type Cache<R: Rows> = BatchNormCache<T, F, $row, R>;

            fn forward<R: Rows>(&mut self, x: &Batch<$row, R>, y: &mut Batch<$row, R>, cache: &mut Self::Cache<R>, _: &mut Training) {
                y.set_rows(x.nrows());
                cache.xn.set_rows(x.nrows());
                let (xn, inv_std) = (cache.xn.as_mut_slice(), &mut cache.inv_std[0]);
                self.forward_flat(x.nrows(), $positions, x.as_slice(), y.as_mut_slice(), xn, inv_std);
            }

            fn backward<R: Rows>(
                &mut self,
                x: &Batch<$row, R>,
                _: &Batch<$row, R>,
                dy: &Batch<$row, R>,
                cache: &mut Self::Cache<R>,
                dx: Option<&mut Batch<$row, R>>,
            ) {
                expect_rows::<Self>("dy", x.nrows(), dy.nrows());
                expect_rows::<Self>("the cache of the training pass", x.nrows(), cache.xn.nrows());
                let dx = dx.map(|dx| {
                    dx.set_rows(x.nrows());
                    dx.as_mut_slice()
                });
                self.backward_flat(x.nrows(), $positions, dy.as_slice(), cache.xn.as_slice(), &cache.inv_std[0], dx);
            }
        }
    };
}

batch_norm_layer!([T; F], 1);
batch_norm_layer!(Image<T, F, H, W>, H * W, H, W);
