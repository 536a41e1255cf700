//! Applying edits: the undo history, new features, and saving. The edit toolbar is in
//! [`super::edit_toolbar`], the unsaved-edits dialog in [`super::unsaved_dialog`].

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::app::{AtlasApp, Level, Message};
use super::command::{Command, EditIntent};
use super::jobs::{JobKind, Outcome, SaveNotes};
use crate::edit::{EditCommand, new_feature_id};
use crate::model::{Feature, FeatureRef, LayerKind, LayerSource, LayerUid};
use crate::spatial::Shape;

impl AtlasApp {
    /// Undoes (or redoes) one step — in the layer being edited, or the last step of any
    /// layer when none is — journals it, remaps the selection and says which layer it touched.
    /// A step that cannot be applied stays in the history and the error is shown.
    pub(super) fn undo_or_redo(&mut self, redo: bool) {
        let result = match (redo, self.editor.layer) {
            (false, Some(uid)) => self.history.undo_layer(&mut self.catalog, uid),
            (false, None) => self.history.undo(&mut self.catalog),
            (true, Some(uid)) => self.history.redo_layer(&mut self.catalog, uid),
            (true, None) => self.history.redo(&mut self.catalog),
        };
        match result {
            Ok(None) => {}
            Ok(Some(step)) => {
                let (action, past) = if redo { ("Redo", "Redid") } else { ("Undo", "Undid") };
                self.remap_refs(&step.applied);
                for &uid in &step.layers {
                    self.journal_edit(uid, action, None, step.description.clone());
                    if !self.history.is_dirty(uid) {
                        // Back to what is on disk: its autosave would offer stale edits.
                        self.discard_recovery(uid);
                    }
                }
                self.after_edit();
                let text = format!("{past}: {} in {}", step.description, self.layer_names(&step.layers));
                self.messages.push(Message::new(Level::Info, text));
            }
            Err(e) => {
                let text = format!("{e} (in {}); the step is kept", self.layer_names(e.layers()));
                self.messages.push(Message::new(Level::Error, text));
            }
        }
    }

    /// The names of layers, for messages ("Security events, Places").
    fn layer_names(&self, uids: &[LayerUid]) -> String {
        let names: Vec<String> = uids
            .iter()
            .map(|&uid| {
                self.catalog
                    .index_of(uid)
                    .and_then(|i| self.catalog.layers.get(i))
                    .map_or_else(|| format!("removed layer #{uid}"), |l| l.name.clone())
            })
            .collect();
        names.join(", ")
    }

    /// Keeps the selection and the co-located hits on the same features after `applied`
    /// commands inserted or deleted features; references to deleted features are dropped.
    pub(crate) fn remap_refs(&mut self, applied: &[EditCommand]) {
        let catalog = &self.catalog;
        let remap = |r: FeatureRef| -> Option<FeatureRef> {
            let uid = catalog.layers.get(r.layer)?.uid;
            let feature = applied.iter().try_fold(r.feature, |i, cmd| cmd.remap(uid, i))?;
            Some(FeatureRef { layer: r.layer, feature })
        };
        self.selection = self.selection.and_then(remap);
        self.hits_here = self.hits_here.iter().filter_map(|r| remap(*r)).collect();
    }

