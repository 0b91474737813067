//! Loads parameters saved by the `mnist` example and classifies a test set:
//! accuracy, a confusion matrix, and the digits it confuses most.
//!
//! ```text
//! cargo run --release --example mnist -- --save mnist.safetensors
//! cargo run --release --example classify -- --model mnist.safetensors
//! ```

#[path = "support/cli.rs"]
mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use typenet::data::Dataset;
use typenet::prelude::*;
use typenet::train::predictions;

const USAGE: &str = "\
Classifies an MNIST-style test set with parameters saved by the mnist example.

Options:
  --model FILE          the saved parameters (safetensors), required
  --hidden N            the saved net's hidden units: 50, 100 or 200 (default 50)
";

fn run<const HIDDEN: usize>(model: &PathBuf, test: &Dataset<[f32; 784], 10>) -> Result<(), Box<dyn std::error::Error>> {
    let mut net: TwoLayerNet<f32, 784, HIDDEN, 10> =
        Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
    // every tensor's name, type and shape is checked before any is used
    typenet::io::load(&mut net, model)?;
    let predicted = predictions(&net, test);

    let mut confusion = [[0usize; 10]; 10];
    for (i, &p) in predicted.iter().enumerate() {
        confusion[test.labels().get(i)][p] += 1;
    }
    let correct: usize = (0..10).map(|d| confusion[d][d]).sum();
    println!(
        "{} of {} test images right: accuracy {:.2} %\n",
        correct,
        test.len(),
        100.0 * correct as f64 / test.len().max(1) as f64
    );
    println!("rows: true digit, columns: predicted digit");
    print!("      ");
    (0..10).for_each(|d| print!("{d:>6}"));
    println!();
    for (d, row) in confusion.iter().enumerate() {
        print!("{d:>6}");
        row.iter().for_each(|n| print!("{n:>6}"));
        println!();
    }
    let mut mistakes: Vec<(usize, usize, usize)> = (0..10)
        .flat_map(|t| (0..10).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| (confusion[t][p], t, p))
        .collect();
    mistakes.sort_unstable_by(|a, b| b.cmp(a));
    println!("\nmost confused:");
    for (n, t, p) in mistakes.iter().take(3) {
        println!("  {t} read as {p}: {n} times");
    }
    Ok(())
}

fn main() -> ExitCode {
    cli::main(&["model", "hidden"], USAGE, |flags| {
        let model = flags.path("model").ok_or("--model FILE is required")?;
        let (_, test) = cli::load::<784, 10>(flags)?;
        match flags.get("hidden", 50)? {
            50 => run::<50>(&model, &test),
            100 => run::<100>(&model, &test),
            200 => run::<200>(&model, &test),
            h => Err(format!("--hidden {h}: choose 50, 100 or 200").into()),
        }
    })
}
