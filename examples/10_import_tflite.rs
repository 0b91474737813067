//! Writes the typenet net of a TensorFlow Lite model as Rust source: the
//! net's type, its sizes and typed entry points (`load`, `row`, `scores`,
//! `classify`, `probabilities`), for a program to compile in; with
//! `--baked`, the net with its weights instead, a `static NET` over a
//! weights file written next to the source (`out.bin` for `out.rs`), for
//! a firmware (no file, no heap, no `std`).
//!
//! ```text
//! cargo run --example 10_import_tflite -- model.tflite out.rs
//! cargo run --example 10_import_tflite -- --baked model.tflite out.rs   # out.rs and out.bin
//! cargo run --example 10_import_tflite -- model.tflite                  # prints the source
//! cargo run --example 10_import_tflite                                  # the bundled keyword spotter
//! ```

use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
Writes the typenet net of a TensorFlow Lite model as Rust source.

Usage: cargo run --example 10_import_tflite -- [--baked] [MODEL.tflite [OUT.rs]]

  MODEL.tflite  the model (int8 operators typenet has layers for, or a float
                model of fully connected layers; default: the MLPerf Tiny
                keyword spotter of tests/fixtures/tinyml)
  OUT.rs        where to write the source (default: print it)
  --baked       write the net with its weights: a static NET over the
                weights file OUT.bin, written next to OUT.rs
  -h, --help    print this and exit
";

/// Writes the baked source to `out` and its weights next to it.
fn bake(bytes: &[u8], model: &str, out: &Path) -> Result<(), String> {
    let weights = out.with_extension("bin");
    let name = weights
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the output needs a file name")?;
    let baked = typenet::io::tflite::baked_rust_source(bytes, name).map_err(|e| format!("{model}: {e}"))?;
    std::fs::write(out, &baked.source).map_err(|e| format!("{}: {e}", out.display()))?;
    std::fs::write(&weights, &baked.weights).map_err(|e| format!("{}: {e}", weights.display()))?;
    println!(
        "written: {} ({} lines) and {} ({} bytes)",
        out.display(),
        baked.source.lines().count(),
        weights.display(),
        baked.weights.len()
    );
    Ok(())
}

fn run(mut args: &[String]) -> Result<(), String> {
    let baked = args.first().is_some_and(|a| a == "--baked");
    if baked {
        args = &args[1..];
    }
    let bundled = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tinyml/kws_ref_model.tflite"
    )
    .to_string();
    let (model, out) = match args {
        [] => (&bundled, None),
        [m] => (m, None),
        [m, o] => (m, Some(o)),
        _ => return Err(format!("expected a model and at most one output file\n\n{USAGE}")),
    };
    let bytes = std::fs::read(model).map_err(|e| format!("{model}: {e}"))?;
    match (out, baked) {
        (None, true) => Err(format!("--baked needs a file to write\n\n{USAGE}")),
        (Some(out), true) => bake(&bytes, model, Path::new(out)),
        (out, false) => {
            let source = typenet::io::tflite::rust_source(&bytes).map_err(|e| format!("{model}: {e}"))?;
            match out {
                None => print!("{source}"),
                Some(out) => {
                    std::fs::write(out, &source).map_err(|e| format!("{out}: {e}"))?;
                    println!("written: {out} ({} lines)", source.lines().count());
                }
            }
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
