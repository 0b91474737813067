//! Parameter updates from gradients: the optimizers of the book's chapter 6,
//! and weight decay and gradient clipping as wrappers around any of them.

mod sgd;

#[cfg(feature = "alloc")]
mod adagrad;
#[cfg(feature = "alloc")]
mod adam;
#[cfg(feature = "alloc")]
mod any;
#[cfg(feature = "alloc")]
mod momentum;
#[cfg(feature = "alloc")]
mod nesterov;
#[cfg(feature = "alloc")]
mod regularize;
#[cfg(feature = "alloc")]
mod rmsprop;
#[cfg(feature = "alloc")]
mod state;

pub use sgd::Sgd;

#[cfg(feature = "alloc")]
pub use adagrad::AdaGrad;
#[cfg(feature = "alloc")]
pub use adam::Adam;
#[cfg(feature = "alloc")]
pub use any::{AnyOptimizer, UnknownOptimizer};
#[cfg(feature = "alloc")]
pub use momentum::Momentum;
#[cfg(feature = "alloc")]
pub use nesterov::Nesterov;
#[cfg(feature = "alloc")]
pub use regularize::{ClipNorm, WeightDecay};
#[cfg(feature = "alloc")]
pub use rmsprop::RmsProp;

use crate::{Layer, Row, Scalar};

/// Updates parameters from their gradients, one tensor at a time.
///
/// `tensor` numbers a net's parameter tensors in the order
/// [`Layer::visit_params`] gives them, the same at every step, so an
/// optimizer with state (momentum, running averages) keys it by that
/// number. Every optimizer here is elementwise, which lets data-parallel
/// training apply the same update on every replica.
///
/// ```
/// use typenet::prelude::*;
/// use typenet::optim::Adam;
///
/// // minimise (w - 3)² from w = 0
/// let mut adam = Adam::<f64>::new(0.1, 0.9, 0.999);
/// let mut w = [0.0];
/// for _ in 0..500 {
///     let grad = [2.0 * (w[0] - 3.0)];
///     adam.begin_step(None);
///     adam.update(0, &mut w, &grad);
/// }
/// assert!((w[0] - 3.0).abs() < 1e-3);
/// ```
pub trait Optimizer<T: Scalar> {
    /// Whether [`begin_step`](Optimizer::begin_step) wants the gradient
    /// norm; computing it costs a pass over every gradient, so callers do it
    /// only when asked.
    const USES_GRADIENT_NORM: bool = false;

    /// Called once at the start of every step, before its updates, with
    /// the L2 norm of all the step's gradients if
    /// [`USES_GRADIENT_NORM`](Optimizer::USES_GRADIENT_NORM).
    fn begin_step(&mut self, gradient_norm: Option<f64>) {
        let _ = gradient_norm;
    }

    /// Updates one parameter tensor `value` from its gradient `grad`.
    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]);

    /// One step for every parameter of `net`, from the gradients its layers
    /// hold after a backward pass.
    fn step<In: Row<Scalar = T>, L: Layer<In>>(&mut self, net: &mut L)
    where
        Self: Sized,
    {
        let norm = Self::USES_GRADIENT_NORM.then(|| {
            let mut sum = 0.0f64;
            net.visit_params(0, &mut |p| sum += squared_norm(p.grad));
            num_traits::Float::sqrt(sum)
        });
        self.begin_step(norm);
        let mut tensor = 0;
        net.visit_params_mut(0, &mut |p| {
            self.update(tensor, p.value, p.grad);
            tensor += 1;
        });
    }
}

/// Σ g², accumulated in `f64`.
pub(crate) fn squared_norm<T: Scalar>(grad: &[T]) -> f64 {
    grad.iter().map(|&g| g.as_f64() * g.as_f64()).sum()
}
