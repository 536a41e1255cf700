//! Briefing decks: a project's scenes as pages — one multi-page vector PDF (fonts embedded),
//! or one PNG or SVG per scene.
//!
//! Each page carries the scene's title, its date range in words, the analyst's notes, the map
//! (with its legend of what is visible, scale bar, north arrow and attribution) and a short,
//! deduplicated "Sources" list of the events and aid shown. A page is composed as one SVG;
//! the PDF is built with `pdf-writer`, each page's SVG converted by `svg2pdf` into a form
//! `XObject` placed on its own page.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;

use super::export::ExportError;
use super::svg::{Furniture, RasterError, scene_to_svg, svg_to_png};
use super::{Color, Item, LegendEntry, LegendSwatch, MarkerShape, SceneOptions, build_scene, wrap};
use crate::model::{Catalog, LayerKind, TimeFilter};
use crate::project::ProjectScene;
use crate::spatial::Viewport;

/// Points per millimetre.
const PTS_PER_MM: f32 = 72.0 / 25.4;

/// The map area a scene's zoom is meant for, in points: a page's map frame shows at least the
/// area this frame would show (so a scene saved from the app's map shows the same ground on
/// paper, at a smaller scale when the frame is smaller).
pub const REFERENCE_FRAME_PTS: [f32; 2] = [960.0, 640.0];

/// The most source lines a page lists; the rest are counted.
const MAX_SOURCES: usize = 12;

/// Colour of highlighted features.
const HIGHLIGHT: Color = Color::hex(0xe0115f);

/// A page size in points (width, height).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSize {
    /// Width in points.
    pub width_pts: f32,
    /// Height in points.
    pub height_pts: f32,
}

/// Page orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// Wider than tall.
    #[default]
    Landscape,
    /// Taller than wide.
    Portrait,
}

impl PageSize {
    /// ISO A4, 210 × 297 mm, landscape.
    pub const A4: Self = Self { width_pts: 841.89, height_pts: 595.28 };
    /// US Letter, 11 × 8.5 in, landscape.
    pub const LETTER: Self = Self { width_pts: 792.0, height_pts: 612.0 };

    /// Parses `a4`, `letter`, or a custom `WIDTHxHEIGHT` with a unit `mm`, `in` or `pt`
    /// (default `pt`), e.g. `297x210mm`; named sizes are turned to `orientation`, custom sizes
    /// are taken as given.
    pub fn parse(text: &str, orientation: Orientation) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let named = match lower.as_str() {
            "a4" => Some(Self::A4),
            "letter" => Some(Self::LETTER),
            _ => None,
        };
        if let Some(size) = named {
            return Ok(size.oriented(orientation));
        }
        let (number, unit) = if let Some(n) = lower.strip_suffix("mm") {
            (n, PTS_PER_MM)
        } else if let Some(n) = lower.strip_suffix("in") {
            (n, 72.0)
        } else {
            (lower.strip_suffix("pt").unwrap_or(&lower), 1.0)
        };
        let wrong = || format!("page `{text}`: expected a4, letter or WIDTHxHEIGHT with mm, in or pt (e.g. 297x210mm)");
        let (w, h) = number.split_once('x').ok_or_else(wrong)?;
        let w: f32 = w.trim().parse().map_err(|_e| wrong())?;
        let h: f32 = h.trim().parse().map_err(|_e| wrong())?;
        let (w, h) = (w * unit, h * unit);
        if !(144.0..=5000.0).contains(&w) || !(144.0..=5000.0).contains(&h) {
            return Err(format!("page `{text}`: each side must be between 2 in (144 pt) and 5000 pt"));
        }
        Ok(Self { width_pts: w, height_pts: h })
    }

    /// The size turned to `orientation`.
    #[must_use]
    pub fn oriented(self, orientation: Orientation) -> Self {
        let (long, short) = (self.width_pts.max(self.height_pts), self.width_pts.min(self.height_pts));
        match orientation {
            Orientation::Landscape => Self { width_pts: long, height_pts: short },
            Orientation::Portrait => Self { width_pts: short, height_pts: long },
        }
    }
}

