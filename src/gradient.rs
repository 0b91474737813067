//! Numerical gradients by central differences, and the gradient check that
//! compares them with back-propagation.

use alloc::vec::Vec;

use crate::{Batch, Layer, Network, Row, Rows, Scalar, Target};

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

/// A gradient tensor of one parameter, in the layout of
/// [`Param`](crate::Param).
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient<T> {
    /// The owning layer's position in its chain.
    pub layer: usize,
    /// The parameter's name in its layer (`"W"`, `"b"`).
    pub name: &'static str,
    /// Rows and columns.
    pub shape: [usize; 2],
    /// The gradient, row-major.
    pub values: Vec<T>,
}

/// The gradients a net's layers hold (from the last backward pass), in
/// parameter order.
pub fn stored_gradients<In: Row, L: Layer<In>>(net: &L) -> Vec<Gradient<In::Scalar>> {
    let mut out = Vec::new();
    net.visit_params(0, &mut |p| {
        out.push(Gradient {
            layer: p.layer,
            name: p.name,
            shape: p.shape,
            values: p.grad.to_vec(),
        })
    });
    out
}

/// Sets element `index` of parameter tensor `tensor` (in visit order) and
/// returns its previous value.
fn replace_param<In: Row, L: Layer<In>>(net: &mut L, tensor: usize, index: usize, value: In::Scalar) -> In::Scalar {
    let mut seen = 0;
    let mut previous = value;
    net.visit_params_mut(0, &mut |p| {
        if seen == tensor {
            previous = core::mem::replace(&mut p.value[index], value);
        }
        seen += 1;
    });
    previous
}

/// The gradient of the net's loss on `x` against `t` with respect to every
/// parameter, by central differences (the book's
/// `TwoLayerNet.numerical_gradient`): two loss evaluations per scalar
/// parameter, so only for small nets and tests. Parameters are restored
/// exactly.
pub fn numerical_gradient_of_net<In, N, R>(
    net: &mut N,
    x: &Batch<In, R>,
    t: &impl Target<N::Scores, R>,
) -> Vec<Gradient<In::Scalar>>
where
    In: Row,
    N: Network<In>,
    R: Rows,
{
    let h = In::Scalar::of(H);
    let two_h = h + h;
    let mut ws = net.workspace::<R>();
    let mut grads = stored_gradients(net);
    for (tensor, grad) in grads.iter_mut().enumerate() {
        for (index, g) in grad.values.iter_mut().enumerate() {
            let original = replace_param(net, tensor, index, In::Scalar::ZERO);
            replace_param(net, tensor, index, original + h);
            let above = net.loss_with(&mut ws, x, t);
            replace_param(net, tensor, index, original - h);
            let below = net.loss_with(&mut ws, x, t);
            replace_param(net, tensor, index, original);
            *g = (above - below) / two_h;
        }
    }
    grads
}

/// How far back-propagation is from the numerical gradient for one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientDiff {
    /// The owning layer's position, or `None` for the net's input.
    pub layer: Option<usize>,
    /// The parameter's name (`"W"`, `"b"`), or `"x"` for the input.
    pub name: &'static str,
    /// Mean of |backprop − numerical| over the tensor's elements.
    pub mean_abs: f64,
    /// Largest |backprop − numerical|.
    pub max_abs: f64,
}

fn diff(layer: Option<usize>, name: &'static str, a: &[impl Scalar], b: &[impl Scalar]) -> GradientDiff {
    let mut sum = 0.0;
    let mut max: f64 = 0.0;
    for (&a, &b) in a.iter().zip(b) {
        let d = (a.as_f64() - b.as_f64()).abs();
        sum += d;
        max = max.max(d);
    }
    GradientDiff {
        layer,
        name,
        mean_abs: if a.is_empty() { 0.0 } else { sum / a.len() as f64 },
        max_abs: max,
    }
}

/// The book's gradient check for any net: back-propagates once, computes the
/// numerical gradient of every parameter and of the input `x`, and reports
/// the mean absolute difference per tensor (parameters in order, then the
/// input as `"x"`).
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let mut rng = StdRng::seed_from_u64(3);
/// let mut net = Affine::<f64, 3, 4>::init(Init::Normal(1.0), &mut rng)
///     .then(Sigmoid)
///     .then(Affine::<f64, 4, 2>::init(Init::Normal(1.0), &mut rng))
///     .then(SoftmaxWithLoss);
/// let x = Batch::from_rows(vec![[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]]);
/// let t = Labels::<2>::from_slice(&[1, 0]).unwrap();
/// for d in typenet::gradient_check(&mut net, &x, &t) {
///     assert!(d.mean_abs < 1e-6, "{d:?}");
/// }
/// ```
pub fn gradient_check<In, N, R>(net: &mut N, x: &Batch<In, R>, t: &impl Target<N::Scores, R>) -> Vec<GradientDiff>
where
    In: Row,
    N: Network<In>,
    R: Rows,
{
    let mut ws = net.workspace::<R>();
    let mut dx = x.clone();
    net.gradient_with(&mut ws, x, t, Some(&mut dx));
    let backprop = stored_gradients(net);
    let numerical = numerical_gradient_of_net(net, x, t);
    let mut report: Vec<GradientDiff> = backprop
        .iter()
        .zip(&numerical)
        .map(|(b, n)| diff(Some(b.layer), b.name, &b.values, &n.values))
        .collect();

    let mut perturbed = x.clone();
    let mut point = x.as_slice().to_vec();
    let numerical_dx = numerical_gradient(
        |v| {
            perturbed.as_mut_slice().copy_from_slice(v);
            net.loss_with(&mut ws, &perturbed, t)
        },
        &mut point,
    );
    report.push(diff(None, "x", dx.as_slice(), &numerical_dx));
    report
}
