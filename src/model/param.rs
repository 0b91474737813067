//! A layer's tensors as the rest of the crate sees them: what kind each one
//! is, its shape, its values and its gradient.

use core::fmt;

/// What a tensor of a layer is, which decides what happens to it: an
/// optimizer updates every kind but [`Buffer`](ParamKind::Buffer), weight
/// decay touches only [`Weight`](ParamKind::Weight)s, and
/// [`initialize`](crate::Layer::initialize) draws weights from the
/// initialiser with their own fan-in, sets biases to 0 and scales to 1, and
/// leaves buffers alone. Saving and loading keep every kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A trained weight; `fan_in` is the number of inputs each output sums
    /// over (`IN` for an [`Affine`](crate::Affine), `CIN·K·K` for a
    /// [`Conv2d`](crate::Conv2d)), which Xavier and He scale by.
    Weight {
        /// Inputs per output.
        fan_in: usize,
    },
    /// A trained additive offset: 0 when initialised, never decayed.
    Bias,
    /// A trained multiplicative gain (BatchNorm's γ): 1 when initialised,
    /// never decayed.
    Scale,
    /// State that is kept but not trained (BatchNorm's running mean and
    /// variance): saved and loaded with the net, never updated by an
    /// optimizer, never re-initialised. Its gradient is empty.
    Buffer,
}

impl ParamKind {
    /// `true` for the kinds an optimizer updates (all but buffers).
    pub fn is_trained(self) -> bool {
        self != ParamKind::Buffer
    }
}

/// The dimensions of a tensor (up to 4), outermost first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; 4],
    rank: usize,
}

impl Shape {
    /// A shape of these dimensions.
    ///
    /// # Panics
    /// With more than 4 dimensions.
    #[inline]
    pub const fn new(dims: &[usize]) -> Shape {
        assert!(dims.len() <= 4, "tensors have at most 4 dimensions");
        let mut all = [1; 4];
        let mut i = 0;
        while i < dims.len() {
            all[i] = dims[i];
            i += 1;
        }
        Shape {
            dims: all,
            rank: dims.len(),
        }
    }

    /// The dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank]
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.dims().iter().product()
    }

    /// `true` if the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.dims(), f)
    }
}

impl fmt::Display for Shape {
    /// `30×1×5×5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.dims().iter().enumerate() {
            if i > 0 {
                f.write_str("×")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// One tensor of a layer and its gradient, read-only: what
/// [`Layer::visit_params`](crate::Layer::visit_params) hands out.
#[derive(Debug)]
pub struct Param<'a, T> {
    /// Position of the owning layer in its net, from 0.
    pub layer: usize,
    /// The tensor's name in its layer (the book's: `"W"`, `"b"`, `"gamma"`,
    /// `"running_mean"`).
    pub name: &'static str,
    /// What the tensor is.
    pub kind: ParamKind,
    /// Its dimensions (`[IN, OUT]` for an Affine's W, `[OUT, IN, K, K]` for
    /// a convolution's).
    pub shape: Shape,
    /// The values, row-major.
    pub value: &'a [T],
    /// The gradient of the loss with respect to the values, as of the last
    /// backward pass (empty for a [`Buffer`](ParamKind::Buffer)).
    pub grad: &'a [T],
}

/// One tensor of a layer and its gradient, mutable: what an optimizer's
/// update and a loader receive.
#[derive(Debug)]
pub struct ParamMut<'a, T> {
    /// Position of the owning layer in its net, from 0.
    pub layer: usize,
    /// The tensor's name in its layer.
    pub name: &'static str,
    /// What the tensor is.
    pub kind: ParamKind,
    /// Its dimensions.
    pub shape: Shape,
    /// The values, row-major.
    pub value: &'a mut [T],
    /// The gradient (empty for a [`Buffer`](ParamKind::Buffer)).
    pub grad: &'a mut [T],
}

impl<'a, T> Param<'a, T> {
    /// A trained weight with `fan_in` inputs per output.
    #[inline]
    pub fn weight(
        layer: usize,
        name: &'static str,
        fan_in: usize,
        shape: &[usize],
        value: &'a [T],
        grad: &'a [T],
    ) -> Self {
        Self::new(layer, name, ParamKind::Weight { fan_in }, shape, value, grad)
    }

    /// A tensor of any kind.
    ///
    /// # Panics
    /// If `value` does not have `shape`'s number of elements, or `grad` has
    /// neither that many nor (for a buffer) none.
    #[inline]
    pub fn new(
        layer: usize,
        name: &'static str,
        kind: ParamKind,
        shape: &[usize],
        value: &'a [T],
        grad: &'a [T],
    ) -> Self {
        let shape = Shape::new(shape);
        check_lengths(name, kind, shape, value.len(), grad.len());
        Param {
            layer,
            name,
            kind,
            shape,
            value,
            grad,
        }
    }
}

impl<'a, T> ParamMut<'a, T> {
    /// A tensor of any kind, mutably; see [`Param::new`].
    ///
    /// # Panics
    /// As [`Param::new`].
    #[inline]
    pub fn new(
        layer: usize,
        name: &'static str,
        kind: ParamKind,
        shape: &[usize],
        value: &'a mut [T],
        grad: &'a mut [T],
    ) -> Self {
        let shape = Shape::new(shape);
        check_lengths(name, kind, shape, value.len(), grad.len());
        ParamMut {
            layer,
            name,
            kind,
            shape,
            value,
            grad,
        }
    }

    /// The same tensor, read-only.
    pub fn as_param(&self) -> Param<'_, T> {
        Param {
            layer: self.layer,
            name: self.name,
            kind: self.kind,
            shape: self.shape,
            value: self.value,
            grad: self.grad,
        }
    }
}

#[inline]
#[track_caller]
fn check_lengths(name: &str, kind: ParamKind, shape: Shape, value: usize, grad: usize) {
    assert!(
        value == shape.len(),
        "tensor {name:?}: {value} values for shape {shape}"
    );
    let grad_ok = grad == value || (kind == ParamKind::Buffer && grad == 0);
    assert!(
        grad_ok,
        "tensor {name:?}: a gradient of {grad} values for {value} values"
    );
}