/// One composed page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page as an SVG document of the page size in points.
    pub svg: String,
    /// Problems worth telling (layers of the scene the project does not hold).
    pub problems: Vec<String>,
    /// The source lines printed (for tests and reports).
    pub sources: Vec<String>,
}

/// A date range in words: "1 Jun 2021 – 30 Jun 2022"; `None` reads "All dates".
pub fn range_in_words(range: Option<(NaiveDate, NaiveDate)>) -> String {
    let Some((a, b)) = range else { return "All dates".to_owned() };
    let day = |d: NaiveDate| {
        if d == NaiveDate::MIN || d == NaiveDate::MAX { "…".to_owned() } else { d.format("%-d %b %Y").to_string() }
    };
    if a == b { day(a) } else { format!("{} – {}", day(a), day(b)) }
}

/// A range in words with the zone timestamps were read in, as every export prints it:
/// "1 Jun 2021 – 30 Jun 2022 · times in Asia/Dushanbe (UTC+05:00)". The zone's offset is the
/// one in force on the range's first real day.
pub fn range_stated(range: Option<(NaiveDate, NaiveDate)>) -> String {
    let on = range
        .into_iter()
        .flat_map(|(a, b)| [a, b])
        .find(|d| *d != NaiveDate::MIN && *d != NaiveDate::MAX)
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    crate::time::zone::stated(&range_in_words(range), on)
}

/// Composes the page of one scene over `catalog` (the project's layers; not changed).
pub fn compose_page(catalog: &Catalog, scene: &ProjectScene, page: PageSize) -> Page {
    let mut catalog = catalog.clone();
    let missing = scene.apply_layers(&mut catalog);
    let problems = missing
        .into_iter()
        .map(|m| format!("scene “{}”: layer {m} is not in the project; left out", scene.title))
        .collect();
    let layout = Layout::of(page);
    let frame = [layout.map[2], layout.map[3]];
    let fit = (frame[0] / REFERENCE_FRAME_PTS[0]).min(frame[1] / REFERENCE_FRAME_PTS[1]);
    let zoom = scene.zoom + f64::from(fit).log2();
    let viewport = Viewport::centered(scene.center_lon, scene.center_lat, zoom, frame);
    let filter = TimeFilter::new(&catalog, scene.time_range());
    let options = SceneOptions { filter: Some(&filter), ..SceneOptions::default() };
    let mut map = build_scene(&catalog, &viewport, &options);
    highlight(&mut map.items, &catalog, &filter, &viewport, &scene.highlight);
    let sources = sources_shown(&catalog, &filter, &viewport);
    // Legend and attribution go beside and under the map, where they cover nothing.
    let legend = std::mem::take(&mut map.legend);
    let attribution = std::mem::take(&mut map.attribution);
    let furniture = Furniture { title: None, date_range: None, legend: None };
    let map_svg = scene_to_svg(&map, &furniture);
    let svg = page_svg(
        page,
        &layout,
        scene,
        &map_svg,
        &PageText { legend: &legend, sources: &sources, attribution: &attribution },
    );
    Page { svg, problems, sources }
}

/// The text and legend around the map.
struct PageText<'a> {
    legend: &'a [LegendEntry],
    sources: &'a [String],
    attribution: &'a str,
}

/// Height kept under the map for the attribution, in points.
const ATTRIBUTION_PTS: f32 = 20.0;

/// Where things go on a page, in points: `[x, y, width, height]`.
struct Layout {
    margin: f32,
    map: [f32; 4],
    text: [f32; 4],
}

