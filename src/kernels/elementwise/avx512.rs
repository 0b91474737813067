//! The portable elementwise loops compiled again with AVX-512 enabled: the
//! same bodies, twice the vector width.

use super::portable;

#[target_feature(enable = "avx512f")]
pub(super) fn scale<T: crate::Scalar>(alpha: T, x: &[T], y: &mut [T]) {
    portable::scale(alpha, x, y)
}

#[target_feature(enable = "avx512f")]
pub(super) fn axpy<T: crate::Scalar>(alpha: T, x: &[T], y: &mut [T]) {
    portable::axpy(alpha, x, y)
}

macro_rules! per_bits {
    ($t:ident) => {
        pub(super) mod $t {
            use super::portable::$t as loops;

            #[target_feature(enable = "avx512f")]
            pub(in crate::kernels) fn finite(values: &[$t]) -> bool {
                loops::finite(values)
            }

            #[target_feature(enable = "avx512f")]
            pub(in crate::kernels) fn axpy_finite(alpha: $t, x: &[$t], y: &[$t]) -> bool {
                loops::axpy_finite(alpha, x, y)
            }

            #[target_feature(enable = "avx512f")]
            pub(in crate::kernels) fn from_bytes(scale: $t, bytes: &[u8], y: &mut [$t]) {
                loops::from_bytes(scale, bytes, y)
            }
        }
    };
}
per_bits!(f32);
per_bits!(f64);
