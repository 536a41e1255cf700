//! Never losing work: autosave of unsaved edits to recovery files, the offer to restore them
//! after a crash, and the per-layer edit journal written beside each saved layer.

use std::collections::HashMap;
use std::path::PathBuf;

use super::app::{AtlasApp, Level, Message};
use crate::io::journal::{JournalEntry, append_journal, journal_path, read_journal};
use crate::io::recovery::{RecoveryEntry, RecoveryStore};
use crate::model::{LayerSource, LayerUid};

/// Seconds between autosaves of layers with unsaved edits.
pub const AUTOSAVE_SECS: f64 = 5.0;

/// Recovery and journal state of the app.
#[derive(Debug, Default)]
pub struct Safety {
    /// Where autosaves go; `None` disables them (tests that do not test them).
    pub store: Option<RecoveryStore>,
    /// Autosaves found at start-up, offered for restoring.
    pub offered: Vec<RecoveryEntry>,
    /// The autosave file of each layer written this session.
    pub autosaved: HashMap<LayerUid, PathBuf>,
    /// Whether an edit happened since the last autosave.
    pub due: bool,
    /// egui time of the last autosave.
    pub last_secs: f64,
    /// Journal entries not yet written beside their layer's file.
    pub journal: HashMap<LayerUid, Vec<JournalEntry>>,
    /// The layer whose journal window is open.
    pub journal_open: Option<LayerUid>,
    /// A source note to attach to the next edits' journal entries.
    pub source_note: String,
}

impl Safety {
    /// Recovery in `dir`, offering what an earlier session left there.
    pub fn with_store(dir: PathBuf) -> Self {
        let store = RecoveryStore::new(dir);
        let offered = store.list();
        Self { store: Some(store), offered, ..Self::default() }
    }
}

impl AtlasApp {
    /// Records an applied edit in the layer's pending journal and schedules an autosave.
    pub(crate) fn journal_edit(&mut self, uid: LayerUid, action: &str, feature_id: Option<String>, detail: String) {
        let mut entry = JournalEntry::now(action, feature_id, detail);
        entry.who.clone_from(&self.state.user_name);
        let note = self.safety.source_note.trim();
        entry.source_note = (!note.is_empty()).then(|| note.to_owned());
        self.safety.journal.entry(uid).or_default().push(entry);
        self.safety.due = true;
    }

    /// Writes the pending journal beside the just-saved layer file and drops its autosave.
    pub(crate) fn after_save(&mut self, uid: LayerUid, path: &std::path::Path) {
        if let Some(entries) = self.safety.journal.remove(&uid)
            && !entries.is_empty()
            && let Err(e) = append_journal(path, &entries)
        {
            self.messages.push(Message::new(Level::Warning, format!("the layer saved, but {e}")));
            self.safety.journal.insert(uid, entries);
        }
        self.discard_autosave(uid);
    }

    fn discard_autosave(&mut self, uid: LayerUid) {
        let (Some(store), Some(data)) = (&self.safety.store, self.safety.autosaved.remove(&uid)) else { return };
        if let Some(entry) = store.list().into_iter().find(|e| e.data_path == data)
            && let Err(e) = store.discard(&entry)
        {
            let text = format!("saved, but the old recovery file {} could not be removed: {e}", data.display());
            self.messages.push(Message::new(Level::Warning, text));
        }
    }

    /// Autosaves every layer with unsaved edits, at most every [`AUTOSAVE_SECS`] (or at once
    /// with `now_secs = f64::INFINITY`).
    pub(crate) fn autosave(&mut self, now_secs: f64) {
        if !self.safety.due || now_secs - self.safety.last_secs < AUTOSAVE_SECS {
            return;
        }
        let Some(store) = &self.safety.store else { return };
        self.safety.due = false;
        self.safety.last_secs = if now_secs.is_finite() { now_secs } else { self.safety.last_secs };
        for layer in self.catalog.layers.iter().filter(|l| self.history.is_dirty(l.uid)) {
            match store.autosave(layer, &layer.source.to_string()) {
                Ok(path) => {
                    self.safety.autosaved.insert(layer.uid, path);
                }
                Err(e) => self.messages.push(Message::new(Level::Error, format!("autosave failed: {e}"))),
            }
        }
    }

