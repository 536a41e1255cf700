//! Builds the scene for one viewport: culls with the R-tree, projects cached world geometry,
//! styles by layer kind and category, and places labels.

use super::labels::{LabelCandidate, place_labels};
use super::scene::{Color, Item, LegendEntry, LegendSwatch, MarkerShape, Mesh, ScaleBar, Scene};
use super::style::{
    self, BACKGROUND, BORDER_BAND, BORDER_LINE, HALO_KM, HALO_LEGEND, HALO_LEGEND_GROUP, HALO_MAX_PTS, LABEL_HALO,
    LABEL_TEXT, aid_color, event_color, layer_style,
};
use super::text::text_width_pts;
use crate::model::{Catalog, Feature, Layer, LayerKind, TimeFilter};
use crate::spatial::lod::LodShape;
use crate::spatial::{Shape, Viewport, WorldRect, polygon_contains};

/// What to include besides the layers themselves.
pub struct SceneOptions<'a> {
    /// The date filter, or `None` to draw every feature.
    pub filter: Option<&'a TimeFilter>,
    /// Whether to place labels.
    pub labels: bool,
    /// Attribution line to carry into the scene.
    pub attribution: String,
}

impl Default for SceneOptions<'_> {
    fn default() -> Self {
        Self { filter: None, labels: true, attribution: crate::geodata::ATTRIBUTION.to_owned() }
    }
}

/// Vertices closer than this on screen are merged when projecting lines.
const MIN_STEP_PTS: f32 = 0.6;

pub use super::points::AGGREGATE_ABOVE;

/// How many candidate positions an area label tries (each costs a point-in-polygon test).
const MAX_AREA_ANCHORS: usize = 24;

/// How many candidate boxes an area label tests against its polygon at most.
const MAX_BOX_TESTS: usize = 60;

/// Grid cell of aggregated point layers, in points.
const AGGREGATE_CELL_PTS: f32 = super::points::CELL_PTS;

/// Builds the scene of `catalog` seen through `viewport`.
pub fn build_scene(catalog: &Catalog, viewport: &Viewport, options: &SceneOptions<'_>) -> Scene {
    let view_rect = viewport.world_rect().expanded(8.0 / viewport.scale());
    let mut b = Builder {
        filter: options.filter,
        transform: viewport.screen_transform(),
        viewport,
        view_rect,
        items: Vec::new(),
        candidates: Vec::new(),
        obstacles: Vec::new(),
        symbol_obstacles: Vec::new(),
        legend: Legend::default(),
        density: Vec::new(),
        density_legend: Vec::new(),
        density_layers: Vec::new(),
        aggregated: Vec::new(),
        badges: Vec::new(),
    };
    // Layers drawn as densities need no per-feature list of what is in view (their bins read
    // the filter's points), so a million events cost no R-tree walk.
    let visible: Vec<(usize, &Layer, Vec<usize>)> = catalog
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| l.visible && l.opacity > 0.0)
        .map(|(i, l)| {
            if super::density::drawn_as_density(l, i, options.filter, &view_rect) {
                b.density_layers.push(i);
                return (i, l, Vec::new());
            }
            // Dense layers of points drawn as points need no list either (see `render::points`).
            if super::points::aggregated_without_list(l, i, options.filter, &view_rect) {
                b.aggregated.push(i);
                return (i, l, Vec::new());
            }
            let shown = shown_in_view(l, i, options.filter, &view_rect);
            if l.kind != LayerKind::Places && shown.len() > AGGREGATE_ABOVE {
                b.aggregated.push(i);
            }
            (i, l, shown)
        })
        .collect();
    for (_, layer, shown) in &visible {
        b.fills(layer, shown);
    }
    // Densities over the areas but under every line, so borders and outlines stay readable.
    for (li, layer, _) in &visible {
        b.density(*li, layer);
    }
    // Over a density the red band melts into the ramp: a pale casing keeps the border legible.
    let (band, band_width) = if b.density_layers.is_empty() {
        (BORDER_BAND, 9.0)
    } else {
        (super::density::BORDER_CASING, super::density::BORDER_CASING_PTS)
    };
    for (_, layer, shown) in visible.iter().filter(|(_, l, _)| l.kind == LayerKind::Border) {
        b.lines(layer, shown, band.faded(layer.opacity), band_width, None);
    }
    for (_, layer, shown) in visible.iter().filter(|(_, l, _)| l.kind != LayerKind::Border) {
        b.outlines(layer, shown);
    }
    for (_, layer, shown) in visible.iter().filter(|(_, l, _)| l.kind == LayerKind::Border) {
        let s = layer_style(LayerKind::Border);
        b.lines(layer, shown, BORDER_LINE.faded(layer.opacity), s.stroke_pts, s.dash);
        if !shown.is_empty() {
            // As drawn: the band (or, over a density, the casing) under the dashed core.
            let swatch = LegendSwatch::Line {
                color: BORDER_LINE,
                width: s.stroke_pts.max(2.0),
                dash: s.dash,
                band: Some((band, band_width.min(9.0))),
            };
            b.legend.add(0, "Tajik–Afghan border", swatch);
        }
    }
    for (li, layer, shown) in &visible {
        b.markers(*li, layer, shown);
    }
    if options.labels {
        // Countries reaching into the view, with a margin for names hanging out of it.
        let margin = 300.0 / viewport.scale();
        let territories = territories(catalog, b.transform.0, &b.view_rect.expanded(margin));
        for (_, layer, shown) in &visible {
            b.label_candidates(layer, shown, &territories);
        }
    }
    let labels = place_labels(std::mem::take(&mut b.candidates), viewport.size_pts, &b.obstacles, &b.symbol_obstacles);
    Scene {
        size_pts: viewport.size_pts,
        background: BACKGROUND,
        items: b.items,
        labels,
        scale_bar: scale_bar(viewport),
        legend: b.legend.finish().into_iter().chain(b.density_legend).collect(),
        attribution: options.attribution.clone(),
        density: b.density,
        badges: b.badges,
    }
}

