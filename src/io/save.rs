//! Lossless, atomic GeoJSON save.
//!
//! The text format is the one of the shipped `geodata/` files: the collection on the first
//! line, one feature per line, then `]}`:
//!
//! ```text
//! {"type":"FeatureCollection","name":"x","features":[
//! {"type":"Feature","id":"a","geometry":{…},"properties":{…}},
//! {"type":"Feature","id":"b","geometry":{…},"properties":{…}}
//! ]}
//! ```
//!
//! Everything the loader keeps is written back: collection, feature and geometry foreign
//! members (`bbox` included), member order (see [`crate::model::SourceLayout`]), numeric and
//! string ids, `"id": null`, `"properties": null` versus `{}` versus a missing member, nested
//! properties, 3-D positions and unicode (written as UTF-8, not escaped). A file that was a
//! bare Feature or a bare geometry is written back as one while the layer still fits (see
//! [`crate::io::geojson::root_form`]); otherwise as a `FeatureCollection`. Pretty-printed
//! input is written in the one-feature-per-line form above; numbers keep their spelling
//! (`37.520` stays `37.520`; an exponent is written `1e+5`).
//!
//! The write goes through [`crate::io::atomic::write_atomic`]: on any error the file on
//! disk is unchanged and the caller still holds the layer.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::io::geojson::{RootForm, RootMember, Slot, collection_slots, feature_to_json, layer_to_geojson, root_form};
use crate::model::Layer;
use crate::model::store::TextCursor;

/// Why a layer could not be saved. Every message ends with the file's path.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The file could not be written.
    #[error("cannot save: {reason}: {}", path.display())]
    Io {
        /// The file that was being written.
        path: PathBuf,
        /// A plain-words reason (read-only folder, full disk, missing folder…).
        reason: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The layer could not be serialised (should not happen for data the loader built).
    #[error("cannot save: could not serialise the layer ({message}): {}", path.display())]
    Serialize {
        /// The file that was being written.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl SaveError {
    /// Builds an [`SaveError::Io`] with a plain-words reason for `source`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), reason: reason_for(&source), source }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::Serialize { path, .. } => path,
        }
    }
}

/// A short explanation of an OS error for a user who is saving a file.
fn reason_for(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        // The refusal to replace a read-only file (`io::atomic`); the path follows the reason
        // in `SaveError`, so it is said once.
        K::PermissionDenied if e.to_string().contains(super::atomic::READ_ONLY) => format!(
            "the file {} (chmod 444?), so it was not replaced; save under another name, or make it writable first",
            super::atomic::READ_ONLY
        ),
        K::PermissionDenied => format!("no permission to write there (read-only folder or file?) ({e})"),
        K::ReadOnlyFilesystem => format!("the disk is read-only ({e})"),
        K::StorageFull | K::QuotaExceeded => format!("the disk is full ({e})"),
        K::NotFound => format!("the folder does not exist ({e})"),
        K::NotADirectory => format!("part of the folder path is a file, not a folder ({e})"),
        _ => e.to_string(),
    }
}

/// Serialises a layer to the canonical text (see the module docs), ending with a newline.
pub fn layer_to_text(layer: &Layer) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    write_layer_text(layer, &mut out)?;
    Ok(out)
}

/// [`layer_to_text`] written to `out` feature by feature, so a million-feature layer is never
/// held as one text. A packed feature is written straight from its text when the store's
/// encoder vouches that this gives the bytes decoding it would (see [`crate::io::save_fast`]);
/// the others are decoded one at a time.
pub fn write_layer_text<W: Write + Send>(layer: &Layer, out: W) -> Result<(), serde_json::Error> {
    write_text(layer, out, true)
}

/// [`write_layer_text`] decoding every packed feature and writing the value tree: the
/// reference the fast path is tested and measured against.
pub fn write_layer_text_decoded<W: Write + Send>(layer: &Layer, out: W) -> Result<(), serde_json::Error> {
    write_text(layer, out, false)
}

