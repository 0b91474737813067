//! Mini-batch training on a data set, with the book's bookkeeping.

mod error;
mod evaluate;
mod history;
mod replicas;
mod trainer;

pub use error::TrainError;
pub use evaluate::{accuracy, predictions};
pub use history::{EpochStats, Event, History, StepStats};
pub use replicas::{NonFinite, NonFiniteStep, Replicas, with_replicas};
pub use trainer::{Stop, Trainer};
