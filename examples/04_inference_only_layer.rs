//! 04 · A layer that only infers, and a net that only infers.
//!
//! Readings from a sensor come in two units a thousand times apart
//! (temperature in °C, pressure in Pa). A net trains badly on such inputs,
//! so they are standardised first: y = (x − mean) / std, per feature, with
//! the mean and standard deviation measured once on the training data.
//! `Standardize` is that step as a layer. It never trains, so it is two
//! impls, `Tensors` (its two buffers) and `Layer` (inference), and no
//! backward pass.
//!
//! Put in front of a trained net whose layers are `Frozen` (weights, no
//! gradients), it gives one net that takes raw readings. That net chains
//! with the same compile-time checks as any other, shows in a summary,
//! saves and loads, bakes into Rust source, and is exactly the size of its
//! numbers. An optimizer refuses it when compiled:
//! `Sgd::new(0.1).step(&mut deployed)` is an error, since a `Frozen` layer
//! keeps no gradients and `Standardize` does not train.
//!
//! ```text
//! cargo run --release --example 04_inference_only_layer
//! ```

use rand::{RngExt, SeedableRng, rngs::StdRng};
use typenet::prelude::*;

/// y = (x − mean) · inv_std per feature: the statistics are buffers,
/// saved and loaded with the net, never trained.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardize<const N: usize> {
    mean: [f32; N],
    inv_std: [f32; N],
}

impl<const N: usize> Standardize<N> {
    /// The statistics of `x`'s columns.
    pub fn fit(x: &Batch<[f32; N]>) -> Self {
        let n = x.nrows() as f32;
        let mean: [f32; N] = core::array::from_fn(|i| x.rows().iter().map(|r| r[i]).sum::<f32>() / n);
        let inv_std = core::array::from_fn(|i| {
            let var = x.rows().iter().map(|r| (r[i] - mean[i]).powi(2)).sum::<f32>() / n;
            1.0 / var.sqrt().max(f32::EPSILON)
        });
        Standardize { mean, inv_std }
    }
}

/// What it holds: two buffers of `N` values. `Buffer` means saved and
/// loaded, counted apart from the parameters, never touched by an
/// optimizer or an initialiser.
impl<const N: usize> Tensors for Standardize<N> {
    typenet::tensors! {
        "mean": Buffer, [N] => mean;
        "inv_std": Buffer, [N] => inv_std;
    }
}

/// What it computes, through `&self`. There is no `Trainable` impl: a net
/// holding this layer infers, and cannot be trained by mistake.
impl<const N: usize> Layer<[f32; N]> for Standardize<N> {
    type Out = [f32; N];
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<[f32; N], R>, y: &mut Batch<[f32; N], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        for (y, x) in y.rows_mut().iter_mut().zip(x.rows()) {
            *y = core::array::from_fn(|i| (x[i] - self.mean[i]) * self.inv_std[i]);
        }
    }
}

/// The deployed net's type: standardisation, then the trained layers,
/// frozen.
type Deployed =
    Chain![Standardize<2>, Affine<[f32; 2], 16, Frozen>, Relu, Affine<[f32; 16], 3, Frozen>, SoftmaxWithLoss<3>];

/// Readings of three kinds of weather: the class decides the mean
/// temperature (°C) and pressure (Pa).
fn readings(n: usize, rng: &mut StdRng) -> (Batch<[f32; 2]>, Labels<3>) {
    let centre = [[12.0, 100_400.0], [20.0, 101_800.0], [28.0, 100_900.0]];
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let rows = labels
        .iter()
        .map(|&c| {
            [
                centre[c][0] + rng.random_range(-3.0..3.0),
                centre[c][1] + rng.random_range(-300.0..300.0),
            ]
        })
        .collect();
    (
        Batch::from_rows(rows),
        Labels::from_slice(&labels).expect("labels below 3"),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = StdRng::seed_from_u64(4);
    let (x, t) = readings(300, &mut rng);

    // 1. The layer on its own: it is a `Layer`, so it infers on a batch.
    let standardize = Standardize::fit(&x);
    let mut scaled = Batch::zeros(x.nrows());
    standardize.infer(&x, &mut scaled);

    // 2. An ordinary net, trained on the standardised readings.
    let mut net = Affine::<[f32; 2], 16>::init(Init::He, &mut rng)
        .then(Relu)
        .then(Affine::<[f32; 16], 3>::init(Init::He, &mut rng))
        .then(SoftmaxWithLoss);
    let mut ws = net.workspace_seeded(0);
    let mut sgd = Sgd::new(0.1);
    for _ in 0..300 {
        net.gradient_with(&mut ws, &scaled, &t, None)?;
        sgd.step(&mut net)?;
    }
    println!(
        "trained on standardised readings: accuracy {:.3}",
        net.accuracy(&scaled, &t)?
    );

    // 3. The net that takes raw readings: the inference-only layer, then the
    //    trained weights copied into frozen layers (arrays, checked against
    //    the layers' sizes when the copy is made).
    let (first, second) = (net.layer::<0>(), net.layer::<2>());
    let deployed: Deployed = standardize
        .clone()
        .then(Affine::frozen(first.weights().try_into()?, *first.bias()))
        .then(Relu)
        .then(Affine::frozen(second.weights().try_into()?, *second.bias()))
        .then(SoftmaxWithLoss);
    println!("{}", deployed.summary());
    assert_eq!(deployed.predict(&x)?, net.predict(&scaled)?, "the same arithmetic");
    let (test_x, test_t) = readings(300, &mut rng);
    let accuracy = deployed.accuracy(&test_x, &test_t)?;
    println!("raw readings in, test accuracy {accuracy:.3}");
    assert!(accuracy > 0.9, "{accuracy}");
    println!(
        "reading [27.0, 100950.0] is class {}",
        deployed.classify(&[27.0, 100_950.0])?
    );

    // 4. It saves and loads like any net, its buffers included ...
    let bytes = typenet::io::to_bytes(&deployed)?;
    let mut copy: Deployed = Standardize {
        mean: [0.0; 2],
        inv_std: [0.0; 2],
    }
    .then(Affine::frozen([[0.0; 16]; 2], [0.0; 16]))
    .then(Relu)
    .then(Affine::frozen([[0.0; 3]; 16], [0.0; 3]))
    .then(SoftmaxWithLoss);
    typenet::io::from_bytes(&mut copy, &bytes)?;
    assert_eq!(copy, deployed);

    // 5. ... bakes into Rust source, for a `static` in a binary
    //    (`07_static_no_heap`) ...
    let source = typenet::io::rust_source(&deployed)?;
    assert!(source.contains("pub const L0_MEAN: [f32; 2]"), "{source}");
    println!(
        "baked: {} lines of Rust, starting\n{}",
        source.lines().count(),
        source.lines().take(4).collect::<Vec<_>>().join("\n")
    );

    // 6. ... and holds nothing but its numbers: 4 buffer values, 2·16 + 16
    //    and 16·3 + 3 weights, 4 bytes each, no gradients.
    let numbers = 4 + (2 * 16 + 16) + (16 * 3 + 3);
    assert_eq!(size_of::<Deployed>(), 4 * numbers);
    println!(
        "{} bytes: its {numbers} numbers and nothing else",
        size_of::<Deployed>()
    );
    Ok(())
}
