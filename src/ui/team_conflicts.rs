//! The Conflicts panel of the team store (issue #12): after a push that met other analysts'
//! saves, each conflicting feature with, per field, the common base, mine and theirs; both
//! geometries drawn on the map ("theirs" dashed orange, mine blue); per field Take mine, Take
//! theirs or an edited value. Resolving a feature pushes the result as a new version (guarded
//! by theirs' version) with a journal note naming each choice.
//!
//! The resolution itself is pure ([`ConflictItem::resolve`]): fields only one side changed
//! merge as they would have, the conflicting ones take the analyst's choice.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::merge::{Cell, Field, FieldConflict, Version, geometry_eq, value_eq};
use crate::model::{Feature, FeatureId, LayerUid};

/// The foreign member the app tags each store feature with (its fid), stripped before a push.
pub const FID_MEMBER: &str = "atlas:fid";

/// The analyst's choice for one conflicting field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Not decided yet.
    Undecided,
    /// Keep my value.
    Mine,
    /// Take the store's value.
    Theirs,
    /// The value typed in the field's editor.
    Edited,
}

/// One conflicting field and what the analyst chose.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRow {
    /// The field and its three values.
    pub conflict: FieldConflict,
    /// The choice.
    pub choice: Choice,
    /// The edited value as JSON text (starts as mine).
    pub edit_text: String,
}

/// One feature in conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictItem {
    /// The feature's fid.
    pub fid: Uuid,
    /// Its name for the list.
    pub label: String,
    /// The store's current version (`None`: the store deleted it).
    pub theirs_version: Option<i64>,
    /// The content the analyst started from (`None`: mine is an insert).
    pub base: Option<Version>,
    /// The analyst's content (`None`: mine deletes it).
    pub mine: Option<Version>,
    /// The store's content (`None`: deleted there).
    pub theirs: Option<Version>,
    /// The conflicting fields.
    pub fields: Vec<FieldRow>,
}

/// The Conflicts panel of one push.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictsPanel {
    /// The store layer in the app.
    pub layer: LayerUid,
    /// Its name in the store.
    pub name: String,
    /// Features still in conflict.
    pub items: Vec<ConflictItem>,
    /// Which item is shown.
    pub current: usize,
    /// A problem with the last resolution (bad edited JSON), shown in the panel.
    pub problem: Option<String>,
}

/// A feature's content as the merge sees it (the app's fid tag left out).
pub fn version_of(f: &Feature) -> Version {
    let mut extra = Map::new();
    if let Some(id) = &f.id {
        let v = match id {
            FeatureId::Str(s) => Value::String(s.clone()),
            FeatureId::Num(n) => Value::Number(n.clone()),
        };
        extra.insert("id".to_owned(), v);
    }
    for (k, v) in &f.foreign_members {
        if k != FID_MEMBER {
            extra.insert(k.clone(), v.clone());
        }
    }
    Version { geometry: f.geometry.clone(), properties: f.properties.clone(), extra }
}

/// A feature with `v`'s content (shape computed; the date span is left for `assign_spans`),
/// tagged with `fid` when given.
pub fn feature_of(v: &Version, fid: Option<Uuid>) -> Feature {
    let mut foreign_members = v.extra.clone();
    let id = match foreign_members.shift_remove("id") {
        Some(Value::String(s)) => Some(FeatureId::Str(s)),
        Some(Value::Number(n)) => Some(FeatureId::Num(n)),
        _ => None,
    };
    if let Some(fid) = fid {
        foreign_members.insert(FID_MEMBER.to_owned(), Value::String(fid.to_string()));
    }
    let shape = v
        .geometry
        .as_ref()
        .and_then(|g| crate::io::geojson::geo_from_json(g).ok())
        .map_or_else(|| crate::spatial::Shape::from_geo(None), |g| crate::spatial::Shape::from_geo(Some(&g)));
    Feature { id, geometry: v.geometry.clone(), properties: v.properties.clone(), foreign_members, shape, time: None }
}

