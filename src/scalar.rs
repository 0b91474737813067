//! The element type every layer, batch and net is generic over.

use core::fmt::{Debug, Display};
use core::iter::Sum;

use num_traits::{Float, FromPrimitive};

use crate::kernels::Kernels;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point scalar a net can compute in: `f32` or `f64`.
///
/// The trait is sealed: the matrix kernels behind it are written for these two
/// types. Every layer, function and net in the crate is generic over it, so the
/// same code trains in single or double precision:
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
pub trait Scalar:
    Float
    + FromPrimitive
    + Sum
    + Default
    + Debug
    + Display
    + nalgebra::Scalar
    + Kernels
    + Send
    + Sync
    + 'static
    + sealed::Sealed
{
    /// Zero, usable in constant expressions.
    const ZERO: Self;
    /// One, usable in constant expressions.
    const ONE: Self;
    /// The safetensors name of the type (`"F32"` or `"F64"`).
    const DTYPE: &'static str;
    /// The Rust name of the type (`"f32"` or `"f64"`), used in generated source.
    const RUST_NAME: &'static str;

    /// Converts an `f64` constant, rounding to nearest for `f32`.
    fn of(x: f64) -> Self;

    /// Widens (or keeps) the value as an `f64`.
    fn as_f64(self) -> f64;

    /// `true` if no value is NaN or infinite. Branch-free, so it runs at
    /// vector speed over a whole gradient.
    fn all_finite(values: &[Self]) -> bool;

    /// The value's little-endian bytes, in the first `size_of::<Self>()`
    /// places.
    #[doc(hidden)]
    fn le_bytes(self) -> [u8; 8];

    /// Reads a value from its little-endian bytes (`size_of::<Self>()` of them).
    #[doc(hidden)]
    fn from_le(bytes: &[u8]) -> Self;
}

impl Scalar for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const DTYPE: &'static str = "F32";
    const RUST_NAME: &'static str = "f32";

    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }

    #[inline(always)]
    fn as_f64(self) -> f64 {
        self as f64
    }

    fn all_finite(values: &[Self]) -> bool {
        <f32 as Kernels>::finite(values)
    }

    fn le_bytes(self) -> [u8; 8] {
        let b = self.to_le_bytes();
        [b[0], b[1], b[2], b[3], 0, 0, 0, 0]
    }

    fn from_le(bytes: &[u8]) -> Self {
        f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
}

impl Scalar for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const DTYPE: &'static str = "F64";
    const RUST_NAME: &'static str = "f64";

    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }

    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }

    fn all_finite(values: &[Self]) -> bool {
        <f64 as Kernels>::finite(values)
    }

    fn le_bytes(self) -> [u8; 8] {
        self.to_le_bytes()
    }

    fn from_le(bytes: &[u8]) -> Self {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[..8]);
        f64::from_le_bytes(b)
    }
}