    /// What the journal records about one command: the layer, the feature id, a detail.
    fn journal_detail(&self, cmd: &EditCommand) -> (LayerUid, Option<String>, String) {
        let uid = cmd.layer();
        let layer = self.catalog.index_of(uid).and_then(|li| self.catalog.layers.get(li));
        let feature = layer.and_then(|l| l.features.get(cmd.index()));
        let id = |f: Option<&crate::model::FeatureView<'_>>| f.and_then(|f| f.id.as_ref()).map(ToString::to_string);
        let (uid, id, detail) = match cmd {
            EditCommand::AddFeature { feature, .. } => {
                (uid, feature.id.as_ref().map(ToString::to_string), "added".to_owned())
            }
            EditCommand::DeleteFeature { .. } => (uid, id(feature.as_ref()), "deleted".to_owned()),
            EditCommand::SetProperty { key, value, .. } => {
                let old = feature
                    .as_ref()
                    .and_then(|f| f.properties.get(key))
                    .map_or_else(|| "—".to_owned(), ToString::to_string);
                let new = value.as_ref().map_or_else(|| "(removed)".to_owned(), ToString::to_string);
                // "->", not an arrow: the app's font has no arrow glyph.
                (uid, id(feature.as_ref()), format!("{key}: {old} -> {new}"))
            }
            _ => (uid, id(feature.as_ref()), "geometry changed".to_owned()),
        };
        // Found walking the app: an edit of a feature without an id (every geoBoundaries
        // district) was journalled as `"feature_id":null`, naming no feature. It is named by
        // its place in the file and its name.
        let unnamed = id.is_none() && !matches!(cmd, EditCommand::AddFeature { .. });
        match (unnamed, feature.as_ref()) {
            (true, Some(f)) => {
                let name = f.display_name(layer.and_then(|l| l.label_field.as_deref()));
                (uid, id, format!("feature {} ({name}): {detail}", cmd.index() + 1))
            }
            _ => (uid, id, detail),
        }
    }

    /// The selection when it is in the layer being edited.
    pub(super) fn editable_selection(&self) -> Option<(LayerUid, FeatureRef)> {
        let sel = self.selection?;
        let uid = self.catalog.layers.get(sel.layer)?.uid;
        self.editor.is_editing(uid).then_some((uid, sel))
    }

    /// Applies commands as one undo step; an event point that moves carries its latitude and
    /// longitude properties along so the ACLED columns never disagree with the map.
    pub(super) fn run_edit(&mut self, mut cmds: Vec<EditCommand>, what: &str) {
        let mut follow = Vec::new();
        for cmd in &cmds {
            if let EditCommand::SetGeometry { layer, index, geometry } = cmd
                && let Some(li) = self.catalog.index_of(*layer)
                && self.catalog.layers[li].kind == LayerKind::Events
                && geometry.get("type").and_then(Value::as_str) == Some("Point")
                && let Some([lon, lat]) = geometry
                    .get("coordinates")
                    .and_then(Value::as_array)
                    .and_then(|c| Some([c.first()?.as_f64()?, c.get(1)?.as_f64()?]))
            {
                for (key, v) in [("longitude", lon), ("latitude", lat)] {
                    follow.push(EditCommand::SetProperty {
                        layer: *layer,
                        index: *index,
                        key: key.to_owned(),
                        value: Some(json!(v)),
                    });
                }
            }
        }
        cmds.extend(follow);
        let journal: Vec<(LayerUid, Option<String>, String)> = cmds.iter().map(|c| self.journal_detail(c)).collect();
        let applied = cmds.clone();
        match self.history.apply_group(&mut self.catalog, cmds, what) {
            Ok(()) => {
                self.remap_refs(&applied);
                for (uid, id, detail) in journal {
                    self.journal_edit(uid, what, id, detail);
                }
                self.after_edit();
            }
            Err(e) => self.messages.push(Message::new(Level::Error, format!("{what}: {e}"))),
        }
    }

    fn after_edit(&mut self) {
        if let Some(sel) = self.selection
            && self.catalog.feature(sel).is_none()
        {
            self.selection = None;
        }
        self.hits_here.retain(|r| self.catalog.feature(*r).is_some());
        self.filter.update(&self.catalog);
        self.timeline.catalog_changed(&self.catalog);
        self.map.invalidate();
    }

