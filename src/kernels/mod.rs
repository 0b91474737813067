//! The arithmetic behind every layer, one folder per operation:
//!
//! - [`products`]: matrix products of row-major slices (x·W, xᵀ·dy, dy·Wᵀ);
//! - [`convolution`]: 2-D convolution, forward and backward;
//! - [`pooling`]: 2-D max pooling, forward and backward;
//! - [`elementwise`]: scaling, `y += a·x`, finiteness tests, bytes to scalars.
//!
//! Convolution and pooling slide a window over an image; both take their
//! shape as one [`Window2d`].
//!
//! Each operation has a portable backend (plain loops: no `unsafe`, no
//! allocation, compiled for every target) and, on x86-64 with `std`, an
//! AVX-512 one chosen at run time when the CPU has it. Every operation is a
//! generic function over the scalar `T`; where a backend is compiled once per
//! type (the AVX-512 one, for `f32` and `f64` from one macro body each), the
//! generic function reaches it through [`per_type!`], the one dispatch
//! mechanism: it compares `T`'s `TypeId` with `f32`'s and calls the module
//! of that name with the slices re-typed ([`retype`]). Nothing here is a
//! method of [`Scalar`](crate::Scalar), so no kernel is reachable from
//! outside the crate.

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512;
pub(crate) mod convolution;
pub(crate) mod elementwise;
pub(crate) mod pooling;
pub(crate) mod products;
mod window;

#[cfg(test)]
pub(crate) mod testing;

pub(crate) use elementwise::{axpy, axpy_finite, finite};
#[cfg(feature = "std")]
pub(crate) use elementwise::{from_bytes, scale};
#[cfg(feature = "alloc")]
pub(crate) use products::tn;
pub(crate) use products::{Nonzero, nn, nn_keeping, nt, tn_reusing};
pub(crate) use window::{Padding, Window2d};

/// `true` if the AVX-512 backend runs on this thread: the CPU has AVX-512F
/// and POPCNT (which every AVX-512 CPU has), checked once. A test can turn
/// it off for its thread to run the portable backend on the same machine.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub(crate) fn avx512_available() -> bool {
    #[cfg(test)]
    if testing::PORTABLE.with(core::cell::Cell::get) {
        return false;
    }
    avx512::detected()
}

/// `x` as a slice of `U`; `T` must be `U` (checked), under another name: a
/// generic `T` seen as the `f32` or `f64` it is, for a backend compiled per
/// type.
#[inline(always)]
pub(crate) fn retype<T: 'static, U: 'static>(x: &[T]) -> &[U] {
    assert!(core::any::TypeId::of::<T>() == core::any::TypeId::of::<U>());
    // SAFETY: `T` and `U` are the same type, so the pointer, length and
    // lifetime describe the same valid `[U]`.
    unsafe { core::slice::from_raw_parts(x.as_ptr().cast(), x.len()) }
}

/// [`retype`] for a mutable slice.
#[inline(always)]
#[cfg_attr(not(feature = "std"), allow(dead_code))] // for the AVX-512 backend and bytes
pub(crate) fn retype_mut<T: 'static, U: 'static>(x: &mut [T]) -> &mut [U] {
    assert!(core::any::TypeId::of::<T>() == core::any::TypeId::of::<U>());
    // SAFETY: as in `retype`; the borrow of `x` moves into the result.
    unsafe { core::slice::from_raw_parts_mut(x.as_mut_ptr().cast(), x.len()) }
}

/// [`retype`] for one value.
#[inline(always)]
pub(crate) fn retype_value<T: Copy + 'static, U: Copy + 'static>(x: T) -> U {
    retype(core::slice::from_ref(&x))[0]
}

/// Evaluates `$call` with `$k` naming the module `f32` or `f64` of the
/// backend `$backend`, whichever the scalar `$t` is. Inside `$call`,
/// [`retype`], [`retype_mut`] and [`retype_value`] give `$t` values as that
/// module's type.
///
/// `Scalar` is sealed to `f32` and `f64`, so the `else` branch is `f64`;
/// after monomorphisation the comparison is a constant and one branch is
/// left.
macro_rules! per_type {
    ($t:ty, $($backend:ident)::+, |$k:ident| $call:expr) => {
        if core::any::TypeId::of::<$t>() == core::any::TypeId::of::<f32>() {
            use $($backend)::+::f32 as $k;
            $call
        } else {
            use $($backend)::+::f64 as $k;
            $call
        }
    };
}
pub(crate) use per_type;
