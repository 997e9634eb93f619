//! Renders a confusion matrix as a PNG with a built-in 5x7 bitmap font, so it needs no
//! system fonts (fontconfig) and renders the same on every machine.

use std::io::Write;

/// An RGB canvas.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![255; width * height * 3],
        }
    }

    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, rgb: [u8; 3]) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                let at = (yy * self.width + xx) * 3;
                self.pixels[at..at + 3].copy_from_slice(&rgb);
            }
        }
    }

    /// Draws text (upper-cased) with the bitmap font at `scale` pixels per dot.
    fn text(&mut self, x: usize, y: usize, text: &str, scale: usize, rgb: [u8; 3]) {
        for (n, c) in text.chars().enumerate() {
            let rows = glyph(c);
            let gx = x + n * 6 * scale;
            for (row, bits) in rows.iter().enumerate() {
                for col in 0..5 {
                    if bits & (0b10000 >> col) != 0 {
                        self.rect(gx + col * scale, y + row * scale, scale, scale, rgb);
                    }
                }
            }
        }
    }
}

/// Width in pixels of `text` drawn at `scale`.
fn text_width(text: &str, scale: usize) -> usize {
    text.chars().count() * 6 * scale
}

/// Renders `matrix[expected][predicted]` with `labels` as a PNG image.
pub fn confusion_png(
    labels: &[String],
    matrix: &[Vec<u32>],
    out: impl Write,
) -> anyhow::Result<()> {
    let n = labels.len();
    let scale = 2;
    let cell = 64;
    let row_label_w = labels
        .iter()
        .enumerate()
        .map(|(i, l)| text_width(&format!("{} {l}", i + 1), scale))
        .max()
        .unwrap_or(0)
        + 20;
    let top = 80;
    let left = row_label_w;
    let width =
        (left + n * cell + 20).max(text_width("ROWS: EXPECTED  COLUMNS: PREDICTED", scale) + 20);
    let height = top + n * cell + 20;
    let mut canvas = Canvas::new(width, height);
    canvas.text(10, 10, "CONFUSION MATRIX", 3, [0, 0, 0]);
    canvas.text(
        10,
        40,
        "ROWS: EXPECTED  COLUMNS: PREDICTED",
        scale,
        [60, 60, 60],
    );
    for (i, label) in labels.iter().enumerate() {
        let y = top + i * cell + cell / 2 - 7;
        canvas.text(10, y, &format!("{} {label}", i + 1), scale, [0, 0, 0]);
        let num = format!("{}", i + 1);
        let x = left + i * cell + (cell - text_width(&num, scale)) / 2;
        canvas.text(x, top - 18, &num, scale, [0, 0, 0]);
    }
    for (i, row) in matrix.iter().enumerate() {
        let total: u32 = row.iter().sum();
        for (j, &count) in row.iter().enumerate() {
            let share = if total == 0 {
                0.0
            } else {
                f64::from(count) / f64::from(total)
            };
            let shade = |full: f64| (255.0 - (255.0 - full) * share).round() as u8;
            let color = if i == j {
                [shade(30.0), shade(110.0), shade(200.0)]
            } else {
                [shade(210.0), shade(60.0), shade(50.0)]
            };
            let (x, y) = (left + j * cell, top + i * cell);
            canvas.rect(x, y, cell, cell, [200, 200, 200]);
            canvas.rect(x + 1, y + 1, cell - 2, cell - 2, color);
            let text = count.to_string();
            let ink = if share > 0.5 {
                [255, 255, 255]
            } else {
                [0, 0, 0]
            };
            canvas.text(
                x + (cell - text_width(&text, scale)) / 2,
                y + cell / 2 - 7,
                &text,
                scale,
                ink,
            );
        }
    }
    let mut encoder = png::Encoder::new(out, u32::try_from(width)?, u32::try_from(height)?);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&canvas.pixels)?;
    writer.finish()?;
    Ok(())
}

/// Renders a reliability diagram: per confidence bin `(mean confidence, accuracy,
/// count)`, a bar at the bin's accuracy over the diagonal of perfect calibration.
pub fn reliability_png(
    bins: &[(f64, f64, usize)],
    ece: f64,
    out: impl Write,
) -> anyhow::Result<()> {
    let (left, top, side) = (60usize, 80usize, 400usize);
    let mut canvas = Canvas::new(left + side + 30, top + side + 50);
    canvas.text(10, 10, "RELIABILITY DIAGRAM", 3, [0, 0, 0]);
    let subtitle = format!("BARS: ACCURACY PER CONFIDENCE BIN  ECE {ece:.3}");
    canvas.text(10, 44, &subtitle, 2, [60, 60, 60]);
    canvas.rect(left, top, side, side, [235, 235, 235]);
    let n = bins.len().max(1);
    let bar = side / n;
    for (i, &(_, accuracy, count)) in bins.iter().enumerate() {
        let h = (accuracy.clamp(0.0, 1.0) * side as f64).round() as usize;
        let color = if count == 0 {
            [235, 235, 235]
        } else {
            [30, 110, 200]
        };
        canvas.rect(left + i * bar + 1, top + side - h, bar - 2, h, color);
    }
    // The diagonal (perfect calibration), dotted.
    for d in (0..side).step_by(3) {
        canvas.rect(left + d, top + side - d - 1, 2, 2, [210, 60, 50]);
    }
    canvas.text(left - 12, top + side + 10, "0", 2, [0, 0, 0]);
    canvas.text(left + side - 12, top + side + 10, "1", 2, [0, 0, 0]);
    canvas.text(
        left + side / 2 - 60,
        top + side + 30,
        "CONFIDENCE",
        2,
        [0, 0, 0],
    );
    canvas.text(10, top, "1", 2, [0, 0, 0]);
    let mut encoder = png::Encoder::new(
        out,
        u32::try_from(canvas.width)?,
        u32::try_from(canvas.height)?,
    );
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&canvas.pixels)?;
    writer.finish()?;
    Ok(())
}

/// The 5x7 glyph of a character (rows top to bottom, bit 4 = leftmost dot). Letters are
/// drawn upper-case; unknown characters as a hollow box.
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '_' => [0, 0, 0, 0, 0, 0, 0x1F],
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        '-' => [0, 0, 0, 0x1F, 0, 0, 0],
        ':' => [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '/' => [0x01, 0x02, 0x02, 0x04, 0x08, 0x08, 0x10],
        ' ' => [0; 7],
        _ => [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_decodable_png() {
        let labels = vec!["salir".to_owned(), "nlu_fallback".to_owned()];
        let matrix = vec![vec![3, 1], vec![0, 4]];
        let mut bytes = Vec::new();
        confusion_png(&labels, &matrix, &mut bytes).expect("renders");
        let decoder = png::Decoder::new(bytes.as_slice());
        let reader = decoder.read_info().expect("valid png");
        let info = reader.info();
        assert!(info.width > 200 && info.height > 150);
    }
}
