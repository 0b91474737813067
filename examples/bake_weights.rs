//! Trains the small static classifier and writes its parameters as Rust
//! constants, for a program that must carry its model in its binary (a
//! microcontroller has no file system). The `no_std` crate in
//! `tests/no-std` compiles the written file into a `static` net.
//!
//! ```text
//! cargo run --release --example bake_weights            # rewrites tests/no-std/src/model.rs
//! cargo run --release --example bake_weights -- out.rs  # or writes elsewhere
//! ```

#[path = "static_classifier.rs"]
mod static_classifier;

use std::path::PathBuf;

use typenet::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/no-std");
    let source_path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or(crate_dir.join("src/model.rs"));
    let (net, losses) = static_classifier::train(300);
    println!("trained: loss {:.4} → {:.4}", losses[0], losses[2]);
    print!("{}", net.summary());
    println!();

    std::fs::write(&source_path, typenet::io::rust_source(&net)?)?;
    println!("constants written to {}", source_path.display());
    // the same parameters as safetensors, so a test can compare the two
    let weights_path = source_path.with_extension("safetensors");
    typenet::io::save(&net, &weights_path)?;
    println!("parameters written to {}", weights_path.display());
    println!(
        "class of [0.1, 2.3, -0.2, 0.4]: {}",
        net.classify(&[0.1, 2.3, -0.2, 0.4])?
    );
    Ok(())
}
