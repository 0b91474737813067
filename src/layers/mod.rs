//! The layers: the book's chapter 5 ([`Affine`], [`Relu`], [`Sigmoid`],
//! [`SoftmaxWithLoss`]), chapter 6 ([`Dropout`], [`BatchNorm`]) and
//! chapter 7 ([`Conv2d`], [`MaxPool2d`]), and the [`Activation`] trait for
//! writing element-wise ones.

pub(crate) mod activation;
mod affine;
mod batch_norm;
pub mod conv;
mod dropout;
mod relu;
mod sigmoid;
mod softmax_with_loss;

pub use activation::Activation;
pub use affine::{Affine, AffineCache};
pub use batch_norm::{BatchNorm, BatchNormCache};
pub use conv::{Conv2d, ConvCache, ConvReluPool, ConvReluPoolCache, MaxPool2d, PoolCache};
pub use dropout::Dropout;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use softmax_with_loss::SoftmaxWithLoss;