fn write_text<W: Write + Send>(layer: &Layer, mut out: W, fast: bool) -> Result<(), serde_json::Error> {
    let io = serde_json::Error::io;
    // Only a one-feature layer can be written bare (`root_form` decodes that feature to see).
    if layer.features.len() == 1 && !matches!(root_form(layer), RootForm::Collection) {
        serde_json::to_writer(&mut out, &layer_to_geojson(layer))?;
        return out.write_all(b"\n").map_err(io);
    }
    out.write_all(b"{").map_err(io)?;
    let count = layer.features.len();
    let mut foreign = layer.foreign_members.iter();
    for (n, slot) in collection_slots(layer).into_iter().enumerate() {
        if n > 0 {
            out.write_all(b",").map_err(io)?;
        }
        match slot {
            Slot::Standard(RootMember::Type) => out.write_all(br#""type":"FeatureCollection""#).map_err(io)?,
            Slot::Standard(RootMember::Features) => {
                out.write_all(br#""features":["#).map_err(io)?;
                if fast && layer.features.has_encoder() {
                    write_features_fast(layer, &mut out)?;
                } else {
                    for (i, f) in layer.features.iter().enumerate() {
                        out.write_all(if i == 0 { b"\n" } else { b",\n" }).map_err(io)?;
                        serde_json::to_writer(&mut out, &feature_to_json(&f, layer.layout.feature(i, count)))?;
                    }
                }
                if count > 0 {
                    out.write_all(b"\n").map_err(io)?;
                }
                out.write_all(b"]").map_err(io)?;
            }
            Slot::Foreign(_) => {
                if let Some((k, v)) = foreign.next() {
                    write_member(&mut out, k, v)?;
                }
            }
        }
    }
    out.write_all(b"}\n").map_err(io)
}

/// Features encoded by one task of [`write_features_fast`].
const SAVE_CHUNK: usize = 4096;

/// The features, one per line: packed ones the store's encoder takes in their own layout
/// straight from their text, the rest decoded. Runs of [`SAVE_CHUNK`] features are encoded
/// on every core, a window of a few per core at a time (a few MB held), and written in order
/// while the next window is encoded: the file is the one a single thread writes.
fn write_features_fast<W: Write + Send>(layer: &Layer, mut out: W) -> Result<(), serde_json::Error> {
    use rayon::prelude::*;
    let count = layer.features.len();
    let window = SAVE_CHUNK * 2 * rayon::current_num_threads().max(1);
    let mut written_any = false;
    let mut write = |chunks: Vec<Result<Vec<u8>, serde_json::Error>>| -> Result<(), serde_json::Error> {
        for chunk in chunks {
            let chunk = chunk?;
            // Each feature follows ",\n"; the file's first follows "\n" alone.
            let text = if written_any { chunk.as_slice() } else { chunk.get(1..).unwrap_or_default() };
            out.write_all(text).map_err(serde_json::Error::io)?;
            written_any |= !chunk.is_empty();
        }
        Ok(())
    };
    let mut pending = None;
    for from in (0..count).step_by(window) {
        let to = (from + window).min(count);
        let encode = || -> Vec<Result<Vec<u8>, serde_json::Error>> {
            let starts: Vec<usize> = (from..to).step_by(SAVE_CHUNK).collect();
            starts.into_par_iter().map(|a| encode_features(layer, a..(a + SAVE_CHUNK).min(to))).collect()
        };
        let (written, next) = match pending.take() {
            Some(last) => rayon::join(|| write(last), encode),
            None => (Ok(()), encode()),
        };
        written?;
        pending = Some(next);
    }
    pending.map_or(Ok(()), write)
}

/// Features `range` of `layer` as [`write_features_fast`] writes them, each after ",\n".
fn encode_features(layer: &Layer, range: std::ops::Range<usize>) -> Result<Vec<u8>, serde_json::Error> {
    let store = &layer.features;
    let count = store.len();
    let mut cursor = TextCursor::default();
    let mut out = Vec::with_capacity(range.len() * 512);
    let mut text = Vec::with_capacity(4096);
    for i in range {
        let layout = layer.layout.feature(i, count);
        text.clear();
        let fast = store.encode(i, &mut cursor, &mut text) == Some(layout);
        let decoded = if fast { None } else { Some(store.get(i)) };
        if matches!(decoded, Some(None)) {
            // A text that no longer decodes is left out, as the decoding path does.
            continue;
        }
        out.extend_from_slice(b",\n");
        match decoded {
            Some(Some(f)) => serde_json::to_writer(&mut out, &feature_to_json(&f, layout))?,
            _ => out.extend_from_slice(&text),
        }
    }
    Ok(out)
}

fn write_member<W: Write>(mut out: W, key: &str, value: &Value) -> Result<(), serde_json::Error> {
    serde_json::to_writer(&mut out, key)?;
    out.write_all(b":").map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut out, value)
}

/// Saves `layer` to `path` losslessly and atomically (temporary file in the same folder,
/// fsync, rename, folder fsync). On error nothing on disk changes.
pub fn save_layer(layer: &Layer, path: &Path) -> Result<(), SaveError> {
    crate::io::atomic::write_atomic_with(path, |out| write_layer_text(layer, out).map_err(Streamed::from_json))
        .map_err(|e| e.into_save_error(path))
}

/// Why a layer streamed to a file ([`write_layer_text`] through an atomic writer) stopped.
pub(crate) enum Streamed {
    /// The disk's error, with its kind (a full disk is told as one).
    Io(std::io::Error),
    /// A value that cannot be written as JSON.
    Json(serde_json::Error),
}

impl From<std::io::Error> for Streamed {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl Streamed {
    /// A serialiser's error: the disk's when it came from the writer.
    pub(crate) fn from_json(e: serde_json::Error) -> Self {
        match e.io_error_kind() {
            Some(kind) => Self::Io(std::io::Error::new(kind, e.to_string())),
            None => Self::Json(e),
        }
    }

    /// As a save error naming `path`.
    pub(crate) fn into_save_error(self, path: &Path) -> SaveError {
        match self {
            Self::Io(e) => SaveError::io(path, e),
            Self::Json(e) => SaveError::Serialize { path: path.to_owned(), message: e.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::geojson::parse_layer;
    use crate::model::LayerSource;

    fn layer(text: &str) -> Layer {
        parse_layer(text, "t", "t", None, LayerSource::Embedded("t")).unwrap().layer
    }

    #[test]
    fn canonical_text_is_written_back_byte_for_byte() {
        let text = "{\"type\":\"FeatureCollection\",\"name\":\"x\",\"features\":[\n\
                    {\"type\":\"Feature\",\"id\":\"a\",\"properties\":{\"n\":1},\"geometry\":{\"type\":\"Point\",\"coordinates\":[70.0,37.5]}},\n\
                    {\"type\":\"Feature\",\"id\":2,\"properties\":null,\"geometry\":null}\n]}\n";
        let out = layer_to_text(&layer(text)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    /// A disk that fills after some bytes.
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_streamed_save_writes_the_canonical_text() {
        let text = "{\"type\":\"FeatureCollection\",\"name\":\"x\",\"features\":[\n\
                    {\"type\":\"Feature\",\"id\":\"a\",\"properties\":{\"n\":1.50},\"geometry\":{\"type\":\"Point\",\"coordinates\":[70.0,37.5,1]}}\n],\"z\":[1]}\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.geojson");
        save_layer(&layer(text), &path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        // A writer that fails part-way is reported as the disk's error, with its kind.
        let e = write_layer_text(&layer(text), Full(40)).map_err(Streamed::from_json).err().unwrap();
        assert!(matches!(&e, Streamed::Io(io) if io.kind() == std::io::ErrorKind::StorageFull));
        assert!(e.into_save_error(&path).to_string().contains("the disk is full"));
    }

    #[test]
    fn empty_collection_is_one_line() {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[]}\n";
        assert_eq!(String::from_utf8(layer_to_text(&layer(text)).unwrap()).unwrap(), text);
    }

    #[test]
    fn error_names_the_file_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("a.geojson");
        let e = save_layer(&layer("{\"type\":\"FeatureCollection\",\"features\":[]}"), &path).unwrap_err();
        let msg = e.to_string();
        assert!(msg.ends_with(&path.display().to_string()), "{msg}");
        assert!(msg.contains("does not exist"), "{msg}");
        assert_eq!(e.path(), path);
    }
}
