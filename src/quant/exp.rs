//! gemmlowp's fixed-point exponential and reciprocal, the pieces of
//! TFLite's integer softmax. Values are raw int32 fixed-point numbers; a
//! `Qm` number has `m` integer bits and `31 − m` fractional bits, and
//! `Q0`'s "one" is `i32::MAX`.

use super::{
    rounding_divide_by_pot, saturating_rounding_doubling_high_mul as mul, saturating_rounding_multiply_by_pot,
};

/// `exp(a)` for `a` in `[−1/4, 0)`, Q0 in and out: a Taylor polynomial
/// around −1/8 (gemmlowp's
/// `exp_on_interval_between_negative_one_quarter_and_0_excl`).
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668;
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28);
    let x2 = mul(x, x);
    let x3 = mul(x2, x);
    let x4 = mul(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let x4_over_24_plus_x3_over_6_plus_x2_over_2 =
        rounding_divide_by_pot(mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2), 1);
    EXP_MINUS_ONE_EIGHTH.wrapping_add(mul(
        EXP_MINUS_ONE_EIGHTH,
        x.wrapping_add(x4_over_24_plus_x3_over_6_plus_x2_over_2),
    ))
}

/// `exp(a)` for `a ≤ 0` given in Q5 (26 fractional bits), as Q0: gemmlowp's
/// `exp_on_negative_values` with 5 integer bits, the format TFLite's
/// softmax uses. The fraction modulo ¼ goes through the polynomial, each
/// set bit above it multiplies by `exp(−2^k)`; `exp(0)` is Q0's one,
/// `i32::MAX`.
///
/// ```
/// use typenet::quant::exp_on_negative_values;
/// assert_eq!(exp_on_negative_values(0), i32::MAX);
/// let e = exp_on_negative_values(-(1 << 26)); // exp(−1)
/// assert!((f64::from(e) / 2f64.powi(31) - (-1f64).exp()).abs() < 3e-7);
/// ```
pub fn exp_on_negative_values(a: i32) -> i32 {
    const INTEGER_BITS: i32 = 5;
    const FRACTIONAL_BITS: i32 = 31 - INTEGER_BITS;
    const ONE_QUARTER: i32 = 1 << (FRACTIONAL_BITS - 2);
    let mask = ONE_QUARTER - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask).wrapping_sub(ONE_QUARTER);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(saturating_rounding_multiply_by_pot(
        a_mod_quarter_minus_one_quarter,
        INTEGER_BITS,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(−2^k) in Q0 for k = −2..=4; with 5 integer bits every one applies.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if remainder & (1 << (FRACTIONAL_BITS + exponent)) != 0 {
            result = mul(result, multiplier);
        }
    }
    if a == 0 { i32::MAX } else { result }
}

/// `1 / (1 + x)` for `x` in `[0, 1)`, Q0 in and out, by three Newton–Raphson
/// steps from `48/17 − 32/17 · d` (gemmlowp's
/// `one_over_one_plus_x_for_x_in_0_1`).
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    const FORTY_EIGHT_OVER_SEVENTEEN: i32 = 1_515_870_810; // Q2
    const MINUS_THIRTY_TWO_OVER_SEVENTEEN: i32 = -1_010_580_540; // Q2
    const ONE_Q2: i32 = 1 << 29;
    // (a + 1) / 2, rounded half away from zero, in Q0.
    let sum = i64::from(a) + i64::from(i32::MAX);
    let half_denominator = ((sum + if sum >= 0 { 1 } else { -1 }) / 2) as i32;
    let mut x = FORTY_EIGHT_OVER_SEVENTEEN.wrapping_add(mul(half_denominator, MINUS_THIRTY_TWO_OVER_SEVENTEEN));
    for _ in 0..3 {
        let half_denominator_times_x = mul(half_denominator, x); // Q2
        let one_minus_half_denominator_times_x = ONE_Q2.wrapping_sub(half_denominator_times_x);
        // Q2 · Q2 is Q4; back to Q2 by a saturating shift left by 2.
        x = x.wrapping_add(saturating_rounding_multiply_by_pot(
            mul(x, one_minus_half_denominator_times_x),
            2,
        ));
    }
    // x / 2 in Q2 read as Q1, then to Q0.
    saturating_rounding_multiply_by_pot(x, 1)
}

/// TFLite's `GetReciprocal`: for `x > 0` in a format with `integer_bits`
/// integer bits, `(r, n)` with `r` the Q0 value of `2^n / x`, scaled so
/// that `1 / x = r · 2^(−n)` up to the format, and `n` the number of bits of
/// `x` above one.
///
/// ```
/// use typenet::quant::reciprocal;
/// // 1.5 in Q12: 1 / 1.5 = 0.667 with no bits above one.
/// let (r, n) = reciprocal(3 << 18, 12);
/// assert_eq!(n, 0);
/// assert!((f64::from(r) / 2f64.powi(31) - 2.0 / 3.0).abs() < 1e-8);
/// ```
pub fn reciprocal(x: i32, integer_bits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros();
    let bits_over_unit = integer_bits - headroom_plus_one as i32;
    let shifted = (x as u32).checked_shl(headroom_plus_one).unwrap_or(0);
    let shifted_minus_one = shifted.wrapping_sub(1 << 31) as i32;
    (one_over_one_plus_x_for_x_in_0_1(shifted_minus_one), bits_over_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q0(x: i32) -> f64 {
        f64::from(x) / 2f64.powi(31)
    }

    #[test]
    fn exp_is_close_to_exp_everywhere_on_its_range() {
        for raw in (i32::MIN..=0).step_by(99_991) {
            let a = f64::from(raw) / 2f64.powi(26);
            let e = q0(exp_on_negative_values(raw));
            // A 4th-order Taylor polynomial over [−1/4, 0): ~2.6·10⁻⁷ relative.
            assert!((e - a.exp()).abs() <= 3e-7 * a.exp() + 2e-9, "exp({a}) = {e}");
        }
        assert_eq!(exp_on_negative_values(0), i32::MAX);
        assert_eq!(exp_on_negative_values(i32::MIN), 0);
    }

    #[test]
    fn reciprocal_is_close_to_one_over_x() {
        for x in [0.0f64, 0.1, 0.25, 0.5, 0.75, 0.999] {
            let raw = (x * 2f64.powi(31)) as i32;
            let r = q0(one_over_one_plus_x_for_x_in_0_1(raw));
            assert!((r - 1.0 / (1.0 + x)).abs() < 1e-8, "1/(1+{x}) = {r}");
        }
        for (value, bits) in [(1.0f64, 12), (2.0, 12), (7.3, 12), (300.0, 12), (0.75, 0)] {
            let raw = (value * 2f64.powi(31 - bits)) as i32;
            let exact = 2f64.powi(31 - bits) / f64::from(raw);
            let (r, n) = reciprocal(raw, bits);
            let approx = q0(r) / 2f64.powi(n);
            assert!((approx - exact).abs() < 1e-8 * exact, "1/{value}: {approx} ({n})");
        }
    }
}