impl Layout {
    fn of(page: PageSize) -> Self {
        let (w, h) = (page.width_pts, page.height_pts);
        let margin = (w.min(h) * 0.045).clamp(14.0, 40.0);
        let top = margin + 46.0;
        if w >= h {
            let text_w = (w * 0.3).max(150.0);
            let map_w = w - 3.0 * margin - text_w;
            Self {
                margin,
                map: [margin, top, map_w, h - top - margin - ATTRIBUTION_PTS],
                text: [2.0 * margin + map_w, top, text_w, h - top - margin],
            }
        } else {
            let text_h = (h * 0.34).max(150.0);
            let map_h = h - top - 2.0 * margin - text_h - ATTRIBUTION_PTS;
            Self {
                margin,
                map: [margin, top, w - 2.0 * margin, map_h],
                text: [margin, top + map_h + margin + ATTRIBUTION_PTS, w - 2.0 * margin, text_h],
            }
        }
    }
}

/// Draws highlighted features (by id) as rings and outlines over the map.
fn highlight(items: &mut Vec<Item>, catalog: &Catalog, filter: &TimeFilter, viewport: &Viewport, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    for (li, layer) in catalog.layers.iter().enumerate().filter(|(_, l)| l.visible) {
        for (fi, f) in layer.features.iter().enumerate() {
            let Some(id) = &f.id else { continue };
            if !ids.iter().any(|h| *h == id.to_string()) || !filter.is_shown(li, fi) {
                continue;
            }
            for p in &f.shape.points {
                items.push(Item::Marker {
                    center: viewport.screen_from_world(*p),
                    radius: 12.0,
                    shape: MarkerShape::Circle,
                    fill: Color::TRANSPARENT,
                    stroke: HIGHLIGHT,
                    stroke_width: 2.5,
                });
            }
            for line in f.shape.lines().iter().chain(f.shape.polygons().iter().flatten()) {
                let points = line.iter().map(|p| viewport.screen_from_world(*p)).collect();
                items.push(Item::Stroke { points, width: 3.0, color: HIGHLIGHT, dash: None });
            }
        }
    }
}

/// The publications behind the events and aid shown in the view: each `source` split at `;`,
/// the "citing …" parts dropped (the citing publication is the source), deduplicated, with how
/// many records each stands behind, most first, then by name.
pub fn sources_shown(catalog: &Catalog, filter: &TimeFilter, viewport: &Viewport) -> Vec<String> {
    let rect = viewport.world_rect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (li, layer) in catalog.layers.iter().enumerate() {
        if !layer.visible || !matches!(layer.kind, LayerKind::Events | LayerKind::Aid) {
            continue;
        }
        for fi in layer.index.query(&rect) {
            if !filter.is_shown(li, fi) {
                continue;
            }
            let Some(source) = layer.features.get(fi).and_then(|f| f.prop_text("source")) else { continue };
            let mut parts: Vec<&str> = source
                .split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with("citing"))
                .collect();
            parts.dedup();
            for p in parts {
                *counts.entry(p.to_owned()).or_default() += 1;
            }
        }
    }
    let mut sorted: Vec<(String, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
        .into_iter()
        .map(|(name, n)| if n == 1 { format!("{name} (1 record)") } else { format!("{name} ({n} records)") })
        .collect()
}

