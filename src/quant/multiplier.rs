//! A real multiplier as TFLite stores it: a Q31 integer and a power of two.

use super::QuantError;

/// A real multiplier `multiplier / 2³¹ · 2^shift` with `multiplier` in
/// `[2³⁰, 2³¹)` (or 0) and `shift` in `-31..=30`: what TFLite's
/// `QuantizeMultiplier` produces and `MultiplyByQuantizedMultiplier` reads.
/// A positive shift is a left shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuantizedMultiplier {
    multiplier: i32,
    shift: i32,
}

impl QuantizedMultiplier {
    /// The multiplier `multiplier / 2³¹ · 2^shift`; an error unless
    /// `multiplier ≥ 0` and `shift` is in `-31..=30`, the range in which
    /// TFLite's arithmetic is defined.
    pub const fn new(multiplier: i32, shift: i32) -> Result<Self, QuantError> {
        if multiplier < 0 {
            return Err(QuantError::NotPositive {
                what: "Q31 multiplier",
                value: multiplier as f64,
            });
        }
        if shift < -31 || shift > 30 {
            return Err(QuantError::MultiplierOutOfRange {
                what: "shift",
                value: shift as f64,
            });
        }
        Ok(Self { multiplier, shift })
    }

    /// The multiplier stored as `multiplier` and `shift` in a file or a
    /// baked net, brought into the range TFLite's arithmetic is defined on
    /// (a negative significand as 0, the shift clamped to `-31..=30`), so
    /// that no stored value can make inference panic.
    pub const fn saturating(multiplier: i32, shift: i32) -> Self {
        Self {
            multiplier: if multiplier < 0 { 0 } else { multiplier },
            shift: if shift < -31 {
                -31
            } else if shift > 30 {
                30
            } else {
                shift
            },
        }
    }

    /// The Q31 significand.
    pub const fn multiplier(self) -> i32 {
        self.multiplier
    }

    /// The power of two, positive for a left shift.
    pub const fn shift(self) -> i32 {
        self.shift
    }
}

/// TFLite's `QuantizeMultiplier`: `real = q · 2^shift` with `q` in
/// `[0.5, 1)` (`frexp`), the significand `round(q · 2³¹)` (ties away from
/// zero; a significand that rounds up to 2³¹ is halved and the shift
/// raised), and multipliers below about 2⁻³¹ flushed to zero. Computed from
/// the bits of the `f64` with integer arithmetic, so the result is the same
/// on every target, without `std` or `libm`; it is exact because
/// `frexp` and the scaling by 2³¹ are.
///
/// An error for NaN, infinities, negative values and multipliers of 2³⁰
/// or more (a shift past 30).
///
/// ```
/// use typenet::quant::quantize_multiplier;
/// let m = quantize_multiplier(0.5)?;
/// assert_eq!((m.multiplier(), m.shift()), (1 << 30, 0));
/// let m = quantize_multiplier(0.3)?;
/// assert_eq!((m.multiplier(), m.shift()), (1_288_490_189, -1));
/// # Ok::<(), typenet::quant::QuantError>(())
/// ```
pub fn quantize_multiplier(real: f64) -> Result<QuantizedMultiplier, QuantError> {
    if !real.is_finite() {
        return Err(QuantError::NonFinite {
            what: "multiplier",
            value: real,
        });
    }
    if real < 0.0 {
        return Err(QuantError::NotPositive {
            what: "multiplier",
            value: real,
        });
    }
    let bits = real.to_bits();
    let biased_exponent = ((bits >> 52) & 0x7ff) as i32;
    if biased_exponent == 0 {
        // Zero or subnormal (below 2⁻¹⁰²²): TFLite flushes both to zero.
        return Ok(QuantizedMultiplier::default());
    }
    // real = significand · 2^(exponent − 52) with a 53-bit significand, so
    // frexp gives q = significand / 2⁵³ and shift = exponent + 1.
    let significand = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let mut shift = biased_exponent - 1023 + 1;
    // round(q · 2³¹) = round(significand / 2²²), ties away from zero.
    let mut q_fixed = (significand + (1 << 21)) >> 22;
    if q_fixed == 1 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        return Ok(QuantizedMultiplier::default());
    }
    if shift > 30 {
        return Err(QuantError::MultiplierTooLarge { value: real });
    }
    Ok(QuantizedMultiplier {
        multiplier: q_fixed as i32,
        shift,
    })
}

/// [`quantize_multiplier`] for a multiplier in `(0, 1)`, as TFLite's
/// `QuantizeMultiplierSmallerThanOneExp` requires (its ADD).
pub(crate) fn quantize_multiplier_smaller_than_one(
    what: &'static str,
    real: f64,
) -> Result<QuantizedMultiplier, QuantError> {
    if real.is_nan() || real <= 0.0 || real >= 1.0 {
        return Err(QuantError::MultiplierOutOfRange { what, value: real });
    }
    quantize_multiplier(real)
}

