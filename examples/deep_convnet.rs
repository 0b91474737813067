//! The book's `DeepConvNet` (chapter 8) on real MNIST digits: six 3×3
//! convolutions (16, 16, 32, 32, 64, 64 filters, padding 1; the fourth
//! padded by 2 as in the book) with ReLU, 2×2 max pooling after each pair,
//! then 50 ReLU units, dropout 0.5, 10 classes, dropout 0.5. He
//! initialisation, Adam at 0.001, batches of 100 drawn with replacement.
//! The compiler works out every size from the 1 × 28 × 28 input: the last
//! pooling gives 64 × 4 × 4, the first affine layer 1,024 inputs.
//!
//! The book trains it for 20 epochs of the full 60,000 digits (12,000
//! steps) to 99.4 %. On the 10,000 vendored training digits the default
//! 1,500 steps (15 epochs of 100 steps) reach 98.02 % test accuracy with
//! seed 42 in 136 s on one thread of the project's two-core machine,
//! evaluation of 20,000 digits after each epoch included. The second
//! convolution of each pair runs with its ReLU and pooling as one
//! `ConvReluPool`; with all layers chained the same run reached 98.24 % in
//! 234 s (while other builds shared the machine), and 98.57 % with
//! `--threads 2` (each replica draws its own dropout masks, so runs
//! differ). The printed loss stays near 1 because the training pass drops
//! half of the output scores too, as the book's net does; evaluation
//! runs without dropout.
//!
//! ```text
//! cargo run --release --example deep_convnet
//! cargo run --release --example deep_convnet -- --threads 2 --iters 3000 --save deep.safetensors
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
Trains the book's DeepConvNet (six 3×3 convolutions, three max-pools, dropout)
on MNIST-style IDX files and reports test accuracy.

Usage: cargo run --release --example deep_convnet -- [OPTIONS]

Training:
  --iters N             training steps (default 1500)
  --batch N             samples per step (default 100)
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop or adam
                        (default adam)
  --lr X                learning rate (default 0.001 for adam, the book's
                        default for the others)
";

const OUTPUTS: &str = "\
  --chart FILE          where to write the PNG chart (default deep-convnet-training.png)
";

fn settings(flags: &Flags) -> Result<run::Settings, Usage> {
    Ok(run::Settings {
        stop: Stop::Iterations(run::iterations(flags, 1500)?),
        sampling: Sampling::WithReplacement,
        batch: flags.count("batch", 100, 1..=usize::MAX, "samples per step")?,
        optimizer: run::optimizer(flags, "adam", 0.001)?,
        seed: flags.get("seed", 42)?,
        threads: run::threads(flags)?,
        outputs: run::outputs(flags, "deep-convnet-training.png")?,
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
        let data = data::load::<nets::Digit>(flags)?;
        let mut net = nets::deep_convnet(Init::He, &mut StdRng::seed_from_u64(settings.seed));
        run::train(&mut net, &data, &settings)
    })
}
