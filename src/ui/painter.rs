//! Draws a [`Scene`] with egui's painter: meshes for fills, paths for lines, own geometry for
//! symbols, haloed text for labels, plus the scale bar and legend overlays.

use egui::{Color32, Painter, Pos2, Stroke, pos2, vec2};

use crate::render::{Color, Item, LegendCorner, LegendEntry, LegendSwatch, MarkerShape, Scene};
use crate::spatial::{Shape, Viewport};

fn c32(c: Color) -> Color32 {
    let [r, g, b, a] = c.0;
    Color32::from_rgba_unmultiplied(r, g, b, a)
}

fn at(origin: Pos2, p: [f32; 2]) -> Pos2 {
    pos2(origin.x + p[0], origin.y + p[1])
}

/// Paints `scene` with its top-left corner at `origin`; the legend in its corner, if any.
pub fn paint_scene(painter: &Painter, origin: Pos2, scene: &Scene, legend: Option<LegendCorner>) {
    painter.rect_filled(
        egui::Rect::from_min_size(origin, vec2(scene.size_pts[0], scene.size_pts[1])),
        0.0,
        c32(scene.background),
    );
    // One mesh per run of consecutive fills keeps the number of shapes low.
    let mut mesh = egui::Mesh::default();
    let flush = |mesh: &mut egui::Mesh| {
        if !mesh.is_empty() {
            painter.add(egui::Shape::mesh(std::mem::take(mesh)));
        }
    };
    for item in &scene.items {
        match item {
            Item::Fill { mesh: m, color, .. } => {
                let base = mesh.vertices.len() as u32;
                let color = c32(*color);
                for v in &m.vertices {
                    mesh.colored_vertex(at(origin, *v), color);
                }
                mesh.indices.extend(m.indices.iter().map(|i| base + i));
            }
            Item::Stroke { points, width, color, dash } => {
                flush(&mut mesh);
                let pts: Vec<Pos2> = points.iter().map(|p| at(origin, *p)).collect();
                let stroke = Stroke::new(*width, c32(*color));
                match dash {
                    Some([d, g]) => {
                        painter.extend(egui::Shape::dashed_line(&pts, stroke, *d, *g));
                    }
                    None => {
                        painter.add(egui::Shape::line(pts, stroke));
                    }
                }
            }
            Item::Marker { center, radius, shape, fill, stroke, stroke_width } => {
                flush(&mut mesh);
                marker(
                    painter,
                    at(origin, *center),
                    *radius,
                    *shape,
                    c32(*fill),
                    Stroke::new(*stroke_width, c32(*stroke)),
                );
            }
            Item::Text { center, text, font_pts, color } => {
                flush(&mut mesh);
                painter.text(
                    at(origin, *center),
                    egui::Align2::CENTER_CENTER,
                    text,
                    egui::FontId::proportional(*font_pts),
                    c32(*color),
                );
            }
        }
    }
    flush(&mut mesh);
    for label in &scene.labels {
        let font = egui::FontId::proportional(label.font_pts);
        let pos = at(origin, label.pos);
        let halo = c32(label.halo);
        for (dx, dy) in
            [(-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0), (-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0)]
        {
            painter.text(pos + vec2(dx, dy), egui::Align2::LEFT_TOP, &label.text, font.clone(), halo);
        }
        painter.text(pos, egui::Align2::LEFT_TOP, &label.text, font, c32(label.color));
    }
    scale_bar(painter, origin, scene);
    if let Some(corner) = legend {
        paint_legend(painter, origin, scene, corner);
    }
}

fn marker(painter: &Painter, c: Pos2, r: f32, shape: MarkerShape, fill: Color32, stroke: Stroke) {
    match shape {
        MarkerShape::Circle => {
            painter.circle(c, r, fill, stroke);
        }
        MarkerShape::Square => {
            painter.rect(
                egui::Rect::from_center_size(c, vec2(2.0 * r, 2.0 * r)),
                0.0,
                fill,
                stroke,
                egui::StrokeKind::Middle,
            );
        }
        MarkerShape::Diamond => {
            let pts = vec![c + vec2(0.0, -r), c + vec2(r, 0.0), c + vec2(0.0, r), c + vec2(-r, 0.0)];
            painter.add(egui::Shape::convex_polygon(pts, fill, stroke));
        }
    }
}

fn scale_bar(painter: &Painter, origin: Pos2, scene: &Scene) {
    let bar = &scene.scale_bar;
    let base = origin + vec2(16.0, scene.size_pts[1] - 18.0);
    let text =
        if bar.length_km >= 1.0 { format!("{} km", bar.length_km) } else { format!("{} m", bar.length_km * 1000.0) };
    let bg = egui::Rect::from_min_size(base + vec2(-6.0, -18.0), vec2(bar.length_pts + 60.0, 26.0));
    painter.rect_filled(bg, 3.0, Color32::from_white_alpha(200));
    let stroke = Stroke::new(2.0, Color32::from_gray(30));
    painter.line(
        vec![base + vec2(0.0, -6.0), base, base + vec2(bar.length_pts, 0.0), base + vec2(bar.length_pts, -6.0)],
        stroke,
    );
    painter.text(
        base + vec2(bar.length_pts + 6.0, 0.0),
        egui::Align2::LEFT_BOTTOM,
        text,
        egui::FontId::proportional(12.0),
        Color32::from_gray(30),
    );
}

/// Height of a legend row.
const LEGEND_ROW: f32 = 18.0;

