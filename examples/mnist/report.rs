//! `--evaluate FILE`: a saved net's test accuracy, its confusion matrix,
//! and the digits it confuses most.

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use typenet::train::predictions;

use super::data::Data;
use super::nets::Net;

/// Loads the parameters in `model` into `net` and reports on the test set.
pub fn evaluate<X: typenet::Row<Scalar = f32>>(
    mut net: impl Net<X>,
    model: &Path,
    data: &Data<X>,
) -> Result<(), Box<dyn Error>> {
    // every tensor's name, type and shape is checked before any is used;
    // the error names the file
    typenet::io::load(&mut net, model)?;
    let test = data
        .test()
        .ok_or_else(|| format!("{}: no test images, so nothing to classify", data.test_images.display()))?;
    let predicted = predictions(&net, test)?;

    let mut confusion = [[0usize; 10]; 10];
    for (i, &p) in predicted.iter().enumerate() {
        confusion[test.labels().get(i)][p] += 1;
    }
    let correct: usize = (0..10).map(|d| confusion[d][d]).sum();
    // the report is written at once, and a closed pipe (`| head`) ends it quietly
    let mut out = String::new();
    writeln!(
        out,
        "{} of {} test images right: accuracy {:.2} %\n",
        correct,
        test.len(),
        100.0 * correct as f64 / test.len() as f64
    )?;
    writeln!(out, "rows: true digit, columns: predicted digit")?;
    write!(out, "      ")?;
    for d in 0..10 {
        write!(out, "{d:>6}")?;
    }
    writeln!(out)?;
    for (d, row) in confusion.iter().enumerate() {
        write!(out, "{d:>6}")?;
        for n in row {
            write!(out, "{n:>6}")?;
        }
        writeln!(out)?;
    }
    let mut mistakes: Vec<(usize, usize, usize)> = (0..10)
        .flat_map(|t| (0..10).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| (confusion[t][p], t, p))
        .collect();
    mistakes.sort_unstable_by(|a, b| b.cmp(a));
    writeln!(out, "\nmost confused:")?;
    for (n, t, p) in mistakes.iter().take(3) {
        writeln!(out, "  {t} read as {p}: {n} times")?;
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(())
}
