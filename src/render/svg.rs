//! Writes a [`Scene`] as SVG, and SVG as PNG (resvg) — the headless half of the renderer.
//!
//! The SVG carries the map and the briefing furniture: title, date range, legend, scale bar,
//! north arrow and attribution. Text uses the same Ubuntu Light font as the app, embedded in
//! resvg's font database, so output does not depend on the fonts of the machine.

use std::fmt::Write as _;
use std::sync::Arc;

use super::{Color, Item, LegendSwatch, MarkerShape, Scene};

/// Text and furniture around the map.
#[derive(Debug, Clone, Default)]
pub struct Furniture {
    /// Title at the top left, if any.
    pub title: Option<String>,
    /// Date range line under the title, if any.
    pub date_range: Option<String>,
    /// The legend box and the corner it goes in (`None`: no legend).
    pub legend: Option<super::LegendCorner>,
}

/// Why a PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// The SVG did not parse (a bug in the writer).
    #[error("internal SVG error: {0}")]
    Svg(String),
    /// The pixmap could not be allocated (size zero or too large).
    #[error("cannot make a {width}×{height} pixel image")]
    Size {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
    /// PDF conversion failed.
    #[error("PDF conversion failed: {0}")]
    Pdf(String),
}

const FONT_FAMILY: &str = "Ubuntu";

/// The scene as an SVG document of `scene.size_pts` user units.
pub fn scene_to_svg(scene: &Scene, furniture: &Furniture) -> String {
    let [w, h] = scene.size_pts;
    let mut s = String::with_capacity(64 * 1024);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="{}"/>"#, scene.background.css_rgb());
    for item in &scene.items {
        write_item(&mut s, item);
    }
    for label in &scene.labels {
        let style = if label.italic { r#" font-style="italic""# } else { "" };
        let baseline = label.pos[1] + label.font_pts * 0.95;
        let text = crate::io::xml::escape(&label.text);
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{baseline:.1}" font-size="{:.1}"{style} fill="{}" stroke="{}" stroke-opacity="{:.2}" stroke-width="3" stroke-linejoin="round" paint-order="stroke">{text}</text>"#,
            label.pos[0],
            label.font_pts,
            label.color.css_rgb(),
            label.halo.css_rgb(),
            label.halo.opacity(),
        );
    }
    write_furniture(&mut s, scene, furniture);
    s.push_str("</svg>\n");
    s
}

fn points_attr(points: &[[f32; 2]]) -> String {
    let mut out = String::with_capacity(points.len() * 14);
    for p in points {
        let _ = write!(out, "{:.1},{:.1} ", p[0], p[1]);
    }
    out
}

fn write_item(s: &mut String, item: &Item) {
    match item {
        Item::Fill { rings, color, .. } => {
            let mut d = String::new();
            for ring in rings {
                if let [[x0, y0], rest @ ..] = ring.as_slice() {
                    let _ = write!(d, "M{x0:.1},{y0:.1}");
                    for p in rest {
                        let _ = write!(d, "L{:.1},{:.1}", p[0], p[1]);
                    }
                    d.push('Z');
                }
            }
            let _ = writeln!(
                s,
                r#"<path d="{d}" fill="{}" fill-opacity="{:.3}" fill-rule="evenodd"/>"#,
                color.css_rgb(),
                color.opacity()
            );
        }
        Item::Stroke { points, width, color, dash } => {
            if points.len() < 2 {
                return;
            }
            let dash = dash.map(|[a, b]| format!(r#" stroke-dasharray="{a} {b}""#)).unwrap_or_default();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-opacity="{:.3}" stroke-width="{width}" stroke-linejoin="round" stroke-linecap="round"{dash}/>"#,
                points_attr(points),
                color.css_rgb(),
                color.opacity()
            );
        }
        Item::Marker { center, radius, shape, fill, stroke, stroke_width } => {
            let paint = format!(
                r#"fill="{}" fill-opacity="{:.3}" stroke="{}" stroke-opacity="{:.3}" stroke-width="{stroke_width}""#,
                fill.css_rgb(),
                fill.opacity(),
                stroke.css_rgb(),
                stroke.opacity()
            );
            write_marker(s, *center, *radius, *shape, &paint);
        }
        Item::Text { center, text, font_pts, color } => {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" font-size="{font_pts}" text-anchor="middle" fill="{}">{}</text>"#,
                center[0],
                center[1] + font_pts * 0.35,
                color.css_rgb(),
                crate::io::xml::escape(text)
            );
        }
    }
}

