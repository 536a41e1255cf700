//! Crash recovery: autosaves of layers with unsaved edits, and finding them again.
//!
//! Each autosave is two files in the store's folder (the app passes an OS data folder):
//! `<name>-<uid>.recovery.geojson`, the layer written by [`crate::io::save`], and
//! `<name>-<uid>.recovery.json`, a small sidecar saying where the layer came from, when it
//! was saved and how many features it had. Both are written atomically. Layer uids restart
//! with each run, so the app should offer (and then load or discard) what [`RecoveryStore::list`]
//! finds before it autosaves again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::geojson::{GeoJsonError, Loaded, parse_layer};
use super::save::{SaveError, layer_to_text};
use crate::model::{Layer, LayerKind, LayerSource};

const DATA_SUFFIX: &str = ".recovery.geojson";
const META_SUFFIX: &str = ".recovery.json";

/// The sidecar of one autosave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryMeta {
    /// The layer's name.
    pub layer_name: String,
    /// Where the layer came from, as shown to the user (a path or "embedded geodata/…").
    pub source_label: String,
    /// The layer's file, when it came from one: where "Recover" should save it back.
    pub original_path: Option<PathBuf>,
    /// The layer's kind (see `LayerKind::label`).
    pub kind: String,
    /// When the autosave was written, RFC 3339 UTC.
    pub saved_at: String,
    /// How many features it holds.
    pub feature_count: usize,
}

/// One autosave found in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryEntry {
    /// The autosaved layer.
    pub data_path: PathBuf,
    /// Its sidecar.
    pub meta_path: PathBuf,
    /// The sidecar's content, when it could be read.
    pub meta: Option<RecoveryMeta>,
    /// Why the sidecar could not be read, if it could not.
    pub problem: Option<String>,
}

/// A folder of autosaves.
#[derive(Debug, Clone)]
pub struct RecoveryStore {
    dir: PathBuf,
}

