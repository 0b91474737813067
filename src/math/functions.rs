//! The book's activation and loss functions, for single values, rows and
//! batches.

use num_traits::Float;

use crate::{Batch, Element, Row, Rows, Scalar, Target, TargetRow};

/// The smallest probability the loss takes the logarithm of, so a
/// probability of exactly 0 costs −ln 1e-7 ≈ 16.1 instead of infinity (the
/// book's `delta = 1e-7`).
pub const LOG_GUARD: f64 = 1e-7;

/// The logistic function 1 / (1 + e^-x), exact at both tails (0 and 1, never NaN
/// for finite `x`).
///
/// ```
/// assert_eq!(typenet::sigmoid(0.0f64), 0.5);
/// assert_eq!(typenet::sigmoid(-1e4f32), 0.0);
/// ```
#[inline(always)]
pub fn sigmoid<T: Scalar>(x: T) -> T {
    T::ONE / (T::ONE + (-x).exp())
}

/// max(x, 0) with the book's mask `x <= 0`: NaN passes through unchanged.
///
/// ```
/// assert_eq!(typenet::relu(-2.0f32), 0.0);
/// assert_eq!(typenet::relu(3.0f64), 3.0);
/// ```
#[inline(always)]
pub fn relu<T: Scalar>(x: T) -> T {
    if x <= T::ZERO { T::ZERO } else { x }
}

/// Replaces a row of scores with its softmax, stably: the row maximum is
/// subtracted before `exp`, so scores of ±1e4 give exact probabilities
/// instead of NaN.
///
/// ```
/// let mut row = [1000.0f32, 1000.0];
/// typenet::softmax(&mut row);
/// assert_eq!(row, [0.5, 0.5]);
/// ```
pub fn softmax<T: Scalar>(row: &mut [T]) {
    let max = row.iter().copied().fold(T::neg_infinity(), T::max);
    for v in row.iter_mut() {
        *v = (*v - max).exp();
    }
    let sum: T = row.iter().copied().sum();
    let inv = T::ONE / sum;
    for v in row.iter_mut() {
        *v = *v * inv;
    }
}

/// The softmax of every row of a batch.
pub fn softmax_rows<X: Row<Scalar: Scalar>, R: Rows>(x: &Batch<X, R>) -> Batch<X, R> {
    let mut y = x.clone();
    for row in y.rows_mut() {
        softmax(row.as_mut_slice());
    }
    y
}

/// The cross-entropy of one row of probabilities `y` against a target row:
/// −Σ t·ln(max(y, 1e-7)).
///
/// The book writes the guard as `ln(y + 1e-7)`. Clamping guards log(0) the
/// same way but leaves every probability above 1e-7 untouched, so the loss is
/// exactly the cross-entropy whose gradient (y − t)/batch back-propagation
/// computes: a gradient check agrees to ~1e-10 instead of the book's 1.4e-7.
#[inline]
pub fn cross_entropy_row<X: Row<Scalar: Scalar>>(y: &X, t: TargetRow<'_, X>) -> X::Scalar {
    let guard = X::Scalar::of(LOG_GUARD);
    // not `max`, which would turn a NaN probability into the guard
    let log = |p: X::Scalar| (if p < guard { guard } else { p }).ln();
    match t {
        TargetRow::Class(c) => -log(y.as_slice()[c]),
        TargetRow::Dense(t) => -y
            .as_slice()
            .iter()
            .zip(t.as_slice())
            .map(|(&y, &t)| t * log(y))
            .sum::<X::Scalar>(),
    }
}

/// The mean cross-entropy of probability rows `y` against one-hot rows or
/// class labels (0 for an empty batch), with the book's 1e-7 guard against
/// log(0) (see [`cross_entropy_row`]).
///
/// # Panics
/// If `t` does not have as many rows as `y` (only possible with `Dyn` rows);
/// [`Network::loss`](crate::Network::loss) checks that and returns an error.
///
/// ```
/// use typenet::{Batch, Labels, cross_entropy_error};
///
/// let y: Batch<[f64; 3]> = Batch::from_rows(vec![[0.1, 0.6, 0.3]]);
/// let by_label = cross_entropy_error(&y, &Labels::<3>::from_slice(&[1]).unwrap());
/// let by_one_hot = cross_entropy_error(&y, &Batch::from_rows(vec![[0.0, 1.0, 0.0]]));
/// assert_eq!(by_label, -(0.6f64).ln());
/// assert_eq!(by_label, by_one_hot);
/// ```
pub fn cross_entropy_error<X: Row<Scalar: Scalar>, R: Rows>(y: &Batch<X, R>, t: &impl Target<X, R>) -> X::Scalar {
    assert!(
        y.nrows() == t.nrows(),
        "cross_entropy_error: {} rows of outputs but {} targets",
        y.nrows(),
        t.nrows()
    );
    if y.is_empty() {
        return X::Scalar::ZERO;
    }
    let total: X::Scalar = y
        .rows()
        .iter()
        .enumerate()
        .map(|(i, row)| cross_entropy_row(row, t.row(i)))
        .sum();
    total / X::Scalar::of(y.nrows() as f64)
}
