//! Why training stopped early.

use std::fmt;

use crate::optim::NonFinite;

/// A training run, or one data-parallel step, that could not go on. After
/// [`NonFinite`](TrainError::NonFinite) the net keeps the parameters of the
/// last good step.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// The training set has no samples.
    EmptyTrainingSet,
    /// The batch size is zero.
    ZeroBatchSize,
    /// The batch size is larger than the training set.
    BatchTooLarge {
        /// The batch size asked for.
        batch: usize,
        /// Samples in the training set.
        samples: usize,
    },
    /// The run would take more steps than a counter holds.
    TooManySteps {
        /// The epochs asked for.
        epochs: usize,
        /// Steps per epoch.
        per_epoch: usize,
    },
    /// A batch index past the end of the data set.
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// Samples in the data set.
        samples: usize,
    },
    /// A thread count outside 1 to [`MAX_THREADS`](super::MAX_THREADS).
    ThreadCount {
        /// The count asked for.
        requested: usize,
    },
    /// The system refused to start a thread.
    Threads {
        /// Threads asked for.
        requested: usize,
        /// Threads running when it refused (all were stopped again).
        started: usize,
        /// The system's error.
        error: String,
    },
    /// A training thread panicked; the message is its panic's.
    ThreadPanicked(String),
    /// A sample of the training or the test set holds NaN or infinity:
    /// refused before training, since its loss, its scores and the
    /// accuracies would mean nothing.
    NonFiniteSample {
        /// `"training"` or `"test"`.
        set: &'static str,
        /// The sample's index in its set.
        row: usize,
        /// The position of the value in the sample.
        column: usize,
    },
    /// The observer given to [`Trainer::train`](super::Trainer::train)
    /// panicked; the run stopped there, and the net keeps the parameters of
    /// the step it was told about.
    ObserverPanicked {
        /// The last step applied (from 0).
        step: usize,
        /// The panic's message.
        message: String,
    },
    /// A step produced a non-finite loss or gradient, or an update that
    /// would make a parameter non-finite; it was not applied, and the net
    /// keeps the parameters of the step before.
    NonFinite {
        /// The step (from 0) that failed.
        step: usize,
        /// Its loss (NaN or infinite if the loss itself failed).
        loss: f64,
        /// What was not finite, and in which layer.
        what: NonFinite,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::EmptyTrainingSet => write!(f, "the training set is empty"),
            TrainError::ZeroBatchSize => write!(f, "the batch size is zero"),
            TrainError::BatchTooLarge { batch, samples } => {
                write!(
                    f,
                    "a batch of {batch} is larger than the training set ({samples} samples)"
                )
            }
            TrainError::TooManySteps { epochs, per_epoch } => {
                write!(
                    f,
                    "{epochs} epochs of {per_epoch} steps are more steps than can be counted"
                )
            }
            TrainError::IndexOutOfRange { index, samples } => {
                write!(f, "sample {index} asked for, but the data set has {samples}")
            }
            TrainError::ThreadCount { requested } => {
                write!(f, "{requested} threads asked for; choose 1 to {}", super::MAX_THREADS)
            }
            TrainError::Threads {
                requested,
                started,
                error,
            } => write!(
                f,
                "the system refused a training thread ({started} of {requested} running): {error}"
            ),
            TrainError::ThreadPanicked(message) => write!(f, "{message}"),
            TrainError::NonFiniteSample { set, row, column } => write!(
                f,
                "sample {row} of the {set} set has a non-finite value (NaN or infinity) at position {column}"
            ),
            TrainError::ObserverPanicked { step, message } => write!(
                f,
                "the observer panicked after step {step} ({message}); the net keeps the parameters of step {step}"
            ),
            TrainError::NonFinite { step, loss, what } => {
                write!(f, "step {step} produced {what} (loss ")?;
                // `{}` never uses an exponent: a loss of 1e300 would be 300 digits
                if *loss == 0.0 || !loss.is_finite() || (1e-4..1e16).contains(&loss.abs()) {
                    write!(f, "{loss}")?;
                } else {
                    write!(f, "{loss:e}")?;
                }
                write!(f, "); it was not applied")?;
                match step {
                    0 => write!(f, ", the net keeps its initial parameters"),
                    _ => write!(f, ", the net keeps the parameters of step {}", step - 1),
                }
            }
        }
    }
}

impl std::error::Error for TrainError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loss is printed as people write it, not as hundreds of digits.
    #[test]
    fn losses_print_readably() {
        let at = |loss| TrainError::NonFinite {
            step: 3,
            loss,
            what: NonFinite::Parameter(crate::Path::at(0), "W"),
        };
        let text = |loss| at(loss).to_string();
        assert!(text(1e300).contains("(loss 1e300)"), "{}", text(1e300));
        assert!(text(2.5).contains("(loss 2.5)"));
        assert!(text(f64::NAN).contains("(loss NaN)"));
        assert!(text(-3e-200).contains("(loss -3e-200)"));
    }
}
