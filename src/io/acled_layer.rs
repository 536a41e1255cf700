//! An ACLED CSV export opened as an events layer (the File → Open path for `.csv`).
//!
//! The rows are streamed straight into the GeoJSON text the layer is parsed from (no list of
//! intermediate features is held beside it), so the layer is exactly what `import acled`
//! followed by opening its output gives.

use std::path::Path;

use super::acled::{AcledStreamError, AcledSummary, GeoJsonWriter};
use super::geojson::{Loaded, parse_layer_with};
use super::progress::Progress;
use crate::model::{LayerKind, LayerSource};

/// Imports an ACLED CSV as an events layer; bad rows become "skipped" lines with their line
/// numbers, the rest loads. The file is read once, streamed, within the limits of
/// [`crate::io::read::read_input`].
pub fn load(path: &Path) -> Result<Loaded, String> {
    let input = super::acled::open_acled(path).map_err(|e| e.to_string())?;
    let mut writer = GeoJsonWriter::new(Vec::new()).map_err(|e| e.to_string())?;
    let summary = input.stream_rows(|row| writer.row(&row)).map_err(|e| e.to_string())?;
    layer(path, writer, &summary, &Progress::new())
}

/// Rows packed per batch (the batch's feature texts are packed on every core).
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// [`load`] into the columnar store: a regular file is read on every core by
/// [`super::acled_par`], each row kept as its CSV record text, decoded to the feature
/// `import acled` writes only when asked; anything else goes through [`load_packed_serial`].
/// The same layer as [`load`]; reports to `progress` and stops when it is cancelled.
pub fn load_packed(path: &Path, progress: &super::progress::Progress) -> Result<Loaded, String> {
    match super::acled_par::load(path, progress, super::acled_par::BLOCK) {
        super::acled_par::Outcome::Loaded(loaded) => Ok(*loaded),
        super::acled_par::Outcome::Failed(e) => Err(e),
        super::acled_par::Outcome::Irregular => {
            progress.set_bytes_done(0);
            load_packed_serial(path, progress)
        }
    }
}

/// [`load_packed`] one row at a time, through the GeoJSON text each row's feature has: for
/// pipes and devices, and for files the parallel reader does not take (see
/// [`super::acled_par`]).
pub fn load_packed_serial(path: &Path, progress: &super::progress::Progress) -> Result<Loaded, String> {
    let label = path.display().to_string();
    let input = super::acled::open_acled(path).map_err(|e| e.to_string())?;
    if let Ok(m) = std::fs::metadata(path) {
        progress.set_total_bytes(m.len());
    }
    let mut packer = super::geojson_fast::FeaturePacker::new(&label, Some(LayerKind::Events));
    let mut batch: Vec<u8> = Vec::with_capacity(BATCH_BYTES + 64 * 1024);
    let mut ends: Vec<usize> = Vec::new();
    let flush = |packer: &mut super::geojson_fast::FeaturePacker, batch: &mut Vec<u8>, ends: &mut Vec<usize>| {
        let mut texts = Vec::with_capacity(ends.len());
        let mut start = 0;
        for &end in ends.iter() {
            // Serialised from strings and finite numbers: always UTF-8.
            texts.push(batch.get(start..end).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default());
            start = end;
        }
        let ok = packer.pack(&texts);
        progress.add_features(texts.len() as u64);
        batch.clear();
        ends.clear();
        if ok { Ok(()) } else { Err(std::io::Error::other("a row's feature text is not JSON")) }
    };
    let summary = input
        .stream_rows_with(progress, |row| {
            row.write_json(&mut batch)?;
            ends.push(batch.len());
            if batch.len() >= BATCH_BYTES {
                flush(&mut packer, &mut batch, &mut ends)?;
                if progress.cancelled() {
                    return Err(std::io::Error::other("loading cancelled"));
                }
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    flush(&mut packer, &mut batch, &mut ends).map_err(|e| format!("{label}: {e}"))?;
    if progress.cancelled() {
        return Err(format!("{label}: loading cancelled"));
    }
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    let mut root = serde_json::Map::new();
    root.insert("type".to_owned(), serde_json::Value::from("FeatureCollection"));
    root.insert("features".to_owned(), serde_json::Value::Null);
    let mut loaded = packer.finish(root, &name, LayerSource::File(path.to_owned())).map_err(|e| e.to_string())?;
    let row_problems = summary.problems.iter().map(|p| p.located(&label));
    loaded.skipped.splice(0..0, row_problems);
    Ok(loaded)
}

/// [`load`] on bytes already read from `path`.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Loaded, String> {
    from_bytes_with(path, bytes, &Progress::new())
}

/// [`from_bytes`] reporting to `progress`: bytes as the rows are read, then features as the
/// layer is made; stops with an error once `progress` is cancelled.
pub fn from_bytes_with(path: &Path, bytes: &[u8], progress: &Progress) -> Result<Loaded, String> {
    let label = path.display().to_string();
    let mut writer = GeoJsonWriter::new(Vec::new()).map_err(|e| e.to_string())?;
    let input = super::progress::ProgressReader::new(bytes, progress);
    let summary = super::acled::stream_acled_rows(input, &label, |row| writer.row(&row))
        .map_err(|e: AcledStreamError| e.to_string())?;
    layer(path, writer, &summary, progress)
}

/// The layer parsed from the written text, with the rows' problems first among the skipped.
fn layer(
    path: &Path,
    writer: GeoJsonWriter<Vec<u8>>,
    summary: &AcledSummary,
    progress: &Progress,
) -> Result<Loaded, String> {
    let label = path.display().to_string();
    let bytes = writer.finish().map_err(|e| e.to_string())?;
    // Serialised from strings and finite numbers: always UTF-8.
    let text = String::from_utf8(bytes).map_err(|e| format!("{label}: {e}"))?;
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    let source = LayerSource::File(path.to_owned());
    let mut loaded = parse_layer_with(&text, &label, &name, Some(LayerKind::Events), source, progress, 0)
        .map_err(|e| e.to_string())?;
    let row_problems = summary.problems.iter().map(|p| p.located(&label));
    loaded.skipped.splice(0..0, row_problems);
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::geojson::parse_layer;

    const HOSTILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/acled/hostile.csv");

    /// The layer before streaming: the whole import, its GeoJSON text, that text parsed.
    fn round_trip(path: &Path, bytes: &[u8]) -> Loaded {
        let label = path.display().to_string();
        let import = super::super::acled::parse_acled(bytes, &label).expect("imports");
        let text = super::super::acled::write_geojson(&import);
        let mut loaded = parse_layer(&text, &label, "hostile", Some(LayerKind::Events), LayerSource::File(path.into()))
            .expect("parses");
        let rows = import.problems.iter().map(|p| p.located(&label));
        loaded.skipped.splice(0..0, rows);
        loaded
    }

    #[test]
    fn the_streamed_layer_is_the_round_tripped_one() {
        let path = Path::new(HOSTILE);
        let bytes = std::fs::read(path).unwrap();
        let expected = round_trip(path, &bytes);
        for mut loaded in [load(path).unwrap(), from_bytes(path, &bytes).unwrap()] {
            assert_eq!(loaded.skipped, expected.skipped);
            // Every layer gets its own identity.
            loaded.layer.uid = expected.layer.uid;
            assert_eq!(format!("{:?}", loaded.layer), format!("{:?}", expected.layer));
        }
        assert!(!expected.skipped.is_empty() && !expected.layer.features.is_empty());
    }

    #[test]
    fn a_folder_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(dir.path()).unwrap_err();
        assert!(e.contains("is a folder"), "{e}");
    }
}
