//! What flows through a net: [`Element`]s (float [`Scalar`]s, or the
//! integers of a quantized net), [`Row`]s of them (dense rows,
//! [`Image`]s, [`Pair`]s), [`Batch`]es of rows with a run-time (`Dyn`) or
//! compile-time (`Const<B>`) row count, and the [`Target`]s a loss compares
//! against ([`Labels`] or one-hot rows).
//!
//! # nalgebra
//!
//! Samples held as nalgebra values go in and out of a net without copies.
//! A batch stores its samples row after row, nalgebra stores a matrix
//! column after column, so the layout a batch is seen through without a
//! copy is the one with **one column per sample**: a batch of `n` rows of
//! `WIDTH` values is the `WIDTH × n` matrix whose column `j` is sample `j`
//! (what nalgebra code writes as `Xᵀ`). Every view and move below gives and
//! takes that layout. A matrix with one sample per *row* (`n × WIDTH`)
//! holds each sample's values `n` apart, so it can only be copied, by
//! [`Batch::from_matrix`] and [`Batch::to_matrix`].
//!
//! | you hold | into typenet | out of typenet |
//! | --- | --- | --- |
//! | `SVector<T, N>`, one sample | [`as_row`]`(&v)`: `&[T; N]`, by reference | `SVector::from(net.probabilities(x)?)`: a move of `N` values |
//! | `DMatrix<T>`, one column per sample | [`Batch::from_columns`]: the buffer moves | [`Batch::into_columns`]: the buffer moves |
//! | `OMatrix<T, Const<N>, Dyn>` | `Batch::from(m)`, the width checked when compiled | `OMatrix::from(batch)` |
//! | a batch, borrowed | | [`Batch::as_columns`], [`Batch::as_columns_mut`]: views |
//! | an [`Affine`](crate::Affine)'s weights | [`Affine::weights_matrix_mut`](crate::Affine::weights_matrix_mut): written through a view | [`Affine::weights_matrix`](crate::Affine::weights_matrix): an `OUT × IN` view, PyTorch's `(out, in)` |
//!
//! No view has a row stride other than 1. A row-major view of a batch
//! (`n × WIDTH`, row stride `WIDTH`) could be built with nalgebra's
//! `from_slice_with_strides_generic`, but nalgebra 0.35 walks past the end
//! of a column with a row stride above 1 in `axpy`/`axcpy` and in the small
//! products built on them (dimforge/nalgebra#1616), so the crate does not
//! hand one out. Products of these views with a `Dyn` dimension and every
//! dimension above 5 run on nalgebra's fast `matrixmultiply` path.

mod element;
mod nalgebra;
mod row;
mod scalar;
mod target;

pub use element::{Dtype, Element};
pub use row::{Flat, Image, Pair, Row, argmax};
pub use scalar::Scalar;
pub use target::{LabelError, Labels, Target, TargetRow};

use core::fmt;
use core::ops::{Index, IndexMut};

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

pub use self::nalgebra::{as_row, as_row_mut};
pub use ::nalgebra::{Const, Dyn};

mod sealed {
    pub trait Sealed {}
    impl<const B: usize> Sealed for ::nalgebra::Const<B> {}
    impl Sealed for ::nalgebra::Dyn {}
}

/// How many rows a batch has: [`Const<B>`] (known at compile time, stored
/// inline) or [`Dyn`] (known at run time, stored on the heap; needs the
/// `alloc` feature).
pub trait Rows: Copy + fmt::Debug + Send + Sync + 'static + sealed::Sealed {
    /// The container of a batch's elements.
    type Store<E: Copy + Send + Sync + 'static>: AsRef<[E]> + AsMut<[E]> + Clone + Send + Sync;

    /// `Some(B)` for `Const<B>`, `None` for `Dyn`.
    const FIXED: Option<usize>;

    /// A store of the natural empty size: `B` copies of `fill()` for
    /// `Const<B>`, no rows for `Dyn`. The fill is a function so that a `Dyn`
    /// store never builds one: unoptimised code would put a whole row (up
    /// to megabytes for a large image) on the stack for nothing.
    fn empty<E: Copy + Send + Sync + 'static>(fill: impl FnOnce() -> E) -> Self::Store<E>;

    /// Makes the store hold `rows` rows if it can (a `Dyn` store grows or
    /// shrinks, new rows set to `fill`); a `Const<B>` store always holds `B`.
    fn set_rows<E: Copy + Send + Sync + 'static>(store: &mut Self::Store<E>, rows: usize, fill: E);

    /// As [`set_rows`](Rows::set_rows) with new rows of all-zero bytes,
    /// written in place: a row of megabytes never passes through the stack.
    ///
    /// # Safety
    /// All-zero bytes must be a valid `E`.
    unsafe fn set_rows_zeroed<E: Copy + Send + Sync + 'static>(store: &mut Self::Store<E>, rows: usize);
}

