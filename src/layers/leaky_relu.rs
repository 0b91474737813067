//! The leaky rectified linear unit.

use crate::{Activation, Scalar};

/// y = x for x > 0, else `slope`·x, element-wise; backward passes dy where
/// x > 0 and `slope`·dy elsewhere. Fits any width.
///
/// The slope is a value of the layer, set when the net is built
/// ([`LeakyRelu::new`], or [`Default`]: PyTorch's 0.01; Keras's
/// `LeakyReLU` defaults to 0.3). It is a setting, not a tensor: a saved net
/// does not hold it, as a PyTorch `state_dict` does not.
///
/// ```
/// use typenet::prelude::*;
/// use typenet::LeakyRelu;
///
/// let net = Affine::<[f32; 2], 3>::zeros().then(LeakyRelu::new(0.2)).then(SoftmaxWithLoss);
/// assert_eq!(net.layer::<1>().slope(), 0.2);
/// assert_eq!(net.summary().layers[1].kind, "LeakyRelu");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyRelu {
    slope: f64,
}

impl LeakyRelu {
    /// A leaky ReLU with this slope for negative inputs (usable in a
    /// `static` net).
    pub const fn new(slope: f64) -> Self {
        LeakyRelu { slope }
    }

    /// The slope for negative inputs.
    pub const fn slope(&self) -> f64 {
        self.slope
    }
}

impl Default for LeakyRelu {
    /// PyTorch's default slope, 0.01.
    fn default() -> Self {
        LeakyRelu::new(0.01)
    }
}

impl Activation for LeakyRelu {
    const NAME: &'static str = "LeakyRelu";

    #[inline(always)]
    fn activate<T: Scalar>(&self, x: T) -> T {
        // `x > 0` is false for NaN, and NaN·slope is NaN: NaN passes through
        if x > T::ZERO { x } else { x * T::of(self.slope) }
    }

    #[inline(always)]
    fn derivative<T: Scalar>(&self, x: T, _: T, dy: T) -> T {
        // the input, not the output, decides: with a negative slope the
        // output's sign says nothing about the input's
        if x > T::ZERO { dy } else { dy * T::of(self.slope) }
    }
}

crate::activation_layer!(LeakyRelu);
