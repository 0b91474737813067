//! A net's tensors written as Rust constants, so a program can carry its
//! model in its binary: no file, no file system, no heap.

use std::fmt::Write;

use super::error::{ModelError, ModelErrorKind};
use super::safetensors::architecture;
use crate::{Layer, Row, Scalar};

/// The array type of `dims` over `ty`: `[[f32; 16]; 4]` for `[4, 16]`.
fn array_type(ty: &str, dims: &[usize]) -> String {
    dims.iter()
        .rev()
        .fold(ty.to_string(), |inner, d| format!("[{inner}; {d}]"))
}

/// `values` as a nested array literal of shape `dims`, innermost rows on
/// one line each.
fn array_literal<T: Scalar>(out: &mut String, values: &[T], dims: &[usize], indent: usize) {
    match dims {
        [] => {
            let _ = write!(out, "{:?}", values[0]);
        }
        [_] => {
            let items: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
            let _ = write!(out, "[{}]", items.join(", "));
        }
        [n, inner @ ..] => {
            let step = values.len() / n.max(&1);
            out.push_str("[\n");
            for part in values.chunks(step.max(1)).take(*n) {
                out.push_str(&"    ".repeat(indent + 1));
                array_literal(out, part, inner, indent + 1);
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
/// Build the net from them with the layers' `const` constructors
/// ([`Affine::from_rows`](crate::Affine::from_rows),
/// [`Conv2d::from_arrays`](crate::Conv2d::from_arrays)) and
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
pub fn rust_source<In: Row, L: Layer<In>>(net: &L) -> Result<String, ModelError> {
    let mut out = String::new();
    let ty = core::any::type_name::<In::Scalar>();
    let _ = writeln!(
        out,
        "// Tensors of a typenet model, written by typenet::io::rust_source."
    );
    for (i, line) in architecture(net).iter().enumerate() {
        let _ = writeln!(out, "// layer {i}: {line}");
    }
    let mut bad = None;
    net.visit_params(0, &mut |p| {
        if bad.is_none() && !In::Scalar::all_finite(p.value) {
            bad = Some(format!("{}.{}", p.layer, p.name));
        }
        let name = format!("L{}_{}", p.layer, p.name.to_uppercase());
        let dims = p.shape.dims();
        let _ = writeln!(out);
        let _ = write!(out, "pub const {name}: {} = ", array_type(ty, dims));
        array_literal(&mut out, p.value, dims, 0);
        let _ = writeln!(out, ";");
    });
    match bad {
        Some(tensor) => Err(ModelError::new(ModelErrorKind::NonFinite { tensor })),
        None => Ok(out),
    }
}
