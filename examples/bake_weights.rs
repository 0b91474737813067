//! Trains two small nets and writes their tensors as Rust constants, for a
//! program that must carry its model in its binary (a microcontroller has
//! no file system). The `no_std` crate in `tests/no-std` compiles the
//! written files into `static` nets:
//!
//! - `model.rs`: the 4→16→3 classifier of `07_static_no_heap`, which
//!   compiles the written file back in;
//! - `digits.rs`: a digit reader, conv 4 filters 5×5 → ReLU → 2×2 max pool
//!   → Affine 576→10, trained on the vendored MNIST (Adam, 2,000 steps).
//!
//! ```text
//! cargo run --release --example bake_weights            # rewrites tests/no-std/src/{model,digits}.rs
//! cargo run --release --example bake_weights -- DIR     # or writes into DIR
//! ```

#[allow(dead_code)] // only `train` is used here
#[path = "07_static_no_heap.rs"]
mod static_no_heap;

use std::path::{Path, PathBuf};

use rand::{SeedableRng, rngs::StdRng};
use typenet::data::{Dataset, MnistFiles, Pixels};
use typenet::prelude::*;
use typenet::train::{Trainer, accuracy};

/// Writes `net` as Rust source to `dir/name.rs` and as safetensors to
/// `dir/name.safetensors` (so a test can compare the two).
fn bake<L: Tensors>(net: &L, dir: &Path, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let source = dir.join(format!("{name}.rs"));
    std::fs::write(&source, typenet::io::rust_source(net)?).map_err(|e| format!("{}: {e}", source.display()))?;
    let weights = dir.join(format!("{name}.safetensors"));
    typenet::io::save(net, &weights)?;
    println!("written: {} and {}", source.display(), weights.display());
    Ok(())
}

const USAGE: &str = "\
Trains two small nets and writes each as Rust source (NAME.rs) and as
safetensors (NAME.safetensors): model (the 4→16→3 classifier) and digits
(a convolutional digit reader trained on the bundled MNIST).

Usage: cargo run --release --example bake_weights -- [DIR]

  DIR          the folder to write into (default: tests/no-std/src)
  -h, --help   print this and exit
";

/// The folder to write into, from the command line; `None` after `--help`.
fn folder() -> Result<Option<PathBuf>, String> {
    let mut args = std::env::args_os().skip(1);
    let dir = match args.next() {
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/no-std/src"),
        Some(arg) if arg == "--help" || arg == "-h" => {
            print!("{USAGE}");
            return Ok(None);
        }
        Some(arg) if arg.to_string_lossy().starts_with('-') => {
            return Err(format!("unknown option {}\n\n{USAGE}", arg.to_string_lossy()));
        }
        Some(arg) => PathBuf::from(arg),
    };
    if let Some(extra) = args.next() {
        return Err(format!("unexpected argument {}\n\n{USAGE}", extra.to_string_lossy()));
    }
    // checked before anything is trained
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()));
    }
    Ok(Some(dir))
}

fn main() -> std::process::ExitCode {
    match folder() {
        Ok(None) => std::process::ExitCode::SUCCESS,
        Ok(Some(dir)) => match bake_both(&dir) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn bake_both(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let (net, losses) = static_no_heap::train(300);
    println!("classifier trained: loss {:.4} → {:.4}", losses[0], losses[2]);
    println!("{}\n", net.summary());
    bake(&net, dir, "model")?;

    let files = MnistFiles::find(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist"))?;
    let train = Dataset::<Image<f32, 1, 28, 28>, 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
    let test = Dataset::<Image<f32, 1, 28, 28>, 10>::load(&files.test.images, &files.test.labels, Pixels::Unit)?;
    let mut rng = StdRng::seed_from_u64(42);
    let mut digits = Input::<Image<f32, 1, 28, 28>>::new()
        .then(Conv2d::<f32, 1, 4, 5>::init(Init::He, &mut rng))
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 10>::init(Init::He, &mut rng))
        .then(SoftmaxWithLoss);
    Trainer::new(typenet::Adam::new(0.001, 0.9, 0.999))
        .iterations(2000)
        .seed(1)
        .train(&mut digits, &train, None, |_| {})?;
    println!(
        "\ndigit reader trained: test accuracy {:.2} %",
        100.0 * accuracy(&digits, &test)?
    );
    println!("{}\n", digits.summary());
    bake(&digits, dir, "digits")
}
