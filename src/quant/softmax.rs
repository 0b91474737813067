//! TFLite's int8 SOFTMAX, in fixed point.

use super::exp::{exp_on_negative_values, reciprocal};
use super::multiplier::quantize_multiplier_greater_than_one;
use super::{QuantError, QuantParams, rounding_divide_by_pot, saturating_rounding_doubling_high_mul};

/// Integer bits of the scaled input differences (Q5.26): differences down
/// to −32 before `β · scale`, and `exp(−16)` is already negligible.
const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (Q12.19): up to 4096 terms of 1.
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// The parameters of an int8 softmax as TFLite's `SoftmaxPrepare` computes
/// them for its reference kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftmaxQuant {
    /// `β · s_in · 2²⁶` as a Q31 multiplier …
    pub input_multiplier: i32,
    /// … and its left shift (at least 0).
    pub input_left_shift: i32,
    /// Differences from the row's maximum below this give output −128.
    pub diff_min: i32,
}

impl SoftmaxQuant {
    /// TFLite's `PreprocessSoftmaxScaling` (the real multiplier `β · s_in ·
    /// 2²⁶` in f64, capped at 2³¹ − 1) and `CalculateInputRadius` (the
    /// largest difference whose rescaled value fits Q5.26). The output must
    /// be quantized as TFLite requires for int8: zero point −128, scale
    /// 1/256 (within 0.1 %).
    pub fn new(beta: f32, input_scale: f32, output: QuantParams) -> Result<Self, QuantError> {
        if output.zero_point != -128 || ((output.scale - 1.0 / 256.0).abs() > 0.001 / 256.0) {
            return Err(QuantError::OutputQuantization {
                expected: "scale 1/256 and zero point −128",
            });
        }
        let real = (f64::from(beta) * f64::from(input_scale) * f64::from(1u32 << (31 - SCALED_DIFF_INTEGER_BITS)))
            .min(f64::from(i32::MAX));
        let m = quantize_multiplier_greater_than_one("softmax input multiplier", real)?;
        let left_shift = m.shift();
        // floor((2⁵ − 1) · 2²⁶ / 2^left_shift), exact in integers.
        let radius =
            ((((1i64 << SCALED_DIFF_INTEGER_BITS) - 1) << (31 - SCALED_DIFF_INTEGER_BITS)) >> left_shift) as i32;
        Ok(Self {
            input_multiplier: m.multiplier(),
            input_left_shift: left_shift,
            diff_min: -radius,
        })
    }

    /// `diff · β · s_in` in Q5.26: TFLite's
    /// `MultiplyByQuantizedMultiplierGreaterThanOne`.
    #[inline]
    fn scaled_diff(&self, diff: i32) -> i32 {
        saturating_rounding_doubling_high_mul(diff.wrapping_mul(1 << self.input_left_shift), self.input_multiplier)
    }
}

