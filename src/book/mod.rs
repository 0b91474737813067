//! The book's own examples as library pieces: the scalar computational-graph
//! nodes of chapter 5 ([`MulLayer`], [`AddLayer`]) and its
//! [`TwoLayerNet`].

mod nodes;
mod two_layer_net;

pub use nodes::{AddLayer, MulLayer};
pub use two_layer_net::{TwoLayerNet, two_layer_net};
