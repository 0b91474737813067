//! The layers: the book's chapter 5 ([`Affine`], [`Relu`], [`Sigmoid`],
//! [`SoftmaxWithLoss`]), chapter 6 ([`Dropout`], [`BatchNorm`]) and
//! chapter 7 ([`Conv2d`], [`MaxPool2d`]); the activations PyTorch and Keras
//! users reach for besides ([`Tanh`], [`LeakyRelu`], [`Relu6`]); input
//! standardisation that saves with the net ([`Standardize`]); and the
//! [`Activation`] trait for writing element-wise ones.

pub(crate) mod activation;
mod affine;
mod batch_norm;
pub mod conv;
mod dropout;
mod leaky_relu;
mod relu;
mod relu6;
mod sigmoid;
mod softmax_with_loss;
mod standardize;
mod tanh;

pub use activation::Activation;
pub use affine::{Affine, AffineCache};
pub use batch_norm::{BatchNorm, BatchNormCache};
pub use conv::{AvgPool2d, Conv2d, ConvCache, ConvReluPool, ConvReluPoolCache, GlobalAvgPool, MaxPool2d, PoolCache};
pub use dropout::Dropout;
pub use leaky_relu::LeakyRelu;
pub use relu::Relu;
pub use relu6::Relu6;
pub use sigmoid::Sigmoid;
pub use softmax_with_loss::SoftmaxWithLoss;
pub use standardize::Standardize;
pub use tanh::Tanh;
