//! The flags that choose the data, and loading the MNIST-style IDX files
//! they point at.

use std::path::PathBuf;

use typenet::data::{DataError, Dataset, MnistFiles, Pixels};
use typenet::{Row, Scalar};

use super::cli::Flags;

/// The data flags, described for `--help`.
pub const USAGE: &str = "\
Data (MNIST-style IDX files, raw or .gz; 28×28 images, labels 0 to 9):
  --data DIR            folder with train-/t10k- images and labels
                        (default: the MNIST copy in this repository)
  --train-images FILE   one file instead of the one in --data (any of the four)
  --train-labels FILE
  --test-images FILE    a test set with no images is allowed: no test accuracy
  --test-labels FILE
";

/// Flag names [`load`] reads.
pub const FLAGS: [&str; 5] = ["data", "train-images", "train-labels", "test-images", "test-labels"];

/// The training and test sets, and where they came from.
pub struct Data<X: Row> {
    /// The training set, never empty.
    pub train: Dataset<X, 10>,
    /// The test set, possibly empty.
    pub test: Dataset<X, 10>,
    /// The training images' file.
    pub train_images: PathBuf,
    /// The test images' file.
    pub test_images: PathBuf,
}

impl<X: Row<Scalar: Scalar>> Data<X> {
    /// The test set, or `None` if it has no images.
    pub fn test(&self) -> Option<&Dataset<X, 10>> {
        (!self.test.is_empty()).then_some(&self.test)
    }
}

/// The training and test sets the flags point at, checked against the
/// rows `X` (784 pixels, or a 1×28×28 image): every error names its file.
pub fn load<X: Row<Scalar: Scalar>>(flags: &Flags) -> Result<Data<X>, DataError> {
    let explicit: Vec<Option<PathBuf>> = FLAGS[1..].iter().map(|f| flags.path(f)).collect();
    let found = if explicit.iter().all(Option::is_some) {
        None
    } else {
        let dir = flags
            .path("data")
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/mnist"));
        Some(MnistFiles::find(dir)?)
    };
    let file = |k: usize| -> PathBuf {
        match (&explicit[k], &found) {
            (Some(given), _) => given.clone(),
            (None, Some(f)) => [&f.train.images, &f.train.labels, &f.test.images, &f.test.labels][k].clone(),
            (None, None) => unreachable!("the folder is searched unless all four files are given"),
        }
    };
    let train = Dataset::load(file(0), file(1), Pixels::Unit)?;
    let test = Dataset::load(file(2), file(3), Pixels::Unit)?;
    Ok(Data {
        train,
        test,
        train_images: file(0),
        test_images: file(2),
    })
}