fn write_marker(s: &mut String, [x, y]: [f32; 2], r: f32, shape: MarkerShape, paint: &str) {
    match shape {
        MarkerShape::Circle => {
            let _ = writeln!(s, r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" {paint}/>"#);
        }
        MarkerShape::Square => {
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" {paint}/>"#,
                x - r,
                y - r,
                2.0 * r,
                2.0 * r
            );
        }
        MarkerShape::Diamond => {
            let _ = writeln!(
                s,
                r#"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}" {paint}/>"#,
                y - r,
                x + r,
                y + r,
                x - r
            );
        }
    }
}

fn write_furniture(s: &mut String, scene: &Scene, furniture: &Furniture) {
    let [w, h] = scene.size_pts;
    // Points the title block takes at the top left (a legend there goes under it).
    let mut title_h = 0.0;
    // Title block.
    if furniture.title.is_some() || furniture.date_range.is_some() {
        let title = furniture.title.as_deref().unwrap_or_default();
        let range = furniture.date_range.as_deref().unwrap_or_default();
        let box_w = super::text_width_pts(title, 20.0).max(super::text_width_pts(range, 13.0)) + 24.0;
        let box_h = if range.is_empty() || title.is_empty() { 34.0 } else { 54.0 };
        title_h = box_h + 8.0;
        let _ = writeln!(
            s,
            r##"<rect x="10" y="10" width="{box_w:.1}" height="{box_h}" rx="4" fill="#ffffff" fill-opacity="0.88" stroke="#888888" stroke-width="0.6"/>"##
        );
        let mut y = 34.0;
        if !title.is_empty() {
            let _ = writeln!(
                s,
                r##"<text x="22" y="{y}" font-size="20" fill="#1a1a1a">{}</text>"##,
                crate::io::xml::escape(title)
            );
            y += 20.0;
        }
        if !range.is_empty() {
            let _ = writeln!(
                s,
                r##"<text x="22" y="{y}" font-size="13" fill="#333333">{}</text>"##,
                crate::io::xml::escape(range)
            );
        }
    }
    // Legend.
    if let Some(corner) = furniture.legend
        && !scene.legend.is_empty()
    {
        let row_h = 18.0_f32;
        // Classes take a row for their label and one for their cells and ranges.
        let height = |e: &super::LegendEntry| match e.swatch {
            LegendSwatch::Classes(_) => row_h + 24.0,
            _ => row_h,
        };
        let width = |e: &super::LegendEntry| {
            let label = super::text_width_pts(&e.label, 12.0);
            match &e.swatch {
                LegendSwatch::Classes(classes) => {
                    label.max(LegendSwatch::class_cell_width(classes, 10.0) * classes.len() as f32) + 22.0
                }
                _ => label + 46.0,
            }
        };
        let legend_w = scene.legend.iter().map(width).fold(106.0_f32, f32::max);
        let legend_h = scene.legend.iter().map(height).sum::<f32>() + 30.0;
        // Clear of the title (top left), and of the scale bar, north arrow and attribution.
        let [x0, y0] = corner.place([w, h], [legend_w, legend_h], title_h, 74.0);
        let _ = writeln!(
            s,
            r##"<rect x="{x0:.1}" y="{y0}" width="{legend_w:.1}" height="{legend_h:.1}" rx="4" fill="#ffffff" fill-opacity="0.9" stroke="#888888" stroke-width="0.6"/>"##
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="13" fill="#1a1a1a">Legend</text>"##,
            x0 + 10.0,
            y0 + 18.0
        );
        let mut cy = y0 + 32.0;
        for entry in &scene.legend {
            let sx = x0 + 18.0;
            let next = cy + height(entry);
            match &entry.swatch {
                LegendSwatch::Classes(classes) => {
                    // The label on the row, the cells under it, each with its range beneath.
                    let x = x0 + 10.0;
                    let _ = writeln!(
                        s,
                        r##"<text x="{x:.1}" y="{:.1}" font-size="12" fill="#1a1a1a">{}</text>"##,
                        cy + 4.0,
                        crate::io::xml::escape(&entry.label)
                    );
                    write_class_cells(s, [x, cy + 9.0], classes, 10.0);
                    cy = next;
                    continue;
                }
                LegendSwatch::Area(c) => {
                    let _ = writeln!(
                        s,
                        r##"<rect x="{:.1}" y="{:.1}" width="16" height="11" fill="{}" fill-opacity="{:.2}" stroke="#666666" stroke-width="0.5"/>"##,
                        sx - 8.0,
                        cy - 5.5,
                        c.css_rgb(),
                        c.opacity()
                    );
                }
                LegendSwatch::Line { color, width, dash, band } => {
                    write_line_swatch(s, [sx - 9.0, sx + 9.0], cy, *color, *width, *dash, *band);
                }
                LegendSwatch::Marker(shape, c) => {
                    let paint = format!(r##"fill="{}" stroke="#ffffff" stroke-width="1""##, c.css_rgb());
                    write_marker(s, [sx, cy], 5.0, *shape, &paint);
                }
            }
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#1a1a1a">{}</text>"##,
                sx + 16.0,
                cy + 4.0,
                crate::io::xml::escape(&entry.label)
            );
            cy = next;
        }
    }
    // The attribution, bottom right: on as many lines as a narrow map needs (found by a new
    // user: on a 793-point export its one line began "rth; © GeoNames", the credit to Natural
    // Earth cut off at the left edge). The scale bar and north arrow stand above its lines.
    let attribution = attribution_lines(&scene.attribution, w);
    let raised = ATTRIBUTION_LINE * (attribution.len().max(1) - 1) as f32;
    // Scale bar, bottom left.
    let bar = &scene.scale_bar;
    let (bx, by) = (16.0, h - 34.0 - raised);
    let km =
        if bar.length_km >= 1.0 { format!("{} km", bar.length_km) } else { format!("{} m", bar.length_km * 1000.0) };
    let _ = writeln!(
        s,
        r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="26" fill="#ffffff" fill-opacity="0.8"/>"##,
        bx - 6.0,
        by - 16.0,
        bar.length_pts + 12.0 + super::text_width_pts(&km, 12.0) + 8.0
    );
    let _ = writeln!(
        s,
        r##"<polyline points="{bx},{:.1} {bx},{by} {:.1},{by} {:.1},{:.1}" fill="none" stroke="#222222" stroke-width="2"/>"##,
        by - 6.0,
        bx + bar.length_pts,
        bx + bar.length_pts,
        by - 6.0
    );
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#222222">{km}</text>"##,
        bx + bar.length_pts + 6.0,
        by
    );
    // North arrow, bottom right above the attribution.
    let (nx, ny) = (w - 26.0, h - 60.0 - raised);
    let _ = writeln!(
        s,
        r##"<polygon points="{nx},{:.1} {:.1},{:.1} {nx},{:.1} {:.1},{:.1}" fill="#222222"/>"##,
        ny - 16.0,
        nx + 7.0,
        ny + 6.0,
        ny + 1.0,
        nx - 7.0,
        ny + 6.0
    );
    let _ = writeln!(s, r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#222222">N</text>"##, nx - 4.0, ny - 19.0);
    // Attribution, bottom right, its last line at the bottom.
    let aw = attribution.iter().map(|l| super::text_width_pts(l, 10.0)).fold(0.0, f32::max);
    let _ = writeln!(
        s,
        r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#ffffff" fill-opacity="0.8"/>"##,
        w - aw - 12.0,
        h - 17.0 - raised,
        aw + 12.0,
        16.0 + raised
    );
    for (k, line) in attribution.iter().enumerate() {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#333333">{}</text>"##,
            w - super::text_width_pts(line, 10.0) - 6.0,
            h - 5.0 - raised + ATTRIBUTION_LINE * k as f32,
            crate::io::xml::escape(line)
        );
    }
}

