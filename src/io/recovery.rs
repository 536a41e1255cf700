//! Crash recovery: autosaves of layers with unsaved edits, and finding them again.
//!
//! Each autosave is up to three files in the store's folder (the app passes an OS data
//! folder): `<name>-<session>-<uid>.recovery.geojson`, the layer written by
//! [`crate::io::save`]; `….recovery.journal.jsonl`, the edit-journal entries not yet written
//! beside the layer's file; and `….recovery.json`, a small sidecar saying where the layer came
//! from (its file, or the shipped layer it copies), when it was saved and how many features it
//! had. All are written atomically, and privately (see [`crate::io::private`]): unsaved edits
//! are nobody else's to read. The session part of the name is new for every
//! [`RecoveryStore::new`], so a new run never overwrites what an earlier, crashed run left
//! (layer uids restart with each run).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::geojson::{GeoJsonError, Loaded};
use super::journal::{JournalEntry, read_journal, to_jsonl};
use super::progress::Progress;
use super::save::SaveError;
use crate::model::{Layer, LayerKind, LayerSource};

const DATA_SUFFIX: &str = ".recovery.geojson";
const META_SUFFIX: &str = ".recovery.json";
const JOURNAL_SUFFIX: &str = ".recovery.journal.jsonl";

/// The sidecar of one autosave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryMeta {
    /// The layer's name.
    pub layer_name: String,
    /// Where the layer came from, as shown to the user (a path or "embedded geodata/…").
    pub source_label: String,
    /// The layer's file, when it came from one: where "Recover" should save it back.
    pub original_path: Option<PathBuf>,
    /// The shipped layer it is an edited copy of (its file name under `geodata/`), when it
    /// is one. Sidecars written before this field existed read as `None`.
    #[serde(default)]
    pub embedded: Option<String>,
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
    /// Its pending journal entries (the file may not exist: no entries).
    pub journal_path: PathBuf,
    /// The sidecar's content, when it could be read.
    pub meta: Option<RecoveryMeta>,
    /// Why the sidecar could not be read, if it could not.
    pub problem: Option<String>,
}

/// Where a recovered layer belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An edited copy of a layer file: saving writes that file.
    File(PathBuf),
    /// An edited copy of a shipped layer (`geodata/NAME`): saving writes the user copy.
    Embedded(&'static str),
    /// Not known (the sidecar is missing or unreadable): the app must ask where to save.
    Unknown,
}

/// An autosave read back.
#[derive(Debug)]
pub struct Recovered {
    /// The layer, named and typed as the original. Its source is the original's (the file,
    /// or the shipped layer); for [`Origin::Unknown`] it is the autosave file, which must never
    /// be saved to.
    pub loaded: Loaded,
    /// Where it belongs.
    pub origin: Origin,
    /// Journal entries of its edits that were never written beside its file.
    pub journal: Vec<JournalEntry>,
}

/// A folder of autosaves.
#[derive(Debug, Clone)]
pub struct RecoveryStore {
    dir: PathBuf,
    session: String,
}

