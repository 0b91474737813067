//! TFLite's int8 AVERAGE_POOL_2D and MAX_POOL_2D. Both keep the input's
//! scale and zero point, so they need no requantization.

use super::error::check_len;
use super::{FeatureMap, QuantError, Window2d};

/// The input rows (or columns) of a pooling window along one axis, clipped
/// to the input as TFLite's reference pooling clips them.
fn span(out: usize, stride: usize, pad: usize, filter: usize, size: usize) -> core::ops::Range<usize> {
    let origin = out.saturating_mul(stride);
    let start = origin.saturating_sub(pad);
    let end = origin.saturating_add(filter).saturating_sub(pad).min(size);
    start..end.max(start)
}

fn check(
    window: &Window2d,
    input: (FeatureMap, usize),
    output: (FeatureMap, usize),
    clamp: (i32, i32),
) -> Result<(), QuantError> {
    window.check()?;
    if window.dilation_height != 1 || window.dilation_width != 1 {
        return Err(QuantError::Geometry("pooling has no dilation"));
    }
    check_len("input", input.0.values()?, input.1)?;
    check_len("output", output.0.values()?, output.1)?;
    if input.0.channels != output.0.channels {
        return Err(QuantError::Geometry("pooling keeps the channel count"));
    }
    if clamp.0 > clamp.1 {
        return Err(QuantError::Geometry("activation_min above activation_max"));
    }
    Ok(())
}

/// TFLite's reference int8 average pooling over one image: the sum of the
/// window's values inside the input (padding is not counted) divided by
/// their count, rounded half away from zero (`(sum ± count/2) / count`,
/// truncating), clamped to `clamp` (the fused activation's range). A
/// window over no input element is an error, as TFLite's kernel fails.
pub fn average_pool_int8(
    window: &Window2d,
    clamp: (i32, i32),
    (input_map, input): (FeatureMap, &[i8]),
    (output_map, output): (FeatureMap, &mut [i8]),
) -> Result<(), QuantError> {
    check(window, (input_map, input.len()), (output_map, output.len()), clamp)?;
    let channels = input_map.channels;
    for oy in 0..output_map.height {
        let rows = span(
            oy,
            window.stride_height,
            window.pad_top,
            window.filter_height,
            input_map.height,
        );
        for ox in 0..output_map.width {
            let cols = span(
                ox,
                window.stride_width,
                window.pad_left,
                window.filter_width,
                input_map.width,
            );
            // Within the input, whose size is checked, so no overflow of usize.
            let count = i32::try_from(rows.len() * cols.len()).map_err(|_| QuantError::Geometry("window too large"))?;
            if count == 0 {
                return Err(QuantError::EmptyWindow);
            }
            for c in 0..channels {
                let mut sum = 0i32;
                for iy in rows.clone() {
                    for ix in cols.clone() {
                        sum = sum.wrapping_add(i32::from(input[(iy * input_map.width + ix) * channels + c]));
                    }
                }
                let average = if sum > 0 {
                    sum.wrapping_add(count / 2) / count
                } else {
                    sum.wrapping_sub(count / 2) / count
                };
                output[(oy * output_map.width + ox) * channels + c] = average.clamp(clamp.0, clamp.1) as i8;
            }
        }
    }
    Ok(())
}

/// TFLite's reference int8 max pooling over one image: the largest value of
/// the window's elements inside the input (−128 for a window over none),
/// clamped to `clamp`.
pub fn max_pool_int8(
    window: &Window2d,
    clamp: (i32, i32),
    (input_map, input): (FeatureMap, &[i8]),
    (output_map, output): (FeatureMap, &mut [i8]),
) -> Result<(), QuantError> {
    check(window, (input_map, input.len()), (output_map, output.len()), clamp)?;
    let channels = input_map.channels;
    for oy in 0..output_map.height {
        let rows = span(
            oy,
            window.stride_height,
            window.pad_top,
            window.filter_height,
            input_map.height,
        );
        for ox in 0..output_map.width {
            let cols = span(
                ox,
                window.stride_width,
                window.pad_left,
                window.filter_width,
                input_map.width,
            );
            for c in 0..channels {
                let mut max = i8::MIN;
                for iy in rows.clone() {
                    for ix in cols.clone() {
                        max = max.max(input[(iy * input_map.width + ix) * channels + c]);
                    }
                }
                output[(oy * output_map.width + ox) * channels + c] = i32::from(max).clamp(clamp.0, clamp.1) as i8;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Padding;
    use super::*;

    const FULL: (i32, i32) = (-128, 127);

    #[test]
    fn the_average_rounds_half_away_from_zero() {
        let (window, h, w) = Window2d::tflite(Padding::Valid, (1, 2), (1, 2), (1, 1), (1, 1)).unwrap();
        let run = |a: i8, b: i8| {
            let mut out = [0i8];
            average_pool_int8(
                &window,
                FULL,
                (FeatureMap::new(1, 2, 1), &[a, b]),
                (FeatureMap::new(h, w, 1), &mut out),
            )
            .unwrap();
            out[0]
        };
        assert_eq!(run(1, 2), 2); // 1.5 → 2
        assert_eq!(run(-1, -2), -2); // −1.5 → −2
        assert_eq!(run(-1, 2), 1); // 0.5 → 1
        assert_eq!(run(1, -2), -1); // −0.5 → −1
        assert_eq!(run(-128, -128), -128);
        assert_eq!(run(127, 126), 127);
    }

    #[test]
    fn padding_is_not_counted() {
        // 2×2 SAME over a 2×2 map: the bottom-right windows see fewer values.
        let (window, h, w) = Window2d::tflite(Padding::Same, (2, 2), (2, 2), (1, 1), (1, 1)).unwrap();
        assert_eq!((h, w, window.pad_top, window.pad_left), (2, 2, 0, 0));
        let input = [10i8, 20, 30, 41];
        let mut avg = [0i8; 4];
        average_pool_int8(
            &window,
            FULL,
            (FeatureMap::new(2, 2, 1), &input),
            (FeatureMap::new(2, 2, 1), &mut avg),
        )
        .unwrap();
        assert_eq!(avg, [25, 31, 36, 41]); // 101/4 = 25.25, 61/2 = 30.5 → 31, 71/2 → 36
        let mut max = [0i8; 4];
        max_pool_int8(
            &window,
            (-128, 35),
            (FeatureMap::new(2, 2, 1), &input),
            (FeatureMap::new(2, 2, 1), &mut max),
        )
        .unwrap();
        assert_eq!(max, [35, 35, 35, 35]);
        max_pool_int8(
            &window,
            FULL,
            (FeatureMap::new(2, 2, 1), &input),
            (FeatureMap::new(2, 2, 1), &mut max),
        )
        .unwrap();
        assert_eq!(max, [41, 41, 41, 41]);
    }

    #[test]
    fn a_window_over_nothing_is_an_error() {
        let window = Window2d {
            filter_height: 1,
            filter_width: 1,
            stride_height: 1,
            stride_width: 1,
            dilation_height: 1,
            dilation_width: 1,
            pad_top: 5,
            pad_left: 0,
        };
        let mut out = [0i8];
        let result = average_pool_int8(
            &window,
            FULL,
            (FeatureMap::new(1, 1, 1), &[1]),
            (FeatureMap::new(1, 1, 1), &mut out),
        );
        assert_eq!(result, Err(QuantError::EmptyWindow));
        max_pool_int8(
            &window,
            FULL,
            (FeatureMap::new(1, 1, 1), &[1]),
            (FeatureMap::new(1, 1, 1), &mut out),
        )
        .unwrap();
        assert_eq!(out, [-128]);
    }
}
