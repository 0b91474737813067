//! What can be wrong with the inputs a net is given.

use core::fmt;

/// Inputs a net refuses rather than compute garbage from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputError {
    /// An input value is NaN or infinite.
    NonFinite {
        /// The row (sample) holding it.
        row: usize,
        /// Its position in the row.
        column: usize,
    },
    /// A finite input overflowed inside the net: this row's outputs are
    /// not all finite (weights too large for the input's scale, or an input
    /// near the type's limits).
    Overflow {
        /// The row (sample) whose outputs are not finite.
        row: usize,
    },
    /// The inputs and the targets have different numbers of rows.
    RowCount {
        /// Rows of inputs.
        inputs: usize,
        /// Rows of targets.
        targets: usize,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::NonFinite { row, column } => write!(
                f,
                "input row {row} has a non-finite value (NaN or infinity) at column {column}"
            ),
            InputError::Overflow { row } => write!(
                f,
                "input row {row} overflowed inside the net: its outputs are not finite (NaN or infinity)"
            ),
            InputError::RowCount { inputs, targets } => {
                write!(
                    f,
                    "{inputs} input rows but {targets} targets: each row needs one target"
                )
            }
        }
    }
}

impl core::error::Error for InputError {}

/// A hyper-parameter outside the values that make sense (a negative
/// learning rate, a dropout ratio of 1), refused when the layer or
/// optimizer is made rather than left to produce NaN later.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HyperParameterError {
    /// What it configures: `"Adam"`, `"Dropout"`.
    pub of: &'static str,
    /// Its name: `"lr"`, `"beta2"`.
    pub name: &'static str,
    /// The value given.
    pub value: f64,
    /// What it must be: `"finite and > 0"`.
    pub expected: &'static str,
}

impl HyperParameterError {
    /// `Ok` if `ok`, else the error for `value`.
    pub(crate) fn check(
        of: &'static str,
        name: &'static str,
        value: f64,
        ok: bool,
        expected: &'static str,
    ) -> Result<(), Self> {
        if ok {
            Ok(())
        } else {
            Err(HyperParameterError {
                of,
                name,
                value,
                expected,
            })
        }
    }
}

impl fmt::Display for HyperParameterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} must be {}, not ", self.of, self.name, self.expected)?;
        // `{}` never uses an exponent: 1e-300 would print as 300 digits
        let v = self.value;
        if v == 0.0 || !v.is_finite() || (1e-4..1e16).contains(&v) || (-1e16..=-1e-4).contains(&v) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

impl core::error::Error for HyperParameterError {}
