//! AdaGrad.

use super::state::{EPSILON, State};
use super::{Update, all_finite_by, both, check_lr, valid};
use crate::{HyperParameterError, Optimizer, Scalar};

/// AdaGrad: h ← h + dW², W ← W − lr·dW / (√h + 1e-7). Each weight's step
/// shrinks with the gradients it has seen.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaGrad<T> {
    lr: f64,
    sum_sq: State<T>,
}

impl<T: Scalar> AdaGrad<T> {
    /// AdaGrad with learning rate `lr`.
    ///
    /// # Panics
    /// Unless `lr` is finite and > 0; see [`try_new`](AdaGrad::try_new).
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        valid(Self::try_new(lr))
    }

    /// AdaGrad, or an error unless `lr` is finite and > 0, as given and as a
    /// `T`, the type the updates compute in.
    pub fn try_new(lr: f64) -> Result<Self, HyperParameterError> {
        check_lr::<T>("AdaGrad", lr)?;
        Ok(AdaGrad {
            lr,
            sum_sq: State::default(),
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

/// (new h, new w) for one element.
#[inline(always)]
fn element<T: Scalar>(lr: T, w: T, h: T, g: T) -> (T, T) {
    let h = h + g * g;
    (h, w - lr * g / (h.sqrt() + T::of(EPSILON)))
}

impl<T: Scalar> Default for AdaGrad<T> {
    /// The book's default: lr 0.01.
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl<T: Scalar> Optimizer<T> for AdaGrad<T> {
    fn check(&mut self, t: Update<'_, T>) -> bool {
        let lr = T::of(self.lr);
        let h = self.sum_sq.peek(t.index, t.value.len());
        all_finite_by(t.value.len(), |i| {
            let (h, w) = element(lr, t.value[i], h(i), t.grad[i]);
            both(w, h)
        })
    }

    fn update(&mut self, t: Update<'_, T>) {
        let lr = T::of(self.lr);
        let h = self.sum_sq.get(t.index, t.value.len());
        for ((w, h), &g) in t.value.iter_mut().zip(h.iter_mut()).zip(t.grad) {
            (*h, *w) = element(lr, *w, *h, g);
        }
    }
}
