//! A labelled data set in memory: images as rows of the net's input width,
//! labels checked against the class count, both checked once at load time.

use std::path::{Path, PathBuf};

use super::error::{DataError, DataErrorKind};
use super::idx::{IdxImages, read_images, read_labels};
use crate::{Batch, Labels, Row, Rows, Scalar};

/// How pixel bytes become inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pixels {
    /// Divided by 255, into [0, 1] (the book's `normalize=True`).
    #[default]
    Unit,
    /// Left as 0..=255 (the book's `normalize=False`).
    Raw,
}

/// The two files of one IDX split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxPair {
    /// The image file (magic 0x803).
    pub images: PathBuf,
    /// The label file (magic 0x801).
    pub labels: PathBuf,
}

/// The training and test files of an MNIST-style folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MnistFiles {
    /// Training images and labels.
    pub train: IdxPair,
    /// Test images and labels.
    pub test: IdxPair,
}

impl MnistFiles {
    /// Finds the files in `dir` under their usual names, gzipped or not:
    /// `train-images-idx3-ubyte` (or `train-images.idx3-ubyte`, or this
    /// crate's `train10k-images-idx3-ubyte`), `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`. Fashion-MNIST and
    /// KMNIST use the same names.
    pub fn find(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        let pair = |prefixes: &[&str]| -> Result<IdxPair, DataError> {
            Ok(IdxPair {
                images: find_one(dir, prefixes, "images", 3)?,
                labels: find_one(dir, prefixes, "labels", 1)?,
            })
        };
        Ok(MnistFiles {
            train: pair(&["train", "train10k"])?,
            test: pair(&["t10k"])?,
        })
    }
}

fn find_one(dir: &Path, prefixes: &[&str], what: &str, dims: u8) -> Result<PathBuf, DataError> {
    let mut candidates = Vec::new();
    for prefix in prefixes {
        for sep in ["-", "."] {
            for ext in ["", ".gz"] {
                candidates.push(dir.join(format!("{prefix}-{what}{sep}idx{dims}-ubyte{ext}")));
            }
        }
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| DataError::new(Some(&candidates[1]), DataErrorKind::Missing))
}

/// Images with their labels: rows `X` (e.g. `[f32; 784]`) and `N` classes.
///
/// ```no_run
/// use typenet::data::{Dataset, MnistFiles, Pixels};
///
/// let files = MnistFiles::find("data/mnist")?;
/// let train = Dataset::<[f32; 784], 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
/// println!("{} training images", train.len());
/// # Ok::<(), typenet::data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<X: Row, const N: usize> {
    images: Batch<X>,
    labels: Labels<N>,
}

impl<T: Scalar, const W: usize, const N: usize> Dataset<[T; W], N> {
    /// Reads an image file and a label file (raw or gzipped IDX) and checks
    /// them against each other and against this data set's type: images of
    /// `W` pixels, as many labels as images, every label below `N`.
    pub fn load(images: impl AsRef<Path>, labels: impl AsRef<Path>, pixels: Pixels) -> Result<Self, DataError> {
        let (images_path, labels_path) = (images.as_ref(), labels.as_ref());
        let images = read_images(images_path)?;
        let labels = read_labels(labels_path)?;
        Self::from_idx(&images, &labels, pixels).map_err(|mut e| {
            e.path = Some(match e.kind {
                DataErrorKind::LabelOutOfRange { .. } => labels_path.to_path_buf(),
                _ => images_path.to_path_buf(),
            });
            e
        })
    }

    /// Builds the data set from parsed IDX contents, with the checks of
    /// [`load`](Self::load).
    pub fn from_idx(images: &IdxImages, labels: &[u8], pixels: Pixels) -> Result<Self, DataError> {
        let width = images.rows as u64 * images.cols as u64;
        if width != W as u64 {
            return Err(DataError::new(
                None,
                DataErrorKind::WidthMismatch {
                    rows: images.rows,
                    cols: images.cols,
                    expected: W,
                },
            ));
        }
        if images.count != labels.len() {
            return Err(DataError::new(
                None,
                DataErrorKind::CountMismatch {
                    images: images.count,
                    labels: labels.len(),
                },
            ));
        }
        let labels = Labels::<N>::from_slice(labels).map_err(|e| {
            DataError::new(
                None,
                DataErrorKind::LabelOutOfRange {
                    index: e.index,
                    label: e.label,
                    classes: e.classes,
                },
            )
        })?;
        let scale = T::of(match pixels {
            Pixels::Unit => 1.0 / 255.0,
            Pixels::Raw => 1.0,
        });
        let mut rows = Batch::<[T; W]>::zeros(images.count);
        for (row, bytes) in rows.as_mut_slice().iter_mut().zip(&images.pixels) {
            *row = T::of(*bytes as f64) * scale;
        }
        Ok(Dataset { images: rows, labels })
    }
}

impl<X: Row, const N: usize> Dataset<X, N> {
    /// A data set from rows and labels already in memory; `None` if their
    /// counts differ.
    pub fn new(images: Batch<X>, labels: Labels<N>) -> Option<Self> {
        (images.nrows() == labels.len()).then_some(Dataset { images, labels })
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All images, one row each.
    pub fn images(&self) -> &Batch<X> {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &Labels<N> {
        &self.labels
    }

    /// The first `n` samples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Dataset {
            images: Batch::from_slice(&self.images.rows()[..n]),
            labels: self.labels.slice(0..n),
        }
    }

    /// Copies the samples at `indices` into a batch and its labels (resized
    /// to `indices.len()` rows when `R` is `Dyn`).
    ///
    /// # Panics
    /// If an index is out of range, or `R` is `Const<B>` with `B` different
    /// from `indices.len()`.
    pub fn gather<R: Rows>(&self, indices: &[usize], x: &mut Batch<X, R>, t: &mut Labels<N, R>) {
        x.set_rows(indices.len());
        t.set_len(indices.len());
        assert_eq!(
            x.nrows(),
            indices.len(),
            "batch of {} rows for {} indices",
            x.nrows(),
            indices.len()
        );
        let images = self.images.rows();
        for (k, &i) in indices.iter().enumerate() {
            x[k] = images[i];
            t.set(k, self.labels.raw(i));
        }
    }
}
