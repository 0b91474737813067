//! SGD with momentum.

use super::state::State;
use super::{Update, all_finite_by, both, check_fraction, check_lr, valid};
use crate::{HyperParameterError, Optimizer, Scalar};

/// Momentum SGD (the book's `Momentum`): v ← μ·v − lr·dW, W ← W + v.
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<T> {
    lr: f64,
    momentum: f64,
    velocity: State<T>,
}

impl<T: Scalar> Momentum<T> {
    /// Momentum SGD with these rates.
    ///
    /// # Panics
    /// Unless `lr` is finite and > 0 and 0 ≤ μ < 1; see
    /// [`try_new`](Momentum::try_new).
    #[track_caller]
    pub fn new(lr: f64, momentum: f64) -> Self {
        valid(Self::try_new(lr, momentum))
    }

    /// Momentum SGD, or an error for a rate outside its range, as given or
    /// as a `T`, the type the updates compute in.
    pub fn try_new(lr: f64, momentum: f64) -> Result<Self, HyperParameterError> {
        check_lr::<T>("Momentum", lr)?;
        check_fraction::<T>("Momentum", "momentum", momentum)?;
        Ok(Momentum {
            lr,
            momentum,
            velocity: State::default(),
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    fn rates(&self) -> (T, T) {
        (T::of(self.lr), T::of(self.momentum))
    }
}

impl<T: Scalar> Default for Momentum<T> {
    /// The book's defaults: lr 0.01, μ 0.9.
    fn default() -> Self {
        Self::new(0.01, 0.9)
    }
}

impl<T: Scalar> Optimizer<T> for Momentum<T> {
    fn check(&mut self, t: Update<'_, T>) -> bool {
        let (lr, mu) = self.rates();
        let v = self.velocity.peek(t.index, t.value.len());
        all_finite_by(t.value.len(), |i| {
            let v = mu * v(i) - lr * t.grad[i];
            both(t.value[i] + v, v)
        })
    }

    fn update(&mut self, t: Update<'_, T>) {
        let (lr, mu) = self.rates();
        let v = self.velocity.get(t.index, t.value.len());
        for ((w, v), &g) in t.value.iter_mut().zip(v.iter_mut()).zip(t.grad) {
            *v = mu * *v - lr * g;
            *w = *w + *v;
        }
    }
}
