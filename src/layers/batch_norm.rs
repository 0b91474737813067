//! Batch normalization (the book's chapter 6): each feature normalised by
//! the batch's statistics in training and by running averages at inference.

use core::fmt;

use crate::model::{DefaultStorage, ParamMatrix, Storage};
use crate::{
    Batch, Const, HyperParameterError, Image, Layer, Param, ParamKind, ParamMut, Row, Rows, Scalar, Training,
    expect_rows,
};

/// Batch normalization over `F` features: y = γ·(x − μ)/√(σ² + ε) + β.
///
/// On dense rows `[T; F]` each of the `F` values is a feature (the book's
/// `BatchNormalization`, PyTorch's `BatchNorm1d`); on images
/// `Image<T, F, H, W>` each of the `F` channels is one, normalised over the
/// batch and all H×W positions (PyTorch's `BatchNorm2d`).
///
/// In training ([`forward`](Layer::forward)) μ and σ² are the batch's, and
/// the running averages move towards them: `running = momentum·running +
/// (1 − momentum)·batch` (the book's momentum 0.9; σ² is the batch's
/// biased variance, as the book computes it). At inference
/// ([`infer`](Layer::infer)) the running averages are used, so a sample's
/// output does not depend on the rest of its batch. γ is a
/// [`Scale`](ParamKind::Scale) (starts at 1), β a [`Bias`](ParamKind::Bias)
/// (starts at 0); the running mean and variance are
/// [`Buffer`](ParamKind::Buffer)s: saved and loaded with the net, never
/// touched by an optimizer.
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
    dgamma: S::Matrix<[T; 1], [T; F]>,
    dbeta: S::Matrix<[T; 1], [T; F]>,
    running_mean: S::Matrix<[T; 1], [T; F]>,
    running_var: S::Matrix<[T; 1], [T; F]>,
    momentum: f64,
    eps: f64,
}

impl<T: Scalar, const F: usize, S: Storage> BatchNorm<T, F, S> {
    /// γ = 1, β = 0, running mean 0 and variance 1, with the book's
    /// momentum 0.9 and ε = 1e-6.
    pub fn new() -> Self {
        let filled = |v: T| S::filled::<[T; 1], _>([v; F]);
        BatchNorm {
            gamma: filled(T::ONE),
            beta: filled(T::ZERO),
            dgamma: filled(T::ZERO),
            dbeta: filled(T::ZERO),
            running_mean: filled(T::ZERO),
            running_var: filled(T::ONE),
            momentum: 0.9,
            eps: 1e-6,
        }
    }

    /// The same with PyTorch's defaults: momentum 0.9 in the book's sense
    /// (PyTorch's `momentum=0.1`) and ε = 1e-5, for weights trained there.
    pub fn pytorch() -> Self {
        Self::new().with_eps(1e-5)
    }

    /// With this ε (added to the variance before the square root).
    ///
    /// # Panics
    /// Unless ε is finite and > 0.
    #[track_caller]
    pub fn with_eps(mut self, eps: f64) -> Self {
        let ok = eps.is_finite() && eps > 0.0;
        if let Err(e) = HyperParameterError::check("BatchNorm", "eps", eps, ok, "finite and > 0") {
            panic!("{e}");
        }
        self.eps = eps;
        self
    }

    /// With this momentum of the running averages (the book's sense: the
    /// weight of the old average, 0.9 by default).
    ///
    /// # Panics
    /// Unless 0 ≤ momentum ≤ 1.
    #[track_caller]
    pub fn with_momentum(mut self, momentum: f64) -> Self {
        let ok = (0.0..=1.0).contains(&momentum);
        if let Err(e) = HyperParameterError::check("BatchNorm", "momentum", momentum, ok, "in [0, 1]") {
            panic!("{e}");
        }
        self.momentum = momentum;
        self
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

    fn tensors<V: FnMut(Param<'_, T>) + ?Sized>(&self, layer: usize, f: &mut V) {
        f(Param::new(
            layer,
            "gamma",
            ParamKind::Scale,
            &[F],
            self.gamma.as_slice().as_flattened(),
            self.dgamma.as_slice().as_flattened(),
        ));
        f(Param::new(
            layer,
            "beta",
            ParamKind::Bias,
            &[F],
            self.beta.as_slice().as_flattened(),
            self.dbeta.as_slice().as_flattened(),
        ));
        f(Param::new(
            layer,
            "running_mean",
            ParamKind::Buffer,
            &[F],
            self.running_mean.as_slice().as_flattened(),
            &[],
        ));
        f(Param::new(
            layer,
            "running_var",
            ParamKind::Buffer,
            &[F],
            self.running_var.as_slice().as_flattened(),
            &[],
        ));
    }

    fn tensors_mut<V: FnMut(ParamMut<'_, T>) + ?Sized>(&mut self, layer: usize, f: &mut V) {
        let (g, dg) = (
            self.gamma.as_mut_slice().as_flattened_mut(),
            self.dgamma.as_mut_slice().as_flattened_mut(),
        );
        f(ParamMut::new(layer, "gamma", ParamKind::Scale, &[F], g, dg));
        let (b, db) = (
            self.beta.as_mut_slice().as_flattened_mut(),
            self.dbeta.as_mut_slice().as_flattened_mut(),
        );
        f(ParamMut::new(layer, "beta", ParamKind::Bias, &[F], b, db));
        let rm = self.running_mean.as_mut_slice().as_flattened_mut();
        f(ParamMut::new(
            layer,
            "running_mean",
            ParamKind::Buffer,
            &[F],
            rm,
            &mut [],
        ));
        let rv = self.running_var.as_mut_slice().as_flattened_mut();
        f(ParamMut::new(
            layer,
            "running_var",
            ParamKind::Buffer,
            &[F],
            rv,
            &mut [],
        ));
    }
}

impl<T: Scalar, const F: usize, S: Storage> Default for BatchNorm<T, F, S> {
    fn default() -> Self {
        Self::new()
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
            type Cache<R: Rows> = BatchNormCache<T, F, $row, R>;

            fn infer<R: Rows>(&self, x: &Batch<$row, R>, y: &mut Batch<$row, R>) {
                y.set_rows(x.nrows());
                self.infer_flat(x.nrows(), $positions, x.as_slice(), y.as_mut_slice());
            }

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

            fn visit_params<V: FnMut(Param<'_, T>) + ?Sized>(&self, layer: usize, f: &mut V) {
                self.tensors(layer, f)
            }

            fn visit_params_mut<V: FnMut(ParamMut<'_, T>) + ?Sized>(&mut self, layer: usize, f: &mut V) {
                self.tensors_mut(layer, f)
            }
        }
    };
}

batch_norm_layer!([T; F], 1);
batch_norm_layer!(Image<T, F, H, W>, H * W, H, W);
