//! Weights trained in PyTorch, loaded into the matching typenet net.
//!
//! A PyTorch `nn.Sequential` saved with
//! `safetensors.torch.save_file(model.state_dict(), path)` names its tensors
//! after the module's position: `"0.weight"`, `"0.bias"`, `"1.running_mean"`.
//! Its positions count every module (`ReLU`, `MaxPool2d`, `Flatten` too)
//! and typenet's do not count the same ones (an [`Affine`](crate::Affine)
//! reads an image without a `Flatten`), so the two are matched by order:
//! the k-th PyTorch module that has tensors fills the k-th typenet layer
//! that has tensors. Within a layer:
//!
//! | typenet | PyTorch | layout |
//! | --- | --- | --- |
//! | `Affine` `W` `[IN, OUT]` | `Linear.weight` `(out, in)` | transposed on load |
//! | `Affine` `b` | `Linear.bias` | |
//! | `Conv2d` `W` `[OUT, IN, K, K]` | `Conv2d.weight` `(out, in, kh, kw)` | the same |
//! | `Conv2d` `b` | `Conv2d.bias` | |
//! | `BatchNorm` `gamma`, `beta` | `weight`, `bias` | |
//! | `BatchNorm` `running_mean`, `running_var` | the same names | |
//!
//! PyTorch's `num_batches_tracked` counter is read past. Any other
//! two-dimensional weight is taken to be in `Linear`'s `(out, in)` layout.
//! A PyTorch `BatchNorm` normalises with ε = 1e-5: build typenet's with
//! [`BatchNorm::pytorch`](crate::BatchNorm::pytorch).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::error::{ModelError, ModelErrorKind};
use super::file;
use super::safetensors::{file_size_limit, finite_bytes, header_allowance, parse};
use crate::{Dtype, ParamKind, Path as LayerPath, Tensors, ValuesMut};

/// The PyTorch field a typenet tensor comes from.
fn torch_field(name: &str) -> &str {
    match name {
        "W" | "gamma" => "weight",
        "b" | "beta" => "bias",
        other => other,
    }
}

/// `true` for a tensor stored transposed in PyTorch: a two-dimensional
/// weight, `Linear`'s `(out, in)` against typenet's `[IN, OUT]`.
fn transposed(kind: ParamKind, dims: &[usize]) -> bool {
    matches!(kind, ParamKind::Weight { .. }) && dims.len() == 2
}

/// A module path's parts, numbers compared as numbers: `features.10` after
/// `features.9`.
fn natural_key(module: &str) -> Vec<(u64, String)> {
    module
        .split('.')
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, part.to_string()),
        })
        .collect()
}

fn error(kind: ModelErrorKind) -> ModelError {
    ModelError::new(kind)
}