/// [`quantize_multiplier`] for a multiplier above 1, as TFLite's
/// `QuantizeMultiplierGreaterThanOne` requires (its softmax).
pub(crate) fn quantize_multiplier_greater_than_one(
    what: &'static str,
    real: f64,
) -> Result<QuantizedMultiplier, QuantError> {
    if real.is_nan() || real <= 1.0 {
        return Err(QuantError::MultiplierOutOfRange { what, value: real });
    }
    quantize_multiplier(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TFLite's algorithm with std's float functions, for comparison.
    fn with_frexp(real: f64) -> (i32, i32) {
        if real == 0.0 {
            return (0, 0);
        }
        let mut shift = real.abs().log2().floor() as i32 + 1;
        let mut q = real / 2f64.powi(shift);
        // log2 can be off by one near powers of two; frexp is exact.
        while q >= 1.0 {
            q /= 2.0;
            shift += 1;
        }
        while q < 0.5 {
            q *= 2.0;
            shift -= 1;
        }
        let mut q_fixed = (q * (1u64 << 31) as f64).round() as i64;
        if q_fixed == 1 << 31 {
            q_fixed /= 2;
            shift += 1;
        }
        if shift < -31 {
            return (0, 0);
        }
        (q_fixed as i32, shift)
    }

    #[test]
    fn matches_tflite_on_known_values() {
        let cases: [(f64, i32, i32); 6] = [
            (1.0, 1 << 30, 1),
            (0.25, 1 << 30, -1),
            (0.75, 3 << 29, 0),
            (2.0f64.powi(-31), 1 << 30, -30),
            (2.0f64.powi(-32), 1 << 30, -31),
            (1.5, 3 << 29, 1),
        ];
        for (real, multiplier, shift) in cases {
            let m = quantize_multiplier(real).unwrap();
            assert_eq!((m.multiplier(), m.shift()), (multiplier, shift), "{real}");
        }
        assert_eq!(quantize_multiplier(0.0).unwrap(), QuantizedMultiplier::default());
        assert_eq!(
            quantize_multiplier(2.0f64.powi(-34)).unwrap(),
            QuantizedMultiplier::default(),
            "flushed to zero"
        );
        assert_eq!(
            quantize_multiplier(f64::MIN_POSITIVE / 4.0).unwrap(),
            QuantizedMultiplier::default()
        );
    }

    #[test]
    fn a_significand_rounding_up_to_one_raises_the_shift() {
        // Just below 1: q = 1 − 2⁻⁵³ rounds to 2³¹ and is halved.
        let real = 1.0 - f64::EPSILON / 2.0;
        let m = quantize_multiplier(real).unwrap();
        assert_eq!((m.multiplier(), m.shift()), (1 << 30, 1));
    }

    #[test]
    fn ties_round_away_from_zero() {
        // q · 2³¹ = 2³⁰ + 0.5 exactly.
        let real = (f64::from(1u32 << 30) + 0.5) / f64::from(1u32 << 31);
        assert_eq!(quantize_multiplier(real).unwrap().multiplier(), (1 << 30) + 1);
        let real = (f64::from(1u32 << 30) + 0.5 - 2f64.powi(-20)) / f64::from(1u32 << 31);
        assert_eq!(quantize_multiplier(real).unwrap().multiplier(), 1 << 30);
    }

    #[test]
    fn matches_the_float_algorithm_over_many_scales() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Multipliers from 2⁻⁴⁰ to 2²⁰, as products of scales are.
            let real = f64::from_bits((x >> 12) | (1023u64 << 52)) * 2f64.powi((x % 60) as i32 - 40);
            let m = quantize_multiplier(real).unwrap();
            assert_eq!((m.multiplier(), m.shift()), with_frexp(real), "{real:e}");
        }
    }

    #[test]
    fn rejects_what_tflite_cannot_represent() {
        assert!(matches!(
            quantize_multiplier(f64::NAN),
            Err(QuantError::NonFinite { .. })
        ));
        assert!(matches!(
            quantize_multiplier(f64::INFINITY),
            Err(QuantError::NonFinite { .. })
        ));
        assert!(matches!(quantize_multiplier(-0.5), Err(QuantError::NotPositive { .. })));
        assert!(matches!(
            quantize_multiplier(2f64.powi(30)),
            Err(QuantError::MultiplierTooLarge { .. })
        ));
        assert_eq!(quantize_multiplier(2f64.powi(30) * 0.999).unwrap().shift(), 30);
        assert!(quantize_multiplier_smaller_than_one("m", 1.0).is_err());
        assert!(quantize_multiplier_greater_than_one("m", 1.0).is_err());
        assert!(QuantizedMultiplier::new(-1, 0).is_err());
        assert!(QuantizedMultiplier::new(1, 31).is_err());
        assert!(QuantizedMultiplier::new(1, -32).is_err());
    }
}
