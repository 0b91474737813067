//! The runner: trains any of the book's MNIST nets on MNIST-style IDX
//! files, with flags for the data, the length of the run, the optimizer,
//! threads and what to write, or evaluates a saved net. The numbered
//! examples (`01_dense_by_hand` …) teach one thing each on one page; this
//! is the program to run experiments with, and it keeps what they leave
//! out: checked flags, a progress bar, a CSV history, a PNG chart.
//!
//! `--net` picks the net (`nets.rs` builds them all):
//!
//! - `dense`: the book's two-layer net (chapters 4–5), 784 → 50 ReLU → 10,
//!   SGD at 0.1, 10,000 steps of 100 drawn with replacement;
//! - `deep`: 784 → 100 → 200 → 10, He initialisation, 20 shuffled epochs
//!   of 512;
//! - `convnet`: the book's `SimpleConvNet` (chapter 7), Adam at 0.001,
//!   2,000 steps of 100, what `cargo run --release --example convnet` runs
//!   (README, "Two commands", for its accuracy);
//! - `deep_convnet`: the book's `DeepConvNet` (chapter 8), six 3×3
//!   convolutions with dropout, He initialisation, Adam, 1,500 steps.
//!
//! Timings are the README's ("Speed"), not this file's.
//!
//! ```text
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --net convnet --threads 2 --save convnet.safetensors
//! cargo run --release --example mnist -- --net convnet --evaluate convnet.safetensors
//! cargo run --release --example mnist -- --net dense --hidden 100 --data path/to/fashion-mnist
//! ```
//!
//! `tests/examples.rs` includes this file to test its modules directly.
#![allow(dead_code)] // convnet.rs and the tests include this file and use parts of it

pub mod chart;
pub mod cli;
pub mod data;
pub mod history;
pub mod nets;
pub mod outputs;
pub mod png;
pub mod progress;
pub mod report;
pub mod run;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use rand::{SeedableRng, rngs::StdRng};
use typenet::data::Sampling;
use typenet::prelude::*;
use typenet::train::Stop;

use cli::{Flags, Usage};
use nets::Net;

const USAGE: &str = "\
Trains one of the book's nets on MNIST-style IDX files and reports test
accuracy, or evaluates a saved net.

Usage: cargo run --release --example mnist -- [OPTIONS]

