//! LiteRT's reference FULLY_CONNECTED requantizes in `double`:
//! `(int32_t) round((double) acc * scale)`. This reproduces that result with
//! integer arithmetic only, so that a microcontroller without a double
//! precision FPU (or a `no_std` build) gets the same bits.

use super::QuantError;

/// A non-negative `f64` scale kept as its exact significand and exponent,
/// `significand · 2^exponent`, to multiply int32 accumulators by as IEEE 754
/// double arithmetic does: the product rounded to 53 bits (to nearest,
/// ties to even), then to an integer (ties away from zero, C's `round`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DoubleMultiplier {
    significand: u64,
    exponent: i32,
}

impl DoubleMultiplier {
    /// The scale as a double; an error unless it is finite, non-negative
    /// and below 2³¹ (larger ones overflow int32 for any accumulator).
    pub fn new(scale: f64) -> Result<Self, QuantError> {
        if !scale.is_finite() {
            return Err(QuantError::NonFinite {
                what: "requantization scale",
                value: scale,
            });
        }
        if scale < 0.0 {
            return Err(QuantError::NotPositive {
                what: "requantization scale",
                value: scale,
            });
        }
        if scale >= 2_147_483_648.0 {
            return Err(QuantError::MultiplierTooLarge { value: scale });
        }
        let bits = scale.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1u64 << 52) - 1);
        Ok(if biased == 0 {
            Self {
                significand: fraction,
                exponent: -1074,
            }
        } else {
            Self {
                significand: fraction | (1u64 << 52),
                exponent: biased - 1075,
            }
        })
    }

    /// The scale it stands for.
    pub fn scale(self) -> f64 {
        // significand · 2^exponent, exact: both are exact in f64 and the
        // product is the scale `new` was given.
        let power = if self.exponent >= -1022 {
            f64::from_bits(((self.exponent + 1023) as u64) << 52)
        } else {
            f64::from_bits(1u64 << (self.exponent + 1074).max(0))
        };
        self.significand as f64 * power
    }

    /// The exact significand and power of two, `scale = significand ·
    /// 2^exponent`: what an int8 layer stores to requantize without
    /// floating point.
    pub const fn parts(self) -> (u64, i32) {
        (self.significand, self.exponent)
    }

    /// A multiplier from its [`parts`](DoubleMultiplier::parts), with
    /// integer arithmetic only. Values that no scale below 2³¹ has (a
    /// significand of more than 53 bits, an exponent outside `-1100..=10`)
    /// are brought into range, so that no stored value can make
    /// [`apply`](DoubleMultiplier::apply) panic.
    pub const fn from_parts(significand: u64, exponent: i32) -> Self {
        Self {
            significand: significand & ((1u64 << 53) - 1),
            exponent: if exponent < -1100 {
                -1100
            } else if exponent > 10 {
                10
            } else {
                exponent
            },
        }
    }

    /// `round(f64::from(acc) * scale)` as LiteRT computes it, saturated to
    /// the int32 range (C leaves the conversion of an out-of-range double
    /// undefined; with scales below 1 it cannot happen).
    pub fn apply(self, acc: i32) -> i32 {
        if acc == 0 || self.significand == 0 {
            return 0;
        }
        // The exact product: < 2³¹ · 2⁵³.
        let mut product = u128::from(acc.unsigned_abs()) * u128::from(self.significand);
        // Round it to 53 significant bits, ties to even, as the FPU does.
        let bits = 128 - product.leading_zeros() as i32;
        let mut exponent = self.exponent;
        if bits > 53 {
            let dropped = (bits - 53) as u32;
            let kept = product >> dropped;
            let remainder = product & ((1u128 << dropped) - 1);
            let half = 1u128 << (dropped - 1);
            let up = remainder > half || (remainder == half && kept & 1 == 1);
            product = kept + u128::from(up);
            exponent += dropped as i32;
        }
        // value = product · 2^exponent with product ≤ 2⁵³; now C's round().
        let magnitude: u128 = if exponent >= 0 {
            // Below 2⁶² because scale < 2³¹ and |acc| ≤ 2³¹.
            product << exponent.min(64)
        } else {
            let shift = exponent.unsigned_abs();
            if shift > 55 {
                0 // below 2⁵³ / 2⁵⁶ < 0.5
            } else {
                (product + (1u128 << (shift - 1))) >> shift
            }
        };
        let magnitude = i64::try_from(magnitude).unwrap_or(i64::MAX);
        let value = if acc < 0 { -magnitude } else { magnitude };
        value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // f64::round is C's round(): half away from zero.

    #[test]
    fn equals_double_arithmetic_over_many_accumulators_and_scales() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let scale = f64::from_bits((next() >> 12) | (1023u64 << 52)) * 2f64.powi((next() % 40) as i32 - 36);
            let acc = next() as i32 >> (next() % 31);
            let expected = (f64::from(acc) * scale)
                .round()
                .clamp(f64::from(i32::MIN), f64::from(i32::MAX));
            let m = DoubleMultiplier::new(scale).unwrap();
            assert_eq!(f64::from(m.apply(acc)), expected, "{acc} × {scale:e}");
            assert_eq!(m.scale(), scale);
            let rebuilt = m.significand as f64 * 2f64.powi(m.exponent);
            assert_eq!(rebuilt, scale, "significand and exponent are exact");
            let (significand, exponent) = m.parts();
            assert_eq!(DoubleMultiplier::from_parts(significand, exponent), m);
        }
    }

    #[test]
    fn ties_round_away_from_zero_after_the_product_rounds_to_even() {
        let half = DoubleMultiplier::new(0.5).unwrap();
        assert_eq!(half.apply(5), 3);
        assert_eq!(half.apply(-5), -3);
        assert_eq!(half.apply(1), 1);
        assert_eq!(half.apply(-1), -1);
        // A product just above a tie that the double rounding brings onto it:
        // scale = 0.5 + 2⁻⁵³ times 2³⁰ + 1 has more than 53 bits.
        let scale = 0.5 + 2f64.powi(-53);
        let acc = (1 << 30) + 1;
        assert_eq!(
            f64::from(DoubleMultiplier::new(scale).unwrap().apply(acc)),
            (f64::from(acc) * scale).round()
        );
    }

    #[test]
    fn extremes() {
        let m = DoubleMultiplier::new(0.999_999).unwrap();
        assert_eq!(m.apply(i32::MIN), (f64::from(i32::MIN) * 0.999_999).round() as i32);
        assert_eq!(m.apply(i32::MAX), (f64::from(i32::MAX) * 0.999_999).round() as i32);
        let big = DoubleMultiplier::new(1e9).unwrap();
        assert_eq!(big.apply(1_000), i32::MAX, "saturates");
        assert_eq!(big.apply(-1_000), i32::MIN);
        let tiny = DoubleMultiplier::new(f64::MIN_POSITIVE / 8.0).unwrap();
        assert_eq!(tiny.apply(i32::MAX), 0);
        assert_eq!(DoubleMultiplier::new(0.0).unwrap().apply(77), 0);
        assert!(DoubleMultiplier::new(-1.0).is_err());
        assert!(DoubleMultiplier::new(f64::NAN).is_err());
        assert!(DoubleMultiplier::new(2f64.powi(31)).is_err());
        assert_eq!(tiny.scale(), f64::MIN_POSITIVE / 8.0);
        // stored garbage is brought into range, never a panic
        for (s, e) in [(u64::MAX, i32::MAX), (u64::MAX, i32::MIN), (1, 0), (0, 5)] {
            let m = DoubleMultiplier::from_parts(s, e);
            let _ = (m.apply(i32::MAX), m.apply(i32::MIN), m.apply(-1));
        }
    }
}
