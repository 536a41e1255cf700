//! Editing on the map: tools, sketches, snapping and drag previews. The editor never mutates
//! the catalog; it returns [`Command::Edit`]s (an [`EditIntent`](super::EditIntent)) that the app applies through the undo history.

use egui::{Color32, Pos2, Stroke, pos2};
use serde_json::{Value, json};

use super::command::{Command, EditIntent};
use crate::edit::EditCommand;
use crate::edit::geometry::{
    VertexPath, delete_vertex, insert_vertex, move_vertex, nearest_edge, nearest_vertex, translate,
};
use crate::model::{Catalog, FeatureRef, LayerUid};
use crate::spatial::{Shape, Viewport};

/// Snapping and grabbing distance, in points.
pub const SNAP_PTS: f32 = 8.0;

/// The active editing tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Click selects; drag pans.
    Select,
    /// Drag the selected feature to move it.
    Move,
    /// Drag vertices of the selected feature; click an edge to insert one; Delete removes the
    /// vertex under the cursor.
    Vertices,
    /// Click to add a point feature.
    AddPoint,
    /// Click vertices, Enter or double-click to finish a line.
    DrawLine,
    /// Click vertices, Enter or double-click to finish a polygon.
    DrawPolygon,
    /// Draw a hole into the selected polygon.
    AddHole,
}

impl Tool {
    /// Button label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Select => "Select",
            Self::Move => "Move",
            Self::Vertices => "Vertices",
            Self::AddPoint => "Add point",
            Self::DrawLine => "Draw line",
            Self::DrawPolygon => "Draw polygon",
            Self::AddHole => "Add hole",
        }
    }

    /// Every tool, in toolbar order.
    pub const ALL: [Self; 7] =
        [Self::Select, Self::Move, Self::Vertices, Self::AddPoint, Self::DrawLine, Self::DrawPolygon, Self::AddHole];

    fn sketches(self) -> bool {
        matches!(self, Self::DrawLine | Self::DrawPolygon | Self::AddHole)
    }
}

/// A drag in progress, previewed until the button is released.
#[derive(Debug, Clone)]
enum Drag {
    Vertex { feature: usize, path: VertexPath, original: Value },
    Feature { feature: usize, start: (f64, f64), original: Value },
}

/// Editing state of the app.
#[derive(Debug, Clone)]
pub struct EditorState {
    /// The layer being edited, if any.
    pub layer: Option<LayerUid>,
    /// The active tool.
    pub tool: Tool,
    /// Vertices of the line or polygon being drawn, lon/lat.
    pub sketch: Vec<[f64; 2]>,
    /// The geometry shown while dragging.
    preview: Option<Shape>,
    drag: Option<(Drag, Value)>,
}

impl Default for EditorState {
    fn default() -> Self {
        Self { layer: None, tool: Tool::Select, sketch: Vec::new(), preview: None, drag: None }
    }
}

/// Rounds a coordinate to 7 decimals (about a centimetre), so new vertices stay readable.
fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

impl EditorState {
    /// Whether `layer` is the one being edited.
    pub fn is_editing(&self, uid: LayerUid) -> bool {
        self.layer == Some(uid)
    }

    /// Drops any sketch or drag (Esc, or the tool changed).
    pub fn cancel(&mut self) {
        self.sketch.clear();
        self.preview = None;
        self.drag = None;
    }

