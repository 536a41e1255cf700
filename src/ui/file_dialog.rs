//! The built-in file dialog, used where the system one is unavailable (a Linux desktop
//! without an XDG desktop portal, where `rfd` silently returns nothing) or when the user
//! prefers it.
//!
//! A modal window: a folder bar (Up, Home, typed path), places (recent folders, home,
//! the file system root), the folder's entries filtered by the chosen file type, a file-name
//! field, and Open/Save and Cancel. Folders are listed on a worker thread, so a slow or
//! hung network mount never freezes the map. Saving over an existing file asks first.
//! Enter confirms, Esc cancels; double-click opens a folder or picks a file.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

/// Open one or several existing files, or choose where to save one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogMode {
    /// Pick existing files (`multiple`: more than one).
    Open {
        /// Whether several files may be picked.
        multiple: bool,
    },
    /// Choose a file name to write.
    Save,
}

/// A file type choice: a name and its extensions (lower case, without dots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFilter {
    /// Shown in the type chooser, e.g. "Map data".
    pub name: String,
    /// Extensions, e.g. `["geojson", "json"]`.
    pub extensions: Vec<String>,
}

impl FileFilter {
    /// A filter from a name and extensions.
    pub fn new(name: &str, extensions: &[&str]) -> Self {
        Self { name: name.to_owned(), extensions: extensions.iter().map(|e| e.to_ascii_lowercase()).collect() }
    }

    fn matches(&self, path: &Path) -> bool {
        self.extensions.is_empty()
            || path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .is_some_and(|e| self.extensions.contains(&e))
    }
}

/// What the dialog decided this frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutcome {
    /// Still open.
    Pending,
    /// Closed without a choice.
    Cancelled,
    /// The chosen files (one for [`DialogMode::Save`]).
    Chosen(Vec<PathBuf>),
}

/// One entry of the folder being shown.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: String,
    is_dir: bool,
    size: u64,
}

/// The built-in file dialog's state (see the module docs).
#[derive(Debug)]
pub struct FileDialog {
    mode: DialogMode,
    title: String,
    filters: Vec<FileFilter>,
    filter: usize,
    dir: PathBuf,
    path_text: String,
    entries: Option<Result<Vec<Entry>, String>>,
    listing: Option<Receiver<Result<Vec<Entry>, String>>>,
    selected: Vec<String>,
    file_name: String,
    recent_dirs: Vec<PathBuf>,
    show_hidden: bool,
    confirm_overwrite: Option<PathBuf>,
    error: Option<String>,
}

impl FileDialog {
    /// A dialog to open files, starting in `start_dir` (or the first recent folder, or home).
    pub fn open(title: &str, filters: Vec<FileFilter>, start_dir: Option<PathBuf>, multiple: bool) -> Self {
        Self::new(DialogMode::Open { multiple }, title, filters, start_dir, String::new())
    }

    /// A dialog to choose where to save, proposing `file_name` in `start_dir`.
    pub fn save(title: &str, filters: Vec<FileFilter>, start_dir: Option<PathBuf>, file_name: &str) -> Self {
        Self::new(DialogMode::Save, title, filters, start_dir, file_name.to_owned())
    }

    fn new(
        mode: DialogMode,
        title: &str,
        mut filters: Vec<FileFilter>,
        start_dir: Option<PathBuf>,
        file_name: String,
    ) -> Self {
        filters.push(FileFilter { name: "All files".to_owned(), extensions: Vec::new() });
        let dir = start_dir.filter(|d| d.is_dir()).or_else(home_dir).unwrap_or_else(|| PathBuf::from("/"));
        // A proposed `TJK.gpkg` starts on the GeoPackage type, so the folder shows the
        // GeoPackages beside it (found walking the app: the type stayed on the first one).
        let proposed = Path::new(&file_name);
        let filter = (proposed.extension().is_some())
            .then(|| filters.iter().position(|f| !f.extensions.is_empty() && f.matches(proposed)))
            .flatten()
            .unwrap_or(0);
        let mut dialog = Self {
            mode,
            title: title.to_owned(),
            filters,
            filter,
            path_text: dir.display().to_string(),
            dir,
            entries: None,
            listing: None,
            selected: Vec::new(),
            file_name,
            recent_dirs: Vec::new(),
            show_hidden: false,
            confirm_overwrite: None,
            error: None,
        };
        dialog.list();
        dialog
    }

