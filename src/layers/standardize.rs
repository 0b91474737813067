//! Input standardisation as a layer, so that the statistics a net was
//! trained with travel with it.

use crate::{Batch, HyperParameterError, Image, Layer, Params, Rows, Scalar, Tensors, Trainable, Training};

/// y = (x − mean) / std per feature of `[T; C]` rows, or per channel of
/// `Image<T, C, H, W>` images (torchvision's `Normalize(mean, std)`,
/// Keras's `Normalization`): the first layer of a net fed raw sensor
/// values or pixels. The statistics are tensors of the layer (buffers,
/// not trained), so they are saved, loaded and baked with the net, and a
/// program that loads it cannot standardise with other numbers.
///
/// Build it from known statistics ([`new`](Self::new)) or from training
/// data ([`fit`](Self::fit)). The backward pass is dy / std (a net can be
/// trained through it, and a gradient with respect to the raw input
/// computed).
///
/// ```
/// use typenet::prelude::*;
/// use typenet::Standardize;
///
/// let data: Batch<Image<f32, 2, 1, 2>> = Batch::from_rows(vec![
///     Image([[[0.0, 2.0]], [[10.0, 10.0]]]),
///     Image([[[4.0, 2.0]], [[30.0, 30.0]]]),
/// ]);
/// let norm = Standardize::<f32, 2>::fit(&data)?;
/// assert_eq!((norm.mean(), norm.std()), (&[2.0, 20.0], &[1.4142135, 10.0]));
/// let mut y = Batch::zeros(2);
/// norm.infer(&data, &mut y);
/// assert_eq!(y[1].0, [[[1.4142135, 0.0]], [[1.0, 1.0]]]);
/// # Ok::<(), typenet::HyperParameterError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standardize<T: Scalar, const C: usize> {
    mean: [T; C],
    std: [T; C],
}

impl<T: Scalar, const C: usize> Standardize<T, C> {
    /// Subtracts `mean` and divides by `std`, channel by channel.
    ///
    /// # Errors
    /// Unless every mean is finite and every std finite and > 0.
    pub fn new(mean: [T; C], std: [T; C]) -> Result<Self, HyperParameterError> {
        for m in mean {
            HyperParameterError::check("Standardize", "mean", m.as_f64(), m.is_finite(), "finite")?;
        }
        for s in std {
            let ok = s.is_finite() && s > T::ZERO;
            HyperParameterError::check("Standardize", "std", s.as_f64(), ok, "finite and > 0")?;
        }
        Ok(Standardize { mean, std })
    }

    /// The layer with these statistics, unchecked, in a constant
    /// expression: what [`rust_source`](crate::io::rust_source) bakes.
    pub const fn frozen(mean: [T; C], std: [T; C]) -> Self {
        Standardize { mean, std }
    }

    /// The mean and (population) standard deviation of each channel over
    /// every row of `data` and every pixel of it; a channel that never
    /// varies gets a std of 1 (it is only centred).
    ///
    /// # Errors
    /// If `data` has no rows or holds a value that is not finite.
    #[cfg(feature = "alloc")]
    pub fn fit<X>(data: &Batch<X>) -> Result<Self, HyperParameterError>
    where
        Self: Layer<X>,
        X: crate::Row<Scalar = T>,
    {
        let values = data.as_slice();
        let per_channel = X::WIDTH / C;
        let rows = data.nrows();
        HyperParameterError::check("Standardize::fit", "rows", rows as f64, rows > 0, "at least one row")?;
        let (mut sum, mut squares) = ([0.0f64; C], [0.0f64; C]);
        for (i, &v) in values.iter().enumerate() {
            let v = v.as_f64();
            HyperParameterError::check("Standardize::fit", "a value of the data", v, v.is_finite(), "finite")?;
            let c = i % X::WIDTH / per_channel;
            sum[c] += v;
            squares[c] += v * v;
        }
        let n = (rows * per_channel) as f64;
        let mut mean = [T::ZERO; C];
        let mut std = [T::ONE; C];
        for c in 0..C {
            let m = sum[c] / n;
            let deviation = num_traits::Float::sqrt((squares[c] / n - m * m).max(0.0));
            mean[c] = T::of(m);
            // the deviation, unless it rounds to 0 in `T`
            if T::of(deviation) > T::ZERO {
                std[c] = T::of(deviation);
            }
        }
        Self::new(mean, std)
    }

