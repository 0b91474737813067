//! RMSprop.

use crate::optim::state::{EPSILON, State};
use crate::{Optimizer, Scalar};

/// RMSprop: h ← ρ·h + (1 − ρ)·dW², W ← W − lr·dW / (√h + 1e-7): AdaGrad
/// with a forgetting average.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsProp<T> {
    /// The learning rate.
    pub lr: f64,
    /// The decay rate ρ of the running average.
    pub decay_rate: f64,
    mean_sq: State<T>,
}

impl<T: Scalar> RmsProp<T> {
    /// RMSprop with these rates.
    pub fn new(lr: f64, decay_rate: f64) -> Self {
        RmsProp {
            lr,
            decay_rate,
            mean_sq: State::default(),
        }
    }
}

impl<T: Scalar> Default for RmsProp<T> {
    /// The book's defaults: lr 0.01, ρ 0.99.
    fn default() -> Self {
        Self::new(0.01, 0.99)
    }
}

impl<T: Scalar> Optimizer<T> for RmsProp<T> {
    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]) {
        let (lr, eps) = (T::of(self.lr), T::of(EPSILON));
        let (rho, keep) = (T::of(self.decay_rate), T::of(1.0 - self.decay_rate));
        let h = self.mean_sq.get(tensor, value.len());
        for ((w, h), &g) in value.iter_mut().zip(h.iter_mut()).zip(grad) {
            *h = rho * *h + keep * g * g;
            *w = *w - lr * g / (h.sqrt() + eps);
        }
    }
}
