//! A chain that ends in a loss: the book's network API (predict, loss,
//! accuracy, gradient) for any depth.

use num_traits::Float;

use crate::{Batch, Chain, Const, InputError, Layer, Loss, Row, Rows, Scalar, Target, Training, argmax};

/// Checks that every element of `x` is finite.
pub fn check_finite<X: Row, R: Rows>(x: &Batch<X, R>) -> Result<(), InputError> {
    if X::Scalar::all_finite(x.as_slice()) {
        return Ok(());
    }
    for (row, values) in x.rows().iter().enumerate() {
        if let Some(column) = values.as_slice().iter().position(|v| !v.is_finite()) {
            return Err(InputError::NonFinite { row, column });
        }
    }
    Ok(())
}

/// `Ok` if `x` and `t` have the same number of rows.
fn check_rows<X: Row, Y: Row, R: Rows>(x: &Batch<X, R>, t: &impl Target<Y, R>) -> Result<(), InputError> {
    if x.nrows() == t.nrows() {
        Ok(())
    } else {
        Err(InputError::RowCount {
            inputs: x.nrows(),
            targets: t.nrows(),
        })
    }
}

/// What a training loop keeps from step to step: the net's
/// [`Cache`](Layer::Cache) (its activations), its outputs, and the
/// [`Training`] context its random layers draw from. Made by
/// [`Network::workspace`]; after the first step, a step allocates nothing.
pub struct Workspace<C, Y: Row, R: Rows> {
    pub(crate) cache: C,
    pub(crate) outputs: Batch<Y, R>,
    pub(crate) training: Training,
}

impl<C: Default, Y: Row, R: Rows> Workspace<C, Y, R> {
    /// An empty workspace whose training randomness comes from `seed`.
    pub fn seeded(seed: u64) -> Self {
        Workspace {
            cache: C::default(),
            outputs: Batch::default(),
            training: Training::new(seed),
        }
    }
}

impl<C: Default, Y: Row, R: Rows> Default for Workspace<C, Y, R> {
    /// Seed 0.
    fn default() -> Self {
        Self::seeded(0)
    }
}

impl<C, Y: Row, R: Rows> Workspace<C, Y, R> {
    /// The net's cache as of the last training pass.
    pub fn cache(&self) -> &C {
        &self.cache
    }

    /// The net's outputs (the loss layer's: probabilities for
    /// [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)) as of the last training
    /// pass.
    pub fn outputs(&self) -> &Batch<Y, R> {
        &self.outputs
    }

    /// The training context, to reseed or to draw from.
    pub fn training(&mut self) -> &mut Training {
        &mut self.training
    }
}

/// The [`Workspace`] of net `N` on rows `In` for batches of `R` rows.
pub type WorkspaceOf<N, In, R> = Workspace<<N as Layer<In>>::Cache<R>, <N as Layer<In>>::Out, R>;

