//! 03 · A layer of your own, written against typenet's public API: a gated
//! unit y = x ⊙ σ(x·W + b), which learns, per feature, how much of its
//! input to let through. It has a weight `W`, a bias `b`, and a buffer: the
//! running mean of how open each gate is, kept for monitoring, saved with
//! the net, never trained.
//!
//! A layer is four small impls, each with one job:
//!
//! - `Tensors`: what it holds, listed once with `typenet::tensors!` (name,
//!   kind, shape, field and gradient field); saving, loading, summaries,
//!   initialisers and optimizers all read this one list;
//! - `Layer<In>`: inference, `&self`, from input rows to output rows;
//! - `Trainable<In>`: the training pass (which may keep a cache and move
//!   buffers) and the backward pass;
//! - `Params<T>`: a marker saying it trains in `T`.
//!
//! The program checks the layer's backward pass against the numerical
//! gradient, trains a small net that uses it, saves it and loads it back.
//! A layer that only infers needs the first two alone: `04_inference_only_layer`.
//!
//! ```text
//! cargo run --release --example 03_custom_layer
//! ```

use rand::{RngExt, SeedableRng, rngs::StdRng};
use typenet::prelude::*;
use typenet::{Training, expect_rows, gradient_check};

/// y = x ⊙ σ(x·W + b) over rows `[T; N]`.
#[derive(Clone, Debug)]
pub struct Gate<T, const N: usize> {
    w: Vec<T>,  // N × N, row-major: W[i][j] = w[i * N + j]
    b: Vec<T>,  // N
    dw: Vec<T>, // the gradients the backward pass leaves for the optimizer
    db: Vec<T>,
    openness: Vec<T>, // the buffer: running mean of σ(·) per feature
}

impl<T: Scalar, const N: usize> Gate<T, N> {
    /// W drawn from `init`, b = 0, gates counted as half open.
    pub fn init(init: Init, rng: &mut impl rand::Rng) -> Self {
        let mut w = vec![T::ZERO; N * N];
        init.fill(&mut w, N, rng);
        Gate {
            w,
            b: vec![T::ZERO; N],
            dw: vec![T::ZERO; N * N],
            db: vec![T::ZERO; N],
            openness: vec![T::of(0.5); N],
        }
    }

    /// The running mean of each gate's opening.
    pub fn openness(&self) -> &[T] {
        &self.openness
    }

    /// σ(x·W + b) for one row.
    fn gates(&self, x: &[T; N]) -> [T; N] {
        let mut g = [T::ZERO; N];
        for (j, g) in g.iter_mut().enumerate() {
            let z = (0..N).fold(self.b[j], |z, i| z + x[i] * self.w[i * N + j]);
            *g = typenet::sigmoid(z);
        }
        g
    }
}

/// Equal tensors (gradients, which are scratch, are not compared).
impl<T: Scalar, const N: usize> PartialEq for Gate<T, N> {
    fn eq(&self, other: &Self) -> bool {
        (&self.w, &self.b, &self.openness) == (&other.w, &other.b, &other.openness)
    }
}

/// Every tensor, once, with what it is: optimizers train `W` and `b`,
/// weight decay decays `W` only, and the buffer is saved but never trained.
/// The macro writes the shared and the mutable view from this one list.
impl<T: Scalar, const N: usize> Tensors for Gate<T, N> {
    typenet::tensors! {
        "W": Weight { fan_in: N }, [N, N] => w / dw;
        "b": Bias, [N] => b / db;
        "openness": Buffer, [N] => openness;
    }
}

/// It trains in `T`.
impl<T: Scalar, const N: usize> Params<T> for Gate<T, N> {}

/// Inference: through `&self`, keeping nothing, no buffer update.
impl<T: Scalar, const N: usize> Layer<[T; N]> for Gate<T, N> {
    type Out = [T; N];
    /// Room inference needs between calls: none.
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<[T; N], R>, y: &mut Batch<[T; N], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        for (y, x) in y.rows_mut().iter_mut().zip(x.rows()) {
            let g = self.gates(x);
            *y = core::array::from_fn(|j| x[j] * g[j]);
        }
    }
}

impl<T: Scalar, const N: usize> Trainable<[T; N]> for Gate<T, N> {
    /// What the training pass keeps for the backward pass: the gates it
    /// computed, one row per sample (a cache may be any `Default` type; a
    /// struct of several batches for more).
    type Cache<R: Rows> = Batch<[T; N], R>;

    /// Training: keep the gates for backward and move the buffer.
    fn forward<R: Rows>(
        &mut self,
        x: &Batch<[T; N], R>,
        y: &mut Batch<[T; N], R>,
        gates: &mut Batch<[T; N], R>,
        _: &mut Training,
    ) {
        y.set_rows(x.nrows());
        gates.set_rows(x.nrows());
        for ((y, g), x) in y.rows_mut().iter_mut().zip(gates.rows_mut()).zip(x.rows()) {
            *g = self.gates(x);
            *y = core::array::from_fn(|j| x[j] * g[j]);
        }
        if !x.is_empty() {
            let rows = T::of(x.nrows() as f64);
            for (j, open) in self.openness.iter_mut().enumerate() {
                let mean = gates.rows().iter().map(|g| g[j]).sum::<T>() / rows;
                *open = T::of(0.9) * *open + T::of(0.1) * mean;
            }
        }
    }

