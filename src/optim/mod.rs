//! Parameter updates from gradients: the optimizers of the book's chapter 6,
//! and weight decay and gradient clipping as wrappers around any of them.
//!
//! Every step is guarded: [`Optimizer::step`] first works out, without
//! writing anything, whether the update would leave every parameter and
//! every piece of optimizer state finite, and only then applies it. A step
//! that would write NaN or infinity (a NaN batch, a learning rate far too
//! large) is refused with [`NonFinite`], and the net and the optimizer stay
//! exactly as they were.

mod sgd;

#[cfg(feature = "alloc")]
mod adagrad;
#[cfg(feature = "alloc")]
mod adam;
#[cfg(feature = "alloc")]
mod any;
#[cfg(feature = "alloc")]
mod momentum;
#[cfg(feature = "alloc")]
mod nesterov;
#[cfg(feature = "alloc")]
mod regularize;
#[cfg(feature = "alloc")]
mod rmsprop;
#[cfg(feature = "alloc")]
mod state;

use core::fmt;

pub use sgd::Sgd;

#[cfg(feature = "alloc")]
pub use adagrad::AdaGrad;
#[cfg(feature = "alloc")]
pub use adam::Adam;
#[cfg(feature = "alloc")]
pub use any::{AnyOptimizer, UnknownOptimizer};
#[cfg(feature = "alloc")]
pub use momentum::Momentum;
#[cfg(feature = "alloc")]
pub use nesterov::Nesterov;
#[cfg(feature = "alloc")]
pub use regularize::{ClipNorm, WeightDecay};
#[cfg(feature = "alloc")]
pub use rmsprop::RmsProp;

use crate::{HyperParameterError, ParamKind, Params, Path, Scalar};

/// What in a step was NaN or infinite. The step was not applied: the net
/// and the optimizer keep what they had before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonFinite {
    /// The loss.
    Loss,
    /// The gradient of this tensor: (layer, name).
    Gradient(Path, &'static str),
    /// This tensor (or the optimizer's state for it) would have become
    /// non-finite from finite gradients: (layer, name).
    Parameter(Path, &'static str),
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NonFinite::Loss => write!(f, "a non-finite loss"),
            NonFinite::Gradient(layer, name) => write!(f, "a non-finite gradient for {name} of layer {layer}"),
            NonFinite::Parameter(layer, name) => {
                write!(f, "an update that would make {name} of layer {layer} non-finite")
            }
        }
    }
}

impl core::error::Error for NonFinite {}

/// One trained tensor as an optimizer updates it.
#[derive(Debug)]
pub struct Update<'a, T> {
    /// Its number among the net's trained tensors, the same at every step:
    /// the key of any state the optimizer keeps for it.
    pub index: usize,
    /// The owning layer's position.
    pub layer: Path,
    /// Its name in its layer.
    pub name: &'static str,
    /// What it is (weight decay touches only weights).
    pub kind: ParamKind,
    /// The values.
    pub value: &'a mut [T],
    /// The gradient of this step.
    pub grad: &'a [T],
}

/// Updates parameters from their gradients, one tensor at a time, in two
/// phases: [`check`](Optimizer::check) every tensor, then
/// [`update`](Optimizer::update) every tensor, so that a step either
/// happens in full or not at all.
///
/// Every optimizer here is elementwise, which lets data-parallel training
/// apply the same update on every replica.
///
/// ```
/// use typenet::prelude::*;
/// use typenet::optim::{Adam, Update};
///
/// // minimise (w - 3)² from w = 0
/// let mut adam = Adam::<f64>::new(0.1, 0.9, 0.999);
/// let mut w = [0.0];
/// for _ in 0..500 {
///     let grad = [2.0 * (w[0] - 3.0)];
///     adam.begin_step(None);
///     let tensor = Update { index: 0, layer: typenet::Path::at(0), name: "w", kind: ParamKind::Bias, value: &mut w, grad: &grad };
///     adam.update(tensor);
///     adam.end_step();
/// }
/// assert!((w[0] - 3.0).abs() < 1e-3);
/// # use typenet::ParamKind;
/// ```
pub trait Optimizer<T: Scalar> {
    /// Whether [`begin_step`](Optimizer::begin_step) wants the gradient
    /// norm; computing it costs a pass over every gradient, so callers do it
    /// only when asked.
    const USES_GRADIENT_NORM: bool = false;

    /// Called once at the start of every step, before its checks, with the
    /// L2 norm of all the step's gradients if
    /// [`USES_GRADIENT_NORM`](Optimizer::USES_GRADIENT_NORM). Must not
    /// change anything that outlives a refused step.
    fn begin_step(&mut self, gradient_norm: Option<f64>) {
        let _ = gradient_norm;
    }

