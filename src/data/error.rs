//! What can be wrong with a data file, and where.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error reading or checking a data set, naming the file it concerns.
#[derive(Debug)]
pub struct DataError {
    /// The file, when the data came from one.
    pub path: Option<PathBuf>,
    /// What is wrong.
    pub kind: DataErrorKind,
}

/// What is wrong with a data file.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataErrorKind {
    /// The file does not exist.
    Missing,
    /// The file could not be read.
    Io(io::Error),
    /// Something other than a regular file is at the path (a directory, a
    /// FIFO, a socket, a terminal or another device): refused without
    /// being read, and without waiting for a FIFO's writer.
    NotAFile {
        /// What is there: `"a directory"`, `"a FIFO"`, `"a character
        /// device"`, `"a block device"`, `"a socket"`.
        found: &'static str,
    },
    /// The file starts like gzip but does not decompress.
    Gzip(io::Error),
    /// The first four bytes are not the magic number of the expected kind
    /// of IDX file.
    WrongMagic {
        /// The magic number expected (0x803 for images, 0x801 for labels).
        expected: u32,
        /// The one found.
        found: u32,
    },
    /// The file ends inside its header.
    TruncatedHeader {
        /// Header bytes needed.
        needed: usize,
        /// Bytes present.
        found: usize,
    },
    /// The file ends before all the items its header announces.
    TruncatedBody {
        /// Data bytes the header announces.
        expected: u64,
        /// Data bytes present.
        found: u64,
    },
    /// The file has bytes after the items its header announces.
    TrailingBytes {
        /// Data bytes the header announces.
        expected: u64,
    },
    /// A gzip file's header announces more data than a file of its size
    /// can hold (deflate expands at most 1032-fold): refused before
    /// decompressing.
    TooLargeForGzip {
        /// Data bytes the header announces.
        expected: u64,
        /// The size of the compressed file.
        compressed: u64,
    },
    /// Bytes after the last gzip member that do not start another one.
    GzipTrailingBytes {
        /// Where they start in the compressed file.
        offset: u64,
    },
    /// The header announces more data than this machine can address.
    TooLarge {
        /// The dimensions in the header.
        dims: Vec<u32>,
    },
    /// The image and label files hold different numbers of items. The
    /// error's path is the label file's.
    CountMismatch {
        /// Images in the image file.
        images: usize,
        /// Labels in the label file.
        labels: usize,
        /// The image file, when the images came from one.
        images_path: Option<PathBuf>,
    },
    /// A label is not below the number of classes.
    LabelOutOfRange {
        /// Position of the label in the file.
        index: usize,
        /// Its value.
        label: i64,
        /// The number of classes (valid labels are `0..classes`).
        classes: usize,
    },
    /// The images are not the shape of the net's input rows.
    WidthMismatch {
        /// Rows per image in the file.
        rows: usize,
        /// Columns per image in the file.
        cols: usize,
        /// The dimensions of the net's input rows: `[width]` for a dense
        /// row (rows × cols must equal it), `[channels, height, width]` for
        /// an image (rows and cols must equal height and width, and IDX
        /// images have one channel).
        expected: Vec<usize>,
    },
}

impl DataError {
    pub(crate) fn new(path: Option<&Path>, kind: DataErrorKind) -> Self {
        DataError {
            path: path.map(Path::to_path_buf),
            kind,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        match &self.kind {
            DataErrorKind::Missing => write!(f, "file not found"),
            DataErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            DataErrorKind::NotAFile { found } => write!(f, "{found} is there, not a regular file"),
            DataErrorKind::Gzip(e) => write!(f, "not valid gzip: {e}"),
            DataErrorKind::WrongMagic { expected, found } => write!(
                f,
                "magic number {found:#010x} is not {expected:#010x} (an IDX {} file)",
                if *expected == super::idx::IMAGES_MAGIC {
                    "image"
                } else {
                    "label"
                }
            ),
            DataErrorKind::TruncatedHeader { needed, found } => {
                write!(f, "truncated header: {found} bytes where the header needs {needed}")
            }
            DataErrorKind::TruncatedBody { expected, found } => write!(
                f,
                "truncated: the header announces {expected} data bytes but only {found} follow"
            ),
            DataErrorKind::TrailingBytes { expected } => write!(
                f,
                "malformed: bytes follow the {expected} data bytes the header announces"
            ),
            DataErrorKind::TooLargeForGzip { expected, compressed } => write!(
                f,
                "truncated: the header announces {expected} data bytes, more than {compressed} bytes of gzip can hold"
            ),
            DataErrorKind::GzipTrailingBytes { offset } => write!(
                f,
                "malformed: the bytes from offset {offset} follow the gzip data but are not gzip"
            ),
            DataErrorKind::TooLarge { dims } => write!(f, "the header's dimensions {dims:?} are too large to load"),
            DataErrorKind::CountMismatch {
                images,
                labels,
                images_path,
            } => {
                write!(f, "{labels} labels for {images} images")?;
                match images_path {
                    Some(path) => write!(f, " in {}", path.display()),
                    None => Ok(()),
                }
            }
            DataErrorKind::LabelOutOfRange { index, label, classes } => write!(
                f,
                "label {label} at position {index} is out of range for {classes} classes (0..={})",
                classes.saturating_sub(1)
            ),
            DataErrorKind::WidthMismatch { rows, cols, expected } => match expected.as_slice() {
                [c, h, w] => write!(
                    f,
                    "images are {rows}×{cols} (1 channel) but the net takes {c}×{h}×{w} images ({c} channel{} of {h} rows of {w})",
                    if *c == 1 { "" } else { "s" }
                ),
                _ => write!(
                    f,
                    "images are {rows}×{cols} = {} pixels but the net takes {} inputs",
                    *rows as u64 * *cols as u64,
                    expected.iter().product::<usize>()
                ),
            },
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DataErrorKind::Io(e) | DataErrorKind::Gzip(e) => Some(e),
            _ => None,
        }
    }
}