/// TFLite's reference int8 softmax (`reference_ops::Softmax`) over rows of
/// `depth` values: exponentials of the differences from the row's maximum
/// in fixed point, their sum, its reciprocal, and each output
/// `exp · reciprocal` rounded to 1/256 and shifted by −128. Bit for bit
/// what TFLite and TFLite Micro compute.
pub fn softmax_int8(quant: &SoftmaxQuant, depth: usize, input: &[i8], output: &mut [i8]) -> Result<(), QuantError> {
    super::error::check_len("output", input.len(), output.len())?;
    if depth == 0 || !input.len().is_multiple_of(depth) {
        return Err(QuantError::Geometry("softmax input is not whole rows of `depth`"));
    }
    if !(0..=30).contains(&quant.input_left_shift) || quant.input_multiplier < 0 {
        return Err(QuantError::MultiplierOutOfRange {
            what: "softmax input left shift",
            value: f64::from(quant.input_left_shift),
        });
    }
    for (row, out) in input.chunks_exact(depth).zip(output.chunks_exact_mut(depth)) {
        let max = i32::from(*row.iter().max().unwrap_or(&i8::MIN));
        let mut sum_of_exps = 0i32; // Q12
        for &x in row {
            let diff = i32::from(x) - max;
            if diff >= quant.diff_min {
                let exp = exp_on_negative_values(quant.scaled_diff(diff));
                sum_of_exps = sum_of_exps.wrapping_add(rounding_divide_by_pot(exp, ACCUMULATION_INTEGER_BITS as u32));
            }
        }
        let (shifted_scale, bits_over_unit) = reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
        // To 8 output bits.
        let exponent = bits_over_unit + 31 - 8;
        if !(0..=31).contains(&exponent) {
            return Err(QuantError::SoftmaxRange);
        }
        for (o, &x) in out.iter_mut().zip(row) {
            let diff = i32::from(x) - max;
            *o = if diff >= quant.diff_min {
                let exp = exp_on_negative_values(quant.scaled_diff(diff));
                let unsaturated = rounding_divide_by_pot(
                    saturating_rounding_doubling_high_mul(shifted_scale, exp),
                    exponent as u32,
                );
                (unsaturated - 128).clamp(-128, 127) as i8
            } else {
                -128
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: QuantParams = QuantParams::new(1.0 / 256.0, -128);

    fn probabilities(quant: &SoftmaxQuant, input: &[i8]) -> [i8; 4] {
        let mut out = [0i8; 4];
        softmax_int8(quant, 4, input, &mut out).unwrap();
        out
    }

    #[test]
    fn preparation_as_tflite() {
        // β = 1, s_in = 1/16: 2²⁶/16 = 2²² is 0.5 · 2²³.
        let q = SoftmaxQuant::new(1.0, 1.0 / 16.0, OUT).unwrap();
        assert_eq!((q.input_multiplier, q.input_left_shift), (1 << 30, 23));
        assert_eq!(q.diff_min, -((31 << 26) >> 23)); // −248
        assert!(SoftmaxQuant::new(1.0, 0.1, QuantParams::new(1.0 / 255.0, -128)).is_err());
        assert!(SoftmaxQuant::new(1.0, 0.1, QuantParams::new(1.0 / 256.0, 0)).is_err());
        // β · s_in · 2²⁶ ≤ 1 cannot be a multiplier above one.
        assert!(SoftmaxQuant::new(1.0, 1e-9, OUT).is_err());
    }

    #[test]
    fn equal_inputs_share_the_probability_and_large_gaps_give_zero() {
        let q = SoftmaxQuant::new(1.0, 0.1, OUT).unwrap();
        // Four equal logits: 1/4 each, 64/256 → code −64.
        assert_eq!(probabilities(&q, &[5, 5, 5, 5]), [-64; 4]);
        // One logit far above the others: all of it (255/256 saturates to 127).
        assert_eq!(probabilities(&q, &[127, -128, -128, -128]), [127, -128, -128, -128]);
    }

    #[test]
    fn close_to_the_float_softmax() {
        let scale = 0.2f32;
        let q = SoftmaxQuant::new(1.0, scale, OUT).unwrap();
        let input = [10i8, 3, -4, 0];
        let out = probabilities(&q, &input);
        let exps: [f64; 4] = input.map(|x| (f64::from(x) * f64::from(scale)).exp());
        let sum: f64 = exps.iter().sum();
        for (o, e) in out.iter().zip(exps) {
            let p = f64::from(i32::from(*o) + 128) / 256.0;
            assert!((p - e / sum).abs() <= 1.0 / 256.0, "{p} vs {}", e / sum);
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        let q = SoftmaxQuant::new(1.0, 0.1, OUT).unwrap();
        assert!(softmax_int8(&q, 3, &[0; 4], &mut [0; 4]).is_err());
        assert!(softmax_int8(&q, 0, &[], &mut []).is_err());
        assert!(softmax_int8(&q, 2, &[0; 4], &mut [0; 2]).is_err());
        // 600 equal values: the sum of exponentials overflows the reciprocal's range.
        let mut out = [0i8; 600];
        assert_eq!(
            softmax_int8(&q, 600, &[0; 600], &mut out),
            Err(QuantError::SoftmaxRange)
        );
    }
}
