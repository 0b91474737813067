//! A net's parameters in the safetensors format, which PyTorch, candle and
//! burn read.
//!
//! The file holds one tensor per parameter, named `"{layer}.{param}"` with
//! `layer` the layer's [`Path`](crate::Path) (its position in the chain,
//! activations counted; `3.0` inside a block at 3) and `param` the book's
//! name: `"0.W"` with shape `[IN, OUT]` and `"0.b"` with shape `[OUT]`, in
//! the tensor's element type (`F32`, `F64`, or `I8`/`I32` for a quantized
//! net), little-endian. W is the book's layout (one row per input);
//! PyTorch's `nn.Linear` stores the transpose, so `linear.weight = W.T`.
//! The metadata records the layer list under `"typenet"`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::error::{ModelError, ModelErrorKind};
use super::file;
use super::json::{self, Json};
use crate::model::sequence_start;
use crate::{Dtype, ParamKind, Path as LayerPath, Tensors};

/// The file name of tensor `param` of the layer at `layer`: `"3.W"`,
/// `"3.0.W"`.
pub fn tensor_name(layer: LayerPath, param: &str) -> String {
    format!("{layer}.{param}")
}

/// `true` if little-endian `bytes` of `dtype` are all finite values.
pub(crate) fn finite_bytes(dtype: Dtype, bytes: &[u8]) -> bool {
    match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .all(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite()),
        Dtype::F64 => bytes.chunks_exact(8).all(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            f64::from_le_bytes(a).is_finite()
        }),
        Dtype::I8 | Dtype::U8 | Dtype::I32 => true,
    }
}

/// One line per layer, as the file's metadata records the architecture:
/// the layer's kind, indented by two spaces per nesting level.
pub(crate) fn architecture<L: Tensors + ?Sized>(net: &L) -> Vec<String> {
    let mut layers = Vec::new();
    net.layers(sequence_start::<L>(LayerPath::ROOT), &mut |at, kind| {
        layers.push(format!("{}{kind}", "  ".repeat(at.depth())))
    });
    layers
}

/// The safetensors bytes of `net`'s tensors (parameters and buffers), with
/// its architecture in the metadata.
///
/// # Errors
/// [`ModelErrorKind::NonFinite`] if a tensor holds NaN or infinity.
pub fn to_bytes<L: Tensors + ?Sized>(net: &L) -> Result<Vec<u8>, ModelError> {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    let mut bad = None;
    net.tensors(&mut |t| {
        let name = tensor_name(t.layer, t.name);
        if bad.is_none() && !t.value.all_finite() {
            bad = Some(name.clone());
        }
        let begin = data.len();
        t.value.extend_le_bytes(&mut data);
        let shape: Vec<String> = t.shape.dims().iter().map(usize::to_string).collect();
        entries.push(format!(
            "{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{begin},{}]}}",
            json::quote(&name),
            t.value.dtype().safetensors_name(),
            shape.join(","),
            data.len()
        ));
    });
    if let Some(tensor) = bad {
        return Err(ModelError::new(ModelErrorKind::NonFinite { tensor }));
    }
    let metadata = format!(
        "\"__metadata__\":{{\"format\":\"pt\",\"typenet\":{}}}",
        json::quote(&architecture(net).join(" | "))
    );
    entries.insert(0, metadata);
    let mut header = format!("{{{}}}", entries.join(","));
    // the data starts 8-aligned, as safetensors' own writer does it
    while (8 + header.len()) % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    Ok(out)
}

