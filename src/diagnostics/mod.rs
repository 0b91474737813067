//! Looking inside a net: the numerical gradient and the gradient check, and
//! the layer table of [`Layer::summary`](crate::Layer::summary).

mod gradient;
mod summary;

pub use gradient::{
    Gradient, GradientDiff, H, gradient_check, numerical_gradient, numerical_gradient_of_net, stored_gradients,
};
pub use summary::Summary;
