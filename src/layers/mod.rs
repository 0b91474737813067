//! The layers of chapter 5: [`Affine`], [`Relu`], [`Sigmoid`] and
//! [`SoftmaxWithLoss`], plus the scalar nodes [`MulLayer`] and [`AddLayer`].

pub(crate) mod activation;
mod affine;
mod nodes;
mod relu;
mod sigmoid;
mod softmax_with_loss;

pub use activation::Activation;
pub use affine::Affine;
pub use nodes::{AddLayer, MulLayer};
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use softmax_with_loss::SoftmaxWithLoss;