/// Height of a line of the attribution (10-point text), in points.
const ATTRIBUTION_LINE: f32 = 13.0;

/// The attribution of a map `width` points wide, on lines that fit in it, 12 points from
/// either edge.
fn attribution_lines(attribution: &str, width: f32) -> Vec<String> {
    super::wrap(attribution, 10.0, (width - 24.0).max(60.0))
}

/// The cells of a [`LegendSwatch::Classes`] from `top_left`, 10 points high, each with its
/// range beneath at `font_pts` (the map's legend and a deck's both draw them).
pub(super) fn write_class_cells(s: &mut String, top_left: [f32; 2], classes: &[(super::Color, String)], font_pts: f32) {
    let [x0, y0] = top_left;
    let cell = LegendSwatch::class_cell_width(classes, font_pts);
    for (k, (c, range)) in classes.iter().enumerate() {
        let x = x0 + cell * k as f32;
        let _ = writeln!(
            s,
            r#"<rect x="{x:.1}" y="{y0:.1}" width="{cell:.1}" height="10" fill="{}" fill-opacity="{:.2}"/>"#,
            c.css_rgb(),
            c.opacity()
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="{font_pts}" fill="#1a1a1a" text-anchor="middle">{}</text>"##,
            x + cell / 2.0,
            y0 + 11.0 + font_pts,
            crate::io::xml::escape(range)
        );
    }
}

