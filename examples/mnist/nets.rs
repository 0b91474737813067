//! The nets the runner trains, built in one place so `--evaluate` can
//! rebuild any of them to load saved parameters into. Only the input rows
//! are written down: every later size is computed by the compiler.

use rand::Rng;
use typenet::prelude::*;

/// A 28×28 grey-scale digit.
pub type Digit = Image<f32, 1, 28, 28>;

/// What the runner asks of a net: trained on `X` rows into 10 classes,
/// cloned into data-parallel replicas, saved and loaded.
pub trait Net<X: Row<Scalar = f32>>: TrainableNetwork<X, Out = [f32; 10]> + Clone + Send + Sync + 'static {}
impl<X: Row<Scalar = f32>, N: TrainableNetwork<X, Out = [f32; 10]> + Clone + Send + Sync + 'static> Net<X> for N {}

/// The book's two-layer net (chapter 4): 784 → `HIDDEN` (ReLU) → 10,
/// weights `init`.
pub fn two_layer<const HIDDEN: usize, G: Rng + ?Sized>(init: Init, rng: &mut G) -> impl Net<[f32; 784]> {
    Affine::<[f32; 784], HIDDEN>::init(init, rng)
        .then(Relu)
        .then(Affine::<_, 10>::init(init, rng))
        .then(SoftmaxWithLoss)
}

/// A deeper fully connected net: 784 → 100 (ReLU) → 200 (ReLU) → 10.
pub fn mlp_100_200<G: Rng + ?Sized>(init: Init, rng: &mut G) -> impl Net<[f32; 784]> {
    Affine::<[f32; 784], 100>::init(init, rng)
        .then(Relu)
        .then(Affine::<_, 200>::init(init, rng))
        .then(Relu)
        .then(Affine::<_, 10>::init(init, rng))
        .then(SoftmaxWithLoss)
}

/// The book's `SimpleConvNet` (chapter 7): 30 filters of 5×5, ReLU, 2×2
/// max pooling, 100 ReLU units, 10 classes. The first three run as one
/// `ConvReluPool`, image by image: the same net, and the same saved file,
/// as `Conv2d`, `Relu`, `MaxPool2d` chained, trained faster (README,
/// "Speed").
pub fn simple_convnet<G: Rng + ?Sized>(init: Init, rng: &mut G) -> impl Net<Digit> {
    Input::<Digit>::new()
        .then(ConvReluPool::new(
            Conv2d::<f32, 1, 30, 5>::init(init, rng), // 30 × 24 × 24
            MaxPool2d::<2>,                           // 30 × 12 × 12
        ))
        .then(Affine::<_, 100>::init(init, rng)) // 4,320 inputs
        .then(Relu)
        .then(Affine::<_, 10>::init(init, rng))
        .then(SoftmaxWithLoss)
}

/// The book's `DeepConvNet` (chapter 8): six 3×3 convolutions with ReLU in
/// three pairs of 16, 32 and 64 filters, each pair followed by 2×2 max
/// pooling; then 50 ReLU units, dropout, 10 classes, dropout. Padding 1
/// keeps each convolution's size except the fourth's, padded by 2 as the
/// book does (14 → 16), so the last pooling gives 64 × 4 × 4. The second
/// convolution of each pair runs with its ReLU and pooling as one
/// `ConvReluPool`. The training loss the runner prints stays near 1:
/// the training pass drops half of the output scores too, as the book's
/// net does; the accuracies are measured without dropout.
pub fn deep_convnet<G: Rng + ?Sized>(init: Init, rng: &mut G) -> impl Net<Digit> {
    Input::<Digit>::new()
        .then(Conv2d::<f32, 1, 16, 3, 1, 1>::init(init, rng)) // 16 × 28 × 28
        .then(Relu)
        .then(ConvReluPool::new(
            Conv2d::<f32, 16, 16, 3, 1, 1>::init(init, rng),
            MaxPool2d::<2>, // 16 × 14 × 14
        ))
        .then(Conv2d::<f32, 16, 32, 3, 1, 1>::init(init, rng))
        .then(Relu)
        .then(ConvReluPool::new(
            Conv2d::<f32, 32, 32, 3, 1, 2>::init(init, rng), // 32 × 16 × 16
            MaxPool2d::<2>,                                  // 32 × 8 × 8
        ))
        .then(Conv2d::<f32, 32, 64, 3, 1, 1>::init(init, rng))
        .then(Relu)
        .then(ConvReluPool::new(
            Conv2d::<f32, 64, 64, 3, 1, 1>::init(init, rng),
            MaxPool2d::<2>, // 64 × 4 × 4
        ))
        .then(Affine::<_, 50>::init(init, rng)) // 1,024 inputs
        .then(Relu)
        .then(Dropout::new(0.5))
        .then(Affine::<_, 10>::init(init, rng))
        .then(Dropout::new(0.5))
        .then(SoftmaxWithLoss)
}
