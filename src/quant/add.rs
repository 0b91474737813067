//! TFLite's int8 ADD: both inputs rescaled to a common scale, summed, and
//! the sum requantized to the output's scale.

use super::multiplier::quantize_multiplier_smaller_than_one;
use super::{
    FusedActivation, QuantError, QuantParams, QuantizedMultiplier, activation_range, multiply_by_quantized_multiplier,
};

/// The headroom TFLite gives int8 inputs before rescaling them: 20 bits,
/// so that `255 · 2²⁰` still fits an int32 and the rescaled values keep
/// 20 fractional bits.
pub const ADD_LEFT_SHIFT: u32 = 20;

/// The parameters of an int8 addition as TFLite's `Prepare` computes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AddQuant {
    /// The first input's zero point.
    pub input1_zero_point: i32,
    /// `s1 / (2 · max(s1, s2))`.
    pub input1_multiplier: QuantizedMultiplier,
    /// The second input's zero point.
    pub input2_zero_point: i32,
    /// `s2 / (2 · max(s1, s2))`.
    pub input2_multiplier: QuantizedMultiplier,
    /// The output's zero point.
    pub output_zero_point: i32,
    /// `2 · max(s1, s2) / (2²⁰ · s_out)`.
    pub output_multiplier: QuantizedMultiplier,
    /// The lowest output code.
    pub activation_min: i32,
    /// The highest output code.
    pub activation_max: i32,
}

impl AddQuant {
    /// TFLite's preparation for int8 inputs and output: each input brought
    /// to twice the larger input scale (so its multiplier is at most ½),
    /// the sum to the output scale, every multiplier in (0, 1) as
    /// `QuantizeMultiplierSmallerThanOneExp` requires.
    pub fn new(
        input1: QuantParams,
        input2: QuantParams,
        output: QuantParams,
        activation: FusedActivation,
    ) -> Result<Self, QuantError> {
        for (what, scale) in [
            ("input 1 scale", input1.scale),
            ("input 2 scale", input2.scale),
            ("output scale", output.scale),
        ] {
            if !scale.is_finite() {
                return Err(QuantError::NonFinite {
                    what,
                    value: f64::from(scale),
                });
            }
            if scale <= 0.0 {
                return Err(QuantError::NotPositive {
                    what,
                    value: f64::from(scale),
                });
            }
        }
        // The products by 2 and 2²⁰ are exact in f32, as in TFLite.
        let twice_max_input_scale = f64::from(2.0 * input1.scale.max(input2.scale));
        let real_output = twice_max_input_scale / f64::from((1u32 << ADD_LEFT_SHIFT) as f32 * output.scale);
        let (activation_min, activation_max) = activation_range(activation, output)?;
        Ok(Self {
            input1_zero_point: input1.zero_point,
            input1_multiplier: quantize_multiplier_smaller_than_one(
                "input 1 multiplier",
                f64::from(input1.scale) / twice_max_input_scale,
            )?,
            input2_zero_point: input2.zero_point,
            input2_multiplier: quantize_multiplier_smaller_than_one(
                "input 2 multiplier",
                f64::from(input2.scale) / twice_max_input_scale,
            )?,
            output_zero_point: output.zero_point,
            output_multiplier: quantize_multiplier_smaller_than_one("output multiplier", real_output)?,
            activation_min,
            activation_max,
        })
    }

    /// One sum, as TFLite's `AddFunc`.
    #[inline]
    pub fn add(&self, a: i8, b: i8) -> i8 {
        let a = i32::from(a).wrapping_sub(self.input1_zero_point) << ADD_LEFT_SHIFT;
        let b = i32::from(b).wrapping_sub(self.input2_zero_point) << ADD_LEFT_SHIFT;
        let a = multiply_by_quantized_multiplier(a, self.input1_multiplier);
        let b = multiply_by_quantized_multiplier(b, self.input2_multiplier);
        let sum = multiply_by_quantized_multiplier(a.wrapping_add(b), self.output_multiplier)
            .wrapping_add(self.output_zero_point);
        sum.clamp(self.activation_min, self.activation_max) as i8
    }
}

/// TFLite's reference int8 ADD of two tensors of the same shape, element by
/// element (no broadcasting). Zero points must be int8 codes (as TFLite
/// requires), which keeps `(q − zp) · 2²⁰` within int32.
pub fn add_int8(quant: &AddQuant, a: &[i8], b: &[i8], output: &mut [i8]) -> Result<(), QuantError> {
    super::error::check_len("second input", a.len(), b.len())?;
    super::error::check_len("output", a.len(), output.len())?;
    for zero_point in [quant.input1_zero_point, quant.input2_zero_point] {
        if !(-128..=127).contains(&zero_point) {
            return Err(QuantError::OutOfRange {
                what: "input zero point",
                value: f64::from(zero_point),
            });
        }
    }
    if quant.activation_min > quant.activation_max {
        return Err(QuantError::Geometry("activation_min above activation_max"));
    }
    for ((out, &a), &b) in output.iter_mut().zip(a).zip(b) {
        *out = quant.add(a, b);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_scales_add_codes() {
        let p = QuantParams::new(0.1, 0);
        let q = AddQuant::new(p, p, p, FusedActivation::None).unwrap();
        let mut out = [0i8; 5];
        add_int8(&q, &[1, -5, 100, -100, 3], &[2, 5, 100, -100, -1], &mut out).unwrap();
        assert_eq!(out, [3, 0, 127, -128, 2]);
    }

    #[test]
    fn rescaling_and_the_relu_clamp() {
        // a at scale 0.5 (zp 1), b at 0.25 (zp −2), out at 1.0 (zp 3), ReLU.
        let q = AddQuant::new(
            QuantParams::new(0.5, 1),
            QuantParams::new(0.25, -2),
            QuantParams::new(1.0, 3),
            FusedActivation::Relu,
        )
        .unwrap();
        assert_eq!(q.input1_multiplier, super::super::quantize_multiplier(0.5).unwrap());
        assert_eq!(q.input2_multiplier, super::super::quantize_multiplier(0.25).unwrap());
        // a = 9 → 4.0, b = 6 → 2.0: 6.0 → 9.
        assert_eq!(q.add(9, 6), 9);
        // a = 2 → 0.5, b = −1 → 0.25: 0.75 → 0.75 rounds to 1 → 4.
        assert_eq!(q.add(2, -1), 4);
        // −10 real → clamped at the ReLU's zero, code 3.
        assert_eq!(q.add(-19, -2), 3);
        assert_eq!(q.activation_min, 3);
    }

    #[test]
    fn bad_parameters_are_errors() {
        let p = QuantParams::new(0.1, 0);
        assert!(AddQuant::new(QuantParams::new(0.0, 0), p, p, FusedActivation::None).is_err());
        assert!(AddQuant::new(p, QuantParams::new(f32::NAN, 0), p, FusedActivation::None).is_err());
        // An output scale so small the output multiplier exceeds 1.
        assert!(AddQuant::new(p, p, QuantParams::new(1e-9, 0), FusedActivation::None).is_err());
        let q = AddQuant::new(p, p, p, FusedActivation::None).unwrap();
        assert!(add_int8(&q, &[1, 2], &[1], &mut [0; 2]).is_err());
        let wild = AddQuant {
            input1_zero_point: 1000,
            ..q
        };
        assert!(add_int8(&wild, &[1], &[1], &mut [0]).is_err());
    }
}