/// A line swatch from `x0` to `x1` at `y`: the band under it, then the line with its dash.
pub(super) fn write_line_swatch(
    s: &mut String,
    [x0, x1]: [f32; 2],
    y: f32,
    color: Color,
    width: f32,
    dash: Option<[f32; 2]>,
    band: Option<(Color, f32)>,
) {
    if let Some((c, w)) = band {
        let _ = writeln!(
            s,
            r#"<line x1="{x0:.1}" y1="{y:.1}" x2="{x1:.1}" y2="{y:.1}" stroke="{}" stroke-opacity="{:.3}" stroke-width="{w}"/>"#,
            c.css_rgb(),
            c.opacity()
        );
    }
    let dash = dash.map(|[a, b]| format!(r#" stroke-dasharray="{a} {b}""#)).unwrap_or_default();
    let _ = writeln!(
        s,
        r#"<line x1="{x0:.1}" y1="{y:.1}" x2="{x1:.1}" y2="{y:.1}" stroke="{}" stroke-width="{width}"{dash}/>"#,
        color.css_rgb()
    );
}

fn fontdb() -> Arc<resvg::usvg::fontdb::Database> {
    let mut db = resvg::usvg::fontdb::Database::new();
    db.load_font_data(super::LABEL_FONT.to_vec());
    db.set_sans_serif_family(FONT_FAMILY);
    Arc::new(db)
}

/// Converts an SVG to a one-page vector PDF (page size = SVG size in points, text embedded
/// as a font subset), with svg2pdf.
pub fn svg_to_pdf(svg: &str) -> Result<Vec<u8>, RasterError> {
    let options = resvg::usvg::Options { fontdb: fontdb(), ..resvg::usvg::Options::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| RasterError::Svg(e.to_string()))?;
    svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), svg2pdf::PageOptions::default())
        .map_err(|e| RasterError::Pdf(e.to_string()))
}

/// Rasterises an SVG to PNG bytes at `scale` pixels per SVG unit.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, RasterError> {
    let options = resvg::usvg::Options { fontdb: fontdb(), ..resvg::usvg::Options::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| RasterError::Svg(e.to_string()))?;
    let size = tree.size();
    let width = (size.width() * scale).ceil() as u32;
    let height = (size.height() * scale).ceil() as u32;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height).ok_or(RasterError::Size { width, height })?;
    let bands = (rayon::current_num_threads() as u32).min(height / BAND_ROWS_MIN).max(1);
    render_in_bands(&tree, scale, &mut pixmap, bands);
    pixmap.encode_png().map_err(|e| RasterError::Encode(e.to_string()))
}

/// Rows a band drawn on its own thread has at least (fewer, and the paths every band walks
/// cost more than the pixels they share out).
const BAND_ROWS_MIN: u32 = 128;

