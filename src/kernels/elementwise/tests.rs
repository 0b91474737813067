//! The elementwise loops on both backends.

use super::*;
use crate::kernels::testing::{Stream, on_each_path, values};

#[test]
fn axpy_finite_sees_overflow_and_nan() {
    on_each_path(|path| {
        for n in [3, 100] {
            let x = vec![1.0f32; n];
            let mut y = vec![1.0f32; n];
            assert!(axpy_finite(0.5, &x, &y), "{path}");
            y[n - 2] = f32::MAX;
            assert!(!axpy_finite(f32::MAX, &x, &y), "{path}");
            y[n - 2] = 1.0;
            let mut x = x;
            x[n - 1] = f32::NAN;
            assert!(!axpy_finite(0.5, &x, &y), "{path}");
        }
        assert!(!axpy_finite(1.0, &[f64::INFINITY], &[0.0]), "{path}");
    });
}

/// Each loop against its definition, on lengths around the vector widths
/// and the short-slice threshold, with a non-finite value anywhere.
fn loops_match_their_definitions<T: crate::Scalar>() {
    let mut stream = Stream::new(7);
    on_each_path(|path| {
        for n in [0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 100, 257] {
            let (x, y0) = (values::<T>(n, n as u64, 0.2), values::<T>(n, n as u64 + 1, 0.0));
            let alpha = T::of(0.75);
            let mut y = y0.clone();
            scale(alpha, &x, &mut y);
            assert!(y.iter().zip(&x).all(|(&y, &x)| y == alpha * x), "{path}: scale, {n}");
            let mut y = y0.clone();
            axpy(alpha, &x, &mut y);
            assert!(
                y.iter().zip(&x).zip(&y0).all(|((&y, &x), &y0)| y == y0 + alpha * x),
                "{path}: axpy, {n}"
            );
            assert!(finite(&x) && axpy_finite(alpha, &x, &y0), "{path}: {n} finite values");
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            let mut y = y0.clone();
            from_bytes(T::of(0.5), &bytes, &mut y);
            assert!(
                y.iter().zip(&bytes).all(|(&y, &b)| y == T::of(b as f64 / 2.0)),
                "{path}: bytes, {n}"
            );
            if n > 0 {
                let at = stream.below(0..=n - 1);
                for bad in [T::nan(), T::infinity(), T::neg_infinity()] {
                    let mut x = x.clone();
                    x[at] = bad;
                    assert!(!finite(&x), "{path}: {bad} at {at} of {n}");
                    assert!(!axpy_finite(alpha, &x, &y0), "{path}: {bad} at {at} of {n} in x");
                    assert!(!axpy_finite(alpha, &y0, &x), "{path}: {bad} at {at} of {n} in y");
                }
            }
        }
    });
}

#[test]
fn loops_match_their_definitions_f32() {
    loops_match_their_definitions::<f32>();
}

#[test]
fn loops_match_their_definitions_f64() {
    loops_match_their_definitions::<f64>();
}
