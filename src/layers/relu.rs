//! The rectified linear unit.

use crate::{Activation, Scalar, relu};

/// y = max(x, 0) element-wise; backward passes dy where x > 0 and blocks it
/// where x ≤ 0 (the book's mask). Fits any width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl Activation for Relu {
    const NAME: &'static str = "Relu";

    #[inline(always)]
    fn activate<T: Scalar>(&self, x: T) -> T {
        relu(x)
    }

    #[inline(always)]
    fn derivative<T: Scalar>(&self, _: T, y: T, dy: T) -> T {
        // y ≤ 0 exactly where x ≤ 0 (and y is NaN where x is); reading y
        // alone lets the backward pass skip loading x, a third of its
        // memory traffic on a conv net's large activations
        if y <= T::ZERO { T::ZERO } else { dy }
    }
}

crate::activation_layer!(Relu);
