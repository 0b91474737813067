//! What a training run records and reports as it goes.

/// One training step, as reported to an observer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// The step, from 0.
    pub step: usize,
    /// Steps in the whole run.
    pub total_steps: usize,
    /// The mini-batch loss before the update.
    pub loss: f64,
}

/// The end of an epoch: the book's per-epoch accuracies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochStats {
    /// The epoch, from 1.
    pub epoch: usize,
    /// Steps done so far.
    pub steps: usize,
    /// Mean mini-batch loss over the epoch's steps.
    pub mean_loss: f64,
    /// Accuracy on the whole training set.
    pub train_acc: f64,
    /// Accuracy on the test set, if one was given.
    pub test_acc: Option<f64>,
}

/// What a training run tells its observer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// A step finished.
    Step(StepStats),
    /// An epoch finished and was evaluated.
    Epoch(EpochStats),
}

/// The record of a training run (the book's `train_loss_list`,
/// `train_acc_list`, `test_acc_list`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The loss of every step.
    pub train_loss: Vec<f64>,
    /// Training-set accuracy after each epoch.
    pub train_acc: Vec<f64>,
    /// Test-set accuracy after each epoch (empty without a test set).
    pub test_acc: Vec<f64>,
    /// The full record of each epoch.
    pub epochs: Vec<EpochStats>,
}
