//! The inputs and the host's answers, as build.rs wrote them.

/// One training step: a batch of 8 samples (f32 bit patterns), its labels
/// and the learning rate (f64 bit pattern).
pub struct Step {
    /// The samples.
    pub x: [[u32; 4]; 8],
    /// Their classes; one out of range where the step must be refused.
    pub labels: [usize; 8],
    /// The learning rate.
    pub lr: u64,
}

/// f32 values from their bit patterns.
pub fn floats<const N: usize>(bits: &[u32; N]) -> [f32; N] {
    bits.map(f32::from_bits)
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
