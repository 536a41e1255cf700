//! The map widget: pan, zoom, click-to-select, hover names, and the scene drawn by egui.

use super::command::Command;
use super::editor::{EditorState, Tool};
use super::painter::{paint_highlight, paint_scene};
use crate::geodata::HOME_BBOX;
use crate::model::{Catalog, FeatureRef, TimeFilter, hit_test, hit_test_all};
use crate::render::density::{DensityLayer, members_at};
use crate::render::{Scene, SceneOptions, build_scene};
use crate::spatial::{HitTolerance, Viewport, WorldRect};

/// The closest zoom that fitting a layer's bounds goes to (about a district).
pub const MAX_FIT_ZOOM: f64 = 10.0;

/// Runtime state of the map (not the data it shows).
pub struct MapViewState {
    /// The current view.
    pub viewport: Viewport,
    /// Where the cursor is, in degrees.
    pub cursor_geo: Option<(f64, f64)>,
    /// The feature under the cursor.
    pub hover: Option<FeatureRef>,
    /// Whether the view came from persisted state (so the first frame keeps it).
    pub restored: bool,
    /// Top-left corner of the map on screen, in points (for tests and tools).
    pub screen_origin: [f32; 2],
    fly: Option<(Viewport, f64)>,
    sized: bool,
    cache: Option<(CacheKey, Scene)>,
    generation: u64,
}

#[derive(Clone, Copy, PartialEq)]
struct CacheKey {
    viewport: Viewport,
    generation: u64,
}

impl MapViewState {
    /// The layers (by position) the last drawn scene shows as densities.
    pub fn density_layers(&self) -> Vec<usize> {
        self.cache.as_ref().map_or_else(Vec::new, |(_, scene)| scene.density.iter().map(|d| d.layer).collect())
    }

    /// Counts every change to what the map shows (data, visibility, range): results derived
    /// from the catalog can be kept while it is unchanged.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The scene drawn last (for tests).
    pub fn scene(&self) -> Option<&Scene> {
        self.cache.as_ref().map(|(_, scene)| scene)
    }

    /// A map state starting at `viewport`.
    pub fn new(viewport: Viewport) -> Self {
        Self {
            viewport,
            cursor_geo: None,
            hover: None,
            restored: false,
            screen_origin: [0.0, 0.0],
            fly: None,
            sized: false,
            cache: None,
            generation: 0,
        }
    }

    /// Forces the scene to be rebuilt (data, visibility or filter changed).
    pub fn invalidate(&mut self) {
        self.generation += 1;
    }

    /// Back to the frontier overview.
    pub fn go_home(&mut self) {
        let target = Viewport::fit_bbox(HOME_BBOX, self.viewport.size_pts);
        self.fly = Some((target, 0.0));
    }

    /// Where the map is flying to, while it is ([`Self::fit`], [`Self::fly_to`]).
    pub fn flying_to(&self) -> Option<Viewport> {
        self.fly.map(|(target, _)| target)
    }

    /// Frames a world rectangle, never closer than [`MAX_FIT_ZOOM`] (a single point would
    /// otherwise zoom to street level).
    pub fn fit(&mut self, rect: WorldRect) {
        let margin = (rect.max[0] - rect.min[0]).max(rect.max[1] - rect.min[1]) * 0.05;
        let mut target = Viewport::fit_world(rect.expanded(margin), self.viewport.size_pts);
        target.zoom = (target.zoom - 0.1).min(MAX_FIT_ZOOM);
        self.fly = Some((target, 0.0));
    }

    /// Flies to a feature: centred on `anchor`, zoomed to its bounds but at least to zoom 9.
    pub fn fly_to(&mut self, anchor: [f64; 2], bounds: Option<WorldRect>) {
        let mut target = self.viewport;
        target.center = anchor;
        let fit_zoom = bounds
            .filter(|b| b.max[0] - b.min[0] > 1e-6)
            .map_or(9.5, |b| Viewport::fit_world(b, self.viewport.size_pts).zoom - 0.3);
        target.zoom =
            fit_zoom.clamp(5.0, 11.0).max(if bounds.is_some_and(|b| b.max[0] - b.min[0] > 1e-6) { 5.0 } else { 9.5 });
        self.fly = Some((target, 0.0));
    }

    /// Sets the zoom the running fly animation ends at.
    pub fn set_fly_zoom(&mut self, zoom: f64) {
        if let Some((target, _)) = &mut self.fly {
            target.zoom = zoom;
        }
    }

    /// Whether a fly animation is running.
    pub fn is_flying(&self) -> bool {
        self.fly.is_some()
    }

