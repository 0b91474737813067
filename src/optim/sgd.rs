//! Stochastic gradient descent.

use super::{Update, check_lr, valid};
use crate::{HyperParameterError, Optimizer, Scalar};

/// Tensors up to this size are updated inline: for a tiny net the call to
/// the vectorised kernel costs more than the update.
const SMALL: usize = 256;

/// Plain SGD: W ← W − lr·dW for every parameter. Keeps no state, so it
/// needs no heap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    lr: f64,
}

impl Sgd {
    /// SGD with learning rate `lr` (the book's default is 0.01; its MNIST
    /// runs use 0.1).
    ///
    /// # Panics
    /// Unless `lr` is finite and > 0, also as an `f32`;
    /// [`try_new`](Sgd::try_new) returns the error instead.
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        valid(Self::try_new(lr))
    }

    /// SGD with learning rate `lr`, or an error unless it is finite and > 0,
    /// also as an `f32`: one `Sgd` (it keeps no state) updates `f32` and
    /// `f64` nets alike, so its rate must be usable in the narrower type
    /// (1e39 is infinite as an `f32`).
    pub fn try_new(lr: f64) -> Result<Self, HyperParameterError> {
        check_lr::<f32>("Sgd", lr)?;
        Ok(Sgd { lr })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

impl<T: Scalar> Optimizer<T> for Sgd {
    #[inline]
    fn check(&mut self, t: Update<'_, T>) -> bool {
        let alpha = -T::of(self.lr);
        if t.value.len() <= SMALL {
            let mut ok = true;
            for (&w, &g) in t.value.iter().zip(t.grad) {
                ok &= (w + alpha * g).is_finite();
            }
            ok
        } else {
            crate::kernels::axpy_finite(alpha, t.grad, t.value)
        }
    }

    #[inline]
    fn update(&mut self, t: Update<'_, T>) {
        // w + (−lr)·g is w − lr·g exactly: negation does not round
        let alpha = -T::of(self.lr);
        if t.value.len() <= SMALL {
            t.value.iter_mut().zip(t.grad).for_each(|(w, &g)| *w = *w + alpha * g);
        } else {
            crate::kernels::axpy(alpha, t.grad, t.value);
        }
    }
}
