//! Between real numbers and int8 codes: `real = (q − zero_point) × scale`.

/// A tensor's affine quantization, per tensor: `real = (q − zero_point) ×
/// scale`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantParams {
    /// The real step between two codes.
    pub scale: f32,
    /// The code of real 0.
    pub zero_point: i32,
}

impl QuantParams {
    /// A scale and a zero point.
    pub const fn new(scale: f32, zero_point: i32) -> Self {
        Self { scale, zero_point }
    }
}

/// `x` as an int8 code, as TFLite's reference QUANTIZE computes it: `x /
/// scale` in f32, rounded half away from zero, plus the zero point,
/// clamped to −128..=127 (NaN gives the zero point).
///
/// ```
/// use typenet::quant::{QuantParams, quantize};
/// let p = QuantParams::new(0.5, -3);
/// assert_eq!(quantize(1.25, p), 0);   // 2.5 rounds to 3
/// assert_eq!(quantize(-1.25, p), -6); // −2.5 rounds to −3
/// assert_eq!(quantize(1e9, p), 127);
/// ```
pub fn quantize(x: f32, p: QuantParams) -> i8 {
    let q = round_half_away_from_zero(x / p.scale);
    // `as` saturates (and maps NaN to 0), as the clamp below then needs.
    let q = (q as i32).saturating_add(p.zero_point);
    q.clamp(-128, 127) as i8
}

/// The real value of an int8 code, as TFLite's reference DEQUANTIZE
/// computes it: `scale × (q − zero_point)` in f64, then to f32.
///
/// ```
/// use typenet::quant::{QuantParams, dequantize};
/// assert_eq!(dequantize(-128, QuantParams::new(1.0 / 256.0, -128)), 0.0);
/// assert_eq!(dequantize(127, QuantParams::new(0.5, -1)), 64.0);
/// ```
pub fn dequantize(q: i8, p: QuantParams) -> f32 {
    (f64::from(p.scale) * f64::from(i32::from(q) - p.zero_point)) as f32
}

/// C's `roundf`: to the nearest integer, ties away from zero; written with
/// casts so that it needs neither `std` nor `libm`.
pub(crate) fn round_half_away_from_zero(x: f32) -> f32 {
    // From 2²³ on every f32 is an integer (and NaN and infinities pass).
    if x.is_nan() || x.abs() >= 8_388_608.0 {
        return x;
    }
    let truncated = x as i32 as f32;
    let fraction = x - truncated; // exact: both are within 2²³ of each other
    let rounded = if fraction >= 0.5 {
        truncated + 1.0
    } else if fraction <= -0.5 {
        truncated - 1.0
    } else {
        truncated
    };
    // roundf keeps the sign of a zero result (−0.3 → −0).
    f32::from_bits(rounded.to_bits() | (x.to_bits() & 0x8000_0000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_matches_std_round() {
        let mut x = 0x2545_f491u32;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = f32::from_bits(x);
            if v.is_nan() {
                continue;
            }
            assert_eq!(round_half_away_from_zero(v).to_bits(), v.round().to_bits(), "{v:e}");
        }
        for v in [
            0.5f32,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.499_999_97,
            8_388_607.5,
            -8_388_607.5,
            0.0,
            -0.0,
        ] {
            assert_eq!(round_half_away_from_zero(v).to_bits(), v.round().to_bits(), "{v}");
        }
    }

    #[test]
    fn quantize_round_trips_codes() {
        let p = QuantParams::new(0.390_978_3, 89);
        for q in -128..=127i8 {
            assert_eq!(quantize(dequantize(q, p), p), q);
        }
        assert_eq!(quantize(f32::NAN, p), 89);
        assert_eq!(quantize(f32::NEG_INFINITY, p), -128);
    }
}