/// Where the legend of `scene` is drawn (in `corner` of the map at `origin`); `None` without one.
pub fn legend_rect(origin: Pos2, scene: &Scene, corner: LegendCorner) -> Option<egui::Rect> {
    if scene.legend.is_empty() {
        return None;
    }
    // Room on the right for the hide button.
    let width = scene.legend.iter().map(legend_entry_width).fold(60.0_f32, f32::max) + 26.0;
    let height = scene.legend.iter().map(legend_entry_height).sum::<f32>() + 12.0;
    // On a map narrower than the legend it starts at the map's left edge, so its swatches
    // stay in view (the rest is cut at the right, and its × hides it). Below, it stays
    // clear of the scale bar.
    let [x, y] = corner.place(scene.size_pts, [width, height], 0.0, 34.0);
    Some(egui::Rect::from_min_size(origin + vec2(x, y), vec2(width, height)))
}

/// Font size of the ranges under a legend's classes.
const CLASS_FONT: f32 = 10.0;

/// The height of `entry` in the legend: a row, or for classes a row and their cells and
/// ranges beneath.
fn legend_entry_height(entry: &LegendEntry) -> f32 {
    if matches!(entry.swatch, LegendSwatch::Classes(_)) { LEGEND_ROW + 24.0 } else { LEGEND_ROW }
}

/// The width `entry` takes from the legend's left edge (without the room for the hide
/// button): a swatch and its label, or a label over a row of class cells.
fn legend_entry_width(entry: &LegendEntry) -> f32 {
    let label = crate::render::text_width_pts(&entry.label, 12.0);
    match &entry.swatch {
        LegendSwatch::Classes(classes) => {
            let cells = LegendSwatch::class_cell_width(classes, CLASS_FONT) * classes.len() as f32;
            label.max(cells) + 8.0
        }
        _ => label + 32.0,
    }
}

/// Paints the legend of `scene` in `corner` of the map at `origin` (what [`paint_scene`]
/// paints last when asked to; the app paints it after the selection and hover rings).
pub fn paint_legend(painter: &Painter, origin: Pos2, scene: &Scene, corner: LegendCorner) {
    let Some(rect) = legend_rect(origin, scene, corner) else { return };
    let font = egui::FontId::proportional(12.0);
    let top_left = rect.min;
    painter.rect(
        rect,
        4.0,
        Color32::from_white_alpha(225),
        Stroke::new(0.6, Color32::from_gray(140)),
        egui::StrokeKind::Inside,
    );
    let mut cy = top_left.y + 15.0;
    for entry in &scene.legend {
        let sx = top_left.x + 16.0;
        let height = legend_entry_height(entry);
        match &entry.swatch {
            LegendSwatch::Classes(classes) => {
                // The label on the row, the cells under it, each with its range beneath.
                let x0 = sx - 8.0;
                painter.text(
                    pos2(x0, cy),
                    egui::Align2::LEFT_CENTER,
                    &entry.label,
                    font.clone(),
                    Color32::from_gray(25),
                );
                let cell = LegendSwatch::class_cell_width(classes, CLASS_FONT);
                for (k, (c, range)) in classes.iter().enumerate() {
                    let x = x0 + cell * k as f32;
                    painter.rect_filled(
                        egui::Rect::from_min_max(pos2(x, cy + 9.0), pos2(x + cell, cy + 19.0)),
                        0.0,
                        c32(*c),
                    );
                    painter.text(
                        pos2(x + cell / 2.0, cy + 20.0),
                        egui::Align2::CENTER_TOP,
                        range,
                        egui::FontId::proportional(CLASS_FONT),
                        Color32::from_gray(25),
                    );
                }
                cy += height;
                continue;
            }
            LegendSwatch::Area(c) => {
                painter.rect(
                    egui::Rect::from_center_size(pos2(sx, cy), vec2(16.0, 11.0)),
                    0.0,
                    c32(*c),
                    Stroke::new(0.5, Color32::from_gray(100)),
                    egui::StrokeKind::Inside,
                );
            }
            LegendSwatch::Line { color, width, dash, band } => {
                let ends = [pos2(sx - 9.0, cy), pos2(sx + 9.0, cy)];
                if let Some((c, w)) = band {
                    painter.line_segment(ends, Stroke::new(*w, c32(*c)));
                }
                let stroke = Stroke::new(*width, c32(*color));
                match dash {
                    Some([d, g]) => painter.extend(egui::Shape::dashed_line(&ends, stroke, *d, *g)),
                    None => {
                        painter.line_segment(ends, stroke);
                    }
                }
            }
            LegendSwatch::Marker(shape, c) => {
                marker(painter, pos2(sx, cy), 5.0, *shape, c32(*c), Stroke::new(1.0, Color32::WHITE));
            }
        }
        painter.text(
            pos2(sx + 16.0, cy),
            egui::Align2::LEFT_CENTER,
            &entry.label,
            font.clone(),
            Color32::from_gray(25),
        );
        cy += height;
    }
}

/// Outlines a feature's shape (selection or hover).
pub fn paint_highlight(
    painter: &Painter,
    origin: Pos2,
    viewport: &Viewport,
    shape: &Shape,
    color: Color32,
    width: f32,
) {
    let stroke = Stroke::new(width, color);
    for line in shape.lines().iter().chain(shape.polygons().iter().flatten()) {
        let pts: Vec<Pos2> = line.iter().map(|p| at(origin, viewport.screen_from_world(*p))).collect();
        painter.add(egui::Shape::line(pts, stroke));
    }
    for p in &shape.points {
        painter.circle_stroke(at(origin, viewport.screen_from_world(*p)), 9.0, stroke);
    }
}
