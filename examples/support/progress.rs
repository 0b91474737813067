//! A one-line progress bar on standard error.

use std::io::Write;
use std::time::Instant;

/// Redraws itself at most every 100 ms.
pub struct ProgressBar {
    total: usize,
    started: Instant,
    drawn: Option<Instant>,
}

impl ProgressBar {
    pub fn new(total: usize) -> Self {
        ProgressBar {
            total,
            started: Instant::now(),
            drawn: None,
        }
    }

    /// Shows `done` of `total` with a note, unless it was drawn very recently.
    pub fn update(&mut self, done: usize, note: &str) {
        let now = Instant::now();
        if done < self.total && self.drawn.is_some_and(|t| now.duration_since(t).as_millis() < 100) {
            return;
        }
        self.drawn = Some(now);
        let width = 30;
        let filled = width * done / self.total.max(1);
        let bar: String = (0..width).map(|i| if i < filled { '=' } else { ' ' }).collect();
        let secs = now.duration_since(self.started).as_secs_f64();
        eprint!("\r[{bar}] {done:>6}/{} {secs:5.1}s {note}", self.total);
        let _ = std::io::stderr().flush();
    }

    /// Clears the line so ordinary output can follow.
    pub fn clear(&self) {
        eprint!("\r{:100}\r", "");
    }
}