/// Writes `net`'s tensors to `path` atomically: to a new temporary file in
/// the target's folder (a fresh, unpredictable name, created exclusively,
/// so concurrent saves never share one and nothing planted there is
/// followed), flushed to disk, then renamed over the target, so a crash or
/// a concurrent save leaves one complete file at `path`, never half of one
/// or a mix of two. On any error nothing at `path` has changed and the
/// temporary file is removed.
///
/// What is at `path` decides what is replaced:
/// - nothing: a new file, with the usual permissions of a new file;
/// - a regular file: replaced by the new one, which keeps its permission
///   bits (a `0600` file stays `0600`; on Unix) but not set-user-ID,
///   set-group-ID or sticky (a `4755` file becomes `0755`: a file this
///   process wrote must not run with its old owner's rights); its owner
///   becomes the saving user, and other hard links to it keep the old
///   contents;
/// - a symbolic link (or a chain of them) to a regular file: the file it
///   leads to is replaced as above, in that file's folder, and the link
///   stays a link;
/// - a symbolic link to nothing: refused with
///   [`ModelErrorKind::DanglingLink`] (as `cp` refuses to write through
///   one), creating nothing;
/// - a directory, a FIFO, a device or a socket (directly or behind a link):
///   refused with [`ModelErrorKind::NotAFile`], which says what is there,
///   leaving it untouched.
///
/// A process killed during a save (`kill -9`, a power cut) leaves its
/// temporary file behind, named `.NAME.PID-N-RANDOM.tmp`. The next save to
/// the same path removes those of processes that are no longer running
/// (where the system can tell: `/proc` on Linux; elsewhere a temporary
/// file untouched for ten minutes counts as left behind), never one that
/// a live save holds locked.
///
/// # Errors
/// [`ModelErrorKind::NonFinite`] if a tensor holds NaN or infinity, the
/// two above, and [`ModelErrorKind::Io`] if the file cannot be written;
/// every error carries `path`.
pub fn save<L: Tensors + ?Sized>(net: &L, path: impl AsRef<Path>) -> Result<(), ModelError> {
    let path = path.as_ref();
    let at = |kind| ModelError {
        path: Some(path.to_path_buf()),
        kind,
    };
    let bytes = to_bytes(net).map_err(|e| at(e.kind))?;
    file::write_atomically(path, &bytes).map_err(at)
}

/// Checks, before anything is trained or written, that [`save`] can write
/// to `path`: the same refusals of what is at the path (a dangling link, a
/// directory, a FIFO, a device such as `/dev/full`), and a temporary file
/// created and removed again in the folder the file will be written in.
/// Nothing at `path` changes.
///
/// ```
/// let dir = std::env::temp_dir().join("typenet-doc-check-save");
/// std::fs::create_dir_all(&dir)?;
/// typenet::io::check_save(dir.join("net.safetensors"))?;
/// assert!(!dir.join("net.safetensors").exists());
/// let err = typenet::io::check_save(&dir).unwrap_err();
/// assert!(err.to_string().ends_with("a directory is there, not a regular file; it was left as it was"));
/// # #[cfg(unix)]
/// # assert!(typenet::io::check_save("/dev/full").is_err());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Those of [`save`] other than [`ModelErrorKind::NonFinite`], with `path`.
pub fn check_save(path: impl AsRef<Path>) -> Result<(), ModelError> {
    let path = path.as_ref();
    file::check_writable(path).map_err(|kind| ModelError {
        path: Some(path.to_path_buf()),
        kind,
    })
}

/// The longest header a file of `net` may have: 64 KiB, plus 1 KiB for
/// each of its tensors and each of its layers. typenet writes about 100
/// bytes per tensor and 40 per layer; the rest is room for other tools'
/// metadata.
pub(crate) fn header_allowance<L: Tensors + ?Sized>(net: &L) -> u64 {
    let mut tensors = 0u64;
    net.tensors(&mut |_| tensors += 1);
    let layers = architecture(net).len() as u64;
    (64 << 10) + (tensors + layers) * (1 << 10)
}

/// The largest model file `net` can need: the 8-byte length, the header
/// allowance, and 8 bytes for each of its scalars (the widest type
/// safetensors has, so that a file of another type is read and refused
/// for its type, not its size).
pub(crate) fn file_size_limit<L: Tensors + ?Sized>(net: &L) -> u64 {
    let mut scalars = 0u64;
    net.tensors(&mut |t| scalars += t.value.len() as u64);
    (8 + header_allowance(net)).saturating_add(scalars.saturating_mul(8))
}

/// Refuses a negative value in a BatchNorm's running variance (the buffer
/// `running_var`): a variance is never below zero, and one that is makes
/// the layer's outputs NaN. `bytes` holds the values, little-endian
/// `dtype`s; `tensor` is the file's name for them.
pub(crate) fn check_variance(
    name: &str,
    kind: ParamKind,
    bytes: &[u8],
    dtype: Dtype,
    tensor: &str,
) -> Result<(), ModelError> {
    let negative = match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .any(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) < 0.0),
        Dtype::F64 => bytes.chunks_exact(8).any(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            f64::from_le_bytes(a) < 0.0
        }),
        Dtype::I8 | Dtype::U8 | Dtype::I32 => false,
    };
    if kind == ParamKind::Buffer && name == "running_var" && negative {
        return Err(ModelError::new(ModelErrorKind::NegativeVariance {
            tensor: tensor.to_string(),
        }));
    }
    Ok(())
}

/// PyTorch's names for the fields of its modules' tensors.
const PYTORCH_FIELDS: [&str; 5] = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"];

