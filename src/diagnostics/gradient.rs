//! Numerical gradients by central differences, and the gradient check that
//! compares them with back-propagation.

use alloc::vec::Vec;

use crate::model::WorkspaceOf;

use crate::{Batch, InputError, ParamKind, Params, Path, Row, Rows, Scalar, Shape, Target, TrainableNetwork, Training};

/// The book's step for central differences.
pub const H: f64 = 1e-4;

/// The gradient of `f` at `x` by central differences,
/// (f(x + h) − f(x − h)) / 2h for each element with h = 1e-4 (the book's
/// `numerical_gradient(f, x)`). `x` is restored exactly afterwards.
///
/// ```
/// // d/dx (x0² + x1²) at (3, 4) is (6, 8)
/// let g = typenet::numerical_gradient(|x: &[f64]| x[0] * x[0] + x[1] * x[1], &mut [3.0, 4.0]);
/// assert!((g[0] - 6.0).abs() < 1e-6 && (g[1] - 8.0).abs() < 1e-6);
/// ```
pub fn numerical_gradient<T: Scalar>(mut f: impl FnMut(&[T]) -> T, x: &mut [T]) -> Vec<T> {
    let h = T::of(H);
    let two_h = h + h;
    (0..x.len())
        .map(|i| {
            let original = x[i];
            x[i] = original + h;
            let above = f(x);
            x[i] = original - h;
            let below = f(x);
            x[i] = original;
            (above - below) / two_h
        })
        .collect()
}

/// The gradient of one trained tensor, in the layout of
/// [`Param`](crate::Param).
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient<T> {
    /// The owning layer's position in its net.
    pub layer: Path,
    /// The tensor's name in its layer (`"W"`, `"b"`).
    pub name: &'static str,
    /// What the tensor is.
    pub kind: ParamKind,
    /// Its dimensions.
    pub shape: Shape,
    /// The gradient, row-major.
    pub values: Vec<T>,
}

/// The gradients a net's layers hold (from the last backward pass), for
/// every trained tensor in order.
pub fn stored_gradients<T: Scalar, L: Params<T>>(net: &L) -> Vec<Gradient<T>> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| {
        if p.kind.is_trained() {
            out.push(Gradient {
                layer: p.layer,
                name: p.name,
                kind: p.kind,
                shape: p.shape,
                values: p.grad.to_vec(),
            })
        }
    });
    out
}

/// Every tensor's values (buffers included), in order.
fn snapshot<T: Scalar, L: Params<T>>(net: &L) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push(p.value.to_vec()));
    out
}

/// Puts back what [`snapshot`] took.
fn restore<T: Scalar, L: Params<T>>(net: &mut L, saved: &[Vec<T>]) {
    let mut k = 0;
    net.visit_params_mut(&mut |p| {
        p.value.copy_from_slice(&saved[k]);
        k += 1;
    });
}

/// Sets element `index` of trained tensor `tensor` (in visit order).
fn set_param<T: Scalar, L: Params<T>>(net: &mut L, tensor: usize, index: usize, value: T) {
    let mut seen = 0;
    net.visit_params_mut(&mut |p| {
        if p.kind.is_trained() {
            if seen == tensor {
                p.value[index] = value;
            }
            seen += 1;
        }
    });
}

/// The training-mode loss with the randomness of `training`, so every
/// evaluation draws the same masks as the pass it is compared with.
fn loss_at<In, N, R>(
    net: &mut N,
    ws: &mut WorkspaceOf<N, In, R>,
    x: &Batch<In, R>,
    t: &impl Target<N::Out, R>,
    training: &Training,
) -> Result<In::Scalar, InputError>
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In>,
    R: Rows,
{
    *ws.training() = training.clone();
    net.train_loss_with(ws, x, t)
}

