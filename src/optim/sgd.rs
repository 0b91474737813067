//! Stochastic gradient descent.

use crate::{Optimizer, Scalar};

/// Tensors up to this size are updated inline: for a tiny net the call to
/// the vectorised kernel costs more than the update.
const SMALL: usize = 256;

/// Plain SGD: W ← W − lr·dW for every parameter. Keeps no state, so it
/// needs no heap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// The learning rate.
    pub lr: f64,
}

impl Sgd {
    /// SGD with learning rate `lr` (the book's default is 0.01; its MNIST
    /// runs use 0.1).
    pub fn new(lr: f64) -> Self {
        Sgd { lr }
    }
}

impl<T: Scalar> Optimizer<T> for Sgd {
    #[inline]
    fn update(&mut self, _: usize, value: &mut [T], grad: &[T]) {
        // w + (−lr)·g is w − lr·g exactly: negation does not round
        let alpha = -T::of(self.lr);
        if value.len() <= SMALL {
            value.iter_mut().zip(grad).for_each(|(w, &g)| *w = *w + alpha * g);
        } else {
            T::axpy(alpha, grad, value);
        }
    }
}
