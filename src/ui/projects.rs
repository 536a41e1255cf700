//! Projects in the app: open, save, recent list and bookmarks (the format is in
//! [`crate::project`]).

use std::path::{Path, PathBuf};

use super::app::{AtlasApp, Level, Message};
use super::command::Command;
use super::jobs::{JobKind, OpenedProject, Outcome};
use super::unsaved_dialog::Pending;
use crate::project::{catalog_from_project, load_project, project_from_catalog, save_project};

/// The recent-projects list's file name in the app's data folder.
pub const RECENT_FILE: &str = "recent-projects.json";

/// A project's bookmarks and scenes.
pub(crate) type Briefing = (Vec<crate::project::Bookmark>, Vec<crate::project::ProjectScene>);

impl AtlasApp {
    /// Puts a project first in the recent list and writes the list (privately, on a worker).
    fn remember(&mut self, path: &Path) {
        self.recent.push(path);
        self.write_recent();
    }

    fn write_recent(&mut self) {
        let list = self.recent.clone();
        let file: PathBuf = self.user_dir.join(RECENT_FILE);
        self.jobs.spawn(JobKind::Housekeeping, "updating recent projects".to_owned(), None, self.now_secs, move || {
            let problems = match list.save(&file) {
                Ok(()) => Vec::new(),
                Err(e) => vec![format!("the recent-projects list was not updated: {e}")],
            };
            Outcome::Housekeeping(problems)
        });
    }

    /// Opens a project, replacing the layers (asks first when edits are unsaved). The file
    /// and its layers are read on a worker; the app keeps running meanwhile, and a project it
    /// cannot open (unreadable, too many layers) is reported without touching what is loaded.
    pub fn open_project(&mut self, path: &Path) {
        if (!self.dirty_layers().is_empty() || self.unsaved_briefing().is_some()) && self.pending.is_none() {
            self.pending = Some(Pending::OpenProject(path.to_owned()));
            return;
        }
        if self.jobs.busy(JobKind::OpenProject, None) {
            self.messages.push(Message::new(Level::Info, "A project is still opening; try again when it is done"));
            return;
        }
        let path = path.to_owned();
        let label = format!("opening {}", path.display());
        self.jobs.spawn(JobKind::OpenProject, label, None, self.now_secs, move || {
            let result = load_project(&path).map_err(|e| e.to_string()).map(|project| {
                let (mut catalog, problems) = catalog_from_project(&project);
                // Big boundary layers get their simplified copies, as File → Open gives them.
                for layer in &mut catalog.layers {
                    layer.start_lod_if_big();
                }
                Box::new(OpenedProject { project, catalog, problems })
            });
            Outcome::ProjectOpened { path, result }
        });
    }

    /// A project finished opening: use it, or, if edits were made meanwhile, ask first.
    pub(crate) fn on_project_opened(&mut self, path: PathBuf, result: Result<Box<OpenedProject>, String>) {
        match result {
            Ok(opened) if !self.dirty_layers().is_empty() || self.unsaved_briefing().is_some() => {
                self.opened_project = Some((path.clone(), opened));
                self.pending = Some(Pending::OpenProject(path));
            }
            Ok(opened) => self.use_project(&path, *opened),
            Err(e) => {
                let text = if e.contains(&path.display().to_string()) { e } else { format!("{}: {e}", path.display()) };
                self.messages.push(Message::new(Level::Error, text));
            }
        }
    }

    /// The bookmarks and scenes as they are now.
    fn briefing(&self) -> Briefing {
        (self.bookmarks.clone(), self.scenes.clone())
    }

