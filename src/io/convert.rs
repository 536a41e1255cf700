//! `frontier-atlas convert IN OUT`: GeoJSON (`.geojson`, `.json`), GeoPackage (`.gpkg`) and
//! point CSV (`.csv`) to one another. The input is opened through the one dispatcher
//! ([`crate::io::open`], read once, so a FIFO works); the output format is its extension.
//!
//! A command that fails writes nothing: GeoJSON input is first checked by the strict
//! validator ([`crate::io::validate`]) and any error is reported as `FILE:LINE:COL: message`;
//! rows or features of other inputs that cannot be used are reported the same way and, unless
//! [`BadRows::Skip`] (`--skip-bad`) asks to write the rest, nothing is written. An output that
//! is the input itself (after resolving links) is refused. Every write is atomic.
//!
//! A GeoPackage may hold several layers: to GeoPackage they are all converted; to GeoJSON or
//! CSV exactly one is needed, chosen with `--layer NAME` when there are several.
//!
//! What each output cannot keep is listed in [`ConvertReport::lossy`]:
//! - GeoPackage: foreign members (of the collection and of features), numeric ids mixed with
//!   string ids (stored as text), integers in a column that also has decimals (read back as
//!   decimals), property names SQLite cannot tell apart (renamed);
//! - CSV: everything that is not a point is refused; foreign members, Z values and the
//!   distinction between strings and numbers/booleans/JSON in a column are lost.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::geojson::Loaded;
pub use super::open::Format;
use crate::model::Layer;

/// Why a conversion failed. Nothing is written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The extension is not one this command knows.
    #[error(
        "{}: unknown file type{}; expected .geojson, .json, .gpkg or .csv",
        path.display(),
        if ext.is_empty() { " (no extension)".to_owned() } else { format!(" `.{ext}`") }
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its extension, lower case (empty when none).
        ext: String,
    },
    /// The output is the input (the same file, after resolving links).
    #[error("{}: the output is the input file; write to another file", output.display())]
    SameFile {
        /// The output path as given.
        output: PathBuf,
    },
    /// Rows or features of the input could not be used; nothing was written.
    #[error(
        "{}\n{}: nothing written: {} row(s) or feature(s) of {} could not be used; fix them, or pass --skip-bad to write the rest",
        problems.join("\n"),
        output.display(),
        problems.len(),
        input.display()
    )]
    Skipped {
        /// The input.
        input: PathBuf,
        /// The output that was not written.
        output: PathBuf,
        /// One `FILE:LINE:COL: message` per unusable row or feature.
        problems: Vec<String>,
    },
    /// The GeoJSON input failed strict validation: one `FILE:LINE:COL: message` per problem.
    #[error("{}", problems.join("\n"))]
    Invalid {
        /// The formatted problems.
        problems: Vec<String>,
    },
    /// The input could not be read.
    #[error("{0}")]
    Read(String),
    /// The output could not be written.
    #[error("{0}")]
    Write(String),
    /// The input has no layers, several layers and no `--layer`, or not the one asked for.
    #[error("{}: {message}", path.display())]
    Layer {
        /// The input file.
        path: PathBuf,
        /// What is wrong, listing the layers.
        message: String,
    },
}

/// What a conversion did.
#[derive(Debug, Clone, Default)]
pub struct ConvertReport {
    /// The input file.
    pub input: PathBuf,
    /// The output file.
    pub output: PathBuf,
    /// Layers written, with their feature counts.
    pub layers: Vec<(String, usize)>,
    /// Problems found while reading the input (skipped rows or features, unreadable dates).
    pub problems: Vec<String>,
    /// What the output format could not keep.
    pub lossy: Vec<String>,
}

/// What to do with rows or features of the input that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadRows {
    /// Fail and write nothing (the default: a command that fails writes nothing).
    #[default]
    Fail,
    /// Write the rest and report them.
    Skip,
}

/// Converts `input` to `output` (formats by extension); see the module docs.
pub fn convert(input: &Path, output: &Path) -> Result<ConvertReport, ConvertError> {
    convert_layer(input, output, None, BadRows::Fail)
}

