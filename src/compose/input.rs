//! Naming a net's input rows at its start, for layers that fit many.

use core::marker::PhantomData;

use super::fitted::Fitted;

use crate::{
    Batch, Const, Layer, LayerInfo, Params, Path, Row, Rows, Scalar, Tensor, TensorMut, Tensors, Trainable, Training,
};

/// The first layer of a net, `L`, fixed to input rows `X`.
///
/// A convolution or an activation accepts images of any size, so a chain
/// that starts with one does not know its input and cannot work out what
/// its layers output. Starting from `Input::<X>::new()` fixes it; every
/// later size follows:
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let net = Input::<Image<f32, 1, 28, 28>>::new()
///     .then(Conv2d::<f32, 1, 8, 5>::init(Init::He, &mut rng)) // 8 × 24 × 24
///     .then(Relu)
///     .then(MaxPool2d::<2>)                                   // 8 × 12 × 12
///     .then(Affine::<_, 10>::init(Init::He, &mut rng))       // 1152 inputs, inferred
///     .then(SoftmaxWithLoss);
/// assert_eq!(net.summary().layers[3].input, &[8, 12, 12]);
/// ```
///
/// It adds nothing at run time: `Input<X, L>` is `L`.
pub struct Input<X, L = ()> {
    layer: L,
    rows: PhantomData<fn(X) -> X>,
}

impl<X: Row> Input<X> {
    /// The start of a net taking rows `X`.
    pub const fn new() -> Self {
        Input {
            layer: (),
            rows: PhantomData,
        }
    }

    /// `layer` as the first layer, taking rows `X`: `Input<X, L>`, written
    /// as a [`Fitted`] one.
    pub fn then<L: Layer<X>>(self, layer: L) -> Fitted<L::Scratch<Const<1>>, Input<X, L>> {
        Input::of(layer)
    }
}

impl<X: Row, L: Default> Default for Input<X, L> {
    /// The start of a net (`L = ()`), or `L`'s default as its first layer:
    /// a net of layers that are set after they are built (an int8 net
    /// loaded from a `.tflite` file) is made with `Default::default()`.
    fn default() -> Self {
        Input {
            layer: L::default(),
            rows: PhantomData,
        }
    }
}

impl<X: Row, L: Layer<X>> Input<X, L> {
    /// `layer` taking rows `X`, in a constant expression (a `static` net).
    pub const fn of(layer: L) -> Self {
        Input {
            layer,
            rows: PhantomData,
        }
    }

    /// The layer.
    pub fn layer(&self) -> &L {
        &self.layer
    }

    /// The layer, mutably.
    pub fn layer_mut(&mut self) -> &mut L {
        &mut self.layer
    }
}

impl<X, L: Clone> Clone for Input<X, L> {
    fn clone(&self) -> Self {
        Input {
            layer: self.layer.clone(),
            rows: PhantomData,
        }
    }
}

impl<X, L: PartialEq> PartialEq for Input<X, L> {
    fn eq(&self, other: &Self) -> bool {
        self.layer == other.layer
    }
}

impl<X, L: core::fmt::Debug> core::fmt::Debug for Input<X, L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Input").field(&self.layer).finish()
    }
}

impl<X, L: Tensors> Tensors for Input<X, L> {
    const SEQUENCE: bool = L::SEQUENCE;

    #[inline]
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V) {
        self.layer.visit(at, f)
    }

    #[inline]
    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V) {
        self.layer.visit_mut(at, f)
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        self.layer.layers(at, f)
    }
}

impl<T: Scalar, X, L: Params<T>> Params<T> for Input<X, L> {}

impl<X: Row, L: Layer<X>> Layer<X> for Input<X, L> {
    type Out = L::Out;
    type Scratch<R: Rows> = L::Scratch<R>;

    #[inline]
    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<L::Out, R>, scratch: &mut L::Scratch<R>) {
        self.layer.infer_with(x, y, scratch)
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        self.layer.describe(at, f)
    }
}

impl<X: Row<Scalar: Scalar>, L: Trainable<X>> Trainable<X> for Input<X, L> {
    type Cache<R: Rows> = L::Cache<R>;

    #[inline]
    fn forward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &mut Batch<L::Out, R>,
        cache: &mut L::Cache<R>,
        training: &mut Training,
    ) {
        self.layer.forward(x, y, cache, training)
    }

    #[inline]
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<X, R>,
        y: &Batch<L::Out, R>,
        dy: &Batch<L::Out, R>,
        cache: &mut L::Cache<R>,
        dx: Option<&mut Batch<X, R>>,
    ) {
        self.layer.backward(x, y, dy, cache, dx)
    }
}

impl<X, L> core::ops::Deref for Input<X, L> {
    type Target = L;
    fn deref(&self) -> &L {
        &self.layer
    }
}

impl<X, L> core::ops::DerefMut for Input<X, L> {
    fn deref_mut(&mut self) -> &mut L {
        &mut self.layer
    }
}