/// The fid a feature was tagged with, if any.
pub fn fid_of(f: &Feature) -> Option<Uuid> {
    f.foreign_members.get(FID_MEMBER).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

fn cell_eq(a: &Cell, b: &Cell, geometry: bool) -> bool {
    match (a, b) {
        (Cell::Value(x), Cell::Value(y)) => {
            if geometry {
                geometry_eq(x, y)
            } else {
                value_eq(x, y)
            }
        }
        (Cell::Deleted, Cell::Deleted) | (Cell::Absent, Cell::Absent) => true,
        _ => false,
    }
}

fn cell_of(v: Option<&Version>, field: &Field) -> Cell {
    let Some(v) = v else { return Cell::Deleted };
    let value = match field {
        Field::Geometry => v.geometry.clone(),
        Field::Property(k) => v.properties.get(k).cloned(),
        Field::Extra(k) => v.extra.get(k).cloned(),
    };
    value.map_or(Cell::Absent, Cell::Value)
}

fn set_cell(v: &mut Version, field: &Field, cell: Cell) {
    let value = match cell {
        Cell::Value(x) => Some(x),
        Cell::Absent | Cell::Deleted => None,
    };
    match (field, value) {
        (Field::Geometry, g) => v.geometry = g,
        (Field::Property(k), Some(x)) => {
            v.properties.insert(k.clone(), x);
        }
        (Field::Property(k), None) => {
            v.properties.shift_remove(k);
        }
        (Field::Extra(k), Some(x)) => {
            v.extra.insert(k.clone(), x);
        }
        (Field::Extra(k), None) => {
            v.extra.shift_remove(k);
        }
    }
}

/// Every field of the three sides: geometry, then properties (theirs' order, then mine's and
/// base's new keys), then other members.
fn all_fields(sides: [Option<&Version>; 3]) -> Vec<Field> {
    let mut fields = vec![Field::Geometry];
    for v in sides.iter().flatten() {
        for k in v.properties.keys() {
            let f = Field::Property(k.clone());
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
    }
    for v in sides.iter().flatten() {
        for k in v.extra.keys() {
            let f = Field::Extra(k.clone());
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
    }
    fields
}

impl FieldRow {
    /// A row for `conflict`, undecided, its editor starting from mine.
    pub fn new(conflict: FieldConflict) -> Self {
        let edit_text = match &conflict.mine {
            Cell::Value(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
            _ => String::new(),
        };
        Self { conflict, choice: Choice::Undecided, edit_text }
    }

    /// The chosen value.
    fn chosen(&self) -> Result<Cell, String> {
        match self.choice {
            Choice::Undecided => Err(format!("{}: choose mine, theirs or an edited value", self.conflict.field)),
            Choice::Mine => Ok(self.conflict.mine.clone()),
            Choice::Theirs => Ok(self.conflict.theirs.clone()),
            Choice::Edited if self.edit_text.trim().is_empty() => Ok(Cell::Absent),
            Choice::Edited => serde_json::from_str::<Value>(&self.edit_text).map(Cell::Value).map_err(|e| {
                format!("{}: the edited value is not JSON ({e}); strings need quotes", self.conflict.field)
            }),
        }
    }

    /// `field: mine → theirs` as the journal note says what was chosen.
    fn note(&self) -> String {
        let what = match self.choice {
            Choice::Mine => format!("kept mine {}", self.conflict.mine),
            Choice::Theirs => format!("took theirs {}", self.conflict.theirs),
            Choice::Edited => format!("edited to {}", self.edit_text.split_whitespace().collect::<Vec<_>>().join(" ")),
            Choice::Undecided => "undecided".to_owned(),
        };
        format!("{}: {what}", self.conflict.field)
    }
}

impl ConflictItem {
    /// Whether the conflict is about the feature's existence (one side deleted it).
    pub fn is_delete_conflict(&self) -> bool {
        self.mine.is_none() || self.theirs.is_none()
    }

    /// The feature as resolved: `None` deletes it. Fields only one side changed take that
    /// side's value; the conflicting ones the analyst's choice. Fails while a field is
    /// undecided or an edited value is not JSON.
    pub fn resolve(&self) -> Result<Option<Version>, String> {
        let chosen: Vec<(Field, Cell)> =
            self.fields.iter().map(|r| r.chosen().map(|c| (r.conflict.field.clone(), c))).collect::<Result<_, _>>()?;
        if self.is_delete_conflict() {
            // One side deleted it: the choice on any field decides whether it lives.
            let deleted_side_chosen = match (&self.mine, &self.theirs) {
                (None, _) => self.fields.iter().all(|r| r.choice == Choice::Mine),
                (_, None) => self.fields.iter().all(|r| r.choice == Choice::Theirs),
                _ => false,
            };
            if deleted_side_chosen {
                return Ok(None);
            }
        }
        let (base, mine, theirs) = (self.base.as_ref(), self.mine.as_ref(), self.theirs.as_ref());
        let mut out = theirs.or(mine).cloned().unwrap_or_default();
        for field in all_fields([theirs, mine, base]) {
            let geometry = field == Field::Geometry;
            let cell = if let Some((_, c)) = chosen.iter().find(|(f, _)| *f == field) {
                c.clone()
            } else {
                let (b, m, t) = (cell_of(base, &field), cell_of(mine, &field), cell_of(theirs, &field));
                // A side that does not exist contributes the other's value.
                if mine.is_none() {
                    t
                } else if theirs.is_none() || cell_eq(&t, &b, geometry) {
                    m
                } else {
                    t
                }
            };
            set_cell(&mut out, &field, cell);
        }
        Ok(Some(out))
    }

    /// The journal note of this resolution.
    pub fn note(&self) -> String {
        let choices: Vec<String> = self.fields.iter().map(FieldRow::note).collect();
        format!("Resolved conflict on {}: {}", self.label, choices.join("; "))
    }
}

/// Paths (lines, rings) and points of a GeoJSON geometry, in lon/lat.
pub fn geometry_parts(g: &Value) -> (Vec<[f64; 2]>, Vec<Vec<[f64; 2]>>) {
    fn pos(v: &Value) -> Option<[f64; 2]> {
        let a = v.as_array()?;
        Some([a.first()?.as_f64()?, a.get(1)?.as_f64()?])
    }
    fn path(v: &Value) -> Vec<[f64; 2]> {
        v.as_array().map(|a| a.iter().filter_map(pos).collect()).unwrap_or_default()
    }
    let (mut points, mut paths) = (Vec::new(), Vec::new());
    let coords = g.get("coordinates");
    let arr = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    match g.get("type").and_then(Value::as_str) {
        Some("Point") => points.extend(coords.and_then(pos)),
        Some("MultiPoint") => points.extend(arr(coords).iter().filter_map(pos)),
        Some("LineString") => paths.extend(coords.map(path)),
        Some("MultiLineString" | "Polygon") => paths.extend(arr(coords).iter().map(path)),
        Some("MultiPolygon") => {
            for poly in arr(coords) {
                paths.extend(arr(Some(&poly)).iter().map(path));
            }
        }
        Some("GeometryCollection") => {
            for part in arr(g.get("geometries")) {
                let (p, l) = geometry_parts(&part);
                points.extend(p);
                paths.extend(l);
            }
        }
        _ => {}
    }
    (points, paths)
}

/// What the panel asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelAction {
    /// Push the resolution of item `i`.
    Resolve(usize),
    /// Fly the map to item `i`'s geometries.
    Show(usize),
    /// Close the panel (conflicts stay unresolved; the next save meets them again).
    Close,
}

/// Colour of "theirs" on the map and in the panel.
pub const THEIRS_COLOUR: egui::Color32 = egui::Color32::from_rgb(0xe0, 0x6c, 0x00);
/// Colour of "mine" on the map and in the panel.
pub const MINE_COLOUR: egui::Color32 = egui::Color32::from_rgb(0x1f, 0x6f, 0xd1);

fn cell_text(c: &Cell) -> String {
    let t = c.to_string();
    if t.chars().count() > 60 { format!("{}…", t.chars().take(59).collect::<String>()) } else { t }
}

impl ConflictsPanel {
    /// Draws the panel's window; returns what the analyst asked for.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<PanelAction> {
        let mut action = None;
        let mut open = true;
        egui::Window::new("Conflicts").open(&mut open).default_width(640.0).resizable(true).show(ctx, |ui| {
            ui.label(format!(
                "{} feature(s) of “{}” were changed in the store since you opened them, in the same fields as your edits. \
                 Nothing of these was saved; choose per field, then Resolve.",
                self.items.len(),
                self.name
            ));
            ui.horizontal(|ui| {
                ui.label("On the map:");
                ui.colored_label(MINE_COLOUR, "mine solid blue,");
                ui.colored_label(THEIRS_COLOUR, "theirs dashed orange");
            });
            ui.separator();
            ui.horizontal_wrapped(|ui| {
                for (i, item) in self.items.iter().enumerate() {
                    if ui.selectable_label(i == self.current, &item.label).clicked() {
                        self.current = i;
                        action = Some(PanelAction::Show(i));
                    }
                }
            });
            ui.separator();
            let current = self.current;
            let Some(item) = self.items.get_mut(current) else { return };
            if item.is_delete_conflict() {
                let who = if item.mine.is_none() { "You deleted it; " } else { "It was deleted in the store; " };
                ui.label(format!("{who}the other side changed it. Take mine or theirs decides whether it stays."));
            }
            egui::Grid::new("conflict-fields").striped(true).num_columns(5).show(ui, |ui| {
                ui.strong("Field");
                ui.strong("Base");
                ui.colored_label(MINE_COLOUR, egui::RichText::new("Mine").strong());
                ui.colored_label(THEIRS_COLOUR, egui::RichText::new("Theirs").strong());
                ui.strong("Use");
                ui.end_row();
                for (r, row) in item.fields.iter_mut().enumerate() {
                    ui.label(row.conflict.field.to_string());
                    ui.label(cell_text(&row.conflict.base));
                    ui.colored_label(MINE_COLOUR, cell_text(&row.conflict.mine));
                    ui.colored_label(THEIRS_COLOUR, cell_text(&row.conflict.theirs));
                    ui.vertical(|ui| {
                        ui.horizontal(|ui| {
                            ui.push_id(r, |ui| {
                                if ui.radio(row.choice == Choice::Mine, "Take mine").clicked() {
                                    row.choice = Choice::Mine;
                                }
                                if ui.radio(row.choice == Choice::Theirs, "Take theirs").clicked() {
                                    row.choice = Choice::Theirs;
                                }
                                if ui.radio(row.choice == Choice::Edited, "Edit merged value").clicked() {
                                    row.choice = Choice::Edited;
                                }
                            });
                        });
                        if row.choice == Choice::Edited {
                            let label = format!("Merged value of {}", row.conflict.field);
                            ui.add(egui::TextEdit::multiline(&mut row.edit_text).desired_rows(2).code_editor())
                                .labelled_by(ui.label(egui::RichText::new(label).small()).id);
                        }
                    });
                    ui.end_row();
                }
            });
            if let Some(p) = &self.problem {
                ui.colored_label(egui::Color32::from_rgb(190, 30, 30), p);
            }
            ui.horizontal(|ui| {
                let ready = item.fields.iter().all(|r| r.choice != Choice::Undecided);
                if ui.add_enabled(ready, egui::Button::new("Resolve")).clicked() {
                    action = Some(PanelAction::Resolve(current));
                }
                if ui.button("Show on map").clicked() {
                    action = Some(PanelAction::Show(current));
                }
            });
        });
        if !open {
            action = Some(PanelAction::Close);
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(props: &Value, geom: Value) -> Version {
        Version { geometry: Some(geom), properties: props.as_object().cloned().unwrap_or_default(), extra: Map::new() }
    }

    fn item(base: Version, mine: Option<Version>, theirs: Option<Version>, fields: Vec<FieldConflict>) -> ConflictItem {
        ConflictItem {
            fid: Uuid::nil(),
            label: "post".into(),
            theirs_version: theirs.as_ref().map(|_| 3),
            base: Some(base),
            mine,
            theirs,
            fields: fields.into_iter().map(FieldRow::new).collect(),
        }
    }

    fn pt(x: f64) -> Value {
        json!({"type": "Point", "coordinates": [x, 37.0]})
    }

    #[test]
    fn resolution_takes_the_choice_for_conflicts_and_each_sides_own_changes() {
        let base = v(&json!({"name": "A", "fatalities": 1, "notes": "x"}), pt(70.0));
        let mine = v(&json!({"name": "A", "fatalities": 2, "notes": "mine"}), pt(70.0));
        let theirs = v(&json!({"name": "B", "fatalities": 1, "notes": "theirs"}), pt(71.0));
        let conflict = FieldConflict {
            field: Field::Property("notes".into()),
            base: Cell::Value(json!("x")),
            mine: Cell::Value(json!("mine")),
            theirs: Cell::Value(json!("theirs")),
        };
        let mut it = item(base, Some(mine), Some(theirs), vec![conflict]);
        assert!(it.resolve().unwrap_err().contains("notes"), "undecided fields refuse");
        it.fields[0].choice = Choice::Mine;
        let out = it.resolve().unwrap().unwrap();
        // name and geometry from theirs (only they changed them), fatalities from mine.
        assert_eq!(Value::Object(out.properties.clone()), json!({"name": "B", "fatalities": 2, "notes": "mine"}));
        assert_eq!(out.geometry, Some(pt(71.0)));
        it.fields[0].choice = Choice::Theirs;
        assert_eq!(it.resolve().unwrap().unwrap().properties["notes"], json!("theirs"));
        it.fields[0].choice = Choice::Edited;
        it.fields[0].edit_text = "\"both\"".into();
        assert_eq!(it.resolve().unwrap().unwrap().properties["notes"], json!("both"));
        assert!(it.note().contains("notes: edited to \"both\""), "{}", it.note());
        it.fields[0].edit_text = "both".into();
        assert!(it.resolve().unwrap_err().contains("not JSON"));
    }

    #[test]
    fn delete_conflicts_resolve_to_delete_or_keep() {
        let base = v(&json!({"n": 1}), pt(70.0));
        let theirs = v(&json!({"n": 2}), pt(70.0));
        let c = FieldConflict {
            field: Field::Property("n".into()),
            base: Cell::Value(json!(1)),
            mine: Cell::Deleted,
            theirs: Cell::Value(json!(2)),
        };
        let mut it = item(base.clone(), None, Some(theirs.clone()), vec![c]);
        it.fields[0].choice = Choice::Mine;
        assert_eq!(it.resolve().unwrap(), None, "mine deletes it");
        it.fields[0].choice = Choice::Theirs;
        assert_eq!(it.resolve().unwrap(), Some(theirs.clone()));
        // Theirs deleted, mine updated: taking mine brings it back.
        let mine = v(&json!({"n": 3}), pt(70.0));
        let c = FieldConflict {
            field: Field::Property("n".into()),
            base: Cell::Value(json!(1)),
            mine: Cell::Value(json!(3)),
            theirs: Cell::Deleted,
        };
        let mut it = item(base, Some(mine.clone()), None, vec![c]);
        it.fields[0].choice = Choice::Theirs;
        assert_eq!(it.resolve().unwrap(), None);
        it.fields[0].choice = Choice::Mine;
        assert_eq!(it.resolve().unwrap(), Some(mine));
    }

    #[test]
    fn features_and_versions_convert_without_the_fid_tag() {
        let fid = Uuid::new_v4();
        let ver = Version {
            geometry: Some(pt(70.5)),
            properties: json!({"a": 1}).as_object().cloned().unwrap(),
            extra: json!({"id": "X-1", "source": "r"}).as_object().cloned().unwrap(),
        };
        let f = feature_of(&ver, Some(fid));
        assert_eq!(fid_of(&f), Some(fid));
        assert_eq!(f.id, Some(FeatureId::Str("X-1".into())));
        assert!(f.shape.anchor().is_some());
        assert_eq!(version_of(&f), ver);
        let (points, paths) = geometry_parts(
            &json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.2],[0.3,0.2],[0.2,0.3],[0.2,0.2]]]}),
        );
        assert_eq!((points.len(), paths.len(), paths[0].len()), (0, 2, 4));
    }
}
