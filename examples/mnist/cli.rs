//! Command-line flags, read with `lexopt`, and the exit codes of the
//! runner and `convnet`: 0 for a run that succeeded and for `--help` (the usage goes to
//! standard output), 2 for flags that cannot be used, 1 for a run that
//! failed.
//!
//! Read with lexopt (a dev-dependency of one crate, no dependencies of its
//! own; why not clap: the README, "The hand-written parts, weighed"),
//! which handles what a hand-written loop over `std::env::args()` got
//! wrong or left out: `--name=value`, paths that are not UTF-8, a value
//! that starts with `-` (`--lr -1` reaches the check that refuses it
//! instead of being taken for a flag).

use std::collections::HashMap;
use std::error::Error;
use std::ffi::OsString;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

/// Flags that cannot be used: the run exits with status 2, before it
/// reads or writes anything large.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage(pub String);

impl Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Usage {}

impl From<String> for Usage {
    fn from(s: String) -> Self {
        Usage(s)
    }
}

/// What the command line asks for.
pub enum Parsed {
    /// `--help` or `-h`: print the usage and stop.
    Help,
    /// A run with these flags.
    Run(Flags),
}

/// Flags given as `--name value` or `--name=value`, each at most once.
#[derive(Debug, Default)]
pub struct Flags(HashMap<&'static str, OsString>);

/// Reads `args` (without the program's name); `known` are the flag names
/// without their dashes.
pub fn parse(known: &[&'static str], args: impl IntoIterator<Item = OsString>) -> Result<Parsed, Usage> {
    use lexopt::Arg::{Long, Short, Value};
    let mut parser = lexopt::Parser::from_args(args);
    let mut flags = HashMap::new();
    while let Some(arg) = parser.next().map_err(|e| Usage(e.to_string()))? {
        match arg {
            Long("help") | Short('h') => return Ok(Parsed::Help),
            Long(name) => {
                let Some(&name) = known.iter().find(|k| **k == name) else {
                    return Err(Usage(format!("unknown option --{name}")));
                };
                let value = parser.value().map_err(|e| Usage(e.to_string()))?;
                if flags.insert(name, value).is_some() {
                    return Err(Usage(format!("--{name} is given twice")));
                }
            }
            Short(c) => return Err(Usage(format!("unknown option -{c}"))),
            Value(v) => return Err(Usage(format!("unexpected argument {:?}", v.to_string_lossy()))),
        }
    }
    Ok(Parsed::Run(Flags(flags)))
}

impl Flags {
    /// Whether the flag was given.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The flag's value as text, if given.
    pub fn text(&self, name: &str) -> Result<Option<String>, Usage> {
        self.0
            .get(name)
            .map(|v| {
                v.to_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Usage(format!("--{name}: {:?} is not valid UTF-8", v.to_string_lossy())))
            })
            .transpose()
    }

    /// The flag's value parsed as `T`, or `default` when absent.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, Usage>
    where
        T::Err: Display,
    {
        match self.text(name)? {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|e| Usage(format!("--{name} {v:?}: {e}"))),
        }
    }

    /// A count: a whole number in `range`, or `default` when absent. `why`
    /// says what the bounds are about, for the error.
    pub fn count(&self, name: &str, default: usize, range: RangeInclusive<usize>, why: &str) -> Result<usize, Usage> {
        let n: usize = self.get(name, default).map_err(|e| {
            if e.0.ends_with("number too large to fit in target type") {
                Usage(format!("{}; choose at most {} ({why})", e.0, range.end()))
            } else {
                e
            }
        })?;
        if range.contains(&n) {
            Ok(n)
        } else if n < *range.start() {
            Err(Usage(format!(
                "--{name} {n}: choose at least {} ({why})",
                range.start()
            )))
        } else {
            Err(Usage(format!("--{name} {n}: choose at most {} ({why})", range.end())))
        }
    }

    /// A positive finite number, or `default` when absent.
    pub fn positive(&self, name: &str, default: f64) -> Result<f64, Usage> {
        let x: f64 = self.get(name, default)?;
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            // as written: `{}` of -1e-300 would be 300 digits
            let given = self.text(name)?.unwrap_or_else(|| x.to_string());
            Err(Usage(format!(
                "--{name} {}: choose a finite number above 0",
                given.trim()
            )))
        }
    }

    /// The flag's value as a path, if given.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.0.get(name).map(PathBuf::from)
    }
}

/// Parses the process's arguments (`known` flags), runs `run`, and turns
/// the outcome into the exit code: `--help` prints `usage` on standard
/// output and exits 0, bad flags (a [`Usage`] error, from parsing or from
/// `run`) exit 2, any other failure exits 1.
pub fn main(known: &[&'static str], usage: &str, run: impl FnOnce(&Flags) -> Result<(), Box<dyn Error>>) -> ExitCode {
    match parse(known, std::env::args_os().skip(1)) {
        Ok(Parsed::Help) => {
            print!("{usage}");
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(&e),
        Ok(Parsed::Run(flags)) => match run(&flags) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => match e.downcast_ref::<Usage>() {
                Some(e) => usage_error(e),
                None => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            },
        },
    }
}

fn usage_error(e: &Usage) -> ExitCode {
    eprintln!("error: {e}\n(--help lists the options)");
    ExitCode::from(2)
}