/// Like [`convert`], taking only the layer called `layer` from a multi-layer input, and
/// skipping unusable rows when `bad_rows` says so.
pub fn convert_layer(
    input: &Path,
    output: &Path,
    layer: Option<&str>,
    bad_rows: BadRows,
) -> Result<ConvertReport, ConvertError> {
    let out_format = Format::of_output(output).map_err(|e| ConvertError::Read(e.to_string()))?;
    if super::open::same_file(input, output) {
        return Err(ConvertError::SameFile { output: output.to_owned() });
    }
    let mut loaded = read(input)?;
    let names = |loaded: &[Loaded]| loaded.iter().map(|l| format!("`{}`", l.layer.name)).collect::<Vec<_>>().join(", ");
    if let Some(wanted) = layer {
        let Some(pos) = loaded.iter().position(|l| l.layer.name == wanted) else {
            return Err(ConvertError::Layer {
                path: input.to_owned(),
                message: format!("no layer `{wanted}`; layers: {}", names(&loaded)),
            });
        };
        loaded = vec![loaded.swap_remove(pos)];
    }
    if loaded.is_empty() {
        return Err(ConvertError::Layer { path: input.to_owned(), message: "no feature layers".to_owned() });
    }
    if loaded.len() > 1 && out_format != Format::GeoPackage {
        return Err(ConvertError::Layer {
            path: input.to_owned(),
            message: format!("{} layers ({}); choose one with --layer NAME", loaded.len(), names(&loaded)),
        });
    }
    let problems: Vec<String> = loaded.iter().flat_map(|l| l.skipped.iter().cloned()).collect();
    if !problems.is_empty() && bad_rows == BadRows::Fail {
        return Err(ConvertError::Skipped { input: input.to_owned(), output: output.to_owned(), problems });
    }
    let mut report = ConvertReport {
        input: input.to_owned(),
        output: output.to_owned(),
        layers: loaded.iter().map(|l| (l.layer.name.clone(), l.layer.features.len())).collect(),
        problems,
        lossy: Vec::new(),
    };
    let layers: Vec<&Layer> = loaded.iter().map(|l| &l.layer).collect();
    match (out_format, layers.as_slice()) {
        (Format::GeoPackage, _) => {
            report.lossy =
                super::gpkg::write_gpkg_with_notes(output, &layers).map_err(|e| ConvertError::Write(e.to_string()))?;
        }
        (Format::GeoJson | Format::Csv, [layer]) => {
            report.lossy = super::open::write_layer(layer, output).map_err(ConvertError::Write)?;
        }
        // Ruled out above: several layers only go to a GeoPackage.
        _ => return Err(ConvertError::Layer { path: input.to_owned(), message: "one layer expected".to_owned() }),
    }
    Ok(report)
}

/// Reads the input once through [`super::open`]; GeoJSON is first checked by the strict
/// validator, on the same bytes.
fn read(input: &Path) -> Result<Vec<Loaded>, ConvertError> {
    let format = Format::from_extension(input);
    if matches!(format, Some(Format::GeoPackage | Format::Csv)) {
        return super::open::open_layers(input).map_err(|e| ConvertError::Read(e.to_string()));
    }
    let label = input.display();
    let bytes = super::read::read_input(input).map_err(|e| ConvertError::Read(e.to_string()))?;
    let looks_like_json =
        bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes).iter().find(|b| !b.is_ascii_whitespace())
            == Some(&b'{');
    if format.is_none() && !looks_like_json {
        return super::open::open_layers(input).map_err(|e| ConvertError::Read(e.to_string()));
    }
    let problems = super::validate::validate_bytes(&bytes);
    if super::validate::has_errors(&problems) {
        return Err(ConvertError::Invalid { problems: problems.iter().map(|p| format!("{label}:{p}")).collect() });
    }
    super::geojson::load_bytes(input, &bytes).map(|l| vec![l]).map_err(|e| ConvertError::Read(e.to_string()))
}

/// What writing `layer` as CSV loses.
pub fn csv_losses(layer: &Layer) -> Vec<String> {
    let mut lost = Vec::new();
    let name = &layer.name;
    if !layer.foreign_members.is_empty() {
        lost.push(format!("layer `{name}`: FeatureCollection foreign members dropped"));
    }
    let count = |pred: &dyn Fn(&crate::model::Feature) -> bool| layer.features.iter().filter(|f| pred(f)).count();
    let n = count(&|f| !f.foreign_members.is_empty());
    if n > 0 {
        lost.push(format!("layer `{name}`: foreign members of {n} feature(s) dropped"));
    }
    let n = count(&|f| {
        f.geometry.as_ref().and_then(|g| g.get("coordinates")).and_then(Value::as_array).is_some_and(|c| c.len() > 2)
    });
    if n > 0 {
        lost.push(format!("layer `{name}`: Z values of {n} point(s) dropped"));
    }
    let n = count(&|f| f.properties.values().any(|v| v.is_array() || v.is_object()));
    if n > 0 {
        lost.push(format!("layer `{name}`: nested values of {n} feature(s) written as JSON text (read back as text)"));
    }
    lost
}
