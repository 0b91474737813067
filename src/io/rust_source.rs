//! A net's parameters written as Rust constants, so a program can carry its
//! model in its binary: no file, no file system, no heap.

use std::fmt::Write;

use super::error::{ModelError, ModelErrorKind};
use crate::{Layer, Row, Scalar};

/// The parameters of `net` as Rust source: one `pub const` array per
/// tensor, named `L{layer}_{NAME}` (`L0_W: [[f32; 16]; 4]`,
/// `L0_B: [f32; 16]`). Values are written with Rust's shortest round-trip
/// formatting, so the constants are the parameters bit for bit. Build the
/// net from them with the `const` constructors:
/// `Chain::new(Affine::from_arrays(L0_W, L0_B), Relu)`.
///
/// ```
/// use typenet::prelude::*;
///
/// let net = Affine::<f32, 2, 3>::from_fn(|i, j| (i + 2 * j) as f32 / 8.0, |j| -(j as f32)).then(Relu);
/// let source = typenet::io::rust_source(&net)?;
/// assert!(source.contains("pub const L0_W: [[f32; 3]; 2] = [\n    [0.0, 0.25, 0.5],\n    [0.125, 0.375, 0.625],\n];"));
/// assert!(source.contains("pub const L0_B: [f32; 3] = [-0.0, -1.0, -2.0];"));
/// # Ok::<(), typenet::io::ModelError>(())
/// ```
///
/// # Errors
/// [`ModelErrorKind::NonFinite`] if a parameter is NaN or infinite (Rust has
/// no literal for them).
pub fn rust_source<In: Row, L: Layer<In>>(net: &L) -> Result<String, ModelError> {
    let mut layers = Vec::new();
    net.describe(0, &mut |l| {
        layers.push(format!("{}: {} ({} -> {})", l.index, l.kind, l.inputs, l.outputs))
    });
    let mut out = String::new();
    let ty = In::Scalar::RUST_NAME;
    let _ = writeln!(
        out,
        "// Parameters of a typenet model, written by typenet::io::rust_source."
    );
    for line in &layers {
        let _ = writeln!(out, "// layer {line}");
    }
    let mut bad = None;
    net.visit_params(0, &mut |p| {
        if bad.is_none() && !In::Scalar::all_finite(p.value) {
            bad = Some(format!("{}.{}", p.layer, p.name));
        }
        let name = format!("L{}_{}", p.layer, p.name.to_uppercase());
        let _ = writeln!(out);
        let [rows, cols] = p.shape;
        let row = |r: &[In::Scalar]| {
            let items: Vec<String> = r.iter().map(|v| format!("{v:?}")).collect();
            format!("[{}]", items.join(", "))
        };
        if rows == 1 && p.name == "b" {
            let _ = writeln!(out, "pub const {name}: [{ty}; {cols}] = {};", row(p.value));
        } else {
            let _ = writeln!(out, "pub const {name}: [[{ty}; {cols}]; {rows}] = [");
            for r in p.value.chunks(cols.max(1)) {
                let _ = writeln!(out, "    {},", row(r));
            }
            let _ = writeln!(out, "];");
        }
    });
    match bad {
        Some(tensor) => Err(ModelError::new(ModelErrorKind::NonFinite { tensor })),
        None => Ok(out),
    }
}
