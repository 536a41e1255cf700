//! Choosing files: the system dialog where the desktop has one, the built-in
//! [`FileDialog`] where it does not.
//!
//! On Linux `rfd` talks to the XDG desktop portal; without one (a plain X session, many
//! minimal desktops, CI) it returns "no file" at once, which used to make File → Open, Save
//! as, Export view and the project dialogs silently do nothing. A "no file" answer that comes
//! back faster than a person can cancel a dialog is taken to mean the system dialog is not
//! there: the built-in dialog opens instead, the user is told once, and the rest of the
//! session uses the built-in dialog. View → "Use the built-in file dialog" chooses it for
//! good. The folders files were chosen in are remembered (most recent first).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::app::{AtlasApp, Level, Message};
use super::file_dialog::{DialogOutcome, FileDialog, FileFilter};
use crate::model::LayerUid;

/// A system dialog that answers "no file" faster than this was not shown at all.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(400);

/// How many chosen folders are remembered.
pub const MAX_RECENT_DIRS: usize = 8;

/// What a chosen file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePurpose {
    /// File → Open: add layers.
    OpenData,
    /// File → Import ACLED CSV.
    ImportAcled,
    /// File → Export view (PNG, SVG, PDF).
    ExportView,
    /// Scenes → Export deck (one PDF, or PNG/SVG per scene).
    ExportDeck,
    /// Timeline → Export animation (GIF, APNG, or numbered PNG frames).
    ExportAnimation,
    /// Save a layer to a file of the user's choice.
    SaveLayerAs(LayerUid),
    /// Query → Events near aid sites → Export CSV.
    ExportNearCsv,
    /// Query → Events near aid sites → Export GeoJSON.
    ExportNearGeojson,
    /// File → Open project.
    OpenProject,
    /// File → Save project.
    SaveProject,
}

impl FilePurpose {
    fn title(self) -> &'static str {
        match self {
            Self::OpenData => "Open GeoJSON, GeoPackage or CSV",
            Self::ImportAcled => "Import an ACLED CSV export",
            Self::ExportView => "Export the view",
            Self::ExportDeck => "Export the scenes as a deck",
            Self::ExportAnimation => "Export the timeline playback",
            Self::SaveLayerAs(_) => "Save layer as",
            Self::ExportNearCsv | Self::ExportNearGeojson => "Export events near aid sites",
            Self::OpenProject => "Open project",
            Self::SaveProject => "Save project",
        }
    }

    fn filters(self) -> Vec<FileFilter> {
        match self {
            Self::OpenData => vec![FileFilter::new("Map data", &["geojson", "json", "gpkg", "csv", "kml", "kmz"])],
            Self::ImportAcled => vec![FileFilter::new("ACLED export", &["csv"])],
            Self::ExportView => vec![
                FileFilter::new("PNG image", &["png"]),
                FileFilter::new("PDF", &["pdf"]),
                FileFilter::new("SVG", &["svg"]),
                FileFilter::new("KML for Google Earth", &["kml", "kmz"]),
            ],
            Self::ExportDeck => vec![
                FileFilter::new("PDF", &["pdf"]),
                FileFilter::new("PNG image per scene", &["png"]),
                FileFilter::new("SVG per scene", &["svg"]),
            ],
            Self::ExportAnimation => vec![
                FileFilter::new("Animated GIF", &["gif"]),
                FileFilter::new("Animated PNG", &["apng"]),
                FileFilter::new("Numbered PNG frames", &["png"]),
            ],
            Self::SaveLayerAs(_) => vec![
                FileFilter::new("GeoJSON", &["geojson", "json"]),
                FileFilter::new("GeoPackage", &["gpkg"]),
                FileFilter::new("CSV (points)", &["csv"]),
                FileFilter::new("KML for Google Earth", &["kml", "kmz"]),
            ],
            Self::ExportNearCsv => vec![FileFilter::new("CSV", &["csv"])],
            Self::ExportNearGeojson => vec![FileFilter::new("GeoJSON", &["geojson", "json"])],
            Self::OpenProject | Self::SaveProject => vec![FileFilter::new("Frontier Atlas project", &["json"])],
        }
    }

    fn is_save(self) -> bool {
        matches!(
            self,
            Self::ExportView
                | Self::ExportDeck
                | Self::ExportAnimation
                | Self::ExportNearCsv
                | Self::ExportNearGeojson
                | Self::SaveLayerAs(_)
                | Self::SaveProject
        )
    }

    fn multiple(self) -> bool {
        matches!(self, Self::OpenData | Self::ImportAcled)
    }
}

/// The file-choosing state of the app.
#[derive(Debug, Default)]
pub struct FileChoice {
    /// The built-in dialog, while it is open, and what it is for.
    pub dialog: Option<(FileDialog, FilePurpose)>,
    /// The system dialog answered "no file" at once this session: use the built-in one.
    pub native_unavailable: bool,
}