    /// With z = x·W + b and g = σ(z): dz = dy ⊙ x ⊙ g(1 − g),
    /// dW = xᵀ·dz, db = Σ dz, dx = dy ⊙ g + dz·Wᵀ.
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<[T; N], R>,
        _: &Batch<[T; N], R>,
        dy: &Batch<[T; N], R>,
        gates: &mut Batch<[T; N], R>,
        mut dx: Option<&mut Batch<[T; N], R>>,
    ) {
        // the batches a chain passes agree; a caller's that do not are named
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        expect_rows::<Self>("the cached gates", x.nrows(), gates.nrows());
        self.dw.fill(T::ZERO);
        self.db.fill(T::ZERO);
        if let Some(dx) = dx.as_deref_mut() {
            dx.set_rows(x.nrows());
        }
        for r in 0..x.nrows() {
            let (x, g, dy) = (&x[r], &gates[r], &dy[r]);
            let dz: [T; N] = core::array::from_fn(|j| dy[j] * x[j] * g[j] * (T::ONE - g[j]));
            for (dw_row, &xi) in self.dw.chunks_exact_mut(N).zip(x) {
                for (dw, &dz) in dw_row.iter_mut().zip(&dz) {
                    *dw = *dw + xi * dz;
                }
            }
            for (db, &dz) in self.db.iter_mut().zip(&dz) {
                *db = *db + dz;
            }
            if let Some(dx) = dx.as_deref_mut() {
                dx[r] =
                    core::array::from_fn(|i| dy[i] * g[i] + (0..N).fold(T::ZERO, |s, j| s + dz[j] * self.w[i * N + j]));
            }
        }
    }
}

/// Four classes; each sample is noise plus its class's pattern.
fn data(n: usize, rng: &mut StdRng) -> (Batch<[f64; 6]>, Labels<4>) {
    let labels: Vec<usize> = (0..n).map(|i| i % 4).collect();
    let rows = labels
        .iter()
        .map(|&c| core::array::from_fn(|i| rng.random_range(-0.5..0.5) + if i % 4 == c { 1.5 } else { 0.0 }))
        .collect();
    (
        Batch::from_rows(rows),
        Labels::from_slice(&labels).expect("labels below 4"),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut net = Affine::<[f64; 6], 8>::init(Init::He, &mut rng)
        .then(Gate::init(Init::Xavier, &mut rng))
        .then(Affine::<[f64; 8], 4>::init(Init::He, &mut rng))
        .then(SoftmaxWithLoss);
    println!("{}\n", net.summary());

    // 1. the backward pass against central differences
    let (x, t) = data(5, &mut rng);
    for d in gradient_check(&mut net, &x, &t)? {
        println!(
            "gradient check {:>2}.{:<2} mean |backprop − numerical| = {:.1e} (gradients ~{:.1e})",
            d.layer.map_or("x".to_string(), |l| l.to_string()),
            d.name,
            d.mean_abs,
            d.mean_abs_gradient
        );
        assert!(d.mean_abs < 1e-7, "the gate's backward pass is wrong: {d:?}");
    }

    // 2. training with it
    let (x, t) = data(200, &mut rng);
    let mut ws = net.workspace_seeded(1);
    let mut adam = typenet::Adam::new(0.01, 0.9, 0.999);
    for _ in 0..300 {
        net.gradient_with(&mut ws, &x, &t, None)?;
        adam.step(&mut net)?;
    }
    let (test_x, test_t) = data(200, &mut rng);
    println!(
        "\ntest accuracy after 300 steps: {:.3}",
        net.accuracy(&test_x, &test_t)?
    );
    println!("gate openness (the buffer): {:.3?}", net.layer::<1>().openness());

    // 3. saved and loaded with its buffer
    let path = std::env::temp_dir().join(format!("typenet-custom-layer-{}.safetensors", std::process::id()));
    typenet::io::save(&net, &path)?;
    let mut copy = Affine::<[f64; 6], 8>::zeros()
        .then(Gate::init(Init::Zeros, &mut rng))
        .then(Affine::<[f64; 8], 4>::zeros())
        .then(SoftmaxWithLoss);
    typenet::io::load(&mut copy, &path)?;
    std::fs::remove_file(&path)?;
    assert_eq!(copy, net);
    assert_eq!(copy.predict(&test_x)?, net.predict(&test_x)?);
    println!(
        "saved to and loaded from {}: the same net, buffer included",
        path.display()
    );
    Ok(())
}