/// A tensor name of `tensors` in PyTorch's form (`"0.weight"`), if the file
/// has one and records no typenet architecture: a `state_dict` saved from
/// PyTorch, which [`load_pytorch`](super::load_pytorch) reads.
fn pytorch_name<'t>(parsed: &'t Parsed<'_>) -> Option<&'t str> {
    if parsed.architecture.is_some() {
        return None;
    }
    parsed
        .tensors
        .iter()
        .map(|t| t.name.as_str())
        .find(|name| PYTORCH_FIELDS.contains(&name.rsplit_once('.').map_or(*name, |(_, field)| field)))
}

/// A tensor of the file: name, dtype, shape and bytes.
pub(crate) struct Tensor<'a> {
    pub(crate) name: String,
    pub(crate) dtype: String,
    pub(crate) shape: Vec<usize>,
    pub(crate) bytes: &'a [u8],
}

fn header(why: impl Into<String>) -> ModelError {
    ModelError::new(ModelErrorKind::Header(why.into()))
}

fn layout(why: impl Into<String>) -> ModelError {
    ModelError::new(ModelErrorKind::Layout(why.into()))
}

fn dtype_size(dtype: &str) -> Option<usize> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" => 1,
        "U16" | "I16" | "F16" | "BF16" => 2,
        "U32" | "I32" | "F32" => 4,
        "U64" | "I64" | "F64" => 8,
        _ => return None,
    })
}

/// Reads and checks a safetensors file's structure: header, byte ranges
/// (in bounds, matching their shapes, covering the data with no gaps or
/// overlaps). A header longer than `max_header` bytes is refused before it
/// is parsed.
pub(crate) fn parse(bytes: &[u8], max_header: u64) -> Result<Parsed<'_>, ModelError> {
    let truncated = |needed: u64| {
        ModelError::new(ModelErrorKind::Truncated {
            needed,
            found: bytes.len() as u64,
        })
    };
    let len_bytes: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| truncated(8))?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > max_header {
        return Err(header(format!(
            "a header of {header_len} bytes is longer than the {max_header} bytes allowed for this net"
        )));
    }
    let data_start = 8 + header_len as usize;
    let text = bytes.get(8..data_start).ok_or_else(|| truncated(8 + header_len))?;
    let data = &bytes[data_start..];
    let Json::Object(members) = json::parse(text).map_err(header)? else {
        return Err(header("the header is not an object"));
    };

    let mut tensors = Vec::new();
    let mut architecture = None;
    for (name, value) in members {
        if name == "__metadata__" {
            let Json::Object(meta) = value else {
                return Err(header("__metadata__ is not an object"));
            };
            for (key, v) in meta {
                let Json::String(v) = v else {
                    return Err(header("__metadata__ values must be strings"));
                };
                if key == "typenet" {
                    architecture = Some(v);
                }
            }
            continue;
        }
        let Json::Object(fields) = value else {
            return Err(header(format!("tensor {name:?} is not an object")));
        };
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        for (key, v) in fields {
            match (key.as_str(), v) {
                ("dtype", Json::String(s)) => dtype = Some(s),
                ("shape", Json::Array(dims)) => {
                    let dims: Option<Vec<usize>> = dims
                        .iter()
                        .map(|d| match d {
                            Json::Number(n) => usize::try_from(*n).ok(),
                            _ => None,
                        })
                        .collect();
                    shape = Some(dims.ok_or_else(|| header(format!("tensor {name:?}: bad shape")))?);
                }
                ("data_offsets", Json::Array(ends)) => match ends.as_slice() {
                    [Json::Number(a), Json::Number(b)] => offsets = Some((*a, *b)),
                    _ => return Err(header(format!("tensor {name:?}: data_offsets must be two numbers"))),
                },
                (other, _) => return Err(header(format!("tensor {name:?}: unexpected field {other:?}"))),
            }
        }
        let (Some(dtype), Some(shape), Some((begin, end))) = (dtype, shape, offsets) else {
            return Err(header(format!("tensor {name:?} lacks dtype, shape or data_offsets")));
        };
        let size = dtype_size(&dtype).ok_or_else(|| header(format!("tensor {name:?}: unknown dtype {dtype:?}")))?;
        let count = shape.iter().try_fold(size, |acc, &d| acc.checked_mul(d));
        if begin > end || end > data.len() as u64 || count != Some((end - begin) as usize) {
            return Err(layout(format!(
                "tensor {name:?}: bytes {begin}..{end} do not hold a {dtype} tensor of shape {shape:?} in {} bytes of data",
                data.len()
            )));
        }
        tensors.push((
            begin as usize,
            end as usize,
            Tensor {
                name,
                dtype,
                shape,
                bytes: &[],
            },
        ));
    }
    // safetensors requires the tensors to tile the data exactly
    tensors.sort_by_key(|t| (t.0, t.1));
    let mut next = 0;
    for (begin, end, t) in &tensors {
        if *begin != next {
            return Err(layout(format!(
                "tensor {:?} starts at byte {begin}, expected {next}",
                t.name
            )));
        }
        next = *end;
    }
    if next != data.len() {
        return Err(layout(format!(
            "{} bytes of data, the tensors cover {next}",
            data.len()
        )));
    }
    let tensors = tensors
        .into_iter()
        .map(|(begin, end, t)| Tensor {
            bytes: &data[begin..end],
            ..t
        })
        .collect();
    Ok(Parsed { tensors, architecture })
}

