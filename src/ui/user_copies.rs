//! Saved copies of shipped layers: editing a shipped layer saves a user copy in the app's
//! data folder (`layers/events.geojson`); the next start shows that copy in place of the
//! embedded original, so saved edits are still there after a restart.

use std::path::PathBuf;

use super::app::{AtlasApp, Level, Message};
use super::jobs::{JobKind, Outcome};
use crate::geodata::EMBEDDED;
use crate::io::geojson::Loaded;
use crate::model::LayerSource;

impl AtlasApp {
    /// Reads, on a worker, the user copies of shipped layers that exist; they replace the
    /// embedded originals when they arrive (see [`AtlasApp::on_user_copies`]).
    pub fn load_user_copies(&mut self) {
        let dir = self.user_layers_dir();
        let wanted: Vec<(&'static str, &'static str, crate::model::LayerKind, PathBuf)> =
            EMBEDDED.iter().map(|e| (e.file, e.name, e.kind, dir.join(e.file))).collect();
        self.jobs.spawn(
            JobKind::Housekeeping,
            "reading your saved layers".to_owned(),
            None,
            self.now_secs,
            move || {
                let copies = wanted
                    .into_iter()
                    .filter(|(_, _, _, path)| crate::io::read::is_regular_file(path))
                    .map(|(file, name, kind, path)| {
                        let loaded = crate::io::read::read_input(&path)
                            .map_err(|e| e.to_string())
                            .and_then(|bytes| String::from_utf8(bytes).map_err(|e| format!("{e}: {}", path.display())))
                            .and_then(|text| {
                                let label = path.display().to_string();
                                let source = LayerSource::File(path.clone());
                                crate::io::geojson::parse_layer(&text, &label, name, Some(kind), source)
                                    .map_err(|e| e.to_string())
                            });
                        (file, loaded.map(Box::new))
                    })
                    .collect();
                Outcome::UserCopies(copies)
            },
        );
    }

    /// User copies arrived: each replaces its shipped layer, unless that layer was edited or
    /// restored meanwhile (then the newer edits stay and nothing is replaced).
    pub(crate) fn on_user_copies(&mut self, copies: Vec<(&'static str, Result<Box<Loaded>, String>)>) {
        let mut replaced = Vec::new();
        for (file, loaded) in copies {
            let loaded = match loaded {
                Ok(l) => *l,
                Err(e) => {
                    let text =
                        format!("your saved copy of a shipped layer could not be read; showing the original: {e}");
                    self.messages.push(Message::new(Level::Warning, text));
                    continue;
                }
            };
            let Some(li) = self.catalog.layers.iter().position(|l| l.source == LayerSource::Embedded(file)) else {
                continue;
            };
            let old = &self.catalog.layers[li];
            if self.history.is_dirty(old.uid) || self.history.can_undo_layer(old.uid) {
                continue;
            }
            let mut layer = loaded.layer;
            layer.visible = old.visible;
            layer.opacity = old.opacity;
            layer.style.clone_from(&old.style);
            if self.editor.is_editing(old.uid) {
                self.editor.layer = Some(layer.uid);
            }
            self.selection = self.selection.filter(|s| s.layer != li);
            self.hits_here.retain(|r| r.layer != li);
            replaced.push(format!("{} ({})", layer.name, layer.source));
            self.catalog.layers[li] = layer;
        }
        if !replaced.is_empty() {
            self.filter.update(&self.catalog);
            self.timeline.catalog_changed(&self.catalog);
            self.map.invalidate();
            let text = format!("Showing your saved copies of: {}", replaced.join(", "));
            self.messages.push(Message::new(Level::Info, text));
        }
    }
}
