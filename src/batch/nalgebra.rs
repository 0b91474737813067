//! nalgebra values in and out of a net without copies: a batch seen as a
//! matrix with one column per sample, a matrix moved into a batch, an
//! `SVector` as a sample, an [`Affine`]'s weights as a matrix. Why columns,
//! and what each conversion costs: the [`batch`](crate::batch) module docs.

#[cfg(feature = "alloc")]
use alloc::{boxed::Box, vec::Vec};

use nalgebra::{Const, DMatrixView, DMatrixViewMut, Dyn, MatrixView, MatrixViewMut, SVector};
#[cfg(feature = "alloc")]
use nalgebra::{DMatrix, OMatrix};

use super::{Batch, Row, Rows, Scalar};
use crate::{Affine, Storage};

/// A nalgebra `SVector` as the row `[T; N]` it stores, by reference: how a
/// sample held as a vector goes into [`classify`](crate::Network::classify),
/// [`probabilities`](crate::Network::probabilities) and every other call
/// that takes a row, without a copy.
///
/// ```
/// use nalgebra::SVector;
/// use typenet::as_row;
///
/// let v = SVector::<f32, 3>::new(1.0, 2.0, 3.0);
/// let row: &[f32; 3] = as_row(&v);
/// assert_eq!(row, &[1.0, 2.0, 3.0]);
/// assert!(core::ptr::eq(row.as_ptr(), v.as_ptr())); // the vector's own values
/// ```
#[inline(always)]
pub fn as_row<T, const N: usize>(v: &SVector<T, N>) -> &[T; N] {
    // a column vector's storage is one column of N values
    &v.data.0[0]
}

/// [`as_row`], mutably: a layer's output written straight into a vector.
#[inline(always)]
pub fn as_row_mut<T, const N: usize>(v: &mut SVector<T, N>) -> &mut [T; N] {
    &mut v.data.0[0]
}

impl<X: Row, R: Rows> Batch<X, R> {
    /// The batch as a `WIDTH × nrows` matrix, **one column per sample**,
    /// without a copy (see [the batch module](crate::batch#nalgebra) for why columns).
    ///
    /// ```
    /// use typenet::Batch;
    ///
    /// let x: Batch<[f32; 3]> = Batch::from_rows(vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let m = x.as_columns();
    /// assert_eq!(m.shape(), (3, 2));
    /// assert_eq!(m.column(1).as_slice(), &[4.0, 5.0, 6.0]); // sample 1
    /// let totals: Vec<f32> = m.column_iter().map(|sample| sample.sum()).collect();
    /// assert_eq!(totals, [6.0, 15.0]);
    /// ```
    pub fn as_columns(&self) -> DMatrixView<'_, X::Scalar> {
        MatrixView::from_slice_generic(self.as_slice(), Dyn(X::WIDTH), Dyn(self.nrows()))
    }

    /// [`as_columns`](Batch::as_columns), mutably: nalgebra writes the
    /// batch's values in place.
    pub fn as_columns_mut(&mut self) -> DMatrixViewMut<'_, X::Scalar> {
        let rows = self.nrows();
        MatrixViewMut::from_slice_generic(self.as_mut_slice(), Dyn(X::WIDTH), Dyn(rows))
    }
}

#[cfg(feature = "alloc")]
impl<X: Row> Batch<X, Dyn> {
    /// A batch holding the matrix's columns as its samples, in the matrix's
    /// own buffer: moved, not copied (nalgebra allocates a matrix's buffer
    /// to its size; one with spare room is first shrunk to it). `None`
    /// unless the matrix has `X::WIDTH` rows.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use typenet::Batch;
    ///
    /// // three samples of two values, one per column
    /// let m = DMatrix::from_column_slice(2, 3, &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// let values = m.as_ptr();
    /// let x = Batch::<[f32; 2]>::from_columns(m).unwrap();
    /// assert_eq!(x.rows(), &[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// assert_eq!(x.as_slice().as_ptr(), values); // the same buffer
    /// assert!(Batch::<[f32; 3]>::from_columns(DMatrix::zeros(2, 3)).is_none());
    /// ```
    pub fn from_columns(m: DMatrix<X::Scalar>) -> Option<Self> {
        if m.nrows() != X::WIDTH {
            return None;
        }
        let samples = m.ncols();
        Some(Self::from_values(m.data.into(), samples))
    }

    /// The batch as a `WIDTH × nrows` matrix, one column per sample, in the
    /// batch's own buffer: moved, not copied.
    pub fn into_columns(self) -> DMatrix<X::Scalar> {
        let samples = self.nrows();
        DMatrix::from_vec(X::WIDTH, samples, self.into_values())
    }

