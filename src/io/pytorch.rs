//! Weights trained in PyTorch, loaded into the matching typenet net: see
//! [`load_pytorch`] for how PyTorch's modules and tensors are matched to
//! typenet's layers and tensors.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::error::{ModelError, ModelErrorKind};
use super::file;
use super::safetensors::{Tensor, check_variance, file_size_limit, finite_bytes, header_allowance, parse};
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

/// The module a tensor belongs to (`"features.0"` of
/// `"features.0.weight"`; `""` for a tensor of the root module, `"weight"`).
fn module_of(tensor: &str) -> &str {
    tensor.rsplit_once('.').map_or("", |(module, _)| module)
}

/// The field of a tensor within its module (`"weight"`).
fn field_of(tensor: &str) -> &str {
    tensor.rsplit_once('.').map_or(tensor, |(_, field)| field)
}

/// A tensor's PyTorch name: module and field joined by a dot, or the field
/// alone for the root module.
fn join(module: &str, field: &str) -> String {
    if module.is_empty() {
        field.to_string()
    } else {
        format!("{module}.{field}")
    }
}

/// The parts of a module path (none for the root module).
fn parts(module: &str) -> Vec<&str> {
    if module.is_empty() {
        Vec::new()
    } else {
        module.split('.').collect()
    }
}

/// A part as PyTorch numbers a container's modules: digits with no leading
/// zero.
fn number(part: &str) -> Option<u64> {
    let canonical =
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) && (part == "0" || !part.starts_with('0'));
    canonical.then(|| part.parse().ok()).flatten()
}

