//! A one-line progress bar on standard error, drawn only when standard
//! error is a terminal (a log file gets no carriage returns).
//!
//! Written here rather than taken from indicatif (the README says why,
//! "The hand-written parts, weighed"): what the runner needs from a bar is
//! these fifty lines, a redraw at most every 100 ms, nothing when standard
//! error is not a terminal, and a clean line before each epoch's report.

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Redraws itself at most every 100 ms.
pub struct ProgressBar {
    total: usize,
    started: Instant,
    drawn: Option<Instant>,
    shown: bool,
}

impl ProgressBar {
    /// A bar for `total` steps, started now.
    pub fn new(total: usize) -> Self {
        ProgressBar {
            total,
            started: Instant::now(),
            drawn: None,
            shown: std::io::stderr().is_terminal(),
        }
    }

    /// Shows `done` of `total` with a note, unless it was drawn very recently.
    pub fn update(&mut self, done: usize, note: &str) {
        if !self.shown {
            return;
        }
        let now = Instant::now();
        if done < self.total && self.drawn.is_some_and(|t| now.duration_since(t).as_millis() < 100) {
            return;
        }
        self.drawn = Some(now);
        let width = 30u128;
        let filled = (width * done as u128 / self.total.max(1) as u128).min(width) as usize;
        let bar = format!("{}{}", "=".repeat(filled), " ".repeat(width as usize - filled));
        let secs = now.duration_since(self.started).as_secs_f64();
        let line = format!("[{bar}] {done:>6}/{} {secs:6.1}s {note}", self.total);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line:<79}");
        let _ = err.flush();
    }

    /// Clears the line so ordinary output can follow.
    pub fn clear(&mut self) {
        if self.shown && self.drawn.take().is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{:79}\r", "");
            let _ = err.flush();
        }
    }
}