    /// `true` if [`update`](Optimizer::update) with this tensor would leave
    /// every value, and every piece of state kept for it, finite. Changes
    /// nothing the update depends on.
    fn check(&mut self, tensor: Update<'_, T>) -> bool;

    /// Updates one tensor's values from its gradient.
    fn update(&mut self, tensor: Update<'_, T>);

    /// Called once after a step whose updates were all applied (a step
    /// counter advances here).
    fn end_step(&mut self) {}

    /// One guarded step for every trained tensor of `net`, from the
    /// gradients its layers hold after a backward pass. If any gradient is
    /// not finite, or the update would make any value or optimizer state
    /// non-finite, nothing is written and the error says which tensor.
    fn step<N: Params<T>>(&mut self, net: &mut N) -> Result<(), NonFinite>
    where
        Self: Sized,
    {
        guarded_step(self, &mut OwnGradients(net))
    }
}

/// Where a step's trained tensors and their gradients come from.
pub(crate) trait StepTensors<T> {
    /// Calls `f` once per trained tensor, in the same order every time.
    fn each(&mut self, f: &mut impl FnMut(Update<'_, T>));
}

/// A net's tensors with the gradients its layers hold.
struct OwnGradients<'a, N>(&'a mut N);

impl<T: Scalar, N: Params<T>> StepTensors<T> for OwnGradients<'_, N> {
    #[inline]
    fn each(&mut self, f: &mut impl FnMut(Update<'_, T>)) {
        let mut index = 0;
        self.0.visit_params_mut(&mut |p| {
            if p.kind.is_trained() {
                f(Update {
                    index,
                    layer: p.layer,
                    name: p.name,
                    kind: p.kind,
                    value: p.value,
                    grad: p.grad,
                });
                index += 1;
            }
        });
    }
}

/// One guarded step over `tensors`. Shared by [`Optimizer::step`] and
/// data-parallel training (which supplies averaged gradients).
pub(crate) fn guarded_step<T: Scalar, O: Optimizer<T>>(
    optimizer: &mut O,
    tensors: &mut impl StepTensors<T>,
) -> Result<(), NonFinite> {
    let norm = O::USES_GRADIENT_NORM.then(|| {
        let mut sum = 0.0f64;
        tensors.each(&mut |t| sum += squared_norm(t.grad));
        num_traits::Float::sqrt(sum)
    });
    optimizer.begin_step(norm);
    // a non-finite gradient makes its update non-finite too, so one check
    // catches both; which of the two it was is worked out only on refusal
    let mut refused: Option<(Path, &'static str, bool)> = None;
    tensors.each(&mut |t| {
        if refused.is_none() {
            let (layer, name, grad) = (t.layer, t.name, t.grad);
            if !optimizer.check(t) {
                refused = Some((layer, name, T::all_finite(grad)));
            }
        }
    });
    if let Some((layer, name, grad_finite)) = refused {
        return Err(if grad_finite {
            NonFinite::Parameter(layer, name)
        } else {
            NonFinite::Gradient(layer, name)
        });
    }
    tensors.each(&mut |t| optimizer.update(t));
    optimizer.end_step();
    Ok(())
}

/// A value that is finite exactly when both `a` and `b` are: `b · 0` is 0
/// for a finite `b` and NaN otherwise. Lets one [`all_finite_by`] test a
/// parameter and its optimizer state together.
#[cfg(feature = "alloc")]
#[inline(always)]
pub(crate) fn both<T: Scalar>(a: T, b: T) -> T {
    a + b * T::ZERO
}

/// Σ g², accumulated in `f64`.
pub(crate) fn squared_norm<T: Scalar>(grad: &[T]) -> f64 {
    grad.iter().map(|&g| g.as_f64() * g.as_f64()).sum()
}

/// `Ok` if `lr` is a usable learning rate for updates in `T` (see
/// [`check_positive`]).
pub(crate) fn check_lr<T: Scalar>(of: &'static str, lr: f64) -> Result<(), HyperParameterError> {
    check_positive::<T>(of, "lr", lr)
}

/// One of two texts, by the scalar type: the first for `f32`.
fn in_scalar<T: Scalar>(f32: &'static str, f64: &'static str) -> &'static str {
    if size_of::<T>() == 4 { f32 } else { f64 }
}

/// `Ok` if `value` is finite and > 0 both as given and in `T`, the type
/// the updates compute in: 1e39 is infinite as an `f32`, and 1e-50 is 0.
pub(crate) fn check_positive<T: Scalar>(
    of: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), HyperParameterError> {
    let ok = value.is_finite() && value > 0.0;
    let scalar = T::of(value);
    let expected = if ok {
        in_scalar::<T>("finite and > 0 as an f32", "finite and > 0 as an f64")
    } else {
        "finite and > 0"
    };
    HyperParameterError::check(of, name, value, ok && scalar.is_finite() && scalar > T::ZERO, expected)
}

/// `Ok` if `value` is finite and ≥ 0 both as given and in `T`.
#[cfg(feature = "alloc")]
pub(crate) fn check_non_negative<T: Scalar>(
    of: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), HyperParameterError> {
    let ok = value.is_finite() && value >= 0.0;
    let expected = if ok {
        in_scalar::<T>("finite and ≥ 0 as an f32", "finite and ≥ 0 as an f64")
    } else {
        "finite and ≥ 0"
    };
    HyperParameterError::check(of, name, value, ok && T::of(value).is_finite(), expected)
}

/// `Ok` if `value` is in [0, 1) both as given and in `T`: 0.999999999 is
/// 1 as an `f32`, and a momentum or decay rate of 1 never forgets.
#[cfg(feature = "alloc")]
pub(crate) fn check_fraction<T: Scalar>(
    of: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), HyperParameterError> {
    let ok = (0.0..1.0).contains(&value);
    let expected = if ok {
        in_scalar::<T>("in [0, 1) as an f32", "in [0, 1) as an f64")
    } else {
        "in [0, 1)"
    };
    HyperParameterError::check(of, name, value, ok && T::of(value) < T::ONE, expected)
}

/// Unwraps a constructor's validation, panicking with its message.
#[track_caller]
pub(crate) fn valid<O>(made: Result<O, HyperParameterError>) -> O {
    match made {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    }
}

/// `true` if `new(i)` is finite for every `i < n`: how a
/// [`check`](Optimizer::check) tests an update without writing it. No
/// early exit, so the loop vectorises.
#[cfg(feature = "alloc")]
#[inline(always)]
pub(crate) fn all_finite_by<T: Scalar>(n: usize, mut new: impl FnMut(usize) -> T) -> bool {
    let mut ok = true;
    for i in 0..n {
        ok &= new(i).is_finite();
    }
    ok
}
