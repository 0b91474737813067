//! A chain that ends in a loss: the book's network API (predict, loss,
//! accuracy, gradient) for any depth.

use crate::{Batch, Chain, Const, InputError, Layer, Loss, Row, Rows, Scalar, Target, Trainable, Training, argmax};

/// Checks that every element of `x` is finite.
pub fn check_finite<X: Row, R: Rows>(x: &Batch<X, R>) -> Result<(), InputError> {
    first_non_finite(x).map_or(Ok(()), |(row, column)| Err(InputError::NonFinite { row, column }))
}

/// The row and column of the first NaN or infinity in `x`.
fn first_non_finite<X: Row, R: Rows>(x: &Batch<X, R>) -> Option<(usize, usize)> {
    if x.is_finite() {
        return None;
    }
    x.rows().iter().enumerate().find_map(|(row, values)| {
        let bad = |v: &X::Scalar| !<X::Scalar as crate::Element>::all_finite(core::slice::from_ref(v));
        values.as_slice().iter().position(bad).map(|column| (row, column))
    })
}

/// Checks that every output of a net is finite: a finite input can still
/// overflow inside a net, and an `Ok` holding NaN would be garbage.
fn check_output<X: Row, R: Rows>(y: &Batch<X, R>) -> Result<(), InputError> {
    first_non_finite(y).map_or(Ok(()), |(row, _)| Err(InputError::Overflow { row }))
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
/// [`Cache`](Trainable::Cache) (its activations), its outputs, and the
/// [`Training`] context its random layers draw from. Made by
/// [`TrainableNetwork::workspace`]; after the first step, a step allocates
/// nothing.
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
pub type WorkspaceOf<N, In, R> = Workspace<<N as Trainable<In>>::Cache<R>, <N as Layer<In>>::Out, R>;

/// The largest scratch room a one-sample call keeps on the stack; a net
/// that needs more computes its sample in a heap batch, so a large
/// convolution does not overflow a thread's stack.
#[cfg(feature = "alloc")]
const ONE_SAMPLE_ON_STACK: usize = 64 << 10;

/// A classifier: layers taking rows `In` to score rows, ended by a [`Loss`]
/// whose outputs ([`Layer::Out`]) have the scores' shape. The book's
/// inference API: [`predict`](Network::predict), [`loss`](Network::loss),
/// [`accuracy`](Network::accuracy), and for one sample
/// [`classify`](Network::classify). All run inference, through `&self`,
/// so a Dropout layer keeps every unit and a BatchNorm uses its running
/// statistics; they refuse inputs holding NaN or infinity and outputs that
/// overflowed ([`InputError`]). Training is [`TrainableNetwork`]'s.
///
/// Implemented by every [`Chain`](struct@crate::Chain) whose last element
/// is a [`Loss`] such as [`SoftmaxWithLoss`](crate::SoftmaxWithLoss), also
/// when its layers only infer.
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
pub trait Network<In: Row<Scalar: Scalar>>: Layer<In, Out: Row<Scalar = In::Scalar>> + Sized {
    /// The rows of scores the layers before the loss output (the same as
    /// [`Layer::Out`] for [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)).
    type Scores: Row<Scalar = In::Scalar>;

    /// The scores of each row of `x` in inference mode (the layers before
    /// the loss), computed in `scratch` and left there: evaluating a data
    /// set chunk by chunk with one scratch allocates nothing after the
    /// first chunk. Checks nothing; [`predict`](Network::predict) checks.
    fn scores_with<'s, R: Rows>(
        &self,
        scratch: &'s mut Self::Scratch<R>,
        x: &Batch<In, R>,
    ) -> &'s Batch<Self::Scores, R>;

    /// The mean loss of outputs `y` (the loss layer's, from `infer` or a
    /// training pass) against `t`.
    fn loss_of<R: Rows>(&self, y: &Batch<Self::Out, R>, t: &impl Target<Self::Out, R>) -> In::Scalar;

    /// The scores of each row (the book's `predict`), or an error if `x`
    /// holds NaN or infinity or a score overflowed.
    fn predict<R: Rows>(&self, x: &Batch<In, R>) -> Result<Batch<Self::Scores, R>, InputError> {
        check_finite(x)?;
        let mut scratch = Self::Scratch::default();
        let scores = self.scores_with(&mut scratch, x);
        check_output(scores)?;
        Ok(scores.clone())
    }

    /// The mean loss on `x` against one-hot rows or labels `t`, in
    /// inference mode (what a report of the loss wants).
    fn loss<R: Rows>(&self, x: &Batch<In, R>, t: &impl Target<Self::Out, R>) -> Result<In::Scalar, InputError> {
        check_rows(x, t)?;
        check_finite(x)?;
        let mut y = Batch::default();
        y.set_rows(x.nrows());
        self.infer(x, &mut y);
        check_output(&y)?;
        Ok(self.loss_of(&y, t))
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

    /// The scores of one sample: on the stack for a small net (no heap at
    /// all), in a heap batch for one whose intermediate rows would crowd
    /// the stack.
    fn scores(&self, x: &In) -> Result<Self::Scores, InputError> {
        one_sample::<In, Self, _>(
            x,
            |x| check(self.scores_with(&mut Default::default(), x)).copied(),
            |x| check(self.scores_with(&mut Default::default(), x)).copied(),
        )
    }

    /// The loss layer's output for one sample (class probabilities for
    /// [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)), as
    /// [`scores`](Network::scores) computes it.
    fn probabilities(&self, x: &In) -> Result<Self::Out, InputError> {
        fn run<In: Row<Scalar: Scalar>, N: Network<In>, R: Rows>(
            net: &N,
            x: &Batch<In, R>,
        ) -> Result<N::Out, InputError> {
            let mut y = Batch::default();
            y.set_rows(1);
            net.infer(x, &mut y);
            check_output(&y)?;
            Ok(y[0])
        }
        one_sample::<In, Self, _>(x, |x| run(self, x), |x| run(self, x))
    }

    /// The most likely class of one sample, as [`scores`](Network::scores)
    /// computes it.
    fn classify(&self, x: &In) -> Result<usize, InputError> {
        Ok(argmax(self.scores(x)?.as_slice()))
    }

    /// The scores of one sample computed in `scratch`, a room the caller
    /// keeps from call to call: what a service classifying one request at a
    /// time wants, since [`scores`](Network::scores) makes its room afresh
    /// each call (on the heap for a net whose room would crowd the stack).
    /// After the first call on a room, a call allocates nothing. The input
    /// is checked as [`scores`](Network::scores) checks it.
    /// [`sample_scratch`](Network::sample_scratch) makes a room on the heap
    /// (a convolutional net's is large: SimpleConvNet's holds its 30 × 24 ×
    /// 24 maps).
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// let net = Affine::<[f32; 2], 3>::from_fn(|i, j| (i + j) as f32, |_| 0.0).then(SoftmaxWithLoss);
    /// let mut scratch = net.sample_scratch();
    /// for x in [[1.0, 0.0], [0.0, 2.0]] {
    ///     assert_eq!(net.sample_scores_with(&mut scratch, &x)?, net.scores(&x)?);
    /// }
    /// assert!(net.sample_scores_with(&mut scratch, &[f32::NAN, 0.0]).is_err());
    /// # Ok::<(), typenet::InputError>(())
    /// ```
    fn sample_scores_with(&self, scratch: &mut Self::Scratch<Const<1>>, x: &In) -> Result<Self::Scores, InputError> {
        let batch = Batch::one(x);
        check_finite(batch)?;
        check(self.scores_with(scratch, batch)).copied()
    }

    /// An empty room for [`sample_scores_with`](Network::sample_scores_with)
    /// and [`classify_with`](Network::classify_with), on the heap.
    #[cfg(feature = "alloc")]
    fn sample_scratch(&self) -> alloc::boxed::Box<Self::Scratch<Const<1>>> {
        alloc::boxed::Box::default()
    }

    /// The most likely class of one sample, as
    /// [`sample_scores_with`](Network::sample_scores_with) computes it in
    /// a kept `scratch`.
    fn classify_with(&self, scratch: &mut Self::Scratch<Const<1>>, x: &In) -> Result<usize, InputError> {
        Ok(argmax(self.sample_scores_with(scratch, x)?.as_slice()))
    }
}

/// The first row of `scores` if every value in it is finite.
fn check<X: Row, R: Rows>(scores: &Batch<X, R>) -> Result<&X, InputError> {
    check_output(scores)?;
    Ok(&scores[0])
}

/// Runs `on_stack` on `x` seen as a batch of one (no copy), or `on_heap` on
/// a heap batch when the net's scratch room for one row is large, after
/// checking that `x` is finite.
#[cfg(feature = "alloc")]
fn one_sample<In: Row, N: Layer<In>, Y>(
    x: &In,
    on_stack: impl FnOnce(&Batch<In, Const<1>>) -> Result<Y, InputError>,
    on_heap: impl FnOnce(&Batch<In, crate::Dyn>) -> Result<Y, InputError>,
) -> Result<Y, InputError> {
    let room = core::mem::size_of::<N::Scratch<Const<1>>>() + 2 * core::mem::size_of::<In>();
    if room > ONE_SAMPLE_ON_STACK {
        let mut batch = Batch::<In, crate::Dyn>::zeros(1);
        batch.rows_mut()[0].as_mut_slice().copy_from_slice(x.as_slice());
        check_finite(&batch)?;
        return on_heap(&batch);
    }
    let batch = Batch::one(x);
    check_finite(batch)?;
    on_stack(batch)
}

/// Runs `on_stack` on `x` as a batch of one (no copy) after checking that
/// it is finite: without a heap, every net computes on the stack.
#[cfg(not(feature = "alloc"))]
#[allow(clippy::extra_unused_type_parameters)] // the heap build reads N's scratch size
fn one_sample<In: Row, N: Layer<In>, Y>(
    x: &In,
    on_stack: impl FnOnce(&Batch<In, Const<1>>) -> Result<Y, InputError>,
    _: impl FnOnce(&Batch<In, Const<1>>) -> Result<Y, InputError>,
) -> Result<Y, InputError> {
    let batch = Batch::one(x);
    check_finite(batch)?;
    on_stack(batch)
}

/// A [`Network`] whose layers train: the book's `gradient` and the
/// training loop's steps.
pub trait TrainableNetwork<In: Row<Scalar: Scalar>>: Network<In> + Trainable<In> {
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

    /// Back-propagation (the book's `gradient`): a training pass and a
    /// backward pass, storing each parameter's gradient on its layer;
    /// returns the loss. A fresh workspace each call, so random layers draw
    /// the same masks every call: a training loop keeps a workspace and
    /// calls [`gradient_with`](TrainableNetwork::gradient_with).
    fn gradient<R: Rows>(&mut self, x: &Batch<In, R>, t: &impl Target<Self::Out, R>) -> Result<In::Scalar, InputError> {
        let mut ws = self.workspace();
        self.gradient_with(&mut ws, x, t, None)
    }

    /// The gradient of the training loss with respect to every parameter
    /// by central differences, h = 1e-4 (the book's `numerical_gradient`):
    /// two loss evaluations per parameter, for checking
    /// [`gradient`](TrainableNetwork::gradient) on small nets. Every tensor
    /// is restored exactly, buffers included.
    #[cfg(feature = "alloc")]
    fn numerical_gradient<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        t: &impl Target<Self::Out, R>,
    ) -> Result<alloc::vec::Vec<crate::Gradient<In::Scalar>>, InputError> {
        crate::numerical_gradient_of_net(self, x, t, &Training::default())
    }
}

