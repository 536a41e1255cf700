//! One way to open a file as layers and to write a layer to a file, used by the app
//! (File → Open, drag and drop, Save as), projects, `render --add`, `import` and `convert`.
//!
//! The format comes from the extension (`.geojson`/`.json`, `.gpkg`, `.csv`, `.kml`/`.kmz`); a file with
//! another or no extension is recognised by its first bytes (SQLite header → GeoPackage,
//! `{` → GeoJSON). The file is read exactly once (a FIFO works; a device is cut off, see
//! [`crate::io::read`]). A GeoPackage yields one layer per feature table, each remembering
//! its table in [`Layer::source_table`] so a project can reopen exactly that table.

use std::path::{Path, PathBuf};

use super::geojson::Loaded;
use super::progress::Progress;
use super::read::{ReadError, read_input_with};
use crate::model::Layer;

/// A layer file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GeoJSON (`.geojson`, `.json`).
    GeoJson,
    /// GeoPackage (`.gpkg`).
    GeoPackage,
    /// CSV: an ACLED export, or points with longitude/latitude columns (`.csv`).
    Csv,
    /// KML (`.kml`, or zipped `.kmz`): Placemarks in, folders of Placemarks with times and
    /// styles out.
    Kml,
}

impl Format {
    /// The format named by `path`'s extension (any case), if it is one of ours.
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "geojson" | "json" => Some(Self::GeoJson),
            "gpkg" => Some(Self::GeoPackage),
            "csv" => Some(Self::Csv),
            "kml" | "kmz" => Some(Self::Kml),
            _ => None,
        }
    }

    /// The format of an output path: its extension must name one (an output is never
    /// guessed).
    pub fn of_output(path: &Path) -> Result<Self, OpenError> {
        Self::from_extension(path).ok_or_else(|| OpenError::UnknownFormat {
            path: path.to_owned(),
            ext: path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default(),
        })
    }

    /// The format of content whose extension said nothing, from its first bytes.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"SQLite format 3\0") {
            return Some(Self::GeoPackage);
        }
        let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Some(Self::GeoJson),
            _ => None,
        }
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::GeoJson => "GeoJSON",
            Self::GeoPackage => "GeoPackage",
            Self::Csv => "CSV",
            Self::Kml => "KML",
        }
    }
}

/// Why a file could not be opened as layers. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Neither the extension nor the content says what the file is.
    #[error(
        "{}: unknown file type{}; expected .geojson, .json, .gpkg, .csv, .kml or .kmz",
        path.display(),
        if ext.is_empty() { " (no extension)".to_owned() } else { format!(" `.{ext}`") }
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its extension, lower case (empty when none).
        ext: String,
    },
    /// The file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The load was cancelled (see [`crate::io::progress`]); no layer was made.
    #[error("Loading {} cancelled", path.display())]
    Cancelled {
        /// The file.
        path: PathBuf,
    },
    /// A GeoPackage that is a pipe or device (SQLite needs a regular file).
    #[error("{}: a GeoPackage must be a regular file (SQLite cannot read a pipe or device)", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
    },
    /// The reader of the format refused the content (its message names the file, with
    /// line and column where known).
    #[error("{0}")]
    Format(String),
    /// A GeoPackage with no feature tables.
    #[error("{}: no feature tables", path.display())]
    NoLayers {
        /// The file.
        path: PathBuf,
    },
    /// The table a project or `--layer` asked for is not in the file.
    #[error("{}: no layer `{table}`; layers: {}", path.display(), if tables.is_empty() { "none".to_owned() } else { tables.join(", ") })]
    NoSuchLayer {
        /// The file.
        path: PathBuf,
        /// The table asked for.
        table: String,
        /// The tables there are.
        tables: Vec<String>,
    },
}

/// Opens every layer of `path` (one for GeoJSON and CSV, one per feature table of a
/// GeoPackage).
pub fn open_layers(path: &Path) -> Result<Vec<Loaded>, OpenError> {
    open_layers_with(path, &Progress::new())
}

/// [`open_layers`] reporting to `progress` (its total is set to the file's size; the loaders
/// report bytes and features as they go). Once `progress` is cancelled the load stops and
/// the result is [`OpenError::Cancelled`], with no layer, whatever the loader returned.
pub fn open_layers_with(path: &Path, progress: &Progress) -> Result<Vec<Loaded>, OpenError> {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.is_file()
    {
        progress.set_total_bytes(meta.len());
    }
    let result = open_layers_reporting(path, progress);
    if progress.cancelled() {
        return Err(OpenError::Cancelled { path: path.to_owned() });
    }
    result
}

