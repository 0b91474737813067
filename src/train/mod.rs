//! Mini-batch training on a data set, with the book's bookkeeping: the
//! [`Trainer`], data-parallel steps for any loop ([`DataParallel`]), and
//! evaluation in inference mode ([`accuracy`], [`predictions`]).

mod board;
mod error;
mod evaluate;
mod history;
mod parallel;
mod trainer;

pub use error::TrainError;
pub use evaluate::{accuracy, predictions};
pub use history::{EpochStats, Event, History, StepStats};
pub use parallel::{DataParallel, MAX_THREADS};
pub use trainer::{Stop, Trainer};