/// A checked file: its tensors and the architecture it records, if any.
pub(crate) struct Parsed<'a> {
    pub(crate) tensors: Vec<Tensor<'a>>,
    pub(crate) architecture: Option<String>,
}

/// Compares the layers a file records with the net's, by kind and nesting:
/// a `Sigmoid` where the net has a `Relu` is refused here, while a layer of
/// another size is left to the tensor checks, which name the tensor and
/// both shapes.
fn check_architecture(file: &str, net: &[String]) -> Result<(), ModelError> {
    let file: Vec<&str> = file.split(" | ").collect();
    let kind = |layer: &str| layer.split('(').next().unwrap_or(layer).to_string();
    let differs = (0..file.len().max(net.len())).find(|&i| file.get(i).map(|l| kind(l)) != net.get(i).map(|l| kind(l)));
    match differs {
        None => Ok(()),
        Some(layer) => Err(ModelError::new(ModelErrorKind::Architecture {
            layer,
            file: file.get(layer).map_or(String::new(), |s| s.trim().to_string()),
            net: net.get(layer).map_or(String::new(), |s| s.trim().to_string()),
        })),
    }
}

/// Loads a net's tensors (parameters and buffers) from safetensors bytes.
/// Everything is checked first (structure, the recorded architecture if the
/// file has one, every tensor's name, type, shape and values: finite, and
/// a BatchNorm's `running_var` never negative); on any error `net` is left
/// as it was. A file of PyTorch's tensor names (`"0.weight"`) is refused
/// with [`ModelErrorKind::PyTorchNames`], which points to
/// [`load_pytorch`](super::load_pytorch).
///
/// A header longer than 64 KiB plus 1 KiB per tensor and per layer of
/// `net` is refused before it is parsed ([`ModelErrorKind::Header`]).
pub fn from_bytes<L: Tensors + ?Sized>(net: &mut L, bytes: &[u8]) -> Result<(), ModelError> {
    let parsed = parse(bytes, header_allowance(net))?;
    if let Some(recorded) = &parsed.architecture {
        check_architecture(recorded, &architecture(net))?;
    }
    let tensors = &parsed.tensors;
    let by_name: HashMap<&str, usize> = tensors.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    let mut wanted = Vec::new();
    net.tensors(&mut |t| {
        wanted.push((
            tensor_name(t.layer, t.name),
            t.shape.dims().to_vec(),
            t.value.dtype(),
            t.name,
            t.kind,
        ))
    });
    let mut order = Vec::with_capacity(wanted.len());
    for (name, shape, dtype, param, kind) in &wanted {
        let Some(&i) = by_name.get(name.as_str()) else {
            if let Some(example) = pytorch_name(&parsed) {
                return Err(ModelError::new(ModelErrorKind::PyTorchNames {
                    tensor: name.clone(),
                    example: example.to_string(),
                }));
            }
            // "2.W" missing while "3.W" of the same shape is there: the
            // file's layers are numbered from another net
            let (layer, param) = name.split_once('.').unwrap_or((name, ""));
            let layer: usize = layer.parse().unwrap_or(0);
            let shifted = [layer.checked_sub(1), layer.checked_add(1)]
                .into_iter()
                .flatten()
                .map(|l| format!("{l}.{param}"))
                .find(|other| by_name.get(other.as_str()).is_some_and(|&k| tensors[k].shape == *shape));
            return Err(ModelError::new(ModelErrorKind::MissingTensor {
                tensor: name.clone(),
                shifted,
            }));
        };
        let t = &tensors[i];
        if t.dtype != dtype.safetensors_name() {
            return Err(ModelError::new(ModelErrorKind::Dtype {
                tensor: name.clone(),
                expected: dtype.safetensors_name(),
                found: t.dtype.clone(),
            }));
        }
        if t.shape != *shape {
            return Err(ModelError::new(ModelErrorKind::Shape {
                tensor: name.clone(),
                expected: shape.clone(),
                found: t.shape.clone(),
            }));
        }
        if !finite_bytes(*dtype, t.bytes) {
            return Err(ModelError::new(ModelErrorKind::NonFinite { tensor: name.clone() }));
        }
        check_variance(param, *kind, t.bytes, *dtype, name)?;
        order.push(i);
    }
    let wanted_names: HashSet<&str> = wanted.iter().map(|(n, ..)| n.as_str()).collect();
    if let Some(extra) = tensors.iter().find(|t| !wanted_names.contains(t.name.as_str())) {
        return Err(ModelError::new(ModelErrorKind::UnexpectedTensor {
            tensor: extra.name.clone(),
        }));
    }
    // every check passed: now, and only now, write
    let mut k = 0;
    net.tensors_mut(&mut |mut t| {
        // the dtype and the byte count were checked above
        let read = t.value.read_le_bytes(tensors[order[k]].bytes);
        debug_assert!(read);
        k += 1;
    });
    Ok(())
}

