//! A chain that ends in a loss: the book's network API (predict, loss,
//! accuracy, gradient) for any depth.

use core::fmt;

use num_traits::Float;

use crate::functions::assert_same_rows;
use crate::{Batch, Chain, Const, Layer, Loss, Row, Rows, Scalar, Target, argmax};

/// An input value that is NaN or infinite, found before it could spread
/// through a net.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonFiniteInput {
    /// The row (sample) holding it.
    pub row: usize,
    /// Its position in the row.
    pub column: usize,
}

impl fmt::Display for NonFiniteInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "input row {} has a non-finite value (NaN or infinity) at column {}",
            self.row, self.column
        )
    }
}

impl core::error::Error for NonFiniteInput {}

/// Checks that every element of `x` is finite.
pub fn check_finite<X: Row, R: Rows>(x: &Batch<X, R>) -> Result<(), NonFiniteInput> {
    if X::Scalar::all_finite(x.as_slice()) {
        return Ok(());
    }
    for (row, values) in x.rows().iter().enumerate() {
        if let Some(column) = values.as_slice().iter().position(|v| !v.is_finite()) {
            return Err(NonFiniteInput { row, column });
        }
    }
    Ok(())
}

/// A trainable classifier: layers taking rows `In` to score rows
/// [`Scores`](Network::Scores), ended by a [`Loss`].
///
/// Implemented by every [`Chain`](struct@crate::Chain) whose last element is a [`Loss`] such as
/// [`SoftmaxWithLoss`](crate::SoftmaxWithLoss). The `*_with` methods take a
/// [`Workspace`](Network::Workspace) that keeps the activations between
/// calls (a training loop allocates nothing after its first step); the
/// others make a fresh one.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let mut net = Affine::<f64, 2, 8>::init(Init::He, &mut rng)
///     .then(Relu)
///     .then(Affine::<f64, 8, 2>::init(Init::He, &mut rng))
///     .then(SoftmaxWithLoss);
/// let x = Batch::from_rows(vec![[1.0, 0.0], [0.0, 1.0]]);
/// let t = Labels::<2>::from_slice(&[0, 1]).unwrap();
/// let before = net.loss(&x, &t);
/// for _ in 0..50 {
///     net.gradient(&x, &t);
///     Sgd::new(0.5).step(&mut net);
/// }
/// assert!(net.loss(&x, &t) < before);
/// assert_eq!(net.accuracy(&x, &t).unwrap(), 1.0);
/// ```
pub trait Network<In: Row>: Layer<In> {
    /// The rows the net produces before its loss layer (the class scores).
    type Scores: Row<Scalar = In::Scalar>;

    /// Activations kept between the forward and backward pass of a batch of
    /// `R` rows.
    type Workspace<R: Rows>: Default + Send + Sync;

    /// The scores of each row of `x`, left in the workspace.
    fn scores_with<'w, R: Rows>(&self, ws: &'w mut Self::Workspace<R>, x: &Batch<In, R>) -> &'w Batch<Self::Scores, R>;

    /// The loss layer's output (e.g. class probabilities) for each row of
    /// `x`, left in the workspace.
    fn outputs_with<'w, R: Rows>(&self, ws: &'w mut Self::Workspace<R>, x: &Batch<In, R>)
    -> &'w Batch<Self::Scores, R>;

    /// The mean loss of the net on `x` against `t`.
    fn loss_with<R: Rows>(
        &self,
        ws: &mut Self::Workspace<R>,
        x: &Batch<In, R>,
        t: &impl Target<Self::Scores, R>,
    ) -> In::Scalar;

    /// Forward and backward pass: stores every parameter's gradient on its
    /// layer, writes the gradient with respect to `x` to `dx` if given, and
    /// returns the loss.
    fn gradient_with<R: Rows>(
        &mut self,
        ws: &mut Self::Workspace<R>,
        x: &Batch<In, R>,
        t: &impl Target<Self::Scores, R>,
        dx: Option<&mut Batch<In, R>>,
    ) -> In::Scalar;

    /// An empty workspace for batches of `R` rows.
    fn workspace<R: Rows>(&self) -> Self::Workspace<R> {
        Self::Workspace::default()
    }

    /// The scores of each row (the book's `predict`), or an error if `x`
    /// holds NaN or infinity.
    fn predict<R: Rows>(&self, x: &Batch<In, R>) -> Result<Batch<Self::Scores, R>, NonFiniteInput> {
        check_finite(x)?;
        let mut scores = Batch::default();
        scores.set_rows(x.nrows());
        self.infer_scores(x, &mut scores);
        Ok(scores)
    }

    /// The scores of each row of `x` written to `scores` (which has as many
    /// rows), keeping nothing for a backward pass.
    fn infer_scores<R: Rows>(&self, x: &Batch<In, R>, scores: &mut Batch<Self::Scores, R>);

    /// The loss layer's output for each row of `x` (probabilities for
    /// [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)) written to `outputs`,
    /// keeping nothing for a backward pass.
    fn infer_outputs<R: Rows>(&self, x: &Batch<In, R>, outputs: &mut Batch<Self::Scores, R>);

    /// The mean loss on `x` against one-hot rows or labels `t`.
    fn loss<R: Rows>(&self, x: &Batch<In, R>, t: &impl Target<Self::Scores, R>) -> In::Scalar {
        self.loss_with(&mut self.workspace(), x, t)
    }

    /// Back-propagation (the book's `gradient`): stores each parameter's
    /// gradient on its layer and returns the loss.
    fn gradient<R: Rows>(&mut self, x: &Batch<In, R>, t: &impl Target<Self::Scores, R>) -> In::Scalar {
        let mut ws = self.workspace();
        self.gradient_with(&mut ws, x, t, None)
    }

    /// The gradient of the loss with respect to every parameter by central
    /// differences, h = 1e-4 (the book's `numerical_gradient`): two loss
    /// evaluations per parameter, for checking [`gradient`](Network::gradient)
    /// on small nets. Parameters are restored exactly.
    #[cfg(feature = "alloc")]
    fn numerical_gradient<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        t: &impl Target<Self::Scores, R>,
    ) -> alloc::vec::Vec<crate::Gradient<In::Scalar>>
    where
        Self: Sized,
    {
        crate::numerical_gradient_of_net(self, x, t)
    }

    /// The fraction of rows whose highest score is the target class.
    fn accuracy<R: Rows>(&self, x: &Batch<In, R>, t: &impl Target<Self::Scores, R>) -> Result<f64, NonFiniteInput> {
        check_finite(x)?;
        assert_same_rows(x.nrows(), t.nrows());
        if x.is_empty() {
            return Ok(0.0);
        }
        let mut ws = self.workspace();
        let scores = self.scores_with(&mut ws, x);
        let correct = scores
            .rows()
            .iter()
            .enumerate()
            .filter(|(i, s)| argmax(s.as_slice()) == t.row(*i).class())
            .count();
        Ok(correct as f64 / x.nrows() as f64)
    }

    /// The scores of one sample, computed with no heap.
    fn scores(&self, x: &In) -> Result<Self::Scores, NonFiniteInput> {
        let x = Batch::<In, Const<1>>::new([*x]);
        check_finite(&x)?;
        let mut scores = Batch::default();
        self.infer_scores(&x, &mut scores);
        Ok(scores[0])
    }

    /// The loss layer's output for one sample (class probabilities for
    /// [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)), computed with no heap.
    fn probabilities(&self, x: &In) -> Result<Self::Scores, NonFiniteInput> {
        let x = Batch::<In, Const<1>>::new([*x]);
        check_finite(&x)?;
        let mut outputs = Batch::default();
        self.infer_outputs(&x, &mut outputs);
        Ok(outputs[0])
    }

    /// The most likely class of one sample, computed with no heap.
    fn classify(&self, x: &In) -> Result<usize, NonFiniteInput> {
        Ok(argmax(self.scores(x)?.as_slice()))
    }
}

