//! RMSprop.

use super::state::{EPSILON, State};
use super::{Update, all_finite_by, both, check_fraction, check_lr, valid};
use crate::{HyperParameterError, Optimizer, Scalar};

/// RMSprop: h ← ρ·h + (1 − ρ)·dW², W ← W − lr·dW / (√h + 1e-7): AdaGrad
/// with a forgetting average.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsProp<T> {
    lr: f64,
    decay_rate: f64,
    mean_sq: State<T>,
}

impl<T: Scalar> RmsProp<T> {
    /// RMSprop with these rates.
    ///
    /// # Panics
    /// Unless `lr` is finite and > 0 and 0 ≤ ρ < 1; see
    /// [`try_new`](RmsProp::try_new).
    #[track_caller]
    pub fn new(lr: f64, decay_rate: f64) -> Self {
        valid(Self::try_new(lr, decay_rate))
    }

    /// RMSprop, or an error for a rate outside its range, as given or as a
    /// `T`, the type the updates compute in.
    pub fn try_new(lr: f64, decay_rate: f64) -> Result<Self, HyperParameterError> {
        check_lr::<T>("RmsProp", lr)?;
        check_fraction::<T>("RmsProp", "decay_rate", decay_rate)?;
        Ok(RmsProp {
            lr,
            decay_rate,
            mean_sq: State::default(),
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

/// (new h, new w) for one element.
#[inline(always)]
fn element<T: Scalar>(lr: T, (rho, keep): (T, T), w: T, h: T, g: T) -> (T, T) {
    let h = rho * h + keep * g * g;
    (h, w - lr * g / (h.sqrt() + T::of(EPSILON)))
}

impl<T: Scalar> Default for RmsProp<T> {
    /// The book's defaults: lr 0.01, ρ 0.99.
    fn default() -> Self {
        Self::new(0.01, 0.99)
    }
}

impl<T: Scalar> Optimizer<T> for RmsProp<T> {
    fn check(&mut self, t: Update<'_, T>) -> bool {
        let (lr, rho) = (T::of(self.lr), (T::of(self.decay_rate), T::of(1.0 - self.decay_rate)));
        let h = self.mean_sq.peek(t.index, t.value.len());
        all_finite_by(t.value.len(), |i| {
            let (h, w) = element(lr, rho, t.value[i], h(i), t.grad[i]);
            both(w, h)
        })
    }

    fn update(&mut self, t: Update<'_, T>) {
        let (lr, rho) = (T::of(self.lr), (T::of(self.decay_rate), T::of(1.0 - self.decay_rate)));
        let h = self.mean_sq.get(t.index, t.value.len());
        for ((w, h), &g) in t.value.iter_mut().zip(h.iter_mut()).zip(t.grad) {
            (*h, *w) = element(lr, rho, *w, *h, g);
        }
    }
}
