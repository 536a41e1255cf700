//! The egui user interface. Only this module knows egui.
//!
//! Panels draw from the app state and return [`Command`]s; the app applies them after the
//! frame, so panels never mutate the model directly.

mod app;
mod attribute_form;
mod command;
mod dialogs;
mod edit_toolbar;
mod editing;
mod editor;
pub mod file_choice;
pub mod file_dialog;
mod inspector;
pub mod jobs;
mod layer_undo;
mod layers_panel;
mod load_progress;
mod loader;
mod map_view;
mod measure_tool;
mod near_panel;
mod painter;
mod projects;
pub mod recovery_ui;
mod scenes_panel;
mod search;
pub mod team_conflicts;
pub mod team_connect;
pub mod team_store;
mod timeline;
mod unsaved_dialog;
mod user_copies;
mod zone_menu;

pub use app::{AtlasApp, Level, Message, PersistedState, Theme};
pub use command::{Command, EditIntent};
pub use dialogs::{BookmarkDialog, QUICK_GUIDE, SHORTCUTS};
pub use editor::{EditorState, Tool};
pub use recovery_ui::Safety;
pub use search::{SearchHit, search};

use std::path::PathBuf;
use std::process::ExitCode;

/// Opens the app window on the embedded data plus `files`, connected to the team store at
/// `db` when given (`--db URL`).
pub fn run_app(files: Vec<PathBuf>, db: Option<String>) -> ExitCode {
    // The settings folder (also home of recovery files, user copies and the recent list) is
    // private: made 0700 with a 0600 app.ron before eframe writes there (Unix; on Windows the
    // per-user AppData folder is already private).
    let settings = editing::user_data_dir();
    if let Err(e) = crate::io::private::prepare_settings_dir(&settings) {
        eprintln!("frontier-atlas: cannot make the settings folder private: {e}: {}", settings.display());
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Frontier Atlas")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        ..eframe::NativeOptions::default()
    };
    let result = eframe::run_native(
        "Frontier Atlas",
        options,
        Box::new(move |cc| {
            let mut app = AtlasApp::new(cc.storage);
            app.jobs.ctx = Some(cc.egui_ctx.clone());
            app.load_user_copies();
            if let Some(url) = db {
                app.connect_team_store_url(&url);
            }
            for f in files.into_iter().filter(|f| !f.as_os_str().is_empty()) {
                if crate::project::is_project_path(&f) {
                    app.open_project(&f);
                } else {
                    app.open_file_in_background(f);
                }
            }
            Ok(Box::new(app))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("frontier-atlas: cannot open a window: {e}");
            ExitCode::from(1)
        }
    }
}
