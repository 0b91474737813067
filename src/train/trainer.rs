//! The training loop: sample a batch, back-propagate, check, update.

use num_traits::Float;

use crate::data::{BatchSampler, Dataset, Sampling};
use crate::{Batch, Labels, Network, Optimizer, Row, Scalar};

use super::{EpochStats, Event, History, StepStats, TrainError, accuracy};

/// When a run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// After this many steps (the book's `iters_num`).
    Iterations(usize),
    /// After this many epochs.
    Epochs(usize),
}

/// Mini-batch training with an optimizer, reporting each step and epoch.
///
/// Defaults are the book's: batches of 100 drawn with replacement, 10,000
/// iterations, accuracies after every epoch. A step whose loss or gradient is
/// not finite stops the run with [`TrainError::NonFinite`] before its update,
/// so the net is never left with NaN weights.
///
/// ```no_run
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::data::{Dataset, MnistFiles, Pixels};
/// use typenet::prelude::*;
/// use typenet::train::{Event, Trainer};
///
/// let files = MnistFiles::find("data/mnist")?;
/// let train = Dataset::<[f32; 784], 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
/// let test = Dataset::<[f32; 784], 10>::load(&files.test.images, &files.test.labels, Pixels::Unit)?;
/// let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut StdRng::seed_from_u64(42));
/// let history = Trainer::new(Sgd::new(0.1)).train(&mut net, &train, Some(&test), |e| {
///     if let Event::Epoch(e) = e {
///         println!("epoch {}: train {:.4} test {:.4}", e.epoch, e.train_acc, e.test_acc.unwrap());
///     }
/// })?;
/// println!("{} epochs", history.epochs.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Trainer<O> {
    optimizer: O,
    batch: usize,
    sampling: Sampling,
    stop: Stop,
    seed: u64,
}

impl<O> Trainer<O> {
    /// A trainer with the book's defaults and this optimizer.
    pub fn new(optimizer: O) -> Self {
        Trainer {
            optimizer,
            batch: 100,
            sampling: Sampling::WithReplacement,
            stop: Stop::Iterations(10_000),
            seed: 0,
        }
    }

    /// Samples per mini-batch.
    pub fn batch_size(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// How batches are drawn.
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Stop after `n` steps.
    pub fn iterations(mut self, n: usize) -> Self {
        self.stop = Stop::Iterations(n);
        self
    }

    /// Stop after `n` epochs.
    pub fn epochs(mut self, n: usize) -> Self {
        self.stop = Stop::Epochs(n);
        self
    }

    /// The seed of the batch sampler (the net's initial weights have their own).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The optimizer (with its state, after a run).
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// Trains `net` on `train`, evaluating on `train` and `test` after each
    /// epoch, and calling `observe` after every step and epoch.
    pub fn train<In, N, const C: usize>(
        &mut self,
        net: &mut N,
        train: &Dataset<In, C>,
        test: Option<&Dataset<In, C>>,
        mut observe: impl FnMut(Event),
    ) -> Result<History, TrainError>
    where
        In: Row,
        N: Network<In, Scores = [In::Scalar; C]>,
        O: Optimizer<In>,
    {
        if train.is_empty() {
            return Err(TrainError::EmptyTrainingSet);
        }
        if self.batch == 0 {
            return Err(TrainError::ZeroBatchSize);
        }
        let mut sampler = BatchSampler::new(self.sampling, train.len(), self.batch, self.seed);
        let per_epoch = sampler.batches_per_epoch();
        let total_steps = match self.stop {
            Stop::Iterations(n) => n,
            Stop::Epochs(n) => n * per_epoch,
        };

        let mut history = History {
            train_loss: Vec::with_capacity(total_steps),
            ..History::default()
        };
        let mut ws = net.workspace();
        let mut x = Batch::<In>::zeros(self.batch);
        let mut t = Labels::<C>::default();
        let mut indices = Vec::with_capacity(self.batch);
        let mut upcoming = Vec::with_capacity(self.batch);
        sampler.next_batch(&mut upcoming);
        let mut epoch_loss = 0.0;

        for step in 0..total_steps {
            // the next batch is drawn one step early so its rows can be
            // fetched from memory while this step computes
            core::mem::swap(&mut indices, &mut upcoming);
            sampler.next_batch(&mut upcoming);
            train.gather(&indices, &mut x, &mut t);
            train.prefetch(&upcoming);
            let loss = net.gradient_with(&mut ws, &x, &t, None).as_f64();
            let tensor = first_non_finite_gradient(net);
            if !loss.is_finite() || tensor.is_some() {
                return Err(TrainError::NonFinite { step, loss, tensor });
            }
            self.optimizer.step(net);

            history.train_loss.push(loss);
            epoch_loss += loss;
            observe(Event::Step(StepStats {
                step,
                total_steps,
                loss,
            }));

            if (step + 1) % per_epoch == 0 {
                let stats = EpochStats {
                    epoch: (step + 1) / per_epoch,
                    steps: step + 1,
                    mean_loss: epoch_loss / per_epoch as f64,
                    train_acc: accuracy(net, train),
                    test_acc: test.map(|test| accuracy(net, test)),
                };
                epoch_loss = 0.0;
                history.train_acc.push(stats.train_acc);
                history.test_acc.extend(stats.test_acc);
                history.epochs.push(stats);
                observe(Event::Epoch(stats));
            }
        }
        Ok(history)
    }
}

/// The first parameter tensor whose gradient holds a NaN or infinity.
fn first_non_finite_gradient<In: Row, N: Network<In>>(net: &N) -> Option<(usize, &'static str)> {
    let mut found = None;
    net.visit_params(0, &mut |p| {
        if found.is_none() && !p.grad.iter().all(|g| g.is_finite()) {
            found = Some((p.layer, p.name));
        }
    });
    found
}
