//! Neural networks whose shapes live in the type system.
//!
//! A layer names its input and output widths in its type (`Affine<f32, 784,
//! 50>`), layers join with [`Layer::then`] only when one's output rows are the
//! next one's input rows, and a chain ending in a loss is a [`Network`] with
//! the API of *Deep Learning from Scratch*, chapter 5: `predict`, `loss`,
//! `accuracy`, `gradient`. A mis-wired net does not compile:
//!
//! ```compile_fail
//! use typenet::prelude::*;
//! // error: layer `Affine<f32, 40, 10>` cannot follow a layer whose output rows are `[f32; 50]`
//! let net = Affine::<f32, 784, 50>::zeros().then(Relu).then(Affine::<f32, 40, 10>::zeros());
//! ```
//!
//! A correct one trains with no shape checks at run time:
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use typenet::prelude::*;
//!
//! type Net = Chain![Affine<f64, 2, 16>, Relu, Affine<f64, 16, 2>, SoftmaxWithLoss<2>];
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
//!     net.gradient(&x, &t);
//!     sgd.step(&mut net);
//! }
//! assert_eq!(net.accuracy(&x, &t)?, 1.0);
//! assert_eq!(net.classify(&[1.0, 0.0])?, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where things are
//! - [`Layer`] (what a layer is), [`Chain`](struct@Chain) and [`Chain!`](macro@Chain) (the typed chain),
//!   [`Network`] and [`Loss`] (a chain ending in a loss);
//! - the layers: [`Affine`], the [`Activation`]s [`Relu`] and [`Sigmoid`],
//!   [`SoftmaxWithLoss`], and the scalar nodes [`MulLayer`], [`AddLayer`];
//! - data in flight: [`Batch`] of rows `[T; N]` with [`Dyn`] or [`Const`]
//!   row counts, [`Labels`];
//! - [`numerical_gradient`] and [`gradient_check`];
//! - [`optim`]: the [`Optimizer`] trait, [`Sgd`] and the other optimizers of
//!   chapter 6, weight decay and clipping; [`Init`] for initial weights;
//! - `data`: the IDX reader, data sets and batch sampling; `train`: the
//!   trainer and data-parallel replicas; `io`: safetensors and Rust-source
//!   export (all three with `std`); [`set_threads`] for two or more cores.
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

mod batch;
mod chain;
mod functions;
mod init;
mod kernels;
mod layer;
mod layers;
mod loss;
mod network;
pub mod optim;
#[cfg(feature = "std")]
mod parallel;
mod row;
mod scalar;
mod storage;
#[cfg(feature = "alloc")]
mod summary;
mod target;

#[cfg(feature = "alloc")]
mod gradient;
mod two_layer_net;

#[cfg(feature = "std")]
pub mod data;
#[cfg(feature = "std")]
pub mod io;
#[cfg(feature = "std")]
pub mod train;

pub use batch::{Batch, Const, Dyn, Rows};
pub use chain::{Chain, ChainCache};
pub use functions::{LOG_GUARD, cross_entropy_error, cross_entropy_row, relu, sigmoid, softmax, softmax_rows};
pub use init::Init;
pub use layer::{Layer, LayerInfo, Param, ParamMut};
pub use layers::{Activation, AddLayer, Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss};
pub use loss::Loss;
pub use network::{NetWorkspace, Network, NonFiniteInput, check_finite};
#[cfg(feature = "alloc")]
pub use optim::{AdaGrad, Adam, AnyOptimizer, ClipNorm, Momentum, Nesterov, RmsProp, WeightDecay};
pub use optim::{Optimizer, Sgd};
#[cfg(feature = "std")]
pub use parallel::{set_threads, threads};
pub use row::{Row, argmax};
pub use scalar::Scalar;
pub use storage::{DefaultStorage, Inline, ParamMatrix, Storage};
#[cfg(feature = "alloc")]
pub use storage::{Heap, HeapMatrix};
#[cfg(feature = "alloc")]
pub use summary::Summary;
pub use target::{LabelError, Labels, Target, TargetRow};
pub use two_layer_net::{TwoLayerNet, two_layer_net};

#[cfg(feature = "alloc")]
pub use gradient::{
    Gradient, GradientDiff, H, gradient_check, numerical_gradient, numerical_gradient_of_net, stored_gradients,
};

#[doc(hidden)]
pub use kernels::Kernels;
#[doc(hidden)]
pub use layers::activation::support as activation;

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "gzip"))]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

/// The names most programs need: `use typenet::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Affine, Batch, Chain, Const, Dyn, Init, Inline, Labels, Layer, Loss, Network, Optimizer, Relu, Row, Rows,
        Scalar, Sgd, Sigmoid, SoftmaxWithLoss, TwoLayerNet, two_layer_net,
    };
}