impl RecoveryStore {
    /// A store in `dir` (created on the first autosave).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the layer and its sidecar atomically; returns the layer file's path. Writing
    /// again for the same layer replaces the previous autosave.
    pub fn autosave(&self, layer: &Layer, source_label: &str) -> Result<PathBuf, SaveError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| SaveError::io(&self.dir, e))?;
        let stem = format!("{}-{}", sanitize(&layer.name), layer.uid);
        let data_path = self.dir.join(format!("{stem}{DATA_SUFFIX}"));
        let meta_path = self.dir.join(format!("{stem}{META_SUFFIX}"));
        let meta = RecoveryMeta {
            layer_name: layer.name.clone(),
            source_label: source_label.to_owned(),
            original_path: match &layer.source {
                LayerSource::File(p) => Some(p.clone()),
                LayerSource::Embedded(_) => None,
            },
            kind: layer.kind.label().to_owned(),
            saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            feature_count: layer.features.len(),
        };
        let serialize =
            |path: &Path, e: serde_json::Error| SaveError::Serialize { path: path.to_owned(), message: e.to_string() };
        let data = layer_to_text(layer).map_err(|e| serialize(&data_path, e))?;
        let meta_text = serde_json::to_vec_pretty(&meta).map_err(|e| serialize(&meta_path, e))?;
        super::atomic::write_atomic(&data_path, &data).map_err(|e| SaveError::io(&data_path, e))?;
        super::atomic::write_atomic(&meta_path, &meta_text).map_err(|e| SaveError::io(&meta_path, e))?;
        Ok(data_path)
    }

    /// Every autosave in the store, sorted by file name. A missing folder holds none.
    pub fn list(&self) -> Vec<RecoveryEntry> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut entries: Vec<RecoveryEntry> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter_map(|data_path| {
                let name = data_path.file_name()?.to_str()?;
                let stem = name.strip_suffix(DATA_SUFFIX)?;
                let meta_path = self.dir.join(format!("{stem}{META_SUFFIX}"));
                let (meta, problem) = match read_meta(&meta_path) {
                    Ok(m) => (Some(m), None),
                    Err(why) => (None, Some(why)),
                };
                Some(RecoveryEntry { data_path, meta_path, meta, problem })
            })
            .collect();
        entries.sort_by(|a, b| a.data_path.cmp(&b.data_path));
        entries
    }

    /// Loads an autosave as a layer named and typed as the original, whose source is the
    /// original file (so saving writes there) or, without one, the autosave itself.
    pub fn load(&self, entry: &RecoveryEntry) -> Result<Loaded, GeoJsonError> {
        let path = &entry.data_path;
        let text = std::fs::read_to_string(path).map_err(|source| GeoJsonError::Io { path: path.clone(), source })?;
        let label = path.display().to_string();
        let meta = entry.meta.as_ref();
        let name = meta.map_or_else(
            || path.file_name().map_or_else(String::new, |n| n.to_string_lossy().replace(DATA_SUFFIX, "")),
            |m| m.layer_name.clone(),
        );
        let kind = meta.and_then(|m| kind_from_label(&m.kind));
        let source = LayerSource::File(meta.and_then(|m| m.original_path.clone()).unwrap_or_else(|| path.clone()));
        parse_layer(&text, &label, &name, kind, source)
    }

    /// Deletes an autosave and its sidecar (after it was recovered or declined).
    pub fn discard(&self, entry: &RecoveryEntry) -> std::io::Result<()> {
        for p in [&entry.data_path, &entry.meta_path] {
            match std::fs::remove_file(p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

fn read_meta(path: &Path) -> Result<RecoveryMeta, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{e}: {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("unreadable recovery sidecar ({e}): {}", path.display()))
}

/// The layer kind with this label.
fn kind_from_label(label: &str) -> Option<LayerKind> {
    use LayerKind as K;
    [
        K::Countries,
        K::Provinces,
        K::Districts,
        K::Regions,
        K::Lakes,
        K::Rivers,
        K::Border,
        K::Places,
        K::Events,
        K::Aid,
        K::Generic,
    ]
    .into_iter()
    .find(|k| k.label() == label)
}

/// A layer name made safe for a file name: ASCII letters, digits, `-` and `_`, at most 40.
fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(40)
        .collect();
    if s.trim_matches('_').is_empty() { "layer".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::geojson::layer_to_geojson;

    const TEXT: &str = r#"{"type":"FeatureCollection","name":"ev","features":[
{"type":"Feature","id":"TJK-FA-001","geometry":{"type":"Point","coordinates":[71.5,37.5]},"properties":{"event_date":"2021-06-01","event_type":"Battles","time_precision":1}},
{"type":"Feature","id":"TJK-FA-002","geometry":null,"properties":null,"extra":{"a":[1,2]}}
]}
"#;

    fn layer() -> Layer {
        let path = PathBuf::from("/data/Events: Panj (v2).geojson");
        parse_layer(TEXT, "t", "Events: Panj (v2)", None, LayerSource::File(path)).unwrap().layer
    }

    #[test]
    fn autosave_list_load_discard() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().join("recovery"));
        assert!(store.list().is_empty());
        let original = layer();
        let data = store.autosave(&original, "/data/Events: Panj (v2).geojson").unwrap();
        let name = data.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("Events__Panj__v2_-"), "{name}");
        let list = store.list();
        assert_eq!(list.len(), 1);
        let entry = &list[0];
        let meta = entry.meta.as_ref().unwrap();
        assert_eq!(meta.feature_count, 2);
        assert_eq!(meta.kind, "events");
        assert_eq!(meta.original_path.as_deref(), Some(Path::new("/data/Events: Panj (v2).geojson")));
        let loaded = store.load(entry).unwrap().layer;
        assert_eq!(loaded.name, original.name);
        assert_eq!(loaded.kind, LayerKind::Events);
        assert_eq!(loaded.source, original.source);
        assert_eq!(layer_to_geojson(&loaded).to_string(), layer_to_geojson(&original).to_string());
        store.discard(entry).unwrap();
        assert!(store.list().is_empty());
        assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 0, "both files removed");
    }

    #[test]
    fn corrupt_recovery_is_reported_not_panicked_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().to_owned());
        let data = store.autosave(&layer(), "x").unwrap();
        std::fs::write(&data, "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":").unwrap();
        let stem = data.file_name().unwrap().to_string_lossy().replace(DATA_SUFFIX, "");
        std::fs::write(dir.path().join(format!("{stem}{META_SUFFIX}")), "not json").unwrap();
        let list = store.list();
        assert_eq!(list.len(), 1);
        assert!(list[0].meta.is_none());
        assert!(list[0].problem.as_deref().unwrap().contains("unreadable recovery sidecar"), "{:?}", list[0].problem);
        let err = store.load(&list[0]).unwrap_err().to_string();
        assert!(err.contains(".recovery.geojson"), "{err}");
        store.discard(&list[0]).unwrap();
        assert!(store.list().is_empty());
    }
}
