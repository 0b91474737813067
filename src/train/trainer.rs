//! The training loop: sample a batch, back-propagate, check, update.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::data::{BatchSampler, Dataset, Sampling};
use crate::{InputError, Optimizer, Row, Scalar, TrainableNetwork};

use super::evaluate::accuracy_at;
use super::parallel::panic_message;
use super::{DataParallel, EpochStats, Event, History, StepStats, TrainError};

/// Loss history reserved up front at most: a run of a billion steps grows
/// its history as it goes instead of asking for gigabytes at the start.
const RESERVE: usize = 1 << 16;

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
/// iterations, accuracies after every epoch, one thread. A step whose loss,
/// gradient or updated parameters would not be finite stops the run with
/// [`TrainError::NonFinite`], and the net keeps the parameters of the step
/// before: it is never left with NaN weights. Training passes draw their
/// randomness (dropout masks) from the trainer's seed; evaluation runs in
/// inference mode.
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
    threads: usize,
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
            threads: 1,
        }
    }

    /// Trains on `n` threads, data-parallel (see [`DataParallel`]); 1 by
    /// default. `train` refuses 0 or more than
    /// [`MAX_THREADS`](super::MAX_THREADS).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
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

    /// The seed of the batch sampler and of the training passes'
    /// randomness (the net's initial weights have their own).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The optimizer (with its state, after a run).
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// Trains `net` on `train`, evaluating on `train` and `test` after each
    /// epoch (in inference mode), and calling `observe` after every step and
    /// epoch. On any error the net keeps the parameters of its last good
    /// step: also when `observe` panics, which stops the run with
    /// [`TrainError::ObserverPanicked`]. A sample that holds NaN or infinity,
    /// in either set, is refused before the first step
    /// ([`TrainError::NonFiniteSample`]).
    pub fn train<In, N, const C: usize>(
        &mut self,
        net: &mut N,
        train: &Dataset<In, C>,
        test: Option<&Dataset<In, C>>,
        mut observe: impl FnMut(Event),
    ) -> Result<History, TrainError>
    where
        In: Row<Scalar: Scalar>,
        N: TrainableNetwork<In, Out = [In::Scalar; C]> + Clone + Send + Sync + 'static,
        O: Optimizer<In::Scalar> + Clone + Send + 'static,
    {
        if train.is_empty() {
            return Err(TrainError::EmptyTrainingSet);
        }
        if self.batch == 0 {
            return Err(TrainError::ZeroBatchSize);
        }
        if self.batch > train.len() {
            return Err(TrainError::BatchTooLarge {
                batch: self.batch,
                samples: train.len(),
            });
        }
        for (set, data) in [("training", Some(train)), ("test", test)] {
            if let Some(Err(InputError::NonFinite { row, column })) = data.map(Dataset::check_finite) {
                return Err(TrainError::NonFiniteSample { set, row, column });
            }
        }
        let mut sampler = BatchSampler::try_new(self.sampling, train.len(), self.batch, self.seed)
            .map_err(|_| TrainError::ZeroBatchSize)?;
        let per_epoch = sampler.batches_per_epoch();
        let total_steps = match self.stop {
            Stop::Iterations(n) => n,
            Stop::Epochs(epochs) => epochs
                .checked_mul(per_epoch)
                .ok_or(TrainError::TooManySteps { epochs, per_epoch })?,
        };
        let mut parallel = DataParallel::new(
            net.clone(),
            self.optimizer.clone(),
            train.clone(),
            self.threads,
            self.seed,
        )?;
        let mut history = History {
            train_loss: Vec::with_capacity(total_steps.min(RESERVE)),
            ..History::default()
        };
        let mut indices = Vec::with_capacity(self.batch);
        let mut epoch_loss = 0.0;
        // a panicking observer ends the run with an error instead of
        // unwinding through it, so the net still gets the trained
        // parameters below
        let mut report = |event: Event, step: usize| {
            catch_unwind(AssertUnwindSafe(|| observe(event))).map_err(|payload| {
                let message = panic_message(&*payload);
                // a payload whose own drop panics must not unwind from here
                let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
                TrainError::ObserverPanicked { step, message }
            })
        };
        let evaluated = |set: &'static str| move |(row, column)| TrainError::NonFiniteSample { set, row, column };
        let mut run = || -> Result<(), TrainError> {
            for step in 0..total_steps {
                sampler.next_batch(&mut indices);
                let loss = parallel.step(&indices)?;
                history.train_loss.push(loss);
                epoch_loss += loss;
                let stats = StepStats {
                    step,
                    total_steps,
                    loss,
                };
                report(Event::Step(stats), step)?;
                if (step + 1) % per_epoch == 0 {
                    let net = parallel.net();
                    let stats = EpochStats {
                        epoch: (step + 1) / per_epoch,
                        steps: step + 1,
                        mean_loss: epoch_loss / per_epoch as f64,
                        train_acc: accuracy_at(&*net, train).map_err(evaluated("training"))?,
                        test_acc: test
                            .map(|test| accuracy_at(&*net, test))
                            .transpose()
                            .map_err(evaluated("test"))?,
                    };
                    drop(net);
                    epoch_loss = 0.0;
                    history.train_acc.push(stats.train_acc);
                    history.test_acc.extend(stats.test_acc);
                    history.epochs.push(stats);
                    report(Event::Epoch(stats), step)?;
                }
            }
            Ok(())
        };
        let outcome = run();
        let (trained, optimizer) = parallel.into_parts();
        *net = trained;
        self.optimizer = optimizer;
        outcome.map(|()| history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    type Net = Chain![Affine<[f32; 3], 2>, SoftmaxWithLoss<2>];

    fn net() -> Net {
        Affine::from_fn(|i, j| (i as f32 - j as f32) / 4.0, |_| 0.0).then(SoftmaxWithLoss)
    }

    fn data(nan_row: Option<usize>) -> Dataset<[f32; 3], 2> {
        let mut x = Batch::from_rows((0..8).map(|i| [i as f32 / 8.0, 1.0 - i as f32 / 8.0, 0.5]).collect());
        if let Some(row) = nan_row {
            x[row][2] = f32::NAN;
        }
        Dataset::new(x, Labels::from_slice(&[0, 1, 0, 1, 0, 1, 0, 1]).unwrap()).unwrap()
    }

    /// An observer that panics after ten good steps stops the run with an
    /// error that says so, and the net keeps those steps: it equals the
    /// net of a run of exactly that many steps.
    #[test]
    fn a_panicking_observer_keeps_the_steps_done() {
        for threads in [1, 2] {
            let trainer = || Trainer::new(Sgd::new(0.5)).batch_size(4).seed(3).threads(threads);
            let mut expected = net();
            trainer()
                .iterations(10)
                .train(&mut expected, &data(None), None, |_| {})
                .unwrap();

            let mut trained = net();
            let err = trainer()
                .iterations(100)
                .train(&mut trained, &data(None), None, |event| {
                    if let Event::Step(s) = event
                        && s.step == 9
                    {
                        panic!("the chart is full");
                    }
                })
                .unwrap_err();
            assert_eq!(
                err,
                TrainError::ObserverPanicked {
                    step: 9,
                    message: "the chart is full".into()
                }
            );
            assert_eq!(
                err.to_string(),
                "the observer panicked after step 9 (the chart is full); the net keeps the parameters of step 9"
            );
            assert_ne!(trained, net());
            assert_eq!(trained, expected, "{threads} threads");
        }
    }

    /// A NaN sample in the test set (or the training set) is refused before
    /// training, naming the set and the sample, instead of being scored.
    #[test]
    fn a_non_finite_sample_is_refused_before_training() {
        for (train, test, set, row) in [(None, Some(5), "test", 5), (Some(2), None, "training", 2)] {
            let mut trained = net();
            let err = Trainer::new(Sgd::new(0.5))
                .batch_size(4)
                .iterations(4)
                .train(&mut trained, &data(train), Some(&data(test)), |_| {})
                .unwrap_err();
            assert_eq!(err, TrainError::NonFiniteSample { set, row, column: 2 });
            assert_eq!(
                err.to_string(),
                format!("sample {row} of the {set} set has a non-finite value (NaN or infinity) at position 2")
            );
            assert_eq!(trained, net(), "nothing was trained");
        }
    }
}
