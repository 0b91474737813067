//! Counts agreements between the device's outputs and the host's, and
//! reports each disagreement.

use core::fmt::Debug;

use cortex_m_semihosting::hprintln;

/// Disagreements printed in full; the rest are only counted.
const SHOWN: u32 = 20;

/// The tally of one run.
pub struct Checker {
    passed: u32,
    failed: u32,
    /// Outputs that were NaN on both sides.
    nan: u32,
    /// The float comparisons done so far.
    floats: u32,
    /// The float comparison whose expected value gets its lowest bit
    /// flipped, to show that a mismatch is caught.
    flip: Option<u32>,
}

impl Checker {
    /// A tally that flips the expectation of the `flip`-th float.
    pub fn new(flip: Option<u32>) -> Self {
        Checker {
            passed: 0,
            failed: 0,
            nan: 0,
            floats: 0,
            flip,
        }
    }

    /// One f32 against the host's bit pattern: equal bits pass, and so do
    /// two NaNs (the sign and payload of a NaN an operation makes differ
    /// between x86 and Arm: 0xffc00000 and 0x7fc00000).
    pub fn float(&mut self, what: &str, case: usize, got: f32, mut expected: u32) {
        if self.flip == Some(self.floats) {
            expected ^= 1;
        }
        self.floats += 1;
        let both_nan = got.is_nan() && f32::from_bits(expected).is_nan();
        self.nan += u32::from(both_nan);
        if got.to_bits() == expected || both_nan {
            self.passed += 1;
        } else {
            self.fail(what, case, got.to_bits(), expected);
        }
    }

    /// f32 outputs (`None` for a refused input) against the host's.
    pub fn floats<const N: usize>(
        &mut self,
        what: &str,
        case: usize,
        got: Option<[f32; N]>,
        expected: Option<[u32; N]>,
    ) {
        match (got, expected) {
            (Some(got), Some(expected)) => {
                for (g, e) in got.iter().zip(expected) {
                    self.float(what, case, *g, e);
                }
            }
            (got, expected) => self.value(what, case, got.is_some(), expected.is_some()),
        }
    }

    /// Any other output against the host's.
    pub fn value<T: PartialEq + Debug>(&mut self, what: &str, case: usize, got: T, expected: T) {
        if got == expected {
            self.passed += 1;
        } else {
            self.fail(what, case, got, expected);
        }
    }

    fn fail<T: Debug>(&mut self, what: &str, case: usize, got: T, expected: T) {
        self.failed += 1;
        if self.failed <= SHOWN {
            hprintln!("MISMATCH {} #{}: device {:x?}, host {:x?}", what, case, got, expected);
        }
    }

    /// Reports the tally and ends the program, successfully only if
    /// something was compared and nothing disagreed.
    pub fn finish(self) -> ! {
        if self.nan > 0 {
            hprintln!("{} outputs were NaN on the device and on the host", self.nan);
        }
        hprintln!("firmware: {} passed, {} failed", self.passed, self.failed);
        crate::rt::exit(self.failed == 0 && self.passed > 0)
    }
}
