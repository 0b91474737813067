//! Element-wise activations: layers that apply one function to every value,
//! for rows of any shape.

#[cfg(doc)]
use crate::Layer;
use crate::{Batch, LayerInfo, Path, Row, Rows, Scalar};

/// A function applied to every element of a row, and its derivative.
/// [`activation_layer!`](crate::activation_layer!) makes it a [`Layer`] for
/// rows of any shape (dense rows, images), so it is written without one:
/// `Affine<[f32; 784], 50>`, then `Relu`, then `Affine<[f32; 50], 10>`. The
/// function may read the activation's own values (a slope, a ceiling):
///
/// ```
/// use typenet::prelude::*;
/// use typenet::Activation;
///
/// /// y = x for x > 0, else e·x: a leak set when the net is built
/// #[derive(Clone, Copy, Debug)]
/// struct Leaky {
///     slope: f64,
/// }
///
/// impl Activation for Leaky {
///     const NAME: &'static str = "Leaky";
///     fn activate<T: Scalar>(&self, x: T) -> T {
///         if x > T::ZERO { x } else { x * T::of(self.slope) }
///     }
///     fn derivative<T: Scalar>(&self, x: T, _y: T, dy: T) -> T {
///         if x > T::ZERO { dy } else { dy * T::of(self.slope) }
///     }
/// }
///
/// typenet::activation_layer!(Leaky);
///
/// let net = Affine::<[f64; 2], 3>::zeros().then(Leaky { slope: 0.1 }).then(Affine::<[f64; 3], 2>::zeros()).then(SoftmaxWithLoss);
/// assert_eq!(net.summary().layers[1].kind, "Leaky");
/// ```
pub trait Activation: Copy + Send + Sync + 'static {
    /// The name a summary shows.
    const NAME: &'static str;

    /// y = f(x).
    fn activate<T: Scalar>(&self, x: T) -> T;

    /// dx, from the input `x`, the output `y = f(x)` and the gradient `dy`.
    fn derivative<T: Scalar>(&self, x: T, y: T, dy: T) -> T;
}

/// Makes an [`Activation`] a [`Layer`] (and a trainable one, with no
/// tensors) for rows of any shape. Each activation gets its own impls,
/// rather than one blanket impl over all activations, so that a mis-wired
/// chain's error speaks only of layers and shapes.
#[macro_export]
macro_rules! activation_layer {
    ($activation:ty) => {
        impl $crate::Tensors for $activation {
            $crate::tensors! {}

            fn layers(&self, at: $crate::Path, f: &mut dyn FnMut($crate::Path, &'static str)) {
                f(at, <$activation as $crate::Activation>::NAME)
            }
        }

        impl<T: $crate::Scalar> $crate::Params<T> for $activation {}

        impl<X: $crate::Row<Scalar: $crate::Scalar>> $crate::Layer<X> for $activation {
            type Out = X;
            type Scratch<R: $crate::Rows> = ();

            #[inline]
            fn infer_with<R: $crate::Rows>(&self, x: &$crate::Batch<X, R>, y: &mut $crate::Batch<X, R>, _: &mut ()) {
                $crate::activation::forward::<$activation, X, R>(self, x, y)
            }

            fn describe(&self, at: $crate::Path, f: &mut dyn FnMut($crate::LayerInfo)) {
                f($crate::activation::info::<$activation, X>(at))
            }
        }

        impl<X: $crate::Row<Scalar: $crate::Scalar>> $crate::Trainable<X> for $activation {
            type Cache<R: $crate::Rows> = ();

            #[inline]
            fn forward<R: $crate::Rows>(
                &mut self,
                x: &$crate::Batch<X, R>,
                y: &mut $crate::Batch<X, R>,
                _: &mut (),
                _: &mut $crate::Training,
            ) {
                $crate::activation::forward::<$activation, X, R>(self, x, y)
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
                $crate::activation::backward::<$activation, X, R>(self, x, y, dy, dx)
            }
        }
    };
}

/// The bodies [`activation_layer!`] expands to.
#[doc(hidden)]
pub mod support {
    use super::*;

    #[inline(always)]
    pub fn forward<A: Activation, X: Row<Scalar: Scalar>, R: Rows>(a: &A, x: &Batch<X, R>, y: &mut Batch<X, R>) {
        y.set_rows(x.nrows());
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = a.activate(x);
        }
    }

    #[inline(always)]
    pub fn backward<A: Activation, X: Row<Scalar: Scalar>, R: Rows>(
        a: &A,
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
                *dx = a.derivative(x, y, dy);
            }
        }
    }

    pub fn info<A: Activation, X: Row>(at: Path) -> LayerInfo {
        LayerInfo {
            path: at,
            kind: A::NAME,
            input: X::DIMS,
            output: X::DIMS,
            params: 0,
            buffers: 0,
        }
    }
}
