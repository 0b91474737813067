//! The layer model, one job per trait: a layer's [`Tensors`] (no word of
//! its rows), inference from rows to rows ([`Layer`]), the training pass and
//! the backward pass ([`Trainable`]), training in a float type ([`Params`]),
//! and a [`Network`]: layers ending in a [`Loss`]. Beside them: the kinds of
//! tensors ([`ParamKind`]), where a layer keeps them ([`Storage`]), the one
//! numbering of a net's layers ([`Path`]) and the [`Training`] context.

mod error;
mod layer;
mod loss;
mod network;
mod path;
mod storage;
mod tensor;
mod tensors;
mod trainable;
mod training;

pub use error::{HyperParameterError, InputError};
pub(crate) use layer::short_type_name;
pub use layer::{Layer, LayerInfo, expect_rows};
pub use loss::Loss;
pub use network::{Network, TrainableNetwork, Workspace, WorkspaceOf, check_finite};
pub use path::Path;
pub use storage::{DefaultStorage, Frozen, Inline, InlineMatrix, NoGrad, Storage, TrainStorage};
#[cfg(feature = "alloc")]
pub use storage::{Heap, HeapMatrix};
pub use tensor::{Param, ParamKind, ParamMut, Shape, Tensor, TensorData, TensorMut, Values, ValuesMut};
#[doc(hidden)]
pub use tensor::{no_grad, no_grad_mut, values_of, values_of_mut};
#[doc(hidden)]
pub use tensors::sequence_start;
pub use tensors::{Params, SameScalar, Tensors};
pub use trainable::Trainable;
pub use training::Training;
