//! Dropout: training with a random part of the units switched off.

use rand::RngExt;

use crate::Element;
use crate::{Batch, HyperParameterError, Layer, Params, Row, Rows, Scalar, Tensors, Trainable, Training, expect_rows};

/// In training, each value is kept with probability 1 − `ratio` and scaled
/// by 1 / (1 − `ratio`), or set to 0; at inference every value passes
/// unchanged. Fits rows of any shape.
///
/// The book's `Dropout` scales by (1 − `ratio`) at inference instead; both
/// give the same expected output. Scaling in training (PyTorch's "inverted
/// dropout") leaves inference a no-op, and lets weights trained by PyTorch
/// be used here unchanged. The mask is drawn from the [`Training`] context,
/// so a seed reproduces it.
///
/// ```
/// use typenet::prelude::*;
///
/// let mut drop = Dropout::new(0.5);
/// let x = Batch::<[f32; 1000]>::from_rows(vec![[1.0; 1000]]);
/// let mut y = Batch::zeros(1);
/// drop.forward(&x, &mut y, &mut Default::default(), &mut Training::new(1));
/// let kept = y[0].iter().filter(|&&v| v == 2.0).count();
/// assert!(kept > 430 && kept < 570 && y[0].iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.infer(&x, &mut y); // inference: unchanged
/// assert_eq!(y[0], [1.0; 1000]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    ratio: f64,
}

impl Dropout {
    /// Dropout of a fraction `ratio` of the values (the book's
    /// `dropout_ratio`, 0.5 in its examples).
    ///
    /// # Panics
    /// Unless 0 ≤ `ratio` < 1; [`try_new`](Dropout::try_new) returns the
    /// error instead.
    #[track_caller]
    pub fn new(ratio: f64) -> Self {
        match Self::try_new(ratio) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    /// Dropout of a fraction `ratio`, or an error unless 0 ≤ `ratio` < 1.
    pub fn try_new(ratio: f64) -> Result<Self, HyperParameterError> {
        HyperParameterError::check("Dropout", "ratio", ratio, (0.0..1.0).contains(&ratio), "in [0, 1)")?;
        Ok(Dropout { ratio })
    }

    /// The fraction of values dropped in training.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
}

impl Tensors for Dropout {
    crate::tensors! {}
}

impl<T: Scalar> Params<T> for Dropout {}

impl<X: Row<Scalar: Scalar>> Layer<X> for Dropout {
    type Out = X;
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<X, R>, _: &mut ()) {
        y.set_rows(x.nrows());
        y.as_mut_slice().copy_from_slice(x.as_slice());
    }
}

impl<X: Row<Scalar: Scalar>> Trainable<X> for Dropout {
    /// The multiplier of each value: 0 or 1 / (1 − ratio).
    type Cache<R: Rows> = Batch<X, R>;

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<X, R>,
        mask: &mut Batch<X, R>,
        training: &mut Training,
    ) {
        y.set_rows(x.nrows());
        mask.set_rows(x.nrows());
        let scale = X::Scalar::of(1.0 / (1.0 - self.ratio));
        let rng = training.rng();
        for ((y, m), &x) in y.as_mut_slice().iter_mut().zip(mask.as_mut_slice()).zip(x.as_slice()) {
            *m = if rng.random::<f64>() < self.ratio {
                X::Scalar::ZERO
            } else {
                scale
            };
            *y = x * *m;
        }
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        _: &Batch<X, R>,
        dy: &Batch<X, R>,
        mask: &mut Batch<X, R>,
        dx: Option<&mut Batch<X, R>>,
    ) {
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        expect_rows::<Self>("the mask of the training pass", x.nrows(), mask.nrows());
        if let Some(dx) = dx {
            dx.set_rows(x.nrows());
            for ((dx, &dy), &m) in dx.as_mut_slice().iter_mut().zip(dy.as_slice()).zip(mask.as_slice()) {
                *dx = dy * m;
            }
        }
    }
}
