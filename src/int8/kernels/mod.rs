//! The int8 layers' sums: portable code for every target, and AVX-512
//! VNNI where the CPU has it, giving the same bits.

mod portable;

pub(crate) use portable::{conv_plane, dot_rows};