    /// The window offering autosaves from an earlier session.
    pub(crate) fn recovery_ui(&mut self, ctx: &egui::Context) {
        if self.safety.offered.is_empty() {
            return;
        }
        let mut restore = None;
        let mut discard = None;
        egui::Window::new("Recover unsaved edits").collapsible(false).show(ctx, |ui| {
            ui.label("Frontier Atlas closed with edits that were never saved. They were kept in recovery files:");
            for (i, entry) in self.safety.offered.iter().enumerate() {
                ui.horizontal(|ui| {
                    match &entry.meta {
                        Some(m) => ui.label(format!(
                            "{} — {} features, autosaved {} (from {})",
                            m.layer_name, m.feature_count, m.saved_at, m.source_label
                        )),
                        None => ui.label(format!(
                            "{} ({})",
                            entry.data_path.display(),
                            entry.problem.as_deref().unwrap_or("no details")
                        )),
                    };
                    if ui.button("Restore").clicked() {
                        restore = Some(i);
                    }
                    if ui.button("Discard").clicked() {
                        discard = Some(i);
                    }
                });
            }
        });
        if let Some(i) = restore {
            let entry = self.safety.offered.remove(i);
            self.restore(&entry);
        }
        if let Some(i) = discard {
            let entry = self.safety.offered.remove(i);
            if let Some(store) = &self.safety.store
                && let Err(e) = store.discard(&entry)
            {
                self.messages
                    .push(Message::new(Level::Error, format!("cannot discard {}: {e}", entry.data_path.display())));
            }
        }
    }

    /// Loads an autosave as a layer with unsaved edits, to be saved back where it came from.
    pub fn restore(&mut self, entry: &RecoveryEntry) {
        let Some(store) = &self.safety.store else { return };
        match store.load(entry) {
            Ok(loaded) => {
                let mut layer = loaded.layer;
                if let Some(meta) = &entry.meta {
                    layer.name.clone_from(&meta.layer_name);
                    if let Some(p) = &meta.original_path {
                        layer.source = LayerSource::File(p.clone());
                    }
                }
                let uid = layer.uid;
                let name = layer.name.clone();
                self.catalog.insert(layer);
                self.history.mark_unsaved(uid);
                self.safety.autosaved.insert(uid, entry.data_path.clone());
                self.filter.update(&self.catalog);
                self.timeline.catalog_changed(&self.catalog);
                self.map.invalidate();
                self.messages.push(Message::new(
                    Level::Info,
                    format!("Restored {name} with its unsaved edits; save it to keep them"),
                ));
            }
            Err(e) => self.messages.push(Message::new(Level::Error, e.to_string())),
        }
    }

    /// The journal window of one layer: entries saved beside its file, then pending ones.
    pub(crate) fn journal_ui(&mut self, ctx: &egui::Context) {
        let Some(uid) = self.safety.journal_open else { return };
        let Some(layer) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else {
            self.safety.journal_open = None;
            return;
        };
        let saved = match &layer.source {
            LayerSource::File(p) if journal_path(p).exists() => match read_journal(&journal_path(p)) {
                Ok(read) => read.entries,
                Err(e) => {
                    self.messages.push(Message::new(Level::Error, e.to_string()));
                    Vec::new()
                }
            },
            _ => Vec::new(),
        };
        let pending = self.safety.journal.get(&uid).cloned().unwrap_or_default();
        let mut open = true;
        egui::Window::new(format!("Edit journal — {}", layer.name)).open(&mut open).default_width(620.0).show(
            ctx,
            |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label("Editor");
                    ui.add(egui::TextEdit::singleline(&mut self.state.user_name).desired_width(120.0))
                        .labelled_by(label.id);
                    let note = ui.label("Source of these edits");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.safety.source_note)
                            .hint_text("e.g. Asia-Plus, 2022-05-18")
                            .desired_width(220.0),
                    )
                    .labelled_by(note.id);
                });
                ui.separator();
                egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                    egui::Grid::new("journal").striped(true).num_columns(5).show(ui, |ui| {
                        for (e, is_saved) in saved.iter().map(|e| (e, true)).chain(pending.iter().map(|e| (e, false))) {
                            ui.monospace(&e.when);
                            ui.label(&e.who);
                            ui.label(&e.action);
                            ui.label(format!("{} {}", e.feature_id.as_deref().unwrap_or(""), e.detail));
                            ui.weak(if is_saved {
                                e.source_note.clone().unwrap_or_default()
                            } else {
                                "not saved yet".to_owned()
                            });
                            ui.end_row();
                        }
                    });
                });
            },
        );
        if !open {
            self.safety.journal_open = None;
        }
    }
}