    /// Folders offered under "Recent" (most recent first).
    #[must_use]
    pub fn with_recent_dirs(mut self, dirs: Vec<PathBuf>) -> Self {
        self.recent_dirs = dirs;
        self
    }

    /// The folder shown now.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Shows folder `dir` (listing it on a worker thread).
    pub fn go_to(&mut self, dir: PathBuf) {
        self.dir = dir;
        self.path_text = self.dir.display().to_string();
        self.selected.clear();
        self.error = None;
        self.list();
    }

    fn list(&mut self) {
        let (tx, rx) = channel();
        let dir = self.dir.clone();
        let spawned = std::thread::Builder::new().name("file-dialog-list".to_owned()).spawn(move || {
            tx.send(list_dir(&dir)).ok();
        });
        match spawned {
            Ok(_) => {
                self.entries = None;
                self.listing = Some(rx);
            }
            Err(e) => self.entries = Some(Err(format!("cannot list the folder: {e}"))),
        }
    }

    /// Waits (up to `timeout`) for the folder listing; for tests and the first frame.
    pub fn wait_for_listing(&mut self, timeout: std::time::Duration) {
        if let Some(rx) = &self.listing
            && let Ok(result) = rx.recv_timeout(timeout)
        {
            self.entries = Some(result);
            self.listing = None;
        }
    }

    fn poll_listing(&mut self) {
        if let Some(rx) = &self.listing
            && let Ok(result) = rx.try_recv()
        {
            self.entries = Some(result);
            self.listing = None;
        }
    }

    /// Chooses file type `i`. Saving, a file name with another type's extension takes this
    /// type's (found walking the app: Export view with "PDF" chosen wrote `briefing.png` as a
    /// PNG, as its name said).
    pub(crate) fn choose_type(&mut self, i: usize) {
        self.filter = i;
        let Some(filter) = self.filters.get(i) else { return };
        let Some(ext) = filter.extensions.first() else { return };
        let name = Path::new(self.file_name.trim());
        if !matches!(self.mode, DialogMode::Save) || name.as_os_str().is_empty() || filter.matches(name) {
            return;
        }
        if let Some(stem) = name.file_stem() {
            self.file_name = format!("{}.{ext}", stem.to_string_lossy());
            self.confirm_overwrite = None;
        }
    }

    /// The entries shown with the current filter: folders first, then matching files, by name.
    fn visible(&self) -> Vec<Entry> {
        let Some(Ok(entries)) = &self.entries else { return Vec::new() };
        let filter = self.filters.get(self.filter);
        entries
            .iter()
            .filter(|e| self.show_hidden || !e.name.starts_with('.'))
            .filter(|e| e.is_dir || filter.is_none_or(|f| f.matches(Path::new(&e.name))))
            .cloned()
            .collect()
    }

    /// What pressing Open/Save means now, or why it cannot be done.
    fn confirm(&mut self) -> Option<DialogOutcome> {
        match self.mode {
            DialogMode::Open { .. } => {
                let picked: Vec<PathBuf> = if self.selected.is_empty() && !self.file_name.trim().is_empty() {
                    vec![self.resolve(self.file_name.trim())]
                } else {
                    self.selected.iter().map(|n| self.dir.join(n)).collect()
                };
                let Some(first) = picked.first() else {
                    self.error = Some("Choose a file first.".to_owned());
                    return None;
                };
                if picked.len() == 1 && first.is_dir() {
                    let dir = first.clone();
                    self.file_name.clear();
                    self.go_to(dir);
                    return None;
                }
                if let Some(missing) = picked.iter().find(|p| !p.exists()) {
                    self.error = Some(format!("{} does not exist", missing.display()));
                    return None;
                }
                Some(DialogOutcome::Chosen(picked))
            }
            DialogMode::Save => {
                let name = self.file_name.trim();
                if name.is_empty() {
                    self.error = Some("Type a file name.".to_owned());
                    return None;
                }
                let mut path = self.resolve(name);
                if path.extension().is_none()
                    && let Some(ext) = self.filters.get(self.filter).and_then(|f| f.extensions.first())
                {
                    path.set_extension(ext);
                }
                if path.is_dir() {
                    self.file_name.clear();
                    self.go_to(path);
                    return None;
                }
                if path.exists() && self.confirm_overwrite.as_ref() != Some(&path) {
                    self.confirm_overwrite = Some(path);
                    return None;
                }
                Some(DialogOutcome::Chosen(vec![path]))
            }
        }
    }

