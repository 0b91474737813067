//! Loads parameters saved by a training example and classifies a test set:
//! accuracy, a confusion matrix, and the digits it confuses most.
//!
//! ```text
//! cargo run --release --example mnist -- --save mnist.safetensors
//! cargo run --release --example classify -- --model mnist.safetensors
//! cargo run --release --example convnet -- --save convnet.safetensors
//! cargo run --release --example classify -- --model convnet.safetensors --net convnet
//! ```

#[path = "support/mod.rs"]
mod support;

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use rand::{SeedableRng, rngs::StdRng};
use support::cli::{self, Usage};
use support::data::{self, Data};
use support::nets::{self, Net};
use typenet::Row;
use typenet::prelude::*;
use typenet::train::predictions;

const USAGE: &str = "\
Classifies an MNIST-style test set with parameters saved by a training example.

Usage: cargo run --release --example classify -- --model FILE [OPTIONS]

Options:
  --model FILE          the saved parameters (safetensors), required
  --net NAME            the net they belong to: mnist (default), mnist_deep,
                        convnet or deep_convnet, after the example that saved it
  --hidden N            for --net mnist: its hidden units, 50, 100 or 200 (default 50)

";

fn classify<X: Row<Scalar = f32>>(mut net: impl Net<X>, model: &Path, data: &Data<X>) -> Result<(), Box<dyn Error>> {
    // every tensor's name, type and shape is checked before any is used;
    // the error names the file
    typenet::io::load(&mut net, model)?;
    let test = data
        .test()
        .ok_or_else(|| format!("{}: no test images, so nothing to classify", data.test_images.display()))?;
    let predicted = predictions(&net, test)?;

    let mut confusion = [[0usize; 10]; 10];
    for (i, &p) in predicted.iter().enumerate() {
        confusion[test.labels().get(i)][p] += 1;
    }
    let correct: usize = (0..10).map(|d| confusion[d][d]).sum();
    // the report is written at once, and a closed pipe (`| head`) ends it quietly
    let mut out = String::new();
    writeln!(
        out,
        "{} of {} test images right: accuracy {:.2} %\n",
        correct,
        test.len(),
        100.0 * correct as f64 / test.len() as f64
    )?;
    writeln!(out, "rows: true digit, columns: predicted digit")?;
    write!(out, "      ")?;
    for d in 0..10 {
        write!(out, "{d:>6}")?;
    }
    writeln!(out)?;
    for (d, row) in confusion.iter().enumerate() {
        write!(out, "{d:>6}")?;
        for n in row {
            write!(out, "{n:>6}")?;
        }
        writeln!(out)?;
    }
    let mut mistakes: Vec<(usize, usize, usize)> = (0..10)
        .flat_map(|t| (0..10).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| (confusion[t][p], t, p))
        .collect();
    mistakes.sort_unstable_by(|a, b| b.cmp(a));
    writeln!(out, "\nmost confused:")?;
    for (n, t, p) in mistakes.iter().take(3) {
        writeln!(out, "  {t} read as {p}: {n} times")?;
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(())
}

fn main() -> ExitCode {
    let known = [&data::FLAGS[..], &["model", "net", "hidden"]].concat();
    let usage = format!("{USAGE}{}", data::USAGE);
    cli::main(&known, &usage, |flags| {
        let model = flags
            .path("model")
            .ok_or_else(|| Usage("--model FILE is required".into()))?;
        let net = flags.text("net")?.unwrap_or_else(|| "mnist".into());
        let hidden: usize = flags.get("hidden", 50)?;
        if flags.has("hidden") && net != "mnist" {
            return Err(Usage(format!("--hidden is for --net mnist, not {net}")).into());
        }
        // the weights are replaced by the file's
        let (init, rng) = (Init::Zeros, &mut StdRng::seed_from_u64(0));
        match (net.as_str(), hidden) {
            ("mnist", 50) => classify(nets::two_layer::<50, _>(init, rng), &model, &data::load(flags)?),
            ("mnist", 100) => classify(nets::two_layer::<100, _>(init, rng), &model, &data::load(flags)?),
            ("mnist", 200) => classify(nets::two_layer::<200, _>(init, rng), &model, &data::load(flags)?),
            ("mnist", h) => Err(Usage(format!("--hidden {h}: choose 50, 100 or 200")).into()),
            ("mnist_deep", _) => classify(nets::mlp_100_200(init, rng), &model, &data::load(flags)?),
            ("convnet", _) => classify(nets::simple_convnet(init, rng), &model, &data::load(flags)?),
            ("deep_convnet", _) => classify(nets::deep_convnet(init, rng), &model, &data::load(flags)?),
            (other, _) => Err(Usage(format!(
                "--net {other}: choose mnist, mnist_deep, convnet or deep_convnet"
            ))
            .into()),
        }
    })
}
