//! What the MNIST examples share: flags, data loading, checked output
//! paths, the training run with its progress bar, history file and chart,
//! and the nets themselves (so `classify` can rebuild any of them).
//!
//! Each example includes the whole folder with
//! `#[path = "support/mod.rs"] mod support;` and uses part of it, hence
//! the `dead_code` allowance; `tests/examples.rs` includes it too and tests
//! it directly.
#![allow(dead_code)]

pub mod chart;
pub mod cli;
pub mod data;
pub mod history;
pub mod nets;
pub mod outputs;
pub mod png;
pub mod progress;
pub mod run;
