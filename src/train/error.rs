//! Why training stopped early.

use std::fmt;

/// A training run that could not go on. The net keeps the parameters of the
/// last good step.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// The training set has no samples.
    EmptyTrainingSet,
    /// The batch size is zero.
    ZeroBatchSize,
    /// A step produced a non-finite loss or gradient; its update was not
    /// applied.
    NonFinite {
        /// The step (from 0) that failed.
        step: usize,
        /// Its loss (NaN or infinite if the loss itself failed).
        loss: f64,
        /// The first parameter whose gradient is not finite: (layer, name).
        tensor: Option<(usize, &'static str)>,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::EmptyTrainingSet => write!(f, "the training set is empty"),
            TrainError::ZeroBatchSize => write!(f, "the batch size is zero"),
            TrainError::NonFinite { step, loss, tensor } => {
                write!(f, "step {step} produced a non-finite ")?;
                match tensor {
                    Some((layer, name)) => write!(f, "gradient for {name} of layer {layer} (loss {loss})")?,
                    None => write!(f, "loss ({loss})")?,
                }
                write!(
                    f,
                    "; the update was not applied, the net keeps the parameters of step {}",
                    step.saturating_sub(1)
                )
            }
        }
    }
}

impl std::error::Error for TrainError {}