impl<In, A, L, const N: usize> Network<In> for Chain<A, L, N>
where
    In: Row<Scalar: Scalar>,
    A: Layer<In, Out: Row<Scalar = In::Scalar>>,
    L: Loss<A::Out>,
{
    type Scores = A::Out;

    fn scores_with<'s, R: Rows>(&self, scratch: &'s mut Self::Scratch<R>, x: &Batch<In, R>) -> &'s Batch<A::Out, R> {
        scratch.mid.set_rows(x.nrows());
        self.first().infer_with(x, &mut scratch.mid, &mut scratch.first);
        &scratch.mid
    }

    fn loss_of<R: Rows>(&self, y: &Batch<L::Out, R>, t: &impl Target<L::Out, R>) -> In::Scalar {
        self.second().loss(y, t)
    }
}

impl<In, A, L, const N: usize> TrainableNetwork<In> for Chain<A, L, N>
where
    In: Row<Scalar: Scalar>,
    A: Trainable<In>,
    L: Loss<A::Out>,
{
    fn train_loss_with<R: Rows>(
        &mut self,
        ws: &mut WorkspaceOf<Self, In, R>,
        x: &Batch<In, R>,
        t: &impl Target<L::Out, R>,
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
        t: &impl Target<L::Out, R>,
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