    fn step_fly(&mut self, dt_secs: f64) {
        let Some((target, t)) = self.fly else { return };
        let t = (t + dt_secs / 0.6).min(1.0);
        let ease = 1.0 - (1.0 - t).powi(3);
        let v = &mut self.viewport;
        v.center[0] += (target.center[0] - v.center[0]) * ease;
        v.center[1] += (target.center[1] - v.center[1]) * ease;
        v.zoom += (target.zoom - v.zoom) * ease;
        self.fly = if t >= 1.0 {
            *v = Viewport { size_pts: v.size_pts, ..target };
            None
        } else {
            Some((target, t))
        };
    }
}

/// The map widget for one frame.
pub struct MapView<'a> {
    /// The layers.
    pub catalog: &'a Catalog,
    /// The date filter.
    pub filter: &'a TimeFilter,
    /// The selection to highlight.
    pub selection: Option<FeatureRef>,
    /// Whether the legend is drawn over the map (View → Legend, or its own hide button).
    pub legend: &'a mut bool,
    /// The corner it is drawn in (View → Legend position).
    pub legend_corner: crate::render::LegendCorner,
}

/// Tools whose clicks draw instead of selecting.
fn click_draws(editor: &EditorState) -> bool {
    editor.layer.is_some() && matches!(editor.tool, Tool::AddPoint | Tool::DrawLine | Tool::DrawPolygon | Tool::AddHole)
}

