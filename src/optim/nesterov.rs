//! Nesterov's accelerated gradient.

use super::state::State;
use super::{Update, all_finite_by, both, check_fraction, check_lr, valid};
use crate::{HyperParameterError, Optimizer, Scalar};

/// Nesterov momentum, in the book's form: v ← μ·v − lr·dW,
/// W ← W + μ²·v − (1 + μ)·lr·dW.
#[derive(Clone, Debug, PartialEq)]
pub struct Nesterov<T> {
    lr: f64,
    momentum: f64,
    velocity: State<T>,
}

impl<T: Scalar> Nesterov<T> {
    /// Nesterov momentum with these rates.
    ///
    /// # Panics
    /// Unless `lr` is finite and > 0 and 0 ≤ μ < 1; see
    /// [`try_new`](Nesterov::try_new).
    #[track_caller]
    pub fn new(lr: f64, momentum: f64) -> Self {
        valid(Self::try_new(lr, momentum))
    }

    /// Nesterov momentum, or an error for a rate outside its range, as
    /// given or as a `T`, the type the updates compute in.
    pub fn try_new(lr: f64, momentum: f64) -> Result<Self, HyperParameterError> {
        check_lr::<T>("Nesterov", lr)?;
        check_fraction::<T>("Nesterov", "momentum", momentum)?;
        Ok(Nesterov {
            lr,
            momentum,
            velocity: State::default(),
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

/// (new v, new w) for one element.
#[inline(always)]
fn element<T: Scalar>(lr: T, mu: T, w: T, v: T, g: T) -> (T, T) {
    let v = mu * v - lr * g;
    (v, w + mu * mu * v - (T::ONE + mu) * lr * g)
}

impl<T: Scalar> Default for Nesterov<T> {
    /// The book's defaults: lr 0.01, μ 0.9.
    fn default() -> Self {
        Self::new(0.01, 0.9)
    }
}

impl<T: Scalar> Optimizer<T> for Nesterov<T> {
    fn check(&mut self, t: Update<'_, T>) -> bool {
        let (lr, mu) = (T::of(self.lr), T::of(self.momentum));
        let v = self.velocity.peek(t.index, t.value.len());
        all_finite_by(t.value.len(), |i| {
            let (v, w) = element(lr, mu, t.value[i], v(i), t.grad[i]);
            both(w, v)
        })
    }

    fn update(&mut self, t: Update<'_, T>) {
        let (lr, mu) = (T::of(self.lr), T::of(self.momentum));
        let v = self.velocity.get(t.index, t.value.len());
        for ((w, v), &g) in t.value.iter_mut().zip(v.iter_mut()).zip(t.grad) {
            (*v, *w) = element(lr, mu, *w, *v, g);
        }
    }
}
