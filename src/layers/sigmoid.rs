//! The logistic activation, for rows of any width.

use crate::{Batch, Layer, LayerInfo, Rows, Scalar, sigmoid};

/// y = 1 / (1 + e^-x) element-wise; backward dx = dy·y·(1 − y), from the
/// output it produced (no second `exp`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl<T: Scalar, const N: usize> Layer<[T; N]> for Sigmoid {
    type Out = [T; N];
    type Cache<R: Rows> = ();

    #[inline]
    fn forward<R: Rows>(&self, x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>, _: &mut ()) {
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = sigmoid(x);
        }
    }

    #[inline]
    fn backward<R: Rows>(
        &mut self,
        _: &Batch<[T; N], R>,
        y: &Batch<[T; N], R>,
        dy: &Batch<[T; N], R>,
        _: &mut (),
        dx: Option<&mut Batch<[T; N], R>>,
    ) {
        if let Some(dx) = dx {
            let pairs = y.as_slice().iter().zip(dy.as_slice());
            for (dx, (&y, &dy)) in dx.as_mut_slice().iter_mut().zip(pairs) {
                *dx = dy * y * (T::ONE - y);
            }
        }
    }

    fn describe<F: FnMut(LayerInfo)>(&self, first: usize, f: &mut F) {
        f(LayerInfo {
            index: first,
            kind: "Sigmoid",
            inputs: N,
            outputs: N,
            params: 0,
        });
    }
}
