//! A deeper net on MNIST: 784 → 100 (ReLU) → 200 (ReLU) → 10, He
//! initialisation, batches of 512 visiting every sample once per epoch in a
//! fresh order, SGD at 0.1 for 20 epochs. Prints each epoch's mean loss and
//! the final test accuracy.
//!
//! ```text
//! cargo run --release --example mnist_deep
//! ```

#[path = "support/cli.rs"]
mod cli;

use std::process::ExitCode;

use rand::{SeedableRng, rngs::StdRng};
use typenet::data::Sampling;
use typenet::prelude::*;
use typenet::train::{Event, Trainer, accuracy};

type Deep =
    Chain![Affine<[f32; 784], 100>, Relu, Affine<[f32; 100], 200>, Relu, Affine<[f32; 200], 10>, SoftmaxWithLoss<10>];

const USAGE: &str = "\
Trains 784-100-200-10 on MNIST-style IDX files with shuffled epochs.

Options:
  --epochs N            passes over the training set (default 20)
  --batch N             samples per step (default 512)
  --lr X                learning rate (default 0.1)
  --seed N              seed for the weights and the shuffling (default 42)
";

fn run(flags: &cli::Flags) -> Result<(), Box<dyn std::error::Error>> {
    let epochs: usize = flags.get("epochs", 20)?;
    let batch: usize = flags.get("batch", 512)?;
    let lr: f64 = flags.get("lr", 0.1)?;
    let seed: u64 = flags.get("seed", 42)?;
    let (train, test) = cli::load::<784, 10>(flags)?;

    let mut rng = StdRng::seed_from_u64(seed);
    let mut net: Deep = Affine::init(Init::He, &mut rng)
        .then(Relu)
        .then(Affine::init(Init::He, &mut rng))
        .then(Relu)
        .then(Affine::init(Init::He, &mut rng))
        .then(SoftmaxWithLoss);
    println!("{} images, batch {batch}, lr {lr}, {epochs} epochs", train.len());
    Trainer::new(Sgd::new(lr))
        .batch_size(batch)
        .sampling(Sampling::Shuffled)
        .epochs(epochs)
        .seed(seed)
        .train(&mut net, &train, None, |event| {
            if let Event::Epoch(e) = event {
                println!(
                    "epoch {:2}: mean loss {:.4}, train accuracy {:.4}",
                    e.epoch, e.mean_loss, e.train_acc
                );
            }
        })?;
    println!("final test accuracy: {:.2} %", 100.0 * accuracy(&net, &test));
    Ok(())
}

fn main() -> ExitCode {
    cli::main(&["epochs", "batch", "lr", "seed"], USAGE, run)
}