/// Draws `tree` into `pixmap` as horizontal bands, one per core, each on its own thread into
/// its own pixmap shifted up by the band's top, then copied into place. resvg draws with one
/// core; a 1M-event map's hexbins and boundaries took 150 ms of a 1 s open drawn whole. Each
/// pixel is covered by the same paths either way (the scene has no filters, masks or
/// patterns, whose regions a band would cut); anti-aliasing at a band's first row can differ
/// by a shade where an edge enters it.
fn render_in_bands(tree: &resvg::usvg::Tree, scale: f32, pixmap: &mut resvg::tiny_skia::Pixmap, bands: u32) {
    use rayon::prelude::*;
    let (width, height) = (pixmap.width(), pixmap.height());
    let transform = |top: u32| resvg::tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, 0.0, -(top as f32));
    if bands <= 1 {
        resvg::render(tree, transform(0), &mut pixmap.as_mut());
        return;
    }
    let rows = height.div_ceil(bands);
    let row_bytes = width as usize * 4;
    pixmap.data_mut().par_chunks_mut(rows as usize * row_bytes).enumerate().for_each(|(i, out)| {
        let top = i as u32 * rows;
        let band_rows = (out.len() / row_bytes) as u32;
        if let Some(mut band) = resvg::tiny_skia::Pixmap::new(width, band_rows) {
            resvg::render(tree, transform(top), &mut band.as_mut());
            out.copy_from_slice(band.data());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by a new user: File → Export view of a 793-point-wide map began its credit line
    /// "rth; © GeoNames", Natural Earth cut off at the left edge. Every line of the attribution
    /// lies inside the picture, all its words are there, and the scale bar stands above it.
    #[test]
    fn the_attribution_of_a_narrow_map_is_written_whole_inside_it() {
        let (catalog, _) = crate::geodata::default_catalog();
        for width in [1600.0_f32, 793.0, 420.0] {
            let viewport = crate::spatial::Viewport::fit_bbox(crate::geodata::HOME_BBOX, [width, 600.0]);
            let scene = super::super::build_scene(&catalog, &viewport, &super::super::SceneOptions::default());
            let svg = scene_to_svg(&scene, &Furniture { title: None, date_range: None, legend: None });
            let lines = attribution_lines(&scene.attribution, width);
            assert_eq!(lines.join(" "), crate::geodata::ATTRIBUTION, "at {width}");
            assert_eq!(lines.len() == 1, width >= 1600.0, "at {width}: {lines:?}");
            for line in &lines {
                let text = crate::io::xml::escape(line);
                let at = svg.find(&format!(">{text}</text>")).unwrap_or_else(|| panic!("{line:?} not written"));
                let tag = &svg[svg[..at].rfind("<text").expect("its tag")..at];
                let x: f32 = tag.split("x=\"").nth(1).and_then(|r| r.split('"').next()).expect("x").parse().expect("x");
                assert!(
                    x >= 0.0 && x + super::super::text_width_pts(line, 10.0) <= width,
                    "at {width}: {line:?} at x {x}"
                );
            }
            // The scale bar's box ends above the attribution's.
            let raised = ATTRIBUTION_LINE * (lines.len() - 1) as f32;
            let bar_bottom = 600.0 - 34.0 - raised + 10.0;
            assert!(bar_bottom <= 600.0 - 17.0 - raised, "at {width}");
        }
    }

    /// Drawn in bands (one per core), the map is the map drawn whole: a pixel differs by a
    /// shade at most where an edge crosses into a band, and by more only on a band's edge rows.
    #[test]
    fn a_map_drawn_in_bands_is_the_map_drawn_whole() {
        let (catalog, _) = crate::geodata::default_catalog();
        let viewport = crate::spatial::Viewport::fit_bbox(crate::geodata::HOME_BBOX, [900.0, 600.0]);
        let scene = super::super::build_scene(&catalog, &viewport, &super::super::SceneOptions::default());
        let svg = scene_to_svg(
            &scene,
            &Furniture {
                title: Some("Bands".into()),
                date_range: None,
                legend: Some(super::super::LegendCorner::TopRight),
            },
        );
        let options = resvg::usvg::Options { fontdb: fontdb(), ..resvg::usvg::Options::default() };
        let tree = resvg::usvg::Tree::from_str(&svg, &options).expect("the scene's SVG reads");
        let draw = |bands| {
            let mut pixmap = resvg::tiny_skia::Pixmap::new(900, 600).expect("pixmap");
            render_in_bands(&tree, 1.0, &mut pixmap, bands);
            pixmap
        };
        let (whole, banded) = (draw(1), draw(3));
        let edges = [200_usize, 400];
        let (mut differ, mut painted) = (0, 0);
        for (i, (a, b)) in whole.pixels().iter().zip(banded.pixels()).enumerate() {
            let row = i / 900;
            painted += usize::from(a.alpha() > 0);
            let d = [
                a.red().abs_diff(b.red()),
                a.green().abs_diff(b.green()),
                a.blue().abs_diff(b.blue()),
                a.alpha().abs_diff(b.alpha()),
            ];
            let d = d.into_iter().max().unwrap_or(0);
            if d > 0 {
                differ += 1;
            }
            assert!(
                d <= 32 || edges.iter().any(|e| row.abs_diff(*e) <= 2),
                "pixel {} of row {row} differs by {d}, away from a band's edge",
                i % 900
            );
        }
        assert_eq!(painted, 900 * 600, "the map covers the picture");
        assert!(differ * 1000 <= 900 * 600, "{differ} pixels differ");
    }
}
