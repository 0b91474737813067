//! The rectified linear unit.

use crate::{Activation, Scalar, relu};

/// y = max(x, 0) element-wise; backward passes dy where x > 0 and blocks it
/// where x ≤ 0 (the book's mask). Fits any width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl Activation for Relu {
    const NAME: &'static str = "Relu";

    #[inline(always)]
    fn activate<T: Scalar>(x: T) -> T {
        relu(x)
    }

    #[inline(always)]
    fn derivative<T: Scalar>(x: T, _: T, dy: T) -> T {
        if x <= T::ZERO { T::ZERO } else { dy }
    }
}

crate::activation_layer!(Relu);
