//! The book's scalar computational-graph nodes (the apple/orange example).

use crate::Scalar;

/// z = x·y, remembering x and y for the backward pass.
///
/// ```
/// use typenet::MulLayer;
///
/// let mut mul = MulLayer::new();
/// assert_eq!(mul.forward(100.0f64, 2.0), 200.0);
/// assert_eq!(mul.backward(1.0), (2.0, 100.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MulLayer<T: Scalar> {
    x: T,
    y: T,
}

impl<T: Scalar> MulLayer<T> {
    /// A node with nothing remembered yet.
    pub fn new() -> Self {
        MulLayer { x: T::ZERO, y: T::ZERO }
    }

    /// x·y.
    pub fn forward(&mut self, x: T, y: T) -> T {
        self.x = x;
        self.y = y;
        x * y
    }

    /// (dz·y, dz·x): the gradients with respect to x and y.
    pub fn backward(&self, dout: T) -> (T, T) {
        (dout * self.y, dout * self.x)
    }
}

/// z = x + y.
///
/// ```
/// use typenet::AddLayer;
///
/// let add = AddLayer::new();
/// assert_eq!(add.forward(1.0f32, 2.0), 3.0);
/// assert_eq!(add.backward(1.5), (1.5, 1.5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddLayer;

impl AddLayer {
    /// A node (it remembers nothing).
    pub fn new() -> Self {
        AddLayer
    }

    /// x + y.
    pub fn forward<T: Scalar>(&self, x: T, y: T) -> T {
        x + y
    }

    /// (dz, dz): addition passes the gradient through to both inputs.
    pub fn backward<T: Scalar>(&self, dout: T) -> (T, T) {
        (dout, dout)
    }
}
