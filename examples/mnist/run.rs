//! A training run as the runner does it: the shared flags and their
//! checks, the trainer with a progress bar and the book's per-epoch
//! accuracies, then the outputs, the most valuable first: the parameters,
//! the history, the chart.

use std::error::Error;
use std::time::Instant;

use typenet::data::Sampling;
use typenet::optim::{AnyOptimizer, UnknownOptimizer};
use typenet::train::{Event, MAX_THREADS, Stop, TrainError, Trainer, accuracy};
use typenet::{Row, Scalar};

use super::chart;
use super::cli::{Flags, Usage};
use super::data::Data;
use super::history::Record;
use super::nets::Net;
use super::outputs::Outputs;
use super::progress::ProgressBar;

/// The most steps a run may take. The trainer keeps every step's loss, and
/// so does the record behind the history file: 16 bytes a step, 1.6 GB at
/// this bound (and days of training for the smallest net).
pub const MAX_STEPS: usize = 100_000_000;

/// The flags every training run takes, for `--help`.
pub const USAGE: &str = "  --seed N              seed for the weights, the batches and dropout (default 42)
  --threads N           train data-parallel on N threads, 1 to 8 (default 1)
  --save FILE           save the trained parameters (safetensors) to FILE; a run
                        stopped by a non-finite value saves its last good ones
  --history FILE        write every step's loss and every epoch's accuracies
                        as CSV (kind,step,epoch,loss,train_acc,test_acc)
";

/// How to train.
#[derive(Clone, Debug)]
pub struct Settings {
    /// When to stop.
    pub stop: Stop,
    /// How batches are drawn.
    pub sampling: Sampling,
    /// Samples per step.
    pub batch: usize,
    /// The optimizer.
    pub optimizer: AnyOptimizer<f32>,
    /// The seed of the batches and of dropout.
    pub seed: u64,
    /// Data-parallel threads.
    pub threads: usize,
    /// Where to write.
    pub outputs: Outputs,
}

/// `--iters`, checked: 1 to [`MAX_STEPS`].
pub fn iterations(flags: &Flags, default: usize) -> Result<usize, Usage> {
    flags.count("iters", default, 1..=MAX_STEPS, "every step's loss is kept in memory")
}

/// `--threads`, checked: 1 to the trainer's maximum.
pub fn threads(flags: &Flags) -> Result<usize, Usage> {
    flags.count("threads", 1, 1..=MAX_THREADS, "threads that train data-parallel")
}

/// `--optimizer` (`default` when absent) at `--lr` (when absent, `lr` for
/// the default optimizer and the book's rate for the others).
pub fn optimizer(flags: &Flags, default: &str, lr: f64) -> Result<AnyOptimizer<f32>, Usage> {
    let name = flags.text("optimizer")?.unwrap_or_else(|| default.to_string());
    let rate = if flags.has("lr") {
        Some(flags.positive("lr", lr)?)
    } else {
        name.eq_ignore_ascii_case(default).then_some(lr)
    };
    AnyOptimizer::named(&name, rate).map_err(|e| match e {
        // a rate the optimizer refuses (1e39 is infinite as an f32) is the
        // rate's fault, whichever optimizer it was given to
        UnknownOptimizer::Rate(e) if flags.has("lr") => Usage(format!(
            "--lr {}: {e}",
            flags.text("lr").ok().flatten().unwrap_or_default()
        )),
        e => Usage(format!("--optimizer {name}: {e}")),
    })
}

/// `--save`, `--history` and `--chart` (`chart` when absent), each checked
/// as a path to write before anything is trained.
pub fn outputs(flags: &Flags, chart: &str) -> Result<Outputs, Usage> {
    let outputs = Outputs {
        save: flags.path("save"),
        chart: Some(flags.path("chart").unwrap_or_else(|| chart.into())),
        history: flags.path("history"),
    };
    outputs.check().map_err(Usage)?;
    Ok(outputs)
}

/// Checks the settings against the data: a training set to train on, a
/// batch no larger than it, a step count within [`MAX_STEPS`].
pub fn check<X: Row<Scalar: Scalar>>(settings: &Settings, data: &Data<X>) -> Result<(), Box<dyn Error>> {
    let n = data.train.len();
    if n == 0 {
        return Err(format!("{}: no images to train on", data.train_images.display()).into());
    }
    if settings.batch > n {
        return Err(Usage(format!(
            "--batch {}: larger than the training set ({n} images in {})",
            settings.batch,
            data.train_images.display()
        ))
        .into());
    }
    if let Stop::Epochs(epochs) = settings.stop {
        let per_epoch = match settings.sampling {
            Sampling::WithReplacement => (n / settings.batch).max(1),
            Sampling::Shuffled => n.div_ceil(settings.batch),
        };
        if epochs.checked_mul(per_epoch).is_none_or(|steps| steps > MAX_STEPS) {
            return Err(Usage(format!(
                "--epochs {epochs}: {epochs} epochs of {per_epoch} steps are more than {MAX_STEPS} steps \
                 (every step's loss is kept in memory)"
            ))
            .into());
        }
    }
    Ok(())
}

