//! The book's functions (activations, softmax, cross-entropy) and weight
//! initialisers.

mod functions;
mod init;

pub use functions::{LOG_GUARD, cross_entropy_error, cross_entropy_row, relu, sigmoid, softmax, softmax_rows};
pub use init::Init;
