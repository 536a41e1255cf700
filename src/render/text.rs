//! Text measurement with the same font egui draws labels with (Ubuntu Light).

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef};

/// The label font's bytes (Ubuntu Light, shipped with egui, Ubuntu Font Licence).
pub const LABEL_FONT: &[u8] = epaint_default_fonts::UBUNTU_LIGHT;

fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(LABEL_FONT).ok()).as_ref()
}

/// Width in points of `text` at `font_pts` (an em size, as both egui 0.37 and SVG use it):
/// the sum of glyph advances and kerning.
pub fn text_width_pts(text: &str, font_pts: f32) -> f32 {
    let Some(font) = font() else {
        return text.chars().count() as f32 * font_pts * 0.55;
    };
    let units_per_em = font.units_per_em().unwrap_or(1000.0);
    let mut width_units = 0.0;
    let mut prev = None;
    for ch in text.chars() {
        let id = font.glyph_id(ch);
        if let Some(p) = prev {
            width_units += font.kern_unscaled(p, id);
        }
        width_units += font.h_advance_unscaled(id);
        prev = Some(id);
    }
    width_units * font_pts / units_per_em
}

/// Splits text into lines no wider than `width_pts` at `font_pts` (paragraphs kept).
pub fn wrap(text: &str, font_pts: f32, width_pts: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if !line.is_empty() && text_width_pts(&candidate, font_pts) > width_pts {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word() {
        let text = "Tajik border units reinforced the Panj crossings after the early-May rocket fire.\nSecond line.";
        let lines = wrap(text, 10.0, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| text_width_pts(l, 10.0) <= 120.0 || !l.contains(' ')), "{lines:?}");
        assert_eq!(lines.join(" ").split_whitespace().count(), text.split_whitespace().count());
    }

    #[test]
    fn longer_text_is_wider_and_scales_with_size() {
        let a = text_width_pts("Khorog", 12.0);
        let b = text_width_pts("Khorog (GBAO)", 12.0);
        assert!(a > 20.0 && b > a, "{a} {b}");
        let c = text_width_pts("Khorog", 24.0);
        assert!((c / a - 2.0).abs() < 0.05, "{a} {c}");
    }
}
