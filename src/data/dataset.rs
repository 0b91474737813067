//! A labelled data set in memory: images as rows of the net's input width,
//! labels checked against the class count, both checked once at load time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{DataError, DataErrorKind};
use super::idx::{IdxImages, read_images, read_labels};
use crate::kernels::Kernels;
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

/// Images with their labels: rows `X` (e.g. `[f32; 784]`, or
/// `Image<f32, 1, 28, 28>`) and `N` classes. Cloning shares the samples.
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
    samples: Samples<X>,
    labels: Arc<Labels<N>>,
}

/// How the samples are held.
#[derive(Clone, Debug, PartialEq)]
enum Samples<X: Row> {
    /// Pixel bytes as the IDX file has them, scaled when a batch is
    /// gathered: a quarter of the memory of `f32` rows, and a quarter of
    /// the memory traffic per batch.
    Bytes { pixels: Arc<[u8]>, scale: X::Scalar },
    /// Rows already in the scalar type.
    Rows(Arc<Batch<X>>),
}

impl<X: Row, const N: usize> Dataset<X, N> {
    /// Reads an image file and a label file (raw or gzipped IDX) and checks
    /// them against each other and against this data set's type: images of
    /// `X::WIDTH` pixels (and of `X`'s height and width, for an
    /// [`Image`](crate::Image)), as many labels as images, every label below
    /// `N`.
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
        let shape_fits = match X::DIMS {
            [_, h, w] => images.rows == *h && images.cols == *w,
            _ => width == X::WIDTH as u64,
        };
        if !shape_fits || width != X::WIDTH as u64 {
            return Err(DataError::new(
                None,
                DataErrorKind::WidthMismatch {
                    rows: images.rows,
                    cols: images.cols,
                    expected: X::DIMS.to_vec(),
                },
            ));
        }
        let announced = images.count as u64 * width;
        if images.pixels.len() as u64 != announced {
            return Err(DataError::new(
                None,
                DataErrorKind::TruncatedBody {
                    expected: announced,
                    found: images.pixels.len() as u64,
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
                    label: e.label as i64,
                    classes: e.classes,
                },
            )
        })?;
        let scale = X::Scalar::of(match pixels {
            Pixels::Unit => 1.0 / 255.0,
            Pixels::Raw => 1.0,
        });
        Ok(Dataset {
            samples: Samples::Bytes {
                pixels: images.pixels.as_slice().into(),
                scale,
            },
            labels: Arc::new(labels),
        })
    }

    /// A data set from rows and labels already in memory; `None` if their
    /// counts differ.
    pub fn new(images: Batch<X>, labels: Labels<N>) -> Option<Self> {
        (images.nrows() == labels.len()).then(|| Dataset {
            samples: Samples::Rows(Arc::new(images)),
            labels: Arc::new(labels),
        })
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Sample `i` as a row of the net's input, or `None` past the end.
    pub fn image(&self, i: usize) -> Option<X> {
        (i < self.len()).then(|| {
            let mut row = X::ZERO;
            self.write_row(i, &mut row);
            row
        })
    }

    /// All samples as one batch (a copy).
    pub fn to_batch(&self) -> Batch<X> {
        let mut batch = Batch::zeros(self.len());
        for (i, row) in batch.rows_mut().iter_mut().enumerate() {
            self.write_row(i, row);
        }
        batch
    }

    fn write_row(&self, i: usize, row: &mut X) {
        match &self.samples {
            Samples::Rows(rows) => *row = rows[i],
            Samples::Bytes { pixels, scale } => {
                let bytes = &pixels[i * X::WIDTH..(i + 1) * X::WIDTH];
                X::Scalar::from_bytes(*scale, bytes, row.as_mut_slice());
            }
        }
    }

    /// All labels.
    pub fn labels(&self) -> &Labels<N> {
        &self.labels
    }

    /// The first `n` samples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        let samples = match &self.samples {
            Samples::Rows(rows) => Samples::Rows(Arc::new(Batch::from_slice(&rows.rows()[..n]))),
            Samples::Bytes { pixels, scale } => Samples::Bytes {
                pixels: pixels[..n * X::WIDTH].into(),
                scale: *scale,
            },
        };
        Dataset {
            samples,
            labels: Arc::new(self.labels.slice(0..n)),
        }
    }

    /// Asks the CPU to start loading the samples at `indices` into cache.
    /// Indices out of range are ignored; nothing is read.
    fn prefetch(&self, indices: &[usize]) {
        for &i in indices {
            let range = i.saturating_mul(X::WIDTH)..i.saturating_add(1).saturating_mul(X::WIDTH);
            match &self.samples {
                Samples::Bytes { pixels, .. } => prefetch_lines(pixels.get(range).unwrap_or(&[])),
                Samples::Rows(rows) => prefetch_lines(rows.as_slice().get(range).unwrap_or(&[])),
            }
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
        for (k, &i) in indices.iter().enumerate() {
            // rows picked at random are cache misses: ask for a few rows
            // ahead so their loads overlap with this row's conversion
            self.prefetch(indices.get(k + GATHER_AHEAD..k + GATHER_AHEAD + 1).unwrap_or(&[]));
            self.write_row(i, &mut x[k]);
            t.set(k, self.labels.raw(i));
        }
    }
}

/// How many rows ahead `gather` asks for.
const GATHER_AHEAD: usize = 3;

/// Hints that the cache lines of `data` will be read soon.
fn prefetch_lines<E>(data: &[E]) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let bytes = core::mem::size_of_val(data);
        let start = data.as_ptr().cast::<i8>();
        for offset in (0..bytes).step_by(64) {
            // SAFETY: a prefetch never faults and reads nothing into the
            // program's state; the address is inside `data`. It needs only
            // SSE, which every x86-64 CPU has.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}
