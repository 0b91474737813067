//! What the kernels' tests share: running a check on each backend, seeded
//! values and geometries, and comparison up to rounding.

use std::vec::Vec;

std::thread_local! {
    /// Set by a test to run the portable backend on this thread even on an
    /// AVX-512 CPU, so both backends are tested on one machine.
    pub(crate) static PORTABLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Runs `check` on every backend this machine has: the default one (AVX-512
/// if the CPU has it) and the portable loops, which other CPUs take.
pub(crate) fn on_each_path(mut check: impl FnMut(&str)) {
    check("default path");
    PORTABLE.with(|p| p.set(true));
    check("portable path");
    PORTABLE.with(|p| p.set(false));
}

/// A seeded SplitMix64 stream, for random shapes and values that are the
/// same on every run.
pub(crate) struct Stream(u64);

impl Stream {
    pub(crate) fn new(seed: u64) -> Stream {
        Stream(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `range` (inclusive), about uniformly.
    pub(crate) fn below(&mut self, range: core::ops::RangeInclusive<usize>) -> usize {
        let span = (range.end() - range.start() + 1) as u64;
        range.start() + (self.next() % span) as usize
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// Deterministic values in [-1, 1), a fraction `zeros` of them exactly 0.
pub(crate) fn values<T: crate::Scalar>(n: usize, seed: u64, zeros: f64) -> Vec<T> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            if u < zeros {
                T::ZERO
            } else {
                T::of(((state >> 3) % 2000) as f64 / 1000.0 - 1.0)
            }
        })
        .collect()
}

/// The machine epsilon of `T`.
pub(crate) fn epsilon<T: crate::Scalar>() -> f64 {
    if size_of::<T>() == 4 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    }
}

/// `got` equals `want` up to rounding: a sum of `terms` products can be off
/// by about `terms · ε · Σ|term|` whatever the order it is summed in, and
/// `scale[i]` is that `Σ|term|`.
pub(crate) fn assert_close<T: crate::Scalar>(what: &str, got: &[T], want: &[f64], scale: &[f64], terms: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((g, w), s)) in got.iter().zip(want).zip(scale).enumerate() {
        let tol = 2.0 * terms as f64 * epsilon::<T>() * s + f64::MIN_POSITIVE;
        assert!(
            (g.as_f64() - w).abs() <= tol,
            "{what}: element {i} is {g}, want {w} (tolerance {tol:e})"
        );
    }
}