impl MapView<'_> {
    /// Draws the map filling `ui` and handles its input.
    pub fn ui(self, ui: &mut egui::Ui, state: &mut MapViewState, editor: &mut EditorState) -> Vec<Command> {
        let mut commands = Vec::new();
        let rect = ui.available_rect_before_wrap();
        let response = ui.allocate_rect(rect, egui::Sense::click_and_drag()).on_hover_cursor(egui::CursorIcon::Grab);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Map"));
        let size = [rect.width().max(1.0), rect.height().max(1.0)];
        state.screen_origin = [rect.min.x, rect.min.y];
        if !state.sized {
            if !state.restored {
                state.viewport = Viewport::fit_bbox(HOME_BBOX, size);
            }
            state.sized = true;
        }
        state.viewport.size_pts = size;
        let local = |p: egui::Pos2| [p.x - rect.min.x, p.y - rect.min.y];

        // Editing first: it may claim the drag (moving a vertex must not pan the map).
        let (edit_commands, drag_claimed) =
            editor.map_input(ui, &response, &state.viewport, rect.min, self.catalog, self.selection);
        let edited = !edit_commands.is_empty();
        commands.extend(edit_commands);

        // Input.
        if response.dragged() && !drag_claimed {
            let d = response.drag_delta();
            state.viewport.pan_by_screen([d.x, d.y]);
            state.fly = None;
        }
        if let Some(pointer) = response.hover_pos() {
            let (scroll, zoom_delta) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let mut dz = f64::from(scroll) / 200.0;
            if (zoom_delta - 1.0).abs() > 1e-4 {
                dz += f64::from(zoom_delta.log2());
            }
            if dz.abs() > 1e-6 {
                state.viewport.zoom_at(dz, local(pointer));
                state.fly = None;
            }
            state.cursor_geo = Some(state.viewport.geo_from_screen(local(pointer)));
        } else {
            state.cursor_geo = None;
        }
        if response.double_clicked()
            && let Some(p) = response.interact_pointer_pos()
        {
            state.viewport.zoom_at(1.0, local(p));
        }
        keyboard(ui, state);
        let dt = f64::from(ui.input(|i| i.stable_dt)).min(0.1);
        state.step_fly(dt);
        if state.is_flying() {
            ui.ctx().request_repaint();
        }

        // Layers drawn as densities are hit by bin, not by point.
        let density: &[DensityLayer] = state.cache.as_ref().map_or(&[], |(_, scene)| &scene.density);
        let is_shown = |l: usize, f: usize| !density.iter().any(|d| d.layer == l) && self.filter.is_shown(l, f);
        // Found walking the app: the pointer over the legend showed the names of the features
        // under it, and a click there selected one. The legend (as last drawn) takes neither;
        // the map still pans and zooms under it.
        let legend = state
            .cache
            .as_ref()
            .filter(|_| *self.legend)
            .and_then(|(_, scene)| super::painter::legend_rect(rect.min, scene, self.legend_corner));
        let on_map = |p: &egui::Pos2| !legend.is_some_and(|r| r.contains(*p));
        // A count badge (as last drawn) stands for its symbol.
        let aim = |p: egui::Pos2| state.cache.as_ref().map_or(local(p), |(_, scene)| scene.aim(local(p)));
        let hover = response
            .hover_pos()
            .filter(on_map)
            .and_then(|p| hit_test(&self.catalog.layers, &state.viewport, aim(p), HitTolerance::default(), is_shown));
        if response.clicked()
            && !edited
            && !click_draws(editor)
            && let Some(p) = response.interact_pointer_pos().filter(on_map)
        {
            let hits = hits_in_every_layer(&self.catalog.layers, &state.viewport, aim(p), is_shown);
            let mut hits = with_bin_members(hits, self.catalog, density, Some(self.filter), &state.viewport, local(p));
            // Found walking the app: editing districts, a click inside one selected the river
            // drawn over it (or a density bin). The layer being edited is hit first; the rest
            // follow in the list of what is here.
            if let Some(li) = editor.layer.and_then(|uid| self.catalog.index_of(uid)) {
                let tol = HitTolerance::default();
                let own =
                    hit_test_all(&self.catalog.layers, &state.viewport, aim(p), tol, |l, f| l == li && is_shown(l, f));
                if !own.is_empty() {
                    hits.retain(|r| r.layer != li);
                    hits.splice(0..0, own);
                }
            }
            commands.push(Command::SelectHits(hits));
        }
        state.hover = hover;

        // Scene, rebuilt only when the view or the data changed.
        let key = CacheKey { viewport: state.viewport, generation: state.generation };
        if state.cache.as_ref().is_none_or(|(k, _)| *k != key) {
            let options = SceneOptions { filter: Some(self.filter), ..SceneOptions::default() };
            state.cache = Some((key, build_scene(self.catalog, &state.viewport, &options)));
        }
        let painter = ui.painter_at(rect);
        if let Some((_, scene)) = &state.cache {
            paint_scene(&painter, rect.min, scene, None);
        }
        if let Some(sel) = self.selection
            && let Some(f) = self.catalog.feature(sel)
        {
            paint_highlight(&painter, rect.min, &state.viewport, &f.shape, egui::Color32::from_rgb(0, 200, 255), 3.0);
        }
        editor.paint(&painter, rect.min, &state.viewport, self.catalog, self.selection, response.hover_pos());
        if let Some(h) = state.hover
            && Some(h) != self.selection
            && let Some(f) = self.catalog.feature(h)
        {
            paint_highlight(
                &painter,
                rect.min,
                &state.viewport,
                &f.shape,
                egui::Color32::from_rgba_unmultiplied(255, 255, 255, 200),
                2.0,
            );
            if let Some(layer) = self.catalog.layers.get(h.layer) {
                let name = f.display_name(layer.label_field.as_deref());
                response.clone().on_hover_text_at_pointer(format!("{name}  ·  {}", layer.name));
            }
        } else if state.hover.is_none()
            && let Some(p) = response.hover_pos().filter(on_map)
            && let Some((_, scene)) = &state.cache
        {
            // Over a density bin: its count, as the legend classes it.
            let world = state.viewport.world_from_screen(local(p));
            let hit = scene.density.iter().rev().find_map(|d| Some((d.layer, d.count_at(world)?)));
            if let Some((li, n)) = hit
                && let Some(layer) = self.catalog.layers.get(li)
            {
                let what = if n == 1 { "feature" } else { "features" };
                response.clone().on_hover_text_at_pointer(format!(
                    "{} {what} in this hexagon  ·  {}",
                    super::load_progress::thousands(u64::from(n)),
                    layer.name
                ));
            }
        }
        // The legend over the highlights (found walking the app: the selection's ring crossed
        // its text), its hide button over it.
        if let Some((_, scene)) = &state.cache {
            if *self.legend {
                super::painter::paint_legend(&painter, rect.min, scene, self.legend_corner);
            }
            legend_toggle(ui, rect, scene, self.legend, self.legend_corner);
        }
        commands
    }
}

