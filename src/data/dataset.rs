//! A labelled data set in memory: images as rows of the net's input width,
//! labels checked against the class count, both checked once at load time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{DataError, DataErrorKind};
use super::idx::{self, IMAGES_MAGIC, IdxImages, LABELS_MAGIC, with_path};
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
    /// the memory traffic per batch. (A `Vec`, so that the bytes read from
    /// a file are kept without a copy.)
    Bytes { pixels: Arc<Vec<u8>>, scale: X::Scalar },
    /// Rows already in the scalar type.
    Rows(Arc<Batch<X>>),
}

impl<X: Row<Scalar: Scalar>, const N: usize> Dataset<X, N> {
    /// Reads an image file and a label file (raw or gzipped IDX) and checks
    /// them against each other and against this data set's type: images of
    /// `X::WIDTH` pixels (and of `X`'s height and width, with one channel,
    /// for an [`Image`](crate::Image)), as many labels as images, every
    /// label below `N`.
    ///
    /// Both headers are read and checked before either file's data: a file
    /// that does not fit is refused without being decompressed or read.
    /// An error's path is the file at fault; for a count mismatch it is
    /// the label file, and the message names the image file too.
    pub fn load(images: impl AsRef<Path>, labels: impl AsRef<Path>, pixels: Pixels) -> Result<Self, DataError> {
        let (images_path, labels_path) = (images.as_ref(), labels.as_ref());
        let images = idx::open_file(images_path, IMAGES_MAGIC, 3)?;
        let (count, rows, cols) = (images.dims()[0], images.dims()[1], images.dims()[2]);
        check_shape::<X>(rows as usize, cols as usize).map_err(|e| with_path(e, images_path))?;
        let labels = idx::open_file(labels_path, LABELS_MAGIC, 1)?;
        check_count(count as usize, labels.dims()[0] as usize, Some(images_path))
            .map_err(|e| with_path(e, labels_path))?;
        let images = images.read_data().map_err(|e| with_path(e, images_path))?;
        let labels = labels.read_data().map_err(|e| with_path(e, labels_path))?;
        Self::from_checked(images, &labels, pixels).map_err(|e| with_path(e, labels_path))
    }

    /// Builds the data set from parsed IDX contents, with the checks of
    /// [`load`](Self::load).
    pub fn from_idx(images: &IdxImages, labels: &[u8], pixels: Pixels) -> Result<Self, DataError> {
        check_shape::<X>(images.rows(), images.cols())?;
        check_count(images.count(), labels.len(), None)?;
        Self::from_checked(images.pixels().to_vec(), labels, pixels)
    }

    /// The data set of `pixels` (already checked to be as many images of
    /// `X`'s shape as there are labels) and `labels`, checking the labels.
    fn from_checked(pixels: Vec<u8>, labels: &[u8], mode: Pixels) -> Result<Self, DataError> {
        debug_assert_eq!(Some(pixels.len()), labels.len().checked_mul(X::WIDTH));
        let labels = Labels::<N>::from_slice(labels).map_err(|e| {
            DataError::new(
                None,
                DataErrorKind::LabelOutOfRange {
                    index: e.index,
                    label: i64::try_from(e.label).unwrap_or(i64::MAX),
                    classes: e.classes,
                },
            )
        })?;
        let scale = X::Scalar::of(match mode {
            Pixels::Unit => 1.0 / 255.0,
            Pixels::Raw => 1.0,
        });
        Ok(Dataset {
            samples: Samples::Bytes {
                pixels: Arc::new(pixels),
                scale,
            },
            labels: Arc::new(labels),
        })
    }

    /// A data set from rows and labels already in memory.
    ///
    /// # Errors
    /// [`InputError::RowCount`](crate::InputError::RowCount) if their
    /// counts differ.
    pub fn new(images: Batch<X>, labels: Labels<N>) -> Result<Self, crate::InputError> {
        if images.nrows() != labels.len() {
            return Err(crate::InputError::RowCount {
                inputs: images.nrows(),
                targets: labels.len(),
            });
        }
        Ok(Dataset {
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
                crate::kernels::from_bytes(*scale, bytes, row.as_mut_slice());
            }
        }
    }

    /// `Err` naming the first sample that holds NaN or infinity, and where
    /// in it (samples read from IDX bytes never do).
    pub(crate) fn check_finite(&self) -> Result<(), crate::InputError> {
        match &self.samples {
            Samples::Rows(rows) => crate::model::check_finite(rows),
            Samples::Bytes { .. } => Ok(()),
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
                pixels: Arc::new(pixels[..n * X::WIDTH].to_vec()),
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
    /// If an index is not below [`len`](Self::len) (the message names it;
    /// indices come from a [`BatchSampler`](super::BatchSampler) over this
    /// data set, so one out of range is a bug, not bad data), or `R` is
    /// `Const<B>` with `B` different from `indices.len()`.
    pub fn gather<R: Rows>(&self, indices: &[usize], x: &mut Batch<X, R>, t: &mut Labels<N, R>) {
        if let Some(&i) = indices.iter().find(|&&i| i >= self.len()) {
            panic!(
                "Dataset::gather: index {i} is out of range for a data set of {} samples",
                self.len()
            );
        }
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

/// Checks that IDX images of `rows × cols` are rows `X`: `X::WIDTH` pixels,
/// and for an image row one channel of exactly its height and width.
fn check_shape<X: Row>(rows: usize, cols: usize) -> Result<(), DataError> {
    let fits = match X::DIMS {
        [c, h, w] => *c == 1 && rows == *h && cols == *w,
        _ => rows.checked_mul(cols) == Some(X::WIDTH),
    };
    if fits {
        Ok(())
    } else {
        Err(DataError::new(
            None,
            DataErrorKind::WidthMismatch {
                rows,
                cols,
                expected: X::DIMS.to_vec(),
            },
        ))
    }
}

/// Checks that there are as many labels as images.
fn check_count(images: usize, labels: usize, images_path: Option<&Path>) -> Result<(), DataError> {
    if images == labels {
        Ok(())
    } else {
        Err(DataError::new(
            None,
            DataErrorKind::CountMismatch {
                images,
                labels,
                images_path: images_path.map(Path::to_path_buf),
            },
        ))
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
