//! Loading files off the UI thread, so a huge file never freezes the map.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::io::geojson::Loaded;

/// The outcome of one background load.
pub enum LoadResult {
    /// A layer loaded (maybe with skipped features).
    Layer(PathBuf, Box<Loaded>),
    /// The file could not be loaded at all.
    Failed(PathBuf, String),
}

/// Loads files on named worker threads and hands the results back to the UI.
pub struct BackgroundLoader {
    tx: Sender<LoadResult>,
    rx: Receiver<LoadResult>,
    /// Files still loading.
    pub pending: Vec<PathBuf>,
}

impl Default for BackgroundLoader {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self { tx, rx, pending: Vec::new() }
    }
}

impl BackgroundLoader {
    /// Starts loading `path`; `repaint` is called when it is done.
    pub fn load(&mut self, path: PathBuf, repaint: impl Fn() + Send + 'static) {
        let tx = self.tx.clone();
        self.pending.push(path.clone());
        let spawned = std::thread::Builder::new().name("load-file".to_owned()).spawn(move || {
            for result in load_any(&path) {
                let _ = tx.send(result);
            }
            repaint();
        });
        if let Err(e) = spawned {
            let _ = self.tx.send(LoadResult::Failed(PathBuf::new(), format!("cannot start a loader thread: {e}")));
        }
    }

    /// Loads `path` on this thread (tests, command line).
    pub fn load_now(&mut self, path: &std::path::Path) {
        self.pending.push(path.to_owned());
        for result in load_any(path) {
            let _ = self.tx.send(result);
        }
    }

    /// Results that arrived since the last call.
    pub fn poll(&mut self) -> Vec<LoadResult> {
        let results: Vec<LoadResult> = self.rx.try_iter().collect();
        for r in &results {
            let path = match r {
                LoadResult::Layer(p, _) | LoadResult::Failed(p, _) => p,
            };
            self.pending.retain(|p| p != path);
        }
        results
    }
}

/// Loads a file through the one dispatcher, [`crate::io::open::open_layers`]: GeoJSON, a CSV
/// (ACLED export or points with lon/lat columns), or every feature table of a GeoPackage.
fn load_any(path: &std::path::Path) -> Vec<LoadResult> {
    match crate::io::open::open_layers(path) {
        Ok(layers) => layers
            .into_iter()
            .map(|mut l| {
                // Simplified copies of a big boundary layer, built on their own worker while the
                // map draws it at full detail.
                let features: Vec<_> = l.layer.features.iter().collect();
                let lod = crate::spatial::lod::LodSet::start_if_big(features.iter().map(|f| &f.shape));
                drop(features);
                l.layer.lod = lod;
                LoadResult::Layer(path.to_owned(), Box::new(l))
            })
            .collect(),
        Err(e) => vec![LoadResult::Failed(path.to_owned(), e.to_string())],
    }
}