    /// The open project's name when its bookmarks or scenes changed since it was opened or
    /// saved (found walking the app: scene work went with Quit, unasked).
    pub(crate) fn unsaved_briefing(&self) -> Option<String> {
        let path = self.project_path.as_ref()?;
        let (bookmarks, scenes) = &self.briefing_saved;
        (*bookmarks != self.bookmarks || *scenes != self.scenes)
            .then(|| path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()))
    }

    /// Where the session's scenes and bookmarks are told to be (their layer paths are kept
    /// relative to the data folder).
    fn session_path(&self) -> std::path::PathBuf {
        self.user_dir.join("session.fatlas.json")
    }

    /// With no project open, writes the scenes and bookmarks into the persisted state, to
    /// come back at the next start ([`AtlasApp::restore_session`]); with a project open
    /// they are the project's, and the session made before it is left as it was.
    pub fn keep_session(&mut self) {
        if self.project_path.is_some() {
            return;
        }
        self.state.session = if self.scenes.is_empty() && self.bookmarks.is_empty() {
            String::new()
        } else {
            let project = crate::project::Project {
                bookmarks: self.bookmarks.clone(),
                scenes: self.scenes.clone(),
                ..crate::project::Project::default()
            };
            crate::project::project_to_json(&project, &self.session_path())
        };
    }

    /// Puts back the scenes and bookmarks of the last session without a project.
    pub fn restore_session(&mut self) {
        if self.state.session.is_empty() {
            return;
        }
        match crate::project::parse_project(&self.state.session, &self.session_path()) {
            Ok(project) => {
                self.bookmarks = project.bookmarks;
                self.scenes = project.scenes;
            }
            Err(e) => self.messages.push(Message::new(
                Level::Warning,
                format!("The scenes and bookmarks of the last session could not be read back: {e}"),
            )),
        }
    }

    /// Replaces the layers, view, range and bookmarks with an opened project's.
    pub(crate) fn use_project(&mut self, path: &Path, opened: OpenedProject) {
        let OpenedProject { project, catalog, problems } = opened;
        // Scenes and bookmarks made without a project stay in the session (they come back at
        // the next start without a project) rather than going with this open.
        self.keep_session();
        self.catalog = catalog;
        self.history = crate::edit::History::new(crate::edit::MAX_UNDOS);
        self.layer_undo.clear();
        self.safety.journal.clear();
        self.editor = super::editor::EditorState::default();
        self.selection = None;
        self.hits_here.clear();
        self.bookmarks.clone_from(&project.bookmarks);
        self.scenes.clone_from(&project.scenes);
        self.briefing_saved = self.briefing();
        self.project_path = Some(path.to_owned());
        if let Some(view) = &project.view {
            let v = view.viewport(self.map.viewport.size_pts);
            self.map.viewport.center = v.center;
            self.map.viewport.zoom = v.zoom;
            self.map.restored = true;
        }
        self.filter = crate::model::TimeFilter::new(&self.catalog, None);
        self.timeline = super::timeline::TimelineState::new(&self.catalog);
        self.apply(Command::SetRange(project.time_range()));
        self.map.invalidate();
        self.remember(path);
        if self.safety.store.is_some() {
            // The real app: shipped layers show the analyst's saved copies here too.
            self.load_user_copies();
        }
        let text = format!("Opened project {} ({} layers)", path.display(), self.catalog.layers.len());
        let level = if problems.is_empty() { Level::Info } else { Level::Warning };
        self.messages.push(Message::new(level, text).with_details(problems));
    }

    /// Saves the layers, their order and settings, the date range, the view and bookmarks
    /// (written on a worker; [`AtlasApp::on_project_saved`] reports it).
    pub fn save_project_to(&mut self, path: &Path) {
        let mut project = project_from_catalog(&self.catalog, self.filter.range, &self.map.viewport, &self.bookmarks);
        project.scenes.clone_from(&self.scenes);
        let path = path.to_owned();
        self.briefing_saving = Some((path.clone(), self.briefing()));
        let label = format!("saving project {}", path.display());
        self.jobs.spawn(JobKind::SaveProject, label, None, self.now_secs, move || {
            let result = save_project(&project, &path).map_err(|e| e.to_string());
            Outcome::ProjectSaved { path, result }
        });
    }

    /// A project save finished.
    pub(crate) fn on_project_saved(&mut self, path: &Path, result: Result<(), String>) {
        if let Err(e) = result {
            self.messages.push(Message::new(Level::Error, e));
            return;
        }
        self.project_path = Some(path.to_owned());
        if let Some((saved_to, briefing)) = self.briefing_saving.take()
            && saved_to == path
        {
            self.briefing_saved = briefing;
        }
        self.remember(path);
        let unsaved = self.dirty_layers();
        let text = if unsaved.is_empty() {
            format!("Saved project {}", path.display())
        } else {
            let names: Vec<String> = unsaved.into_iter().map(|(_, n)| n).collect();
            format!(
                "Saved project {}; layers with unsaved edits still need saving: {}",
                path.display(),
                names.join(", ")
            )
        };
        self.messages.push(Message::new(Level::Info, text));
    }

    /// The project entries of the File menu.
    pub(crate) fn project_menu_ui(&mut self, ui: &mut egui::Ui) {
        if ui.button("Open project…").clicked() {
            ui.close();
            self.choose_file(super::file_choice::FilePurpose::OpenProject, None, None);
        }
        if ui.button("Save project…").clicked() {
            ui.close();
            let name = match &self.project_path {
                Some(p) => {
                    p.file_name().map_or_else(|| "briefing.fatlas.json".to_owned(), |n| n.to_string_lossy().into())
                }
                None => "briefing.fatlas.json".to_owned(),
            };
            let dir = self.project_path.as_ref().and_then(|p| p.parent()).map(Path::to_owned);
            self.choose_file(super::file_choice::FilePurpose::SaveProject, Some(&name), dir);
        }
        let recent = self.recent.entries().to_vec();
        ui.menu_button("Recent projects", |ui| {
            if recent.is_empty() {
                ui.weak("none yet");
            }
            for p in &recent {
                if ui.button(p.display().to_string()).clicked() {
                    self.open_project(p);
                    ui.close();
                }
            }
        });
    }
}
