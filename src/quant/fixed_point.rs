//! gemmlowp's fixed-point primitives, which TFLite's requantization and
//! integer softmax are built from, with their exact rounding and saturation.
//!
//! TFLite's C++ leaves int32 overflow undefined; the few places where it can
//! overflow at all wrap here (two's complement, what the hardware does) so
//! that no input panics.

use super::QuantizedMultiplier;

/// `round(a · b / 2³¹)` with ties toward +∞ (`−2.5` → `−2`), saturating the
/// one overflowing case (`a = b = i32::MIN`) to `i32::MAX`: ARM's
/// `VQRDMULH`, gemmlowp's `SaturatingRoundingDoublingHighMul`. (gemmlowp's
/// nudge of `1 − 2³⁰` for negative products, then a division truncating
/// toward zero, is `floor(a · b / 2³¹ + ½)`.)
///
/// ```
/// use typenet::quant::saturating_rounding_doubling_high_mul as srdhm;
/// assert_eq!(srdhm(i32::MIN, i32::MIN), i32::MAX);
/// assert_eq!(srdhm(1 << 30, 1 << 30), 1 << 29); // 0.5 × 0.5 in Q31
/// assert_eq!(srdhm(5, 1 << 30), 3);   // 2.5 → 3
/// assert_eq!(srdhm(-5, 1 << 30), -2); // −2.5 → −2
/// ```
#[inline]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Division truncates toward zero, as C's does; with the nudge this is
    // floor(ab / 2³¹ + ½). The quotient fits: |ab| < 2⁶².
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded to nearest, ties away from zero (gemmlowp's
/// `RoundingDivideByPOT`, a rounding arithmetic right shift). TFLite
/// requires `exponent` in `0..=31`; larger values act as 31.
///
/// ```
/// use typenet::quant::rounding_divide_by_pot;
/// assert_eq!(rounding_divide_by_pot(5, 1), 3);   // 2.5 → 3
/// assert_eq!(rounding_divide_by_pot(-5, 1), -3); // −2.5 → −3
/// assert_eq!(rounding_divide_by_pot(-3, 2), -1); // −0.75 → −1
/// ```
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let exponent = exponent.min(31);
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// `x · 2^exponent`, saturating when `exponent > 0` and rounding to nearest
/// when `exponent < 0`: gemmlowp's `SaturatingRoundingMultiplyByPOT`, which
/// its `Rescale` between fixed-point formats is. `exponent` in `-31..=30`.
#[inline]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    match exponent {
        0 => x,
        e if e < 0 => rounding_divide_by_pot(x, e.unsigned_abs()),
        e => {
            let e = e.min(30) as u32;
            let threshold = (1i32 << (31 - e)) - 1;
            if x > threshold {
                i32::MAX
            } else if x < -threshold {
                i32::MIN
            } else {
                x << e
            }
        }
    }
}

/// `x · multiplier · 2^shift` with TFLite's default *double rounding*:
/// `RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x · 2^left,
/// multiplier), right)`, the requantization of every int8 convolution,
/// depthwise convolution and addition in TFLite and TFLite Micro (unless
/// built with `TFLITE_SINGLE_ROUNDING`). A positive shift multiplies `x`
/// first (wrapping on overflow, where TFLite's behaviour is undefined).
/// Two roundings: the high multiply's (ties toward +∞), then the shift's
/// (ties away from zero).
///
/// ```
/// use typenet::quant::{QuantizedMultiplier, multiply_by_quantized_multiplier};
/// // 0.75 = (3 · 2²⁹ / 2³¹) · 2⁰
/// let m = QuantizedMultiplier::new(3 << 29, 0)?;
/// assert_eq!(multiply_by_quantized_multiplier(10, m), 8);   // 7.5 → 8
/// assert_eq!(multiply_by_quantized_multiplier(-10, m), -7); // −7.5 → −7
/// // 0.25 = 0.5 · 2⁻¹: −6 · 0.5 = −3 exactly, then −1.5 → −2.
/// let m = QuantizedMultiplier::new(1 << 30, -1)?;
/// assert_eq!(multiply_by_quantized_multiplier(-6, m), -2);
/// # Ok::<(), typenet::quant::QuantError>(())
/// ```
#[inline]
pub fn multiply_by_quantized_multiplier(x: i32, m: QuantizedMultiplier) -> i32 {
    let shift = m.shift();
    let left = if shift > 0 { shift as u32 } else { 0 };
    let right = if shift > 0 { 0 } else { shift.unsigned_abs() };
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x.wrapping_mul(1 << left), m.multiplier()),
        right,
    )
}