impl<const B: usize> Rows for Const<B> {
    type Store<E: Copy + Send + Sync + 'static> = [E; B];
    const FIXED: Option<usize> = Some(B);

    #[inline(always)]
    fn empty<E: Copy + Send + Sync + 'static>(fill: impl FnOnce() -> E) -> [E; B] {
        [fill(); B]
    }

    #[inline(always)]
    fn set_rows<E: Copy + Send + Sync + 'static>(_: &mut [E; B], _: usize, _: E) {}

    #[inline(always)]
    unsafe fn set_rows_zeroed<E: Copy + Send + Sync + 'static>(_: &mut [E; B], _: usize) {}
}

#[cfg(feature = "alloc")]
impl Rows for Dyn {
    type Store<E: Copy + Send + Sync + 'static> = Vec<E>;
    const FIXED: Option<usize> = None;

    fn empty<E: Copy + Send + Sync + 'static>(_: impl FnOnce() -> E) -> Vec<E> {
        Vec::new()
    }

    fn set_rows<E: Copy + Send + Sync + 'static>(store: &mut Vec<E>, rows: usize, fill: E) {
        store.resize(rows, fill);
    }

    unsafe fn set_rows_zeroed<E: Copy + Send + Sync + 'static>(store: &mut Vec<E>, rows: usize) {
        let old = store.len();
        if rows <= old {
            store.truncate(rows);
            return;
        }
        store.reserve_exact(rows - old);
        // SAFETY: the capacity holds `rows` values; the new ones are written
        // as zero bytes, a valid `E` by the caller's promise, before the
        // length covers them.
        unsafe {
            store.as_mut_ptr().add(old).write_bytes(0, rows - old);
            store.set_len(rows);
        }
    }
}

/// A batch of rows `X` (each `[T; N]`), `R` of them: the value every layer
/// reads and writes.
///
/// With `R = Dyn` (the default, needs `alloc`) the row count is chosen at run
/// time, as for a data set's mini-batches; with `R = Const<B>` it is part of
/// the type and the rows live inline, so a small net runs without a heap.
///
/// ```
/// use typenet::{Batch, Const};
///
/// let x: Batch<[f32; 2]> = Batch::from_rows(vec![[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(x.nrows(), 2);
/// assert_eq!(x.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
///
/// let one = Batch::<[f32; 2], Const<1>>::new([[5.0, 6.0]]);
/// assert_eq!(one[0], [5.0, 6.0]);
/// ```
#[repr(transparent)]
pub struct Batch<X: Row, #[cfg(feature = "alloc")] R: Rows = Dyn, #[cfg(not(feature = "alloc"))] R: Rows> {
    rows: R::Store<X>,
}

impl<X: Row, R: Rows> Batch<X, R> {
    /// The number of rows.
    #[inline(always)]
    pub fn nrows(&self) -> usize {
        self.rows.as_ref().len()
    }

    /// `true` if the batch has no rows.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.nrows() == 0
    }

    /// The rows.
    #[inline(always)]
    pub fn rows(&self) -> &[X] {
        self.rows.as_ref()
    }

    /// The rows, mutably.
    #[inline(always)]
    pub fn rows_mut(&mut self) -> &mut [X] {
        self.rows.as_mut()
    }

    /// All elements, row after row.
    #[inline(always)]
    pub fn as_slice(&self) -> &[X::Scalar] {
        X::flatten(self.rows.as_ref())
    }

    /// All elements, row after row, mutably.
    #[inline(always)]
    pub fn as_mut_slice(&mut self) -> &mut [X::Scalar] {
        X::flatten_mut(self.rows.as_mut())
    }

    /// Makes the batch hold `rows` rows: a `Dyn` batch grows with zero rows
    /// or shrinks (keeping its allocation); a `Const<B>` batch always holds
    /// `B` and is left as it is. A layer calls this on the batches it writes
    /// (`y.set_rows(x.nrows())`) before filling them.
    #[inline(always)]
    pub fn set_rows(&mut self, rows: usize) {
        // SAFETY: a row is nothing but elements (`Row`'s contract), and all
        // zero bytes are 0 for every element type.
        unsafe { R::set_rows_zeroed(&mut self.rows, rows) }
    }

    /// `true` if every element is finite (no NaN, no infinity).
    pub fn is_finite(&self) -> bool {
        X::Scalar::all_finite(self.as_slice())
    }
}