fn open_layers_reporting(path: &Path, progress: &Progress) -> Result<Vec<Loaded>, OpenError> {
    let format = Format::from_extension(path);
    if format == Some(Format::GeoPackage) {
        return open_gpkg(path, progress);
    }
    if format == Some(Format::Csv) && super::read::is_regular_file(path) && super::acled::is_acled_file(path) {
        // An ACLED export, streamed row by row into the columnar store.
        return super::acled_layer::load_packed(path, progress).map(|l| vec![l]).map_err(OpenError::Format);
    }
    if format == Some(Format::GeoJson) && super::read::is_regular_file(path) {
        // Read in chunks into the columnar store (see `geojson_fast`).
        return super::geojson_fast::load_file(path, progress)
            .map(|l| vec![l])
            .map_err(|e| OpenError::Format(e.to_string()));
    }
    // A pipe, FIFO or device (or a small KML): read whole, reporting its bytes as they come
    // and stopping on Cancel even while a FIFO waits for its writer.
    let bytes = read_input_with(path, progress)?;
    if progress.cancelled() {
        return Err(OpenError::Cancelled { path: path.to_owned() });
    }
    // Now its size is known (all of it read); the features count on while it is parsed.
    progress.set_total_bytes(bytes.len() as u64);
    let Some(format) = format.or_else(|| Format::sniff(&bytes)) else {
        return Err(OpenError::UnknownFormat {
            path: path.to_owned(),
            ext: path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default(),
        });
    };
    match format {
        Format::GeoJson => super::geojson::load_bytes_with(path, &bytes, progress)
            .map(|l| vec![l])
            .map_err(|e| OpenError::Format(e.to_string())),
        Format::Csv => super::csv_points::parse_csv_points_with(path, &bytes, progress)
            .map(|l| vec![l])
            .map_err(|e| OpenError::Format(e.to_string())),
        Format::Kml => {
            super::kml::read_kml_bytes_with(&bytes, path, progress).map(|l| vec![l]).map_err(OpenError::Format)
        }
        // Sniffed from the SQLite header: SQLite reads the file itself.
        Format::GeoPackage => open_gpkg(path, progress),
    }
}

/// Opens the one layer of `path`, or its table `table` (a GeoPackage with several tables
/// needs one named).
pub fn open_layer(path: &Path, table: Option<&str>) -> Result<Loaded, OpenError> {
    let mut layers = open_layers(path)?;
    let names = |layers: &[Loaded]| layers.iter().map(|l| l.layer.name.clone()).collect::<Vec<_>>();
    match table {
        Some(table) => {
            let Some(i) = layers.iter().position(|l| l.layer.source_table.as_deref().unwrap_or(&l.layer.name) == table)
            else {
                return Err(OpenError::NoSuchLayer {
                    path: path.to_owned(),
                    table: table.to_owned(),
                    tables: names(&layers),
                });
            };
            Ok(layers.swap_remove(i))
        }
        None if layers.len() == 1 => Ok(layers.swap_remove(0)),
        None => Err(OpenError::Format(format!(
            "{}: {} layers ({}); name one",
            path.display(),
            layers.len(),
            names(&layers).join(", ")
        ))),
    }
}

fn open_gpkg(path: &Path, progress: &Progress) -> Result<Vec<Loaded>, OpenError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(OpenError::NotRegular { path: path.to_owned() }),
        Err(source) => return Err(OpenError::Read(ReadError::Io { path: path.to_owned(), source })),
    }
    let mut layers = super::gpkg::read_gpkg_with(path, progress).map_err(|e| OpenError::Format(e.to_string()))?;
    // The file's bytes were spread over its tables by estimate: it has all been read now.
    progress.set_bytes_done(progress.snapshot().bytes_total);
    if layers.is_empty() {
        return Err(OpenError::NoLayers { path: path.to_owned() });
    }
    for l in &mut layers {
        l.layer.source_table = Some(l.layer.name.clone());
    }
    Ok(layers)
}

/// Writes one layer to `path` in the format its extension names, atomically. Writing one
/// layer into an existing GeoPackage that holds other tables is refused (it would drop
/// them). Returns what the format could not keep.
pub fn write_layer(layer: &Layer, path: &Path) -> Result<Vec<String>, String> {
    match Format::of_output(path).map_err(|e| e.to_string())? {
        Format::GeoPackage => {
            if super::read::is_regular_file(path) {
                // Every table, readable or not (attributes-only, another SRS…), counts.
                let others: Vec<String> = super::gpkg::table_names(path)
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .filter(|n| !n.eq_ignore_ascii_case(&layer.name))
                    .collect();
                if !others.is_empty() {
                    return Err(format!(
                        "{} also holds the layers {}; saving one layer would drop them — save to a new file",
                        path.display(),
                        others.join(", ")
                    ));
                }
            }
            super::gpkg::write_gpkg_with_notes(path, &[layer]).map_err(|e| e.to_string())
        }
        Format::GeoJson => super::save::save_layer(layer, path).map(|()| Vec::new()).map_err(|e| e.to_string()),
        Format::Kml => super::kml::write_kml_file(&[(layer, None)], path)
            .map(|()| Vec::new())
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        Format::Csv => {
            super::csv_points::write_csv_points(path, layer).map_err(|e| e.to_string())?;
            Ok(super::convert::csv_losses(layer))
        }
    }
}

/// Whether `a` and `b` name the same file (after resolving links and relative parts); a
/// path that does not exist yet is the same as no existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_tells_the_format_when_the_extension_does_not() {
        assert_eq!(Format::sniff(b"SQLite format 3\0rest"), Some(Format::GeoPackage));
        assert_eq!(Format::sniff(b"\xef\xbb\xbf \n{\"type\":1}"), Some(Format::GeoJson));
        assert_eq!(Format::sniff(b"a,b\n1,2"), None);
    }

    #[test]
    fn an_output_needs_a_known_extension() {
        let e = Format::of_output(Path::new("out.kmx")).unwrap_err();
        assert!(e.to_string().contains("out.kmx: unknown file type `.kmx`"), "{e}");
        assert_eq!(Format::of_output(Path::new("A.GPKG")).unwrap(), Format::GeoPackage);
    }
}
