//! What can be wrong with a saved model, and where.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// An error saving or loading a model's parameters. Loading never changes
/// the target net when it fails.
#[derive(Debug)]
pub struct ModelError {
    /// The file, when there is one.
    pub path: Option<PathBuf>,
    /// What is wrong.
    pub kind: ModelErrorKind,
}

/// What is wrong with a model file.
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelErrorKind {
    /// The file does not exist.
    Missing,
    /// The file could not be read or written.
    Io(io::Error),
    /// The file ends before its header or data does.
    Truncated {
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        found: u64,
    },
    /// The header is not valid safetensors JSON.
    Header(String),
    /// The tensors' byte ranges are out of bounds, overlap, leave gaps, or
    /// do not match their shapes.
    Layout(String),
    /// The net has a parameter the file does not.
    MissingTensor {
        /// The tensor's name.
        tensor: String,
        /// A tensor of the file that looks like this one under another
        /// layer number (a layer added or removed before it), if any.
        shifted: Option<String>,
    },
    /// The file records a net of other layers than this one (a `Sigmoid`
    /// where this net has a `Relu`, say), which would load the numbers into
    /// the wrong computation.
    Architecture {
        /// The first layer that differs, by position.
        layer: usize,
        /// That layer as the file records it (empty if the file has fewer).
        file: String,
        /// That layer in this net (empty if the net has fewer).
        net: String,
    },
    /// The file has a tensor the net does not.
    UnexpectedTensor {
        /// The tensor's name.
        tensor: String,
    },
    /// A tensor's element type differs from the net's.
    Dtype {
        /// The tensor's name.
        tensor: String,
        /// The net's type (`"F32"` or `"F64"`).
        expected: &'static str,
        /// The file's.
        found: String,
    },
    /// A tensor's shape differs from the net's parameter.
    Shape {
        /// The tensor's name.
        tensor: String,
        /// The net's shape.
        expected: Vec<usize>,
        /// The file's.
        found: Vec<usize>,
    },
    /// A tensor holds NaN or infinity.
    NonFinite {
        /// The tensor's name.
        tensor: String,
    },
    /// A BatchNorm's running variance holds a negative value, which would
    /// make the layer's outputs NaN.
    NegativeVariance {
        /// The tensor's name.
        tensor: String,
    },
    /// A tensor of the net is missing from a file whose tensors are named
    /// as PyTorch names them: a `state_dict`, which
    /// [`load_pytorch`](super::load_pytorch) reads.
    PyTorchNames {
        /// The net's tensor that is missing.
        tensor: String,
        /// One of the file's tensors, in PyTorch's form (`"0.weight"`).
        example: String,
    },
    /// Two PyTorch modules whose names spell the same number (`"0"` and
    /// `"00"` or `"+0"`), so which is which module cannot be told.
    AmbiguousModules {
        /// The one in PyTorch's own form, `"0"`.
        first: String,
        /// The other.
        second: String,
    },
    /// Two PyTorch modules whose order in the model cannot be told from
    /// their names (siblings that are named, not numbered: `"features"` and
    /// `"classifier"`); [`load_pytorch_ordered`](super::load_pytorch_ordered)
    /// takes the order.
    UnorderedModules {
        /// One of them.
        first: String,
        /// The other.
        second: String,
    },
    /// Something other than a regular file is at the path (a directory, a
    /// FIFO, a device, a socket), or the path names no file at all; saving
    /// refuses to replace it and leaves it as it was.
    NotAFile {
        /// What is there: `"a directory"`, `"a FIFO"`, `"a character
        /// device"`, `"a block device"`, `"a socket"`, `"no file name"`.
        found: &'static str,
    },
    /// The path is a symbolic link to nothing; saving does not create the
    /// file it names (as `cp` does not write through a dangling link).
    DanglingLink {
        /// What the link points to.
        target: PathBuf,
    },
    /// The file is larger than any file a net of this type can need, and is
    /// refused before it is read whole.
    TooLarge {
        /// The file's size, or `None` for a file that grew past the limit
        /// while it was read.
        size: Option<u64>,
        /// The largest file a net of this type can need, in bytes.
        size_limit: u64,
    },
    /// The file is not a `.tflite` model that can be read.
    Tflite(super::tflite::TfliteError),
    /// A `.tflite` operator does not match the net's layer at its place
    /// (another kind, another window or activation, another data flow, a
    /// quantization the layer cannot take), or one of the two has
    /// operators the other lacks.
    Operator {
        /// The operator's index in the file's main graph (its count of
        /// operators, when the net has more layers).
        index: usize,
        /// The operator's type (`"CONV_2D"`), empty when there is none.
        operator: String,
        /// The net's layer, by position and type (`"3 (int8::Conv2d)"`),
        /// empty when there is none.
        layer: String,
        /// What differs.
        message: String,
    },
    /// A `.tflite` tensor's shape differs from what the net's layer needs.
    OperatorShape {
        /// The operator's index in the file's main graph.
        index: usize,
        /// The operator's type.
        operator: String,
        /// The tensor's name in the file.
        tensor: String,
        /// The shape the net's layer needs, in TFLite's layout.
        expected: Box<[usize]>,
        /// The file's shape.
        found: Box<[usize]>,
    },
}

