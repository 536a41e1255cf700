//! Applying [`Command`]s: one exhaustive match over every user intent, and the layer
//! bookkeeping that follows (moves, removal, files loaded or dropped).

use std::fmt::Write as _;
use std::path::PathBuf;

use super::{AtlasApp, Level, Message};
use crate::ui::command::{Command, EditIntent};
use crate::ui::file_choice::FilePurpose;
use crate::ui::loader::LoadResult;
use crate::ui::unsaved_dialog::Pending;

impl AtlasApp {
    /// Applies one command: one exhaustive match, so a variant added to [`Command`] must be
    /// handled here (nothing falls through silently).
    pub fn apply(&mut self, command: Command) {
        match command {
            // Layer moves and removals are undone with the edits, newest first.
            Command::Edit(EditIntent::Undo) if self.layer_change_first(false) => self.undo_layer_change(),
            Command::Edit(EditIntent::Redo) if self.layer_change_first(true) => self.redo_layer_change(),
            Command::MoveLayer { layer, to } => {
                if let Some(from) = self.catalog.index_of(layer) {
                    let to = to.min(self.catalog.layers.len().saturating_sub(1));
                    if from != to {
                        self.move_layer_now(layer, to);
                        self.layer_moved(layer, from, to);
                    }
                }
            }
            Command::SetStyle(uid, style) => {
                if let Some(layer) = self.catalog.layer_by_uid_mut(uid) {
                    layer.style = style.map(|s| *s);
                    self.map.invalidate();
                }
            }
            // Editing.
            Command::Edit(EditIntent::Apply(cmd, what)) => self.run_edit(vec![cmd], &what),
            Command::Edit(EditIntent::ApplyGroup(cmds, what)) => self.run_edit(cmds, &what),
            Command::Edit(EditIntent::AddFeature { layer, geometry }) => self.add_feature(layer, geometry),
            Command::Notify(text) => self.messages.push(Message::new(Level::Info, text)),
            // Team store layers: Save pushes to the store; a role that may not edit is told why.
            Command::Edit(EditIntent::Save(uid)) if self.is_store_layer(uid) => self.team_push(uid),
            Command::Edit(EditIntent::StartEditing(uid)) if self.store_read_only(uid).is_some() => {
                let why = self.store_read_only(uid).unwrap_or_default().to_owned();
                self.messages.push(Message::new(Level::Warning, format!("This layer is read-only: {why}")));
            }
            Command::Edit(EditIntent::StartEditing(uid)) => {
                if let Some(layer) = self.catalog.layer_by_uid_mut(uid) {
                    self.editor.layer = Some(uid);
                    self.editor.tool = crate::ui::editor::Tool::Select;
                    self.editor.cancel();
                    if !layer.visible {
                        layer.visible = true;
                        self.map.invalidate();
                    }
                }
            }
            Command::Edit(EditIntent::StopEditing) => {
                self.editor.cancel();
                self.editor.layer = None;
            }
            Command::Edit(EditIntent::SetTool(tool)) => {
                self.editor.cancel();
                self.editor.tool = tool;
            }
            // The feature changes under the attribute form: its fields show the result, and
            // nothing typed before is applied over it.
            Command::Edit(EditIntent::Undo) => {
                self.form.forget_typing();
                self.undo_or_redo(false);
            }
            Command::Edit(EditIntent::Redo) => {
                self.form.forget_typing();
                self.undo_or_redo(true);
            }
            Command::Edit(EditIntent::DeleteSelected) => {
                if let Some((uid, sel)) = self.editable_selection() {
                    self.run_edit(
                        vec![crate::edit::EditCommand::DeleteFeature { layer: uid, index: sel.feature }],
                        "Delete feature",
                    );
                    self.selection = None;
                    self.hits_here.clear();
                }
            }
            Command::Edit(EditIntent::DuplicateSelected) => self.duplicate_selected(),
            Command::Edit(EditIntent::Save(uid)) => self.save(uid, None),
            Command::Edit(EditIntent::SaveAs(uid)) => {
                let suggested = self.suggested_path(uid);
                let name = suggested.file_name().map(|n| n.to_string_lossy().into_owned());
                let dir = suggested.parent().filter(|d| d.is_dir()).map(std::path::Path::to_owned);
                self.choose_file(FilePurpose::SaveLayerAs(uid), name.as_deref(), dir);
            }
            Command::Edit(EditIntent::SaveTo(uid, path)) => self.save(uid, Some(path)),
            Command::Edit(EditIntent::ShowJournal(uid)) => self.open_journal(uid),
            // Selection, layers, time and files.
            Command::Select(sel) => {
                if sel.is_none() || !sel.is_some_and(|s| self.hits_here.contains(&s)) {
                    self.hits_here.clear();
                }
                self.selection = sel;
            }
            Command::SelectHits(hits) => {
                self.selection = hits.first().copied();
                self.hits_here = hits;
            }
            Command::FlyTo(r) => {
                // A search flying elsewhere leaves nothing of the last click's list.
                if !self.hits_here.contains(&r) {
                    self.hits_here.clear();
                }
                self.selection = Some(r);
                if let Some(anchor) = self.catalog.feature(r).and_then(|f| f.shape.anchor()) {
                    self.map.fly_to(anchor, self.catalog.feature(r).and_then(|f| f.shape.bounds()));
                }
            }
            Command::SetVisible(uid, v) => {
                if let Some(layer) = self.catalog.layer_by_uid_mut(uid) {
                    layer.visible = v;
                    self.map.invalidate();
                }
                self.forget_hidden_features();
            }
            Command::SetOpacity(uid, o) => {
                if let Some(layer) = self.catalog.layer_by_uid_mut(uid) {
                    layer.opacity = o.clamp(0.0, 1.0);
                    self.map.invalidate();
                }
            }
            Command::RemoveLayer(uid) => {
                if let Some(l) = self.catalog.index_of(uid) {
                    if self.history.is_dirty(uid) {
                        self.pending = Some(Pending::RemoveLayer(uid));
                    } else {
                        self.remove_layer_now(l);
                    }
                }
            }
            Command::SetDateFields(uid, fields) => {
                if let Some(layer) = self.catalog.layer_by_uid_mut(uid) {
                    layer.date_fields = fields;
                    let problems = crate::model::assign_spans(layer);
                    if !problems.is_empty() {
                        let text = format!(
                            "{}: {} features have no usable date",
                            layer.name,
                            crate::ui::load_progress::thousands(problems.len() as u64)
                        );
                        self.messages.push(Message::new(Level::Warning, text).with_details(problems));
                    }
                    self.catalog_changed();
                }
            }
            Command::SetRange(range) => {
                // The From/To fields follow whoever set the range (a project, a bookmark).
                self.timeline.show_range(range);
                self.filter.range = range;
                self.filter.update(&self.catalog);
                self.map.invalidate();
                if let Some(sel) = self.selection
                    && !self.filter.is_shown(sel.layer, sel.feature)
                {
                    self.selection = None;
                }
                // Found walking the app: the list of a click's features kept the ones the new
                // range hides (a bin's 2016 events listed under a 2021 window).
                let filter = &self.filter;
                self.hits_here.retain(|r| filter.is_shown(r.layer, r.feature));
            }
            Command::OpenFiles(paths) => {
                for p in paths {
                    self.open_file_in_background(p);
                }
            }
            Command::Home => self.map.go_home(),
            Command::ExportAnimation => {
                self.choose_file(crate::ui::file_choice::FilePurpose::ExportAnimation, Some("playback.gif"), None);
            }
        }
    }