/// A trainable classifier: layers taking rows `In` to score rows, ended by
/// a [`Loss`] whose outputs ([`Layer::Out`]) have the scores' shape.
///
/// Implemented by every [`Chain`](struct@crate::Chain) whose last element
/// is a [`Loss`] such as [`SoftmaxWithLoss`](crate::SoftmaxWithLoss).
/// Training methods ([`gradient`](Network::gradient)) run the layers'
/// training passes; everything that evaluates ([`predict`](Network::predict),
/// [`loss`](Network::loss), [`accuracy`](Network::accuracy),
/// [`classify`](Network::classify)) runs inference, through `&self`, so a
/// Dropout layer keeps every unit and a BatchNorm uses its running
/// statistics. The `*_with` methods take a [`Workspace`] that keeps the
/// activations between calls; the others make a fresh one.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let mut net = Affine::<[f64; 2], 8>::init(Init::He, &mut rng)
///     .then(Relu)
///     .then(Affine::<[f64; 8], 2>::init(Init::He, &mut rng))
///     .then(SoftmaxWithLoss);
/// let x = Batch::from_rows(vec![[1.0, 0.0], [0.0, 1.0]]);
/// let t = Labels::<2>::from_slice(&[0, 1])?;
/// let before = net.loss(&x, &t)?;
/// let mut sgd = Sgd::new(0.5);
/// for _ in 0..50 {
///     net.gradient(&x, &t)?;
///     sgd.step(&mut net)?;
/// }
/// assert!(net.loss(&x, &t)? < before);
/// assert_eq!(net.accuracy(&x, &t)?, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Network<In: Row>: Layer<In> + Sized {
    /// The scores of each row of `x` (the layers before the loss), written
    /// to `scores`, in inference mode.
    fn infer_scores<R: Rows>(&self, x: &Batch<In, R>, scores: &mut Batch<Self::Out, R>);

    /// The scores of each row of `x` in inference mode, computed in the
    /// workspace's buffers and left there: evaluating a data set chunk by
    /// chunk with one workspace allocates nothing after the first chunk.
    fn scores_with<'w, R: Rows>(
        &self,
        ws: &'w mut WorkspaceOf<Self, In, R>,
        x: &Batch<In, R>,
    ) -> &'w Batch<Self::Out, R>;

    /// The mean loss of outputs `y` (the loss layer's, from `infer` or a
    /// training pass) against `t`.
    fn loss_of<R: Rows>(&self, y: &Batch<Self::Out, R>, t: &impl Target<Self::Out, R>) -> In::Scalar;

    /// The training pass and the loss, without a backward pass.
    fn train_loss_with<R: Rows>(
        &mut self,
        ws: &mut WorkspaceOf<Self, In, R>,
        x: &Batch<In, R>,
        t: &impl Target<Self::Out, R>,
    ) -> Result<In::Scalar, InputError>;

    /// Training pass and backward pass: stores every parameter's gradient
    /// on its layer, writes the gradient with respect to `x` to `dx` if
    /// given, and returns the loss.
    fn gradient_with<R: Rows>(
        &mut self,
        ws: &mut WorkspaceOf<Self, In, R>,
        x: &Batch<In, R>,
        t: &impl Target<Self::Out, R>,
        dx: Option<&mut Batch<In, R>>,
    ) -> Result<In::Scalar, InputError>;

    /// An empty workspace for batches of `R` rows, training randomness
    /// seeded with 0.
    fn workspace<R: Rows>(&self) -> WorkspaceOf<Self, In, R> {
        Workspace::default()
    }

    /// An empty workspace whose training randomness comes from `seed`.
    fn workspace_seeded<R: Rows>(&self, seed: u64) -> WorkspaceOf<Self, In, R> {
        Workspace::seeded(seed)
    }

    /// The scores of each row (the book's `predict`), or an error if `x`
    /// holds NaN or infinity.
    fn predict<R: Rows>(&self, x: &Batch<In, R>) -> Result<Batch<Self::Out, R>, InputError> {
        check_finite(x)?;
        let mut scores = Batch::default();
        scores.set_rows(x.nrows());
        self.infer_scores(x, &mut scores);
        Ok(scores)
    }

    /// The mean loss on `x` against one-hot rows or labels `t`, in
    /// inference mode (what a report of the loss wants).
    fn loss<R: Rows>(&self, x: &Batch<In, R>, t: &impl Target<Self::Out, R>) -> Result<In::Scalar, InputError> {
        check_rows(x, t)?;
        check_finite(x)?;
        let mut y = Batch::default();
        y.set_rows(x.nrows());
        self.infer(x, &mut y);
        Ok(self.loss_of(&y, t))
    }

    /// Back-propagation (the book's `gradient`): a training pass and a
    /// backward pass, storing each parameter's gradient on its layer;
    /// returns the loss. A fresh workspace each call, so random layers draw
    /// the same masks every call: a training loop keeps a workspace and
    /// calls [`gradient_with`](Network::gradient_with).
    fn gradient<R: Rows>(&mut self, x: &Batch<In, R>, t: &impl Target<Self::Out, R>) -> Result<In::Scalar, InputError> {
        let mut ws = self.workspace();
        self.gradient_with(&mut ws, x, t, None)
    }

    /// The gradient of the training loss with respect to every parameter
    /// by central differences, h = 1e-4 (the book's `numerical_gradient`):
    /// two loss evaluations per parameter, for checking
    /// [`gradient`](Network::gradient) on small nets. Every tensor is
    /// restored exactly, buffers included.
    #[cfg(feature = "alloc")]
    fn numerical_gradient<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        t: &impl Target<Self::Out, R>,
    ) -> Result<alloc::vec::Vec<crate::Gradient<In::Scalar>>, InputError> {
        crate::numerical_gradient_of_net(self, x, t, &Training::default())
    }

    /// The fraction of rows whose highest score is the target class (0 for
    /// no rows), in inference mode.
    fn accuracy<R: Rows>(&self, x: &Batch<In, R>, t: &impl Target<Self::Out, R>) -> Result<f64, InputError> {
        check_rows(x, t)?;
        let scores = self.predict(x)?;
        if x.is_empty() {
            return Ok(0.0);
        }
        let correct = scores
            .rows()
            .iter()
            .enumerate()
            .filter(|(i, s)| argmax(s.as_slice()) == t.row(*i).class())
            .count();
        Ok(correct as f64 / x.nrows() as f64)
    }

    /// The scores of one sample, computed with no heap.
    fn scores(&self, x: &In) -> Result<Self::Out, InputError> {
        let x = Batch::<In, Const<1>>::new([*x]);
        check_finite(&x)?;
        let mut scores = Batch::default();
        self.infer_scores(&x, &mut scores);
        Ok(scores[0])
    }

    /// The loss layer's output for one sample (class probabilities for
    /// [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)), computed with no heap.
    fn probabilities(&self, x: &In) -> Result<Self::Out, InputError> {
        let x = Batch::<In, Const<1>>::new([*x]);
        check_finite(&x)?;
        let mut outputs = Batch::default();
        self.infer(&x, &mut outputs);
        Ok(outputs[0])
    }

    /// The most likely class of one sample, computed with no heap.
    fn classify(&self, x: &In) -> Result<usize, InputError> {
        Ok(argmax(self.scores(x)?.as_slice()))
    }
}

