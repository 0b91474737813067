//! A layer's tensors as the rest of the crate sees them: what kind each one
//! is, its shape, its values and its gradient, in whatever element type it
//! holds ([`Tensor`]), or typed for training ([`Param`]).

use core::fmt;

use crate::{Dtype, Element, Flat, Path, Scalar};

/// What a tensor of a layer is, which decides what happens to it: an
/// optimizer updates every kind but [`Buffer`](ParamKind::Buffer), weight
/// decay touches only [`Weight`](ParamKind::Weight)s, and
/// [`initialize`](crate::Tensors::initialize) draws weights from the
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
    /// variance, a quantized layer's integer weights and requantization
    /// parameters): saved and loaded with the net, never updated by an
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

    /// The dimensions `rows` followed by `last`: an
    /// [`Affine`](crate::Affine)'s weights, one run of `OUT` per input
    /// value, shaped like its input rows (`[784, 50]`, `[30, 12, 12, 100]`).
    ///
    /// # Panics
    /// With more than 4 dimensions in all.
    pub const fn rows_then(rows: &[usize], last: usize) -> Shape {
        assert!(rows.len() < 4, "tensors have at most 4 dimensions");
        let mut all = [1; 4];
        let mut i = 0;
        while i < rows.len() {
            all[i] = rows[i];
            i += 1;
        }
        all[i] = last;
        Shape {
            dims: all,
            rank: rows.len() + 1,
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

impl<const N: usize> From<[usize; N]> for Shape {
    /// A shape of these dimensions.
    ///
    /// # Panics
    /// With more than 4 dimensions.
    #[inline]
    fn from(dims: [usize; N]) -> Shape {
        Shape::new(&dims)
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

/// A tensor's values in their element type, read-only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Values<'a> {
    /// `f32` values.
    F32(&'a [f32]),
    /// `f64` values.
    F64(&'a [f64]),
    /// `i8` values.
    I8(&'a [i8]),
    /// `u8` values.
    U8(&'a [u8]),
    /// `i32` values.
    I32(&'a [i32]),
}

/// A tensor's values in their element type, mutably.
#[derive(Debug)]
pub enum ValuesMut<'a> {
    /// `f32` values.
    F32(&'a mut [f32]),
    /// `f64` values.
    F64(&'a mut [f64]),
    /// `i8` values.
    I8(&'a mut [i8]),
    /// `u8` values.
    U8(&'a mut [u8]),
    /// `i32` values.
    I32(&'a mut [i32]),
}

/// Runs `$body` with `$v` bound to the slice inside any variant.
macro_rules! each_variant {
    ($values:expr, $enum:ident, $v:ident => $body:expr) => {
        match $values {
            $enum::F32($v) => $body,
            $enum::F64($v) => $body,
            $enum::I8($v) => $body,
            $enum::U8($v) => $body,
            $enum::I32($v) => $body,
        }
    };
}

impl<'a> Values<'a> {
    /// The number of values.
    pub fn len(&self) -> usize {
        each_variant!(self, Values, v => v.len())
    }

    /// `true` if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            Values::F32(_) => Dtype::F32,
            Values::F64(_) => Dtype::F64,
            Values::I8(_) => Dtype::I8,
            Values::U8(_) => Dtype::U8,
            Values::I32(_) => Dtype::I32,
        }
    }

    /// The values as `E`s, if they are.
    pub fn get<E: Element>(self) -> Option<&'a [E]> {
        E::of_values(self)
    }

    /// `true` if no value is NaN or infinite.
    pub fn all_finite(&self) -> bool {
        each_variant!(self, Values, v => Element::all_finite(v))
    }

    /// The values' little-endian bytes, appended to `out`.
    #[cfg(feature = "alloc")]
    pub fn extend_le_bytes(&self, out: &mut alloc::vec::Vec<u8>) {
        each_variant!(self, Values, v => Element::extend_le_bytes(v, out))
    }

    /// Writes value `i` as Rust source.
    pub fn write_source(&self, i: usize, out: &mut dyn fmt::Write) -> fmt::Result {
        each_variant!(self, Values, v => v[i].write_source(out))
    }
}

impl<'a> ValuesMut<'a> {
    /// The number of values.
    pub fn len(&self) -> usize {
        each_variant!(self, ValuesMut, v => v.len())
    }

    /// `true` if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        self.as_values().dtype()
    }

    /// The same values, read-only.
    pub fn as_values(&self) -> Values<'_> {
        match self {
            ValuesMut::F32(v) => Values::F32(v),
            ValuesMut::F64(v) => Values::F64(v),
            ValuesMut::I8(v) => Values::I8(v),
            ValuesMut::U8(v) => Values::U8(v),
            ValuesMut::I32(v) => Values::I32(v),
        }
    }

    /// The values as `E`s, if they are.
    pub fn get<E: Element>(self) -> Option<&'a mut [E]> {
        E::of_values_mut(self)
    }

    /// Sets every value to 0.
    pub fn fill_zero(&mut self) {
        each_variant!(self, ValuesMut, v => v.fill(Element::ZERO))
    }

    /// Copies `from` in; `false` (and nothing written) unless it has the
    /// same element type and length.
    pub fn copy_from(&mut self, from: Values<'_>) -> bool {
        match (self, from) {
            (ValuesMut::F32(a), Values::F32(b)) if a.len() == b.len() => a.copy_from_slice(b),
            (ValuesMut::F64(a), Values::F64(b)) if a.len() == b.len() => a.copy_from_slice(b),
            (ValuesMut::I8(a), Values::I8(b)) if a.len() == b.len() => a.copy_from_slice(b),
            (ValuesMut::U8(a), Values::U8(b)) if a.len() == b.len() => a.copy_from_slice(b),
            (ValuesMut::I32(a), Values::I32(b)) if a.len() == b.len() => a.copy_from_slice(b),
            _ => return false,
        }
        true
    }

    /// Reads the values from little-endian `bytes` (the element size times
    /// the length of them); `false` (and nothing written) otherwise.
    pub fn read_le_bytes(&mut self, bytes: &[u8]) -> bool {
        let size = self.dtype().size();
        if bytes.len() != self.len() * size {
            return false;
        }
        each_variant!(self, ValuesMut, v => {
            for (v, b) in v.iter_mut().zip(bytes.chunks_exact(size)) {
                *v = Element::from_le_bytes(b);
            }
        });
        true
    }
}

/// One tensor of a layer and its gradient, read-only, in its own element
/// type: what [`Tensors::visit`](crate::Tensors::visit) hands out to
/// summaries, saving and baking.
#[derive(Clone, Copy, Debug)]
pub struct Tensor<'a> {
    /// The owning layer's position in its net.
    pub layer: Path,
    /// The tensor's name in its layer (the book's: `"W"`, `"b"`, `"gamma"`,
    /// `"running_mean"`).
    pub name: &'static str,
    /// What the tensor is.
    pub kind: ParamKind,
    /// Its dimensions (`[IN, OUT]` for an Affine's W, `[OUT, IN, K, K]` for
    /// a convolution's): what files record.
    pub shape: Shape,
    /// The same values' dimensions as the layer's `const` constructor takes
    /// them (`[C, H, W, OUT]` for an Affine reading images): what
    /// [`rust_source`](crate::io::rust_source) writes. Usually the shape.
    pub layout: Shape,
    /// The values, row-major.
    pub value: Values<'a>,
    /// The gradient of the loss with respect to the values, as of the last
    /// backward pass: empty for a [`Buffer`](ParamKind::Buffer) and for a
    /// layer that keeps no gradients (an inference-only one).
    pub grad: Values<'a>,
}

/// One tensor of a layer and its gradient, mutably, in its own element
/// type: what loading receives.
#[derive(Debug)]
pub struct TensorMut<'a> {
    /// The owning layer's position in its net.
    pub layer: Path,
    /// The tensor's name in its layer.
    pub name: &'static str,
    /// What the tensor is.
    pub kind: ParamKind,
    /// Its dimensions.
    pub shape: Shape,
    /// The dimensions the layer's `const` constructor takes (see
    /// [`Tensor::layout`]).
    pub layout: Shape,
    /// The values, row-major.
    pub value: ValuesMut<'a>,
    /// The gradient (empty for a buffer or an inference-only layer).
    pub grad: ValuesMut<'a>,
}

impl<'a> Tensor<'a> {
    /// A tensor of any kind.
    ///
    /// # Panics
    /// If `value` does not have `shape`'s number of elements, or `grad` has
    /// neither that many of the same type nor none.
    #[inline]
    #[track_caller]
    pub fn new(
        layer: Path,
        name: &'static str,
        kind: ParamKind,
        shape: Shape,
        value: Values<'a>,
        grad: Values<'a>,
    ) -> Self {
        check_lengths(name, shape, &value, &grad);
        Tensor {
            layer,
            name,
            kind,
            shape,
            layout: shape,
            value,
            grad,
        }
    }

    /// The same tensor, baked in `layout` (which must have as many
    /// elements as the shape).
    ///
    /// # Panics
    /// If `layout` has another number of elements.
    #[track_caller]
    pub fn laid_out(mut self, layout: Shape) -> Self {
        assert_eq!(
            layout.len(),
            self.shape.len(),
            "tensor {:?}: layout {layout} for shape {}",
            self.name,
            self.shape
        );
        self.layout = layout;
        self
    }

    /// The tensor as `T`s with its gradient, if it holds `T`s and has one
    /// (or is a buffer).
    pub fn typed<T: Scalar>(self) -> Option<Param<'a, T>> {
        let value = self.value.get::<T>()?;
        let grad = if self.grad.is_empty() {
            &[][..]
        } else {
            self.grad.get::<T>()?
        };
        if grad.is_empty() && self.kind.is_trained() && !value.is_empty() {
            return None;
        }
        Some(Param {
            layer: self.layer,
            name: self.name,
            kind: self.kind,
            shape: self.shape,
            value,
            grad,
        })
    }
}

impl<'a> TensorMut<'a> {
    /// A tensor of any kind, mutably; see [`Tensor::new`].
    ///
    /// # Panics
    /// As [`Tensor::new`].
    #[inline]
    #[track_caller]
    pub fn new(
        layer: Path,
        name: &'static str,
        kind: ParamKind,
        shape: Shape,
        value: ValuesMut<'a>,
        grad: ValuesMut<'a>,
    ) -> Self {
        check_lengths(name, shape, &value.as_values(), &grad.as_values());
        TensorMut {
            layer,
            name,
            kind,
            shape,
            layout: shape,
            value,
            grad,
        }
    }

    /// The same tensor, baked in `layout`; see [`Tensor::laid_out`].
    ///
    /// # Panics
    /// If `layout` has another number of elements.
    #[track_caller]
    pub fn laid_out(mut self, layout: Shape) -> Self {
        assert_eq!(
            layout.len(),
            self.shape.len(),
            "tensor {:?}: layout {layout} for shape {}",
            self.name,
            self.shape
        );
        self.layout = layout;
        self
    }

    /// The same tensor, read-only.
    pub fn as_tensor(&self) -> Tensor<'_> {
        Tensor {
            layer: self.layer,
            name: self.name,
            kind: self.kind,
            shape: self.shape,
            layout: self.layout,
            value: self.value.as_values(),
            grad: self.grad.as_values(),
        }
    }

    /// The tensor as `T`s with its gradient; see [`Tensor::typed`].
    pub fn typed<T: Scalar>(self) -> Option<ParamMut<'a, T>> {
        let trained = self.kind.is_trained();
        let value = self.value.get::<T>()?;
        let grad = if self.grad.is_empty() {
            &mut [][..]
        } else {
            self.grad.get::<T>()?
        };
        if grad.is_empty() && trained && !value.is_empty() {
            return None;
        }
        Some(ParamMut {
            layer: self.layer,
            name: self.name,
            kind: self.kind,
            shape: self.shape,
            value,
            grad,
        })
    }
}

#[inline]
#[track_caller]
fn check_lengths(name: &str, shape: Shape, value: &Values<'_>, grad: &Values<'_>) {
    assert!(
        value.len() == shape.len(),
        "tensor {name:?}: {} values for shape {shape}",
        value.len()
    );
    let grad_ok = grad.is_empty() || (grad.len() == value.len() && grad.dtype() == value.dtype());
    assert!(
        grad_ok,
        "tensor {name:?}: a gradient of {} values for {} values",
        grad.len(),
        value.len()
    );
}

/// One trained tensor of a float layer and its gradient, read-only: what
/// [`Params::visit_params`](crate::Params::visit_params) hands out to
/// optimizers, gradient checks and data-parallel training.
#[derive(Debug)]
pub struct Param<'a, T> {
    /// The owning layer's position in its net.
    pub layer: Path,
    /// The tensor's name in its layer.
    pub name: &'static str,
    /// What the tensor is.
    pub kind: ParamKind,
    /// Its dimensions.
    pub shape: Shape,
    /// The values, row-major.
    pub value: &'a [T],
    /// The gradient as of the last backward pass (empty for a
    /// [`Buffer`](ParamKind::Buffer)).
    pub grad: &'a [T],
}