The net:
  --net NAME            dense (the book's 784→50→10), deep (784→100→200→10),
                        convnet (SimpleConvNet) or deep_convnet (DeepConvNet)
                        (default {default})
  --hidden N            for --net dense: 50, 100 or 200 hidden units (default 50)
  --init-std X          weights X·N(0, 1) (default: 0.01 for dense and convnet,
                        He initialisation for deep and deep_convnet)
  --evaluate FILE       load the parameters saved in FILE and report the test
                        accuracy and confusion matrix; no training

Training (defaults per net: dense 10000 steps of 100 with sgd at 0.1; deep 20
shuffled epochs of 512 with sgd at 0.1; convnet 2000 steps of 100 and
deep_convnet 1500, with adam at 0.001):
  --iters N             training steps (an epoch is the training set's size /
                        batch steps)
  --epochs N            passes over the training set instead of --iters
  --batch N             samples per step
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop or adam
  --lr X                learning rate (default: the net's for its optimizer,
                        the book's default for the others)
";

const OUTPUTS: &str = "\
  --chart FILE          where to write the PNG chart (default NET-training.png)
";

/// Every flag the runner knows.
const FLAGS: [&str; 14] = [
    "net",
    "hidden",
    "init-std",
    "evaluate",
    "iters",
    "epochs",
    "batch",
    "optimizer",
    "lr",
    "seed",
    "threads",
    "save",
    "chart",
    "history",
];

/// The flags that only make sense for training.
const TRAINING_FLAGS: [&str; 10] = [
    "iters",
    "epochs",
    "batch",
    "optimizer",
    "lr",
    "seed",
    "threads",
    "save",
    "chart",
    "history",
];

/// A net `--net` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetName {
    Dense,
    Deep,
    ConvNet,
    DeepConvNet,
}

impl NetName {
    fn parse(name: &str) -> Result<Self, Usage> {
        match name {
            "dense" => Ok(NetName::Dense),
            "deep" => Ok(NetName::Deep),
            "convnet" => Ok(NetName::ConvNet),
            "deep_convnet" => Ok(NetName::DeepConvNet),
            other => Err(Usage(format!(
                "--net {other}: choose dense, deep, convnet or deep_convnet"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            NetName::Dense => "dense",
            NetName::Deep => "deep",
            NetName::ConvNet => "convnet",
            NetName::DeepConvNet => "deep_convnet",
        }
    }

    /// The book's settings for this net: how long, how batches are drawn,
    /// their size, the optimizer and its rate.
    fn defaults(self) -> (Stop, Sampling, usize, &'static str, f64) {
        match self {
            NetName::Dense => (Stop::Iterations(10_000), Sampling::WithReplacement, 100, "sgd", 0.1),
            NetName::Deep => (Stop::Epochs(20), Sampling::Shuffled, 512, "sgd", 0.1),
            NetName::ConvNet => (Stop::Iterations(2_000), Sampling::WithReplacement, 100, "adam", 0.001),
            NetName::DeepConvNet => (Stop::Iterations(1_500), Sampling::WithReplacement, 100, "adam", 0.001),
        }
    }

    /// The weights' initialisation unless `--init-std` says otherwise.
    fn init(self) -> Init {
        match self {
            NetName::Dense | NetName::ConvNet => Init::Normal(0.01),
            NetName::Deep | NetName::DeepConvNet => Init::He,
        }
    }
}

/// What the run does with the net once it is built.
enum Job {
    Train(run::Settings),
    Evaluate(PathBuf),
}

impl Job {
    /// Loads the data for rows `X` (the flags were checked before) and
    /// trains or evaluates `net` on it.
    fn run<X: Row<Scalar = f32>>(self, mut net: impl Net<X>, flags: &Flags) -> Result<(), Box<dyn Error>> {
        let data = data::load::<X>(flags)?;
        match self {
            Job::Train(settings) => run::train(&mut net, &data, &settings),
            Job::Evaluate(model) => report::evaluate(net, &model, &data),
        }
    }
}

/// The training settings the flags ask for, each checked, before any data
/// is read.
fn settings(flags: &Flags, net: NetName) -> Result<run::Settings, Usage> {
    let (stop, sampling, batch, optimizer, lr) = net.defaults();
    let stop = match (flags.has("iters"), flags.has("epochs")) {
        (true, true) => return Err(Usage("--iters and --epochs: choose one".into())),
        (true, false) => Stop::Iterations(run::iterations(flags, 1)?),
        (false, true) => {
            Stop::Epochs(flags.count("epochs", 1, 1..=run::MAX_STEPS, "every step's loss is kept in memory")?)
        }
        (false, false) => stop,
    };
    Ok(run::Settings {
        stop,
        sampling,
        batch: flags.count("batch", batch, 1..=usize::MAX, "samples per step")?,
        optimizer: run::optimizer(flags, optimizer, lr)?,
        seed: flags.get("seed", 42)?,
        threads: run::threads(flags)?,
        outputs: run::outputs(flags, &format!("{}-training.png", net.name()))?,
    })
}

/// The runner with `default` as the net when `--net` is not given.
pub fn run_with(default: NetName) -> ExitCode {
    let usage = format!(
        "{}{}{OUTPUTS}\n{}",
        USAGE.replace("{default}", default.name()),
        run::USAGE,
        data::USAGE
    );
    let known = [&data::FLAGS[..], &FLAGS[..]].concat();
    cli::main(&known, &usage, |flags| {
        let net = match flags.text("net")? {
            Some(name) => NetName::parse(&name)?,
            None => default,
        };
        let job = match flags.path("evaluate") {
            Some(model) => {
                if let Some(flag) = TRAINING_FLAGS.iter().find(|f| flags.has(f)) {
                    return Err(Usage(format!("--{flag} is for training, not for --evaluate")).into());
                }
                Job::Evaluate(model)
            }
            None => Job::Train(settings(flags, net)?),
        };
        let hidden: usize = flags.get("hidden", 50)?;
        if flags.has("hidden") && net != NetName::Dense {
            return Err(Usage(format!("--hidden is for --net dense, not {}", net.name())).into());
        }
        let init = match flags.has("init-std") {
            true => Init::Normal(flags.positive("init-std", 0.01)?),
            false => net.init(),
        };
        // when evaluating, the weights are replaced by the file's
        let rng = &mut StdRng::seed_from_u64(flags.get("seed", 42)?);
        match (net, hidden) {
            (NetName::Dense, 50) => job.run(nets::two_layer::<50, _>(init, rng), flags),
            (NetName::Dense, 100) => job.run(nets::two_layer::<100, _>(init, rng), flags),
            (NetName::Dense, 200) => job.run(nets::two_layer::<200, _>(init, rng), flags),
            (NetName::Dense, h) => {
                Err(Usage(format!("--hidden {h}: choose 50, 100 or 200 (widths are compiled in)")).into())
            }
            (NetName::Deep, _) => job.run(nets::mlp_100_200(init, rng), flags),
            (NetName::ConvNet, _) => job.run(nets::simple_convnet(init, rng), flags),
            (NetName::DeepConvNet, _) => job.run(nets::deep_convnet(init, rng), flags),
        }
    })
}

fn main() -> ExitCode {
    run_with(NetName::Dense)
}