impl<In: Row, A: Layer<In>, L: Loss<A::Out>, const N: usize> Network<In> for Chain<A, L, N> {
    fn infer_scores<R: Rows>(&self, x: &Batch<In, R>, scores: &mut Batch<A::Out, R>) {
        scores.set_rows(x.nrows());
        self.first().infer(x, scores);
    }

    fn scores_with<'w, R: Rows>(&self, ws: &'w mut WorkspaceOf<Self, In, R>, x: &Batch<In, R>) -> &'w Batch<A::Out, R> {
        let cache = &mut ws.cache;
        cache.mid.set_rows(x.nrows());
        self.first().infer_with(x, &mut cache.mid, &mut cache.first);
        &cache.mid
    }

    fn loss_of<R: Rows>(&self, y: &Batch<A::Out, R>, t: &impl Target<A::Out, R>) -> In::Scalar {
        self.second().loss(y, t)
    }

    fn train_loss_with<R: Rows>(
        &mut self,
        ws: &mut WorkspaceOf<Self, In, R>,
        x: &Batch<In, R>,
        t: &impl Target<A::Out, R>,
    ) -> Result<In::Scalar, InputError> {
        check_rows(x, t)?;
        ws.outputs.set_rows(x.nrows());
        self.forward(x, &mut ws.outputs, &mut ws.cache, &mut ws.training);
        Ok(self.second().loss(&ws.outputs, t))
    }

    fn gradient_with<R: Rows>(
        &mut self,
        ws: &mut WorkspaceOf<Self, In, R>,
        x: &Batch<In, R>,
        t: &impl Target<A::Out, R>,
        dx: Option<&mut Batch<In, R>>,
    ) -> Result<In::Scalar, InputError> {
        let loss = self.train_loss_with(ws, x, t)?;
        // the loss layer's gradient with respect to the scores, straight
        // from its outputs: the book's (y − t) / batch, not the softmax
        // Jacobian applied to the loss's gradient
        let cache = &mut ws.cache;
        cache.dmid.set_rows(x.nrows());
        self.second().loss_backward(&ws.outputs, t, &mut cache.dmid);
        self.first_mut()
            .backward(x, &cache.mid, &cache.dmid, &mut cache.first, dx);
        Ok(loss)
    }
}