impl RecoveryStore {
    /// A store in `dir` (created, private, on the first autosave).
    pub fn new(dir: PathBuf) -> Self {
        let millis = chrono::Utc::now().timestamp_millis();
        Self { dir, session: format!("{:x}{millis:x}", std::process::id()) }
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether `path` is one of the store's own files (a layer must never be saved there).
    pub fn holds(&self, path: &Path) -> bool {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
        path.parent().is_some_and(|d| canon(d) == canon(&self.dir))
    }

    /// Writes the layer, its pending journal entries and its sidecar atomically and
    /// privately; returns the layer file's path. Writing again for the same layer in the same
    /// session replaces the previous autosave.
    pub fn autosave(&self, layer: &Layer, source_label: &str, journal: &[JournalEntry]) -> Result<PathBuf, SaveError> {
        super::private::create_private_dir(&self.dir).map_err(|e| SaveError::io(&self.dir, e))?;
        let stem = format!("{}-{}-{}", sanitize(&layer.name), self.session, layer.uid);
        let data_path = self.dir.join(format!("{stem}{DATA_SUFFIX}"));
        let meta_path = self.dir.join(format!("{stem}{META_SUFFIX}"));
        let journal_path = self.dir.join(format!("{stem}{JOURNAL_SUFFIX}"));
        let (original_path, embedded) = match &layer.source {
            LayerSource::File(p) => (Some(p.clone()), None),
            LayerSource::Embedded(name) => (None, Some((*name).to_owned())),
            LayerSource::Store { .. } => (None, None),
        };
        let meta = RecoveryMeta {
            layer_name: layer.name.clone(),
            source_label: source_label.to_owned(),
            original_path,
            embedded,
            kind: layer.kind.label().to_owned(),
            saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            feature_count: layer.features.len(),
        };
        let serialize =
            |path: &Path, e: serde_json::Error| SaveError::Serialize { path: path.to_owned(), message: e.to_string() };
        let meta_text = serde_json::to_vec_pretty(&meta).map_err(|e| serialize(&meta_path, e))?;
        let journal_text = to_jsonl(journal).map_err(|e| serialize(&journal_path, e))?;
        let write =
            |path: &Path, bytes: &[u8]| super::private::write_private(path, bytes).map_err(|e| SaveError::io(path, e));
        super::private::write_private_with(&data_path, |out| {
            super::save::write_layer_text(layer, out).map_err(super::save::Streamed::from_json)
        })
        .map_err(|e| e.into_save_error(&data_path))?;
        if journal.is_empty() {
            remove_if_present(&journal_path).map_err(|e| SaveError::io(&journal_path, e))?;
        } else {
            write(&journal_path, &journal_text)?;
        }
        write(&meta_path, &meta_text)?;
        Ok(data_path)
    }

    /// Removes what autosaves of earlier, killed sessions left half-written (a crash while an
    /// autosave of a big layer was being written leaves a temporary file as big as the layer,
    /// which no later session writes again and so never replaced).
    pub fn remove_stale_temporaries(&self) {
        let ours = |name: &str| [DATA_SUFFIX, META_SUFFIX, JOURNAL_SUFFIX].iter().any(|s| name.ends_with(s));
        super::atomic::remove_stale_temporaries_of(&self.dir, ours);
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
                let journal_path = self.dir.join(format!("{stem}{JOURNAL_SUFFIX}"));
                let (meta, problem) = match read_meta(&meta_path) {
                    Ok(m) => (Some(m), None),
                    Err(why) => (None, Some(why)),
                };
                Some(RecoveryEntry { data_path, meta_path, journal_path, meta, problem })
            })
            .collect();
        entries.sort_by(|a, b| a.data_path.cmp(&b.data_path));
        entries
    }

    /// Loads an autosave as a layer named and typed as the original, with where it belongs
    /// and its pending journal entries (unreadable journal lines are reported as skipped).
    pub fn load(&self, entry: &RecoveryEntry) -> Result<Recovered, GeoJsonError> {
        self.load_with(entry, &Progress::new())
    }

    /// [`RecoveryStore::load`] reporting its bytes and features to `progress`, as File →
    /// Open does; stops with [`GeoJsonError::Cancelled`] once `progress` is cancelled.
    pub fn load_with(&self, entry: &RecoveryEntry, progress: &Progress) -> Result<Recovered, GeoJsonError> {
        let path = &entry.data_path;
        let meta = entry.meta.as_ref();
        let name = meta.map_or_else(
            || path.file_name().map_or_else(String::new, |n| n.to_string_lossy().replace(DATA_SUFFIX, "")),
            |m| m.layer_name.clone(),
        );
        let kind = meta.and_then(|m| kind_from_label(&m.kind));
        let origin = match meta {
            Some(RecoveryMeta { original_path: Some(p), .. }) => Origin::File(p.clone()),
            Some(RecoveryMeta { embedded: Some(e), .. }) => crate::geodata::EMBEDDED
                .iter()
                .find(|x| x.file == e)
                .map_or(Origin::Unknown, |x| Origin::Embedded(x.file)),
            _ => Origin::Unknown,
        };
        let source = match &origin {
            Origin::File(p) => LayerSource::File(p.clone()),
            Origin::Embedded(e) => LayerSource::Embedded(e),
            Origin::Unknown => LayerSource::File(path.clone()),
        };
        // Read into the columnar store as File → Open reads a GeoJSON file (restoring a
        // million-event autosave through the value tree took ~10 GB and froze the app), as the
        // original's kind: one read, even where the properties suggest another kind (that
        // read the file again, whole, into the value tree).
        let mut loaded = crate::io::geojson_fast::load_file_as(path, progress, kind)?;
        loaded.layer.name = name;
        loaded.layer.source = source;
        if progress.cancelled() {
            return Err(GeoJsonError::Cancelled { file: path.display().to_string() });
        }
        let journal = match read_journal(&entry.journal_path) {
            Ok(read) => {
                loaded.skipped.extend(read.problems);
                read.entries
            }
            Err(e) => {
                loaded.skipped.push(e.to_string());
                Vec::new()
            }
        };
        Ok(Recovered { loaded, origin, journal })
    }

    /// Deletes an autosave, its journal and its sidecar (after it was saved or declined).
    pub fn discard(&self, entry: &RecoveryEntry) -> std::io::Result<()> {
        for p in [&entry.data_path, &entry.journal_path, &entry.meta_path] {
            remove_if_present(p)?;
        }
        Ok(())
    }

    /// The entry of an autosave file this store wrote (for [`RecoveryStore::discard`]).
    pub fn entry_of(&self, data_path: &Path) -> Option<RecoveryEntry> {
        let stem = data_path.file_name()?.to_str()?.strip_suffix(DATA_SUFFIX)?;
        Some(RecoveryEntry {
            data_path: data_path.to_owned(),
            meta_path: self.dir.join(format!("{stem}{META_SUFFIX}")),
            journal_path: self.dir.join(format!("{stem}{JOURNAL_SUFFIX}")),
            meta: None,
            problem: None,
        })
    }
}

