//! Parameter updates from the gradients stored on a net's layers.

mod sgd;

pub use sgd::Sgd;

use crate::{Layer, Row, Scalar};

/// Updates parameters from their gradients, one tensor at a time.
///
/// `tensor` numbers a net's parameter tensors in the order
/// [`Layer::visit_params`] gives them, the same at every step, so an
/// optimizer with state (momentum, running averages) keys it by that
/// number. Every optimizer is elementwise, which lets data-parallel
/// training apply the same update on every replica.
pub trait Optimizer<T: Scalar> {
    /// Called once at the start of every step, before its updates.
    fn begin_step(&mut self) {}

    /// Updates one parameter tensor `value` from its gradient `grad`.
    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]);

    /// One step for every parameter of `net`, from the gradients its layers
    /// hold after a backward pass.
    fn step<In: Row<Scalar = T>, L: Layer<In>>(&mut self, net: &mut L)
    where
        Self: Sized,
    {
        self.begin_step();
        let mut tensor = 0;
        net.visit_params_mut(0, &mut |p| {
            self.update(tensor, p.value, p.grad);
            tensor += 1;
        });
    }
}
