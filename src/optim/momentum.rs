//! SGD with momentum.

use crate::optim::state::State;
use crate::{Optimizer, Scalar};

/// Momentum SGD (the book's `Momentum`): v ← μ·v − lr·dW, W ← W + v.
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<T> {
    /// The learning rate.
    pub lr: f64,
    /// The momentum μ.
    pub momentum: f64,
    velocity: State<T>,
}

impl<T: Scalar> Momentum<T> {
    /// Momentum SGD with these rates.
    pub fn new(lr: f64, momentum: f64) -> Self {
        Momentum {
            lr,
            momentum,
            velocity: State::default(),
        }
    }
}

impl<T: Scalar> Default for Momentum<T> {
    /// The book's defaults: lr 0.01, μ 0.9.
    fn default() -> Self {
        Self::new(0.01, 0.9)
    }
}

impl<T: Scalar> Optimizer<T> for Momentum<T> {
    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]) {
        let (lr, mu) = (T::of(self.lr), T::of(self.momentum));
        let v = self.velocity.get(tensor, value.len());
        for ((w, v), &g) in value.iter_mut().zip(v.iter_mut()).zip(grad) {
            *v = mu * *v - lr * g;
            *w = *w + *v;
        }
    }
}
