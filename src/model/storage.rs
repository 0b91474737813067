//! Where a layer keeps its tensors: on the heap (large layers; no stack
//! copies ever, in any build) or inline (small layers; no heap at all), and
//! whether it keeps gradients beside them ([`Frozen`] does not: a net that
//! only infers, baked into flash, is the size of its parameters).

#[cfg(feature = "alloc")]
use alloc::{boxed::Box, vec};
use core::marker::PhantomData;

use crate::{Flat, Row, TensorData};

mod sealed {
    pub trait Sealed {}
    #[cfg(feature = "alloc")]
    impl Sealed for super::Heap {}
    impl Sealed for super::Inline {}
    impl<S: super::Storage> Sealed for super::Frozen<S> {}
}

/// The choice of tensor storage: [`Heap`] or [`Inline`], trainable, or
/// either of them [`Frozen`] for a layer that only infers.
pub trait Storage: Copy + core::fmt::Debug + Default + Send + Sync + 'static + sealed::Sealed {
    /// The tensor type for `X::WIDTH` entries `E` (an Affine's weights are
    /// one `[T; OUT]` per input value).
    type Matrix<X: Row, E: Flat>: TensorData<Item = E> + Clone + Send + Sync;
    /// The type of the gradient of such a tensor: the same for trainable
    /// storage, an empty one for [`Frozen`].
    type Grad<X: Row, E: Flat>: TensorData<Item = E> + Clone + Send + Sync;
    /// A tensor with every entry `fill`.
    fn filled<X: Row, E: Flat>(fill: E) -> Self::Matrix<X, E>;
    /// A gradient with every entry `fill` (nothing, for [`Frozen`]).
    fn grad_filled<X: Row, E: Flat>(fill: E) -> Self::Grad<X, E>;
}

/// A storage that keeps gradients: what a layer needs to train.
#[diagnostic::on_unimplemented(
    message = "`{Self}` keeps no gradients: a layer stored in it only infers",
    note = "train a net stored in `Heap` or `Inline`, and freeze it for inference"
)]
pub trait TrainStorage: Storage {}

/// Tensors in heap buffers, built in place: a 784×1000 `f64` layer (6 MB)
/// is created, cloned and trained without ever passing through the stack.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heap;

/// Tensors inline in the layer value: no heap, for small layers and
/// `no_std` targets. A large inline layer can overflow a thread's stack.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inline;

/// The tensors of `S` without gradients: a layer that only infers. A
/// `static` net of `Frozen` layers takes exactly its parameters' bytes of
/// flash; optimizers and the training pass refuse it when compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Frozen<S = Inline>(PhantomData<S>);

/// The default storage: [`Heap`] with the `alloc` feature, else [`Inline`].
#[cfg(feature = "alloc")]
pub type DefaultStorage = Heap;
/// The default storage: [`Heap`] with the `alloc` feature, else [`Inline`].
#[cfg(not(feature = "alloc"))]
pub type DefaultStorage = Inline;

/// `X::WIDTH` entries on the heap. Only [`Storage::filled`] makes one, so
/// the length is always right.
#[cfg(feature = "alloc")]
#[derive(Clone)]
pub struct HeapMatrix<E>(Box<[E]>);

#[cfg(feature = "alloc")]
impl<E: Flat> TensorData for HeapMatrix<E> {
    type Item = E;
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
    type Matrix<X: Row, E: Flat> = HeapMatrix<E>;
    type Grad<X: Row, E: Flat> = HeapMatrix<E>;
    fn filled<X: Row, E: Flat>(fill: E) -> HeapMatrix<E> {
        HeapMatrix(vec![fill; X::WIDTH].into_boxed_slice())
    }
    fn grad_filled<X: Row, E: Flat>(fill: E) -> HeapMatrix<E> {
        Self::filled::<X, E>(fill)
    }
}

#[cfg(feature = "alloc")]
impl TrainStorage for Heap {}

/// `X::WIDTH` entries inline, shaped like `X` (`[[T; OUT]; IN]` for a
/// dense input), so a `static` net can be written as array literals.
pub struct InlineMatrix<X: Row, E: Flat>(pub X::Array<E>);

impl<X: Row, E: Flat> Clone for InlineMatrix<X, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<X: Row, E: Flat> Copy for InlineMatrix<X, E> {}

impl<X: Row, E: Flat> TensorData for InlineMatrix<X, E> {
    type Item = E;
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
    type Matrix<X: Row, E: Flat> = InlineMatrix<X, E>;
    type Grad<X: Row, E: Flat> = InlineMatrix<X, E>;
    #[inline(always)]
    fn filled<X: Row, E: Flat>(fill: E) -> InlineMatrix<X, E> {
        InlineMatrix(X::array(fill))
    }
    #[inline(always)]
    fn grad_filled<X: Row, E: Flat>(fill: E) -> InlineMatrix<X, E> {
        InlineMatrix(X::array(fill))
    }
}

impl TrainStorage for Inline {}

/// No gradient: an empty tensor taking no room.
pub struct NoGrad<E>(PhantomData<E>);

impl<E> NoGrad<E> {
    /// The empty gradient, in a constant expression.
    pub const NONE: Self = NoGrad(PhantomData);
}

impl<E> Clone for NoGrad<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for NoGrad<E> {}

impl<E: Flat> TensorData for NoGrad<E> {
    type Item = E;
    #[inline(always)]
    fn as_slice(&self) -> &[E] {
        &[]
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [E] {
        &mut []
    }
}

impl<S: Storage> Storage for Frozen<S> {
    type Matrix<X: Row, E: Flat> = S::Matrix<X, E>;
    type Grad<X: Row, E: Flat> = NoGrad<E>;
    #[inline(always)]
    fn filled<X: Row, E: Flat>(fill: E) -> Self::Matrix<X, E> {
        S::filled::<X, E>(fill)
    }
    #[inline(always)]
    fn grad_filled<X: Row, E: Flat>(_: E) -> NoGrad<E> {
        NoGrad::NONE
    }
}
