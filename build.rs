//! Writes the size tables of `src/layers/conv/sides.rs` to `OUT_DIR`.
//!
//! Stable Rust cannot compute `{N + 1}` in a type, so every step of the
//! size arithmetic is an impl; this script writes them from the limits
//! below instead of a listing kept by hand. The limits are stated in the
//! diagnostics of sides.rs: change both together.

use std::fmt::Write as _;
use std::{env, fs, path::Path};

/// The longest side of an image (rows or columns).
const MAX_SIDE: usize = 256;
/// The most zeros added on each end of a side: half of the largest kernel,
/// which keeps the output side equal to the input side ("same" padding).
const MAX_PADDING: usize = 5;
/// The largest kernel or pooling window, other than one covering the whole
/// (padded) side, which needs no table.
const MAX_KERNEL: usize = 11;
/// The largest stride, as large as the largest kernel.
const MAX_STRIDE: usize = 11;
/// The longest side after padding.
const MAX_PADDED: usize = MAX_SIDE + 2 * MAX_PADDING;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let mut out = String::new();
    header(&mut out);
    tables(&mut out);
    padded(&mut out);
    fits(&mut out);
    strided(&mut out);
    let path = Path::new(&env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("sides.rs");
    fs::write(&path, out).expect("OUT_DIR is writable");
}

fn header(out: &mut String) {
    writeln!(out, "// Written by build.rs from its limits; not edited by hand.").unwrap();
    for (name, value, doc) in [
        (
            "MAX_SIDE",
            MAX_SIDE,
            "The longest side (rows or columns) the size tables take.",
        ),
        (
            "MAX_PADDING",
            MAX_PADDING,
            "The most zeros a convolution adds on each end of a side.",
        ),
        (
            "MAX_KERNEL",
            MAX_KERNEL,
            "The largest kernel or pooling window, other than one as long as the (padded) side, which is always taken.",
        ),
        (
            "MAX_STRIDE",
            MAX_STRIDE,
            "The largest stride, where the window has more than one position.",
        ),
    ] {
        writeln!(out, "#[doc = {doc:?}]\npub const {name}: usize = {value};").unwrap();
    }
}

/// `Next` and `Prev`: one longer, one shorter, over every padded side.
fn tables(out: &mut String) {
    for n in 1..MAX_PADDED {
        writeln!(
            out,
            "#[diagnostic::do_not_recommend]\nimpl Next for Side<{n}> {{ type Out = Side<{}>; }}",
            n + 1
        )
        .unwrap();
    }
    for n in 2..=MAX_PADDED {
        writeln!(
            out,
            "#[diagnostic::do_not_recommend]\nimpl Prev for Side<{n}> {{ type Out = Side<{}>; }}",
            n - 1
        )
        .unwrap();
    }
}

/// Consts `A0..A{count}` for an impl's generics.
fn generics(count: usize) -> String {
    (0..count).map(|i| format!(", const A{i}: usize")).collect()
}

/// The where-clause of `steps` steps of `step` from `Side<N>` through
/// `Side<A0>`, `Side<A1>`, ….
fn chain(step: &str, steps: usize) -> String {
    (0..steps)
        .map(|i| {
            let from = if i == 0 { "N".to_string() } else { format!("A{}", i - 1) };
            format!("    Side<{from}>: {step}<Out = Side<A{i}>>,\n")
        })
        .collect()
}

/// `Padded<P>`: `2P` steps of `Next`.
fn padded(out: &mut String) {
    for p in 1..=MAX_PADDING {
        let steps = 2 * p;
        writeln!(
            out,
            "#[diagnostic::do_not_recommend]\nimpl<const N: usize{}> Padded<{p}> for Side<N>\nwhere\n{}{{\n    type Out = Side<A{}>;\n}}",
            generics(steps),
            chain("Next", steps),
            steps - 1
        )
        .unwrap();
    }
}

/// `Fits<K>` for a kernel shorter than the side: `K − 1` steps of `Prev`
/// give `N − K + 1`, and one more step proves it is not the whole side,
/// which the impl for `Fits<N>` on `Side<N>` covers (that is what keeps
/// the two impls apart for coherence).
fn fits(out: &mut String) {
    writeln!(
        out,
        "#[diagnostic::do_not_recommend]\nimpl<const N: usize> Fits<1> for Side<N>\nwhere\n    Side<N>: Prev,\n{{\n    type Out = Side<N>;\n}}"
    )
    .unwrap();
    for k in 2..=MAX_KERNEL {
        writeln!(
            out,
            "#[diagnostic::do_not_recommend]\nimpl<const N: usize{}> Fits<{k}> for Side<N>\nwhere\n{}{{\n    type Out = Side<A{}>;\n}}",
            generics(k),
            chain("Prev", k),
            k - 2
        )
        .unwrap();
    }
}

/// Whether `s` has no divisor but 1 and itself.
fn is_prime(s: usize) -> bool {
    s >= 2 && (2..s).all(|d| !s.is_multiple_of(d))
}

/// `Strided<S>` on sides of two positions or more (one position stays one
/// under any stride, by a generic impl): a table of `(V − 1) / S + 1` for
/// each prime stride, and a composite stride `S = p · q` as stride `q`
/// then stride `p`, because `⌊⌊x / q⌋ / p⌋ = ⌊x / (p · q)⌋`; this halves
/// the table of strides up to 11 (2,650 impls to 1,325).
fn strided(out: &mut String) {
    for s in 2..=MAX_STRIDE {
        if is_prime(s) {
            for v in 2..=MAX_PADDED {
                writeln!(
                    out,
                    "#[diagnostic::do_not_recommend]\nimpl Strided<{s}> for Side<{v}> {{ type Out = Side<{}>; }}",
                    (v - 1) / s + 1
                )
                .unwrap();
            }
        } else {
            let p = (2..s)
                .find(|&p| s.is_multiple_of(p))
                .expect("a composite has a divisor");
            let q = s / p;
            writeln!(
                out,
                "#[diagnostic::do_not_recommend]\nimpl<const N: usize, const A0: usize, const A1: usize, const A2: usize> Strided<{s}> for Side<N>\nwhere\n    Side<N>: Prev<Out = Side<A0>>,\n    Side<N>: Strided<{q}, Out = Side<A1>>,\n    Side<A1>: Strided<{p}, Out = Side<A2>>,\n{{\n    type Out = Side<A2>;\n}}"
            )
            .unwrap();
        }
    }
}
