//! Never losing work: autosave of unsaved edits to recovery files, the offer to restore them
//! after a crash, and the per-layer edit journal written beside each saved layer.

use std::collections::HashMap;
use std::path::PathBuf;

use super::app::{AtlasApp, Level, Message};
use super::jobs::{JobKind, Outcome};
use crate::io::journal::{JournalEntry, journal_path, read_journal};
use crate::io::progress::Progress;
use crate::io::recovery::{Origin, Recovered, RecoveryEntry, RecoveryStore};
use crate::model::{Layer, LayerSource, LayerUid};

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
    /// The edit generation (and pending journal length) each layer's autosave holds, so an
    /// unchanged layer is not copied and written again.
    pub autosaved_state: HashMap<LayerUid, (u64, usize)>,
    /// The earlier session's autosave each restored layer came from; deleted once a save of
    /// the layer is durable. Until the layer is edited it is also the layer's autosave of
    /// this session (in `autosaved`): nothing is written again that is already on disk.
    pub restored: HashMap<LayerUid, RecoveryEntry>,
    /// Autosaves being read for restoring, by job number: offered again if cancelled.
    pub restoring: Vec<(u64, RecoveryEntry)>,
    /// Whether an edit happened since the last autosave.
    pub due: bool,
    /// egui time of the last autosave.
    pub last_secs: f64,
    /// Journal entries not yet written beside their layer's file.
    pub journal: HashMap<LayerUid, Vec<JournalEntry>>,
    /// The layer whose journal window is open.
    pub journal_open: Option<LayerUid>,
    /// The saved journal of that layer, read on a worker (`None` while reading).
    pub journal_saved: Option<(LayerUid, Vec<JournalEntry>)>,
    /// A source note to attach to the next edits' journal entries.
    pub source_note: String,
}

