//! Loading files off the UI thread, so a huge file never freezes the map.
//!
//! Each load runs on its own named worker with its own [`Progress`] (bytes, features, a
//! cancel flag) that the window reads every frame for its progress row. Everything a layer
//! needs before it is drawn — parsing, the spatial index, the dates — is built on the
//! worker; the UI thread only inserts the finished layer. A cancelled load is forgotten at
//! once: whatever its worker still sends is dropped, so the catalog stays as it was.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::io::geojson::Loaded;
use crate::io::open::OpenError;
use crate::io::progress::Progress;
use crate::spatial::WorldRect;

/// The outcome of one background load.
pub enum LoadResult {
    /// A layer loaded (maybe with skipped features), and where its features are but for
    /// far-flung ones, with how many those are ([`crate::model::Layer::core_bounds`], found on
    /// the loader's thread: a scan of every feature).
    Layer(PathBuf, Box<Loaded>, Option<(WorldRect, usize)>),
    /// The file could not be loaded at all.
    Failed(PathBuf, String),
    /// The load was cancelled; nothing was added.
    Cancelled(PathBuf),
}

/// A load still running, for its progress row.
#[derive(Debug, Clone)]
pub struct Loading {
    /// Load number (two loads of one file are two rows).
    pub id: u64,
    /// The file.
    pub path: PathBuf,
    /// How far it has got; [`Progress::cancel`] stops it.
    pub progress: Progress,
}

/// Loads files on named worker threads and hands the results back to the UI.
pub struct BackgroundLoader {
    tx: Sender<(u64, Vec<LoadResult>)>,
    rx: Receiver<(u64, Vec<LoadResult>)>,
    next_id: u64,
    /// Results decided on this thread (a cancel), handed out by the next [`Self::poll`].
    decided: Vec<LoadResult>,
    /// Files still loading, oldest first.
    pub pending: Vec<Loading>,
    /// Repainted when a load finishes (the real app's context; `None` in tests).
    pub ctx: Option<egui::Context>,
}

impl Default for BackgroundLoader {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self { tx, rx, next_id: 1, decided: Vec::new(), pending: Vec::new(), ctx: None }
    }
}

impl BackgroundLoader {
    /// Starts loading `path` on a worker; returns the load's number.
    pub fn load(&mut self, path: PathBuf) -> u64 {
        let loading = self.start(path);
        let (id, path, progress) = (loading.id, loading.path.clone(), loading.progress.clone());
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new().name("load-file".to_owned()).spawn(move || {
            let _ = tx.send((id, load_any(&path, &progress)));
            if let Some(ctx) = ctx {
                ctx.request_repaint();
            }
        });
        if let Err(e) = spawned {
            let failed = LoadResult::Failed(loading.path.clone(), format!("cannot start a loader thread: {e}"));
            let _ = self.tx.send((id, vec![failed]));
        }
        id
    }

    /// Loads `path` on this thread (tests, command line).
    pub fn load_now(&mut self, path: &Path) {
        let loading = self.start(path.to_owned());
        let _ = self.tx.send((loading.id, load_any(path, &loading.progress)));
    }

    fn start(&mut self, path: PathBuf) -> Loading {
        let loading = Loading { id: self.next_id, path, progress: Progress::new() };
        self.next_id += 1;
        self.pending.push(loading.clone());
        loading
    }

    /// Cancels load `id`: its row goes at once, the next [`Self::poll`] says it was
    /// cancelled, and whatever its worker still sends is dropped.
    pub fn cancel(&mut self, id: u64) {
        if let Some(at) = self.pending.iter().position(|l| l.id == id) {
            let loading = self.pending.remove(at);
            loading.progress.cancel();
            self.decided.push(LoadResult::Cancelled(loading.path));
        }
    }

    /// Results that arrived since the last call (loads cancelled meanwhile are dropped).
    pub fn poll(&mut self) -> Vec<LoadResult> {
        let mut results = std::mem::take(&mut self.decided);
        for (id, mut done) in self.rx.try_iter().collect::<Vec<_>>() {
            let Some(at) = self.pending.iter().position(|l| l.id == id) else {
                continue;
            };
            let loading = self.pending.remove(at);
            if loading.progress.cancelled() {
                done = vec![LoadResult::Cancelled(loading.path)];
            }
            results.append(&mut done);
        }
        results
    }
}

/// Loads a file through the one dispatcher, [`crate::io::open::open_layers_with`]: GeoJSON, a
/// CSV (ACLED export or points with lon/lat columns), KML, or every feature table of a
/// GeoPackage.
fn load_any(path: &Path, progress: &Progress) -> Vec<LoadResult> {
    match crate::io::open::open_layers_with(path, progress) {
        Ok(layers) => layers
            .into_iter()
            .map(|mut l| {
                // Simplified copies of a big boundary layer, built on their own worker while the
                // map draws it at full detail.
                // From the shape column: a packed feature is not decoded for this.
                l.layer.start_lod_if_big();
                let view = l.layer.core_bounds();
                LoadResult::Layer(path.to_owned(), Box::new(l), view)
            })
            .collect(),
        Err(OpenError::Cancelled { .. }) => vec![LoadResult::Cancelled(path.to_owned())],
        Err(e) => vec![LoadResult::Failed(path.to_owned(), e.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_load_gives_no_layer_even_if_its_worker_finished() {
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata/events.geojson"));
        let mut loader = BackgroundLoader::default();
        loader.load_now(&path);
        let id = loader.pending.first().map(|l| l.id).expect("a row");
        // The worker's layer is already in the channel: cancelling still wins.
        loader.cancel(id);
        assert!(loader.pending.is_empty(), "the row goes at once");
        let results = loader.poll();
        assert!(matches!(results.as_slice(), [LoadResult::Cancelled(p)] if *p == path), "{} results", results.len());
        assert!(loader.poll().is_empty());
    }

    #[test]
    fn a_big_packed_file_reaches_the_map_without_a_feature_decoded() {
        use std::fmt::Write as _;
        // The simplified copies are looked for in the shape column: a million packed events
        // used to be decoded here, one by one, before the layer was shown.
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("events.csv");
        let mut csv = String::from("event_id_cnty,event_date,event_type,latitude,longitude,notes\n");
        for i in 0..5_000 {
            let _ = writeln!(csv, "AFG{i:06},2021-03-{:02},Battles,37.{i:04},71.{i:04},\"a note, {i}\"", i % 28 + 1);
        }
        std::fs::write(&path, csv).expect("written");
        let loaded = load_any(&path, &Progress::new());
        let [LoadResult::Layer(_, l, _)] = loaded.as_slice() else { panic!("not one layer") };
        assert_eq!(l.layer.features.len(), 5_000);
        assert_eq!(l.layer.features.packed_count(), 5_000);
        assert_eq!(l.layer.features.decodes(), 0, "decoded while loading");
    }

    #[test]
    fn two_loads_of_one_file_are_two_rows() {
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata/events.geojson"));
        let mut loader = BackgroundLoader::default();
        loader.load_now(&path);
        loader.load_now(&path);
        assert_eq!(loader.pending.len(), 2);
        let results = loader.poll();
        for r in &results {
            if let LoadResult::Failed(_, e) = r {
                panic!("{e}");
            }
        }
        assert_eq!(results.iter().filter(|r| matches!(r, LoadResult::Layer(..))).count(), 2);
        assert!(loader.pending.is_empty());
    }
}
