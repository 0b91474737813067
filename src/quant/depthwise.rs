//! TFLite's int8 DEPTHWISE_CONV_2D with per-channel requantization.

use super::error::{check_len, product};
use super::{ConvQuant, FeatureMap, QuantError, Window2d};

/// TFLite's reference int8 depthwise convolution (`reference_integer_ops::
/// DepthwiseConvPerChannel`) over one image: output channel `c · m + k`
/// (for `depth_multiplier` m) filters input channel `c` alone with filter
/// `[kh][kw][c · m + k]` (the file's `[1, kh, kw, out]`), then bias,
/// per-channel requantization, output zero point and clamp as
/// [`conv2d_int8`](super::conv2d_int8).
pub fn depthwise_conv2d_int8(
    quant: &ConvQuant<'_>,
    window: &Window2d,
    depth_multiplier: usize,
    (input_map, input): (FeatureMap, &[i8]),
    filter: &[i8],
    bias: Option<&[i32]>,
    (output_map, output): (FeatureMap, &mut [i8]),
) -> Result<(), QuantError> {
    window.check()?;
    check_len("input", input_map.values()?, input.len())?;
    check_len("output", output_map.values()?, output.len())?;
    let (in_c, out_c) = (input_map.channels, output_map.channels);
    if depth_multiplier == 0 || in_c.checked_mul(depth_multiplier) != Some(out_c) {
        return Err(QuantError::Geometry(
            "output channels differ from input channels × depth multiplier",
        ));
    }
    check_len(
        "filter",
        product(&[window.filter_height, window.filter_width, out_c])?,
        filter.len(),
    )?;
    quant.check(out_c, bias)?;
    for oy in 0..output_map.height {
        for ox in 0..output_map.width {
            let out_pixel = &mut output[(oy * output_map.width + ox) * out_c..][..out_c];
            for (oc, out) in out_pixel.iter_mut().enumerate() {
                let ic = oc / depth_multiplier;
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
                        let x = i32::from(input[(iy * input_map.width + ix) * in_c + ic]);
                        let w = i32::from(filter[(fy * window.filter_width + fx) * out_c + oc]);
                        acc = acc.wrapping_add(w * (x - quant.input_zero_point));
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
    use super::super::{Padding, quantize_multiplier};
    use super::*;

    #[test]
    fn each_output_channel_reads_its_input_channel() {
        // 1×2 map with 2 channels, depth multiplier 2, 1×2 filter VALID → 1×1×4.
        let multipliers = [quantize_multiplier(1.0).unwrap(); 4];
        let quant = ConvQuant {
            input_zero_point: 1,
            output_zero_point: 0,
            multipliers: &multipliers,
            activation_min: -128,
            activation_max: 127,
        };
        let (window, h, w) = Window2d::tflite(Padding::Valid, (1, 2), (1, 2), (1, 1), (1, 1)).unwrap();
        assert_eq!((h, w), (1, 1));
        let input = [2i8, 10, 3, 20]; // pixel 0: (2, 10), pixel 1: (3, 20)
        let filter = [1i8, 2, 3, 4, 5, 6, 7, 8]; // [kw][out channel]
        let mut output = [0i8; 4];
        depthwise_conv2d_int8(
            &quant,
            &window,
            2,
            (FeatureMap::new(1, 2, 2), &input),
            &filter,
            None,
            (FeatureMap::new(1, 1, 4), &mut output),
        )
        .unwrap();
        // out 0 (input 0): 1·1 + 5·2 = 11; out 1: 2·1 + 6·2 = 14;
        // out 2 (input 1): 3·9 + 7·19 = 160 → 127; out 3: 4·9 + 8·19 = 188 → 127.
        assert_eq!(output, [11, 14, 127, 127]);
        let bad = depthwise_conv2d_int8(
            &quant,
            &window,
            3,
            (FeatureMap::new(1, 2, 2), &input),
            &filter,
            None,
            (FeatureMap::new(1, 1, 4), &mut output),
        );
        assert!(matches!(bad, Err(QuantError::Geometry(_))));
    }
}
