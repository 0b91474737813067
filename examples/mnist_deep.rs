//! A deeper net on MNIST: 784 → 100 (ReLU) → 200 (ReLU) → 10, He
//! initialisation, batches of 512 visiting every sample once per epoch in a
//! fresh order, SGD at 0.1 for 20 epochs. Prints each epoch's loss and
//! accuracies and the final test accuracy.
//!
//! ```text
//! cargo run --release --example mnist_deep
//! cargo run --release --example mnist_deep -- --epochs 40 --save deep.safetensors
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
Trains 784 → 100 → 200 → 10 (ReLU, He initialisation) on MNIST-style IDX files
with shuffled epochs.

Usage: cargo run --release --example mnist_deep -- [OPTIONS]

Training:
  --epochs N            passes over the training set (default 20)
  --batch N             samples per step (default 512)
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop or adam (default sgd)
  --lr X                learning rate (default 0.1 for sgd, the book's default for the others)
";

const OUTPUTS: &str = "\
  --chart FILE          where to write the PNG chart (default mnist-deep-training.png)
";

fn settings(flags: &Flags) -> Result<run::Settings, Usage> {
    // the product with the steps per epoch is checked against the data
    let epochs = flags.count("epochs", 20, 1..=run::MAX_STEPS, "every step's loss is kept in memory")?;
    Ok(run::Settings {
        stop: Stop::Epochs(epochs),
        sampling: Sampling::Shuffled,
        batch: flags.count("batch", 512, 1..=usize::MAX, "samples per step")?,
        optimizer: run::optimizer(flags, "sgd", 0.1)?,
        seed: flags.get("seed", 42)?,
        threads: run::threads(flags)?,
        outputs: run::outputs(flags, "mnist-deep-training.png")?,
    })
}

fn main() -> ExitCode {
    let known = [
        &data::FLAGS[..],
        &[
            "epochs",
            "batch",
            "optimizer",
            "lr",
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
        let data = data::load::<[f32; 784]>(flags)?;
        let mut net = nets::mlp_100_200(Init::He, &mut StdRng::seed_from_u64(settings.seed));
        run::train(&mut net, &data, &settings)
    })
}