impl Safety {
    /// Recovery in `dir`, offering what an earlier session left there (and removing what
    /// its killed autosaves left half-written).
    pub fn with_store(dir: PathBuf) -> Self {
        let store = RecoveryStore::new(dir);
        store.remove_stale_temporaries();
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

    /// Deletes, on a worker, the recovery files a just-saved layer no longer needs: the
    /// earlier session's autosave it was restored from (the save holds all of it) and, when
    /// nothing was edited since, this session's autosave. Also used when edits are discarded.
    pub(crate) fn discard_recovery(&mut self, uid: LayerUid) {
        let Some(store) = self.safety.store.clone() else { return };
        let mut entries: Vec<RecoveryEntry> = self.safety.restored.remove(&uid).into_iter().collect();
        // A restored layer not edited since has the file it came from as its autosave: that
        // file goes (once), and with it what said the layer's state is on disk.
        let adopted = self.safety.autosaved.get(&uid).is_some_and(|p| entries.iter().any(|e| e.data_path == *p));
        if (adopted || !self.history.is_dirty(uid))
            && let Some(data) = self.safety.autosaved.remove(&uid)
        {
            self.safety.autosaved_state.remove(&uid);
            if !entries.iter().any(|e| e.data_path == data) {
                entries.extend(store.entry_of(&data));
            }
        }
        if adopted && self.history.is_dirty(uid) {
            // Edits not in the save: autosave them again.
            self.safety.due = true;
        }
        self.discard_entries(store, entries);
    }

    fn discard_entries(&mut self, store: RecoveryStore, entries: Vec<RecoveryEntry>) {
        if entries.is_empty() {
            return;
        }
        let label = "removing recovery files".to_owned();
        self.jobs.spawn(JobKind::Housekeeping, label, None, self.now_secs, move || {
            let problems = entries
                .iter()
                .filter_map(|e| store.discard(e).err().map(|err| (e, err)))
                .map(|(e, err)| {
                    format!("saved, but the old recovery file could not be removed: {err}: {}", e.data_path.display())
                })
                .collect();
            Outcome::Housekeeping(problems)
        });
    }

    /// Autosaves every layer with unsaved edits, with its pending journal entries, on a
    /// worker: at most every [`AUTOSAVE_SECS`] (or at once with `now_secs = f64::INFINITY`),
    /// and one autosave at a time (a later call while one runs waits for the next turn).
    pub fn autosave(&mut self, now_secs: f64) {
        if !self.safety.due || now_secs - self.safety.last_secs < AUTOSAVE_SECS {
            return;
        }
        let Some(store) = self.safety.store.clone() else { return };
        if self.jobs.busy(JobKind::Autosave, None) {
            return;
        }
        self.safety.due = false;
        self.safety.last_secs = if now_secs.is_finite() { now_secs } else { self.safety.last_secs };
        let state = |uid: LayerUid| (self.history.generation(uid), self.safety.journal.get(&uid).map_or(0, Vec::len));
        let batch: Vec<(Layer, String, Vec<JournalEntry>)> = self
            .catalog
            .layers
            .iter()
            .filter(|l| self.history.is_dirty(l.uid))
            // Copying a big layer costs time on this thread: only what changed since its last
            // autosave.
            .filter(|l| self.safety.autosaved_state.get(&l.uid) != Some(&state(l.uid)))
            .map(|l| {
                let journal = self.safety.journal.get(&l.uid).cloned().unwrap_or_default();
                (super::jobs::snapshot(l), l.source.to_string(), journal)
            })
            .collect();
        for (layer, _, journal) in &batch {
            self.safety.autosaved_state.insert(layer.uid, (self.history.generation(layer.uid), journal.len()));
        }
        if batch.is_empty() {
            return;
        }
        self.jobs.spawn(JobKind::Autosave, "autosaving unsaved edits".to_owned(), None, self.now_secs, move || {
            let results = batch
                .iter()
                .map(|(layer, label, journal)| {
                    (layer.uid, store.autosave(layer, label, journal).map_err(|e| e.to_string()))
                })
                .collect();
            Outcome::Autosaved(results)
        });
    }

    /// An autosave finished. A layer saved (or removed) while it ran no longer needs its
    /// recovery file, which is deleted again.
    pub(crate) fn on_autosaved(&mut self, results: Vec<(LayerUid, Result<PathBuf, String>)>) {
        let Some(store) = self.safety.store.clone() else { return };
        let mut stale = Vec::new();
        for (uid, result) in results {
            match result {
                Ok(path) if self.catalog.index_of(uid).is_some() && self.history.is_dirty(uid) => {
                    // A restored layer's earlier autosave is now held whole by this one (the
                    // layer started from it, and its pending journal came along): keeping it
                    // would offer the same edits twice after another crash, the older copy
                    // still offered after this one is saved.
                    if self.safety.restored.get(&uid).is_some_and(|e| e.data_path != path)
                        && let Some(earlier) = self.safety.restored.remove(&uid)
                    {
                        stale.push(earlier);
                    }
                    self.safety.autosaved.insert(uid, path);
                }
                Ok(path) => {
                    self.safety.autosaved_state.remove(&uid);
                    stale.extend(store.entry_of(&path));
                }
                Err(e) => {
                    // Try again at the next autosave.
                    self.safety.autosaved_state.remove(&uid);
                    self.messages.push(Message::new(Level::Error, format!("autosave failed: {e}")));
                }
            }
        }
        self.discard_entries(store, stale);
    }

    /// The window offering autosaves from an earlier session.
    pub(crate) fn recovery_ui(&mut self, ctx: &egui::Context) {
        if self.safety.offered.is_empty() {
            return;
        }
        let mut restore = None;
        let mut discard = None;
        // Over the map, below the menu bar and the edit toolbar, and never dragged over them:
        // the File menu stays in reach while the offer is open.
        let screen = ctx.content_rect();
        let below = egui::Rect::from_min_max(
            egui::pos2(screen.left(), self.map.screen_origin[1].clamp(screen.top(), screen.bottom())),
            screen.max,
        );
        let window = egui::Window::new("Recover unsaved edits")
            .collapsible(false)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(egui::pos2(below.center().x, below.top() + 24.0))
            .constrain_to(below);
        window.show(ctx, |ui| {
            ui.label("Frontier Atlas closed with edits that were never saved. They were kept in recovery files:");
            for (i, entry) in self.safety.offered.iter().enumerate() {
                ui.horizontal(|ui| {
                    match &entry.meta {
                        Some(m) => ui.label(format!(
                            "{} — {} features, autosaved {} (from {})",
                            m.layer_name,
                            super::load_progress::thousands(m.feature_count as u64),
                            m.saved_at,
                            m.source_label
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

    /// Loads an autosave as a layer with unsaved edits. It replaces the layer it is an
    /// edited copy of (the shipped layer, or its file's layer) when that is loaded, so nothing
    /// is drawn or counted twice; saving it writes where a save of that layer would go (the
    /// user copy of a shipped layer, or the file), never the recovery file, which is deleted
    /// once that save is durable. A layer with unsaved edits of this session is not replaced.
    ///
    /// The autosave is read on a worker (a million-event layer takes seconds); the layer
    /// arrives with [`Outcome::Restored`] (tests: `finish_jobs`).
    ///
    /// The read shows a progress row (bytes, features, time left) with Cancel, as File → Open
    /// does; Cancel stops it and offers the entry again ([`Self::cancel_restore`]).
    pub fn restore(&mut self, entry: &RecoveryEntry) {
        let Some(store) = &self.safety.store else { return };
        let dir = store.dir().to_owned();
        let name = restore_name(entry);
        let progress = Progress::new();
        let worker = progress.clone();
        let job_entry = entry.clone();
        let job = self.jobs.spawn_with_progress(
            JobKind::Restore,
            format!("restoring {name}"),
            self.now_secs,
            progress,
            move || {
                // A big boundary layer gets its simplified copies, as File → Open gives them.
                let result = RecoveryStore::new(dir)
                    .load_with(&job_entry, &worker)
                    .map(|mut r| {
                        r.loaded.layer.start_lod_if_big();
                        Box::new(r)
                    })
                    .map_err(|e| e.to_string());
                Outcome::Restored { entry: Box::new(job_entry), result }
            },
        );
        self.safety.restoring.push((job, entry.clone()));
    }

    /// Cancels the restore running as job `job`: the read stops, nothing joins the catalog,
    /// and the autosave is offered again where it was; nothing on disk changes.
    pub fn cancel_restore(&mut self, job: u64) {
        let Some(at) = self.safety.restoring.iter().position(|(id, _)| *id == job) else { return };
        if !self.jobs.cancel(job) {
            return;
        }
        let (_, entry) = self.safety.restoring.remove(at);
        let text = format!("Restoring {} cancelled; it is still offered", restore_name(&entry));
        self.messages.push(Message::new(Level::Info, text));
        // Offered in the order the store lists them, so the offer is as it was.
        let at = self.safety.offered.partition_point(|e| e.data_path < entry.data_path);
        self.safety.offered.insert(at, entry);
    }

    /// An autosave was read by [`Self::restore`]'s worker: the layer joins the catalog.
    pub(crate) fn on_restored(&mut self, entry: &RecoveryEntry, result: Result<Box<Recovered>, String>) {
        self.safety.restoring.retain(|(_, e)| e.data_path != entry.data_path);
        let recovered = match result {
            Ok(r) => *r,
            Err(e) => {
                self.messages.push(Message::new(Level::Error, e));
                return;
            }
        };
        let mut layer = recovered.loaded.layer;
        // A user copy of a shipped layer may not have replaced the shipped layer yet.
        let shipped_copy = |p: &std::path::Path| {
            crate::geodata::EMBEDDED
                .iter()
                .find(|e| *p == self.user_layers_dir().join(e.file))
                .map(|e| LayerSource::Embedded(e.file))
        };
        let original = match &recovered.origin {
            Origin::File(p) => self.catalog.layers.iter().position(|l| {
                l.source == LayerSource::File(p.clone()) || shipped_copy(p).is_some_and(|s| l.source == s)
            }),
            Origin::Embedded(e) => self.catalog.layers.iter().position(|l| l.source == LayerSource::Embedded(e)),
            Origin::Unknown => None,
        };
        let name = layer.name.clone();
        let uid = layer.uid;
        if let Some(li) = original {
            let old = &self.catalog.layers[li];
            if self.history.is_dirty(old.uid) {
                let text = format!(
                    "{name} has unsaved edits of this session; save or discard them, then restore the earlier ones"
                );
                self.messages.push(Message::new(Level::Warning, text));
                self.safety.offered.push(entry.clone());
                return;
            }
            layer.visible = old.visible;
            layer.opacity = old.opacity;
            layer.label_field.clone_from(&old.label_field);
            layer.style.clone_from(&old.style);
            layer.project_extra.clone_from(&old.project_extra);
            layer.source_table.clone_from(&old.source_table);
            if old.date_fields.is_some() {
                layer.date_fields.clone_from(&old.date_fields);
                crate::model::assign_spans(&mut layer);
            }
            let old_uid = old.uid;
            self.history.forget_layer(old_uid);
            self.safety.journal.remove(&old_uid);
            if self.editor.is_editing(old_uid) {
                self.editor.layer = Some(layer.uid);
            }
            // Features of the replaced layer may be numbered differently now.
            self.selection = self.selection.filter(|s| s.layer != li);
            self.hits_here.retain(|r| r.layer != li);
            self.catalog.layers[li] = layer;
        } else {
            // A layer restored as a new one is shown, as File → Open shows a file; one restored
            // in place of a loaded layer keeps the view.
            if let Some(b) = layer.bounds() {
                self.map.fit(b);
            }
            let at = self.catalog.insert(layer);
            for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
                if r.layer >= at {
                    r.layer += 1;
                }
            }
        }
        self.history.mark_unsaved(uid);
        self.safety.restored.insert(uid, entry.clone());
        // The file read is this session's autosave of the layer until its next edit, whose
        // autosave then supersedes it (`on_autosaved`): its pending journal is in that file
        // already, and writing the same (up to ~900 MB) again would only cost time and disk.
        let journalled = recovered.journal.len();
        if !recovered.journal.is_empty() {
            self.safety.journal.insert(uid, recovered.journal);
        }
        self.safety.autosaved.insert(uid, entry.data_path.clone());
        self.safety.autosaved_state.insert(uid, (self.history.generation(uid), journalled));
        self.filter.update(&self.catalog);
        self.timeline.catalog_changed(&self.catalog);
        self.map.invalidate();
        let how = if original.is_some() { "in place of the loaded layer" } else { "as a new layer" };
        // Found walking the app: a restored CSV layer's message said Save would write a
        // GeoJSON file beside it, but Save asks where.
        let save = match self.save_target(uid) {
            Some(target) => format!("Save writes {}", target.display()),
            None => format!("Save asks where; it suggests {}", self.suggested_path(uid).display()),
        };
        let text = format!("Restored {name} with its unsaved edits, {how}; save it to keep them ({save})");
        let level = if recovered.loaded.skipped.is_empty() { Level::Info } else { Level::Warning };
        self.messages.push(Message::new(level, text).with_details(recovered.loaded.skipped));
    }

    /// Opens the journal window of a layer and reads its saved journal on a worker.
    pub(crate) fn open_journal(&mut self, uid: LayerUid) {
        self.safety.journal_open = Some(uid);
        self.safety.journal_saved = None;
        let file = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)).and_then(|l| match &l.source {
            LayerSource::File(p) => Some(journal_path(p)),
            LayerSource::Embedded(_) | LayerSource::Store { .. } => None,
        });
        let Some(file) = file else {
            self.safety.journal_saved = Some((uid, Vec::new()));
            return;
        };
        self.jobs.spawn(JobKind::Housekeeping, "reading the edit journal".to_owned(), None, self.now_secs, move || {
            Outcome::JournalRead { uid, result: read_journal(&file).map_err(|e| e.to_string()) }
        });
    }

    /// A saved journal was read: shown in the window, unreadable lines reported.
    pub(crate) fn on_journal_read(&mut self, uid: LayerUid, result: Result<crate::io::journal::JournalRead, String>) {
        match result {
            Ok(read) => {
                if !read.problems.is_empty() {
                    let text = "some lines of the edit journal could not be read".to_owned();
                    self.messages.push(Message::new(Level::Warning, text).with_details(read.problems));
                }
                if self.safety.journal_open == Some(uid) {
                    self.safety.journal_saved = Some((uid, read.entries));
                }
            }
            Err(e) => {
                self.messages.push(Message::new(Level::Error, e));
                if self.safety.journal_open == Some(uid) {
                    self.safety.journal_saved = Some((uid, Vec::new()));
                }
            }
        }
    }

    /// The journal window of one layer: entries saved beside its file, then pending ones.
    pub(crate) fn journal_ui(&mut self, ctx: &egui::Context) {
        let Some(uid) = self.safety.journal_open else { return };
        let Some(layer) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else {
            self.safety.journal_open = None;
            return;
        };
        let reading = !matches!(&self.safety.journal_saved, Some((u, _)) if *u == uid);
        let saved = match &self.safety.journal_saved {
            Some((u, entries)) if *u == uid => entries.clone(),
            _ => Vec::new(),
        };
        let pending = self.safety.journal.get(&uid).cloned().unwrap_or_default();
        let mut open = true;
        let pos = self.window_pos();
        egui::Window::new(format!("Edit journal — {}", layer.name))
            .open(&mut open)
            .default_width(620.0)
            .default_pos(pos)
            .show(ctx, |ui| {
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
                if reading {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.weak("reading the saved journal…");
                    });
                }
                egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                    egui::Grid::new("journal").striped(true).num_columns(5).show(ui, |ui| {
                        for (e, is_saved) in saved.iter().map(|e| (e, true)).chain(pending.iter().map(|e| (e, false))) {
                            ui.monospace(&e.when);
                            ui.label(&e.who);
                            ui.label(&e.action);
                            // Journals written by earlier versions used an arrow the font lacks.
                            let detail = e.detail.replace('→', "->");
                            ui.label(format!("{} {detail}", e.feature_id.as_deref().unwrap_or("")));
                            ui.weak(if is_saved {
                                e.source_note.clone().unwrap_or_default()
                            } else {
                                "not saved yet".to_owned()
                            });
                            ui.end_row();
                        }
                    });
                });
            });
        if !open {
            self.safety.journal_open = None;
            self.safety.journal_saved = None;
        }
    }
}

/// The layer name an autosave is offered under (its file when its sidecar is unreadable).
fn restore_name(entry: &RecoveryEntry) -> String {
    entry.meta.as_ref().map_or_else(|| entry.data_path.display().to_string(), |m| m.layer_name.clone())
}
