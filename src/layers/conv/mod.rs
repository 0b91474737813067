//! The book's chapter 7: [`Conv2d`] and [`MaxPool2d`], with output sizes
//! computed by the compiler ([`sides`]).

mod conv2d;
mod max_pool2d;
pub mod sides;

pub use conv2d::{Conv2d, ConvCache};
pub use max_pool2d::{MaxPool2d, PoolCache};