/// The number a part spells in any form (`"00"`, `"+0"`), to tell a
/// non-canonical spelling of a sibling's number.
fn any_number(part: &str) -> Option<u64> {
    let digits = part.strip_prefix('+').unwrap_or(part);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Puts `modules` (paths under `path`, as their remaining parts) in module
/// order: a module's own tensors before its children's, and children by
/// their numbers. Siblings that are not all numbered have no order the
/// file can tell: an error naming two of them.
fn sort_modules<'a, 'p>(
    path: &str,
    modules: Vec<(&'a str, &'p [&'a str])>,
    out: &mut Vec<&'a str>,
) -> Result<(), ModelError> {
    let mut children: BTreeMap<&'a str, Vec<(&'a str, &'p [&'a str])>> = BTreeMap::new();
    for (module, rest) in modules {
        match rest.split_first() {
            None => out.push(module),
            Some((first, rest)) => children.entry(*first).or_default().push((module, rest)),
        }
    }
    let full = |part: &str| join(path, part);
    if children.len() > 1 {
        let keys: Vec<&str> = children.keys().copied().collect();
        if let Some(&odd) = keys.iter().find(|k| number(k).is_none()) {
            let twin = any_number(odd).and_then(|n| keys.iter().find(|k| **k != odd && any_number(k) == Some(n)));
            return Err(error(match twin {
                Some(twin) => ModelErrorKind::AmbiguousModules {
                    first: full(twin),
                    second: full(odd),
                },
                None => ModelErrorKind::UnorderedModules {
                    first: full(keys.iter().find(|k| **k != odd).copied().unwrap_or(odd)),
                    second: full(odd),
                },
            }));
        }
    }
    let mut children: Vec<_> = children.into_iter().collect();
    children.sort_by_key(|(part, _)| number(part));
    for (part, group) in children {
        sort_modules(&full(part), group, out)?;
    }
    Ok(())
}

/// The file's modules with tensors, in module order: derived from their
/// names, or in the order of `prefixes` if given (see [`load_pytorch`]).
fn module_order<'a>(tensors: &'a [Tensor<'_>], prefixes: Option<&[&str]>) -> Result<Vec<&'a str>, ModelError> {
    let mut modules: Vec<&str> = tensors
        .iter()
        .filter(|t| field_of(&t.name) != "num_batches_tracked")
        .map(|t| module_of(&t.name))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    modules.sort_unstable();
    let split: Vec<(&str, Vec<&str>)> = modules.iter().map(|m| (*m, parts(m))).collect();
    let mut order = Vec::with_capacity(modules.len());
    let Some(prefixes) = prefixes else {
        sort_modules("", split.iter().map(|(m, p)| (*m, p.as_slice())).collect(), &mut order)?;
        return Ok(order);
    };
    let mut placed = vec![false; split.len()];
    for prefix in prefixes {
        let depth = parts(prefix).len();
        let group: Vec<(&str, &[&str])> = split
            .iter()
            .zip(&mut placed)
            .filter(|((m, _), placed)| !**placed && (m == prefix || m.starts_with(&format!("{prefix}."))))
            .map(|((m, p), placed)| {
                *placed = true;
                (*m, &p[depth..])
            })
            .collect();
        if group.is_empty() {
            return Err(error(ModelErrorKind::Layout(format!(
                "the module order given names {prefix:?}, but no module with tensors is {prefix:?} or inside it (the file's modules: {})",
                modules.join(", ")
            ))));
        }
        sort_modules(prefix, group, &mut order)?;
    }
    if let Some(((left, _), _)) = split.iter().zip(&placed).find(|(_, placed)| !**placed) {
        return Err(error(ModelErrorKind::Layout(format!(
            "module {left:?} is not in the module order given ({})",
            prefixes.join(", ")
        ))));
    }
    Ok(order)
}

fn error(kind: ModelErrorKind) -> ModelError {
    ModelError::new(kind)
}

/// Loads a PyTorch `state_dict` saved as safetensors, from its bytes, into
/// `net`, as [`load_pytorch`] does from a file.
pub fn from_pytorch_bytes<L: Tensors + ?Sized>(net: &mut L, bytes: &[u8]) -> Result<(), ModelError> {
    read_pytorch(net, bytes, None)
}

/// [`from_pytorch_bytes`] with the order of the file's modules given, as
/// [`load_pytorch_ordered`] takes it.
pub fn from_pytorch_bytes_ordered<L: Tensors + ?Sized>(
    net: &mut L,
    bytes: &[u8],
    modules: &[&str],
) -> Result<(), ModelError> {
    read_pytorch(net, bytes, Some(modules))
}

fn read_pytorch<L: Tensors + ?Sized>(net: &mut L, bytes: &[u8], prefixes: Option<&[&str]>) -> Result<(), ModelError> {
    let parsed = parse(bytes, header_allowance(net))?;
    let by_name: HashMap<&str, usize> = parsed
        .tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    let modules = module_order(&parsed.tensors, prefixes)?;
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
            let torch = join(module, torch_field(name));
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
            check_variance(name, *kind, t.bytes, stored, &torch)?;
            used.insert(i);
            sources.push((i, stored, flip.then(|| (dims[0], dims[1]))));
        }
    }
    if let Some(extra) = parsed
        .tensors
        .iter()
        .enumerate()
        .find(|(i, t)| !used.contains(i) && field_of(&t.name) != "num_batches_tracked")
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
/// `net`: the weights of a model trained in PyTorch, saved with
/// `safetensors.torch.save_file(model.state_dict(), path)`. On any error
/// `net` is left as it was, and the error carries `path`.
///
/// **Modules to layers.** PyTorch names each tensor after its module's
/// path and its field: `"0.weight"`, `"features.3.bias"`,
/// `"1.running_mean"`, or plain `"weight"` for a tensor of the model
/// itself. PyTorch counts modules that typenet does not (`ReLU`,
/// `MaxPool2d`, `Flatten`: an [`Affine`](crate::Affine) reads an image
/// without a `Flatten`) and the other way round, so modules and layers are
/// matched by order: the k-th PyTorch module that has tensors fills the
/// k-th typenet layer that has tensors, and the counts must agree.
///
/// **The module order.** A safetensors file keeps no order of its own
/// (its tensors are stored by name), so the order is read from the names:
/// a module's own tensors come before its children's, and children are
/// ordered by their numbers, as `nn.Sequential` and `nn.ModuleList` name
/// them (`features.10` after `features.9`). Where siblings are named
/// rather than numbered (`features` and `classifier` of a model with two
/// `nn.Sequential`s), their order in the model cannot be told from the
/// file, and the load is refused with
/// [`ModelErrorKind::UnorderedModules`] naming two of them, rather than
/// guessed (alphabetical order would put `classifier` first); state it
/// with [`load_pytorch_ordered`]. Two names that spell one number
/// (`"0"` and `"00"` or `"+0"`) are refused with
/// [`ModelErrorKind::AmbiguousModules`], naming both.
///
/// **Tensors.** Within a layer:
///
/// | typenet | PyTorch | layout |
/// | --- | --- | --- |
/// | `Affine` `W` `[IN, OUT]` | `Linear.weight` `(out, in)` | transposed on load |
/// | `Affine` `b` | `Linear.bias` | |
/// | `Conv2d` `W` `[OUT, IN, K, K]` | `Conv2d.weight` `(out, in, kh, kw)` | the same |
/// | `Conv2d` `b` | `Conv2d.bias` | |
/// | `BatchNorm` `gamma`, `beta` | `weight`, `bias` | |
/// | `BatchNorm` `running_mean`, `running_var` | the same names | |
///
/// PyTorch's `num_batches_tracked` counter is read past. Any other
/// two-dimensional weight is taken to be in `Linear`'s `(out, in)` layout.
/// A PyTorch `BatchNorm` normalises with ε = 1e-5: build typenet's with
/// [`BatchNorm::pytorch`](crate::BatchNorm::pytorch).
///
/// **Checks.** Everything is checked before anything is written: the
/// number of modules with tensors against the layers with tensors, each
/// tensor's presence, element type (`F32`, or `F64` into an `f64` net),
/// shape and values (finite, and a `running_var` never negative), and that
/// the file has no tensor left over. A shape error names the PyTorch
/// tensor and both shapes in PyTorch's layout.
pub fn load_pytorch<L: Tensors + ?Sized>(net: &mut L, path: impl AsRef<Path>) -> Result<(), ModelError> {
    load_with(net, path.as_ref(), None)
}

/// [`load_pytorch`] with the order of the file's modules stated rather than
/// read from their names: `modules` lists module paths in the order the
/// model runs them, each standing for itself and every module inside it;
/// within each, the order is read from the names as [`load_pytorch`] does.
/// Every module with tensors must fall under one of them (the first that
/// fits), and each must have some.
///
/// ```no_run
/// # use typenet::prelude::*;
/// # let mut net = Affine::<[f32; 4], 2>::zeros().then(SoftmaxWithLoss);
/// // model = nn.Sequential(OrderedDict(features=nn.Sequential(...), classifier=nn.Sequential(...)))
/// typenet::io::load_pytorch_ordered(&mut net, "model.safetensors", &["features", "classifier"])?;
/// # Ok::<(), typenet::io::ModelError>(())
/// ```
pub fn load_pytorch_ordered<L: Tensors + ?Sized>(
    net: &mut L,
    path: impl AsRef<Path>,
    modules: &[&str],
) -> Result<(), ModelError> {
    load_with(net, path.as_ref(), Some(modules))
}

fn load_with<L: Tensors + ?Sized>(net: &mut L, path: &Path, prefixes: Option<&[&str]>) -> Result<(), ModelError> {
    let at = |mut e: ModelError| {
        e.path = Some(path.to_path_buf());
        e
    };
    let bytes = file::read_at_most(path, file_size_limit(net)).map_err(|kind| at(error(kind)))?;
    read_pytorch(net, &bytes, prefixes).map_err(at)
}
