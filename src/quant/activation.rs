//! A fused activation as the clamp of the requantized output.

use super::affine::round_half_away_from_zero;
use super::{QuantError, QuantParams};

/// The activations TFLite fuses into an operator as a clamp of its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusedActivation {
    /// No clamp beyond the int8 range.
    None,
    /// `max(x, 0)`.
    Relu,
    /// `clamp(x, −1, 1)`.
    ReluN1To1,
    /// `clamp(x, 0, 6)`.
    Relu6,
}

/// The int8 output range of an operator with a fused activation, as TFLite's
/// `CalculateActivationRangeQuantized` computes it: each bound is the real
/// bound quantized with the output's scale and zero point (`round(bound /
/// scale)` in f32, ties away from zero), intersected with −128..=127.
///
/// ```
/// use typenet::quant::{FusedActivation, QuantParams, activation_range};
/// let out = QuantParams::new(0.05, -128);
/// assert_eq!(activation_range(FusedActivation::Relu, out)?, (-128, 127));
/// assert_eq!(activation_range(FusedActivation::Relu6, out)?, (-128, -8));
/// # Ok::<(), typenet::quant::QuantError>(())
/// ```
pub fn activation_range(activation: FusedActivation, output: QuantParams) -> Result<(i32, i32), QuantError> {
    let quantize = |real: f32| -> Result<i32, QuantError> {
        let q = round_half_away_from_zero(real / output.scale);
        // The largest f32 below 2³¹ and −2³¹ itself are the int32 bounds TFLite checks.
        if !(-2_147_483_648.0..=2_147_483_520.0).contains(&q) {
            return Err(QuantError::OutOfRange {
                what: "activation bound",
                value: f64::from(q),
            });
        }
        Ok(output.zero_point.saturating_add(q as i32))
    };
    let (min, max) = (-128, 127);
    Ok(match activation {
        FusedActivation::None => (min, max),
        FusedActivation::Relu => (min.max(quantize(0.0)?), max),
        FusedActivation::ReluN1To1 => (min.max(quantize(-1.0)?), max.min(quantize(1.0)?)),
        FusedActivation::Relu6 => (min.max(quantize(0.0)?), max.min(quantize(6.0)?)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_bounds_are_the_quantized_real_bounds() {
        let out = QuantParams::new(0.023_529_41, -128);
        assert_eq!(activation_range(FusedActivation::Relu6, out).unwrap(), (-128, 127));
        let out = QuantParams::new(0.1, 5);
        assert_eq!(activation_range(FusedActivation::Relu, out).unwrap(), (5, 127));
        assert_eq!(activation_range(FusedActivation::Relu6, out).unwrap(), (5, 65));
        assert_eq!(activation_range(FusedActivation::ReluN1To1, out).unwrap(), (-5, 15));
        assert_eq!(activation_range(FusedActivation::None, out).unwrap(), (-128, 127));
        // A tie: 6 / 4 = 1.5 rounds away from zero.
        let out = QuantParams::new(4.0, 0);
        assert_eq!(activation_range(FusedActivation::Relu6, out).unwrap(), (0, 2));
        let out = QuantParams::new(1e-30, 0);
        assert!(activation_range(FusedActivation::Relu6, out).is_err());
    }
}