    /// A batch of `samples` rows from their values laid end to end, in
    /// `values`' own allocation.
    fn from_values(values: Vec<X::Scalar>, samples: usize) -> Self {
        debug_assert_eq!(values.len(), samples * X::WIDTH);
        if X::WIDTH == 0 {
            // rows of no values take no room: nothing to move
            return Self::zeros(samples);
        }
        // exact length, so the allocation is `samples` rows' worth
        let values: Box<[X::Scalar]> = values.into_boxed_slice();
        let rows = core::ptr::slice_from_raw_parts_mut(Box::into_raw(values).cast::<X>(), samples);
        // SAFETY: by `Row`'s contract an `X` is `WIDTH` scalars with the
        // scalar's alignment and no padding (checked when compiled by
        // `Row::flatten`'s assertion), so `samples · WIDTH` scalars are
        // `samples` rows with the same size and alignment: the allocation's
        // layout is the one a `Box<[X]>` of `samples` rows frees with, and
        // every bit pattern of a scalar is valid, so every row is.
        let rows: Box<[X]> = unsafe { Box::from_raw(rows) };
        let _ = X::flatten(&rows); // the layout assertion, evaluated for `X`
        Batch { rows: rows.into_vec() }
    }

    /// The batch's values laid end to end, in its own allocation.
    fn into_values(self) -> Vec<X::Scalar> {
        let samples = self.nrows();
        if X::WIDTH == 0 {
            return Vec::new();
        }
        let _ = X::flatten(&self.rows); // the layout assertion, evaluated for `X`
        let rows: Box<[X]> = self.rows.into_boxed_slice();
        let values = core::ptr::slice_from_raw_parts_mut(Box::into_raw(rows).cast::<X::Scalar>(), samples * X::WIDTH);
        // SAFETY: the reverse of `from_values`: `samples` rows are
        // `samples · WIDTH` scalars of the same size and alignment.
        let values: Box<[X::Scalar]> = unsafe { Box::from_raw(values) };
        values.into_vec()
    }

    /// A batch from a nalgebra matrix with one sample per **row**, copied
    /// (such a matrix holds each sample's values apart; a matrix with one
    /// sample per column moves in with [`from_columns`](Batch::from_columns)).
    /// `None` unless the matrix has `X::WIDTH` columns.
    pub fn from_matrix<S>(m: &nalgebra::Matrix<X::Scalar, Dyn, Dyn, S>) -> Option<Self>
    where
        S: nalgebra::RawStorage<X::Scalar, Dyn, Dyn>,
    {
        if m.ncols() != X::WIDTH {
            return None;
        }
        let mut batch = Self::zeros(m.nrows());
        for (r, row) in batch.rows_mut().iter_mut().enumerate() {
            for (c, v) in row.as_mut_slice().iter_mut().enumerate() {
                *v = m[(r, c)];
            }
        }
        Some(batch)
    }

    /// The batch as a nalgebra matrix with one sample per **row**, copied
    /// (see [`as_columns`](Batch::as_columns) for a view).
    pub fn to_matrix(&self) -> DMatrix<X::Scalar> {
        DMatrix::from_row_slice(self.nrows(), X::WIDTH, self.as_slice())
    }
}

/// A matrix of `N` rows, one column per sample, moved into a batch of
/// `[T; N]` rows: the width is checked when compiled.
#[cfg(feature = "alloc")]
impl<T: crate::Element, const N: usize> From<OMatrix<T, Const<N>, Dyn>> for Batch<[T; N], Dyn> {
    fn from(m: OMatrix<T, Const<N>, Dyn>) -> Self {
        let samples = m.ncols();
        Batch::from_values(m.data.into(), samples)
    }
}

