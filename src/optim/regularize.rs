//! Wrappers that change the gradient an optimizer sees: weight decay and
//! clipping by global norm.

use alloc::vec::Vec;

use crate::{Optimizer, Scalar};

/// L2 weight decay around any optimizer: it updates with dW + λ·W, the
/// gradient of the loss plus ½λ‖W‖² (the book's `weight_decay_lambda`).
#[derive(Clone, Debug, PartialEq)]
pub struct WeightDecay<O, T> {
    /// The wrapped optimizer.
    pub inner: O,
    /// The decay λ.
    pub lambda: f64,
    scratch: Vec<T>,
}

impl<O, T> WeightDecay<O, T> {
    /// `inner` with weight decay `lambda`.
    pub fn new(inner: O, lambda: f64) -> Self {
        WeightDecay {
            inner,
            lambda,
            scratch: Vec::new(),
        }
    }
}

impl<T: Scalar, O: Optimizer<T>> Optimizer<T> for WeightDecay<O, T> {
    const USES_GRADIENT_NORM: bool = O::USES_GRADIENT_NORM;

    fn begin_step(&mut self, gradient_norm: Option<f64>) {
        self.inner.begin_step(gradient_norm);
    }

    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]) {
        let lambda = T::of(self.lambda);
        self.scratch.clear();
        self.scratch
            .extend(grad.iter().zip(value.iter()).map(|(&g, &w)| g + lambda * w));
        self.inner.update(tensor, value, &self.scratch);
    }
}

/// Clipping by global norm around any optimizer: when the L2 norm of all
/// of a step's gradients exceeds `max_norm`, every gradient is scaled down
/// by the same factor so the norm is `max_norm`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipNorm<O, T> {
    /// The wrapped optimizer.
    pub inner: O,
    /// The largest gradient norm let through.
    pub max_norm: f64,
    scale: f64,
    scratch: Vec<T>,
}

impl<O, T> ClipNorm<O, T> {
    /// `inner` with gradients clipped to norm `max_norm`.
    pub fn new(inner: O, max_norm: f64) -> Self {
        ClipNorm {
            inner,
            max_norm,
            scale: 1.0,
            scratch: Vec::new(),
        }
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

    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]) {
        if self.scale >= 1.0 {
            return self.inner.update(tensor, value, grad);
        }
        let scale = T::of(self.scale);
        self.scratch.clear();
        self.scratch.extend(grad.iter().map(|&g| g * scale));
        self.inner.update(tensor, value, &self.scratch);
    }
}