    fn resolve(&self, typed: &str) -> PathBuf {
        let typed = Path::new(typed);
        if typed.is_absolute() { typed.to_owned() } else { self.dir.join(typed) }
    }

    /// Draws the dialog as a modal window and says what was decided.
    pub fn show(&mut self, ctx: &egui::Context) -> DialogOutcome {
        self.poll_listing();
        if self.listing.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        let mut outcome = DialogOutcome::Pending;
        let modal = egui::Modal::new(egui::Id::unique("frontier-atlas-file-dialog")).show(ctx, |ui| {
            ui.set_width(640.0);
            ui.heading(&self.title);
            outcome = self.body_ui(ui);
        });
        if modal.should_close() && outcome == DialogOutcome::Pending {
            outcome = DialogOutcome::Cancelled;
        }
        outcome
    }

    fn body_ui(&mut self, ui: &mut egui::Ui) -> DialogOutcome {
        let mut outcome = DialogOutcome::Pending;
        ui.horizontal(|ui| {
            if ui.button("Up").on_hover_text("Parent folder").clicked()
                && let Some(parent) = self.dir.parent().map(Path::to_owned)
            {
                self.go_to(parent);
            }
            if ui.button("Home").clicked()
                && let Some(home) = home_dir()
            {
                self.go_to(home);
            }
            let label = ui.label("Folder:");
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.path_text)
                    .desired_width(f32::INFINITY)
                    .id_salt("file-dialog-folder"),
            );
            let field = field.labelled_by(label.id);
            if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                let typed = PathBuf::from(self.path_text.trim());
                if typed.is_dir() {
                    self.go_to(typed);
                } else {
                    self.error = Some(format!("{} is not a folder", typed.display()));
                }
            }
        });
        ui.separator();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(150.0);
                ui.set_max_height(330.0);
                ui.label(egui::RichText::new("Places").strong());
                let mut go = None;
                if let Some(home) = home_dir()
                    && ui.selectable_label(self.dir == home, "Home").clicked()
                {
                    go = Some(home);
                }
                if ui.selectable_label(self.dir == Path::new("/"), "File system").clicked() {
                    go = Some(PathBuf::from("/"));
                }
                if !self.recent_dirs.is_empty() {
                    ui.label(egui::RichText::new("Recent").strong());
                    for d in &self.recent_dirs {
                        let name =
                            d.file_name().map_or_else(|| d.display().to_string(), |n| n.to_string_lossy().into());
                        if ui.selectable_label(self.dir == *d, name).on_hover_text(d.display().to_string()).clicked() {
                            go = Some(d.clone());
                        }
                    }
                }
                if let Some(d) = go {
                    self.go_to(d);
                }
            });
            ui.add_space(8.0);
            ui.vertical(|ui| outcome = self.entries_ui(ui));
        });
        ui.separator();
        if outcome == DialogOutcome::Pending {
            outcome = self.footer_ui(ui);
        }
        if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            outcome = DialogOutcome::Cancelled;
        }
        outcome
    }

    fn entries_ui(&mut self, ui: &mut egui::Ui) -> DialogOutcome {
        let mut outcome = DialogOutcome::Pending;
        let entries = self.visible();
        let multiple = matches!(self.mode, DialogMode::Open { multiple: true });
        egui::ScrollArea::vertical().max_height(320.0).min_scrolled_height(320.0).auto_shrink([false, false]).show(
            ui,
            |ui| {
                match &self.entries {
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Reading the folder…");
                        });
                    }
                    Some(Err(e)) => {
                        ui.colored_label(ui.visuals().error_fg_color, e.clone());
                    }
                    Some(Ok(_)) if entries.is_empty() => {
                        ui.weak("No matching files here.");
                    }
                    Some(Ok(_)) => {}
                }
                let mut open_dir = None;
                for e in &entries {
                    let selected = self.selected.contains(&e.name);
                    let text = if e.is_dir {
                        format!("{}/", e.name)
                    } else {
                        format!("{}   ({})", e.name, super::load_progress::size_words(e.size))
                    };
                    let r = ui.selectable_label(selected, text);
                    if r.double_clicked() {
                        if e.is_dir {
                            open_dir = Some(self.dir.join(&e.name));
                        } else {
                            outcome = DialogOutcome::Chosen(vec![self.dir.join(&e.name)]);
                        }
                    } else if r.clicked() {
                        let add = multiple && ui.input(|i| i.modifiers.command || i.modifiers.shift);
                        if !add {
                            self.selected.clear();
                        }
                        if selected && add {
                            self.selected.retain(|n| *n != e.name);
                        } else {
                            self.selected.push(e.name.clone());
                        }
                        if !e.is_dir {
                            self.file_name.clone_from(&e.name);
                        }
                        self.error = None;
                        self.confirm_overwrite = None;
                    }
                }
                if let Some(d) = open_dir {
                    self.go_to(d);
                }
            },
        );
        outcome
    }

    fn footer_ui(&mut self, ui: &mut egui::Ui) -> DialogOutcome {
        let mut outcome = DialogOutcome::Pending;
        ui.horizontal(|ui| {
            let label = ui.label("File name:");
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.file_name).desired_width(300.0).id_salt("file-dialog-name"));
            let field = field.labelled_by(label.id);
            if field.changed() {
                self.selected.clear();
                self.confirm_overwrite = None;
                // Found walking the app: "Choose a file first." stayed in red under a typed path.
                self.error = None;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let names: Vec<String> = self.filters.iter().map(filter_label).collect();
            // Its label before it, as "File name:" is (egui puts a combo box's own label after).
            let type_label = ui.label("Type:");
            let mut chosen = self.filter;
            egui::ComboBox::from_id_salt("file-dialog-type")
                .selected_text(names.get(self.filter).cloned().unwrap_or_default())
                .show_ui(ui, |ui| {
                    for (i, name) in names.iter().enumerate() {
                        ui.selectable_value(&mut chosen, i, name);
                    }
                })
                .response
                .labelled_by(type_label.id);
            if chosen != self.filter {
                self.choose_type(chosen);
            }
            if enter && let Some(o) = self.confirm() {
                outcome = o;
            }
        });
        ui.checkbox(&mut self.show_hidden, "Show hidden files");
        if let Some(path) = &self.confirm_overwrite {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{} already exists. Press Replace to overwrite it.", path.display()),
            );
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e.clone());
        }
        ui.horizontal(|ui| {
            let action = match (self.mode, &self.confirm_overwrite) {
                (DialogMode::Save, Some(_)) => "Replace",
                (DialogMode::Save, None) => "Save",
                (DialogMode::Open { .. }, _) => "Open",
            };
            if ui.button(action).clicked()
                && let Some(o) = self.confirm()
            {
                outcome = o;
            }
            if ui.button("Cancel").clicked() {
                outcome = DialogOutcome::Cancelled;
            }
        });
        outcome
    }
}