impl<X: Row, const B: usize> Batch<X, Const<B>> {
    /// A batch of `B` rows stored inline.
    pub const fn new(rows: [X; B]) -> Self {
        Batch { rows }
    }

    /// The rows as an array.
    pub fn into_array(self) -> [X; B] {
        self.rows
    }
}

impl<X: Row> Batch<X, Const<1>> {
    /// One row seen as a batch of one, without a copy: how a one-sample
    /// call hands its input to a net.
    ///
    /// ```
    /// use typenet::{Batch, Const};
    ///
    /// let row = [1.0f32, 2.0];
    /// let batch: &Batch<[f32; 2], Const<1>> = Batch::one(&row);
    /// assert!(core::ptr::eq(&batch[0], &row));
    /// ```
    pub fn one(row: &X) -> &Self {
        // SAFETY: `Batch<X, Const<1>>` is `repr(transparent)` over its store,
        // `[X; 1]`, which has the layout of `X`.
        unsafe { &*(row as *const X).cast::<Self>() }
    }

    /// One row seen as a batch of one, mutably, without a copy.
    pub fn one_mut(row: &mut X) -> &mut Self {
        // SAFETY: as in `one`.
        unsafe { &mut *(row as *mut X).cast::<Self>() }
    }
}

#[cfg(feature = "alloc")]
impl<X: Row> Batch<X, Dyn> {
    /// A batch holding these rows.
    pub fn from_rows(rows: Vec<X>) -> Self {
        Batch { rows }
    }

    /// A batch holding a copy of these rows.
    pub fn from_slice(rows: &[X]) -> Self {
        Batch { rows: rows.to_vec() }
    }

    /// `rows` zero rows. (A `Const<B>` batch of zeros is `Batch::default()`.)
    pub fn zeros(rows: usize) -> Self {
        let mut batch = Batch { rows: Vec::new() };
        batch.set_rows(rows);
        batch
    }

    /// A batch from row-major elements; `None` unless their count is a
    /// multiple of the row width.
    pub fn from_flat(values: &[X::Scalar]) -> Option<Self> {
        if X::WIDTH == 0 || values.len() % X::WIDTH != 0 {
            return None;
        }
        let mut batch = Self::zeros(values.len() / X::WIDTH);
        batch.as_mut_slice().copy_from_slice(values);
        Some(batch)
    }

    /// Appends a row.
    pub fn push(&mut self, row: X) {
        self.rows.push(row);
    }
}

impl<X: Row, R: Rows> Default for Batch<X, R> {
    /// `B` zero rows for `Const<B>`, an empty batch for `Dyn`.
    fn default() -> Self {
        Batch {
            rows: R::empty(|| X::ZERO),
        }
    }
}

impl<X: Row, R: Rows> Clone for Batch<X, R> {
    fn clone(&self) -> Self {
        Batch {
            rows: self.rows.clone(),
        }
    }
}

impl<X: Row, R: Rows> PartialEq for Batch<X, R> {
    fn eq(&self, other: &Self) -> bool {
        self.rows() == other.rows()
    }
}

impl<X: Row, R: Rows> fmt::Debug for Batch<X, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.rows()).finish()
    }
}

impl<X: Row, R: Rows> Index<usize> for Batch<X, R> {
    type Output = X;
    #[inline(always)]
    fn index(&self, i: usize) -> &X {
        &self.rows()[i]
    }
}

impl<X: Row, R: Rows> IndexMut<usize> for Batch<X, R> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut X {
        &mut self.rows_mut()[i]
    }
}

impl<X: Row, const B: usize> From<[X; B]> for Batch<X, Const<B>> {
    fn from(rows: [X; B]) -> Self {
        Batch { rows }
    }
}

#[cfg(feature = "alloc")]
impl<X: Row> From<Vec<X>> for Batch<X, Dyn> {
    fn from(rows: Vec<X>) -> Self {
        Batch { rows }
    }
}

#[cfg(feature = "alloc")]
impl<X: Row> FromIterator<X> for Batch<X, Dyn> {
    fn from_iter<I: IntoIterator<Item = X>>(iter: I) -> Self {
        Batch {
            rows: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The view of one row as a batch of one (Miri runs this): reads and
    /// writes go to the row itself.
    #[test]
    fn row_as_a_batch_of_one_is_the_row() {
        let mut row = Image::<f32, 2, 1, 2>([[[1.0, 2.0]], [[3.0, 4.0]]]);
        assert_eq!(Batch::one(&row).as_slice(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(Batch::one(&row).nrows(), 1);
        Batch::one_mut(&mut row).as_mut_slice()[3] = 40.0;
        assert_eq!(row.0[1][0][1], 40.0);
    }
}
