//! Command-line flags (`--name value`) and loading the MNIST-style data sets
//! they point at, shared by the MNIST examples.

use std::collections::HashMap;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use typenet::data::{Dataset, MnistFiles, Pixels};

/// The flags that choose the data, described for `--help`.
pub const DATA_USAGE: &str = "  \
  --data DIR            folder with train-/t10k- images and labels, raw or .gz
                        (default: the MNIST copy in this repository)
  --train-images FILE   explicit files instead of --data (any of the four)
  --train-labels FILE
  --test-images FILE
  --test-labels FILE
";

/// Parsed `--name value` pairs.
pub struct Flags(HashMap<String, String>);

impl Flags {
    /// Reads the process arguments; `Err` with the reason (empty for `--help`).
    pub fn from_args(known: &[&str]) -> Result<Flags, String> {
        let mut map = HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Err(String::new());
            }
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {flag:?}"))?;
            if !known.contains(&name) {
                return Err(format!("unknown option {flag}"));
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            map.insert(name.to_string(), value);
        }
        Ok(Flags(map))
    }

    /// The flag's value parsed as `T`, or `default` when absent.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name}: cannot read {v:?}")),
        }
    }

    /// The flag's value as a path, if given.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.0.get(name).map(PathBuf::from)
    }
}

/// Flag names `load` reads.
pub const DATA_FLAGS: [&str; 5] = ["data", "train-images", "train-labels", "test-images", "test-labels"];

/// A training set and a test set.
pub type Split<const W: usize, const N: usize> = (Dataset<[f32; W], N>, Dataset<[f32; W], N>);

/// The training and test sets the flags point at, checked against the
/// types: `W` pixels per image, labels below `N`.
pub fn load<const W: usize, const N: usize>(flags: &Flags) -> Result<Split<W, N>, Box<dyn Error>> {
    let explicit: Vec<_> = DATA_FLAGS[1..].iter().map(|f| flags.path(f)).collect();
    let found = if explicit.iter().all(Option::is_some) {
        None
    } else {
        let dir = flags
            .path("data")
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/mnist"));
        Some(MnistFiles::find(dir)?)
    };
    let file = |k: usize| -> PathBuf {
        explicit[k].clone().unwrap_or_else(|| {
            let f = found
                .as_ref()
                .expect("the folder was searched because a file was not given");
            [&f.train.images, &f.train.labels, &f.test.images, &f.test.labels][k].clone()
        })
    };
    let train = Dataset::load(file(0), file(1), Pixels::Unit)?;
    let test = Dataset::load(file(2), file(3), Pixels::Unit)?;
    Ok((train, test))
}

/// Parses the flags (`known` plus the data flags), runs `run`, and turns the
/// outcome into an exit code: 2 with the usage for bad flags, 1 with the
/// error for a failed run.
pub fn main(known: &[&str], usage: &str, run: impl FnOnce(&Flags) -> Result<(), Box<dyn Error>>) -> ExitCode {
    let known = [&DATA_FLAGS[..], known].concat();
    let outcome = match Flags::from_args(&known) {
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprint!("{usage}{DATA_USAGE}");
            return ExitCode::from(2);
        }
        Ok(flags) => run(&flags),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
