//! The values a row or a tensor holds: floats a net computes with, and the
//! integers of quantized nets.

use core::fmt::Debug;

use crate::Flat;
use crate::model::{Values, ValuesMut};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i8 {}
    impl Sealed for u8 {}
    impl Sealed for i32 {}
}

/// The element types of tensors, as files and baked sources name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `i8` (quantized weights and activations).
    I8,
    /// `u8` (raw pixels).
    U8,
    /// `i32` (quantized biases, requantization multipliers).
    I32,
}

impl Dtype {
    /// The safetensors name: `"F32"`, `"I8"`.
    pub const fn safetensors_name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
            Dtype::I8 => "I8",
            Dtype::U8 => "U8",
            Dtype::I32 => "I32",
        }
    }

    /// The Rust type's name: `"f32"`, `"i8"`.
    pub const fn rust_name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
            Dtype::I8 => "i8",
            Dtype::U8 => "u8",
            Dtype::I32 => "i32",
        }
    }

    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            Dtype::I8 | Dtype::U8 => 1,
            Dtype::F32 | Dtype::I32 => 4,
            Dtype::F64 => 8,
        }
    }

    /// The dtype of a safetensors name, if typenet has it.
    pub fn from_safetensors_name(name: &str) -> Option<Dtype> {
        [Dtype::F32, Dtype::F64, Dtype::I8, Dtype::U8, Dtype::I32]
            .into_iter()
            .find(|d| d.safetensors_name() == name)
    }
}

/// A value a row or a tensor holds: `f32` or `f64` (a [`Scalar`](crate::Scalar)
/// nets compute and train with) or `i8`, `u8`, `i32` (quantized nets).
///
/// The trait is sealed: the row views, files and baked sources are written
/// for these five types.
pub trait Element:
    Flat<Elem = Self> + Copy + Default + Debug + PartialEq + PartialOrd + Send + Sync + 'static + sealed::Sealed
{
    /// The tag files use for this type.
    const DTYPE: Dtype;
    /// Zero, usable in constant expressions.
    const ZERO: Self;

    /// A slice of these, tagged with the type.
    fn values(values: &[Self]) -> Values<'_>;
    /// A mutable slice of these, tagged with the type.
    fn values_mut(values: &mut [Self]) -> ValuesMut<'_>;
    /// The slice, if `values` holds this type.
    fn of_values(values: Values<'_>) -> Option<&[Self]>;
    /// The mutable slice, if `values` holds this type.
    fn of_values_mut(values: ValuesMut<'_>) -> Option<&mut [Self]>;
    /// `true` if no value is NaN or infinite (always, for integers).
    /// Branch-free for floats, so it runs at vector speed over a gradient.
    fn all_finite(values: &[Self]) -> bool;
    /// The value as written in Rust source, reading back to the same bits.
    fn write_source(self, out: &mut dyn core::fmt::Write) -> core::fmt::Result;
    /// The little-endian bytes of `values`, appended to `out`.
    #[cfg(feature = "alloc")]
    fn extend_le_bytes(values: &[Self], out: &mut alloc::vec::Vec<u8>);
    /// The value of little-endian `bytes` (exactly [`Dtype::size`] of them).
    fn from_le_bytes(bytes: &[u8]) -> Self;
}

macro_rules! element {
    ($t:ident, $variant:ident, $finite:expr) => {
        impl Element for $t {
            const DTYPE: Dtype = Dtype::$variant;
            const ZERO: Self = 0 as $t;

            #[inline(always)]
            fn values(values: &[Self]) -> Values<'_> {
                Values::$variant(values)
            }
            #[inline(always)]
            fn values_mut(values: &mut [Self]) -> ValuesMut<'_> {
                ValuesMut::$variant(values)
            }
            #[inline(always)]
            fn of_values(values: Values<'_>) -> Option<&[Self]> {
                match values {
                    Values::$variant(v) => Some(v),
                    _ => None,
                }
            }
            #[inline(always)]
            fn of_values_mut(values: ValuesMut<'_>) -> Option<&mut [Self]> {
                match values {
                    ValuesMut::$variant(v) => Some(v),
                    _ => None,
                }
            }
            #[inline]
            fn all_finite(values: &[Self]) -> bool {
                let finite: fn(&[Self]) -> bool = $finite;
                finite(values)
            }
            fn write_source(self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
                // `{:?}` of a float is its shortest form that reads back to
                // the same bits, with a `.0` where it would look integral
                write!(out, "{self:?}")
            }
            #[cfg(feature = "alloc")]
            fn extend_le_bytes(values: &[Self], out: &mut alloc::vec::Vec<u8>) {
                out.reserve(values.len() * core::mem::size_of::<$t>());
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            #[inline]
            fn from_le_bytes(bytes: &[u8]) -> Self {
                let mut b = [0u8; core::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                $t::from_le_bytes(b)
            }
        }
    };
}

element!(f32, F32, crate::kernels::finite::<f32>);
element!(f64, F64, crate::kernels::finite::<f64>);
element!(i8, I8, |_| true);
element!(u8, U8, |_| true);
element!(i32, I32, |_| true);
