//! Where a layer keeps its tensors: on the heap (large layers; no stack
//! copies ever, in any build) or inline (small layers; no heap at all).

#[cfg(feature = "alloc")]
use alloc::{boxed::Box, vec};

use crate::Row;

mod sealed {
    pub trait Sealed {}
    #[cfg(feature = "alloc")]
    impl Sealed for super::Heap {}
    impl Sealed for super::Inline {}
}

/// A layer's tensor: one `E` for each value of a row `X` (an Affine's
/// weights hold one `[T; OUT]` per input value), as one slice.
pub trait ParamMatrix<E>: Clone + Send + Sync {
    /// The elements, `X::WIDTH` of them.
    fn as_slice(&self) -> &[E];
    /// The elements, mutably.
    fn as_mut_slice(&mut self) -> &mut [E];
}

/// The choice of tensor storage: [`Heap`] or [`Inline`].
pub trait Storage: Copy + core::fmt::Debug + Default + Send + Sync + 'static + sealed::Sealed {
    /// The tensor type for `X::WIDTH` elements `E`.
    type Matrix<X: Row, E: Copy + Send + Sync + 'static>: ParamMatrix<E>;
    /// A tensor with every element `fill`.
    fn filled<X: Row, E: Copy + Send + Sync + 'static>(fill: E) -> Self::Matrix<X, E>;
}

/// Tensors in heap buffers, built in place: a 784×1000 `f64` layer (6 MB)
/// is created, cloned and trained without ever passing through the stack.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heap;

/// Tensors inline in the layer value: no heap, for small layers and
/// `no_std` targets. A large inline layer can overflow a thread's stack.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inline;

/// The default storage: [`Heap`] with the `alloc` feature, else [`Inline`].
#[cfg(feature = "alloc")]
pub type DefaultStorage = Heap;
/// The default storage: [`Heap`] with the `alloc` feature, else [`Inline`].
#[cfg(not(feature = "alloc"))]
pub type DefaultStorage = Inline;

/// `X::WIDTH` elements on the heap. Only [`Storage::filled`] makes one, so
/// the length is always right.
#[cfg(feature = "alloc")]
#[derive(Clone)]
pub struct HeapMatrix<E>(Box<[E]>);

#[cfg(feature = "alloc")]
impl<E: Copy + Send + Sync> ParamMatrix<E> for HeapMatrix<E> {
    #[inline(always)]
    fn as_slice(&self) -> &[E] {
        &self.0
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [E] {
        &mut self.0
    }
}

#[cfg(feature = "alloc")]
impl Storage for Heap {
    type Matrix<X: Row, E: Copy + Send + Sync + 'static> = HeapMatrix<E>;
    fn filled<X: Row, E: Copy + Send + Sync + 'static>(fill: E) -> HeapMatrix<E> {
        HeapMatrix(vec![fill; X::WIDTH].into_boxed_slice())
    }
}

/// `X::WIDTH` elements inline, shaped like `X` (`[[T; OUT]; IN]` for a
/// dense input), so a `static` net can be written as array literals.
pub struct InlineMatrix<X: Row, E: Copy + Send + Sync + 'static>(pub X::Array<E>);

impl<X: Row, E: Copy + Send + Sync + 'static> Clone for InlineMatrix<X, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<X: Row, E: Copy + Send + Sync + 'static> Copy for InlineMatrix<X, E> {}

impl<X: Row, E: Copy + Send + Sync + 'static> ParamMatrix<E> for InlineMatrix<X, E> {
    #[inline(always)]
    fn as_slice(&self) -> &[E] {
        X::array_slice(&self.0)
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [E] {
        X::array_slice_mut(&mut self.0)
    }
}

impl Storage for Inline {
    type Matrix<X: Row, E: Copy + Send + Sync + 'static> = InlineMatrix<X, E>;
    #[inline(always)]
    fn filled<X: Row, E: Copy + Send + Sync + 'static>(fill: E) -> InlineMatrix<X, E> {
        InlineMatrix(X::array(fill))
    }
}