/// Everything a click at `pos` hits: the topmost layer's hits (points, lines or areas), then
/// the point symbols of every lower visible layer drawn at the same spot, so co-located
/// events, aid and places are all offered.
pub(crate) fn hits_in_every_layer(
    layers: &[crate::model::Layer],
    viewport: &Viewport,
    pos: [f32; 2],
    is_shown: impl Fn(usize, usize) -> bool,
) -> Vec<crate::model::FeatureRef> {
    let tol = HitTolerance::default();
    let symbol_here = |r: &crate::model::FeatureRef| {
        layers.get(r.layer).and_then(|l| l.features.get(r.feature)).is_some_and(|f| {
            f.shape.points.iter().any(|p| {
                let s = viewport.screen_from_world(*p);
                (s[0] - pos[0]).hypot(s[1] - pos[1]) <= tol.point_pts
            })
        })
    };
    let mut all = Vec::new();
    let mut done: Vec<usize> = Vec::new();
    loop {
        let hits = hit_test_all(layers, viewport, pos, tol, |l, f| !done.contains(&l) && is_shown(l, f));
        let Some(first) = hits.first() else { break };
        done.push(first.layer);
        if all.is_empty() {
            all.extend(hits);
        } else {
            all.extend(hits.into_iter().filter(|r| symbol_here(r)));
        }
    }
    all
}

/// A click's list with the members of the bin under it in the topmost density layer that has
/// one: before the point hits when that layer is drawn above them, else after.
pub(crate) fn with_bin_members(
    hits: Vec<FeatureRef>,
    catalog: &Catalog,
    density: &[DensityLayer],
    filter: Option<&TimeFilter>,
    viewport: &Viewport,
    pos: [f32; 2],
) -> Vec<FeatureRef> {
    let bin = density.iter().rev().find_map(|d| {
        let layer = catalog.layers.get(d.layer)?;
        let mut members = members_at(layer, d, filter, viewport, pos);
        sort_newest_first(layer, &mut members);
        (!members.is_empty()).then(|| members.into_iter().map(|feature| FeatureRef { layer: d.layer, feature }))
    });
    let Some(members) = bin else { return hits };
    let mut members: Vec<FeatureRef> = members.collect();
    if hits.first().is_none_or(|h| members.first().is_some_and(|m| m.layer > h.layer)) {
        members.extend(hits);
        members
    } else {
        let mut hits = hits;
        hits.append(&mut members);
        hits
    }
}

/// Same-day events read for their ids at most: reading an id costs decompressing its text
/// block (measured in a debug build: 1,582 same-day events of a 2,757-event bin took 1.8 s),
/// so bigger runs keep file order.
const ID_ORDER_BUDGET: usize = 256;

/// Orders a density bin's events as an analyst reads an incident list: newest first by start
/// day (the latest reporting is what is checked first, and ACLED's own exports come newest
/// first), undated last; events of one day by id in natural order (`AFG9` before `AFG10`),
/// then in file order. Days come from the span column (nothing decoded, fast at any size);
/// ids are read only for the events that share their day with another, in file order, and
/// only while they are at most [`ID_ORDER_BUDGET`] — past that same-day events keep file
/// order, so a bin of 10,000 events lists at once.
pub(crate) fn sort_newest_first(layer: &crate::model::Layer, members: &mut [usize]) {
    let day = |i: usize| layer.features.span(i).map(|s| s.start);
    // `Option`'s order puts `None` first; reversed, undated events go last.
    members.sort_unstable_by(|&a, &b| day(b).cmp(&day(a)).then(a.cmp(&b)));
    let mut tied: Vec<usize> = Vec::new();
    for run in members.chunk_by(|&a, &b| day(a) == day(b)) {
        if run.len() > 1 {
            tied.extend_from_slice(run);
        }
    }
    if tied.is_empty() || tied.len() > ID_ORDER_BUDGET {
        return;
    }
    tied.sort_unstable();
    let ids: Vec<Option<crate::model::FeatureId>> =
        tied.iter().map(|&i| layer.features.get(i).and_then(|f| f.id.clone())).collect();
    let id_of = |i: usize| tied.binary_search(&i).ok().and_then(|k| ids.get(k)).and_then(Option::as_ref);
    for run in members.chunk_by_mut(|&a, &b| day(a) == day(b)) {
        if run.len() > 1 {
            run.sort_by(|&a, &b| natural_id_order(id_of(a), id_of(b)).then(a.cmp(&b)));
        }
    }
}

/// Ids in the order a reader expects: numbers by value, text with its runs of digits compared
/// as numbers (`AFG9` < `AFG10`), numbers before text, missing ids last.
fn natural_id_order(a: Option<&crate::model::FeatureId>, b: Option<&crate::model::FeatureId>) -> std::cmp::Ordering {
    use crate::model::FeatureId;
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) | (Some(FeatureId::Str(_)), Some(FeatureId::Num(_))) => Ordering::Greater,
        (Some(_), None) | (Some(FeatureId::Num(_)), Some(FeatureId::Str(_))) => Ordering::Less,
        (Some(FeatureId::Num(x)), Some(FeatureId::Num(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal)
            .then_with(|| x.to_string().cmp(&y.to_string())),
        (Some(FeatureId::Str(x)), Some(FeatureId::Str(y))) => natural_text_order(x, y),
    }
}