/// Loads a PyTorch `state_dict` saved as safetensors (see the module's
/// documentation) into `net`. Everything is checked first: the number of
/// layers with tensors, each tensor's presence, element type (`F32`, or
/// `F64` into an `f64` net), shape and values; on any error `net` is left
/// as it was, and a shape error names the PyTorch tensor and both shapes in
/// PyTorch's layout.
pub fn from_pytorch_bytes<L: Tensors + ?Sized>(net: &mut L, bytes: &[u8]) -> Result<(), ModelError> {
    let parsed = parse(bytes, header_allowance(net))?;
    let by_name: HashMap<&str, usize> = parsed
        .tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    // PyTorch's modules with tensors, in order
    let mut modules: Vec<&str> = parsed
        .tensors
        .iter()
        .filter(|t| !t.name.ends_with(".num_batches_tracked"))
        .map(|t| t.name.rsplit_once('.').map_or("", |(module, _)| module))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    modules.sort_by_key(|m| natural_key(m));
    // typenet's layers with tensors, in order: (layer, its tensors' names,
    // kinds and dimensions)
    type LayerTensors = Vec<(&'static str, ParamKind, Vec<usize>, Dtype)>;
    let mut layers: Vec<(LayerPath, LayerTensors)> = Vec::new();
    net.tensors(&mut |t| {
        let entry = (t.name, t.kind, t.shape.dims().to_vec(), t.value.dtype());
        match layers.last_mut() {
            Some((layer, tensors)) if *layer == t.layer => tensors.push(entry),
            _ => layers.push((t.layer, vec![entry])),
        }
    });
    if modules.len() != layers.len() {
        return Err(error(ModelErrorKind::Layout(format!(
            "the file has {} modules with tensors ({}), the net {} layers with tensors",
            modules.len(),
            modules.join(", "),
            layers.len()
        ))));
    }
    let mut sources = Vec::new();
    let mut used = HashSet::new();
    for ((_, tensors), module) in layers.iter().zip(&modules) {
        for (name, kind, dims, dtype) in tensors {
            let torch = format!("{module}.{}", torch_field(name));
            let Some(&i) = by_name.get(torch.as_str()) else {
                return Err(error(ModelErrorKind::MissingTensor {
                    tensor: torch,
                    shifted: None,
                }));
            };
            let t = &parsed.tensors[i];
            let flip = transposed(*kind, dims);
            let expected: Vec<usize> = if flip {
                dims.iter().rev().copied().collect()
            } else {
                dims.clone()
            };
            if t.shape != expected {
                return Err(error(ModelErrorKind::Shape {
                    tensor: torch,
                    expected,
                    found: t.shape.clone(),
                }));
            }
            // an f32 file fills an f64 net exactly; nothing else converts
            let stored = Dtype::from_safetensors_name(&t.dtype);
            let readable = stored == Some(*dtype) || (stored == Some(Dtype::F32) && *dtype == Dtype::F64);
            let Some(stored) = stored.filter(|_| readable) else {
                return Err(error(ModelErrorKind::Dtype {
                    tensor: torch,
                    expected: dtype.safetensors_name(),
                    found: t.dtype.clone(),
                }));
            };
            if !finite_bytes(stored, t.bytes) {
                return Err(error(ModelErrorKind::NonFinite { tensor: torch }));
            }
            used.insert(i);
            sources.push((i, stored, flip.then(|| (dims[0], dims[1]))));
        }
    }
    if let Some(extra) = parsed
        .tensors
        .iter()
        .enumerate()
        .find(|(i, t)| !used.contains(i) && !t.name.ends_with(".num_batches_tracked"))
    {
        return Err(error(ModelErrorKind::UnexpectedTensor {
            tensor: extra.1.name.clone(),
        }));
    }
    // every check passed: now, and only now, write
    let mut k = 0;
    net.tensors_mut(&mut |t| {
        let (i, stored, flip) = sources[k];
        k += 1;
        let bytes = parsed.tensors[i].bytes;
        // typenet [IN, OUT] from PyTorch (OUT, IN): value (r, c) is the
        // file's (c, r)
        let source = |at: usize| match flip {
            Some((rows, cols)) => (at % cols) * rows + at / cols,
            None => at,
        };
        let size = stored.size();
        let field = |at: usize| &bytes[source(at) * size..(source(at) + 1) * size];
        match t.value {
            ValuesMut::F64(v) if stored == Dtype::F32 => {
                for (at, v) in v.iter_mut().enumerate() {
                    *v = f64::from(f32::from_le_bytes(field(at).try_into().unwrap_or_default()));
                }
            }
            ValuesMut::F32(v) => v
                .iter_mut()
                .enumerate()
                .for_each(|(at, v)| *v = f32::from_le_bytes(field(at).try_into().unwrap_or_default())),
            ValuesMut::F64(v) => v
                .iter_mut()
                .enumerate()
                .for_each(|(at, v)| *v = f64::from_le_bytes(field(at).try_into().unwrap_or_default())),
            ValuesMut::I8(v) => v
                .iter_mut()
                .enumerate()
                .for_each(|(at, v)| *v = i8::from_le_bytes(field(at).try_into().unwrap_or_default())),
            ValuesMut::U8(v) => v
                .iter_mut()
                .enumerate()
                .for_each(|(at, v)| *v = u8::from_le_bytes(field(at).try_into().unwrap_or_default())),
            ValuesMut::I32(v) => v
                .iter_mut()
                .enumerate()
                .for_each(|(at, v)| *v = i32::from_le_bytes(field(at).try_into().unwrap_or_default())),
        }
    });
    Ok(())
}

/// Loads a PyTorch `state_dict` saved as safetensors from `path` into
/// `net` (see [`from_pytorch_bytes`]); on any error `net` is left as it
/// was.
pub fn load_pytorch<L: Tensors + ?Sized>(net: &mut L, path: impl AsRef<Path>) -> Result<(), ModelError> {
    let path = path.as_ref();
    let at = |mut e: ModelError| {
        e.path = Some(path.to_path_buf());
        e
    };
    let bytes = file::read_at_most(path, file_size_limit(net)).map_err(|kind| at(error(kind)))?;
    from_pytorch_bytes(net, &bytes).map_err(at)
}
