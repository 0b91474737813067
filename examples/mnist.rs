//! The book's two-layer net trained on real MNIST digits: 784 → 50 (ReLU) →
//! 10, batches of 100 drawn with replacement, SGD at 0.1, weights
//! 0.01·N(0, 1). Prints accuracies each epoch and the final test accuracy,
//! and draws the curves to a PNG chart.
//!
//! ```text
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --data path/to/fashion-mnist --iters 20000 --hidden 100
//! cargo run --release --example mnist -- --optimizer adam --save mnist.safetensors
//! ```

#[path = "support/chart.rs"]
mod chart;
#[path = "support/cli.rs"]
mod cli;
#[path = "support/progress.rs"]
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use rand::{SeedableRng, rngs::StdRng};
use typenet::data::Dataset;
use typenet::optim::AnyOptimizer;
use typenet::prelude::*;
use typenet::train::{Event, History, Trainer, accuracy};

const USAGE: &str = "\
Trains the book's two-layer net on MNIST-style IDX files and reports test accuracy.

Options:
  --iters N             training steps (default 10000)
  --batch N             samples per step (default 100)
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop or adam (default sgd)
  --lr X                learning rate (default 0.1 for sgd, the book's default for the others)
  --seed N              seed for the weights and the batches (default 42)
  --hidden N            hidden units: 50, 100 or 200 (default 50)
  --init-std X          weight initialisation σ (default 0.01)
  --threads N           train data-parallel on N threads (default 1)
  --chart FILE          where to write the PNG of the curves (default mnist-training.png)
  --save FILE           save the trained parameters (safetensors) to FILE
";

struct Options {
    iters: usize,
    batch: usize,
    optimizer: AnyOptimizer<f32>,
    seed: u64,
    hidden: usize,
    init_std: f64,
    threads: usize,
    chart: PathBuf,
    save: Option<PathBuf>,
}

fn parse_options(flags: &cli::Flags) -> Result<Options, Box<dyn std::error::Error>> {
    let name: String = flags.get("optimizer", "sgd".to_string())?;
    let lr = match flags.path("lr") {
        Some(_) => Some(flags.get("lr", 0.0)?),
        None if name.eq_ignore_ascii_case("sgd") => Some(0.1),
        None => None,
    };
    Ok(Options {
        iters: flags.get("iters", 10_000)?,
        batch: flags.get("batch", 100)?,
        optimizer: AnyOptimizer::named(&name, lr)?,
        seed: flags.get("seed", 42)?,
        hidden: flags.get("hidden", 50)?,
        init_std: flags.get("init-std", 0.01)?,
        threads: flags.get("threads", 1)?,
        chart: flags.get("chart", PathBuf::from("mnist-training.png"))?,
        save: flags.path("save"),
    })
}

type Mnist = Dataset<[f32; 784], 10>;

fn run<const HIDDEN: usize>(o: &Options, train: &Mnist, test: &Mnist) -> Result<(), Box<dyn std::error::Error>> {
    let mut net: TwoLayerNet<f32, 784, HIDDEN, 10> = two_layer_net(o.init_std, &mut StdRng::seed_from_u64(o.seed));
    let optimizer = o.optimizer.clone();
    println!("{}", net.summary());
    println!(
        "training on {} images ({} test): batch {}, {} at lr {}, {} steps, {} thread(s)",
        train.len(),
        test.len(),
        o.batch,
        optimizer.name(),
        optimizer.lr(),
        o.iters,
        o.threads
    );
    let mut bar = progress::ProgressBar::new(o.iters);
    let mut last_loss = f64::NAN;
    let started = Instant::now();
    let history = Trainer::new(optimizer)
        .batch_size(o.batch)
        .iterations(o.iters)
        .seed(o.seed)
        .threads(o.threads)
        .train(&mut net, train, Some(test), |event| match event {
            Event::Step(s) => {
                last_loss = s.loss;
                bar.update(s.step + 1, &format!("loss {:.4}", s.loss));
            }
            Event::Epoch(e) => {
                bar.clear();
                println!(
                    "epoch {:3}  step {:6}  loss {:.4}  train acc {:.4}  test acc {:.4}",
                    e.epoch,
                    e.steps,
                    e.mean_loss,
                    e.train_acc,
                    e.test_acc.unwrap_or(f64::NAN)
                );
            }
        })?;
    let seconds = started.elapsed().as_secs_f64();
    bar.clear();
    println!(
        "last step's loss {last_loss:.4}; {seconds:.2} s for {} steps with evaluation",
        o.iters
    );
    println!("final test accuracy: {:.2} %", 100.0 * accuracy(&net, test));
    draw(&o.chart, &history)?;
    println!("curves written to {}", o.chart.display());
    if let Some(path) = &o.save {
        typenet::io::save(&net, path)?;
        println!("parameters saved to {}", path.display());
    }
    Ok(())
}

fn draw(path: &std::path::Path, h: &History) -> std::io::Result<()> {
    // the loss averaged over windows of 50 steps, to see the trend
    let window = 50;
    let loss: Vec<(f64, f64)> = h
        .train_loss
        .chunks(window)
        .enumerate()
        .map(|(i, c)| (((i + 1) * c.len()) as f64, c.iter().sum::<f64>() / c.len() as f64))
        .collect();
    let top = h.train_loss.iter().copied().fold(0.5, f64::max).min(3.0);
    let epochs = |v: &[f64]| {
        v.iter()
            .enumerate()
            .map(|(i, &a)| ((i + 1) as f64, a))
            .collect::<Vec<_>>()
    };
    let low = h.test_acc.iter().chain(&h.train_acc).copied().fold(1.0, f64::min);
    chart::save(
        path,
        &[
            chart::Panel {
                title: "loss",
                x_label: "step",
                y_range: (0.0, top),
                series: vec![("loss", loss)],
            },
            chart::Panel {
                title: "accuracy",
                x_label: "epoch",
                y_range: ((low - 0.02).max(0.0), 1.0),
                series: vec![("train", epochs(&h.train_acc)), ("test", epochs(&h.test_acc))],
            },
        ],
    )
}

fn main() -> ExitCode {
    let known = [
        "iters",
        "batch",
        "optimizer",
        "lr",
        "seed",
        "hidden",
        "init-std",
        "threads",
        "chart",
        "save",
    ];
    cli::main(&known, USAGE, |flags| {
        let options = parse_options(flags)?;
        let (train, test) = cli::load::<784, 10>(flags)?;
        match options.hidden {
            50 => run::<50>(&options, &train, &test),
            100 => run::<100>(&options, &train, &test),
            200 => run::<200>(&options, &train, &test),
            h => Err(format!("--hidden {h}: choose 50, 100 or 200 (widths are compiled in)").into()),
        }
    })
}
