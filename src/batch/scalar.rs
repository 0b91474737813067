//! The element type every layer, batch and net is generic over.

use core::fmt::Display;
use core::iter::Sum;

use num_traits::{Float, FromPrimitive};

use crate::Element;

mod sealed {
    /// Only `f32` and `f64` are scalars: the kernels behind every layer are
    /// compiled for these two types. The trait has no methods, so nothing
    /// of the kernels is reachable through it.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point [`Element`] a net can compute and train in: `f32` or
/// `f64`.
///
/// The trait is sealed. Every layer, function and net in the crate is
/// generic over it, so the same code trains in single or double precision:
///
/// ```
/// use typenet::Scalar;
///
/// fn halve<T: Scalar>(x: T) -> T {
///     x * T::of(0.5)
/// }
/// assert_eq!(halve(3.0f32), 1.5);
/// assert_eq!(halve(3.0f64), 1.5);
/// ```
pub trait Scalar: Element + Float + FromPrimitive + Sum + Display + nalgebra::Scalar + sealed::Sealed {
    /// One, usable in constant expressions.
    const ONE: Self;

    /// Converts an `f64` constant, rounding to nearest for `f32`.
    fn of(x: f64) -> Self;

    /// Widens (or keeps) the value as an `f64`; exact for both types.
    fn as_f64(self) -> f64;
}

macro_rules! scalar {
    ($t:ident) => {
        impl Scalar for $t {
            const ONE: Self = 1.0;

            #[inline(always)]
            fn of(x: f64) -> Self {
                x as $t
            }

            #[inline(always)]
            fn as_f64(self) -> f64 {
                self as f64
            }
        }
    };
}

scalar!(f32);
scalar!(f64);