fn page_svg(page: PageSize, layout: &Layout, scene: &ProjectScene, map_svg: &str, text: &PageText<'_>) -> String {
    let sources = text.sources;
    let (w, h) = (page.width_pts, page.height_pts);
    let m = layout.margin;
    let mut s = String::with_capacity(map_svg.len() + 8 * 1024);
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Ubuntu"><rect width="{w}" height="{h}" fill="#ffffff"/>"##
    );
    let title = if scene.title.trim().is_empty() { "Untitled scene" } else { scene.title.as_str() };
    let _ = writeln!(
        s,
        r##"<text x="{m}" y="{:.1}" font-size="20" fill="#1a1a1a">{}</text>"##,
        m + 18.0,
        crate::io::xml::escape(title)
    );
    let _ = writeln!(
        s,
        r##"<text x="{m}" y="{:.1}" font-size="12" fill="#444444">{}</text>"##,
        m + 36.0,
        crate::io::xml::escape(&range_stated(scene.range))
    );
    // The map, clipped to its frame by the nested <svg>.
    let [mx, my, mw, mh] = layout.map;
    let nested = map_svg.strip_prefix("<svg ").unwrap_or(map_svg);
    let _ = write!(s, r#"<svg x="{mx}" y="{my}" "#);
    s.push_str(nested);
    let _ = writeln!(
        s,
        r##"<rect x="{mx}" y="{my}" width="{mw}" height="{mh}" fill="none" stroke="#555555" stroke-width="0.8"/>"##
    );
    let mut ay = my + mh + 9.0;
    for line in wrap(text.attribution, 7.0, mw).iter().take(2) {
        let _ = writeln!(
            s,
            r##"<text x="{mx}" y="{ay:.1}" font-size="7" fill="#555555">{}</text>"##,
            crate::io::xml::escape(line)
        );
        ay += 8.5;
    }
    // Notes, then sources.
    let [tx, ty, tw, th] = layout.text;
    let bottom = ty + th;
    let mut y = ty + 12.0;
    // A wide text area (portrait pages) puts the sources in a second column.
    let split = tw > 400.0;
    let (tw, sx, sw) = if split { (tw * 0.55, tx + tw * 0.6, tw * 0.4) } else { (tw, tx, tw) };
    let heading = |s: &mut String, x: f32, y: &mut f32, text: &str| {
        let _ =
            writeln!(s, r##"<text x="{x}" y="{y:.1}" font-size="12" fill="#1a1a1a" font-weight="bold">{text}</text>"##);
        *y += 16.0;
    };
    if !scene.notes.trim().is_empty() {
        heading(&mut s, tx, &mut y, "Notes");
        for line in wrap(&scene.notes, 10.0, tw) {
            if y > bottom - 60.0 {
                let _ = writeln!(s, r##"<text x="{tx}" y="{y:.1}" font-size="10" fill="#333333">…</text>"##);
                y += 13.0;
                break;
            }
            let _ = writeln!(
                s,
                r##"<text x="{tx}" y="{y:.1}" font-size="10" fill="#333333">{}</text>"##,
                crate::io::xml::escape(&line)
            );
            y += 13.0;
        }
        y += 10.0;
    }
    if !text.legend.is_empty() {
        heading(&mut s, tx, &mut y, "Legend");
        for entry in text.legend {
            // Room is kept for the sources when they follow in the same column.
            if y > bottom - if split { 6.0 } else { 50.0 } {
                let _ = writeln!(s, r##"<text x="{tx}" y="{y:.1}" font-size="9" fill="#1a1a1a">…</text>"##);
                break;
            }
            if let LegendSwatch::Classes(classes) = &entry.swatch {
                // The label, then the cells with their ranges beneath.
                let _ = writeln!(
                    s,
                    r##"<text x="{tx}" y="{y:.1}" font-size="9" fill="#1a1a1a">{}</text>"##,
                    crate::io::xml::escape(&entry.label)
                );
                super::svg::write_class_cells(&mut s, [tx, y + 3.0], classes, 8.0);
                y += 12.5 + 21.0;
                continue;
            }
            swatch(&mut s, [tx + 7.0, y - 3.5], &entry.swatch);
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{y:.1}" font-size="9" fill="#1a1a1a">{}</text>"##,
                tx + 20.0,
                crate::io::xml::escape(&entry.label)
            );
            y += 12.5;
        }
        y += 10.0;
    }
    if split {
        y = ty + 12.0;
    }
    heading(&mut s, sx, &mut y, "Sources");
    if sources.is_empty() {
        let _ = writeln!(
            s,
            r##"<text x="{sx}" y="{y:.1}" font-size="8.5" fill="#333333">No events or aid in this view and range.</text>"##
        );
    }
    for (i, source) in sources.iter().enumerate() {
        let lines = wrap(&format!("• {source}"), 8.5, sw);
        let room = bottom - y;
        if i >= MAX_SOURCES || room < 11.0 * lines.len() as f32 + 11.0 {
            let rest = sources.len() - i;
            let _ =
                writeln!(s, r##"<text x="{sx}" y="{y:.1}" font-size="8.5" fill="#333333">… and {rest} more</text>"##);
            break;
        }
        for (k, line) in lines.iter().enumerate() {
            let x = if k == 0 { sx } else { sx + 7.0 };
            let _ = writeln!(
                s,
                r##"<text x="{x}" y="{y:.1}" font-size="8.5" fill="#333333">{}</text>"##,
                crate::io::xml::escape(line)
            );
            y += 11.0;
        }
        y += 2.0;
    }
    s.push_str("</svg>\n");
    s
}

/// A legend swatch centred on `c`.
fn swatch(s: &mut String, c: [f32; 2], swatch: &LegendSwatch) {
    let [x, y] = c;
    match swatch {
        LegendSwatch::Area(col) => {
            let _ = writeln!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="14" height="9" fill="{}" fill-opacity="{:.2}" stroke="#666666" stroke-width="0.5"/>"##,
                x - 7.0,
                y - 4.5,
                col.css_rgb(),
                col.opacity()
            );
        }
        LegendSwatch::Line { color, width, dash, band } => {
            super::svg::write_line_swatch(s, [x - 7.0, x + 7.0], y, *color, *width, *dash, *band);
        }
        LegendSwatch::Classes(classes) => {
            // A small ramp, light to dark, in the swatch's box.
            let w = 14.0 / classes.len().max(1) as f32;
            for (k, (col, _)) in classes.iter().enumerate() {
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.2}" y="{:.1}" width="{w:.2}" height="9" fill="{}" fill-opacity="{:.2}"/>"#,
                    x - 7.0 + w * k as f32,
                    y - 4.5,
                    col.css_rgb(),
                    col.opacity()
                );
            }
        }
        LegendSwatch::Marker(shape, col) => {
            let (r, fill) = (4.5, col.css_rgb());
            let _ = match shape {
                MarkerShape::Circle => writeln!(s, r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{fill}"/>"#),
                MarkerShape::Square => {
                    writeln!(s, r#"<rect x="{:.1}" y="{:.1}" width="9" height="9" fill="{fill}"/>"#, x - r, y - r)
                }
                MarkerShape::Diamond => writeln!(
                    s,
                    r#"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}" fill="{fill}"/>"#,
                    y - r,
                    x + r,
                    y + r,
                    x - r
                ),
            };
        }
    }
}

fn tree(svg: &str) -> Result<resvg::usvg::Tree, RasterError> {
    let mut db = resvg::usvg::fontdb::Database::new();
    db.load_font_data(super::LABEL_FONT.to_vec());
    db.set_sans_serif_family("Ubuntu");
    let options = resvg::usvg::Options { fontdb: Arc::new(db), ..resvg::usvg::Options::default() };
    resvg::usvg::Tree::from_str(svg, &options).map_err(|e| RasterError::Svg(e.to_string()))
}

/// Pages (SVG documents) as one multi-page vector PDF: each page's SVG becomes a form `XObject`
/// (text as embedded font subsets) drawn on a page of the SVG's size.
pub fn pages_to_pdf(pages: &[String]) -> Result<Vec<u8>, RasterError> {
    use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref};
    let mut alloc = Ref::new(1);
    let catalog_id = alloc.bump();
    let tree_id = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::with_capacity(pages.len());
    for svg in pages {
        let tree = tree(svg)?;
        let size = tree.size();
        let (chunk, svg_id) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| RasterError::Pdf(e.to_string()))?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let svg_id = *map.get(&svg_id).ok_or_else(|| RasterError::Pdf("lost the page's XObject".to_owned()))?;
        let page_id = alloc.bump();
        let content_id = alloc.bump();
        let name = Name(b"P1");
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, size.width(), size.height()));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(name, svg_id);
        page.finish();
        let mut content = Content::new();
        content.transform([size.width(), 0.0, 0.0, size.height(), 0.0, 0.0]).x_object(name);
        pdf.stream(content_id, &content.finish());
        pdf.extend(&chunk);
        page_ids.push(page_id);
    }
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    Ok(pdf.finish())
}