fn remove_if_present(p: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
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
    use crate::io::geojson::{layer_to_geojson, parse_layer};

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
        let data = store.autosave(&original, "/data/Events: Panj (v2).geojson", &[]).unwrap();
        let name = data.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("Events__Panj__v2_-"), "{name}");
        let list = store.list();
        assert_eq!(list.len(), 1);
        let entry = &list[0];
        let meta = entry.meta.as_ref().unwrap();
        assert_eq!(meta.feature_count, 2);
        assert_eq!(meta.kind, "events");
        assert_eq!(meta.original_path.as_deref(), Some(Path::new("/data/Events: Panj (v2).geojson")));
        let recovered = store.load(entry).unwrap();
        assert_eq!(recovered.origin, Origin::File(PathBuf::from("/data/Events: Panj (v2).geojson")));
        assert!(recovered.journal.is_empty());
        let loaded = recovered.loaded.layer;
        assert_eq!(loaded.name, original.name);
        assert_eq!(loaded.kind, LayerKind::Events);
        assert_eq!(loaded.source, original.source);
        assert_eq!(layer_to_geojson(&loaded).to_string(), layer_to_geojson(&original).to_string());
        store.discard(entry).unwrap();
        assert!(store.list().is_empty());
        assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 0, "both files removed");
    }

    /// Found walking the app: restoring the autosave of a 1M-event layer went through the
    /// value tree (9.6 GB and climbing, on the UI thread). It is read into the columnar store
    /// now, and gives the layer the old path gave.
    #[test]
    fn a_big_autosave_is_restored_packed_as_the_layer_it_was() {
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().join("recovery"));
        let mut text = String::from(r#"{"type":"FeatureCollection","features":["#);
        for i in 0..3000 {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(
                text,
                r#"{sep}{{"type":"Feature","id":"AFG{i}","geometry":{{"type":"Point","coordinates":[{}.5,37.25]}},"properties":{{"event_date":"2021-06-{:02}","event_type":"Battles","fatalities":{i},"notes":"n\u00e9 {i}"}}}}"#,
                66 + i % 8,
                1 + i % 28
            );
        }
        text.push_str("]}\n");
        let source = LayerSource::File(PathBuf::from("/data/acled.csv"));
        let original = parse_layer(&text, "t", "acled", None, source.clone()).unwrap().layer;
        let data = store.autosave(&original, "/data/acled.csv", &[]).unwrap();
        assert!(data.exists());
        let entry = &store.list()[0];
        let recovered = store.load(entry).unwrap().loaded.layer;
        assert!(recovered.features.packed_bytes() > 0, "read into the columnar store");
        assert_eq!(recovered.features.decodes(), 0);
        assert_eq!((recovered.name.as_str(), recovered.kind, &recovered.source), ("acled", LayerKind::Events, &source));
        assert_eq!(recovered.features.len(), 3000);
        assert_eq!(layer_to_geojson(&recovered).to_string(), layer_to_geojson(&original).to_string());
        let spans = |l: &Layer| (0..l.features.len()).map(|i| l.features.span(i)).collect::<Vec<_>>();
        assert_eq!(spans(&recovered), spans(&original));
        assert_eq!(recovered.time_index.as_ref().map(crate::time::TimeIndex::len), Some(3000));
    }

    /// Many dated events as GeoJSON text.
    fn events_text(n: usize) -> String {
        use std::fmt::Write as _;
        let mut text = String::from(r#"{"type":"FeatureCollection","features":["#);
        for i in 0..n {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(
                text,
                r#"{sep}{{"type":"Feature","id":"AFG{i}","geometry":{{"type":"Point","coordinates":[{}.5,37.25]}},"properties":{{"event_date":"2021-06-{:02}","event_type":"Battles","fatalities":{i}}}}}"#,
                66 + i % 8,
                1 + i % 28
            );
        }
        text.push_str("]}\n");
        text
    }

    /// Restoring shows File → Open's progress (bytes, features) and stops on Cancel: the
    /// reader reports to the restore's `Progress` and checks it.
    #[test]
    fn a_restore_reports_its_bytes_and_features_and_stops_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().join("recovery"));
        let source = LayerSource::File(PathBuf::from("/data/acled.geojson"));
        let original = parse_layer(&events_text(10_000), "t", "acled", None, source).unwrap().layer;
        let data = store.autosave(&original, "/data/acled.geojson", &[]).unwrap();
        let size = std::fs::metadata(&data).unwrap().len();
        let entry = &store.list()[0];
        let progress = Progress::new();
        let recovered = store.load_with(entry, &progress).unwrap();
        assert_eq!(recovered.loaded.layer.features.len(), 10_000);
        let s = progress.snapshot();
        assert_eq!((s.bytes_done, s.bytes_total, s.features), (size, size, 10_000), "{s:?}");
        let cancelled = Progress::cancel_after_features(4096);
        let err = store.load_with(entry, &cancelled).map(|_| ()).unwrap_err();
        assert!(matches!(err, GeoJsonError::Cancelled { .. }), "{err}");
        assert!(cancelled.snapshot().bytes_done < size, "stopped before the end: {:?}", cancelled.snapshot());
        assert_eq!(store.list(), vec![entry.clone()], "a cancelled restore changes nothing on disk");
    }

    /// An autosave whose layer's kind is not the one its properties suggest (a Places layer
    /// with `event_date` and `event_type`) was read twice: once into the store, then again,
    /// whole, into the value tree. It is read once, into the store, as the original's kind.
    #[test]
    fn an_autosave_of_another_kind_than_its_properties_suggest_is_read_once_into_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().join("recovery"));
        let source = LayerSource::File(PathBuf::from("/data/places.geojson"));
        let original =
            parse_layer(&events_text(300), "t", "places", Some(LayerKind::Places), source.clone()).unwrap().layer;
        let inferred = parse_layer(&events_text(3), "t", "x", None, source.clone()).unwrap().layer.kind;
        assert_eq!(inferred, LayerKind::Events, "the properties suggest another kind");
        store.autosave(&original, "/data/places.geojson", &[]).unwrap();
        let entry = &store.list()[0];
        let recovered = store.load(entry).unwrap().loaded.layer;
        assert_eq!(
            (recovered.name.as_str(), recovered.kind, &recovered.source),
            ("places", LayerKind::Places, &source)
        );
        assert!(recovered.features.packed_bytes() > 0, "read into the columnar store, not the value tree");
        assert_eq!(recovered.features.decodes(), 0);
        assert_eq!(layer_to_geojson(&recovered).to_string(), layer_to_geojson(&original).to_string());
        let spans = |l: &Layer| (0..l.features.len()).map(|i| l.features.span(i)).collect::<Vec<_>>();
        assert_eq!(spans(&recovered), spans(&original));
    }

    #[test]
    fn corrupt_recovery_is_reported_not_panicked_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().to_owned());
        let data = store.autosave(&layer(), "x", &[]).unwrap();
        std::fs::write(&data, "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":").unwrap();
        let stem = data.file_name().unwrap().to_string_lossy().replace(DATA_SUFFIX, "");
        std::fs::write(dir.path().join(format!("{stem}{META_SUFFIX}")), "not json").unwrap();
        let list = store.list();
        assert_eq!(list.len(), 1);
        assert!(list[0].meta.is_none());
        assert!(list[0].problem.as_deref().unwrap().contains("unreadable recovery sidecar"), "{:?}", list[0].problem);
        let err = store.load(&list[0]).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains(".recovery.geojson"), "{err}");
        store.discard(&list[0]).unwrap();
        assert!(store.list().is_empty());
    }

    #[test]
    fn a_shipped_layer_is_recovered_as_that_layer_with_its_pending_journal() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().join("recovery"));
        let (catalog, _) = crate::geodata::default_catalog();
        let (_, events) = catalog.layer_of_kind(LayerKind::Events).unwrap();
        let entry = JournalEntry::now("Add Point", Some("NEW-FA-1".to_owned()), "added");
        store.autosave(events, &events.source.to_string(), std::slice::from_ref(&entry)).unwrap();
        let list = store.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].meta.as_ref().unwrap().embedded.as_deref(), Some("events.geojson"));
        let recovered = store.load(&list[0]).unwrap();
        assert_eq!(recovered.origin, Origin::Embedded("events.geojson"));
        assert_eq!(recovered.loaded.layer.source, LayerSource::Embedded("events.geojson"));
        assert_eq!(recovered.loaded.layer.kind, LayerKind::Events);
        assert_eq!(recovered.journal, vec![entry]);
        store.discard(&list[0]).unwrap();
        assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 0, "data, journal and sidecar removed");
    }

    #[test]
    fn a_new_session_never_overwrites_an_earlier_sessions_autosave() {
        let dir = tempfile::tempdir().unwrap();
        let first = RecoveryStore::new(dir.path().to_owned());
        let l = layer();
        first.autosave(&l, "x", &[]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(3));
        // A new run: same layer name and (uids restart) the same uid.
        let second = RecoveryStore::new(dir.path().to_owned());
        second.autosave(&l, "x", &[]).unwrap();
        assert_eq!(second.list().len(), 2, "both autosaves kept");
    }

    #[test]
    fn old_sidecars_without_the_embedded_field_still_read() {
        let meta: RecoveryMeta = serde_json::from_str(
            r#"{"layer_name":"a","source_label":"b","original_path":null,"kind":"events","saved_at":"x","feature_count":1}"#,
        )
        .unwrap();
        assert_eq!(meta.embedded, None);
    }

    #[cfg(unix)]
    #[test]
    fn autosaves_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let store = RecoveryStore::new(dir.path().join("recovery"));
        let entry = JournalEntry::now("Set name", None, "name: a → b");
        store.autosave(&layer(), "x", &[entry]).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.dir()), 0o700);
        let e = &store.list()[0];
        for p in [&e.data_path, &e.meta_path, &e.journal_path] {
            assert_eq!(mode(p), 0o600, "{}", p.display());
        }
    }
}
