//! TFLite's int8 CONV_2D with per-channel requantization.

use super::error::{check_len, product};
use super::{
    FeatureMap, QuantError, QuantizedMultiplier, Window2d, multiply_by_quantized_multiplier, quantize_multiplier,
};

/// The requantization of a convolution (or depthwise convolution): input
/// and output zero points, one multiplier per output channel and the clamp
/// of the fused activation.
#[derive(Debug, Clone, Copy)]
pub struct ConvQuant<'a> {
    /// The input's zero point (TFLite subtracts it from every input value).
    pub input_zero_point: i32,
    /// The output's zero point.
    pub output_zero_point: i32,
    /// `s_in · s_w[c] / s_out` for each output channel `c`
    /// ([`per_channel_multipliers`]).
    pub multipliers: &'a [QuantizedMultiplier],
    /// The lowest output code ([`activation_range`](super::activation_range)).
    pub activation_min: i32,
    /// The highest output code.
    pub activation_max: i32,
}

impl ConvQuant<'_> {
    /// Bias, requantize, add the output zero point, clamp.
    #[inline]
    pub(crate) fn output(&self, acc: i32, bias: Option<&[i32]>, channel: usize) -> i8 {
        let acc = acc.wrapping_add(bias.map_or(0, |b| b[channel]));
        let acc = multiply_by_quantized_multiplier(acc, self.multipliers[channel]).wrapping_add(self.output_zero_point);
        acc.clamp(self.activation_min, self.activation_max) as i8
    }

    pub(crate) fn check(&self, channels: usize, bias: Option<&[i32]>) -> Result<(), QuantError> {
        check_len("multipliers", channels, self.multipliers.len())?;
        if let Some(bias) = bias {
            check_len("bias", channels, bias.len())?;
        }
        if self.activation_min > self.activation_max {
            return Err(QuantError::Geometry("activation_min above activation_max"));
        }
        Ok(())
    }
}

/// Fills `multipliers` with each output channel's `s_in · s_w[c] / s_out`
/// (in f64, as TFLite's `PopulateConvolutionQuantizationParams`) as a
/// [`QuantizedMultiplier`]. One filter scale is broadcast to every channel
/// (per-tensor weights); otherwise there is one per channel.
pub fn per_channel_multipliers(
    input_scale: f32,
    filter_scales: &[f32],
    output_scale: f32,
    multipliers: &mut [QuantizedMultiplier],
) -> Result<(), QuantError> {
    if filter_scales.len() != 1 {
        check_len("filter scales", multipliers.len(), filter_scales.len())?;
    }
    for (c, m) in multipliers.iter_mut().enumerate() {
        let filter_scale = filter_scales[if filter_scales.len() == 1 { 0 } else { c }];
        let real = f64::from(input_scale) * f64::from(filter_scale) / f64::from(output_scale);
        *m = quantize_multiplier(real)?;
    }
    Ok(())
}

