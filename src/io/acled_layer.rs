//! An ACLED CSV export opened as an events layer (the File → Open path for `.csv`).

use std::path::Path;

use super::geojson::{Loaded, parse_layer};
use crate::model::{LayerKind, LayerSource};

/// Imports an ACLED CSV as an events layer; bad rows become "skipped" lines with their line
/// numbers, the rest loads. The file is read once (see [`crate::io::read::read_input`]).
pub fn load(path: &Path) -> Result<Loaded, String> {
    let bytes = super::read::read_input(path).map_err(|e| e.to_string())?;
    from_bytes(path, &bytes)
}

/// [`load`] on bytes already read from `path`.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Loaded, String> {
    let label = path.display().to_string();
    let import = super::acled::parse_acled(bytes, &label).map_err(|e| e.to_string())?;
    let text = super::acled::write_geojson(&import);
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    let mut loaded = parse_layer(&text, &label, &name, Some(LayerKind::Events), LayerSource::File(path.to_owned()))
        .map_err(|e| e.to_string())?;
    let row_problems = import.problems.iter().map(|p| format!("{label}:{}:{}: {}", p.line, p.col, p.message));
    loaded.skipped.splice(0..0, row_problems);
    Ok(loaded)
}