/// One tensor of a float layer and its gradient, mutably: what an
/// optimizer's update receives.
#[derive(Debug)]
pub struct ParamMut<'a, T> {
    /// The owning layer's position in its net.
    pub layer: Path,
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

/// Where a layer keeps one tensor: any store of [`Flat`] entries (a
/// `Vec<T>`, an array, a `Box<[T; 3]>`… or the storages of
/// [`Storage`](crate::Storage)), seen as one run of elements. The
/// [`tensors!`](crate::tensors!) macro reads a layer's tensors through it.
pub trait TensorData {
    /// What the store holds one of per entry (`T`, or `[T; OUT]`).
    type Item: Flat;

    /// The entries.
    fn as_slice(&self) -> &[Self::Item];

    /// The entries, mutably.
    fn as_mut_slice(&mut self) -> &mut [Self::Item];

    /// The elements, tagged with their type.
    #[inline(always)]
    fn values(&self) -> Values<'_> {
        <Self::Item as Flat>::Elem::values(Flat::elements(self.as_slice()))
    }

    /// The elements, mutably, tagged with their type.
    #[inline(always)]
    fn values_mut(&mut self) -> ValuesMut<'_> {
        <Self::Item as Flat>::Elem::values_mut(Flat::elements_mut(self.as_mut_slice()))
    }
}

