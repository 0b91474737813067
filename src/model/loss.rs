//! What ends a network: a layer that also scores its output against targets.

use crate::{Batch, Row, Rows, Scalar, Target, Trainable};

/// A last layer that turns scores `X` into outputs (e.g. probabilities)
/// and measures them against targets.
///
/// A [`Chain`](struct@crate::Chain) whose last element is a `Loss` is a
/// [`Network`](crate::Network). Training does not back-propagate through the
/// loss layer's own Jacobian: [`loss_backward`](Loss::loss_backward) gives
/// the gradient with respect to the scores directly, as the book's
/// `SoftmaxWithLoss.backward` does.
pub trait Loss<X: Row<Scalar: Scalar>>: Trainable<X> {
    /// The mean loss of this layer's outputs `y` (from its `forward`) against
    /// the targets.
    fn loss<R: Rows>(&self, y: &Batch<Self::Out, R>, t: &impl Target<Self::Out, R>) -> X::Scalar;

    /// The gradient of [`loss`](Loss::loss) with respect to this layer's
    /// input (the scores), written to `dx`.
    fn loss_backward<R: Rows>(&self, y: &Batch<Self::Out, R>, t: &impl Target<Self::Out, R>, dx: &mut Batch<X, R>);
}
