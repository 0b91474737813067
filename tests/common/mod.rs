//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rand::{RngExt, SeedableRng, rngs::StdRng};
use typenet::{Batch, Row, Scalar};

/// Runs a generic test function once for `f32` and once for `f64`.
#[macro_export]
macro_rules! for_f32_and_f64 {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn f32() {
                    super::$name::<f32>()
                }
                #[test]
                fn f64() {
                    super::$name::<f64>()
                }
            }
        )+
    };
}

/// Asserts |a − b| ≤ tol for every pair, naming the first offender.
#[track_caller]
pub fn assert_close<T: Scalar>(actual: &[T], expected: &[T], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let d = (a.as_f64() - e.as_f64()).abs();
        assert!(d <= tol, "element {i}: {a} vs expected {e} (|diff| {d:e} > {tol:e})");
    }
}

/// A seeded generator, so every test sees the same numbers.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `rows` rows of uniform values in [lo, hi).
pub fn uniform_batch<X: Row>(rows: usize, lo: f64, hi: f64, rng: &mut StdRng) -> Batch<X> {
    let mut b = Batch::<X>::zeros(rows);
    for v in b.as_mut_slice() {
        *v = X::Scalar::of(rng.random_range(lo..hi));
    }
    b
}
