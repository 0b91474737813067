//! What a run records as it goes, and the CSV file it becomes.
//!
//! The file has one header line and two kinds of rows, told apart by the
//! first column, so one file loads into any tool and filters into the two
//! curves:
//!
//! ```text
//! kind,step,epoch,loss,train_acc,test_acc
//! step,1,,2.302585,,
//! step,2,,2.301973,,
//! ...
//! epoch,100,1,0.899312,0.894300,0.894100
//! ```
//!
//! - `step` rows: `step` counts from 1 (the row of step 100 is the 100th
//!   update), `loss` is that step's mini-batch loss (before its update);
//!   the other columns are empty.
//! - `epoch` rows follow the step that ends the epoch: `step` is the steps
//!   done, `epoch` counts from 1, `loss` is the mean mini-batch loss of the
//!   epoch, `train_acc` and `test_acc` are the accuracies (fractions, not
//!   percent) on the whole training and test sets; `test_acc` is empty
//!   when there is no test set.
//!
//! In Python: `d = pandas.read_csv("history.csv"); s = d[d.kind == "step"];
//! e = d[d.kind == "epoch"]`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use typenet::train::EpochStats;

/// Every step's loss and every epoch's figures, as the trainer reported them.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// The loss of each step, in order.
    pub losses: Vec<f64>,
    /// Each epoch's figures, in order.
    pub epochs: Vec<EpochStats>,
}

/// The CSV header line.
pub const HEADER: &str = "kind,step,epoch,loss,train_acc,test_acc";

impl Record {
    /// Writes the record as CSV (the layout in this module's description).
    pub fn write_csv(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{HEADER}")?;
        let mut epochs = self.epochs.iter().peekable();
        for (i, loss) in self.losses.iter().enumerate() {
            let step = i + 1;
            writeln!(out, "step,{step},,{loss:.6},,")?;
            while let Some(e) = epochs.next_if(|e| e.steps == step) {
                write_epoch(out, e)?;
            }
        }
        for e in epochs {
            write_epoch(out, e)?;
        }
        Ok(())
    }

    /// Writes the CSV to `path`; the error names the path.
    pub fn save_csv(&self, path: &Path) -> Result<(), String> {
        let written = super::outputs::refuse_special(path)
            .map_err(io::Error::other)
            .and_then(|()| File::create(path))
            .and_then(|f| {
                let mut out = BufWriter::new(f);
                self.write_csv(&mut out)?;
                out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()
            });
        written.map_err(|e| format!("cannot write the history to {}: {e}", path.display()))
    }
}

fn write_epoch(out: &mut impl Write, e: &EpochStats) -> io::Result<()> {
    let test = e.test_acc.map(|a| format!("{a:.6}")).unwrap_or_default();
    writeln!(
        out,
        "epoch,{},{},{:.6},{:.6},{test}",
        e.steps, e.epoch, e.mean_loss, e.train_acc
    )
}