/// The [`Network::Workspace`] of a chain ending in a loss: the body's cache
/// and the score, output and score-gradient rows.
pub struct NetWorkspace<S: Row, C, H, R: Rows> {
    body: C,
    head: H,
    scores: Batch<S, R>,
    outputs: Batch<S, R>,
    dscores: Batch<S, R>,
}

impl<S: Row, C, H, R: Rows> NetWorkspace<S, C, H, R> {
    /// The body's cache (hidden activations) as of the last forward pass.
    pub fn body(&self) -> &C {
        &self.body
    }

    /// The scores as of the last forward pass.
    pub fn scores(&self) -> &Batch<S, R> {
        &self.scores
    }
}

impl<S: Row, C: Default, H: Default, R: Rows> Default for NetWorkspace<S, C, H, R> {
    fn default() -> Self {
        NetWorkspace {
            body: C::default(),
            head: H::default(),
            scores: Batch::default(),
            outputs: Batch::default(),
            dscores: Batch::default(),
        }
    }
}

impl<In: Row, A: Layer<In>, L: Loss<A::Out>> Network<In> for Chain<A, L> {
    type Scores = A::Out;
    type Workspace<R: Rows> = NetWorkspace<A::Out, A::Cache<R>, L::Cache<R>, R>;

    fn infer_scores<R: Rows>(&self, x: &Batch<In, R>, scores: &mut Batch<A::Out, R>) {
        self.first().infer(x, scores);
    }

    fn infer_outputs<R: Rows>(&self, x: &Batch<In, R>, outputs: &mut Batch<A::Out, R>) {
        let mut scores = Batch::default();
        scores.set_rows(x.nrows());
        self.first().infer(x, &mut scores);
        self.second().infer(&scores, outputs);
    }

    fn scores_with<'w, R: Rows>(&self, ws: &'w mut Self::Workspace<R>, x: &Batch<In, R>) -> &'w Batch<A::Out, R> {
        ws.scores.set_rows(x.nrows());
        self.first().forward(x, &mut ws.scores, &mut ws.body);
        &ws.scores
    }

    fn outputs_with<'w, R: Rows>(&self, ws: &'w mut Self::Workspace<R>, x: &Batch<In, R>) -> &'w Batch<A::Out, R> {
        ws.outputs.set_rows(x.nrows());
        self.scores_with(ws, x);
        self.second().forward(&ws.scores, &mut ws.outputs, &mut ws.head);
        &ws.outputs
    }

    fn loss_with<R: Rows>(
        &self,
        ws: &mut Self::Workspace<R>,
        x: &Batch<In, R>,
        t: &impl Target<A::Out, R>,
    ) -> In::Scalar {
        self.outputs_with(ws, x);
        self.second().loss(&ws.outputs, t)
    }

    fn gradient_with<R: Rows>(
        &mut self,
        ws: &mut Self::Workspace<R>,
        x: &Batch<In, R>,
        t: &impl Target<A::Out, R>,
        dx: Option<&mut Batch<In, R>>,
    ) -> In::Scalar {
        let loss = self.loss_with(ws, x, t);
        ws.dscores.set_rows(x.nrows());
        self.second().loss_backward(&ws.outputs, t, &mut ws.dscores);
        self.first_mut().backward(x, &ws.scores, &ws.dscores, &mut ws.body, dx);
        loss
    }
}