/// Loads parameters from the safetensors file at `path` into `net`; on any
/// error `net` is left as it was, and the error carries `path`.
///
/// Only a regular file (or a link to one) is read: a directory, a FIFO, a
/// socket, a terminal or another device is refused with
/// [`ModelErrorKind::NotAFile`], and opening never waits (a FIFO put in
/// the file's place is opened without blocking, and refused). A file
/// larger than any file of a net of this type can be (the 8-byte length,
/// the header allowance of [`from_bytes`], and 8 bytes per scalar of the
/// net) is refused with [`ModelErrorKind::TooLarge`] by its size, before
/// it is read.
///
/// ```
/// use typenet::prelude::*;
///
/// let dir = std::env::temp_dir().join("typenet-doc-load");
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("net.safetensors");
/// let net = Affine::<[f32; 3], 2>::from_fn(|i, j| (i + j) as f32, |j| j as f32).then(SoftmaxWithLoss);
/// typenet::io::save(&net, &path)?;
///
/// let mut copy = Affine::<[f32; 3], 2>::zeros().then(SoftmaxWithLoss);
/// typenet::io::load(&mut copy, &path)?;
/// assert_eq!(copy, net);
///
/// let mut wrong = Affine::<[f32; 4], 2>::zeros().then(SoftmaxWithLoss);
/// let err = typenet::io::load(&mut wrong, &path).unwrap_err();
/// assert!(err.to_string().ends_with(r#"tensor "0.W" has shape [3, 2], the net's parameter has [4, 2]"#));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load<L: Tensors + ?Sized>(net: &mut L, path: impl AsRef<Path>) -> Result<(), ModelError> {
    let path = path.as_ref();
    let at = |mut e: ModelError| {
        e.path = Some(path.to_path_buf());
        e
    };
    let bytes = file::read_at_most(path, file_size_limit(net)).map_err(|kind| at(ModelError::new(kind)))?;
    from_bytes(net, &bytes).map_err(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header of 200,000 tensors is parsed whole, and a name repeated at
    /// its end is found, in time linear in the tensors: a check of each name
    /// against every earlier one would take minutes here (the names have
    /// one length and a long common prefix).
    #[test]
    fn a_header_of_200_000_tensors_is_parsed() {
        const N: usize = 200_000;
        let mut text = String::from("{");
        for i in 0..N {
            text.push_str(&format!(
                "\"{i:040}.b\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[{},{}]}},",
                4 * i,
                4 * i + 4
            ));
        }
        text.pop();
        text.push('}');
        let file = |text: &str| {
            let mut bytes = (text.len() as u64).to_le_bytes().to_vec();
            bytes.extend_from_slice(text.as_bytes());
            bytes.extend((0..N).flat_map(|i| (i as f32).to_le_bytes()));
            bytes
        };
        let bytes = file(&text);
        let parsed = parse(&bytes, u64::MAX).unwrap();
        assert_eq!(parsed.tensors.len(), N);
        let name = |i: usize| format!("{i:040}.b");
        let last = name(N - 1);
        let t = parsed.tensors.iter().find(|t| t.name == last).unwrap();
        assert_eq!(f32::from_le_bytes(t.bytes.try_into().unwrap()), (N - 1) as f32);

        let repeated = text.replacen(&format!("\"{last}\""), &format!("\"{}\"", name(0)), 1);
        let err = parse(&file(&repeated), u64::MAX).err().unwrap();
        let duplicate = format!("duplicate key {:?}", name(0));
        assert!(
            matches!(&err.kind, ModelErrorKind::Header(why) if why.starts_with(&duplicate)),
            "{err}"
        );
    }
}