    /// Moves layer `uid` to position `to`, keeping the selection and the features-here list
    /// on the same features.
    pub(crate) fn move_layer_now(&mut self, uid: crate::model::LayerUid, to: usize) {
        let Some(from) = self.catalog.index_of(uid) else { return };
        if to >= self.catalog.layers.len() || from == to {
            return;
        }
        let layer = self.catalog.layers.remove(from);
        self.catalog.layers.insert(to, layer);
        let moved = |i: usize| {
            if i == from {
                to
            } else if from < to && i > from && i <= to {
                i - 1
            } else if to < from && i >= to && i < from {
                i + 1
            } else {
                i
            }
        };
        for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
            r.layer = moved(r.layer);
        }
        self.catalog_changed();
    }

    /// As for a new date range: what the map no longer shows (a hidden layer's features, after
    /// the layer list or a scene hid it) is neither selected nor listed among a click's
    /// features.
    pub(crate) fn forget_hidden_features(&mut self) {
        let layers = &self.catalog.layers;
        let shown = |r: &crate::model::FeatureRef| layers.get(r.layer).is_some_and(|l| l.visible);
        self.hits_here.retain(shown);
        if self.selection.is_some_and(|s| !shown(&s)) {
            self.selection = None;
        }
    }

    pub(crate) fn catalog_changed(&mut self) {
        self.filter.update(&self.catalog);
        self.timeline.catalog_changed(&self.catalog);
        self.map.invalidate();
    }

    pub(super) fn receive_loaded(&mut self) {
        for result in self.loader.poll() {
            match result {
                LoadResult::Layer(path, loaded, view) => {
                    let loaded = *loaded;
                    if loaded.layer.features.is_empty() && !loaded.skipped.is_empty() {
                        // Found walking the app: a CSV whose every row was refused added an
                        // empty layer to the list and the timeline.
                        let text = format!(
                            "{}: no feature could be used ({} skipped); nothing was added",
                            path.display(),
                            crate::ui::load_progress::thousands(loaded.skipped.len() as u64)
                        );
                        self.messages.push(Message::new(Level::Error, text).with_details(loaded.skipped));
                        continue;
                    }
                    let name = loaded.layer.name.clone();
                    let count = crate::ui::load_progress::thousands(loaded.layer.features.len() as u64);
                    let id = self.catalog.insert(loaded.layer);
                    // Layers at or above the new one moved up by one: keep references pointing
                    // at the same features.
                    for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
                        if r.layer >= id {
                            r.layer += 1;
                        }
                    }
                    let (level, mut text) = if loaded.skipped.is_empty() {
                        (Level::Info, format!("Opened {} as layer “{name}” ({count} features)", path.display()))
                    } else {
                        (
                            Level::Warning,
                            format!("Opened {} ({count} features); {}", path.display(), told(&loaded.skipped)),
                        )
                    };
                    // Found walking the app: one row with swapped coordinates zoomed the view
                    // of a Badakhshan export out to the Arctic.
                    if let Some((_, far @ 1..)) = view {
                        if far == 1 {
                            text.push_str(
                                "; one feature far from the rest is left out of the view (zoom out to see it)",
                            );
                        } else {
                            let far = crate::ui::load_progress::thousands(far as u64);
                            let _ = write!(
                                text,
                                "; {far} features far from the rest are left out of the view (zoom out to see them)"
                            );
                        }
                    }
                    self.messages.push(Message::new(level, text).with_details(loaded.skipped));
                    crate::ui::file_choice::remember_file(&mut self.state.recent_files, &path);
                    if let Some((b, _)) = view {
                        self.map.fit(b);
                    }
                    self.catalog_changed();
                }
                LoadResult::Failed(path, error) => {
                    let text = if error.contains(&path.display().to_string()) {
                        error
                    } else {
                        format!("{}: {error}", path.display())
                    };
                    self.messages.push(Message::new(Level::Error, text));
                }
                LoadResult::Cancelled(path) => {
                    let text = format!("Loading {} cancelled", path.display());
                    self.messages.push(Message::new(Level::Info, text));
                }
            }
        }
    }

    pub(super) fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        for p in dropped {
            self.open_file_in_background(p);
        }
    }
}

/// What a load's problem lines come to: "3 skipped", "1 note", or "2 skipped, 1 note". A line
/// that says "skipped" left a feature (or row) out; the others are notes on what was kept (a
/// number kept as text, coordinates that look swapped, a date read as a span). Found walking
/// the app: a CSV whose every row was kept, one with a note, was said to have "1 skipped".
fn told(lines: &[String]) -> String {
    let skipped = lines.iter().filter(|l| l.contains("skipped")).count();
    let notes = lines.len() - skipped;
    let n = |n: usize| crate::ui::load_progress::thousands(n as u64);
    let notes_text = format!("{} note{}", n(notes), if notes == 1 { "" } else { "s" });
    match (skipped, notes) {
        (_, 0) => format!("{} skipped", n(skipped)),
        (0, _) => notes_text,
        _ => format!("{} skipped, {notes_text}", n(skipped)),
    }
}