/// `x` and `y` compared with their runs of ASCII digits as numbers (leading zeros ignored,
/// then the shorter run first), the rest character by character.
fn natural_text_order(x: &str, y: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut a, mut b) = (x, y);
    loop {
        let (Some(ca), Some(cb)) = (a.chars().next(), b.chars().next()) else {
            return a.len().cmp(&b.len()).then_with(|| x.cmp(y));
        };
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let run = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (ra, rb) = (run(a), run(b));
            let (da, db) = (a.get(..ra).unwrap_or_default(), b.get(..rb).unwrap_or_default());
            let (ta, tb) = (da.trim_start_matches('0'), db.trim_start_matches('0'));
            let order = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb)).then_with(|| ra.cmp(&rb));
            if order != Ordering::Equal {
                return order;
            }
            (a, b) = (a.get(ra..).unwrap_or_default(), b.get(rb..).unwrap_or_default());
        } else {
            if ca != cb {
                return ca.cmp(&cb);
            }
            (a, b) = (a.get(ca.len_utf8()..).unwrap_or_default(), b.get(cb.len_utf8()..).unwrap_or_default());
        }
    }
}

fn keyboard(ui: &egui::Ui, state: &mut MapViewState) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let step = 80.0;
    let center = [state.viewport.size_pts[0] / 2.0, state.viewport.size_pts[1] / 2.0];
    ui.input(|i| {
        use egui::Key;
        if i.key_pressed(Key::ArrowLeft) {
            state.viewport.pan_by_screen([step, 0.0]);
        }
        if i.key_pressed(Key::ArrowRight) {
            state.viewport.pan_by_screen([-step, 0.0]);
        }
        if i.key_pressed(Key::ArrowUp) {
            state.viewport.pan_by_screen([0.0, step]);
        }
        if i.key_pressed(Key::ArrowDown) {
            state.viewport.pan_by_screen([0.0, -step]);
        }
        if i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals) {
            state.viewport.zoom_at(0.5, center);
        }
        if i.key_pressed(Key::Minus) {
            state.viewport.zoom_at(-0.5, center);
        }
        if i.key_pressed(Key::Home) {
            state.go_home();
        }
    });
}

/// The legend's hide button (its top-right corner) or, hidden, a "Legend" button in the map's
/// top-right corner that brings it back: on a small screen the legend covers part of the map.
fn legend_toggle(
    ui: &mut egui::Ui,
    map: egui::Rect,
    scene: &crate::render::Scene,
    shown: &mut bool,
    corner: crate::render::LegendCorner,
) {
    if *shown {
        let Some(legend) = super::painter::legend_rect(map.min, scene, corner) else { return };
        let at = egui::Rect::from_min_size(egui::pos2(legend.max.x - 22.0, legend.min.y + 2.0), egui::vec2(20.0, 18.0));
        let hide = ui
            .put(
                at,
                egui::Button::new(egui::RichText::new("×").size(15.0).color(egui::Color32::from_gray(60))).frame(false),
            )
            .on_hover_text("Hide the legend (View → Legend)");
        if hide.clicked() {
            *shown = false;
        }
    } else if !scene.legend.is_empty() {
        let at = egui::Rect::from_min_size(egui::pos2(map.max.x - 80.0, map.min.y + 10.0), egui::vec2(70.0, 22.0));
        if ui.put(at, egui::Button::new("Legend")).on_hover_text("Show the legend").clicked() {
            *shown = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeatureId;
    use std::cmp::Ordering;

    #[test]
    fn ids_sort_naturally() {
        assert_eq!(natural_text_order("AFG9", "AFG10"), Ordering::Less);
        assert_eq!(natural_text_order("AFG000999", "AFG001062"), Ordering::Less);
        assert_eq!(natural_text_order("AFG010", "AFG10"), Ordering::Greater, "same value: shorter run first");
        assert_eq!(natural_text_order("TJK1", "AFG2"), Ordering::Greater);
        assert_eq!(natural_text_order("a", "a1"), Ordering::Less);
        let s = |t: &str| FeatureId::Str(t.to_owned());
        let n = |v: i64| FeatureId::Num(v.into());
        assert_eq!(natural_id_order(Some(&n(2)), Some(&n(10))), Ordering::Less);
        assert_eq!(natural_id_order(Some(&n(99)), Some(&s("1"))), Ordering::Less);
        assert_eq!(natural_id_order(None, Some(&s("1"))), Ordering::Greater);
    }
}
