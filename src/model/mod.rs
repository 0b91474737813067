//! The layer model: what a [`Layer`] is (inference, training pass,
//! backward pass, tensors), what kinds of tensors it holds ([`ParamKind`]),
//! where it keeps them ([`Storage`]), the [`Training`] context, and a
//! [`Network`]: layers ending in a [`Loss`].

mod error;
mod layer;
mod loss;
mod network;
mod param;
mod storage;
mod training;

pub use error::{HyperParameterError, InputError};
pub use layer::{Layer, LayerInfo, expect_rows};
pub use loss::Loss;
pub use network::{Network, Workspace, WorkspaceOf, check_finite};
pub use param::{Param, ParamKind, ParamMut, Shape};
pub use storage::{DefaultStorage, Inline, InlineMatrix, ParamMatrix, Storage};
#[cfg(feature = "alloc")]
pub use storage::{Heap, HeapMatrix};
pub use training::Training;