/// A batch of `[T; N]` rows moved into a matrix of `N` rows, one column per
/// sample.
#[cfg(feature = "alloc")]
impl<T: crate::Element, const N: usize> From<Batch<[T; N], Dyn>> for OMatrix<T, Const<N>, Dyn> {
    fn from(batch: Batch<[T; N], Dyn>) -> Self {
        let samples = batch.nrows();
        OMatrix::from_vec_generic(Const::<N>, Dyn(samples), batch.into_values())
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: Storage> Affine<X, OUT, S> {
    /// The weights as an `OUT × IN` matrix, without a copy: column `i`
    /// holds input `i`'s weights to every output (the layer stores `[IN,
    /// OUT]` row by row, the book's `W`, which nalgebra's column-major
    /// order reads as `Wᵀ`). It is PyTorch's `linear.weight`, and the
    /// layer computes `y = W·x + b` in it for a sample `x` as a column.
    ///
    /// ```
    /// use nalgebra::SVector;
    /// use typenet::prelude::*;
    ///
    /// // 2 inputs, 3 outputs: W[i][j] is input i's weight to output j
    /// let fc = Affine::<[f64; 2], 3>::from_parts(&[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]], &[1.0, 2.0, 3.0]);
    /// let w = fc.weights_matrix();
    /// assert_eq!(w.shape(), (3, 2));
    /// assert_eq!(w[(2, 0)], 5.0); // input 0 to output 2
    /// let x = SVector::<f64, 2>::new(1.0, 2.0);
    /// let y = w * x + SVector::from(*fc.bias());
    /// let mut out = Batch::zeros(1);
    /// fc.infer(&Batch::from_rows(vec![[1.0, 2.0]]), &mut out);
    /// assert_eq!(y.as_slice(), &out[0]);
    /// ```
    pub fn weights_matrix(&self) -> MatrixView<'_, X::Scalar, Const<OUT>, Dyn> {
        MatrixView::from_slice_generic(self.weights().as_flattened(), Const::<OUT>, Dyn(X::WIDTH))
    }

    /// [`weights_matrix`](Affine::weights_matrix), mutably: weights
    /// computed with nalgebra (a least-squares fit, a matrix from another
    /// library) written into the layer in place.
    pub fn weights_matrix_mut(&mut self) -> MatrixViewMut<'_, X::Scalar, Const<OUT>, Dyn> {
        MatrixViewMut::from_slice_generic(self.weights_mut().as_flattened_mut(), Const::<OUT>, Dyn(X::WIDTH))
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use nalgebra::{DMatrix, OMatrix, SMatrix, SVector};

    use crate::{Affine, Batch, Const, Dyn, Image, Inline, Layer, as_row, as_row_mut};

    // The names start with `row_` so that Miri runs them (.ci/run): they
    // move buffers between batches and matrices through raw pointers.

    #[test]
    fn row_buffers_move_between_batches_and_matrices() {
        let m = DMatrix::from_fn(3, 4, |r, c| (10 * c + r) as f32);
        let moved = m.clone();
        let at = moved.as_ptr();
        let batch = Batch::<[f32; 3]>::from_columns(moved).unwrap();
        assert_eq!(batch.as_slice().as_ptr(), at);
        assert_eq!(batch[2], [20.0, 21.0, 22.0]);
        assert_eq!(batch.as_columns(), m);
        let back = batch.into_columns();
        assert_eq!(back.as_ptr(), at);
        assert_eq!(back, m);
        assert!(Batch::<[f32; 4]>::from_columns(m.clone()).is_none());
        // the typed matrix, and images
        let typed: OMatrix<f32, Const<3>, Dyn> = m.clone().reshape_generic(Const::<3>, Dyn(4));
        let batch = Batch::<[f32; 3]>::from(typed);
        assert_eq!(
            OMatrix::<f32, Const<3>, Dyn>::from(batch),
            m.clone().reshape_generic(Const::<3>, Dyn(4))
        );
        let images = Batch::<Image<f32, 1, 1, 3>>::from_columns(m.clone()).unwrap();
        assert_eq!(images[1].0[0][0], [10.0, 11.0, 12.0]);
    }

    #[test]
    fn row_buffers_with_spare_room_and_empty_ones_move_too() {
        let mut values = Vec::with_capacity(7);
        values.extend_from_slice(&[1.0f64, 2.0, 3.0, 4.0]);
        let m = DMatrix::from_vec(2, 2, values);
        let batch = Batch::<[f64; 2]>::from_columns(m).unwrap();
        assert_eq!(batch.rows(), &[[1.0, 2.0], [3.0, 4.0]]);
        let empty = Batch::<[f64; 2]>::from_columns(DMatrix::zeros(2, 0)).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.into_columns().shape(), (2, 0));
        let no_width = Batch::<[f64; 0]>::from_columns(DMatrix::zeros(0, 5)).unwrap();
        assert_eq!(no_width.nrows(), 5);
        assert_eq!(no_width.into_columns().shape(), (0, 5));
    }

    #[test]
    fn a_view_writes_the_batch_in_place() {
        let mut x = Batch::<[f32; 2], Const<2>>::new([[1.0, 2.0], [3.0, 4.0]]);
        let mut view = x.as_columns_mut();
        view.column_mut(1).iter_mut().for_each(|v| *v *= 10.0);
        assert_eq!(x.into_array(), [[1.0, 2.0], [30.0, 40.0]]);
        let mut v = SVector::<f32, 2>::new(5.0, 6.0);
        as_row_mut(&mut v)[1] = 7.0;
        assert_eq!(as_row(&v), &[5.0, 7.0]);
    }

    #[test]
    fn the_weights_view_is_what_the_layer_computes_with() {
        let mut fc = Affine::<[f64; 3], 2, Inline>::from_fn(|i, j| (i * 2 + j) as f64, |j| j as f64);
        let w: SMatrix<f64, 2, 3> = fc.weights_matrix().fixed_columns::<3>(0).into_owned();
        assert_eq!(w, SMatrix::<f64, 2, 3>::new(0.0, 2.0, 4.0, 1.0, 3.0, 5.0));
        fc.weights_matrix_mut().copy_from(&(w * 2.0));
        assert_eq!(fc.weights()[2], [8.0, 10.0]);
        let x = Batch::<[f64; 3]>::from_rows(vec![[1.0, -1.0, 0.5], [0.0, 2.0, 1.0]]);
        let mut y = Batch::zeros(2);
        fc.infer(&x, &mut y);
        let by_nalgebra = fc.weights_matrix() * x.as_columns();
        for (j, sample) in y.rows().iter().enumerate() {
            for o in 0..2 {
                assert_eq!(sample[o], by_nalgebra[(o, j)] + fc.bias()[o]);
            }
        }
    }
}
