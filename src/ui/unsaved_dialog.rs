//! The guard that never lets unsaved edits go without asking: the dialog shown on quit, on
//! removing a layer and on opening another project.

use std::path::PathBuf;

use super::app::AtlasApp;
use super::jobs::JobKind;
use crate::model::LayerUid;

/// What the "unsaved edits" dialog is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// The window is closing.
    Quit,
    /// A layer is being removed.
    RemoveLayer(LayerUid),
    /// Another project is being opened.
    OpenProject(PathBuf),
}

impl AtlasApp {
    /// The "unsaved edits" dialog for quitting, removing a layer or opening a project. After
    /// "Save" it waits for the saves (and, on quit, exports) to finish and goes on only when
    /// every layer really saved; a failed save leaves the dialog up with the error shown.
    pub(crate) fn unsaved_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(pending) = self.pending.clone() else { return };
        let dirty: Vec<(LayerUid, String)> = match &pending {
            Pending::Quit | Pending::OpenProject(_) => self.dirty_layers(),
            Pending::RemoveLayer(uid) => self.dirty_layers().into_iter().filter(|(u, _)| u == uid).collect(),
        };
        // The open project's scenes and bookmarks, when leaving it would drop their changes.
        let briefing = match &pending {
            Pending::Quit | Pending::OpenProject(_) => self.unsaved_briefing(),
            Pending::RemoveLayer(_) => None,
        };
        let waiting: Vec<String> = self
            .jobs
            .running
            .iter()
            .filter(|j| match &pending {
                Pending::Quit => matches!(j.kind, JobKind::Save | JobKind::SaveProject | JobKind::Export),
                Pending::OpenProject(_) if j.kind == JobKind::SaveProject => true,
                _ => j.kind == JobKind::Save && dirty.iter().any(|(u, _)| j.layer == Some(*u)),
            })
            .map(|j| j.label.clone())
            .collect();
        if dirty.is_empty() && briefing.is_none() && waiting.is_empty() {
            self.pending = None;
            self.finish_pending(&pending, ctx);
            return;
        }
        let mut choice = None;
        egui::Modal::new(egui::Id::unique("unsaved-edits")).show(ctx, |ui| {
            if !waiting.is_empty() {
                ui.heading("Finishing");
                for label in &waiting {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("{label}…"));
                    });
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(2);
                }
                return;
            }
            ui.heading("Unsaved edits");
            for (_, name) in &dirty {
                ui.label(format!("• {name}"));
            }
            if let Some(project) = &briefing {
                ui.label(format!("• the scenes and bookmarks of project {project}"));
            }
            if !dirty.is_empty() {
                ui.label("Layer edits are also kept in the recovery file until you decide.");
            }
            if matches!(pending, Pending::RemoveLayer(_)) {
                ui.weak("A removed layer comes back with its edits on Undo (Ctrl+Z).");
            }
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    choice = Some(0);
                }
                let discard = match pending {
                    Pending::Quit => "Discard and quit",
                    Pending::RemoveLayer(_) => "Discard and remove",
                    Pending::OpenProject(_) => "Discard and open",
                };
                if ui.button(discard).clicked() {
                    choice = Some(1);
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(2);
                }
            });
        });
        match choice {
            // The saves run on workers; the dialog waits for them, then checks again.
            Some(0) => {
                for (uid, _) in &dirty {
                    self.save(*uid, None);
                }
                if briefing.is_some()
                    && let Some(path) = self.project_path.clone()
                {
                    self.save_project_to(&path);
                }
            }
            Some(1) => {
                // Dropped: the open project's file keeps what it had.
                self.briefing_saved = (self.bookmarks.clone(), self.scenes.clone());
                for (uid, _) in &dirty {
                    // A removed layer keeps its edits, undo steps and journal for Undo to put
                    // back (see `layer_undo`); only its recovery files go.
                    if !matches!(pending, Pending::RemoveLayer(_)) {
                        self.history.forget_layer(*uid);
                        self.safety.journal.remove(uid);
                    }
                    self.discard_recovery(*uid);
                }
                self.pending = None;
                self.finish_pending(&pending, ctx);
            }
            Some(_) => {
                self.pending = None;
                self.opened_project = None;
            }
            None => {}
        }
    }

    fn finish_pending(&mut self, pending: &Pending, ctx: &egui::Context) {
        match pending {
            Pending::Quit => {
                // Let the last housekeeping (recovery clean-up) finish before the process ends;
                // saves and exports are already done (the dialog waited for them). A job stuck
                // on a slow path (a project on a FIFO) does not hold the window open for long.
                self.finish_jobs_within(std::time::Duration::from_secs(5));
                self.allow_close = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Pending::RemoveLayer(uid) => {
                if let Some(li) = self.catalog.index_of(*uid) {
                    self.remove_layer_now(li);
                }
            }
            Pending::OpenProject(path) => match self.opened_project.take() {
                Some((p, opened)) if p == *path => self.use_project(&p, *opened),
                _ => self.open_project(path),
            },
        }
    }
}
