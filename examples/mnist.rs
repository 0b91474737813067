//! The book's two-layer net trained on real MNIST digits: 784 → 50 (ReLU) →
//! 10, batches of 100 drawn with replacement, SGD at 0.1, weights
//! 0.01·N(0, 1). Prints accuracies each epoch and the final test accuracy,
//! and draws the curves to a PNG chart. `convnet` is the same run with the
//! book's convolutional net, which does better.
//!
//! ```text
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --data path/to/fashion-mnist --iters 20000 --hidden 100
//! cargo run --release --example mnist -- --optimizer adam --save mnist.safetensors --history history.csv
//! ```

#[path = "support/mod.rs"]
mod support;

use std::process::ExitCode;

use rand::{SeedableRng, rngs::StdRng};
use support::cli::{self, Flags, Usage};
use support::{data, nets, run};
use typenet::data::Sampling;
use typenet::prelude::*;
use typenet::train::Stop;

const USAGE: &str = "\
Trains the book's two-layer net (784 → 50 ReLU → 10) on MNIST-style IDX files
and reports test accuracy.

Usage: cargo run --release --example mnist -- [OPTIONS]

Training:
  --iters N             training steps (default 10000)
  --batch N             samples per step (default 100)
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop or adam (default sgd)
  --lr X                learning rate (default 0.1 for sgd, the book's default for the others)
  --hidden N            hidden units: 50, 100 or 200 (default 50)
  --init-std X          weight initialisation σ (default 0.01)
";

const OUTPUTS: &str = "\
  --chart FILE          where to write the PNG chart (default mnist-training.png)
";

fn settings(flags: &Flags) -> Result<run::Settings, Usage> {
    Ok(run::Settings {
        stop: Stop::Iterations(run::iterations(flags, 10_000)?),
        sampling: Sampling::WithReplacement,
        batch: flags.count("batch", 100, 1..=usize::MAX, "samples per step")?,
        optimizer: run::optimizer(flags, "sgd", 0.1)?,
        seed: flags.get("seed", 42)?,
        threads: run::threads(flags)?,
        outputs: run::outputs(flags, "mnist-training.png")?,
    })
}

fn main() -> ExitCode {
    let known = [
        &data::FLAGS[..],
        &[
            "iters",
            "batch",
            "optimizer",
            "lr",
            "hidden",
            "init-std",
            "seed",
            "threads",
            "save",
            "chart",
            "history",
        ],
    ]
    .concat();
    let usage = format!("{USAGE}{}{OUTPUTS}\n{}", run::USAGE, data::USAGE);
    cli::main(&known, &usage, |flags| {
        let settings = settings(flags)?;
        let init = Init::Normal(flags.positive("init-std", 0.01)?);
        let hidden: usize = flags.get("hidden", 50)?;
        if ![50, 100, 200].contains(&hidden) {
            return Err(Usage(format!(
                "--hidden {hidden}: choose 50, 100 or 200 (widths are compiled in)"
            ))
            .into());
        }
        let data = data::load::<[f32; 784]>(flags)?;
        let rng = &mut StdRng::seed_from_u64(settings.seed);
        match hidden {
            50 => run::train(&mut nets::two_layer::<50, _>(init, rng), &data, &settings),
            100 => run::train(&mut nets::two_layer::<100, _>(init, rng), &data, &settings),
            _ => run::train(&mut nets::two_layer::<200, _>(init, rng), &data, &settings),
        }
    })
}