/// TFLite's reference int8 convolution (`reference_integer_ops::
/// ConvPerChannel`) over one image: for each output pixel and channel,
/// `Σ w · (x − zp_in)` over the taps inside the input (zero padding
/// contributes nothing), plus the bias, requantized per channel, plus the
/// output zero point, clamped. The filter is `[out][kh][kw][in]`, as in a
/// `.tflite` file; channel groups are not supported.
pub fn conv2d_int8(
    quant: &ConvQuant<'_>,
    window: &Window2d,
    (input_map, input): (FeatureMap, &[i8]),
    filter: &[i8],
    bias: Option<&[i32]>,
    (output_map, output): (FeatureMap, &mut [i8]),
) -> Result<(), QuantError> {
    window.check()?;
    check_len("input", input_map.values()?, input.len())?;
    check_len("output", output_map.values()?, output.len())?;
    let (in_c, out_c) = (input_map.channels, output_map.channels);
    check_len(
        "filter",
        product(&[out_c, window.filter_height, window.filter_width, in_c])?,
        filter.len(),
    )?;
    quant.check(out_c, bias)?;
    let filter_size = window.filter_height * window.filter_width * in_c;
    for oy in 0..output_map.height {
        for ox in 0..output_map.width {
            let out_pixel = &mut output[(oy * output_map.width + ox) * out_c..][..out_c];
            for (oc, out) in out_pixel.iter_mut().enumerate() {
                let filter_oc = &filter[oc * filter_size..][..filter_size];
                let mut acc = 0i32;
                for fy in 0..window.filter_height {
                    let Some(iy) = Window2d::tap(
                        oy,
                        window.stride_height,
                        window.pad_top,
                        window.dilation_height,
                        fy,
                        input_map.height,
                    ) else {
                        continue;
                    };
                    for fx in 0..window.filter_width {
                        let Some(ix) = Window2d::tap(
                            ox,
                            window.stride_width,
                            window.pad_left,
                            window.dilation_width,
                            fx,
                            input_map.width,
                        ) else {
                            continue;
                        };
                        let x = &input[(iy * input_map.width + ix) * in_c..][..in_c];
                        let w = &filter_oc[(fy * window.filter_width + fx) * in_c..][..in_c];
                        for (&x, &w) in x.iter().zip(w) {
                            acc = acc.wrapping_add(i32::from(w) * (i32::from(x) - quant.input_zero_point));
                        }
                    }
                }
                *out = quant.output(acc, bias, oc);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Padding;
    use super::*;

    #[test]
    fn a_one_by_one_convolution_is_a_requantized_dot_product() {
        // 2 input channels → 2 output channels, one pixel.
        let multipliers = [quantize_multiplier(0.5).unwrap(), quantize_multiplier(0.25).unwrap()];
        let quant = ConvQuant {
            input_zero_point: -1,
            output_zero_point: 3,
            multipliers: &multipliers,
            activation_min: -128,
            activation_max: 127,
        };
        let window = Window2d::tflite(Padding::Valid, (1, 1), (1, 1), (1, 1), (1, 1))
            .unwrap()
            .0;
        let input = [4i8, -2];
        let filter = [1i8, 2, -3, 1];
        let bias = [10, -1];
        let mut output = [0i8; 2];
        conv2d_int8(
            &quant,
            &window,
            (FeatureMap::new(1, 1, 2), &input),
            &filter,
            Some(&bias),
            (FeatureMap::new(1, 1, 2), &mut output),
        )
        .unwrap();
        // channel 0: (4+1)·1 + (−2+1)·2 + 10 = 13 → 6.5 → 7 (+3 = 10)
        // channel 1: (4+1)·(−3) + (−2+1)·1 − 1 = −17: the high multiply
        // rounds −8.5 up to −8, the shift gives −4 (+3 = −1).
        assert_eq!(output, [10, -1]);
    }

    #[test]
    fn same_padding_skips_the_taps_outside_and_clamps() {
        // 3×3 ones over a 2×2 map of ones with SAME: every output sees the 4 inputs.
        let multipliers = [quantize_multiplier(1.0 / 64.0).unwrap()];
        let quant = ConvQuant {
            input_zero_point: 0,
            output_zero_point: -128,
            multipliers: &multipliers,
            activation_min: -128,
            activation_max: -100,
        };
        let (window, h, w) = Window2d::tflite(Padding::Same, (2, 2), (3, 3), (1, 1), (1, 1)).unwrap();
        assert_eq!((h, w, window.pad_top, window.pad_left), (2, 2, 1, 1));
        let input = [100i8; 4];
        let filter = [127i8; 9];
        let mut output = [0i8; 4];
        conv2d_int8(
            &quant,
            &window,
            (FeatureMap::new(2, 2, 1), &input),
            &filter,
            None,
            (FeatureMap::new(2, 2, 1), &mut output),
        )
        .unwrap();
        // 4·100·127 / 64 = 793.75 → 794 − 128 = 666, clamped to −100.
        assert_eq!(output, [-100; 4]);
    }

    #[test]
    fn wrong_lengths_are_errors_not_panics() {
        let multipliers = [QuantizedMultiplier::default()];
        let quant = ConvQuant {
            input_zero_point: 0,
            output_zero_point: 0,
            multipliers: &multipliers,
            activation_min: -128,
            activation_max: 127,
        };
        let window = Window2d::tflite(Padding::Valid, (2, 2), (1, 1), (1, 1), (1, 1))
            .unwrap()
            .0;
        let map = FeatureMap::new(2, 2, 1);
        let mut out = [0i8; 4];
        assert!(matches!(
            conv2d_int8(&quant, &window, (map, &[0; 3]), &[1], None, (map, &mut out)),
            Err(QuantError::Length {
                what: "input",
                expected: 4,
                found: 3
            })
        ));
        assert!(conv2d_int8(&quant, &window, (map, &[0; 4]), &[1, 2], None, (map, &mut out)).is_err());
        assert!(conv2d_int8(&quant, &window, (map, &[0; 4]), &[1], Some(&[1, 2]), (map, &mut out)).is_err());
    }

    #[test]
    fn huge_strides_read_nothing_outside_rather_than_overflow() {
        let multipliers = [quantize_multiplier(1.0).unwrap()];
        let quant = ConvQuant {
            input_zero_point: 0,
            output_zero_point: 0,
            multipliers: &multipliers,
            activation_min: -128,
            activation_max: 127,
        };
        let window = Window2d {
            filter_height: 1,
            filter_width: 1,
            stride_height: usize::MAX,
            stride_width: usize::MAX,
            dilation_height: 1,
            dilation_width: 1,
            pad_top: 0,
            pad_left: 0,
        };
        let map = FeatureMap::new(2, 2, 1);
        let mut out = [9i8; 4];
        conv2d_int8(&quant, &window, (map, &[1, 2, 3, 4]), &[1], None, (map, &mut out)).unwrap();
        assert_eq!(out, [1, 0, 0, 0]);
    }

    #[test]
    fn one_filter_scale_is_broadcast() {
        let mut m = [QuantizedMultiplier::default(); 3];
        per_channel_multipliers(0.5, &[0.25], 0.125, &mut m).unwrap();
        assert!(m.iter().all(|m| *m == quantize_multiplier(1.0).unwrap()));
        per_channel_multipliers(0.5, &[0.25, 0.5, 1.0], 1.0, &mut m).unwrap();
        assert_eq!(m[2], quantize_multiplier(0.5).unwrap());
        assert!(per_channel_multipliers(0.5, &[0.25, 0.5], 1.0, &mut m).is_err());
    }
}
