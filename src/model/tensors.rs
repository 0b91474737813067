//! What a layer holds: its tensors, with no word about the rows it takes.

use crate::{Init, Param, ParamKind, ParamMut, Path, Scalar, Tensor, TensorMut, ValuesMut};

/// A layer's tensors: its parameters, its buffers and, if it trains, their
/// gradients, each with its name, [`ParamKind`] and shape.
///
/// Everything that works on a net's values rather than its rows sees it
/// through this trait: saving and loading ([`io`](crate::io)), baking into
/// Rust source, [`summary`](crate::Layer::summary) counts,
/// [`initialize`](Tensors::initialize), and, through [`Params`], the
/// optimizers. It names no input type, so none of them needs one.
///
/// A layer declares its tensors once with [`tensors!`](crate::tensors!),
/// which writes both visitors:
///
/// ```
/// use typenet::Tensors;
///
/// struct Bias3 {
///     b: [f64; 3],
///     db: [f64; 3],
/// }
///
/// impl Tensors for Bias3 {
///     typenet::tensors! { "b": Bias, [3] => b / db; }
/// }
///
/// let layer = Bias3 { b: [1.0, 2.0, 3.0], db: [0.0; 3] };
/// let mut names = Vec::new();
/// layer.tensors(&mut |t| names.push(format!("{}.{} {}", t.layer, t.name, t.shape)));
/// assert_eq!(names, ["0.b 3"]);
/// ```
pub trait Tensors {
    /// `true` for a [`Chain`](crate::Chain): its layers take the positions
    /// of the sequence it heads, rather than one position with the layers
    /// under it. Only chains set it.
    #[doc(hidden)]
    const SEQUENCE: bool = false;

    /// Calls `f` with each tensor (parameters, then buffers) and its
    /// gradient; `at` is this layer's position (for a chain, the position
    /// of the sequence its layers are numbered in).
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V);

    /// The same tensors in the same order, mutably.
    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V);

    /// Calls `f` with the position and kind of this layer (of each layer,
    /// for a chain or a block): the net's structure without its sizes, as a
    /// saved file records it. The default names the layer after its type.
    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, crate::model::short_type_name::<Self>())
    }

    /// Every tensor of this layer, or of every layer of this net, numbered
    /// from the net's first layer (0).
    fn tensors<V: FnMut(Tensor<'_>) + ?Sized>(&self, f: &mut V) {
        self.visit(sequence_start::<Self>(Path::ROOT), f)
    }

    /// Every tensor, mutably, numbered as [`tensors`](Tensors::tensors).
    fn tensors_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, f: &mut V) {
        self.visit_mut(sequence_start::<Self>(Path::ROOT), f)
    }

    /// The number of trained values (buffers not counted).
    fn param_count(&self) -> usize {
        let mut n = 0;
        self.tensors(&mut |t| {
            if t.kind.is_trained() {
                n += t.value.len()
            }
        });
        n
    }

    /// Re-draws every float weight (of each layer, for a chain) from `init`
    /// with the weight's own fan-in, sets biases to 0 and scales to 1, and
    /// leaves buffers as they are.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use typenet::prelude::*;
    ///
    /// let mut net = Affine::<[f64; 100], 50>::zeros().then(Relu).then(Affine::<[f64; 50], 10>::zeros());
    /// net.initialize(Init::He, &mut StdRng::seed_from_u64(1));
    /// let w = net.layer::<0>().weights();
    /// let var = w.iter().flatten().map(|v| v * v).sum::<f64>() / 5000.0;
    /// assert!((var - 2.0 / 100.0).abs() < 0.002); // He: variance 2 / fan-in
    /// ```
    fn initialize<G: rand::Rng + ?Sized>(&mut self, init: Init, rng: &mut G) {
        self.tensors_mut(&mut |t| {
            fn set<T: Scalar, G: rand::Rng + ?Sized>(kind: ParamKind, v: &mut [T], init: Init, rng: &mut G) {
                match kind {
                    ParamKind::Weight { fan_in } => init.fill(v, fan_in, rng),
                    ParamKind::Bias => v.fill(T::ZERO),
                    ParamKind::Scale => v.fill(T::ONE),
                    ParamKind::Buffer => {}
                }
            }
            match t.value {
                ValuesMut::F32(v) => set(t.kind, v, init, rng),
                ValuesMut::F64(v) => set(t.kind, v, init, rng),
                // integer tensors are quantized from trained floats, never drawn
                _ => {}
            }
        });
    }
}

/// Where the layers of `L` are numbered when it stands at `at` in a
/// sequence: a chain's layers at `at`'s positions, a single layer as the
/// sequence's first.
#[doc(hidden)]
#[inline(always)]
pub fn sequence_start<L: Tensors + ?Sized>(at: Path) -> Path {
    if L::SEQUENCE { at } else { at.child(0) }
}

/// The float type a layer computes in, where a trainer of another one is
/// given: an `Adam<f64>` stepping an `f32` net.
#[diagnostic::on_unimplemented(
    message = "this net computes in `{Self}`, but it is trained in `{T}`",
    label = "a net of `{Self}` values",
    note = "an optimizer steps a net of its own scalar type: `Adam::<{Self}>`, or a net of `{T}` layers"
)]
pub trait SameScalar<T> {}

impl<T> SameScalar<T> for T {}

/// A layer (or net) that trains in the float type `T`: its tensors are
/// `T`s and keep gradients. What optimizers, gradient checks and
/// data-parallel training ask for.
///
/// The views are provided; a trainable layer states the fact in one line:
///
/// ```
/// # use typenet::{Optimizer, Tensors};
/// # struct Bias3 { b: [f64; 3], db: [f64; 3] }
/// # impl Tensors for Bias3 { typenet::tensors! { "b": Bias, [3] => b / db; } }
/// impl typenet::Params<f64> for Bias3 {}
///
/// let mut layer = Bias3 { b: [1.0; 3], db: [0.5; 3] };
/// typenet::Sgd::new(1.0).step(&mut layer)?;
/// assert_eq!(layer.b, [0.5; 3]);
/// # Ok::<(), typenet::NonFinite>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no trainable `{T}` parameters",
    label = "this net does not train in `{T}`",
    note = "an optimizer of `{T}` steps a net of `{T}` layers that keep gradients (not `Frozen` ones): check the scalar type of the optimizer and of the net"
)]
pub trait Params<T: Scalar>: Tensors {
    /// Calls `f` with every `T` tensor and its gradient, in order.
    fn visit_params<V: FnMut(Param<'_, T>) + ?Sized>(&self, f: &mut V) {
        self.tensors(&mut |t| {
            if let Some(p) = t.typed::<T>() {
                f(p)
            }
        })
    }

    /// The same tensors in the same order, mutably.
    fn visit_params_mut<V: FnMut(ParamMut<'_, T>) + ?Sized>(&mut self, f: &mut V) {
        self.tensors_mut(&mut |t| {
            if let Some(p) = t.typed::<T>() {
                f(p)
            }
        })
    }
}