/// The gradient of the net's training loss on `x` against `t` with respect
/// to every trained tensor, by central differences (the book's
/// `TwoLayerNet.numerical_gradient`), each loss evaluated with the
/// randomness of `training`: two evaluations per scalar, so only for small
/// nets and tests. Every tensor, buffers included, is restored exactly.
pub fn numerical_gradient_of_net<In, N, R>(
    net: &mut N,
    x: &Batch<In, R>,
    t: &impl Target<N::Out, R>,
    training: &Training,
) -> Result<Vec<Gradient<In::Scalar>>, InputError>
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In>,
    R: Rows,
{
    let h = In::Scalar::of(H);
    let two_h = h + h;
    let saved = snapshot(net);
    let mut ws = net.workspace::<R>();
    let mut grads = stored_gradients(net);
    let mut result = Ok(());
    'tensors: for (tensor, grad) in grads.iter_mut().enumerate() {
        let values = {
            let mut k = 0;
            let mut found = Vec::new();
            net.visit_params(&mut |p| {
                if p.kind.is_trained() {
                    if k == tensor {
                        found = p.value.to_vec();
                    }
                    k += 1;
                }
            });
            found
        };
        for (index, g) in grad.values.iter_mut().enumerate() {
            let original = values[index];
            set_param(net, tensor, index, original + h);
            let above = loss_at(net, &mut ws, x, t, training);
            set_param(net, tensor, index, original - h);
            let below = loss_at(net, &mut ws, x, t, training);
            set_param(net, tensor, index, original);
            match (above, below) {
                (Ok(above), Ok(below)) => *g = (above - below) / two_h,
                (Err(e), _) | (_, Err(e)) => {
                    result = Err(e);
                    break 'tensors;
                }
            }
        }
    }
    restore(net, &saved);
    result.map(|()| grads)
}

/// How far back-propagation is from the numerical gradient for one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientDiff {
    /// The owning layer's position, or `None` for the net's input.
    pub layer: Option<Path>,
    /// The tensor's name (`"W"`, `"b"`), or `"x"` for the input.
    pub name: &'static str,
    /// Mean of |backprop − numerical| over the tensor's elements.
    pub mean_abs: f64,
    /// Largest |backprop − numerical|.
    pub max_abs: f64,
    /// Mean of |numerical| over the tensor's elements: the scale the
    /// differences are to be judged against.
    pub mean_abs_gradient: f64,
}

impl GradientDiff {
    fn of(layer: Option<Path>, name: &'static str, backprop: &[impl Scalar], numerical: &[impl Scalar]) -> Self {
        let (mut sum, mut max, mut scale) = (0.0, 0.0f64, 0.0);
        for (&a, &b) in backprop.iter().zip(numerical) {
            let d = (a.as_f64() - b.as_f64()).abs();
            sum += d;
            max = max.max(d);
            scale += b.as_f64().abs();
        }
        let n = backprop.len().max(1) as f64;
        GradientDiff {
            layer,
            name,
            mean_abs: sum / n,
            max_abs: max,
            mean_abs_gradient: scale / n,
        }
    }
}

/// The book's gradient check for any net: back-propagates once in training
/// mode, computes the numerical gradient of every trained tensor and of the
/// input `x` with the same randomness, and reports the differences per
/// tensor (tensors in order, then the input as `"x"`). Every tensor is left
/// as it was, buffers included.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let mut rng = StdRng::seed_from_u64(3);
/// let mut net = Affine::<[f64; 3], 4>::init(Init::Normal(1.0), &mut rng)
///     .then(Sigmoid)
///     .then(Affine::<[f64; 4], 2>::init(Init::Normal(1.0), &mut rng))
///     .then(SoftmaxWithLoss);
/// let x = Batch::from_rows(vec![[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]]);
/// let t = Labels::<2>::from_slice(&[1, 0])?;
/// for d in typenet::gradient_check(&mut net, &x, &t)? {
///     assert!(d.mean_abs < 1e-6 * d.mean_abs_gradient.max(1e-3), "{d:?}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn gradient_check<In, N, R>(
    net: &mut N,
    x: &Batch<In, R>,
    t: &impl Target<N::Out, R>,
) -> Result<Vec<GradientDiff>, InputError>
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In>,
    R: Rows,
{
    let training = Training::new(0x5eed);
    let saved = snapshot(net);
    let mut ws = net.workspace::<R>();
    let mut dx = x.clone();
    *ws.training() = training.clone();
    net.gradient_with(&mut ws, x, t, Some(&mut dx))?;
    restore(net, &saved);
    let backprop = stored_gradients(net);
    let numerical = numerical_gradient_of_net(net, x, t, &training)?;
    let mut report: Vec<GradientDiff> = backprop
        .iter()
        .zip(&numerical)
        .map(|(b, n)| GradientDiff::of(Some(b.layer), b.name, &b.values, &n.values))
        .collect();

    let mut perturbed = x.clone();
    let mut point = x.as_slice().to_vec();
    let mut failed = None;
    let numerical_dx = numerical_gradient(
        |v| {
            perturbed.as_mut_slice().copy_from_slice(v);
            loss_at(net, &mut ws, &perturbed, t, &training).unwrap_or_else(|e| {
                failed = Some(e);
                <In::Scalar as num_traits::Float>::nan()
            })
        },
        &mut point,
    );
    restore(net, &saved);
    if let Some(e) = failed {
        return Err(e);
    }
    report.push(GradientDiff::of(None, "x", dx.as_slice(), &numerical_dx));
    Ok(report)
}