    /// The mean of each channel.
    pub fn mean(&self) -> &[T; C] {
        &self.mean
    }

    /// The standard deviation of each channel.
    pub fn std(&self) -> &[T; C] {
        &self.std
    }

    /// y = (x − mean) / std over rows of `C` channels of `per_channel`
    /// values each.
    fn standardize(&self, per_channel: usize, x: &[T], y: &mut [T]) {
        for (i, (x, y)) in x
            .chunks_exact(per_channel)
            .zip(y.chunks_exact_mut(per_channel))
            .enumerate()
        {
            let (m, s) = (self.mean[i % C], self.std[i % C]);
            for (x, y) in x.iter().zip(y) {
                *y = (*x - m) / s;
            }
        }
    }

    /// dx = dy / std.
    fn gradient(&self, per_channel: usize, dy: &[T], dx: &mut [T]) {
        for (i, (dy, dx)) in dy
            .chunks_exact(per_channel)
            .zip(dx.chunks_exact_mut(per_channel))
            .enumerate()
        {
            let s = self.std[i % C];
            for (dy, dx) in dy.iter().zip(dx) {
                *dx = *dy / s;
            }
        }
    }
}

impl<T: Scalar, const C: usize> Default for Standardize<T, C> {
    /// Mean 0 and std 1: the identity, until loaded or fitted.
    fn default() -> Self {
        Standardize::frozen([T::ZERO; C], [T::ONE; C])
    }
}

impl<T: Scalar, const C: usize> Tensors for Standardize<T, C> {
    crate::tensors! {
        "mean": Buffer, [C] => mean;
        "std": Buffer, [C] => std;
    }
}

impl<U: Scalar, T: Scalar + crate::model::SameScalar<U>, const C: usize> Params<U> for Standardize<T, C> {}

/// The layer for one row type, whose channels are `PER_CHANNEL` values
/// apart.
macro_rules! standardize_rows {
    ([$($generics:tt)*] $row:ty, $per_channel:expr) => {
        impl<T: Scalar, const C: usize, $($generics)*> Layer<$row> for Standardize<T, C> {
            type Out = $row;
            type Scratch<R: Rows> = ();

            fn infer_with<R: Rows>(&self, x: &Batch<$row, R>, y: &mut Batch<$row, R>, _: &mut ()) {
                y.set_rows(x.nrows());
                self.standardize($per_channel, x.as_slice(), y.as_mut_slice());
            }
        }

        impl<T: Scalar, const C: usize, $($generics)*> Trainable<$row> for Standardize<T, C> {
            type Cache<R: Rows> = ();

            fn forward<R: Rows>(&mut self, x: &Batch<$row, R>, y: &mut Batch<$row, R>, _: &mut (), _: &mut Training) {
                self.infer(x, y)
            }

            fn backward<R: Rows>(
                &mut self,
                x: &Batch<$row, R>,
                _: &Batch<$row, R>,
                dy: &Batch<$row, R>,
                _: &mut (),
                dx: Option<&mut Batch<$row, R>>,
            ) {
                crate::expect_rows::<Self>("dy", x.nrows(), dy.nrows());
                let Some(dx) = dx else { return };
                dx.set_rows(x.nrows());
                self.gradient($per_channel, dy.as_slice(), dx.as_mut_slice());
            }
        }
    };
}

standardize_rows!([] [T; C], 1);
standardize_rows!([const H: usize, const W: usize] Image<T, C, H, W>, H * W);