/// One polygon of a country, as drawn at this zoom, and its bounds: what a town's name is
/// kept inside ([`Builder::own_side`]).
struct Territory<'a> {
    bounds: WorldRect,
    rings: &'a [Vec<[f64; 2]>],
    /// The country's ISO 3166 alpha-3 code (`iso_a3`), which places name as `country`.
    code: Option<&'a str>,
}

/// Most vertices of country outlines a scene tests town names against: beyond it (a
/// full-resolution boundary file loaded as countries, seen close up) names are placed as if no
/// border were near, rather than slowing every frame.
const MAX_TERRITORY_VERTICES: usize = 200_000;

/// The polygons near `view` of every country layer (shown or not: a border is where it is),
/// their simplified copies for the zoom of `scale` where the layer has them.
fn territories<'a>(catalog: &'a Catalog, scale: f64, view: &WorldRect) -> Vec<Territory<'a>> {
    let mut out = Vec::new();
    let mut vertices = 0;
    for layer in catalog.layers.iter().filter(|l| l.kind == LayerKind::Countries) {
        let band = layer.lod.as_ref().and_then(|l| l.band_for(scale));
        for fi in layer.index.query(view) {
            // A country held packed (a big file's) is told by its geometry alone.
            let code = layer.features.held(fi).and_then(|f| f.properties.get("iso_a3")?.as_str());
            let polygons = match band.and_then(|b| b.shape(fi)) {
                Some(copy) => copy.polygons.as_slice(),
                None => match layer.features.shape(fi) {
                    Some(shape) => shape.polygons(),
                    None => continue,
                },
            };
            for rings in polygons {
                vertices += rings.iter().map(Vec::len).sum::<usize>();
                if vertices > MAX_TERRITORY_VERTICES {
                    return Vec::new();
                }
                let Some(outer) = rings.first() else { continue };
                let mut bounds = WorldRect { min: [f64::INFINITY; 2], max: [f64::NEG_INFINITY; 2] };
                for p in outer {
                    bounds.min = [bounds.min[0].min(p[0]), bounds.min[1].min(p[1])];
                    bounds.max = [bounds.max[0].max(p[0]), bounds.max[1].max(p[1])];
                }
                out.push(Territory { bounds, rings, code });
            }
        }
    }
    out
}

/// The legend row (after the layer's name) of a layer whose halos are left out
/// ([`halos_crowd`]).
pub const HALOS_LEFT_OUT: &str = "halos left out here, too many overlap (zoom in to see them)";

/// Whether halos of the radii `radii` (points) are too many to draw in `viewport`: more than
/// [`CROWD_HALOS`] of them whose discs add up to more than [`CROWD_COVER`] times the view. Found
/// walking the app with a 100,000-event export at zoom 9: two thousand approximate places,
/// each with a 10 or 40 km disc, turned the map into a blur of tints in which no label, border
/// or symbol could be read (and, on a desktop without a GPU, took seconds a frame to fill).
/// A few large halos (five province-level events seen close up) are still drawn: they are
/// the honest picture of where those events may be.
fn halos_crowd(radii: impl Iterator<Item = f32>, viewport: &Viewport) -> bool {
    let (mut count, mut area) = (0_usize, 0.0_f64);
    for r in radii {
        count += 1;
        area += std::f64::consts::PI * f64::from(r) * f64::from(r);
    }
    let view = viewport.size_pts[0].max(1.0) * viewport.size_pts[1].max(1.0);
    count > CROWD_HALOS && area > CROWD_COVER * f64::from(view)
}

/// Halos drawn whatever their cover ([`halos_crowd`]).
const CROWD_HALOS: usize = 20;
/// How many times the view halos may cover before they are left out ([`halos_crowd`]).
const CROWD_COVER: f64 = 3.0;

/// The territories near `at` (world) when a border comes within `reach` (world units) of it;
/// `None` when none does (a name there cannot cross one).
fn border_within<'t, 'a>(territories: &'t [Territory<'a>], at: [f64; 2], reach: f64) -> Option<Vec<&'t Territory<'a>>> {
    let around = WorldRect { min: [at[0] - reach, at[1] - reach], max: [at[0] + reach, at[1] + reach] };
    let near: Vec<&Territory<'_>> = territories.iter().filter(|t| t.bounds.intersects(&around)).collect();
    near.iter()
        .any(|t| t.rings.iter().any(|ring| ring.windows(2).any(|s| segment_distance(at, s[0], s[1]) < reach)))
        .then_some(near)
}

/// The distance from `p` to the segment `a`–`b` (world units).
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}

/// Features of a layer that pass the filter and may be in view, ascending. A dated layer with a
/// range walks the (small) list of features in the range and tests their bounds; everything
/// else asks the R-tree.
fn shown_in_view(layer: &Layer, li: usize, filter: Option<&TimeFilter>, view: &WorldRect) -> Vec<usize> {
    if let Some(filter) = filter
        && let Some((ids, points)) = filter.visible_points(li)
    {
        if ids.len() < layer.index.len() / 4 {
            // In the filter's order (by date), which is deterministic; no sort needed. Points
            // are tested from the filter's contiguous array, other shapes by their bounds.
            let inside = |&(&i, p): &(&usize, &[f64; 2])| {
                if p[0].is_nan() { layer.index.rect(i).is_some_and(|b| b.intersects(view)) } else { view.contains(*p) }
            };
            return ids.iter().zip(points).filter(inside).map(|(&i, _)| i).collect();
        }
        return layer.index.query(view).into_iter().filter(|&i| filter.is_shown(li, i)).collect();
    }
    layer.index.query(view)
}

/// Symbols drawn at one spot ([`Builder::markers`]): how many, and what the first of them is
/// drawn with.
struct Group {
    center: [f32; 2],
    count: u32,
    symbol: Symbol,
    /// Its `geo_precision` (the halo's ground radius).
    precision: f64,
    /// Its place's label priority ([`place_priority`]; 0 for other kinds).
    priority: u32,
}

