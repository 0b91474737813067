//! Adam.

use num_traits::Float;

use crate::optim::state::{EPSILON, State};
use crate::{Optimizer, Scalar};

/// Adam, in the book's form: with t the step number,
/// lrₜ = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ), m ← m + (1 − β₁)(dW − m),
/// v ← v + (1 − β₂)(dW² − v), W ← W − lrₜ·m / (√v + 1e-7).
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T> {
    /// The learning rate.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    steps: i32,
    m: State<T>,
    v: State<T>,
}

impl<T: Scalar> Adam<T> {
    /// Adam with these rates.
    pub fn new(lr: f64, beta1: f64, beta2: f64) -> Self {
        Adam {
            lr,
            beta1,
            beta2,
            steps: 0,
            m: State::default(),
            v: State::default(),
        }
    }
}

impl<T: Scalar> Default for Adam<T> {
    /// The book's defaults: lr 0.001, β₁ 0.9, β₂ 0.999.
    fn default() -> Self {
        Self::new(0.001, 0.9, 0.999)
    }
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    fn begin_step(&mut self, _: Option<f64>) {
        self.steps = self.steps.saturating_add(1);
    }

    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]) {
        let t = self.steps.max(1);
        let lr_t = self.lr * Float::sqrt(1.0 - Float::powi(self.beta2, t)) / (1.0 - Float::powi(self.beta1, t));
        let (lr_t, eps) = (T::of(lr_t), T::of(EPSILON));
        let (c1, c2) = (T::of(1.0 - self.beta1), T::of(1.0 - self.beta2));
        let m = self.m.get(tensor, value.len());
        let v = self.v.get(tensor, value.len());
        for (((w, m), v), &g) in value.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(grad) {
            *m = *m + c1 * (g - *m);
            *v = *v + c2 * (g * g - *v);
            *w = *w - lr_t * *m / (v.sqrt() + eps);
        }
    }
}
