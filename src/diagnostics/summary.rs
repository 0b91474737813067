//! A net described as a table, one line per layer.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use crate::LayerInfo;

/// The layers of a net with their output shapes and tensor sizes;
/// `Display` prints them as a table. Made by
/// [`Layer::summary`](crate::Layer::summary).
///
/// ```text
///   #  layer              output        params  buffers
///      input            1×28×28
///   0  Conv2d          30×24×24           780
///   1  Relu            30×24×24             0
///   2  MaxPool2d       30×12×12             0
///   3  Affine               100       432,100
///   ...
///      total                          ...      (f32)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The dimensions of the net's input rows.
    pub input: &'static [usize],
    /// The scalar type's name.
    pub scalar: &'static str,
    /// One entry per layer, in order (a block's layers follow it, one level
    /// deeper, with paths under its own).
    pub layers: Vec<LayerInfo>,
}

impl Summary {
    /// The total number of trained scalars.
    pub fn params(&self) -> usize {
        self.layers.iter().map(|l| l.params).sum()
    }

    /// The total number of kept but untrained scalars.
    pub fn buffers(&self) -> usize {
        self.layers.iter().map(|l| l.buffers).sum()
    }
}

/// `n` with a comma every three digits.
struct Thousands(usize);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = alloc::format!("{}", self.0);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        f.pad(&out)
    }
}

/// `30×24×24`.
fn dims(d: &[usize]) -> String {
    let mut s = String::new();
    for (i, v) in d.iter().enumerate() {
        if i > 0 {
            s.push('×');
        }
        let _ = write!(s, "{v}");
    }
    s
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |l: &LayerInfo| alloc::format!("{}{}", "  ".repeat(l.depth()), l.kind);
        let path_width = self
            .layers
            .iter()
            .map(|l| alloc::format!("{}", l.path).len())
            .max()
            .unwrap_or(1)
            .max(3);
        let kind_width = self
            .layers
            .iter()
            .map(|l| name(l).chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let show_buffers = self.buffers() > 0;
        let buffers = |b: usize| {
            if show_buffers {
                alloc::format!("  {:>8}", Thousands(b))
            } else {
                String::new()
            }
        };
        let header = if show_buffers {
            alloc::format!("  {:>8}", "buffers")
        } else {
            String::new()
        };
        writeln!(
            f,
            "{:>path_width$}  {:<kind_width$}  {:>10}  {:>12}{header}",
            "#", "layer", "output", "params"
        )?;
        writeln!(
            f,
            "{:>path_width$}  {:<kind_width$}  {:>10}",
            "",
            "input",
            dims(self.input)
        )?;
        for l in &self.layers {
            writeln!(
                f,
                "{:>path_width$}  {:<kind_width$}  {:>10}  {:>12}{}",
                l.path,
                name(l),
                dims(l.output),
                Thousands(l.params),
                buffers(l.buffers)
            )?;
        }
        write!(
            f,
            "{:>path_width$}  {:<kind_width$}  {:>10}  {:>12}{}  ({})",
            "",
            "total",
            "",
            Thousands(self.params()),
            buffers(self.buffers()),
            self.scalar
        )
    }
}
