//! Per-tensor optimizer state, sized on first use.

use alloc::vec::Vec;

use crate::Scalar;

/// One buffer per parameter tensor, keyed by the tensor's index.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct State<T> {
    buffers: Vec<Vec<T>>,
}

impl<T: Scalar> State<T> {
    /// The buffer of tensor `tensor`, `len` long, zero the first time.
    pub(crate) fn get(&mut self, tensor: usize, len: usize) -> &mut [T] {
        if self.buffers.len() <= tensor {
            self.buffers.resize_with(tensor + 1, Vec::new);
        }
        let buffer = &mut self.buffers[tensor];
        if buffer.len() != len {
            buffer.clear();
            buffer.resize(len, T::ZERO);
        }
        buffer
    }
}

impl<T: Scalar> State<T> {
    /// The buffer of tensor `tensor` as it is now: its values, or zeros if
    /// it was never used. Allocates nothing.
    pub(crate) fn peek(&self, tensor: usize, len: usize) -> impl Fn(usize) -> T + '_ {
        let buffer = self.buffers.get(tensor).filter(|b| b.len() == len);
        move |i| buffer.map_or(T::ZERO, |b| b[i])
    }
}

/// The book's guard against dividing by a zero root: `1e-7`.
pub(crate) const EPSILON: f64 = 1e-7;