    /// Handles map input while editing. Returns commands and whether the pointer drag was
    /// used for editing (so the map must not pan).
    pub fn map_input(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        viewport: &Viewport,
        origin: Pos2,
        catalog: &Catalog,
        selection: Option<FeatureRef>,
    ) -> (Vec<Command>, bool) {
        let mut commands = Vec::new();
        let Some(uid) = self.layer else { return (commands, false) };
        let Some(li) = catalog.index_of(uid) else {
            self.layer = None;
            return (commands, false);
        };
        let local = |p: Pos2| [p.x - origin.x, p.y - origin.y];
        let geo_at = |p: Pos2| {
            let (lon, lat) = viewport.geo_from_screen(local(p));
            [round7(lon), round7(lat)]
        };
        let snapped = |p: Pos2| snap(catalog, viewport, local(p)).unwrap_or_else(|| geo_at(p));
        let selected_here = selection.filter(|s| s.layer == li);

        // Keys: Esc cancels, Enter finishes, Backspace drops the last sketch vertex.
        let (esc, enter, backspace, delete) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::Escape),
                i.key_pressed(egui::Key::Enter),
                i.key_pressed(egui::Key::Backspace),
                i.key_pressed(egui::Key::Delete),
            )
        });
        let typing = ui.ctx().egui_wants_keyboard_input();
        if !typing {
            if esc {
                self.cancel();
            }
            if backspace && self.tool.sketches() {
                self.sketch.pop();
            }
            if enter && self.tool.sketches() {
                commands.extend(self.finish_sketch(li, uid, catalog, selected_here));
            }
            if delete
                && self.tool == Tool::Vertices
                && let (Some(sel), Some(p)) = (selected_here, response.hover_pos())
                && let Some(cmd) = self.delete_vertex_at(catalog, sel, viewport, local(p))
            {
                commands.push(cmd);
            }
        }

        let mut consumed = false;
        match self.tool {
            Tool::Select => {}
            Tool::AddPoint => {
                if response.clicked()
                    && let Some(p) = response.interact_pointer_pos()
                {
                    let [lon, lat] = snapped(p);
                    let geometry = json!({ "type": "Point", "coordinates": [lon, lat] });
                    commands.push(Command::Edit(EditIntent::AddFeature { layer: uid, geometry }));
                }
            }
            Tool::DrawLine | Tool::DrawPolygon | Tool::AddHole => {
                if response.double_clicked() {
                    commands.extend(self.finish_sketch(li, uid, catalog, selected_here));
                } else if response.clicked()
                    && let Some(p) = response.interact_pointer_pos()
                {
                    let v = snapped(p);
                    // Clicking the first vertex again closes a polygon sketch.
                    let closes = self.tool != Tool::DrawLine
                        && self.sketch.len() >= 3
                        && self.sketch.first().is_some_and(|f| {
                            let a = viewport.screen_from_geo(f[0], f[1]);
                            let b = local(p);
                            (a[0] - b[0]).hypot(a[1] - b[1]) <= SNAP_PTS
                        });
                    if closes {
                        commands.extend(self.finish_sketch(li, uid, catalog, selected_here));
                    } else {
                        self.sketch.push(v);
                    }
                }
            }
            Tool::Move | Tool::Vertices => {
                consumed = self.drag_input(response, viewport, catalog, selected_here, &local, &geo_at, &mut commands);
                if self.tool == Tool::Vertices
                    && response.clicked()
                    && let (Some(sel), Some(p)) = (selected_here, response.interact_pointer_pos())
                    && let Some(cmd) = self.insert_vertex_at(catalog, sel, viewport, local(p), geo_at(p))
                {
                    commands.push(cmd);
                }
            }
        }
        (commands, consumed)
    }

    #[expect(clippy::too_many_arguments, reason = "one drag handler for both drag tools")]
    fn drag_input(
        &mut self,
        response: &egui::Response,
        viewport: &Viewport,
        catalog: &Catalog,
        selected: Option<FeatureRef>,
        local: &dyn Fn(Pos2) -> [f32; 2],
        geo_at: &dyn Fn(Pos2) -> [f64; 2],
        commands: &mut Vec<Command>,
    ) -> bool {
        let Some(sel) = selected else { return false };
        let Some(feature) = catalog.feature(sel) else { return false };
        let Some(geometry) = feature.geometry.clone() else { return false };
        if response.drag_started()
            && let Some(p) = response.interact_pointer_pos()
        {
            let pos = local(p);
            let drag = match self.tool {
                Tool::Vertices => nearest_vertex(&geometry, viewport, pos, SNAP_PTS).map(|path| Drag::Vertex {
                    feature: sel.feature,
                    path,
                    original: geometry.clone(),
                }),
                _ => grabs(&feature.shape, viewport, pos).then(|| {
                    let [lon, lat] = geo_at(p);
                    Drag::Feature { feature: sel.feature, start: (lon, lat), original: geometry.clone() }
                }),
            };
            self.drag = drag.map(|d| (d, geometry.clone()));
        }
        let Some((drag, _)) = self.drag.clone() else { return false };
        if let Some(p) = response.interact_pointer_pos() {
            let [lon, lat] = geo_at(p);
            let moved = match &drag {
                Drag::Vertex { path, original, .. } => move_vertex(original, path, lon, lat).ok(),
                Drag::Feature { start, original, .. } => Some(translate(original, lon - start.0, lat - start.1)),
            };
            if let Some(moved) = moved {
                self.preview = crate::io::geojson::geo_from_json(&moved).ok().map(|g| Shape::from_geo(Some(&g)));
                self.drag = Some((drag.clone(), moved));
            }
        }
        if response.drag_stopped() {
            if let Some((drag, moved)) = self.drag.take() {
                let (feature, original, what) = match drag {
                    Drag::Vertex { feature, original, .. } => (feature, original, "Move vertex"),
                    Drag::Feature { feature, original, .. } => (feature, original, "Move feature"),
                };
                if moved != original {
                    let layer = self.layer.unwrap_or_default();
                    commands.push(Command::Edit(EditIntent::Apply(
                        EditCommand::SetGeometry { layer, index: feature, geometry: moved },
                        what.to_owned(),
                    )));
                }
            }
            self.preview = None;
        }
        true
    }

    fn insert_vertex_at(
        &self,
        catalog: &Catalog,
        sel: FeatureRef,
        viewport: &Viewport,
        pos: [f32; 2],
        at: [f64; 2],
    ) -> Option<Command> {
        let geometry = catalog.feature(sel)?.geometry.clone()?;
        if nearest_vertex(&geometry, viewport, pos, SNAP_PTS).is_some() {
            return None;
        }
        let path = nearest_edge(&geometry, viewport, pos, SNAP_PTS)?;
        let new = insert_vertex(&geometry, &path, at[0], at[1]).ok()?;
        let layer = self.layer?;
        Some(Command::Edit(EditIntent::Apply(
            EditCommand::SetGeometry { layer, index: sel.feature, geometry: new },
            "Insert vertex".to_owned(),
        )))
    }

    fn delete_vertex_at(
        &self,
        catalog: &Catalog,
        sel: FeatureRef,
        viewport: &Viewport,
        pos: [f32; 2],
    ) -> Option<Command> {
        let geometry = catalog.feature(sel)?.geometry.clone()?;
        let path = nearest_vertex(&geometry, viewport, pos, SNAP_PTS)?;
        let layer = self.layer?;
        match delete_vertex(&geometry, &path) {
            Ok(new) => Some(Command::Edit(EditIntent::Apply(
                EditCommand::SetGeometry { layer, index: sel.feature, geometry: new },
                "Delete vertex".to_owned(),
            ))),
            Err(e) => Some(Command::Notify(format!("Cannot delete that vertex: {e}"))),
        }
    }

    /// Turns the sketch into a new line or polygon, or a hole of the selected polygon.
    fn finish_sketch(
        &mut self,
        _li: usize,
        uid: LayerUid,
        catalog: &Catalog,
        selected: Option<FeatureRef>,
    ) -> Vec<Command> {
        let sketch = std::mem::take(&mut self.sketch);
        let coords: Vec<Value> = sketch.iter().map(|[x, y]| json!([x, y])).collect();
        match self.tool {
            Tool::DrawLine if coords.len() >= 2 => {
                vec![Command::Edit(EditIntent::AddFeature {
                    layer: uid,
                    geometry: json!({ "type": "LineString", "coordinates": coords }),
                })]
            }
            Tool::DrawPolygon if coords.len() >= 3 => {
                vec![Command::Edit(EditIntent::AddFeature {
                    layer: uid,
                    geometry: json!({ "type": "Polygon", "coordinates": [closed_ring(coords)] }),
                })]
            }
            Tool::AddHole if coords.len() >= 3 => {
                let Some(sel) = selected else {
                    return vec![Command::Notify("Select a polygon first, then draw its hole".to_owned())];
                };
                let Some(mut geometry) = catalog.feature(sel).and_then(|f| f.geometry.clone()) else {
                    return Vec::new();
                };
                if add_hole(&mut geometry, closed_ring(coords)) {
                    vec![Command::Edit(EditIntent::Apply(
                        EditCommand::SetGeometry { layer: uid, index: sel.feature, geometry },
                        "Add hole".to_owned(),
                    ))]
                } else {
                    vec![Command::Notify("A hole can only be added to a Polygon or MultiPolygon".to_owned())]
                }
            }
            _ => {
                if !sketch.is_empty() {
                    self.sketch = sketch;
                }
                vec![Command::Notify("Not enough vertices yet: a line needs 2, a polygon 3".to_owned())]
            }
        }
    }

    /// Draws the sketch, the drag preview and the vertex handles of the selection.
    pub fn paint(
        &self,
        painter: &egui::Painter,
        origin: Pos2,
        viewport: &Viewport,
        catalog: &Catalog,
        selection: Option<FeatureRef>,
        hover: Option<Pos2>,
    ) {
        let at = |lon: f64, lat: f64| {
            let [x, y] = viewport.screen_from_geo(lon, lat);
            pos2(origin.x + x, origin.y + y)
        };
        let accent = Color32::from_rgb(255, 120, 0);
        if !self.sketch.is_empty() {
            let mut pts: Vec<Pos2> = self.sketch.iter().map(|v| at(v[0], v[1])).collect();
            if let Some(h) = hover {
                pts.push(h);
            }
            painter.add(egui::Shape::line(pts.clone(), Stroke::new(2.0, accent)));
            for p in pts.iter().take(self.sketch.len()) {
                painter.circle(*p, 4.0, Color32::WHITE, Stroke::new(1.5, accent));
            }
        }
        if let Some(shape) = &self.preview {
            super::painter::paint_highlight(painter, origin, viewport, shape, accent, 2.5);
        }
        if matches!(self.tool, Tool::Vertices | Tool::AddHole)
            && let Some(sel) = selection
            && catalog.layers.get(sel.layer).is_some_and(|l| Some(l.uid) == self.layer)
            && let Some(f) = catalog.feature(sel)
        {
            for line in f.shape.lines().iter().chain(f.shape.polygons().iter().flatten()) {
                for p in line {
                    let [x, y] = viewport.screen_from_world(*p);
                    painter.rect(
                        egui::Rect::from_center_size(pos2(origin.x + x, origin.y + y), egui::vec2(7.0, 7.0)),
                        0.0,
                        Color32::WHITE,
                        Stroke::new(1.5, accent),
                        egui::StrokeKind::Middle,
                    );
                }
            }
        }
    }
}

