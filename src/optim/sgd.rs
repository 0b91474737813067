//! Stochastic gradient descent.

use crate::{Layer, Optimizer, Row, Scalar};

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

impl<In: Row> Optimizer<In> for Sgd {
    #[inline]
    fn step<L: Layer<In>>(&mut self, net: &mut L) {
        let lr = In::Scalar::of(self.lr);
        net.visit_params_mut(0, &mut |p| {
            for (w, &g) in p.value.iter_mut().zip(p.grad.iter()) {
                *w = *w - lr * g;
            }
        });
    }
}