impl AtlasApp {
    /// Asks the user for a file for `purpose`, proposing `file_name` (saves) in `dir`
    /// (default: the most recent folder); acts on the answer when there is one.
    pub fn choose_file(&mut self, purpose: FilePurpose, file_name: Option<&str>, dir: Option<PathBuf>) {
        let dir = dir.or_else(|| self.state.recent_dirs.first().cloned());
        if !self.state.builtin_file_dialog && !self.files.native_unavailable {
            let started = Instant::now();
            let chosen = native_dialog(purpose, file_name, dir.as_deref());
            if let Some(paths) = chosen.filter(|p| !p.is_empty()) {
                self.file_chosen(purpose, paths);
                return;
            }
            if started.elapsed() >= NO_DIALOG_WITHIN {
                return; // the user cancelled a real dialog
            }
            self.files.native_unavailable = true;
            self.messages.push(Message::new(
                Level::Info,
                "The system file dialog is not available on this desktop (no XDG desktop portal); \
                 using the built-in one.",
            ));
        }
        let filters = purpose.filters();
        let dialog = if purpose.is_save() {
            FileDialog::save(purpose.title(), filters, dir, file_name.unwrap_or_default())
        } else {
            FileDialog::open(purpose.title(), filters, dir, purpose.multiple())
        };
        self.files.dialog = Some((dialog.with_recent_dirs(self.state.recent_dirs.clone()), purpose));
    }

    /// Draws the built-in dialog while it is open and acts on its answer.
    pub(crate) fn file_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some((dialog, purpose)) = &mut self.files.dialog else { return };
        let purpose = *purpose;
        match dialog.show(ctx) {
            DialogOutcome::Pending => {}
            DialogOutcome::Cancelled => self.files.dialog = None,
            DialogOutcome::Chosen(paths) => {
                self.files.dialog = None;
                self.file_chosen(purpose, paths);
            }
        }
    }

    /// Whether the built-in file dialog is open (map and timeline shortcuts then stay quiet).
    pub fn file_dialog_open(&self) -> bool {
        self.files.dialog.is_some()
    }

    fn file_chosen(&mut self, purpose: FilePurpose, paths: Vec<PathBuf>) {
        if let Some(dir) = paths.first().and_then(|p| p.parent()) {
            remember_dir(&mut self.state.recent_dirs, dir);
        }
        let Some(first) = paths.first().cloned() else { return };
        match purpose {
            FilePurpose::OpenData | FilePurpose::ImportAcled => self.apply(super::Command::OpenFiles(paths)),
            FilePurpose::ExportView => self.export_to(first),
            FilePurpose::ExportDeck => self.export_deck_to(first),
            FilePurpose::ExportAnimation => self.export_animation_to(first),
            FilePurpose::ExportNearCsv => self.export_near_to(first, false),
            FilePurpose::ExportNearGeojson => self.export_near_to(first, true),
            FilePurpose::SaveLayerAs(uid) => self.apply(super::Command::Edit(super::EditIntent::SaveTo(uid, first))),
            FilePurpose::OpenProject => self.open_project(&first),
            FilePurpose::SaveProject => self.save_project_to(&first),
        }
    }
}

/// The system dialog (`rfd`), or `None` when it was cancelled or is not there.
fn native_dialog(purpose: FilePurpose, file_name: Option<&str>, dir: Option<&Path>) -> Option<Vec<PathBuf>> {
    let mut dialog = rfd::FileDialog::new().set_title(purpose.title());
    for f in purpose.filters() {
        let exts: Vec<&str> = f.extensions.iter().map(String::as_str).collect();
        dialog = dialog.add_filter(&f.name, &exts);
    }
    if let Some(dir) = dir {
        dialog = dialog.set_directory(dir);
    }
    if let Some(name) = file_name {
        dialog = dialog.set_file_name(name);
    }
    if purpose.is_save() {
        dialog.save_file().map(|p| vec![p])
    } else if purpose.multiple() {
        dialog.pick_files()
    } else {
        dialog.pick_file().map(|p| vec![p])
    }
}

/// Puts `dir` first in `recent`, without duplicates, keeping [`MAX_RECENT_DIRS`].
pub fn remember_dir(recent: &mut Vec<PathBuf>, dir: &Path) {
    recent.retain(|d| d != dir);
    recent.insert(0, dir.to_owned());
    recent.truncate(MAX_RECENT_DIRS);
}

/// The most data files File → Open recent lists.
pub const MAX_RECENT_FILES: usize = 10;

/// Puts the data file `path` first in `recent` (as an absolute path), without duplicates,
/// keeping [`MAX_RECENT_FILES`]. Found walking the app: a file opened yesterday had to be
/// found again through the file dialog after a restart.
pub fn remember_file(recent: &mut Vec<PathBuf>, path: &Path) {
    let path = crate::project::paths::absolute(path);
    recent.retain(|p| *p != path);
    recent.insert(0, path);
    recent.truncate(MAX_RECENT_FILES);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_folders_are_most_recent_first_without_duplicates() {
        let mut recent = Vec::new();
        for d in ["/a", "/b", "/a", "/c"] {
            remember_dir(&mut recent, Path::new(d));
        }
        assert_eq!(recent, [PathBuf::from("/c"), PathBuf::from("/a"), PathBuf::from("/b")]);
        for i in 0..20 {
            remember_dir(&mut recent, Path::new(&format!("/d{i}")));
        }
        assert_eq!(recent.len(), MAX_RECENT_DIRS);
    }
}
