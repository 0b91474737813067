//! What a loss compares a net's output against: class labels or one-hot rows.

use core::fmt;

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

#[cfg(feature = "alloc")]
use crate::Dyn;
use crate::{Batch, Const, Row, Rows, Scalar, argmax};

/// Class indices for a batch, each checked at construction to be below the
/// class count `N`, so a loss never indexes out of range.
///
/// ```
/// use typenet::Labels;
///
/// let t = Labels::<10>::from_slice(&[7, 2, 1]).unwrap();
/// assert_eq!(t.get(0), 7);
/// assert!(Labels::<10>::from_slice(&[10]).is_err());
/// ```
pub struct Labels<const N: usize, #[cfg(feature = "alloc")] R: Rows = Dyn, #[cfg(not(feature = "alloc"))] R: Rows> {
    labels: R::Store<u32>,
}

/// A label that is not below the class count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelError {
    /// Position of the offending label.
    pub index: usize,
    /// Its value (negative if the caller's label was negative).
    pub label: i128,
    /// The number of classes (valid labels are `0..classes`).
    pub classes: usize,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "label {} at position {} is out of range: there are {} classes (0..={})",
            self.label,
            self.index,
            self.classes,
            self.classes.saturating_sub(1)
        )
    }
}

impl core::error::Error for LabelError {}

fn check<const N: usize, I: Copy + TryInto<usize> + TryInto<i128>>(index: usize, label: I) -> Result<u32, LabelError> {
    match TryInto::<usize>::try_into(label) {
        Ok(l) if l < N => Ok(l as u32),
        _ => Err(LabelError {
            index,
            label: TryInto::<i128>::try_into(label).unwrap_or(i128::MAX),
            classes: N,
        }),
    }
}

impl<const N: usize, R: Rows> Labels<N, R> {
    /// The number of labels.
    pub fn len(&self) -> usize {
        self.labels.as_ref().len()
    }

    /// `true` if there are no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label at `i`.
    pub fn get(&self, i: usize) -> usize {
        self.labels.as_ref()[i] as usize
    }

    /// All labels, in order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.labels.as_ref().iter().map(|&l| l as usize)
    }

    /// The labels as one-hot rows.
    pub fn one_hot<T: Scalar>(&self) -> Batch<[T; N], R> {
        let mut out = Batch::<[T; N], R>::default();
        out.set_rows(self.len());
        for (row, label) in out.rows_mut().iter_mut().zip(self.iter()) {
            row[label] = T::ONE;
        }
        out
    }

    #[cfg(feature = "std")]
    /// Makes room for `len` labels (a `Dyn` set grows with zeros or
    /// shrinks; a `Const<B>` set always holds `B`).
    pub(crate) fn set_len(&mut self, len: usize) {
        R::set_rows(&mut self.labels, len, 0);
    }

    #[cfg(feature = "std")]
    /// Label `i` as stored (already checked to be below `N`).
    pub(crate) fn raw(&self, i: usize) -> u32 {
        self.labels.as_ref()[i]
    }

    #[cfg(feature = "std")]
    /// Sets label `i` to a value taken from another `Labels<N>`.
    pub(crate) fn set(&mut self, i: usize, label: u32) {
        debug_assert!((label as usize) < N);
        self.labels.as_mut()[i] = label;
    }
}

impl<const N: usize, const B: usize> Labels<N, Const<B>> {
    /// `B` labels; an error names the first one that is not below `N`.
    pub fn new(labels: [usize; B]) -> Result<Self, LabelError> {
        let mut out = [0u32; B];
        for (i, (&l, o)) in labels.iter().zip(out.iter_mut()).enumerate() {
            *o = check::<N, usize>(i, l)?;
        }
        Ok(Labels { labels: out })
    }
}

#[cfg(feature = "alloc")]
impl<const N: usize> Labels<N, Dyn> {
    /// Labels from any integers; an error names the first one that is not
    /// below `N`.
    pub fn from_slice<I: Copy + TryInto<usize> + TryInto<i128>>(labels: &[I]) -> Result<Self, LabelError> {
        let labels = labels
            .iter()
            .enumerate()
            .map(|(i, &l)| check::<N, I>(i, l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Labels { labels })
    }

    /// Labels `range`.
    pub fn slice(&self, range: core::ops::Range<usize>) -> Self {
        Labels {
            labels: self.labels[range].to_vec(),
        }
    }

    /// The class of the largest value in each one-hot (or probability) row.
    pub fn from_one_hot<T: Scalar>(rows: &Batch<[T; N], Dyn>) -> Self {
        Labels {
            labels: rows.rows().iter().map(|r| argmax(r) as u32).collect(),
        }
    }
}

impl<const N: usize, R: Rows> Default for Labels<N, R> {
    fn default() -> Self {
        Labels { labels: R::empty(|| 0) }
    }
}

impl<const N: usize, R: Rows> Clone for Labels<N, R> {
    fn clone(&self) -> Self {
        Labels {
            labels: self.labels.clone(),
        }
    }
}

impl<const N: usize, R: Rows> PartialEq for Labels<N, R> {
    fn eq(&self, other: &Self) -> bool {
        self.labels.as_ref() == other.labels.as_ref()
    }
}

impl<const N: usize, R: Rows> fmt::Debug for Labels<N, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One row of a target: a dense row (one-hot or a probability distribution)
/// or a class index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetRow<'a, X> {
    /// The target distribution over the classes.
    Dense(&'a X),
    /// The index of the true class.
    Class(usize),
}

impl<X: Row> TargetRow<'_, X> {
    /// The true class: the label, or the argmax of a dense row.
    pub fn class(&self) -> usize {
        match self {
            TargetRow::Dense(t) => argmax(t.as_slice()),
            TargetRow::Class(c) => *c,
        }
    }
}

/// Targets a loss can compare rows `X` against, `R` of them: one-hot rows
/// ([`Batch<X, R>`](Batch)) or class labels ([`Labels<N, R>`](Labels)).
#[diagnostic::on_unimplemented(
    message = "`{Self}` are not targets for a batch of `{R}` rows whose outputs are `{X}`",
    label = "the class count, the scalar type or the number of rows differs",
    note = "targets are `Labels<N, R>` with N the net's output width, or one-hot rows `Batch<X, R>` of the net's output type, and R the batch's row count: `Dyn`, or `Const<B>` for a batch of B rows"
)]
pub trait Target<X: Row, R: Rows> {
    /// The number of rows.
    fn nrows(&self) -> usize;
    /// Row `i`.
    fn row(&self, i: usize) -> TargetRow<'_, X>;
}

impl<X: Row, R: Rows> Target<X, R> for Batch<X, R> {
    #[inline(always)]
    fn nrows(&self) -> usize {
        Batch::nrows(self)
    }

    #[inline(always)]
    fn row(&self, i: usize) -> TargetRow<'_, X> {
        TargetRow::Dense(&self[i])
    }
}

impl<T: Scalar, const N: usize, R: Rows> Target<[T; N], R> for Labels<N, R> {
    #[inline(always)]
    fn nrows(&self) -> usize {
        self.len()
    }

    #[inline(always)]
    fn row(&self, i: usize) -> TargetRow<'_, [T; N]> {
        TargetRow::Class(self.get(i))
    }
}