    /// A new feature: a fresh id and, for the two dated schemas, every field with a default.
    pub(super) fn add_feature(&mut self, uid: LayerUid, geometry: Value) {
        let Some(li) = self.catalog.index_of(uid) else { return };
        let layer = &self.catalog.layers[li];
        let (lon, lat) = point_of(&geometry).unwrap_or_default();
        let today = chrono::Local::now().date_naive().to_string();
        let (prefix, properties) = match layer.kind {
            LayerKind::Events => ("NEW-FA-", crate::model::templates::event(&today, lon, lat)),
            LayerKind::Aid => ("AID-NEW-", crate::model::templates::aid(&today)),
            _ => ("", crate::model::templates::generic(layer.features.first().map(|f| f.properties.clone()).as_ref())),
        };
        let id = new_feature_id(layer, prefix);
        let mut properties = properties;
        for key in ["event_id_cnty", "id"] {
            if let Some(slot) = properties.get_mut(key) {
                *slot = Value::String(id.to_string());
            }
        }
        let feature = Feature {
            id: Some(id),
            geometry: Some(geometry),
            properties,
            foreign_members: Map::new(),
            shape: Shape::default(),
            time: None,
        };
        let index = layer.features.len();
        let what = format!(
            "Add {}",
            feature.geometry.as_ref().and_then(|g| g.get("type")).and_then(Value::as_str).unwrap_or("feature")
        );
        self.run_edit(vec![EditCommand::AddFeature { layer: uid, index, feature: Box::new(feature) }], &what);
        if self.catalog.layers.get(li).is_some_and(|l| l.features.len() == index + 1) {
            self.selection = Some(FeatureRef { layer: li, feature: index });
            self.hits_here.clear();
            self.state.show_inspector = true;
        }
    }

    pub(super) fn duplicate_selected(&mut self) {
        let Some((uid, sel)) = self.editable_selection() else { return };
        let Some(layer) = self.catalog.layers.get(sel.layer) else { return };
        let Some(original) = layer.features.get(sel.feature) else { return };
        let mut copy = original.clone().into_owned();
        let id = new_feature_id(layer, id_prefix(&original));
        for key in ["event_id_cnty", "id"] {
            if let Some(slot) = copy.properties.get_mut(key) {
                *slot = Value::String(id.to_string());
            }
        }
        copy.id = Some(id);
        // Offset the copy a little so it does not hide exactly under the original.
        copy.geometry = copy.geometry.map(|g| crate::edit::geometry::translate(&g, 0.01, -0.01));
        let index = layer.features.len();
        self.run_edit(
            vec![EditCommand::AddFeature { layer: uid, index, feature: Box::new(copy) }],
            "Duplicate feature",
        );
        if self.catalog.layers.get(sel.layer).is_some_and(|l| l.features.len() == index + 1) {
            self.selection = Some(FeatureRef { layer: sel.layer, feature: index });
        }
    }

    /// Where a layer would be saved: its file, or for shipped layers a user copy in the app's
    /// data folder (the embedded original is never overwritten). A layer restored from a
    /// recovery file whose origin is unknown is offered the user folder too, never the
    /// recovery file.
    pub(crate) fn suggested_path(&self, uid: LayerUid) -> PathBuf {
        let Some(layer) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else {
            return PathBuf::from("layer.geojson");
        };
        match &layer.source {
            LayerSource::File(p) if self.is_recovery_file(p) => {
                self.user_layers_dir().join(format!("{}.geojson", file_stem_for(&layer.name)))
            }
            LayerSource::File(p) if is_geojson(p) => p.clone(),
            // A GeoPackage layer goes back into a GeoPackage (found walking the app: it was
            // offered a GeoJSON beside it). Its own file when it is the only layer loaded from
            // it; a file holding other tables is refused on saving (`io::open::write_layer`),
            // so a layer sharing its file is offered a file of its own.
            LayerSource::File(p) if is_geopackage(p) => {
                let shares_file = self.catalog.layers.iter().any(|l| l.uid != uid && l.source == layer.source);
                if shares_file {
                    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    p.with_file_name(format!("{stem}-{}.gpkg", file_stem_for(&layer.name)))
                } else {
                    p.clone()
                }
            }
            LayerSource::File(p) => p.with_extension("geojson"),
            LayerSource::Embedded(name) => self.user_layers_dir().join(name),
            // A local copy of a team store layer (saving itself pushes to the store).
            LayerSource::Store { .. } => self.user_layers_dir().join(format!("{}.geojson", file_stem_for(&layer.name))),
        }
    }