fn filter_label(f: &FileFilter) -> String {
    if f.extensions.is_empty() { f.name.clone() } else { format!("{} (.{})", f.name, f.extensions.join(", .")) }
}

/// Lists a folder: names, whether each is a folder (following links) and file sizes.
fn list_dir(dir: &Path) -> Result<Vec<Entry>, String> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut entries: Vec<Entry> = read
        .flatten()
        .map(|e| {
            let meta = std::fs::metadata(e.path()).ok();
            Entry {
                name: e.file_name().to_string_lossy().into_owned(),
                is_dir: meta.as_ref().is_some_and(std::fs::Metadata::is_dir),
                size: meta.as_ref().map_or(0, std::fs::Metadata::len),
            }
        })
        .collect();
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
    Ok(entries)
}

/// The user's home folder.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" }).map(PathBuf::from).filter(|p| p.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with_files() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("events.geojson"), "{}").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        std::fs::write(dir.path().join(".hidden.geojson"), "{}").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        dir
    }

    #[test]
    fn the_filter_shows_folders_and_matching_files_only() {
        let dir = dir_with_files();
        let mut d = FileDialog::open(
            "Open",
            vec![FileFilter::new("Map data", &["geojson"])],
            Some(dir.path().to_owned()),
            false,
        );
        d.wait_for_listing(std::time::Duration::from_secs(5));
        let names: Vec<String> = d.visible().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["sub", "events.geojson"]);
        d.filter = 1; // All files
        d.show_hidden = true;
        let names: Vec<String> = d.visible().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["sub", ".hidden.geojson", "events.geojson", "notes.txt"]);
    }

    #[test]
    fn save_adds_the_extension_and_asks_before_replacing() {
        let dir = dir_with_files();
        let filters = vec![FileFilter::new("GeoJSON", &["geojson"])];
        let mut d = FileDialog::save("Save", filters, Some(dir.path().to_owned()), "new");
        assert_eq!(d.confirm(), Some(DialogOutcome::Chosen(vec![dir.path().join("new.geojson")])));
        d.file_name = "events".to_owned();
        assert_eq!(d.confirm(), None, "asks first");
        assert!(d.confirm_overwrite.is_some());
        assert_eq!(d.confirm(), Some(DialogOutcome::Chosen(vec![dir.path().join("events.geojson")])));
    }

    #[test]
    fn choosing_a_type_when_saving_gives_the_name_its_extension() {
        let dir = dir_with_files();
        let filters = vec![FileFilter::new("PNG", &["png"]), FileFilter::new("PDF", &["pdf"])];
        let mut d = FileDialog::save("Export view", filters, Some(dir.path().to_owned()), "briefing.png");
        d.choose_type(1);
        assert_eq!(d.file_name, "briefing.pdf");
        assert_eq!(d.confirm(), Some(DialogOutcome::Chosen(vec![dir.path().join("briefing.pdf")])));
        // A name without an extension takes the type's too; "All files" leaves the name alone.
        d.file_name = "brief".to_owned();
        d.choose_type(0);
        assert_eq!(d.file_name, "brief.png");
        d.choose_type(2);
        assert_eq!(d.file_name, "brief.png");
    }

    #[test]
    fn a_proposed_name_chooses_its_own_file_type() {
        let dir = dir_with_files();
        std::fs::write(dir.path().join("TJK.gpkg"), "x").unwrap();
        let filters =
            || vec![FileFilter::new("GeoJSON", &["geojson", "json"]), FileFilter::new("GeoPackage", &["gpkg"])];
        let mut d = FileDialog::save("Save", filters(), Some(dir.path().to_owned()), "TJK.gpkg");
        assert_eq!(d.filter, 1);
        d.wait_for_listing(std::time::Duration::from_secs(5));
        let names: Vec<String> = d.visible().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["sub", "TJK.gpkg"]);
        // No extension, or one no type lists: the first type, as before.
        assert_eq!(FileDialog::save("Save", filters(), Some(dir.path().to_owned()), "new").filter, 0);
        assert_eq!(FileDialog::save("Save", filters(), Some(dir.path().to_owned()), "a.txt").filter, 0);
    }

    #[test]
    fn open_of_a_folder_enters_it_and_a_missing_file_is_an_error() {
        let dir = dir_with_files();
        let mut d = FileDialog::open("Open", Vec::new(), Some(dir.path().to_owned()), true);
        d.selected = vec!["sub".to_owned()];
        assert_eq!(d.confirm(), None);
        assert_eq!(d.dir(), dir.path().join("sub"));
        d.file_name = "nope.geojson".to_owned();
        assert_eq!(d.confirm(), None);
        assert!(d.error.as_deref().is_some_and(|e| e.contains("does not exist")));
        d.go_to(dir.path().to_owned());
        d.selected = vec!["events.geojson".to_owned(), "notes.txt".to_owned()];
        assert_eq!(
            d.confirm(),
            Some(DialogOutcome::Chosen(vec![dir.path().join("events.geojson"), dir.path().join("notes.txt")]))
        );
    }

    #[test]
    fn an_unreadable_folder_is_a_message_not_a_panic() {
        let e = list_dir(Path::new("/no/such/folder/here")).unwrap_err();
        assert!(e.contains("/no/such/folder/here"), "{e}");
    }
}
