//! Neural networks whose shapes live in the type system.
//!
//! A layer names its input and output rows in its type (`Affine<[f32; 784],
//! 50>`, `Conv2d<f32, 1, 30, 5>`), layers join with [`Layer::then`] only when
//! one's output rows are the next one's input rows, a convolution's output
//! size is computed by the compiler, and a chain ending in a loss is a
//! [`Network`] with the API of *Deep Learning from Scratch*: `predict`,
//! `loss`, `accuracy`, `gradient`. A mis-wired net does not compile:
//!
//! ```compile_fail
//! use typenet::prelude::*;
//! // error: layer `Affine<[f32; 40], 10>` cannot follow a layer whose output rows are `[f32; 50]`
//! let net = Affine::<[f32; 784], 50>::zeros().then(Relu).then(Affine::<[f32; 40], 10>::zeros());
//! ```
//!
//! A correct one trains with no shape checks at run time:
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use typenet::prelude::*;
//!
//! type Net = Chain![Affine<[f64; 2], 16>, Relu, Affine<[f64; 16], 2>, SoftmaxWithLoss<2>];
//!
//! let mut rng = StdRng::seed_from_u64(1);
//! let mut net: Net = Affine::init(Init::He, &mut rng)
//!     .then(Relu)
//!     .then(Affine::init(Init::He, &mut rng))
//!     .then(SoftmaxWithLoss);
//!
//! // XOR
//! let x = Batch::from_rows(vec![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]);
//! let t = Labels::<2>::from_slice(&[0, 1, 1, 0])?;
//! let mut sgd = Sgd::new(0.5);
//! for _ in 0..500 {
//!     net.gradient(&x, &t)?;
//!     sgd.step(&mut net)?;
//! }
//! assert_eq!(net.accuracy(&x, &t)?, 1.0);
//! assert_eq!(net.classify(&[1.0, 0.0])?, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where things are
//! - [`batch`]: what flows through a net: [`Element`]s (float [`Scalar`]s,
//!   or a quantized net's integers), [`Row`]s (dense rows, [`Image`]s,
//!   [`Pair`]s), [`Batch`]es with [`Dyn`] or [`Const`] row counts,
//!   [`Labels`] and other [`Target`]s;
//! - [`model`]: the layer model, one job per trait: [`Tensors`] (what a
//!   layer holds), [`Layer`] (inference), [`Trainable`] (training pass and
//!   backward pass), [`Params`] (training in a float type), [`Network`] and
//!   [`TrainableNetwork`] (a chain ending in a [`Loss`]); [`ParamKind`],
//!   [`Path`] (the one numbering of a net's layers), [`Training`],
//!   parameter [`Storage`] ([`Frozen`] for nets that only infer);
//! - [`compose`]: [`Chain`](struct@Chain), [`Chain!`](macro@Chain) and
//!   [`Net!`] (a net's type, sizes computed), [`chain!`], [`Input`],
//!   [`Residual`], [`Sum`], [`Concat`];
//! - [`layers`]: [`Affine`], [`Relu`], [`Sigmoid`], [`SoftmaxWithLoss`],
//!   [`Dropout`], [`BatchNorm`], [`Conv2d`], [`MaxPool2d`], [`ConvReluPool`]
//!   (a convolution, a ReLU and a max-pool as one faster layer),
//!   [`AvgPool2d`], [`GlobalAvgPool`], [`Tanh`], [`LeakyRelu`], [`Relu6`],
//!   [`Standardize`], and [`Activation`] for writing element-wise ones;
//! - [`math`]: the book's functions and the [`Init`]ialisers;
//! - [`optim`]: the [`Optimizer`] trait, [`Sgd`] and the other optimizers of
//!   chapter 6, weight decay and clipping;
//! - [`diagnostics`]: [`numerical_gradient`], [`gradient_check`], [`Summary`];
//! - [`book`]: [`TwoLayerNet`] and the scalar nodes [`MulLayer`], [`AddLayer`];
//! - [`quant`]: TensorFlow Lite's int8 arithmetic, integer only;
//! - with `std`: [`data`] (the IDX reader, data sets, batch sampling),
//!   [`train`] (the trainer and data-parallel training) and [`io`]
//!   (safetensors, PyTorch weights, `.tflite` files, Rust-source export).
//!
//! # Features
//! - `std` (default): files, data sets, the trainer, threads. Implies `alloc`.
//! - `alloc`: heap-backed weights ([`Heap`]) and run-time batch sizes ([`Dyn`]).
//! - `gzip` (default): reading `.gz` IDX files.
//! - `libm`: float math for `no_std` targets. Without `std` and `alloc`, a net
//!   of [`Inline`] layers on [`Const`] batches runs with no heap at all.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod batch;
pub mod book;
pub mod compose;
#[cfg(feature = "alloc")]
pub mod diagnostics;
pub mod int8;
mod kernels;
pub mod layers;
pub mod math;
pub mod model;
pub mod ops;
pub mod optim;
pub mod quant;

#[cfg(feature = "std")]
pub mod data;
#[cfg(feature = "std")]
pub mod io;
#[cfg(feature = "std")]
pub mod train;

pub use batch::{
    Batch, Const, Dtype, Dyn, Element, Flat, Image, LabelError, Labels, Pair, Row, Rows, Scalar, Target, TargetRow,
    argmax, as_row, as_row_mut,
};
pub use book::{AddLayer, MulLayer, TwoLayerNet, two_layer_net};
pub use compose::{Chain, Concat, Fitted, Input, Residual, Sum};
#[cfg(feature = "alloc")]
pub use diagnostics::{
    Gradient, GradientDiff, Summary, gradient_check, numerical_gradient, numerical_gradient_of_net, stored_gradients,
};
pub use layers::{
    Activation, Affine, AvgPool2d, BatchNorm, Conv2d, ConvReluPool, Dropout, GlobalAvgPool, LeakyRelu, MaxPool2d, Relu,
    Relu6, Sigmoid, SoftmaxWithLoss, Standardize, Tanh,
};
pub use math::{Init, cross_entropy_error, relu, sigmoid, softmax, softmax_rows};
#[cfg(feature = "alloc")]
pub use model::Heap;
pub use model::{
    DefaultStorage, Frozen, HyperParameterError, Inline, InputError, Layer, LayerInfo, Loss, Network, Param, ParamKind,
    ParamMut, Params, Path, Shape, Storage, Tensor, TensorData, TensorMut, Tensors, TrainStorage, Trainable,
    TrainableNetwork, Training, Values, ValuesMut, Workspace, WorkspaceOf, expect_rows,
};
#[cfg(feature = "alloc")]
pub use optim::{AdaGrad, Adam, AnyOptimizer, ClipNorm, Momentum, Nesterov, RmsProp, WeightDecay};
pub use optim::{NonFinite, Optimizer, Sgd};

#[doc(hidden)]
pub use layers::activation::support as activation;

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "gzip"))]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

/// The names most programs need: `use typenet::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Affine, AvgPool2d, Batch, BatchNorm, Chain, Concat, Const, Conv2d, ConvReluPool, Dropout, Dyn, Frozen,
        GlobalAvgPool, Image, Init, Inline, Input, Labels, Layer, LeakyRelu, Loss, MaxPool2d, Network, Optimizer, Pair,
        Params, Relu, Relu6, Residual, Row, Rows, Scalar, Sgd, Sigmoid, SoftmaxWithLoss, Sum, Tanh, Tensors, Trainable,
        TrainableNetwork, Training, TwoLayerNet, two_layer_net,
    };
}
