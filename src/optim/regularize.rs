//! Wrappers that change the gradient an optimizer sees: weight decay and
//! clipping by global norm.

use alloc::vec::Vec;

use super::{Update, check_non_negative, valid};
use crate::{HyperParameterError, Optimizer, ParamKind, Scalar};

/// `tensor` with its gradient replaced by `scratch`.
fn with_grad<'a, T>(tensor: Update<'a, T>, scratch: &'a [T]) -> Update<'a, T> {
    Update {
        grad: scratch,
        ..tensor
    }
}

/// L2 weight decay around any optimizer: weights are updated with
/// dW + λ·W, the gradient of the loss plus ½λ‖W‖² (the book's
/// `weight_decay_lambda`). Like the book, it decays weights only: biases,
/// scales and buffers are left alone.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightDecay<O, T> {
    /// The wrapped optimizer.
    pub inner: O,
    lambda: f64,
    scratch: Vec<T>,
}

impl<O, T: Scalar> WeightDecay<O, T> {
    /// `inner` with weight decay `lambda`.
    ///
    /// # Panics
    /// Unless λ is finite and ≥ 0; see [`try_new`](WeightDecay::try_new).
    #[track_caller]
    pub fn new(inner: O, lambda: f64) -> Self {
        valid(Self::try_new(inner, lambda))
    }

    /// Weight decay, or an error unless λ is finite and ≥ 0, as given and
    /// as a `T`, the type the updates compute in.
    pub fn try_new(inner: O, lambda: f64) -> Result<Self, HyperParameterError> {
        check_non_negative::<T>("WeightDecay", "lambda", lambda)?;
        Ok(WeightDecay {
            inner,
            lambda,
            scratch: Vec::new(),
        })
    }

    /// λ.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
}

impl<T: Scalar, O: Optimizer<T>> WeightDecay<O, T> {
    /// Runs `f` on the tensor as the inner optimizer should see it.
    fn decayed<R>(&mut self, t: Update<'_, T>, f: impl FnOnce(&mut O, Update<'_, T>) -> R) -> R {
        if !matches!(t.kind, ParamKind::Weight { .. }) || self.lambda == 0.0 {
            return f(&mut self.inner, t);
        }
        let lambda = T::of(self.lambda);
        self.scratch.clear();
        self.scratch
            .extend(t.grad.iter().zip(t.value.iter()).map(|(&g, &w)| g + lambda * w));
        f(&mut self.inner, with_grad(t, &self.scratch))
    }
}

impl<T: Scalar, O: Optimizer<T>> Optimizer<T> for WeightDecay<O, T> {
    const USES_GRADIENT_NORM: bool = O::USES_GRADIENT_NORM;

    fn begin_step(&mut self, gradient_norm: Option<f64>) {
        self.inner.begin_step(gradient_norm);
    }

    fn check(&mut self, t: Update<'_, T>) -> bool {
        self.decayed(t, |o, t| o.check(t))
    }

    fn update(&mut self, t: Update<'_, T>) {
        self.decayed(t, |o, t| o.update(t))
    }

    fn end_step(&mut self) {
        self.inner.end_step();
    }
}

/// Clipping by global norm around any optimizer: when the L2 norm of all
/// of a step's gradients exceeds `max_norm`, every gradient is scaled down
/// by the same factor so the norm is `max_norm`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipNorm<O, T> {
    /// The wrapped optimizer.
    pub inner: O,
    max_norm: f64,
    scale: f64,
    scratch: Vec<T>,
}

impl<O, T> ClipNorm<O, T> {
    /// `inner` with gradients clipped to norm `max_norm`.
    ///
    /// # Panics
    /// Unless `max_norm` is finite and > 0; see
    /// [`try_new`](ClipNorm::try_new).
    #[track_caller]
    pub fn new(inner: O, max_norm: f64) -> Self {
        valid(Self::try_new(inner, max_norm))
    }

    /// Clipping, or an error unless `max_norm` is finite and > 0.
    pub fn try_new(inner: O, max_norm: f64) -> Result<Self, HyperParameterError> {
        let ok = max_norm.is_finite() && max_norm > 0.0;
        HyperParameterError::check("ClipNorm", "max_norm", max_norm, ok, "finite and > 0")?;
        Ok(ClipNorm {
            inner,
            max_norm,
            scale: 1.0,
            scratch: Vec::new(),
        })
    }

    /// The largest gradient norm let through.
    pub fn max_norm(&self) -> f64 {
        self.max_norm
    }
}

impl<T: Scalar, O: Optimizer<T>> ClipNorm<O, T> {
    /// Runs `f` on the tensor as the inner optimizer should see it.
    fn clipped<R>(&mut self, t: Update<'_, T>, f: impl FnOnce(&mut O, Update<'_, T>) -> R) -> R {
        if self.scale >= 1.0 {
            return f(&mut self.inner, t);
        }
        let scale = T::of(self.scale);
        self.scratch.clear();
        self.scratch.extend(t.grad.iter().map(|&g| g * scale));
        f(&mut self.inner, with_grad(t, &self.scratch))
    }
}

impl<T: Scalar, O: Optimizer<T>> Optimizer<T> for ClipNorm<O, T> {
    const USES_GRADIENT_NORM: bool = true;

    fn begin_step(&mut self, gradient_norm: Option<f64>) {
        let norm = gradient_norm.unwrap_or(0.0);
        self.scale = if norm > self.max_norm {
            self.max_norm / norm
        } else {
            1.0
        };
        self.inner.begin_step(gradient_norm.map(|n| n * self.scale));
    }

    fn check(&mut self, t: Update<'_, T>) -> bool {
        self.clipped(t, |o, t| o.check(t))
    }

    fn update(&mut self, t: Update<'_, T>) {
        self.clipped(t, |o, t| o.update(t))
    }

    fn end_step(&mut self) {
        self.inner.end_step();
    }
}
