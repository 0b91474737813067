//! The rectified linear unit, for rows of any width.

use crate::{Batch, Layer, LayerInfo, Rows, Scalar, relu};

/// y = max(x, 0) element-wise; backward passes dy where x > 0 and blocks it
/// where x ≤ 0 (the book's mask). Fits any width, so it is written without
/// one: `Affine<f32, 784, 50>` then `Relu` then `Affine<f32, 50, 10>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl<T: Scalar, const N: usize> Layer<[T; N]> for Relu {
    type Out = [T; N];
    type Cache<R: Rows> = ();

    #[inline]
    fn forward<R: Rows>(&self, x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>, _: &mut ()) {
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = relu(x);
        }
    }

    #[inline]
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<[T; N], R>,
        _: &Batch<[T; N], R>,
        dy: &Batch<[T; N], R>,
        _: &mut (),
        dx: Option<&mut Batch<[T; N], R>>,
    ) {
        if let Some(dx) = dx {
            let pairs = x.as_slice().iter().zip(dy.as_slice());
            for (dx, (&x, &dy)) in dx.as_mut_slice().iter_mut().zip(pairs) {
                *dx = if x <= T::ZERO { T::ZERO } else { dy };
            }
        }
    }

    fn describe<F: FnMut(LayerInfo)>(&self, first: usize, f: &mut F) {
        f(LayerInfo {
            index: first,
            kind: "Relu",
            inputs: N,
            outputs: N,
            params: 0,
        });
    }
}
