//! TFLite's int8 FULLY_CONNECTED.

use super::error::{check_len, product};
use super::{DoubleMultiplier, QuantError, QuantizedMultiplier, multiply_by_quantized_multiplier, quantize_multiplier};

/// How a fully connected layer's int32 sums become output codes: the two
/// TFLite runtimes differ here.
#[derive(Debug, Clone, Copy)]
pub enum FullyConnectedRequantize<'a> {
    /// One integer multiplier, double rounding: TFLite Micro's reference
    /// kernel, CMSIS-NN and LiteRT's optimized kernels.
    Multiplier(QuantizedMultiplier),
    /// One integer multiplier per output unit (per-channel weights).
    PerChannel(&'a [QuantizedMultiplier]),
    /// `round(acc · s_in · s_w / s_out)` as a double product: LiteRT's
    /// reference kernel (`BUILTIN_REF`), reproduced in integers.
    Double(DoubleMultiplier),
    /// The same per output unit.
    PerChannelDouble(&'a [DoubleMultiplier]),
}

impl FullyConnectedRequantize<'_> {
    /// The integer multiplier `s_in · s_w / s_out`, with the real multiplier
    /// formed as TFLite's `GetQuantizedConvolutionMultipler` forms it
    /// (`s_in · s_w` in f32, then divided in f64).
    pub fn multiplier(input_scale: f32, weights_scale: f32, output_scale: f32) -> Result<Self, QuantError> {
        let real = f64::from(input_scale * weights_scale) / f64::from(output_scale);
        Ok(Self::Multiplier(quantize_multiplier(real)?))
    }

    /// LiteRT's reference requantization for per-tensor weights: the scale
    /// `s_in · s_w / s_out` in f64, as its kernel computes it.
    pub fn double(input_scale: f32, weights_scale: f32, output_scale: f32) -> Result<Self, QuantError> {
        let scale = f64::from(input_scale) * f64::from(weights_scale) / f64::from(output_scale);
        Ok(Self::Double(DoubleMultiplier::new(scale)?))
    }

    fn apply(&self, acc: i32, unit: usize) -> i32 {
        match self {
            Self::Multiplier(m) => multiply_by_quantized_multiplier(acc, *m),
            Self::PerChannel(m) => multiply_by_quantized_multiplier(acc, m[unit]),
            Self::Double(d) => d.apply(acc),
            Self::PerChannelDouble(d) => d[unit].apply(acc),
        }
    }

    fn check(&self, units: usize) -> Result<(), QuantError> {
        match self {
            Self::PerChannel(m) => check_len("multipliers", units, m.len()),
            Self::PerChannelDouble(d) => check_len("multipliers", units, d.len()),
            Self::Multiplier(_) | Self::Double(_) => Ok(()),
        }
    }
}

/// The parameters of an int8 fully connected layer.
#[derive(Debug, Clone, Copy)]
pub struct FullyConnectedQuant<'a> {
    /// The input's zero point.
    pub input_zero_point: i32,
    /// The weights' zero point (0 for TFLite's symmetric weights; TFLite
    /// ignores it for per-channel weights, so pass 0 there).
    pub weights_zero_point: i32,
    /// The output's zero point.
    pub output_zero_point: i32,
    /// How sums are brought to the output scale.
    pub requantize: FullyConnectedRequantize<'a>,
    /// The lowest output code ([`activation_range`](super::activation_range)).
    pub activation_min: i32,
    /// The highest output code.
    pub activation_max: i32,
}

