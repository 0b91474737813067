//! One sample's values: a plain array `[T; N]` whose length is the layer width.

use core::fmt::Debug;

use crate::Scalar;

mod sealed {
    pub trait Sealed {}
    impl<T: crate::Scalar, const N: usize> Sealed for [T; N] {}
}

/// The row type of a layer's input or output: `[T; N]` for a scalar `T` and a
/// width `N`.
///
/// Layers name their widths through rows (`Layer<[f32; 784]>` takes 784-wide
/// `f32` rows), so a width or scalar mismatch between two layers is a type
/// error. Sealed: only arrays of a [`Scalar`] are rows.
pub trait Row: Copy + Debug + PartialEq + Send + Sync + 'static + sealed::Sealed {
    /// The element type.
    type Scalar: Scalar;
    /// The number of elements.
    const WIDTH: usize;
    /// The all-zero row.
    const ZERO: Self;

    /// The elements as a slice.
    fn as_slice(&self) -> &[Self::Scalar];
    /// The elements as a mutable slice.
    fn as_mut_slice(&mut self) -> &mut [Self::Scalar];
    /// Rows laid end to end (row-major) as one slice.
    fn flatten(rows: &[Self]) -> &[Self::Scalar];
    /// Rows laid end to end (row-major) as one mutable slice.
    fn flatten_mut(rows: &mut [Self]) -> &mut [Self::Scalar];
}

impl<T: Scalar, const N: usize> Row for [T; N] {
    type Scalar = T;
    const WIDTH: usize = N;
    const ZERO: Self = [T::ZERO; N];

    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        self
    }

    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }

    #[inline(always)]
    fn flatten(rows: &[Self]) -> &[T] {
        rows.as_flattened()
    }

    #[inline(always)]
    fn flatten_mut(rows: &mut [Self]) -> &mut [T] {
        rows.as_flattened_mut()
    }
}

/// Index of the largest element (the first one on ties; NaN never wins).
pub fn argmax<T: Scalar>(values: &[T]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] || (values[best].is_nan() && !v.is_nan()) {
            best = i;
        }
    }
    best
}