impl ModelError {
    pub(crate) fn new(kind: ModelErrorKind) -> Self {
        ModelError { path: None, kind }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) if path.as_os_str().is_empty() => f.write_str("the empty path: ")?,
            Some(path) => write!(f, "{}: ", path.display())?,
            None => {}
        }
        match &self.kind {
            ModelErrorKind::Missing => write!(f, "file not found"),
            ModelErrorKind::Io(e) => write!(f, "{e}"),
            ModelErrorKind::Truncated { needed, found } => {
                write!(f, "truncated: {found} bytes where {needed} are needed")
            }
            ModelErrorKind::Header(why) => write!(f, "bad safetensors header: {why}"),
            ModelErrorKind::Layout(why) => write!(f, "bad tensor layout: {why}"),
            ModelErrorKind::MissingTensor { tensor, shifted } => {
                write!(f, "tensor {tensor:?} is missing")?;
                if let Some(other) = shifted {
                    write!(
                        f,
                        "; the file has {other:?} of that shape instead: was it saved from a net with a layer more or fewer before this one?"
                    )?;
                }
                Ok(())
            }
            ModelErrorKind::Architecture { layer, file, net } => {
                let or_none = |s: &str| {
                    if s.is_empty() {
                        "nothing".to_string()
                    } else {
                        format!("`{s}`")
                    }
                };
                write!(
                    f,
                    "the file holds a different net: layer {layer} is {} in the file and {} in this net",
                    or_none(file),
                    or_none(net)
                )
            }
            ModelErrorKind::UnexpectedTensor { tensor } => {
                write!(f, "tensor {tensor:?} is not a parameter of this net")
            }
            ModelErrorKind::Dtype {
                tensor,
                expected,
                found,
            } => {
                write!(f, "tensor {tensor:?} is {found}, the net's parameters are {expected}")
            }
            ModelErrorKind::Shape {
                tensor,
                expected,
                found,
            } => {
                write!(
                    f,
                    "tensor {tensor:?} has shape {found:?}, the net's parameter has {expected:?}"
                )
            }
            ModelErrorKind::NonFinite { tensor } => write!(f, "tensor {tensor:?} holds NaN or infinity"),
            ModelErrorKind::NegativeVariance { tensor } => {
                write!(f, "tensor {tensor:?} holds a negative variance")
            }
            ModelErrorKind::PyTorchNames { tensor, example } => write!(
                f,
                "tensor {tensor:?} is missing, and the file names its tensors as PyTorch does ({example:?}): \
                 read it with typenet::io::load_pytorch, which maps PyTorch's names and layouts to typenet's"
            ),
            ModelErrorKind::AmbiguousModules { first, second } => write!(
                f,
                "modules {first:?} and {second:?} spell the same number, so which layer each one fills cannot be told"
            ),
            ModelErrorKind::UnorderedModules { first, second } => write!(
                f,
                "the names of modules {first:?} and {second:?} do not say which comes first in the model \
                 (only numbered names do, as nn.Sequential's): give the order with typenet::io::load_pytorch_ordered"
            ),
            ModelErrorKind::NotAFile { found: "no file name" } => {
                write!(f, "the path names no file")
            }
            ModelErrorKind::NotAFile { found } => {
                write!(f, "{found} is there, not a regular file; it was left as it was")
            }
            ModelErrorKind::DanglingLink { target } => write!(
                f,
                "a symbolic link to {}, which does not exist; not writing through it",
                target.display()
            ),
            ModelErrorKind::TooLarge { size, size_limit } => {
                match size {
                    Some(size) => write!(f, "{size} bytes")?,
                    None => write!(f, "more than {size_limit} bytes")?,
                }
                write!(
                    f,
                    ", larger than any model file of this net can be ({size_limit} bytes at most): is it the right file?"
                )
            }
            ModelErrorKind::Tflite(e) => write!(f, "{e}"),
            ModelErrorKind::Operator {
                index,
                operator,
                layer,
                message,
            } => {
                match (operator.is_empty(), layer.is_empty()) {
                    (false, false) => write!(f, "operator {index} ({operator}) against layer {layer}: ")?,
                    (false, true) => write!(f, "operator {index} ({operator}): ")?,
                    (true, false) => write!(f, "layer {layer}: ")?,
                    (true, true) => {}
                }
                f.write_str(message)
            }
            ModelErrorKind::OperatorShape {
                index,
                operator,
                tensor,
                expected,
                found,
            } => write!(
                f,
                "operator {index} ({operator}): tensor {tensor:?} has shape {found:?}, the net's layer needs {expected:?}"
            ),
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ModelErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