/// Closes a ring by repeating its first position.
fn closed_ring(mut coords: Vec<Value>) -> Vec<Value> {
    if let Some(first) = coords.first().cloned()
        && coords.last() != Some(&first)
    {
        coords.push(first);
    }
    coords
}

/// Appends `ring` as a hole to a `Polygon` (or to the first polygon of a `MultiPolygon`).
fn add_hole(geometry: &mut Value, ring: Vec<Value>) -> bool {
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let Some(coords) = geometry.get_mut("coordinates").and_then(Value::as_array_mut) else { return false };
    let rings = match kind.as_str() {
        "Polygon" => coords,
        "MultiPolygon" => match coords.first_mut().and_then(Value::as_array_mut) {
            Some(r) => r,
            None => return false,
        },
        _ => return false,
    };
    rings.push(Value::Array(ring));
    true
}

/// Whether a press at `pos` grabs the shape (on a point, near a line, inside an area).
fn grabs(shape: &Shape, viewport: &Viewport, pos: [f32; 2]) -> bool {
    crate::spatial::Probe::new(viewport, pos, crate::spatial::HitTolerance::default()).test(shape).is_some()
}

/// The nearest existing vertex of any visible layer within [`SNAP_PTS`], in lon/lat.
fn snap(catalog: &Catalog, viewport: &Viewport, pos: [f32; 2]) -> Option<[f64; 2]> {
    let world = viewport.world_from_screen(pos);
    let margin = f64::from(SNAP_PTS) / viewport.scale();
    let probe = crate::spatial::WorldRect { min: world, max: world }.expanded(margin);
    let mut best: Option<(f32, [f64; 2])> = None;
    for layer in catalog.layers.iter().filter(|l| l.visible) {
        for fi in layer.index.query(&probe) {
            let Some(f) = layer.features.get(fi) else { continue };
            let vertices = f
                .shape
                .points
                .iter()
                .chain(f.shape.lines().iter().flatten())
                .chain(f.shape.polygons().iter().flatten().flatten());
            for v in vertices {
                let [x, y] = viewport.screen_from_world(*v);
                let d = (x - pos[0]).hypot(y - pos[1]);
                if d <= SNAP_PTS && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, *v));
                }
            }
        }
    }
    best.map(|(_, v)| {
        let (lon, lat) = crate::spatial::geo_from_world(v);
        [round7(lon), round7(lat)]
    })
}