impl<F: Flat, const N: usize> TensorData for [F; N] {
    type Item = F;
    #[inline(always)]
    fn as_slice(&self) -> &[F] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [F] {
        self
    }
}

#[cfg(feature = "alloc")]
impl<F: Flat> TensorData for alloc::vec::Vec<F> {
    type Item = F;
    #[inline(always)]
    fn as_slice(&self) -> &[F] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [F] {
        self
    }
}

#[cfg(feature = "alloc")]
impl<F: Flat> TensorData for alloc::boxed::Box<[F]> {
    type Item = F;
    #[inline(always)]
    fn as_slice(&self) -> &[F] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [F] {
        self
    }
}

/// The body of [`tensors!`](crate::tensors!): the tensor view of a field.
#[doc(hidden)]
#[inline(always)]
pub fn values_of<D: TensorData + ?Sized>(data: &D) -> Values<'_> {
    data.values()
}

/// The body of [`tensors!`](crate::tensors!): the mutable tensor view of a
/// field.
#[doc(hidden)]
#[inline(always)]
pub fn values_of_mut<D: TensorData + ?Sized>(data: &mut D) -> ValuesMut<'_> {
    data.values_mut()
}

/// Declares a layer's tensors once, inside its `impl Tensors for …` block,
/// and writes both [`visit`](crate::Tensors::visit) and
/// [`visit_mut`](crate::Tensors::visit_mut) from the list, so the two views
/// cannot disagree. Each entry names the tensor, its [`ParamKind`], its
/// shape, the field holding its values and, after a `/`, the field holding
/// its gradient (none for a buffer):
///
/// ```
/// use typenet::Tensors;
///
/// struct Scale {
///     gain: [f32; 4],
///     dgain: [f32; 4],
///     seen: [u8; 1], // a buffer: saved, never trained
/// }
///
/// impl Tensors for Scale {
///     typenet::tensors! {
///         "gain": Scale, [4] => gain / dgain;
///         "seen": Buffer, [1] => seen;
///     }
/// }
///
/// let mut layer = Scale { gain: [1.0; 4], dgain: [0.0; 4], seen: [0] };
/// assert_eq!(layer.param_count(), 4);
/// layer.tensors_mut(&mut |mut t| if t.name == "seen" { t.value.fill_zero() });
/// assert_eq!(layer.seen, [0]);
/// ```
///
/// A weight's kind carries its fan-in: `"W": Weight { fan_in: N }, [N, M]
/// => w / dw;`. The shape is anything that converts into a [`Shape`]: an
/// array of dimensions, or a `Shape` computed from the layer's sizes. A
/// second shape after it is the tensor's [`layout`](Tensor::layout) for
/// baking, when the layer's `const` constructor takes the values in other
/// dimensions. A layer with no tensors writes `typenet::tensors! {}`.
#[macro_export]
macro_rules! tensors {
    ($($name:literal : $kind:ident $({ $($field:ident : $fv:expr),* $(,)? })? , $shape:expr $(, $layout:expr)? => $value:ident $(/ $grad:ident)?);* $(;)?) => {
        #[inline]
        fn visit<V: FnMut($crate::Tensor<'_>) + ?Sized>(&self, at: $crate::Path, f: &mut V) {
            let _ = (&at, &f);
            $({
                let value = $crate::model::values_of(&self.$value);
                let grad = $crate::tensors!(@grad self value $(, $grad)?);
                let tensor = $crate::Tensor::new(
                    at,
                    $name,
                    $crate::ParamKind::$kind $({ $($field: $fv),* })?,
                    $crate::Shape::from($shape),
                    value,
                    grad,
                );
                f(tensor $(.laid_out($layout))?);
            })*
        }

        #[inline]
        fn visit_mut<V: FnMut($crate::TensorMut<'_>) + ?Sized>(&mut self, at: $crate::Path, f: &mut V) {
            let _ = (&at, &f);
            $({
                let value = $crate::model::values_of_mut(&mut self.$value);
                let grad = $crate::tensors!(@grad_mut self value $(, $grad)?);
                let tensor = $crate::TensorMut::new(
                    at,
                    $name,
                    $crate::ParamKind::$kind $({ $($field: $fv),* })?,
                    $crate::Shape::from($shape),
                    value,
                    grad,
                );
                f(tensor $(.laid_out($layout))?);
            })*
        }
    };
    (@grad $self:ident $value:ident, $grad:ident) => { $crate::model::values_of(&$self.$grad) };
    (@grad $self:ident $value:ident) => { $crate::model::no_grad($value.dtype()) };
    (@grad_mut $self:ident $value:ident, $grad:ident) => { $crate::model::values_of_mut(&mut $self.$grad) };
    (@grad_mut $self:ident $value:ident) => { $crate::model::no_grad_mut($value.dtype()) };
}

/// No gradient, of element type `dtype`.
#[doc(hidden)]
#[inline(always)]
pub fn no_grad(dtype: Dtype) -> Values<'static> {
    match dtype {
        Dtype::F32 => Values::F32(&[]),
        Dtype::F64 => Values::F64(&[]),
        Dtype::I8 => Values::I8(&[]),
        Dtype::U8 => Values::U8(&[]),
        Dtype::I32 => Values::I32(&[]),
    }
}

/// No gradient, mutably, of element type `dtype`.
#[doc(hidden)]
#[inline(always)]
pub fn no_grad_mut(dtype: Dtype) -> ValuesMut<'static> {
    match dtype {
        Dtype::F32 => ValuesMut::F32(&mut []),
        Dtype::F64 => ValuesMut::F64(&mut []),
        Dtype::I8 => ValuesMut::I8(&mut []),
        Dtype::U8 => ValuesMut::U8(&mut []),
        Dtype::I32 => ValuesMut::I32(&mut []),
    }
}