struct Builder<'a> {
    filter: Option<&'a TimeFilter>,
    /// `screen = world · scale + offset`, cached (see [`Viewport::screen_transform`]).
    transform: (f64, [f64; 2]),
    viewport: &'a Viewport,
    view_rect: WorldRect,
    items: Vec<Item>,
    candidates: Vec<LabelCandidate>,
    obstacles: Vec<([f32; 4], u32)>,
    symbol_obstacles: Vec<[f32; 4]>,
    legend: Legend,
    /// Layers drawn as densities, and their count legends (after the other rows, in order).
    density: Vec<super::density::DensityLayer>,
    density_legend: Vec<LegendEntry>,
    density_layers: Vec<usize>,
    /// Point layers drawn aggregated on the screen grid.
    aggregated: Vec<usize>,
    /// Count badges drawn, for clicks ([`Scene::badges`]).
    badges: Vec<super::scene::Badge>,
}

impl Builder<'_> {
    fn project(&self, p: [f64; 2]) -> [f32; 2] {
        let (s, [ox, oy]) = self.transform;
        [(p[0] * s + ox) as f32, (p[1] * s + oy) as f32]
    }

    fn project_line(&self, line: &[[f64; 2]]) -> Vec<[f32; 2]> {
        let mut out: Vec<[f32; 2]> = Vec::with_capacity(line.len());
        let last = line.len().saturating_sub(1);
        for (i, p) in line.iter().enumerate() {
            let q = self.project(*p);
            if let Some(prev) = out.last()
                && i != last
                && (q[0] - prev[0]).abs() < MIN_STEP_PTS
                && (q[1] - prev[1]).abs() < MIN_STEP_PTS
            {
                continue;
            }
            out.push(q);
        }
        out
    }

    fn fills(&mut self, layer: &Layer, shown: &[usize]) {
        if !layer.index.has_areas() {
            return;
        }
        let style = style::effective_style(layer);
        let own_fill = layer.style.as_ref().is_some_and(|o| o.fill.is_some());
        // The simplified copies for this zoom, when built (full detail otherwise).
        let band = layer.lod.as_ref().and_then(|l| l.band_for(self.transform.0));
        for &fi in shown {
            let Some(f) = layer.features.get(fi) else { continue };
            if !f.shape.is_area() {
                continue;
            }
            let color = if let Some((c, label)) = style::category_colour(layer, &f) {
                self.legend.add(style::USER_LEGEND_GROUP, &label, LegendSwatch::Area(c));
                c
            } else if layer.kind == LayerKind::Countries && !own_fill {
                style::country_fill(&f)
            } else {
                style.fill
            };
            let color = color.faded(layer.opacity);
            if color.0[3] == 0 {
                continue;
            }
            let (fill, polygons) = match band.and_then(|b| b.shape(fi)) {
                Some(copy) => (&copy.fill, copy.polygons.as_slice()),
                None => (f.shape.fill(), f.shape.polygons()),
            };
            let mesh = Mesh {
                vertices: fill.vertices.iter().map(|p| self.project(*p)).collect(),
                indices: fill.indices.clone(),
            };
            let rings = polygons.iter().flatten().map(|r| self.project_line(r)).collect();
            self.items.push(Item::Fill { mesh, rings, color });
        }
        // An outlined layer (a clear fill, as the districts are drawn) shows its outline's
        // colour, not a tinted square the map never paints. Found comparing the legend with
        // the map: "Districts" had a beige square over brown dashed outlines.
        let swatch = if style.fill.0[3] == 0 {
            LegendSwatch::dashed(style.stroke, style.stroke_pts.max(1.2), style.dash)
        } else {
            LegendSwatch::Area(style.fill.alpha(style.fill.0[3].max(90)))
        };
        // The shipped countries and provinces are the map's ground and take no row; a file of
        // them the analyst opened does (found walking the app: an opened ADM1 file, read as
        // provinces, was missing from the legend).
        let opened_ground = matches!(layer.kind, LayerKind::Countries | LayerKind::Provinces)
            && !matches!(layer.source, crate::model::LayerSource::Embedded(_));
        if !shown.is_empty() && matches!(layer.kind, LayerKind::Regions | LayerKind::Districts | LayerKind::Lakes) {
            self.legend.add(1, &layer.name, swatch);
        } else if !shown.is_empty() && (layer.kind == LayerKind::Generic || own_fill || opened_ground) {
            self.legend.add(style::USER_LEGEND_GROUP, &layer.name, swatch);
        }
    }

    fn outlines(&mut self, layer: &Layer, shown: &[usize]) {
        if !layer.index.has_areas() && !layer.index.has_lines() {
            return;
        }
        let style = style::effective_style(layer);
        let color = style.stroke.faded(layer.opacity);
        let own_width = layer.style.as_ref().is_some_and(|o| o.stroke_width.is_some());
        let band = layer.lod.as_ref().and_then(|l| l.band_for(self.transform.0));
        for &fi in shown {
            let Some(f) = layer.features.get(fi) else { continue };
            let (lines, polygons) = match band.and_then(|b| b.shape(fi)) {
                Some(copy) => (copy.lines.as_slice(), copy.polygons.as_slice()),
                None => (f.shape.lines(), f.shape.polygons()),
            };
            for ring in polygons.iter().flatten() {
                let points = self.project_line(ring);
                self.items.push(Item::Stroke { points, width: style.stroke_pts, color, dash: style.dash });
            }
            let width = if layer.kind == LayerKind::Rivers && !own_width { river_width(&f) } else { style.stroke_pts };
            let color = match style::category_colour(layer, &f).filter(|_| !f.shape.lines().is_empty()) {
                Some((c, label)) => {
                    self.legend.add(style::USER_LEGEND_GROUP, &label, LegendSwatch::line(c, width.max(1.6)));
                    c.faded(layer.opacity)
                }
                None => color,
            };
            for line in lines {
                let points = self.project_line(line);
                self.items.push(Item::Stroke { points, width, color, dash: None });
            }
        }
        if !shown.is_empty() && layer.kind == LayerKind::Rivers {
            self.legend.add(2, "River", LegendSwatch::line(style.stroke, 1.6));
        } else if !shown.is_empty() && layer.kind == LayerKind::Generic && !layer.index.has_areas() {
            // Its lines are drawn solid (a dash is for area outlines).
            let swatch = LegendSwatch::line(style.stroke, style.stroke_pts.max(1.6));
            self.legend.add(style::USER_LEGEND_GROUP, &layer.name, swatch);
        }
    }

    fn lines(&mut self, layer: &Layer, shown: &[usize], color: Color, width: f32, dash: Option<[f32; 2]>) {
        let band = layer.lod.as_ref().and_then(|l| l.band_for(self.transform.0));
        for &fi in shown {
            let Some(f) = layer.features.get(fi) else { continue };
            let (lines, polygons) = match band.and_then(|b| b.shape(fi)) {
                Some(copy) => (copy.lines.as_slice(), copy.polygons.as_slice()),
                None => (f.shape.lines(), f.shape.polygons()),
            };
            for line in lines.iter().chain(polygons.iter().flatten()) {
                let points = self.project_line(line);
                self.items.push(Item::Stroke { points, width, color, dash });
            }
        }
    }

    fn density(&mut self, li: usize, layer: &Layer) {
        if self.density_layers.contains(&li) {
            let view = super::density::density_view(layer, li, self.filter, self.viewport);
            self.items.extend(view.items);
            self.density_legend.extend(view.legend);
            self.density.push(view.record);
        }
    }

    fn markers(&mut self, li: usize, layer: &Layer, shown: &[usize]) {
        if self.density_layers.contains(&li) {
            return;
        }
        let style = style::effective_style(layer);
        if self.aggregated.contains(&li) {
            self.aggregated_markers(li, layer, shown, &style);
            return;
        }
        // Features at the same spot (notional district points, repeated reports) are drawn once
        // with a count, so none hides silently under another. Each feature is read and styled
        // once; a group keeps what its first feature is drawn with (not the feature: a big
        // places layer is not aggregated, and its features would all be held decoded at once).
        let mut groups: Vec<Group> = Vec::new();
        let mut by_pos: std::collections::HashMap<(i32, i32), usize> = std::collections::HashMap::new();
        for &fi in shown {
            let Some(f) = layer.features.get(fi) else { continue };
            if f.shape.points.is_empty() {
                continue;
            }
            let symbol = restyle(layer, &f, &style, marker_for(layer.kind, &f, &style));
            if let Some((row, label, swatch)) = &symbol.legend {
                self.legend.add(*row, label, swatch.clone());
            }
            for p in &f.shape.points {
                let center = self.project(*p);
                let key = (center[0].round() as i32, center[1].round() as i32);
                if let Some(group) = by_pos.get(&key).and_then(|&g| groups.get_mut(g)) {
                    group.count += 1;
                } else {
                    by_pos.insert(key, groups.len());
                    groups.push(Group {
                        center,
                        count: 1,
                        symbol: symbol.clone(),
                        precision: f.prop_f64("geo_precision").unwrap_or(2.0),
                        priority: if layer.kind == LayerKind::Places { place_priority(&f) } else { 0 },
                    });
                }
            }
        }
        let groups: Vec<_> = groups
            .into_iter()
            .map(|g| {
                let radius = if g.count > 1 { g.symbol.radius + 2.0 } else { g.symbol.radius };
                let halo = g.symbol.halo.map(|_| self.halo_radius(g.precision, radius));
                (g.center, g.priority, g.count, g.symbol, radius, halo)
            })
            .collect();
        let halos_crowd = halos_crowd(groups.iter().filter_map(|g| g.5.map(|(r, _)| r)), self.viewport);
        if halos_crowd {
            let row = format!("{}: {HALOS_LEFT_OUT}", layer.name);
            self.legend.add(HALO_LEGEND_GROUP, &row, LegendSwatch::Marker(MarkerShape::Circle, HALO_LEGEND.alpha(35)));
        }
        for (center, priority, count, symbol, radius, halo_radius) in groups {
            if let (Some(halo), Some((halo_radius, row))) = (symbol.halo, halo_radius.filter(|_| !halos_crowd)) {
                self.legend.add(HALO_LEGEND_GROUP, row, LegendSwatch::Area(HALO_LEGEND));
                self.items.push(Item::Marker {
                    center,
                    radius: halo_radius,
                    shape: MarkerShape::Circle,
                    fill: halo.faded(layer.opacity),
                    stroke: Color::TRANSPARENT,
                    stroke_width: 0.0,
                });
            }
            self.items.push(Item::Marker {
                center,
                radius,
                shape: symbol.shape,
                fill: symbol.fill.faded(layer.opacity),
                stroke: symbol.stroke.faded(layer.opacity),
                stroke_width: symbol.stroke_width,
            });
            if count > 1 {
                self.badge(center, radius, count);
            }
            // Area labels never cover a symbol (an event under a country name would be lost);
            // place labels avoid place symbols but may sit beside an event at their town.
            let r = radius;
            let rect = [center[0] - r, center[1] - r, center[0] + r, center[1] + r];
            if layer.kind == LayerKind::Places {
                self.obstacles.push((rect, priority));
            } else {
                self.symbol_obstacles.push(rect);
            }
        }
    }

    /// The halo of an approximate location: its ground radius ([`HALO_KM`]) in points where
    /// that is drawable (between twice the symbol and [`HALO_MAX_PTS`]), and its legend row.
    fn halo_radius(&self, precision: f64, symbol_radius: f32) -> (f32, &'static str) {
        let (km, row) = if precision >= 3.0 { HALO_KM[1] } else { HALO_KM[0] };
        let pts = (km * 1000.0 / self.viewport.metres_per_point().max(1e-6)) as f32;
        (pts.clamp(symbol_radius * 1.8, HALO_MAX_PTS.max(symbol_radius * 1.8)), row)
    }

    /// A count in a small dark disc at the upper right of a symbol.
    fn badge(&mut self, center: [f32; 2], radius: f32, count: u32) {
        let text = if count > 999 { format!("{}k", count / 1000) } else { count.to_string() };
        let at = [center[0] + radius * 0.9, center[1] - radius * 0.9];
        let r = 5.0 + 2.5 * (text.len().saturating_sub(1)) as f32;
        self.badges.push(super::scene::Badge { center: at, radius: r, symbol: center });
        self.items.push(Item::Marker {
            center: at,
            radius: r,
            shape: MarkerShape::Circle,
            fill: Color::hex(0x222222),
            stroke: Color::hex(0xffffff),
            stroke_width: 1.0,
        });
        self.items.push(Item::Text { center: at, text, font_pts: 9.0, color: Color::hex(0xffffff) });
    }

    /// Dense point layers: one symbol per screen cell, sized by how many points fall in it
    /// and coloured by the lowest-numbered feature in it ([`super::points`]). Linear in the
    /// number of points in range, no hashing; `shown` may be empty (not listed).
    fn aggregated_markers(&mut self, li: usize, layer: &Layer, shown: &[usize], style: &style::LayerStyle) {
        let grid = super::points::count_cells(layer, li, self.filter, shown, self.viewport.size_pts, self.transform);
        let cells = grid.cells.iter().filter(|c| c.count > 0).count();
        let mut seen: Vec<u16> = Vec::new();
        let one_colour = layer.style.as_ref().is_some_and(|o| o.fill.is_some());
        let colors: Vec<Color> = layer
            .category_names
            .iter()
            .map(|name| match layer.kind {
                _ if one_colour => style.marker_fill,
                LayerKind::Events => event_color(name),
                LayerKind::Aid => aid_color(name),
                _ => style.marker_fill,
            })
            .collect();
        for cell in &grid.cells {
            let (n, s) = (&cell.count, &cell.sum);
            if *n == 0 {
                continue;
            }
            let fi = cell.first as usize;
            let category = layer.categories.get(fi).copied();
            let color = match category.and_then(|c| colors.get(usize::from(c))) {
                Some(c) => *c,
                None => style.marker_fill,
            };
            if one_colour {
                // One colour for the layer: one row naming it, as its unaggregated symbols get.
                if seen.is_empty() {
                    seen.push(u16::MAX);
                    let swatch = LegendSwatch::Marker(MarkerShape::Circle, style.marker_fill);
                    self.legend.add(style::USER_LEGEND_GROUP, &layer.name, swatch);
                }
            } else if let Some(c) = category
                && !seen.contains(&c)
            {
                seen.push(c);
                if let Some(f) = layer.features.get(fi)
                    && let Some((row, label, swatch)) = marker_for(layer.kind, &f, style).legend
                {
                    self.legend.add(row, &label, swatch);
                }
            }
            let center = [s[0] / *n as f32, s[1] / *n as f32];
            let radius = (2.5 + 1.8 * (*n as f32).log10()).min(AGGREGATE_CELL_PTS * 0.75);
            self.items.push(Item::Marker {
                center,
                radius,
                shape: MarkerShape::Circle,
                fill: color.alpha(200).faded(layer.opacity),
                stroke: Color::hex(0xffffff).faded(layer.opacity),
                stroke_width: 0.8,
            });
            if *n > 1 && cells <= 600 {
                self.badge(center, radius, *n);
            }
        }
    }

    fn label_candidates(&mut self, layer: &Layer, shown: &[usize], territories: &[Territory<'_>]) {
        let zoom = self.viewport.zoom;
        if let Some(property) = layer.style.as_ref().and_then(|o| o.label.as_deref()) {
            self.styled_labels(layer, shown, property);
            return;
        }
        for &fi in shown {
            if !matches!(
                layer.kind,
                LayerKind::Places
                    | LayerKind::Regions
                    | LayerKind::Countries
                    | LayerKind::Provinces
                    | LayerKind::Districts
                    | LayerKind::Lakes
                    | LayerKind::Rivers
            ) {
                return;
            }
            let Some(f) = layer.features.get(fi) else { continue };
            let (priority, font_pts, color, italic, offset) = match layer.kind {
                LayerKind::Places => {
                    let priority = place_priority(&f);
                    let font = [13.5, 12.5, 11.5, 10.5].get(priority as usize / 1000 - 1).copied().unwrap_or(10.0);
                    let radius = marker_for(layer.kind, &f, &layer_style(layer.kind)).radius;
                    (priority, font, LABEL_TEXT, false, Some(radius + 3.0))
                }
                LayerKind::Regions => (1500, 12.0, Color::hex(0x8a4a12), true, None),
                LayerKind::Countries => (5000, 15.0, Color::hex(0x6e6257), false, None),
                LayerKind::Provinces if zoom >= 6.3 => (6000, 10.5, Color::hex(0x7d6d5a), false, None),
                LayerKind::Districts if zoom >= 7.0 => (7000, 10.0, Color::hex(0x6b4f2f), false, None),
                LayerKind::Lakes if zoom >= 7.0 => (8000, 10.0, Color::hex(0x2f6ea8), true, None),
                LayerKind::Rivers if f.prop_f64("rank").unwrap_or(9.0) <= 1.0 => {
                    (7500, 10.5, Color::hex(0x2f6ea8), true, None)
                }
                _ => continue,
            };
            // Only a real name is a label: never an id, a title or "(unnamed)".
            let Some(name) = label_text(&f, layer.label_field.as_deref()) else { continue };
            let text = if layer.kind == LayerKind::Countries { name.to_uppercase() } else { name };
            let size = [text_width_pts(&text, font_pts), font_pts * 1.2];
            // Names of countries, provinces, districts and regions must fit inside their own
            // polygon; a lake's name may spill onto the shore (most lakes are smaller than it).
            let fit = if layer.kind == LayerKind::Lakes { [0.0, 0.0] } else { size };
            let copy = layer.lod.as_ref().and_then(|l| l.band_for(self.transform.0)).and_then(|b| b.shape(fi));
            let anchors = self.label_anchors(&f.shape, copy, offset.is_some(), fit);
            if anchors.is_empty() {
                continue;
            }
            let allowed = match (offset, anchors.as_slice(), f.shape.anchor()) {
                (Some(d), [anchor], Some(at)) if layer.kind == LayerKind::Places => {
                    self.own_side(territories, f.prop_str("country"), at, *anchor, d, size)
                }
                _ => None,
            };
            let anchors = match f.shape.anchor() {
                Some(at) if layer.kind == LayerKind::Lakes => self.lake_side(territories, at, anchors, size),
                _ => anchors,
            };
            if anchors.is_empty() {
                continue;
            }
            self.candidates.push(LabelCandidate {
                text,
                anchors,
                priority,
                font_pts,
                offset_pts: offset,
                color,
                halo: LABEL_HALO,
                italic,
                allowed,
            });
        }
    }

    /// Labels by the property the analyst chose in the layer's style, for any layer kind.
    fn styled_labels(&mut self, layer: &Layer, shown: &[usize], property: &str) {
        let style = style::effective_style(layer);
        for &fi in shown {
            let Some(f) = layer.features.get(fi) else { continue };
            let Some(text) = f.prop_text(property).filter(|t| !t.trim().is_empty()) else { continue };
            let is_point = f.shape.polygons().is_empty();
            let font_pts = 10.5;
            let size = [text_width_pts(&text, font_pts), font_pts * 1.2];
            let copy = layer.lod.as_ref().and_then(|l| l.band_for(self.transform.0)).and_then(|b| b.shape(fi));
            let anchors = self.label_anchors(&f.shape, copy, is_point, if is_point { [0.0, 0.0] } else { size });
            if anchors.is_empty() {
                continue;
            }
            self.candidates.push(LabelCandidate {
                text,
                anchors,
                priority: 4500,
                font_pts,
                offset_pts: is_point.then_some(style.radius_pts + 3.0),
                color: LABEL_TEXT,
                halo: LABEL_HALO,
                italic: false,
                allowed: None,
            });
        }
    }

    /// Which of a point label's positions ([`super::labels::point_positions`] around
    /// `anchor`, `d` away, the text `size` in points) keep the whole text in its town's
    /// country: the one its `country` code names (a town on a border river may sit a pixel
    /// across the drawn border), else the one its point `at` (world) is in, or outside every
    /// country when it is in none (a town beyond the mapped countries); `None` when no border
    /// comes within the text's reach.
    fn own_side(
        &self,
        territories: &[Territory<'_>],
        country: Option<&str>,
        at: [f64; 2],
        anchor: [f32; 2],
        d: f32,
        [width, height]: [f32; 2],
    ) -> Option<[bool; 8]> {
        let near = border_within(territories, at, f64::from(d + width + height) / self.transform.0)?;
        let coded = country.filter(|c| territories.iter().any(|t| t.code == Some(*c)));
        let home = if coded.is_some() { None } else { near.iter().position(|t| polygon_contains(t.rings, at)) };
        let at_home = |p: [f64; 2]| match coded {
            Some(code) => near.iter().any(|t| t.code == Some(code) && polygon_contains(t.rings, p)),
            None => near.iter().position(|t| polygon_contains(t.rings, p)) == home,
        };
        let positions = super::labels::point_positions(anchor, d, width, height);
        Some(positions.map(|[x, y]| {
            [[x, y], [x + width, y], [x, y + height], [x + width, y + height]]
                .into_iter()
                .all(|corner| at_home(self.viewport.world_from_screen(corner)))
        }))
    }

    /// A lake's name may spill onto its shore, but not into another country (found on the
    /// map: "Shiva Lake", in Afghan Shighnan, was written across the Panj). Where a border
    /// comes within the name's reach, `anchors` (the centres its box may take) become those
    /// whose box lies in the country the lake's point `at` (world) is in: each centre as
    /// given, else the name beside it, to the left or to the right, as long as the box still
    /// touches the centre. No anchor left: the name is not written.
    fn lake_side(
        &self,
        territories: &[Territory<'_>],
        at: [f64; 2],
        anchors: Vec<[f32; 2]>,
        [width, height]: [f32; 2],
    ) -> Vec<[f32; 2]> {
        let Some(near) = border_within(territories, at, f64::from(width + height) / self.transform.0) else {
            return anchors;
        };
        let home = near.iter().position(|t| polygon_contains(t.rings, at));
        let at_home = |p: [f64; 2]| near.iter().position(|t| polygon_contains(t.rings, p)) == home;
        let fits = |[x, y]: [f32; 2]| {
            let [hw, hh] = [width / 2.0, height / 2.0];
            [[x - hw, y - hh], [x + hw, y - hh], [x - hw, y + hh], [x + hw, y + hh]]
                .into_iter()
                .all(|corner| at_home(self.viewport.world_from_screen(corner)))
        };
        let shift = width / 2.0 - 2.0;
        anchors
            .iter()
            .take(8)
            .flat_map(|&[x, y]| [[x, y], [x - shift, y], [x + shift, y]])
            .filter(|&c| fits(c))
            .collect()
    }

    /// Where a label may hang: the point itself, or points inside the visible part of the
    /// area (the centre first, then outwards), so a label can dodge what is already placed.
    /// An area label's whole box (`size` in points, centred on the anchor; zero to test the
    /// anchor only) must lie inside the polygon, so a name is never drawn over a neighbour.
    /// `copy` is the feature's simplified copy for this zoom, if any, used for its areas.
    fn label_anchors(&self, shape: &Shape, copy: Option<&LodShape>, is_point: bool, size: [f32; 2]) -> Vec<[f32; 2]> {
        if is_point || shape.polygons().is_empty() {
            if !shape.lines().is_empty() {
                let visible: Vec<&[f64; 2]> =
                    shape.lines().iter().flatten().filter(|p| self.view_rect.contains(**p)).collect();
                return visible.get(visible.len() / 2).map(|p| self.project(**p)).into_iter().collect();
            }
            return shape.anchor().map(|p| self.project(p)).into_iter().collect();
        }
        let view = self.viewport.world_rect();
        let polygons = copy.map_or(shape.polygons(), |c| c.polygons.as_slice());
        let Some(largest) = polygons.iter().max_by(|a, b| ring_bbox_area(a).total_cmp(&ring_bbox_area(b))) else {
            return Vec::new();
        };
        let Some(bounds) = WorldRect::from_points(largest.iter().flatten()) else { return Vec::new() };
        let lo = [bounds.min[0].max(view.min[0]), bounds.min[1].max(view.min[1])];
        let hi = [bounds.max[0].min(view.max[0]), bounds.max[1].min(view.max[1])];
        if lo[0] >= hi[0] || lo[1] >= hi[1] {
            return Vec::new();
        }
        let scale = self.transform.0;
        let half = [f64::from(size[0]) / 2.0 / scale, f64::from(size[1]) / 2.0 / scale];
        if hi[0] - lo[0] < 2.0 * half[0] || hi[1] - lo[1] < 2.0 * half[1] {
            return Vec::new();
        }
        // The box test needs only the edges that can reach a box around an anchor inside
        // the visible part: one cheap pass, then each test walks that short list.
        let reach = WorldRect { min: [lo[0] - half[0], lo[1] - half[1]], max: [hi[0] + half[0], hi[1] + half[1]] };
        let fit = size[0] > 0.0;
        let edges: Vec<[[f64; 2]; 2]> = if fit {
            largest
                .iter()
                .flat_map(|r| r.windows(2))
                .filter(|w| {
                    w[0][0].max(w[1][0]) >= reach.min[0]
                        && w[0][0].min(w[1][0]) <= reach.max[0]
                        && w[0][1].max(w[1][1]) >= reach.min[1]
                        && w[0][1].min(w[1][1]) <= reach.max[1]
                })
                .map(|w| [w[0], w[1]])
                .collect()
        } else {
            Vec::new()
        };
        let steps = 7;
        // A label that fits nowhere after this many boxes is dropped rather than slowing
        // the frame.
        let mut budget = MAX_BOX_TESTS;
        let mut anchors = Vec::new();
        for ring in 0..=steps {
            for (dx, dy) in ring_offsets(ring) {
                let p = [
                    f64::midpoint(lo[0], hi[0]) + f64::from(dx) * (hi[0] - lo[0]) / f64::from(2 * steps + 2),
                    f64::midpoint(lo[1], hi[1]) + f64::from(dy) * (hi[1] - lo[1]) / f64::from(2 * steps + 2),
                ];
                if fit {
                    budget = budget.saturating_sub(1);
                    if budget == 0 {
                        return anchors;
                    }
                    if !box_clear(&edges, p, half) {
                        continue;
                    }
                }
                if !polygon_contains(largest, p) {
                    continue;
                }
                anchors.push(self.project(p));
                if anchors.len() >= MAX_AREA_ANCHORS {
                    return anchors;
                }
            }
        }
        anchors
    }
}

/// Label priority of a place (lower is placed first): 1000 × its rank (1 capitals, 2 cities
/// and province seats, 3 towns and district seats, 4 villages). Its symbol blocks labels of
/// the same or lower importance only.
fn place_priority(f: &Feature) -> u32 {
    f.prop_f64("rank").unwrap_or(4.0).clamp(1.0, 9.0) as u32 * 1000
}

/// The text a feature is labelled with: the layer's label field, `name` or `shapeName`, if
/// non-empty. Unlike [`Feature::display_name`] it never falls back to a title or the id, so an
/// internal id ("wdb-9832") is never drawn as a name.
pub(crate) fn label_text(f: &Feature, label_field: Option<&str>) -> Option<String> {
    [label_field.unwrap_or("name"), "name", "shapeName"]
        .iter()
        .filter_map(|k| f.prop_str(k))
        .map(str::trim)
        .find(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Whether no edge enters the box `centre ± half`. With the centre inside the polygon, this
/// means the whole box is inside: exact for any box size.
fn box_clear(edges: &[[[f64; 2]; 2]], centre: [f64; 2], half: [f64; 2]) -> bool {
    let lo = [centre[0] - half[0], centre[1] - half[1]];
    let hi = [centre[0] + half[0], centre[1] + half[1]];
    !edges.iter().any(|[a, b]| segment_meets_box(*a, *b, lo, hi))
}

/// Whether the segment `a`–`b` touches the axis-aligned box `lo`–`hi` (Liang–Barsky clip).
fn segment_meets_box(a: [f64; 2], b: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> bool {
    if a[0].max(b[0]) < lo[0] || a[0].min(b[0]) > hi[0] || a[1].max(b[1]) < lo[1] || a[1].min(b[1]) > hi[1] {
        return false;
    }
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for axis in 0..2 {
        for (p, q) in [(-d[axis], a[axis] - lo[axis]), (d[axis], hi[axis] - a[axis])] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
                if t0 > t1 {
                    return false;
                }
            }
        }
    }
    true
}

/// Offsets of the square ring `r` around the origin.
fn ring_offsets(r: i32) -> Vec<(i32, i32)> {
    if r == 0 {
        return vec![(0, 0)];
    }
    let mut out = Vec::new();
    for i in -r..=r {
        out.extend([(i, -r), (i, r)]);
    }
    for i in (-r + 1)..r {
        out.extend([(-r, i), (r, i)]);
    }
    out
}

fn ring_bbox_area(rings: &[Vec<[f64; 2]>]) -> f64 {
    WorldRect::from_points(rings.iter().flatten()).map_or(0.0, |b| (b.max[0] - b.min[0]) * (b.max[1] - b.min[1]))
}

fn river_width(f: &Feature) -> f32 {
    match f.prop_f64("rank") {
        // Wider than the border's dashed core, so the Panj stays visible along the frontier.
        Some(r) if r <= 1.0 => 2.8,
        Some(r) if r <= 2.0 => 1.4,
        _ => 1.0,
    }
}

/// How one point feature is symbolised.
#[derive(Clone)]
struct Symbol {
    shape: MarkerShape,
    radius: f32,
    fill: Color,
    stroke: Color,
    stroke_width: f32,
    halo: Option<Color>,
    legend: Option<(u8, String, LegendSwatch)>,
}

fn marker_for(kind: LayerKind, f: &Feature, style: &style::LayerStyle) -> Symbol {
    let approximate = f.prop_f64("geo_precision").is_some_and(|p| p >= 2.0);
    match kind {
        LayerKind::Events => {
            let event_type = f.prop_str("event_type").unwrap_or("Other");
            let color = event_color(event_type);
            symbol_with_uncertainty(
                MarkerShape::Circle,
                style.radius_pts,
                color,
                approximate,
                (10, event_type.to_owned()),
            )
        }
        LayerKind::Aid => {
            let donor = f.prop_str("donor").unwrap_or("Other");
            let color = aid_color(donor);
            symbol_with_uncertainty(
                MarkerShape::Diamond,
                style.radius_pts,
                color,
                approximate,
                (20, format!("Aid: {donor}")),
            )
        }
        LayerKind::Places => {
            let kind = f.prop_str("kind").unwrap_or("village");
            let (shape, radius) = match kind {
                "capital" => (MarkerShape::Square, 4.5),
                "city" => (MarkerShape::Circle, 4.0),
                "town" | "district_seat" => (MarkerShape::Circle, 3.2),
                "post" => (MarkerShape::Square, 3.0),
                _ => (MarkerShape::Circle, 2.6),
            };
            Symbol {
                shape,
                radius,
                fill: if kind == "capital" { Color::hex(0x222222) } else { style.marker_fill },
                stroke: style.stroke,
                stroke_width: 1.2,
                halo: None,
                legend: None,
            }
        }
        _ => Symbol {
            shape: style.marker,
            radius: style.radius_pts,
            fill: style.marker_fill,
            stroke: Color::hex(0xffffff),
            stroke_width: 1.0,
            halo: None,
            legend: None,
        },
    }
}

/// The analyst's style on a symbol: shape, size, colour (categorised or fixed), and a legend
/// row naming the layer (or "layer: value"); user layers get their row even when unstyled.
fn restyle(layer: &Layer, f: &Feature, style: &style::LayerStyle, mut symbol: Symbol) -> Symbol {
    let o = layer.style.as_ref();
    if o.is_some_and(|o| o.point_shape.is_some()) {
        symbol.shape = style.marker;
    }
    if o.is_some_and(|o| o.point_size.is_some()) {
        symbol.radius = style.radius_pts;
    }
    let category = style::category_colour(layer, f);
    let colour = category.as_ref().map(|(c, _)| *c).or_else(|| o.and_then(|o| o.fill).map(Color));
    if let Some(c) = colour {
        if symbol.halo.is_some() {
            symbol.stroke = c;
            symbol.halo = Some(c.alpha(50));
        } else {
            symbol.fill = c;
        }
    }
    if style::styled(layer) || layer.kind == LayerKind::Generic {
        let (label, c) = match category {
            Some((c, label)) => (label, c),
            None => (layer.name.clone(), colour.unwrap_or(symbol.fill)),
        };
        symbol.legend = Some((style::USER_LEGEND_GROUP, label, LegendSwatch::Marker(symbol.shape, c)));
    } else if let Some((_, _, LegendSwatch::Marker(shape, _))) = &mut symbol.legend {
        *shape = symbol.shape;
    }
    symbol
}

/// Exact locations are solid; approximate ones (precision 2–3) are hollow with a soft halo.
fn symbol_with_uncertainty(
    shape: MarkerShape,
    radius: f32,
    color: Color,
    approximate: bool,
    legend: (u8, String),
) -> Symbol {
    let swatch = LegendSwatch::Marker(shape, color);
    if approximate {
        Symbol {
            shape,
            radius,
            fill: Color([255, 255, 255, 200]),
            stroke: color,
            stroke_width: 2.2,
            halo: Some(color.alpha(50)),
            legend: Some((legend.0, legend.1, swatch)),
        }
    } else {
        Symbol {
            shape,
            radius,
            fill: color,
            stroke: Color::hex(0xffffff),
            stroke_width: 1.2,
            halo: None,
            legend: Some((legend.0, legend.1, swatch)),
        }
    }
}

/// A round-numbered scale bar about 100 points long.
fn scale_bar(viewport: &Viewport) -> ScaleBar {
    let m_per_pt = viewport.metres_per_point().max(1e-6);
    let target_km = m_per_pt * 110.0 / 1000.0;
    let magnitude = 10f64.powf(target_km.log10().floor());
    let length_km = [5.0, 2.0, 1.0].iter().map(|m| m * magnitude).find(|&km| km <= target_km).unwrap_or(magnitude);
    ScaleBar { length_km, length_pts: (length_km * 1000.0 / m_per_pt) as f32 }
}

/// Legend rows, sorted by (group, label) when finished so the order is stable. A legend has a
/// handful of rows, so a linear search beats hashing and allocates only for new rows.
#[derive(Default)]
struct Legend {
    rows: Vec<(u8, String, LegendSwatch)>,
}

impl Legend {
    fn add(&mut self, group: u8, label: &str, swatch: LegendSwatch) {
        if !self.rows.iter().any(|(g, l, _)| *g == group && l == label) {
            self.rows.push((group, label.to_owned(), swatch));
        }
    }

    fn finish(mut self) -> Vec<LegendEntry> {
        self.rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        self.rows.into_iter().map(|(_, label, swatch)| LegendEntry { label, swatch }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_box_is_inside_only_when_no_edge_enters_it() {
        let edges = |ring: &[[f64; 2]]| ring.windows(2).map(|w| [w[0], w[1]]).collect::<Vec<_>>();
        let box_inside = |ring: &[[f64; 2]], c: [f64; 2], h: [f64; 2]| {
            polygon_contains(&[ring.to_vec()], c) && box_clear(&edges(ring), c, h)
        };
        let square = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]];
        assert!(box_inside(&square, [5.0, 5.0], [2.0, 1.0]));
        assert!(!box_inside(&square, [9.0, 5.0], [2.0, 1.0]), "crosses the right edge");
        // A thin spike of a neighbour pokes into the box without touching its corners.
        let notched =
            [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [5.2, 10.0], [5.0, 4.9], [4.8, 10.0], [0.0, 10.0], [0.0, 0.0]];
        assert!(!box_inside(&notched, [5.0, 4.0], [2.0, 1.0]), "the notch reaches into the box");
        assert!(segment_meets_box([-1.0, 5.0], [11.0, 5.0], [4.0, 4.0], [6.0, 6.0]));
        assert!(!segment_meets_box([-1.0, 7.0], [3.0, 9.0], [4.0, 4.0], [6.0, 6.0]));
    }

    #[test]
    fn scale_bar_is_round_and_near_100_points() {
        for zoom in [4.0, 6.0, 7.5, 9.0, 12.0] {
            let v = Viewport::centered(70.0, 37.5, zoom, [800.0, 600.0]);
            let bar = scale_bar(&v);
            let mantissa = bar.length_km / 10f64.powf(bar.length_km.log10().floor());
            assert!([1.0, 2.0, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-9), "{}", bar.length_km);
            assert!(bar.length_pts > 40.0 && bar.length_pts <= 111.0, "zoom {zoom}: {} pts", bar.length_pts);
        }
    }
}
