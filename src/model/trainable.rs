//! What a layer adds to inference to train: a training pass that keeps what
//! the backward pass needs, and the backward pass.

use crate::{Batch, Layer, Params, Row, Rows, Scalar, Training};

/// A [`Layer`] that trains: a training pass ([`forward`](Trainable::forward),
/// the book's `train_flg=True`) and a backward pass.
///
/// The training pass takes `&mut self`, so a layer may update state kept
/// across batches (BatchNorm's running statistics), a [`Training`] context
/// for randomness (Dropout's mask), and a per-batch
/// [`Cache`](Trainable::Cache) for what [`backward`](Trainable::backward)
/// will need. The backward pass stores the gradients of the parameters on
/// the layer, as the book's layers keep `dW` and `db`, where its
/// [`Tensors`](crate::Tensors) show them to optimizers.
#[diagnostic::on_unimplemented(
    message = "layer `{Self}` cannot be trained on `{In}` rows",
    label = "this layer only infers on `{In}` rows",
    note = "a trainable layer keeps gradients (its storage is `Heap` or `Inline`, not `Frozen`) and implements `Trainable`"
)]
pub trait Trainable<In: Row<Scalar: Scalar>>: Layer<In, Out: Row<Scalar = In::Scalar>> + Params<In::Scalar> {
    /// What a training pass keeps for the backward pass of a batch of `R`
    /// rows (a mask, normalised values, the rows between two layers of a
    /// chain). Owned by the caller, so it lives across steps and a training
    /// loop allocates nothing after its first step. The default value is
    /// empty and grows on first use.
    type Cache<R: Rows>: Default + Send + Sync;

    /// An empty cache for batches of `R` rows.
    fn cache<R: Rows>(&self) -> Self::Cache<R> {
        Self::Cache::default()
    }

    /// The training pass: `y` from `x`, keeping in `cache` what
    /// [`backward`](Trainable::backward) needs, drawing any randomness from
    /// `training`.
    fn forward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &mut Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        training: &mut Training,
    );

    /// Given the gradient `dy` of the loss with respect to the output `y`
    /// that [`forward`](Trainable::forward) produced from `x`, stores the
    /// gradients of the parameters on the layer and, if `dx` is given,
    /// writes the gradient with respect to `x` there. Skipping `dx` (the
    /// first layer of a net) saves work.
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<In, R>>,
    );
}
