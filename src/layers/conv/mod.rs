//! The book's chapter 7: [`Conv2d`] and [`MaxPool2d`], with output sizes
//! computed by the compiler ([`sides`]), and [`ConvReluPool`], the two
//! with a ReLU between them run as one layer, one image at a time; and the
//! average poolings of TinyML nets, [`AvgPool2d`] and [`GlobalAvgPool`].

mod avg_pool2d;
mod conv2d;
mod conv_relu_pool;
mod max_pool2d;
pub mod sides;

pub use avg_pool2d::{AvgPool2d, GlobalAvgPool};
pub use conv_relu_pool::{ConvReluPool, ConvReluPoolCache};
pub use conv2d::{Conv2d, ConvCache};
pub use max_pool2d::{MaxPool2d, PoolCache};
