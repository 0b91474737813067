//! Softmax over `N` classes with the cross-entropy loss, the head of a
//! classifier.

use crate::{
    Batch, Layer, Loss, Params, Rows, Scalar, Target, TargetRow, Tensors, Trainable, Training, expect_rows, softmax,
};

/// Softmax over `N` class scores, with the cross-entropy loss.
///
/// As the last element of a chain it makes the chain a
/// [`Network`](crate::Network): its loss is the mean cross-entropy of the
/// softmax against one-hot rows or labels, and the loss gradient with
/// respect to the scores is the book's (y − t) / batch. As a plain layer it
/// maps scores to probabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SoftmaxWithLoss<const N: usize>;

impl<const N: usize> Tensors for SoftmaxWithLoss<N> {
    crate::tensors! {}
}

impl<T: Scalar, const N: usize> Params<T> for SoftmaxWithLoss<N> {}

impl<T: Scalar, const N: usize> Layer<[T; N]> for SoftmaxWithLoss<N> {
    type Out = [T; N];
    type Scratch<R: Rows> = ();

    #[inline]
    fn infer_with<R: Rows>(&self, x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        for (y, x) in y.rows_mut().iter_mut().zip(x.rows()) {
            *y = *x;
            softmax(y);
        }
    }
}

impl<T: Scalar, const N: usize> Trainable<[T; N]> for SoftmaxWithLoss<N> {
    type Cache<R: Rows> = ();

    #[inline]
    fn forward<R: Rows>(&mut self, x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>, _: &mut (), _: &mut Training) {
        self.infer(x, y)
    }

    /// The softmax Jacobian applied to `dy`: dx = y ⊙ (dy − ⟨dy, y⟩).
    #[inline]
    fn backward<R: Rows>(
        &mut self,
        _: &Batch<[T; N], R>,
        y: &Batch<[T; N], R>,
        dy: &Batch<[T; N], R>,
        _: &mut (),
        dx: Option<&mut Batch<[T; N], R>>,
    ) {
        expect_rows::<Self>("dy", y.nrows(), dy.nrows());
        if let Some(dx) = dx {
            dx.set_rows(y.nrows());
            for ((dx, y), dy) in dx.rows_mut().iter_mut().zip(y.rows()).zip(dy.rows()) {
                let dot: T = y.iter().zip(dy).map(|(&y, &d)| y * d).sum();
                for ((dx, &y), &dy) in dx.iter_mut().zip(y).zip(dy) {
                    *dx = y * (dy - dot);
                }
            }
        }
    }
}

impl<T: Scalar, const N: usize> Loss<[T; N]> for SoftmaxWithLoss<N> {
    fn loss<R: Rows>(&self, y: &Batch<[T; N], R>, t: &impl Target<[T; N], R>) -> T {
        crate::cross_entropy_error(y, t)
    }

    fn loss_backward<R: Rows>(&self, y: &Batch<[T; N], R>, t: &impl Target<[T; N], R>, dx: &mut Batch<[T; N], R>) {
        expect_rows::<Self>("the targets", y.nrows(), t.nrows());
        dx.set_rows(y.nrows());
        if y.is_empty() {
            return;
        }
        let scale = T::ONE / T::of(y.nrows() as f64);
        for (i, (dx, y)) in dx.rows_mut().iter_mut().zip(y.rows()).enumerate() {
            match t.row(i) {
                TargetRow::Class(c) => {
                    for (dx, &y) in dx.iter_mut().zip(y) {
                        *dx = y * scale;
                    }
                    dx[c] = (y[c] - T::ONE) * scale;
                }
                TargetRow::Dense(t) => {
                    for ((dx, &y), &t) in dx.iter_mut().zip(y).zip(t) {
                        *dx = (y - t) * scale;
                    }
                }
            }
        }
    }
}