/// What [`write_deck`] wrote.
#[derive(Debug, Clone, Default)]
pub struct DeckReport {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Pages composed.
    pub pages: usize,
    /// Problems worth telling (missing layers).
    pub problems: Vec<String>,
}

/// Options of a deck export.
#[derive(Debug, Clone, Copy)]
pub struct DeckOptions {
    /// Page size.
    pub page: PageSize,
    /// Pixels per inch of PNG pages.
    pub dpi: f32,
}

impl Default for DeckOptions {
    fn default() -> Self {
        Self { page: PageSize::A4, dpi: 150.0 }
    }
}

/// Writes the scenes (in the order given) by the extension of `out`: `.pdf` one multi-page
/// file; `.png` or `.svg` one file per scene, numbered (`deck.png` → `deck-1.png`, …). Files
/// are written atomically; nothing is written when a page fails.
pub fn write_deck(
    catalog: &Catalog,
    scenes: &[&ProjectScene],
    options: &DeckOptions,
    out: &Path,
) -> Result<DeckReport, ExportError> {
    let ext = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    if !matches!(ext.as_str(), "pdf" | "png" | "svg") {
        return Err(ExportError::Format { path: out.to_owned() });
    }
    let mut report = DeckReport::default();
    let pages: Vec<Page> = scenes.iter().map(|s| compose_page(catalog, s, options.page)).collect();
    for p in &pages {
        report.problems.extend(p.problems.iter().cloned());
    }
    report.pages = pages.len();
    let raster = |path: &Path, source| ExportError::Raster { path: path.to_owned(), source };
    let mut outputs: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if ext == "pdf" {
        let svgs: Vec<String> = pages.into_iter().map(|p| p.svg).collect();
        outputs.push((out.to_owned(), pages_to_pdf(&svgs).map_err(|e| raster(out, e))?));
    } else {
        for (i, page) in pages.into_iter().enumerate() {
            let path = numbered(out, i + 1);
            let bytes = if ext == "png" {
                svg_to_png(&page.svg, options.dpi / 72.0).map_err(|e| raster(&path, e))?
            } else {
                page.svg.into_bytes()
            };
            outputs.push((path, bytes));
        }
    }
    for (path, bytes) in outputs {
        crate::io::atomic::write_atomic(&path, &bytes)
            .map_err(|source| ExportError::Io { path: path.clone(), source })?;
        report.files.push(path);
    }
    Ok(report)
}

