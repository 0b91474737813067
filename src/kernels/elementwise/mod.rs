//! Elementwise loops over whole tensors: `y = a·x`, `y += a·x`, finiteness
//! tests, and bytes to scalars. The portable loops vectorise for the CPU the
//! crate is compiled for; the AVX-512 backend is the same loops compiled with
//! that feature, taken when the CPU has it.

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512;
mod portable;
#[cfg(test)]
mod tests;

#[cfg(all(feature = "std", target_arch = "x86_64"))]
use super::avx512_available;
#[cfg(feature = "std")]
use super::retype_mut;
use super::{per_type, retype, retype_value};

/// Slices shorter than this are tested for finiteness by the portable
/// loops, whose call costs less than the AVX-512 one's.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
const SHORT: usize = 64;

/// `y = alpha·x`, element by element.
#[cfg(feature = "std")]
pub(crate) fn scale<T: crate::Scalar>(alpha: T, x: &[T], y: &mut [T]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        // SAFETY: the CPU has AVX-512F, the function's only feature.
        return unsafe { avx512::scale(alpha, x, y) };
    }
    portable::scale(alpha, x, y)
}

/// `y += alpha·x`, element by element.
pub(crate) fn axpy<T: crate::Scalar>(alpha: T, x: &[T], y: &mut [T]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        // SAFETY: as above.
        return unsafe { avx512::axpy(alpha, x, y) };
    }
    portable::axpy(alpha, x, y)
}

/// `true` if no value is NaN or infinite.
pub(crate) fn finite<T: crate::Scalar>(values: &[T]) -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if values.len() > SHORT && avx512_available() {
        // SAFETY: as above.
        return per_type!(T, super::elementwise::avx512, |kern| unsafe {
            kern::finite(retype(values))
        });
    }
    per_type!(T, super::elementwise::portable, |kern| kern::finite(retype(values)))
}

/// `true` if every `y + alpha·x` is finite; writes nothing.
pub(crate) fn axpy_finite<T: crate::Scalar>(alpha: T, x: &[T], y: &[T]) -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if y.len() > SHORT && avx512_available() {
        // SAFETY: as above.
        return per_type!(T, super::elementwise::avx512, |kern| unsafe {
            kern::axpy_finite(retype_value(alpha), retype(x), retype(y))
        });
    }
    per_type!(T, super::elementwise::portable, |kern| {
        kern::axpy_finite(retype_value(alpha), retype(x), retype(y))
    })
}

/// `y = scale·bytes`, element by element.
#[cfg(feature = "std")]
pub(crate) fn from_bytes<T: crate::Scalar>(scale: T, bytes: &[u8], y: &mut [T]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if avx512_available() {
        // SAFETY: as above.
        return per_type!(T, super::elementwise::avx512, |kern| unsafe {
            kern::from_bytes(retype_value(scale), bytes, retype_mut(y))
        });
    }
    per_type!(T, super::elementwise::portable, |kern| {
        kern::from_bytes(retype_value(scale), bytes, retype_mut(y))
    })
}
