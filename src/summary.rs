//! A net described as a table, one line per layer.

use alloc::vec::Vec;
use core::fmt;

use crate::LayerInfo;

/// The layers of a net with their output widths and parameter counts;
/// `Display` prints them as a table. Made by
/// [`Layer::summary`](crate::Layer::summary).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The width of the net's input rows.
    pub inputs: usize,
    /// The scalar type's name.
    pub scalar: &'static str,
    /// One entry per layer, in order.
    pub layers: Vec<LayerInfo>,
}

impl Summary {
    /// The total number of trainable scalars.
    pub fn params(&self) -> usize {
        self.layers.iter().map(|l| l.params).sum()
    }
}

/// `n` with a comma every three digits.
struct Thousands(usize);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = alloc::format!("{}", self.0);
        let mut out = alloc::string::String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        f.pad(&out)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind_width = self.layers.iter().map(|l| l.kind.len()).max().unwrap_or(5).max(5);
        writeln!(
            f,
            "{:>3}  {:<kind_width$}  {:>8}  {:>12}",
            "#", "layer", "output", "params"
        )?;
        writeln!(f, "{:>3}  {:<kind_width$}  {:>8}  {:>12}", "", "input", self.inputs, "")?;
        for l in &self.layers {
            writeln!(
                f,
                "{:>3}  {:<kind_width$}  {:>8}  {:>12}",
                l.index,
                l.kind,
                l.outputs,
                Thousands(l.params)
            )?;
        }
        write!(
            f,
            "{:>3}  {:<kind_width$}  {:>8}  {:>12}  ({})",
            "",
            "total",
            "",
            Thousands(self.params()),
            self.scalar
        )
    }
}