/// TFLite's reference int8 fully connected layer for one input row:
/// `output[u] = clamp(requantize(Σ_i (w[u][i] − zp_w)(x[i] − zp_in) + b[u]) +
/// zp_out)`, the weights `[units][inputs]` as in a `.tflite` file.
pub fn fully_connected_int8(
    quant: &FullyConnectedQuant<'_>,
    input: &[i8],
    weights: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i8],
) -> Result<(), QuantError> {
    let (inputs, units) = (input.len(), output.len());
    check_len("weights", product(&[units, inputs])?, weights.len())?;
    if let Some(bias) = bias {
        check_len("bias", units, bias.len())?;
    }
    quant.requantize.check(units)?;
    if quant.activation_min > quant.activation_max {
        return Err(QuantError::Geometry("activation_min above activation_max"));
    }
    for (unit, out) in output.iter_mut().enumerate() {
        let row = &weights[unit * inputs..][..inputs];
        let mut acc = 0i32;
        for (&w, &x) in row.iter().zip(input) {
            let product = (i32::from(w) - quant.weights_zero_point).wrapping_mul(i32::from(x) - quant.input_zero_point);
            acc = acc.wrapping_add(product);
        }
        acc = acc.wrapping_add(bias.map_or(0, |b| b[unit]));
        let scaled = quant.requantize.apply(acc, unit).wrapping_add(quant.output_zero_point);
        *out = scaled.clamp(quant.activation_min, quant.activation_max) as i8;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quant(requantize: FullyConnectedRequantize<'_>) -> FullyConnectedQuant<'_> {
        FullyConnectedQuant {
            input_zero_point: 2,
            weights_zero_point: 0,
            output_zero_point: -1,
            requantize,
            activation_min: -1,
            activation_max: 127,
        }
    }

    #[test]
    fn sums_requantizes_and_clamps() {
        let requantize = FullyConnectedRequantize::multiplier(0.5, 0.5, 1.0).unwrap(); // 0.25
        let input = [6i8, -2, 2];
        let weights = [1i8, 2, 3, -1, -1, -1];
        let mut output = [0i8; 2];
        fully_connected_int8(&quant(requantize), &input, &weights, Some(&[2, 0]), &mut output).unwrap();
        // unit 0: 4 − 8 + 0 + 2 = −2 → −0.5 → −1 (away from zero) − 1 = −2 → clamp −1
        // unit 1: −4 + 4 + 0 = 0 → 0 − 1 = −1
        assert_eq!(output, [-1, -1]);
        let mut output = [0i8; 2];
        let q = FullyConnectedQuant {
            activation_min: -128,
            ..quant(requantize)
        };
        fully_connected_int8(&q, &input, &weights, Some(&[2, 0]), &mut output).unwrap();
        assert_eq!(output, [-2, -1]);
    }

    #[test]
    fn integer_and_double_requantization_can_differ() {
        // A real multiplier whose Q31 form is not exact: 1/3.
        let integer = FullyConnectedRequantize::multiplier(1.0, 1.0, 3.0).unwrap();
        let double = FullyConnectedRequantize::double(1.0, 1.0, 3.0).unwrap();
        let differ = (-100_000..100_000)
            .filter(|&acc| integer.apply(acc, 0) != double.apply(acc, 0))
            .count();
        // Double rounding of the integer path moves some ties; the double path is exact here.
        assert!(differ > 0);
        for acc in [-100_000, -3, -2, -1, 0, 1, 2, 3, 4, 5, 100_000] {
            assert_eq!(double.apply(acc, 0), (f64::from(acc) / 3.0).round() as i32);
        }
    }

    #[test]
    fn wrong_lengths_are_errors() {
        let q = quant(FullyConnectedRequantize::multiplier(0.5, 0.5, 1.0).unwrap());
        let mut output = [0i8; 2];
        assert!(fully_connected_int8(&q, &[1, 2, 3], &[0; 5], None, &mut output).is_err());
        assert!(fully_connected_int8(&q, &[1, 2, 3], &[0; 6], Some(&[0]), &mut output).is_err());
        let per = [QuantizedMultiplier::default()];
        let q = quant(FullyConnectedRequantize::PerChannel(&per));
        assert!(fully_connected_int8(&q, &[1, 2, 3], &[0; 6], None, &mut output).is_err());
    }
}
