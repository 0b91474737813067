//! Parameter updates from the gradients stored on a net's layers.

mod sgd;

pub use sgd::Sgd;

use crate::{Layer, Row};

/// Updates every parameter of a net from the gradient its layers hold after
/// a backward pass.
pub trait Optimizer<In: Row> {
    /// One update of all parameters of `net`.
    fn step<L: Layer<In>>(&mut self, net: &mut L);
}
