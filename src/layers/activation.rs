//! Element-wise activations: layers that apply one function to every value,
//! for rows of any width.

#[cfg(doc)]
use crate::Layer;
use crate::{Batch, LayerInfo, Rows, Scalar};

/// A function applied to every element of a row, and its derivative.
/// [`activation_layer!`](crate::activation_layer!) makes it a [`Layer`] for
/// rows `[T; N]` of any width `N`, so it is written without one:
/// `Affine<f32, 784, 50>`, then `Relu`, then `Affine<f32, 50, 10>`.
///
/// ```
/// use typenet::prelude::*;
/// use typenet::Activation;
///
/// /// tanh, with its derivative 1 − y² taken from the output
/// #[derive(Clone, Copy, Debug, Default)]
/// struct Tanh;
///
/// impl Activation for Tanh {
///     const NAME: &'static str = "Tanh";
///     fn activate<T: Scalar>(x: T) -> T {
///         x.tanh()
///     }
///     fn derivative<T: Scalar>(_x: T, y: T, dy: T) -> T {
///         dy * (T::ONE - y * y)
///     }
/// }
///
/// typenet::activation_layer!(Tanh);
///
/// let net = Affine::<f64, 2, 3>::zeros().then(Tanh).then(Affine::<f64, 3, 2>::zeros()).then(SoftmaxWithLoss);
/// assert_eq!(net.summary().layers[1].kind, "Tanh");
/// ```
pub trait Activation: Copy + Default + Send + Sync + 'static {
    /// The name a summary shows.
    const NAME: &'static str;

    /// y = f(x).
    fn activate<T: Scalar>(x: T) -> T;

    /// dx, from the input `x`, the output `y = f(x)` and the gradient `dy`.
    fn derivative<T: Scalar>(x: T, y: T, dy: T) -> T;
}

/// Makes an [`Activation`] a [`Layer`] for rows `[T; N]` of any scalar and
/// width. Each activation gets its own concrete impl, rather than one
/// blanket impl over all activations, so that a mis-wired chain's error
/// speaks only of layers and widths.
#[macro_export]
macro_rules! activation_layer {
    ($activation:ty) => {
        impl<T: $crate::Scalar, const N: usize> $crate::Layer<[T; N]> for $activation {
            type Out = [T; N];
            type Cache<R: $crate::Rows> = ();

            #[inline]
            fn forward<R: $crate::Rows>(
                &self,
                x: &$crate::Batch<[T; N], R>,
                y: &mut $crate::Batch<[T; N], R>,
                _: &mut (),
            ) {
                $crate::activation::forward::<$activation, T, N, R>(x, y)
            }

            #[inline]
            fn backward<R: $crate::Rows>(
                &mut self,
                x: &$crate::Batch<[T; N], R>,
                y: &$crate::Batch<[T; N], R>,
                dy: &$crate::Batch<[T; N], R>,
                _: &mut (),
                dx: Option<&mut $crate::Batch<[T; N], R>>,
            ) {
                $crate::activation::backward::<$activation, T, N, R>(x, y, dy, dx)
            }

            fn describe<F: FnMut($crate::LayerInfo)>(&self, first: usize, f: &mut F) {
                f($crate::activation::info::<$activation>(first, N))
            }
        }
    };
}

/// The bodies [`activation_layer!`] expands to.
#[doc(hidden)]
pub mod support {
    use super::*;

    #[inline(always)]
    pub fn forward<A: Activation, T: Scalar, const N: usize, R: Rows>(x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>) {
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = A::activate(x);
        }
    }

    #[inline(always)]
    pub fn backward<A: Activation, T: Scalar, const N: usize, R: Rows>(
        x: &Batch<[T; N], R>,
        y: &Batch<[T; N], R>,
        dy: &Batch<[T; N], R>,
        dx: Option<&mut Batch<[T; N], R>>,
    ) {
        if let Some(dx) = dx {
            let inputs = x.as_slice().iter().zip(y.as_slice()).zip(dy.as_slice());
            for (dx, ((&x, &y), &dy)) in dx.as_mut_slice().iter_mut().zip(inputs) {
                *dx = A::derivative(x, y, dy);
            }
        }
    }

    pub fn info<A: Activation>(index: usize, width: usize) -> LayerInfo {
        LayerInfo {
            index,
            kind: A::NAME,
            inputs: width,
            outputs: width,
            params: 0,
        }
    }
}