    /// Where Save writes `uid` without asking: its GeoJSON file, or a shipped layer's user copy;
    /// `None` when Save asks where (a CSV import, a GeoPackage table, an orphaned recovery).
    pub(crate) fn save_target(&self, uid: LayerUid) -> Option<PathBuf> {
        let layer = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i))?;
        match &layer.source {
            LayerSource::File(p) if is_geojson(p) && !self.is_recovery_file(p) => Some(p.clone()),
            LayerSource::Embedded(_) => Some(self.suggested_path(uid)),
            LayerSource::File(_) | LayerSource::Store { .. } => None,
        }
    }

    /// Where user copies of shipped layers go.
    pub(crate) fn user_layers_dir(&self) -> PathBuf {
        self.user_dir.join("layers")
    }

    /// Whether `path` is one of the recovery store's own files.
    fn is_recovery_file(&self, path: &Path) -> bool {
        self.safety.store.as_ref().is_some_and(|s| s.holds(path))
    }

    /// Saves a layer on a worker thread: to `to`, else to its GeoJSON file, else (a shipped
    /// layer) to its user copy; a CSV import or a layer of unknown origin asks where. Editing
    /// goes on meanwhile; the outcome arrives in [`AtlasApp::on_saved`].
    pub(super) fn save(&mut self, uid: LayerUid, to: Option<PathBuf>) {
        let Some(layer) = self.catalog.index_of(uid).and_then(|li| self.catalog.layers.get(li)) else { return };
        let Some(path) = to.or_else(|| self.save_target(uid)) else {
            self.apply(Command::Edit(EditIntent::SaveAs(uid)));
            return;
        };
        if self.is_recovery_file(&path) {
            let text = format!(
                "{} is a recovery file, which is deleted once its edits are saved; use Save as to choose a file",
                path.display()
            );
            self.messages.push(Message::new(Level::Error, text));
            return;
        }
        if self.jobs.busy(JobKind::Save, Some(uid)) {
            let text = format!("{} is still being saved; save again when it is done", layer.name);
            self.messages.push(Message::new(Level::Info, text));
            return;
        }
        let snapshot = super::jobs::snapshot(layer);
        let generation = self.history.generation(uid);
        let entries = self.safety.journal.get(&uid).cloned().unwrap_or_default();
        let private_dir = path.parent().is_some_and(|d| d == self.user_layers_dir());
        let label = format!("saving {}", layer.name);
        self.jobs.spawn(JobKind::Save, label, Some(uid), self.now_secs, move || {
            let result = write_layer(&snapshot, &path, private_dir, &entries);
            Outcome::Saved { uid, generation, path, journalled: entries.len(), result }
        });
    }

    /// A save finished. On success the layer is clean if nothing was edited meanwhile, its
    /// file is the one just written, its journal entries are out of the pending list, and
    /// its recovery files — now that the save is durable — are deleted. On failure the edits
    /// stay in memory and are autosaved at once.
    pub(crate) fn on_saved(
        &mut self,
        uid: LayerUid,
        generation: u64,
        path: &Path,
        journalled: usize,
        result: Result<SaveNotes, String>,
    ) {
        // The layer may have gone meanwhile (removed, another project opened): the file was
        // still written, and its recovery files are still to be cleaned up.
        let layer = self.catalog.index_of(uid).and_then(|li| self.catalog.layers.get_mut(li));
        match result {
            Ok(SaveNotes { not_kept, journal_problem }) => {
                let name = match layer {
                    Some(layer) => {
                        layer.source = LayerSource::File(path.to_owned());
                        self.history.mark_saved_generation(uid, generation);
                        layer.name.clone()
                    }
                    None => "a layer since closed".to_owned(),
                };
                // An earlier failed save of this layer (a read-only file, then Save As) no
                // longer holds.
                self.messages.retain(|m| m.save_failure_of != Some(uid));
                crate::ui::file_choice::remember_file(&mut self.state.recent_files, path);
                let text = format!("Saved {name} to {}", path.display());
                let level = if not_kept.is_empty() { Level::Info } else { Level::Warning };
                self.messages.push(Message::new(level, text).with_details(not_kept));
                match journal_problem {
                    None => {
                        if let Some(pending) = self.safety.journal.get_mut(&uid) {
                            pending.drain(..journalled.min(pending.len()));
                        }
                    }
                    Some(problem) => self.messages.push(Message::new(Level::Warning, problem)),
                }
                self.discard_recovery(uid);
                if self.safety.journal_open == Some(uid) {
                    self.open_journal(uid);
                }
            }
            Err(e) => {
                // Keep the edits in memory and, right now, in the recovery file too.
                self.safety.due = true;
                self.autosave(f64::INFINITY);
                let read_only = e.contains(crate::io::atomic::READ_ONLY);
                self.messages.push(
                    Message::new(Level::Error, format!("{e} — the edits are kept in memory and in the recovery file"))
                        .cleared_by_saving(uid),
                );
                // The file was made read-only on purpose: offer another name at once.
                if read_only && self.catalog.index_of(uid).is_some() {
                    self.apply(Command::Edit(EditIntent::SaveAs(uid)));
                }
            }
        }
    }

    /// Names of layers with unsaved edits.
    pub fn dirty_layers(&self) -> Vec<(LayerUid, String)> {
        self.catalog.layers.iter().filter(|l| self.history.is_dirty(l.uid)).map(|l| (l.uid, l.name.clone())).collect()
    }
}

