//! What can be wrong with quantization parameters or an operator's buffers.

use core::fmt;

/// An error preparing an int8 operator or running one on buffers of the
/// wrong size. TFLite aborts or has undefined behaviour in most of these
/// cases; here they are reported.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum QuantError {
    /// A scale or multiplier is NaN or infinite.
    NonFinite {
        /// Which value.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// A scale or multiplier is negative (or zero where that is meaningless).
    NotPositive {
        /// Which value.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// A real multiplier too large for a Q31 multiplier with a left shift of
    /// at most 30 (TFLite would overflow its int32 arithmetic).
    MultiplierTooLarge {
        /// The real multiplier.
        value: f64,
    },
    /// A real multiplier outside the range an operator requires (TFLite's
    /// `QuantizeMultiplierSmallerThanOneExp` and `GreaterThanOne` checks).
    MultiplierOutOfRange {
        /// Which multiplier.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// A value that does not fit its integer type once quantized.
    OutOfRange {
        /// Which value.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// A buffer or parameter list has the wrong length.
    Length {
        /// Which buffer.
        what: &'static str,
        /// The length the geometry calls for.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A geometry that is inconsistent or overflows `usize` (a zero stride,
    /// channels that differ where they must agree, sizes too large).
    Geometry(&'static str),
    /// An average-pooling window that covers no input element.
    EmptyWindow,
    /// An output quantization an operator does not support (TFLite's
    /// softmax needs scale 1/256 and zero point −128 for int8).
    OutputQuantization {
        /// What the operator needs.
        expected: &'static str,
    },
    /// A softmax row whose sum of exponentials TFLite's fixed-point
    /// reciprocal cannot represent (it reaches 512: a row of 512 or more
    /// values equal to its maximum). TFLite aborts there.
    SoftmaxRange,
    /// A layer given a setting meant for another kind of operator (float
    /// weights for an int8 layer, pooling parameters for a convolution).
    Setting {
        /// The layer.
        operator: &'static str,
        /// What it was given.
        setting: &'static str,
    },
}

impl fmt::Display for QuantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonFinite { what, value } => write!(f, "{what} is not finite ({value})"),
            Self::NotPositive { what, value } => write!(f, "{what} must be positive, found {value}"),
            Self::MultiplierTooLarge { value } => {
                write!(
                    f,
                    "multiplier {value} is too large for a Q31 multiplier with a left shift of at most 30"
                )
            }
            Self::MultiplierOutOfRange { what, value } => write!(f, "{what} {value} is out of its range"),
            Self::OutOfRange { what, value } => write!(f, "{what} ({value}) does not fit its integer type"),
            Self::Length { what, expected, found } => {
                write!(f, "{what} has {found} elements where the geometry needs {expected}")
            }
            Self::Geometry(what) => write!(f, "inconsistent geometry: {what}"),
            Self::EmptyWindow => f.write_str("an average-pooling window covers no input element"),
            Self::OutputQuantization { expected } => write!(f, "output quantization must be {expected}"),
            Self::SoftmaxRange => f.write_str("softmax row too long for TFLite's fixed-point reciprocal"),
            Self::Setting { operator, setting } => write!(f, "{operator} cannot be set from {setting}"),
        }
    }
}

impl core::error::Error for QuantError {}

/// `Ok` when `found == expected`, the `Length` error naming `what` otherwise.
pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<(), QuantError> {
    if expected == found {
        Ok(())
    } else {
        Err(QuantError::Length { what, expected, found })
    }
}

/// The product of sizes, or a geometry error when it overflows.
pub(crate) fn product(sizes: &[usize]) -> Result<usize, QuantError> {
    sizes
        .iter()
        .try_fold(1usize, |acc, &s| acc.checked_mul(s))
        .ok_or(QuantError::Geometry("sizes overflow usize"))
}
