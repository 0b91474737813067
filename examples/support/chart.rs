//! Line charts of a training run, rasterised to RGB and saved as PNG: the
//! loss per step on the left, accuracies per epoch on the right.

use std::path::Path;

#[path = "png.rs"]
mod png;

type Rgb = [u8; 3];

const WHITE: Rgb = [255, 255, 255];
const GRID: Rgb = [225, 225, 225];
const INK: Rgb = [40, 40, 40];
/// Colours of the series, in order.
pub const PALETTE: [Rgb; 3] = [[31, 119, 180], [214, 39, 40], [44, 160, 44]];

/// 3×5 glyphs, one row per byte (bit 2 is the left column).
fn glyph(c: char) -> [u8; 5] {
    match c {
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
        '.' => [0, 0, 0, 0, 2],
        '%' => [5, 1, 2, 4, 5],
        '-' => [0, 0, 7, 0, 0],
        ':' => [0, 2, 0, 2, 0],
        '(' => [1, 2, 2, 2, 1],
        ')' => [4, 2, 2, 2, 4],
        'a' => [0, 6, 3, 5, 7],
        'c' => [0, 7, 4, 4, 7],
        'e' => [7, 5, 7, 4, 7],
        'h' => [4, 4, 7, 5, 5],
        'i' => [2, 0, 2, 2, 2],
        'l' => [6, 2, 2, 2, 7],
        'n' => [0, 6, 5, 5, 5],
        'o' => [0, 7, 5, 5, 7],
        'p' => [7, 5, 7, 4, 4],
        'r' => [0, 7, 4, 4, 4],
        's' => [0, 7, 6, 1, 7],
        't' => [2, 7, 2, 2, 3],
        'u' => [0, 5, 5, 5, 7],
        'y' => [5, 5, 7, 1, 7],
        _ => [0; 5],
    }
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
            for (row, bits) in glyph(ch.to_ascii_lowercase()).iter().enumerate() {
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
    canvas.text(left + w - 80, top + h + 10, &format!("{:.0}", x_max), 2, INK);
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
        canvas.text(left + w - 120, top + 10 + 18 * i as i64, label, 2, colour);
    }
}

/// Draws the panels side by side and writes them to `path` as PNG.
pub fn save(path: &Path, panels: &[Panel<'_>]) -> std::io::Result<()> {
    let mut canvas = Canvas::new(520 * panels.len(), 380);
    for (i, panel) in panels.iter().enumerate() {
        draw_panel(&mut canvas, 60 + 520 * i as i64, panel);
    }
    let bytes = png::encode_rgb(canvas.width as u32, canvas.height as u32, &canvas.rgb)?;
    std::fs::write(path, bytes)
}
