//! The elementwise loops, written once: plain iterators the compiler
//! vectorises for whatever CPU it compiles for (the AVX-512 backend compiles
//! these same bodies with that feature enabled).

use core::ops::{Add, Mul};

#[cfg(feature = "std")]
#[inline(always)]
pub(crate) fn scale<T: Copy + Mul<Output = T>>(alpha: T, x: &[T], y: &mut [T]) {
    y.iter_mut().zip(x).for_each(|(y, &x)| *y = alpha * x);
}

#[inline(always)]
pub(crate) fn axpy<T: Copy + Mul<Output = T> + Add<Output = T>>(alpha: T, x: &[T], y: &mut [T]) {
    y.iter_mut().zip(x).for_each(|(y, &x)| *y = *y + alpha * x);
}

macro_rules! per_bits {
    ($t:ident, $bits:ty, $exponent:expr) => {
        /// The loops that read this type's bits.
        pub(crate) mod $t {
            /// Finite ⇔ the exponent bits are not all ones; the maximum of
            /// the masked bits needs no branch, so it vectorises.
            #[inline(always)]
            pub(crate) fn finite(values: &[$t]) -> bool {
                values
                    .iter()
                    .map(|v| v.to_bits() & $exponent)
                    .fold(0, <$bits>::max)
                    != $exponent
            }

            /// The same test of `y + alpha·x`, never stored.
            #[inline(always)]
            pub(crate) fn axpy_finite(alpha: $t, x: &[$t], y: &[$t]) -> bool {
                y.iter()
                    .zip(x)
                    .map(|(&y, &x)| (y + alpha * x).to_bits() & $exponent)
                    .fold(0, <$bits>::max)
                    != $exponent
            }

            /// `y = scale·bytes`.
            #[cfg(feature = "std")]
            #[inline(always)]
            pub(crate) fn from_bytes(scale: $t, bytes: &[u8], y: &mut [$t]) {
                y.iter_mut().zip(bytes).for_each(|(y, &b)| *y = scale * b as $t);
            }
        }
    };
}
per_bits!(f32, u32, 0x7f80_0000);
per_bits!(f64, u64, 0x7ff0_0000_0000_0000);
