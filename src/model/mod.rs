//! The layer model, one job per trait: a layer's [`Tensors`] (no word of
//! its rows), inference from rows to rows ([`Layer`]), the training pass and
//! the backward pass ([`Trainable`]), training in a float type ([`Params`]),
//! and a [`Network`]: layers ending in a [`Loss`]. Beside them: the kinds of
//! tensors ([`ParamKind`]), where a layer keeps them ([`Storage`]), the one
//! numbering of a net's layers ([`Path`]) and the [`Training`] context.
//!
//! | trait | the job | who asks for it |
//! | --- | --- | --- |
//! | [`Tensors`] | the layer's tensors: name, kind, shape, values, gradient | saving, loading, baking, summaries, [`initialize`](Tensors::initialize) |
//! | [`Layer<In>`](Layer) | rows `In` to rows `Out`, in inference | [`then`](Layer::then), chains and blocks, [`Network`] |
//! | [`Trainable<In>`](Trainable) | the training pass and the backward pass | [`TrainableNetwork`], the gradient check |
//! | [`Params<T>`](Params) | the tensors as `T`s with gradients | optimizers, data-parallel training |
//! | [`Loss<X>`](Loss) | the loss of outputs against targets | the last layer of a [`Network`] |
//!
//! # Writing a layer
//! A layer that only infers implements [`Tensors`] (declared once with
//! [`tensors!`](crate::tensors!), or empty) and [`Layer`]; it then chains,
//! gets the compile-time checks, shows in summaries, saves, loads and bakes
//! into Rust source like the crate's own. To train it adds [`Trainable`] (the
//! two passes; gradients kept on the layer, as the book keeps `dW`) and a
//! one-line [`Params`]:
//!
//! ```
//! use typenet::prelude::*;
//! use typenet::gradient_check;
//!
//! /// y = x + b, a bias of its own for rows `[T; N]`.
//! #[derive(Clone, Debug)]
//! struct Shift<T, const N: usize> {
//!     b: [T; N],
//!     db: [T; N],
//! }
//!
//! impl<T: Scalar, const N: usize> Tensors for Shift<T, N> {
//!     typenet::tensors! { "b": Bias, [N] => b / db; }
//! }
//!
//! impl<T: Scalar, const N: usize> Layer<[T; N]> for Shift<T, N> {
//!     type Out = [T; N];
//!     type Scratch<R: Rows> = ();
//!     fn infer_with<R: Rows>(&self, x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>, _: &mut ()) {
//!         y.set_rows(x.nrows());
//!         for (y, x) in y.rows_mut().iter_mut().zip(x.rows()) {
//!             *y = core::array::from_fn(|i| x[i] + self.b[i]);
//!         }
//!     }
//! }
//!
//! impl<T: Scalar, const N: usize> Trainable<[T; N]> for Shift<T, N> {
//!     type Cache<R: Rows> = ();
//!     fn forward<R: Rows>(&mut self, x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>, _: &mut (), _: &mut Training) {
//!         self.infer(x, y)
//!     }
//!     fn backward<R: Rows>(
//!         &mut self,
//!         _: &Batch<[T; N], R>,
//!         _: &Batch<[T; N], R>,
//!         dy: &Batch<[T; N], R>,
//!         _: &mut (),
//!         dx: Option<&mut Batch<[T; N], R>>,
//!     ) {
//!         self.db = [T::ZERO; N];
//!         for row in dy.rows() {
//!             for (d, &g) in self.db.iter_mut().zip(row) {
//!                 *d = *d + g;
//!             }
//!         }
//!         if let Some(dx) = dx {
//!             dx.set_rows(dy.nrows());
//!             dx.as_mut_slice().copy_from_slice(dy.as_slice());
//!         }
//!     }
//! }
//!
//! impl<T: Scalar, const N: usize> Params<T> for Shift<T, N> {}
//!
//! let mut net = Affine::<[f64; 2], 3>::from_fn(|i, j| (i + j) as f64 / 4.0, |_| 0.0)
//!     .then(Shift { b: [0.1, -0.2, 0.3], db: [0.0; 3] })
//!     .then(SoftmaxWithLoss);
//! let x = Batch::from_rows(vec![[1.0, -1.0], [0.5, 2.0]]);
//! let t = Labels::<3>::from_slice(&[2, 0])?;
//! for d in gradient_check(&mut net, &x, &t)? {
//!     assert!(d.mean_abs < 1e-8, "{d:?}");
//! }
//! assert_eq!(net.summary().layers[1].kind, "Shift");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
