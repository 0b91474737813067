//! The hyperbolic tangent.

use crate::{Activation, Scalar};

/// y = tanh(x) element-wise; backward dx = dy·(1 − y²), from the output it
/// produced (no second `tanh`). Fits any width.
///
/// ```
/// use typenet::prelude::*;
/// use typenet::Tanh;
///
/// let net = Affine::<[f32; 2], 2>::zeros().then(Tanh).then(SoftmaxWithLoss);
/// assert_eq!(net.summary().layers[1].kind, "Tanh");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    const NAME: &'static str = "Tanh";

    #[inline(always)]
    fn activate<T: Scalar>(&self, x: T) -> T {
        x.tanh()
    }

    #[inline(always)]
    fn derivative<T: Scalar>(&self, _: T, y: T, dy: T) -> T {
        dy * (T::ONE - y * y)
    }
}

crate::activation_layer!(Tanh);
