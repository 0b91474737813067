//! The rectified linear unit capped at 6, of MobileNets and TFLite.

use crate::{Activation, Scalar};

/// y = min(max(x, 0), 6) element-wise (MobileNet's activation, which TFLite
/// fuses into convolutions as `RELU6`); backward passes dy where 0 < x < 6
/// and blocks it elsewhere. NaN passes through. Fits any width.
///
/// ```
/// use typenet::prelude::*;
/// use typenet::Relu6;
///
/// let net = Affine::<[f32; 2], 2>::zeros().then(Relu6).then(SoftmaxWithLoss);
/// assert_eq!(net.summary().layers[1].kind, "Relu6");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu6;

impl Activation for Relu6 {
    const NAME: &'static str = "Relu6";

    #[inline(always)]
    fn activate<T: Scalar>(&self, x: T) -> T {
        let six = T::of(6.0);
        if x <= T::ZERO {
            T::ZERO
        } else if x >= six {
            six
        } else {
            x
        }
    }

    #[inline(always)]
    fn derivative<T: Scalar>(&self, _: T, y: T, dy: T) -> T {
        // 0 < y < 6 exactly where 0 < x < 6 (and y is NaN where x is, which
        // fails both tests and passes dy as Relu does)
        if y <= T::ZERO || y >= T::of(6.0) { T::ZERO } else { dy }
    }
}

crate::activation_layer!(Relu6);
