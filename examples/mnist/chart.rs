//! Line charts of a training run, rasterised to RGB and saved as PNG: the
//! loss per step on the left, accuracies per epoch on the right.
//!
//! Written here rather than taken from plotters, which writes a PNG only
//! through a bitmap backend of many crates and a shipped font: the
//! reasons, measured, are in the README ("The hand-written parts,
//! weighed"). This file and `png.rs` need nothing but flate2, which the
//! crate has for gzip anyway, and the 3×5 font covers printable ASCII,
//! which the tests check, so no label ever shows a missing glyph.

use std::path::Path;

use super::png;

type Rgb = [u8; 3];

const WHITE: Rgb = [255, 255, 255];
const GRID: Rgb = [225, 225, 225];
const INK: Rgb = [40, 40, 40];
/// Colours of the series, in order.
pub const PALETTE: [Rgb; 3] = [[31, 119, 180], [214, 39, 40], [44, 160, 44]];

/// The glyph drawn for a character the font lacks: a solid block, so a
/// gap in the font shows instead of vanishing (the tests check that every
/// printable ASCII character has a glyph of its own).
pub const MISSING: [u8; 5] = [7, 7, 7, 7, 7];

/// The 3×5 glyph of `c`, one row per byte (bit 2 is the left column), for
/// every printable ASCII character (letters in one case) and the few
/// non-ASCII signs the examples print; `None` for anything else.
pub fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c.to_ascii_lowercase() {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 2, 2],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        'a' => [0, 6, 3, 5, 7],
        'b' => [4, 4, 6, 5, 6],
        'c' => [0, 7, 4, 4, 7],
        'd' => [1, 1, 3, 5, 3],
        'e' => [0, 6, 7, 4, 3],
        'f' => [3, 4, 6, 4, 4],
        'g' => [0, 3, 5, 3, 6],
        'h' => [4, 4, 7, 5, 5],
        'i' => [2, 0, 2, 2, 2],
        'j' => [1, 0, 1, 1, 6],
        'k' => [4, 5, 6, 5, 5],
        'l' => [6, 2, 2, 2, 7],
        'm' => [0, 6, 7, 5, 5],
        'n' => [0, 6, 5, 5, 5],
        'o' => [0, 7, 5, 5, 7],
        'p' => [0, 6, 5, 6, 4],
        'q' => [0, 7, 5, 7, 1],
        'r' => [0, 7, 4, 4, 4],
        's' => [0, 7, 6, 1, 7],
        't' => [2, 7, 2, 2, 3],
        'u' => [0, 5, 5, 5, 7],
        'v' => [0, 5, 5, 5, 2],
        'w' => [0, 5, 5, 7, 7],
        'x' => [0, 0, 5, 2, 5],
        'y' => [0, 5, 5, 3, 6],
        'z' => [7, 1, 2, 4, 7],
        ' ' => [0, 0, 0, 0, 0],
        '.' => [0, 0, 0, 0, 2],
        ',' => [0, 0, 0, 2, 4],
        ':' => [0, 2, 0, 2, 0],
        ';' => [0, 2, 0, 2, 4],
        '!' => [2, 2, 2, 0, 2],
        '?' => [7, 1, 2, 0, 2],
        '\'' => [2, 2, 0, 0, 0],
        '"' => [5, 5, 0, 0, 0],
        '`' => [4, 2, 0, 0, 0],
        '%' => [5, 1, 2, 4, 5],
        '-' | '\u{2212}' => [0, 0, 7, 0, 0],
        '+' => [0, 2, 7, 2, 0],
        '=' => [0, 7, 0, 7, 0],
        '*' => [5, 2, 7, 2, 5],
        '×' => [0, 5, 2, 5, 0],
        '·' => [0, 0, 2, 0, 0],
        '/' => [1, 1, 2, 4, 4],
        '\\' => [4, 4, 2, 1, 1],
        '|' => [2, 2, 2, 2, 2],
        '_' => [0, 0, 0, 0, 7],
        '(' => [1, 2, 2, 2, 1],
        ')' => [4, 2, 2, 2, 4],
        '[' => [6, 4, 4, 4, 6],
        ']' => [3, 1, 1, 1, 3],
        '{' => [3, 2, 6, 2, 3],
        '}' => [6, 2, 3, 2, 6],
        '<' => [1, 2, 4, 2, 1],
        '>' => [4, 2, 1, 2, 4],
        '#' => [5, 7, 5, 7, 5],
        '$' => [3, 6, 2, 3, 6],
        '&' => [2, 5, 2, 5, 3],
        '@' => [2, 5, 7, 4, 3],
        '^' => [2, 5, 0, 0, 0],
        '~' => [0, 0, 3, 6, 0],
        _ => return None,
    })
}

struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Canvas {
            width,
            height,
            rgb: WHITE.repeat(width * height),
        }
    }

    fn put(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&c);
        }
    }

    fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: Rgb, thick: i64) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as usize;
        for s in 0..=steps {
            let f = s as f64 / steps as f64;
            let (x, y) = ((x0 + (x1 - x0) * f).round() as i64, (y0 + (y1 - y0) * f).round() as i64);
            for dx in 0..thick {
                for dy in 0..thick {
                    self.put(x + dx, y + dy, c);
                }
            }
        }
    }

    /// Text at (x, y), scaled `scale` times, left to right.
    fn text(&mut self, x: i64, y: i64, s: &str, scale: i64, c: Rgb) {
        for (k, ch) in s.chars().enumerate() {
            for (row, bits) in glyph(ch).unwrap_or(MISSING).iter().enumerate() {
                for col in 0..3 {
                    if bits & (4 >> col) != 0 {
                        for dx in 0..scale {
                            for dy in 0..scale {
                                self.put(x + (k as i64 * 4 + col) * scale + dx, y + row as i64 * scale + dy, c);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One panel: a title, a y range, and series of (x, y) points.
pub struct Panel<'a> {
    /// Shown above the panel.
    pub title: &'a str,
    /// Label under the x axis.
    pub x_label: &'a str,
    /// The y axis range.
    pub y_range: (f64, f64),
    /// Each series: its label and its points.
    pub series: Vec<(&'a str, Vec<(f64, f64)>)>,
    /// The legend goes bottom right (for rising curves), else top right.
    pub legend_below: bool,
}

fn draw_panel(canvas: &mut Canvas, left: i64, panel: &Panel<'_>) {
    let (top, w, h) = (40i64, 440i64, 300i64);
    let (y0, y1) = panel.y_range;
    let x_max = panel
        .series
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let px = |x: f64| left as f64 + x / x_max * w as f64;
    let py = |y: f64| (top + h) as f64 - (y.clamp(y0, y1) - y0) / (y1 - y0) * h as f64;

    for k in 0..=4 {
        let y = y0 + (y1 - y0) * k as f64 / 4.0;
        canvas.line((px(0.0), py(y)), (px(x_max), py(y)), GRID, 1);
        canvas.text(left - 44, py(y) as i64 - 5, &format!("{y:.2}"), 2, INK);
    }
    canvas.line((px(0.0), py(y0)), (px(x_max), py(y0)), INK, 2);
    canvas.line((px(0.0), py(y0)), (px(0.0), py(y1)), INK, 2);
    canvas.text(left, 12, panel.title, 3, INK);
    canvas.text(left - 4, top + h + 10, "0", 2, INK);
    let x_end = format!("{x_max:.0}");
    canvas.text(left + w - 8 * x_end.len() as i64, top + h + 10, &x_end, 2, INK);
    canvas.text(left + w / 2 - 20, top + h + 10, panel.x_label, 2, INK);

    for (i, (label, points)) in panel.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        for pair in points.windows(2) {
            canvas.line(
                (px(pair[0].0), py(pair[0].1)),
                (px(pair[1].0), py(pair[1].1)),
                colour,
                2,
            );
        }
        // a few points (epochs) get a mark each, so a single one shows
        if points.len() <= 30 {
            for &(x, y) in points {
                let (cx, cy) = (px(x).round() as i64, py(y).round() as i64);
                canvas.line(
                    ((cx - 2) as f64, (cy - 1) as f64),
                    ((cx + 1) as f64, (cy - 1) as f64),
                    colour,
                    3,
                );
            }
        }
        let row = if panel.legend_below {
            top + h - 24 - 18 * (panel.series.len() - 1 - i) as i64
        } else {
            top + 10 + 18 * i as i64
        };
        canvas.text(left + w - 120, row, label, 2, colour);
    }
}

/// Draws the panels side by side and writes them to `path` as PNG.
pub fn save(path: &Path, panels: &[Panel<'_>]) -> std::io::Result<()> {
    let mut canvas = Canvas::new(520 * panels.len(), 380);
    for (i, panel) in panels.iter().enumerate() {
        draw_panel(&mut canvas, 60 + 520 * i as i64, panel);
    }
    let bytes = png::encode_rgb(canvas.width as u32, canvas.height as u32, &canvas.rgb)?;
    // a FIFO put there since the check before training would wait for a reader
    super::outputs::refuse_special(path).map_err(std::io::Error::other)?;
    std::fs::write(path, bytes)
}

/// The chart of a run: the loss (averaged over windows of 50 steps, to
/// show the trend) and the per-epoch accuracies, written to `path`; the
/// error names the path.
pub fn training_chart(path: &Path, record: &super::history::Record) -> Result<(), String> {
    let window = 50;
    let loss: Vec<(f64, f64)> = record
        .losses
        .chunks(window)
        .enumerate()
        .map(|(i, c)| ((i * window + c.len()) as f64, c.iter().sum::<f64>() / c.len() as f64))
        .collect();
    // the axes' four steps fall on round numbers: 0.1s for the loss,
    // 0.01s for the accuracy
    let top = (loss.iter().map(|p| p.1).fold(0.4, f64::max).min(3.2) / 0.4).ceil() * 0.4;
    let epochs = |acc: &dyn Fn(&typenet::train::EpochStats) -> Option<f64>| -> Vec<(f64, f64)> {
        record
            .epochs
            .iter()
            .filter_map(|e| Some((e.epoch as f64, acc(e)?)))
            .collect()
    };
    let train = epochs(&|e| Some(e.train_acc));
    let test = epochs(&|e| e.test_acc);
    let low = train.iter().chain(&test).map(|p| p.1).fold(1.0, f64::min);
    let mut series = vec![("train", train)];
    if !test.is_empty() {
        series.push(("test", test));
    }
    save(
        path,
        &[
            Panel {
                title: "loss",
                x_label: "step",
                y_range: (0.0, top),
                series: vec![("mean of 50", loss)],
                legend_below: false,
            },
            Panel {
                title: "accuracy",
                x_label: "epoch",
                y_range: ((((low - 0.01) / 0.04).floor() * 0.04).clamp(0.0, 0.96), 1.0),
                series,
                legend_below: true,
            },
        ],
    )
    .map_err(|e| format!("cannot write the chart to {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printable_ascii_character_has_a_glyph() {
        for c in ' '..='~' {
            let g = glyph(c).unwrap_or_else(|| panic!("no glyph for {c:?}"));
            assert!(c == ' ' || g != [0; 5], "{c:?} draws nothing");
        }
        for c in ['×', '·', '−'] {
            assert!(glyph(c).is_some(), "no glyph for {c:?}");
        }
    }

    #[test]
    fn no_two_characters_look_the_same() {
        let mut seen = std::collections::HashMap::new();
        for c in (' '..='~').filter(|c| !c.is_ascii_uppercase()) {
            if let Some(other) = seen.insert(glyph(c), c) {
                panic!("{c:?} and {other:?} have the same glyph");
            }
        }
    }
}
