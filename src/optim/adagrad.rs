//! AdaGrad.

use crate::optim::state::{EPSILON, State};
use crate::{Optimizer, Scalar};

/// AdaGrad: h ← h + dW², W ← W − lr·dW / (√h + 1e-7). Each weight's step
/// shrinks with the gradients it has seen.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaGrad<T> {
    /// The learning rate.
    pub lr: f64,
    sum_sq: State<T>,
}

impl<T: Scalar> AdaGrad<T> {
    /// AdaGrad with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        AdaGrad {
            lr,
            sum_sq: State::default(),
        }
    }
}

impl<T: Scalar> Default for AdaGrad<T> {
    /// The book's default: lr 0.01.
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl<T: Scalar> Optimizer<T> for AdaGrad<T> {
    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]) {
        let (lr, eps) = (T::of(self.lr), T::of(EPSILON));
        let h = self.sum_sq.get(tensor, value.len());
        for ((w, h), &g) in value.iter_mut().zip(h.iter_mut()).zip(grad) {
            *h = *h + g * g;
            *w = *w - lr * g / (h.sqrt() + eps);
        }
    }
}
