//! The logistic activation.

use crate::{Activation, Scalar, sigmoid};

/// y = 1 / (1 + e^-x) element-wise; backward dx = dy·y·(1 − y), from the
/// output it produced (no second `exp`). Fits any width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl Activation for Sigmoid {
    const NAME: &'static str = "Sigmoid";

    #[inline(always)]
    fn activate<T: Scalar>(&self, x: T) -> T {
        sigmoid(x)
    }

    #[inline(always)]
    fn derivative<T: Scalar>(&self, _: T, y: T, dy: T) -> T {
        dy * y * (T::ONE - y)
    }
}

crate::activation_layer!(Sigmoid);
