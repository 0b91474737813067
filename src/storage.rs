//! Where a layer keeps its parameters: on the heap (large layers; no stack
//! copies ever, in any build) or inline (small layers; no heap at all).

#[cfg(feature = "alloc")]
use alloc::{boxed::Box, vec};

use crate::Scalar;

mod sealed {
    pub trait Sealed {}
    #[cfg(feature = "alloc")]
    impl Sealed for super::Heap {}
    impl Sealed for super::Inline {}
}

/// A parameter matrix of `R` rows of `C` values, row-major.
pub trait ParamMatrix<T, const R: usize, const C: usize>: Clone + Send + Sync {
    /// All rows (exactly `R` of them).
    fn rows(&self) -> &[[T; C]];
    /// All rows, mutably.
    fn rows_mut(&mut self) -> &mut [[T; C]];
}

/// The choice of parameter storage: [`Heap`] or [`Inline`].
pub trait Storage: Copy + core::fmt::Debug + Default + Send + Sync + 'static + sealed::Sealed {
    /// The matrix type this storage uses.
    type Matrix<T: Scalar, const R: usize, const C: usize>: ParamMatrix<T, R, C>;
    /// A zero matrix.
    fn zeros<T: Scalar, const R: usize, const C: usize>() -> Self::Matrix<T, R, C>;
}

/// Parameters in a heap buffer, built in place: a 784×1000 `f64` layer (6 MB)
/// is created, cloned and trained without ever passing through the stack.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heap;

/// Parameters inline in the layer value: no heap, for small layers and
/// `no_std` targets. A large inline layer can overflow a thread's stack.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inline;

/// The default storage: [`Heap`] with the `alloc` feature, else [`Inline`].
#[cfg(feature = "alloc")]
pub type DefaultStorage = Heap;
/// The default storage: [`Heap`] with the `alloc` feature, else [`Inline`].
#[cfg(not(feature = "alloc"))]
pub type DefaultStorage = Inline;

/// `R` rows on the heap. The length is `R` by construction (only
/// [`Storage::zeros`] makes one).
#[cfg(feature = "alloc")]
#[derive(Clone)]
pub struct HeapMatrix<T, const R: usize, const C: usize>(Box<[[T; C]]>);

#[cfg(feature = "alloc")]
impl<T: Scalar, const R: usize, const C: usize> ParamMatrix<T, R, C> for HeapMatrix<T, R, C> {
    #[inline(always)]
    fn rows(&self) -> &[[T; C]] {
        &self.0
    }
    #[inline(always)]
    fn rows_mut(&mut self) -> &mut [[T; C]] {
        &mut self.0
    }
}

#[cfg(feature = "alloc")]
impl Storage for Heap {
    type Matrix<T: Scalar, const R: usize, const C: usize> = HeapMatrix<T, R, C>;
    fn zeros<T: Scalar, const R: usize, const C: usize>() -> HeapMatrix<T, R, C> {
        HeapMatrix(vec![[T::ZERO; C]; R].into_boxed_slice())
    }
}

impl<T: Scalar, const R: usize, const C: usize> ParamMatrix<T, R, C> for [[T; C]; R] {
    #[inline(always)]
    fn rows(&self) -> &[[T; C]] {
        self
    }
    #[inline(always)]
    fn rows_mut(&mut self) -> &mut [[T; C]] {
        self
    }
}

impl Storage for Inline {
    type Matrix<T: Scalar, const R: usize, const C: usize> = [[T; C]; R];
    #[inline(always)]
    fn zeros<T: Scalar, const R: usize, const C: usize>() -> [[T; C]; R] {
        [[T::ZERO; C]; R]
    }
}
