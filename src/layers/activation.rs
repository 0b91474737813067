//! Element-wise activations: layers that apply one function to every value,
//! for rows of any shape.

#[cfg(doc)]
use crate::Layer;
use crate::{Batch, LayerInfo, Row, Rows, Scalar};

/// A function applied to every element of a row, and its derivative.
/// [`activation_layer!`](crate::activation_layer!) makes it a [`Layer`] for
/// rows of any shape (dense rows, images), so it is written without one:
/// `Affine<[f32; 784], 50>`, then `Relu`, then `Affine<[f32; 50], 10>`.
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
/// let net = Affine::<[f64; 2], 3>::zeros().then(Tanh).then(Affine::<[f64; 3], 2>::zeros()).then(SoftmaxWithLoss);
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

/// Makes an [`Activation`] a [`Layer`] for rows of any shape. Each
/// activation gets its own impl, rather than one blanket impl over all
/// activations, so that a mis-wired chain's error speaks only of layers and
/// shapes.
#[macro_export]
macro_rules! activation_layer {
    ($activation:ty) => {
        impl<X: $crate::Row> $crate::Layer<X> for $activation {
            type Out = X;
            type Cache<R: $crate::Rows> = ();

            #[inline]
            fn infer<R: $crate::Rows>(&self, x: &$crate::Batch<X, R>, y: &mut $crate::Batch<X, R>) {
                $crate::activation::forward::<$activation, X, R>(x, y)
            }

            #[inline]
            fn forward<R: $crate::Rows>(
                &mut self,
                x: &$crate::Batch<X, R>,
                y: &mut $crate::Batch<X, R>,
                _: &mut (),
                _: &mut $crate::Training,
            ) {
                $crate::activation::forward::<$activation, X, R>(x, y)
            }

            #[inline]
            fn backward<R: $crate::Rows>(
                &mut self,
                x: &$crate::Batch<X, R>,
                y: &$crate::Batch<X, R>,
                dy: &$crate::Batch<X, R>,
                _: &mut (),
                dx: Option<&mut $crate::Batch<X, R>>,
            ) {
                $crate::activation::backward::<$activation, X, R>(x, y, dy, dx)
            }

            fn visit_params<V: FnMut($crate::Param<'_, X::Scalar>) + ?Sized>(&self, _: usize, _: &mut V) {}

            fn visit_params_mut<V: FnMut($crate::ParamMut<'_, X::Scalar>) + ?Sized>(&mut self, _: usize, _: &mut V) {}

            fn describe(&self, layer: usize, depth: usize, f: &mut dyn FnMut($crate::LayerInfo)) {
                f($crate::activation::info::<$activation, X>(layer, depth))
            }
        }
    };
}

/// The bodies [`activation_layer!`] expands to.
#[doc(hidden)]
pub mod support {
    use super::*;

    #[inline(always)]
    pub fn forward<A: Activation, X: Row, R: Rows>(x: &Batch<X, R>, y: &mut Batch<X, R>) {
        y.set_rows(x.nrows());
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = A::activate(x);
        }
    }

    #[inline(always)]
    pub fn backward<A: Activation, X: Row, R: Rows>(
        x: &Batch<X, R>,
        y: &Batch<X, R>,
        dy: &Batch<X, R>,
        dx: Option<&mut Batch<X, R>>,
    ) {
        crate::expect_rows::<A>("dy", x.nrows(), dy.nrows());
        crate::expect_rows::<A>("y", x.nrows(), y.nrows());
        if let Some(dx) = dx {
            dx.set_rows(x.nrows());
            let inputs = x.as_slice().iter().zip(y.as_slice()).zip(dy.as_slice());
            for (dx, ((&x, &y), &dy)) in dx.as_mut_slice().iter_mut().zip(inputs) {
                *dx = A::derivative(x, y, dy);
            }
        }
    }

    pub fn info<A: Activation, X: Row>(index: usize, depth: usize) -> LayerInfo {
        LayerInfo {
            index,
            depth,
            kind: A::NAME,
            input: X::DIMS,
            output: X::DIMS,
            params: 0,
            buffers: 0,
        }
    }
}