/// `deck.png` → `deck-3.png`.
fn numbered(out: &Path, n: usize) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = out.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!("{stem}-{n}.{ext}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(
            PageSize::parse("A4", Orientation::Portrait),
            Ok(PageSize { width_pts: 595.28, height_pts: 841.89 })
        );
        assert_eq!(PageSize::parse("letter", Orientation::Landscape), Ok(PageSize::LETTER));
        let mm = PageSize::parse("297x210mm", Orientation::Portrait).unwrap();
        assert!((mm.width_pts - 841.89).abs() < 0.01 && (mm.height_pts - 595.28).abs() < 0.01, "{mm:?}");
        assert_eq!(
            PageSize::parse("800x600", Orientation::Landscape),
            Ok(PageSize { width_pts: 800.0, height_pts: 600.0 })
        );
        assert!(PageSize::parse("a5", Orientation::Landscape).is_err());
        assert!(PageSize::parse("10x10", Orientation::Landscape).is_err());
    }

    #[test]
    fn ranges_in_words() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(range_in_words(Some((d(2021, 6, 1), d(2022, 6, 30)))), "1 Jun 2021 – 30 Jun 2022");
        assert_eq!(range_in_words(Some((d(2021, 10, 18), d(2021, 10, 18)))), "18 Oct 2021");
        assert_eq!(range_in_words(None), "All dates");
    }

    #[test]
    fn numbered_outputs() {
        assert_eq!(numbered(Path::new("/tmp/deck.png"), 3), PathBuf::from("/tmp/deck-3.png"));
    }
}
