//! Why training stopped early.

use std::fmt;

use super::{NonFinite, NonFiniteStep};

/// A training run that could not go on. The net keeps the parameters of the
/// last good step.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// The training set has no samples.
    EmptyTrainingSet,
    /// The batch size is zero.
    ZeroBatchSize,
    /// A step produced a non-finite loss, gradient or parameter; the net
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
            TrainError::NonFinite { step, loss, what } => {
                write!(
                    f,
                    "step {step} produced {}",
                    NonFiniteStep {
                        loss: *loss,
                        what: *what
                    }
                )?;
                match (what, step) {
                    (_, 0) => write!(f, "; the net keeps its initial parameters"),
                    (NonFinite::Parameter(..), _) => {
                        write!(f, "; the parameters of step {} were restored", step - 1)
                    }
                    _ => write!(
                        f,
                        "; the update was not applied, the net keeps the parameters of step {}",
                        step - 1
                    ),
                }
            }
        }
    }
}

impl std::error::Error for TrainError {}