/// The worker's half of a save: the folder (private when it is the app's own), the layer
/// through [`crate::io::open::write_layer`] (the one writer: GeoJSON, GeoPackage refusing to
/// drop other tables, CSV; atomically), then the journal entries beside it.
fn write_layer(
    layer: &crate::model::Layer,
    path: &Path,
    private_dir: bool,
    entries: &[crate::io::journal::JournalEntry],
) -> Result<SaveNotes, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let made = if private_dir { crate::io::private::create_private_dir(dir) } else { std::fs::create_dir_all(dir) };
        made.map_err(|e| {
            format!("cannot create the folder {}: {e}; the edits are still here, unsaved", dir.display())
        })?;
    }
    let not_kept = crate::io::open::write_layer(layer, path)?;
    let journal_problem = if entries.is_empty() {
        None
    } else {
        crate::io::journal::append_journal(path, entries).err().map(|e| format!("the layer saved, but {e}"))
    };
    Ok(SaveNotes { not_kept, journal_problem })
}

/// A layer name as a file name: letters, digits, `-` and `_` kept, the rest `_`.
fn file_stem_for(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if s.trim_matches('_').is_empty() { "layer".to_owned() } else { s }
}

/// Files a layer is saved back to without asking: GeoJSON. (A GeoPackage may hold other
/// tables, so a layer from one always goes through Save as.)
fn is_geojson(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("geojson") || e.eq_ignore_ascii_case("json"))
}

fn is_geopackage(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
}

/// The app's own data folder (user copies of shipped layers, recovery files).
pub fn user_data_dir() -> PathBuf {
    eframe::storage_dir("Frontier Atlas").unwrap_or_else(|| std::env::temp_dir().join("frontier-atlas"))
}

fn point_of(geometry: &Value) -> Option<(f64, f64)> {
    if geometry.get("type")?.as_str()? != "Point" {
        return None;
    }
    let c = geometry.get("coordinates")?.as_array()?;
    Some((c.first()?.as_f64()?, c.get(1)?.as_f64()?))
}

fn id_prefix(f: &Feature) -> &'static str {
    match f.id.as_ref().map(ToString::to_string) {
        Some(s) if s.starts_with("AID-") => "AID-NEW-",
        Some(s) if s.contains("-FA-") => "NEW-FA-",
        _ => "",
    }
}