/// `x · multiplier · 2^shift` with one rounding: `(x · multiplier +
/// 2^(30 − shift)) >> (31 − shift)`, ties toward +∞. TFLite and TFLite
/// Micro use this instead of [`multiply_by_quantized_multiplier`] when
/// built with `TFLITE_SINGLE_ROUNDING=1` (and CMSIS-NN with
/// `CMSIS_NN_USE_SINGLE_ROUNDING`); LiteRT's Python package is not.
///
/// ```
/// use typenet::quant::{QuantizedMultiplier, multiply_by_quantized_multiplier_single_rounding as mbqm1};
/// let m = QuantizedMultiplier::new(3 << 29, 0)?; // 0.75
/// assert_eq!(mbqm1(-10, m), -7); // −7.5 rounds up
/// # Ok::<(), typenet::quant::QuantError>(())
/// ```
#[inline]
pub fn multiply_by_quantized_multiplier_single_rounding(x: i32, m: QuantizedMultiplier) -> i32 {
    let total_shift = 31 - m.shift();
    let round = 1i64 << (total_shift - 1);
    let result = (i64::from(x) * i64::from(m.multiplier()) + round) >> total_shift;
    result as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition in exact arithmetic: floor(a·b / 2³¹ + ½).
    fn srdhm_exact(a: i32, b: i32) -> i64 {
        let p = i128::from(a) * i128::from(b);
        ((p + (1 << 30)) >> 31) as i64
    }

    /// round(x / 2^e), ties away from zero, in exact arithmetic.
    fn rdbpot_exact(x: i64, e: u32) -> i64 {
        let d = 1i64 << e;
        let q = (x.abs() * 2 + d) / (2 * d);
        if x < 0 { -q } else { q }
    }

    #[test]
    fn doubling_high_mul_rounds_ties_up() {
        let values = [
            0,
            1,
            -1,
            2,
            3,
            -3,
            5,
            -5,
            1 << 15,
            -(1 << 15),
            1 << 30,
            -(1 << 30),
            i32::MAX,
            i32::MIN + 1,
            123_456_789,
            -987_654_321,
        ];
        for &a in &values {
            for &b in &values {
                assert_eq!(
                    i64::from(saturating_rounding_doubling_high_mul(a, b)),
                    srdhm_exact(a, b),
                    "{a} × {b}"
                );
            }
        }
        // Exact ties: a·b = ±2³⁰ is ±0.5 in the high half.
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 15, 1 << 15), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(-(1 << 15), 1 << 15), 0);
        assert_eq!(saturating_rounding_doubling_high_mul(-3 << 15, 1 << 15), -1); // −1.5
        // Just past a negative tie rounds away.
        assert_eq!(saturating_rounding_doubling_high_mul(-(1 << 15) - 1, 1 << 15), -1);
        assert_eq!(saturating_rounding_doubling_high_mul((1 << 15) - 1, 1 << 15), 0);
    }

    #[test]
    fn doubling_high_mul_saturates_only_at_min_times_min() {
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX), -i32::MAX);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, 1), -1); // −2³¹ · 1 / 2³¹ exactly
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, -1), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MAX, i32::MAX), i32::MAX - 1);
    }

    #[test]
    fn divide_by_pot_rounds_ties_away_from_zero() {
        for x in -40i32..=40 {
            for e in 0..6u32 {
                assert_eq!(
                    i64::from(rounding_divide_by_pot(x, e)),
                    rdbpot_exact(i64::from(x), e),
                    "{x} / 2^{e}"
                );
            }
        }
        assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
        assert_eq!(rounding_divide_by_pot(i32::MAX, 31), 1);
        assert_eq!(rounding_divide_by_pot(1 << 30, 31), 1); // exactly 0.5
        assert_eq!(rounding_divide_by_pot(-(1 << 30), 31), -1);
        assert_eq!(rounding_divide_by_pot((1 << 30) - 1, 31), 0);
        assert_eq!(rounding_divide_by_pot(i32::MIN, 40), -1, "exponents past 31 act as 31");
    }

    #[test]
    fn multiply_by_pot_saturates_and_rounds() {
        assert_eq!(saturating_rounding_multiply_by_pot(3, 2), 12);
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 29, 1), 1 << 30);
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 30, 1), i32::MAX);
        assert_eq!(saturating_rounding_multiply_by_pot(-(1 << 30), 1), i32::MIN);
        assert_eq!(saturating_rounding_multiply_by_pot(-(1 << 30) + 1, 1), i32::MIN + 2);
        assert_eq!(saturating_rounding_multiply_by_pot(7, -1), 4);
        assert_eq!(saturating_rounding_multiply_by_pot(-7, -1), -4);
        assert_eq!(saturating_rounding_multiply_by_pot(-7, 0), -7);
    }

    #[test]
    fn requantization_is_two_roundings() {
        let mut state = 0x0bad_cafe_u64;
        for _ in 0..100_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let x = (state >> 32) as i32 >> (state % 24);
            let m =
                QuantizedMultiplier::new(((state >> 8) as i32 & i32::MAX) | (1 << 30), -((state % 31) as i32)).unwrap();
            let right = m.shift().unsigned_abs();
            let expected = rdbpot_exact(srdhm_exact(x, m.multiplier()), right);
            assert_eq!(
                i64::from(multiply_by_quantized_multiplier(x, m)),
                expected,
                "{x} · {m:?}"
            );
        }
        // 0.3 = 0.6 · 2⁻¹
        let m = QuantizedMultiplier::new(1_288_490_189, -1).unwrap();
        assert_eq!(multiply_by_quantized_multiplier(1000, m), 300);
        assert_eq!(multiply_by_quantized_multiplier(-1000, m), -300);
        assert_eq!(multiply_by_quantized_multiplier(5, m), 2); // 3.0000000005 → 3, then 1.5 → 2
        // 1.5 = 0.75 · 2¹: x is doubled before the high multiply.
        let m = QuantizedMultiplier::new(3 << 29, 1).unwrap();
        assert_eq!(multiply_by_quantized_multiplier(5, m), 8); // 7.5 → 8
        assert_eq!(multiply_by_quantized_multiplier(-5, m), -7); // −7.5 → −7
        let m = QuantizedMultiplier::new(i32::MAX, 0).unwrap();
        assert_eq!(multiply_by_quantized_multiplier(i32::MIN, m), -i32::MAX);
        // The left shift wraps where TFLite's is undefined.
        let m = QuantizedMultiplier::new(1 << 30, 2).unwrap();
        assert_eq!(multiply_by_quantized_multiplier(1 << 30, m), 0);
    }

    #[test]
    fn double_and_single_rounding_differ() {
        // 0.25 = 0.5 · 2⁻¹
        let quarter = QuantizedMultiplier::new(1 << 30, -1).unwrap();
        // −6 / 4 = −1.5: single rounding ties up to −1; double rounding
        // gets −3 exactly from the high multiply, then −1.5 → −2.
        assert_eq!(multiply_by_quantized_multiplier_single_rounding(-6, quarter), -1);
        assert_eq!(multiply_by_quantized_multiplier(-6, quarter), -2);
        // 5 / 4 = 1.25: single rounding gives 1; double rounding 2.5 → 3, then 1.5 → 2.
        assert_eq!(multiply_by_quantized_multiplier_single_rounding(5, quarter), 1);
        assert_eq!(multiply_by_quantized_multiplier(5, quarter), 2);
        for x in -1000..1000 {
            let exact = f64::from(x) / 4.0;
            assert_eq!(
                f64::from(multiply_by_quantized_multiplier_single_rounding(x, quarter)),
                (exact + 0.5).floor()
            );
        }
    }
}
