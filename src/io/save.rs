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
//! input is written in the one-feature-per-line form above; numbers are written in their
//! shortest form (`37.520` becomes `37.52`), equal as values.
//!
//! The write goes through [`crate::io::atomic::write_atomic`]: on any error the file on
//! disk is unchanged and the caller still holds the layer.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::io::geojson::{RootForm, RootMember, Slot, collection_slots, feature_to_json, layer_to_geojson, root_form};
use crate::model::Layer;

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
    let mut out = Vec::with_capacity(256 * layer.features.len() + 64);
    match root_form(layer) {
        RootForm::Collection => {}
        RootForm::Feature(..) | RootForm::Geometry(_) => {
            serde_json::to_writer(&mut out, &layer_to_geojson(layer))?;
            out.push(b'\n');
            return Ok(out);
        }
    }
    out.push(b'{');
    let count = layer.features.len();
    let mut foreign = layer.foreign_members.iter();
    for (n, slot) in collection_slots(layer).into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match slot {
            Slot::Standard(RootMember::Type) => out.extend_from_slice(br#""type":"FeatureCollection""#),
            Slot::Standard(RootMember::Features) => {
                out.extend_from_slice(br#""features":["#);
                for (i, f) in layer.features.iter().enumerate() {
                    out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                    serde_json::to_writer(&mut out, &feature_to_json(&f, layer.layout.feature(i, count)))?;
                }
                if count > 0 {
                    out.push(b'\n');
                }
                out.push(b']');
            }
            Slot::Foreign(_) => {
                if let Some((k, v)) = foreign.next() {
                    write_member(&mut out, k, v)?;
                }
            }
        }
    }
    out.extend_from_slice(b"}\n");
    Ok(out)
}

fn write_member(out: &mut Vec<u8>, key: &str, value: &Value) -> Result<(), serde_json::Error> {
    serde_json::to_writer(&mut *out, key)?;
    out.write_all(b":").map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut *out, value)
}

/// Saves `layer` to `path` losslessly and atomically (temporary file in the same folder,
/// fsync, rename, folder fsync). On error nothing on disk changes.
pub fn save_layer(layer: &Layer, path: &Path) -> Result<(), SaveError> {
    let bytes =
        layer_to_text(layer).map_err(|e| SaveError::Serialize { path: path.to_owned(), message: e.to_string() })?;
    crate::io::atomic::write_atomic(path, &bytes).map_err(|e| SaveError::io(path, e))
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
