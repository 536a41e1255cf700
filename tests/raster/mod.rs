//! Decoded PNG output for tests that look at rendered pixels (kept out of the library: the app
//! never decodes its own images).

use frontier_atlas::render::Color;

/// A decoded image.
#[derive(Debug, Clone)]
pub struct Raster {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    pixels: Vec<Color>,
}

impl Raster {
    /// Decodes PNG bytes (straight, not premultiplied, colours).
    pub fn decode_png(png: &[u8]) -> Option<Self> {
        let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).ok()?;
        let pixels = pixmap
            .pixels()
            .iter()
            .map(|p| {
                let c = p.demultiply();
                Color([c.red(), c.green(), c.blue(), c.alpha()])
            })
            .collect();
        Some(Self { width: pixmap.width(), height: pixmap.height(), pixels })
    }

    /// The colour at `(x, y)`, `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Color> {
        if x >= self.width || y >= self.height {
            return None;
        }
        self.pixels.get((y as usize) * (self.width as usize) + x as usize).copied()
    }
}
