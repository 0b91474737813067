//! Adam.

use num_traits::Float;

use super::state::{EPSILON, State};
use super::{Update, all_finite_by, both, check_lr, valid};
use crate::{HyperParameterError, Optimizer, Scalar};

/// Adam, in the book's form: with t the step number,
/// lrₜ = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ), m ← m + (1 − β₁)(dW − m),
/// v ← v + (1 − β₂)(dW² − v), W ← W − lrₜ·m / (√v + 1e-7).
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T> {
    lr: f64,
    beta1: f64,
    beta2: f64,
    /// Steps applied so far.
    steps: i32,
    m: State<T>,
    v: State<T>,
}

impl<T: Scalar> Adam<T> {
    /// Adam with these rates.
    ///
    /// # Panics
    /// Unless `lr` is finite and > 0 and 0 ≤ β₁, β₂ < 1; see
    /// [`try_new`](Adam::try_new).
    #[track_caller]
    pub fn new(lr: f64, beta1: f64, beta2: f64) -> Self {
        valid(Self::try_new(lr, beta1, beta2))
    }

    /// Adam, or an error for a rate outside its range (β₂ = 1 would never
    /// move a weight). `lr` must be finite and > 0 also as a `T`, the type
    /// the updates compute in; β₁ and β₂ enter the updates as 1 − β,
    /// computed in `f64`, so they are checked there.
    pub fn try_new(lr: f64, beta1: f64, beta2: f64) -> Result<Self, HyperParameterError> {
        check_lr::<T>("Adam", lr)?;
        HyperParameterError::check("Adam", "beta1", beta1, (0.0..1.0).contains(&beta1), "in [0, 1)")?;
        HyperParameterError::check("Adam", "beta2", beta2, (0.0..1.0).contains(&beta2), "in [0, 1)")?;
        Ok(Adam {
            lr,
            beta1,
            beta2,
            steps: 0,
            m: State::default(),
            v: State::default(),
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// The steps applied so far.
    pub fn steps(&self) -> i32 {
        self.steps
    }

    /// The constants of the step in progress, the `steps + 1`-th.
    fn rates(&self) -> Rates<T> {
        let t = self.steps.saturating_add(1);
        let lr_t = self.lr * Float::sqrt(1.0 - Float::powi(self.beta2, t)) / (1.0 - Float::powi(self.beta1, t));
        Rates {
            lr_t: T::of(lr_t),
            c1: T::of(1.0 - self.beta1),
            c2: T::of(1.0 - self.beta2),
        }
    }
}

/// The constants of one step.
#[derive(Clone, Copy)]
struct Rates<T> {
    lr_t: T,
    c1: T,
    c2: T,
}

/// (new m, new v, new w) for one element.
#[inline(always)]
fn element<T: Scalar>(r: Rates<T>, w: T, m: T, v: T, g: T) -> (T, T, T) {
    let m = m + r.c1 * (g - m);
    let v = v + r.c2 * (g * g - v);
    (m, v, w - r.lr_t * m / (v.sqrt() + T::of(EPSILON)))
}

impl<T: Scalar> Default for Adam<T> {
    /// The book's defaults: lr 0.001, β₁ 0.9, β₂ 0.999.
    fn default() -> Self {
        Self::new(0.001, 0.9, 0.999)
    }
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    fn check(&mut self, t: Update<'_, T>) -> bool {
        let r = self.rates();
        let n = t.value.len();
        let m = self.m.peek(t.index, n);
        let v = self.v.peek(t.index, n);
        all_finite_by(n, |i| {
            let (m, v, w) = element(r, t.value[i], m(i), v(i), t.grad[i]);
            both(both(w, m), v)
        })
    }

    fn update(&mut self, t: Update<'_, T>) {
        let r = self.rates();
        let n = t.value.len();
        let m = self.m.get(t.index, n);
        let v = self.v.get(t.index, n);
        for (((w, m), v), &g) in t.value.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(t.grad) {
            (*m, *v, *w) = element(r, *w, *m, *v, g);
        }
    }

    fn end_step(&mut self) {
        self.steps = self.steps.saturating_add(1);
    }
}
