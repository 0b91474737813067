//! The book's `TwoLayerNet`: Affine → ReLU → Affine → SoftmaxWithLoss.

use rand::Rng;

use crate::{Affine, Chain, Init, Layer, Relu, Scalar, SoftmaxWithLoss};

/// The two-layer net of chapter 5, as a chain type: `IN` inputs, `HIDDEN`
/// ReLU units, `OUT` classes. Its book API (`predict`, `loss`, `accuracy`,
/// `gradient`, `numerical_gradient`) comes from [`Network`](crate::Network).
pub type TwoLayerNet<T, const IN: usize, const HIDDEN: usize, const OUT: usize> =
    Chain![Affine<[T; IN], HIDDEN>, Relu, Affine<[T; HIDDEN], OUT>, SoftmaxWithLoss<OUT>];

/// A [`TwoLayerNet`] with weights `weight_init_std · N(0, 1)` and zero
/// biases, as the book's constructor makes it.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut StdRng::seed_from_u64(7));
/// let x = Batch::<[f32; 784]>::zeros(3);
/// assert_eq!(net.predict(&x).unwrap().nrows(), 3);
/// ```
pub fn two_layer_net<T: Scalar, const IN: usize, const HIDDEN: usize, const OUT: usize, G: Rng + ?Sized>(
    weight_init_std: f64,
    rng: &mut G,
) -> TwoLayerNet<T, IN, HIDDEN, OUT> {
    let init = Init::Normal(weight_init_std);
    Affine::init(init, rng)
        .then(Relu)
        .then(Affine::init(init, rng))
        .then(SoftmaxWithLoss)
}