/// "1 step", "2 steps".
fn steps(n: usize) -> String {
    format!("{n} step{}", if n == 1 { "" } else { "s" })
}

/// A rate as people write it: 0.001, 1e-5, 1e30.
fn rate(lr: f64) -> String {
    if (1e-4..1e5).contains(&lr) {
        format!("{lr}")
    } else {
        format!("{lr:e}")
    }
}

fn percent(x: f64) -> String {
    format!("{:6.2} %", 100.0 * x)
}

/// Trains `net` on `data` as `settings` say, reports as it goes, and
/// writes the outputs: the parameters first, then the history and the
/// chart, each attempted even if one before failed. A run stopped by a
/// non-finite value (or a panicking thread) still writes them, with the
/// parameters of its last good step, and then fails.
pub fn train<X: Row<Scalar = f32>, N: Net<X>>(
    net: &mut N,
    data: &Data<X>,
    settings: &Settings,
) -> Result<(), Box<dyn Error>> {
    check(settings, data)?;
    let test = data.test();
    println!("{}", net.summary());
    let length = match settings.stop {
        Stop::Iterations(n) => steps(n),
        Stop::Epochs(n) => format!("{n} epoch{}", if n == 1 { "" } else { "s" }),
    };
    println!(
        "training on {} images, testing on {}: batches of {}, {} at lr {}, {length}, {} thread(s)",
        data.train.len(),
        data.test.len(),
        settings.batch,
        settings.optimizer.name(),
        rate(settings.optimizer.lr()),
        settings.threads,
    );
    if test.is_none() {
        println!(
            "no test set ({} has no images): only training accuracy is measured",
            data.test_images.display()
        );
    }

    let mut record = Record::default();
    let mut bar = ProgressBar::new(0);
    let started = Instant::now();
    let trainer = Trainer::new(settings.optimizer.clone())
        .batch_size(settings.batch)
        .sampling(settings.sampling)
        .seed(settings.seed)
        .threads(settings.threads);
    let mut trainer = match settings.stop {
        Stop::Iterations(n) => trainer.iterations(n),
        Stop::Epochs(n) => trainer.epochs(n),
    };
    let outcome = trainer.train(net, &data.train, test, |event| match event {
        Event::Step(s) => {
            if s.step == 0 {
                bar = ProgressBar::new(s.total_steps);
            }
            record.losses.push(s.loss);
            bar.update(s.step + 1, &format!("loss {:.4}", s.loss));
        }
        Event::Epoch(e) => {
            bar.clear();
            let test = e
                .test_acc
                .map(|a| format!("  test acc {}", percent(a)))
                .unwrap_or_default();
            println!(
                "epoch {:3}  step {:6}  loss {:.4}  train acc {}{test}",
                e.epoch,
                e.steps,
                e.mean_loss,
                percent(e.train_acc)
            );
            record.epochs.push(e);
        }
    });
    bar.clear();
    let seconds = started.elapsed().as_secs_f64();
    let done = record.losses.len();

    let stopped = match outcome {
        Ok(_) => None,
        Err(
            e @ (TrainError::NonFinite { .. } | TrainError::ThreadPanicked(_) | TrainError::ObserverPanicked { .. }),
        ) => Some(e),
        Err(e) => return Err(e.into()),
    };
    println!(
        "{} in {seconds:.1} s ({:.1} ms a step, evaluation included)",
        steps(done),
        1000.0 * seconds / done.max(1) as f64
    );
    if let Some(e) = &stopped {
        eprintln!("training stopped: {e}");
    } else if let Some(test) = test {
        let last = record.epochs.last().filter(|e| e.steps == done);
        let acc = match last.and_then(|e| e.test_acc) {
            Some(acc) => acc,
            None => accuracy(&*net, test)?,
        };
        println!("final test accuracy: {}", percent(acc).trim_start());
    }

    let mut failures = Vec::new();
    let outputs = &settings.outputs;
    if let Some(path) = &outputs.save {
        match typenet::io::save(&*net, path) {
            Ok(()) if stopped.is_some() => println!(
                "the parameters after the last good step ({} done) saved to {}",
                steps(done),
                path.display()
            ),
            Ok(()) => println!("parameters saved to {}", path.display()),
            Err(e) => failures.push(format!("cannot save the parameters: {e}")),
        }
    }
    if let Some(path) = &outputs.history {
        match record.save_csv(path) {
            Ok(()) => println!("history written to {}", path.display()),
            Err(e) => failures.push(e),
        }
    }
    if let Some(path) = &outputs.chart {
        match chart::training_chart(path, &record) {
            Ok(()) => println!("chart written to {}", path.display()),
            Err(e) => failures.push(e),
        }
    }
    if let Some(e) = stopped {
        failures.insert(0, format!("training stopped after {} good: {e}", steps(done)));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\nerror: ").into())
    }
}
