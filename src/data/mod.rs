//! Data on disk and in memory: the IDX reader, labelled data sets, and
//! mini-batch sampling.

mod dataset;
mod error;
pub mod idx;
mod sampling;

pub use dataset::{Dataset, IdxPair, MnistFiles, Pixels};
pub use error::{DataError, DataErrorKind};
pub use idx::{IdxImages, parse_images, parse_labels, read_images, read_labels};
pub use sampling::{BatchSampler, Sampling};
