//! A net's tensors written as Rust constants, so a program can carry its
//! model in its binary: no file, no file system, no heap.

use std::fmt::Write;

use super::error::{ModelError, ModelErrorKind};
use crate::model::sequence_start;
use crate::{Tensors, Values};

/// The array type of `dims` over `ty`: `[[f32; 16]; 4]` for `[4, 16]`.
pub(crate) fn array_type(ty: &str, dims: &[usize]) -> String {
    dims.iter()
        .rev()
        .fold(ty.to_string(), |inner, d| format!("[{inner}; {d}]"))
}

/// `values` as a nested array literal of shape `dims`, innermost rows on
/// one line each.
fn array_literal(out: &mut String, values: Values<'_>, at: usize, dims: &[usize], indent: usize) {
    match dims {
        [] => {
            let _ = values.write_source(at, out);
        }
        [n] => {
            out.push('[');
            for i in 0..*n {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = values.write_source(at + i, out);
            }
            out.push(']');
        }
        [n, inner @ ..] => {
            let step: usize = inner.iter().product();
            out.push_str("[\n");
            for i in 0..*n {
                out.push_str(&"    ".repeat(indent + 1));
                array_literal(out, values, at + i * step, inner, indent + 1);
                out.push_str(",\n");
            }
            out.push_str(&"    ".repeat(indent));
            out.push(']');
        }
    }
}

/// The tensors of `net` as Rust source: one `pub const` array per tensor,
/// in its shape, named `L{layer}_{NAME}` (`L0_W: [[f32; 16]; 4]`,
/// `L0_B: [f32; 16]`, `L0_W: [[[[f32; 5]; 5]; 1]; 30]` for a convolution,
/// `L1_RUNNING_MEAN` for a buffer). Values are written with Rust's shortest
/// round-trip formatting, so the constants are the tensors bit for bit.
/// Each array is shaped as the layer's `const` constructor takes it (its
/// [`layout`](crate::Tensor::layout): an Affine reading 4×12×12 images gets
/// `[[[[f32; 10]; 12]; 12]; 4]`), so a wrong size does not compile. Build
/// the net from them with the layers' `const` constructors
/// ([`Affine::from_arrays`](crate::Affine::from_arrays),
/// [`Conv2d::from_arrays`](crate::Conv2d::from_arrays), or `frozen` for a
/// net that only infers and keeps no gradients) and
/// [`chain!`](crate::chain!).
///
/// ```
/// use typenet::prelude::*;
///
/// let net = Affine::<[f32; 2], 3>::from_fn(|i, j| (i + 2 * j) as f32 / 8.0, |j| -(j as f32)).then(Relu);
/// let source = typenet::io::rust_source(&net)?;
/// assert!(source.contains("pub const L0_W: [[f32; 3]; 2] = [\n    [0.0, 0.25, 0.5],\n    [0.125, 0.375, 0.625],\n];"));
/// assert!(source.contains("pub const L0_B: [f32; 3] = [-0.0, -1.0, -2.0];"));
/// # Ok::<(), typenet::io::ModelError>(())
/// ```
///
/// # Errors
/// [`ModelErrorKind::NonFinite`] if a tensor is NaN or infinite (Rust has
/// no literal for them).
pub fn rust_source<L: Tensors + ?Sized>(net: &L) -> Result<String, ModelError> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Tensors of a typenet model, written by typenet::io::rust_source."
    );
    net.layers(sequence_start::<L>(crate::Path::ROOT), &mut |at, kind| {
        let _ = writeln!(out, "// layer {at}: {kind}");
    });
    let mut bad = None;
    net.tensors(&mut |t| {
        if bad.is_none() && !t.value.all_finite() {
            bad = Some(format!("{}.{}", t.layer, t.name));
        }
        let layer = t.layer.to_string().replace('.', "_");
        let name = format!("L{layer}_{}", t.name.to_uppercase());
        let dims = t.layout.dims();
        let _ = writeln!(out);
        let ty = t.value.dtype().rust_name();
        let _ = write!(out, "pub const {name}: {} = ", array_type(ty, dims));
        array_literal(&mut out, t.value, 0, dims, 0);
        let _ = writeln!(out, ";");
    });
    match bad {
        Some(tensor) => Err(ModelError::new(ModelErrorKind::NonFinite { tensor })),
        None => Ok(out),
    }
}
