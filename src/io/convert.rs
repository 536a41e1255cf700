//! `frontier-atlas convert IN OUT`: GeoJSON (`.geojson`, `.json`), GeoPackage (`.gpkg`) and
//! point CSV (`.csv`) to one another, chosen by file extension.
//!
//! GeoJSON input is first checked by the strict validator ([`crate::io::validate`]); any
//! problem is reported as `FILE:LINE:COL: message`, exactly as `validate` does, and nothing
//! is written. Problems found while reading other inputs (skipped rows or features) are
//! reported too; the rest is still converted, and the command exits 1 so scripts notice.
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
use std::process::ExitCode;

use serde_json::Value;

use super::geojson::{Loaded, layer_to_geojson};
use crate::model::Layer;

/// A file format known by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.geojson` or `.json`.
    GeoJson,
    /// `.gpkg`.
    GeoPackage,
    /// `.csv` (points).
    Csv,
}

impl Format {
    /// The format of a path, from its extension (case-insensitive).
    pub fn of(path: &Path) -> Result<Self, ConvertError> {
        let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "gpkg" => Ok(Self::GeoPackage),
            "csv" => Ok(Self::Csv),
            _ => Err(ConvertError::UnknownFormat { path: path.to_owned(), ext }),
        }
    }
}

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

/// Converts `input` to `output` (formats by extension); see the module docs.
pub fn convert(input: &Path, output: &Path) -> Result<ConvertReport, ConvertError> {
    convert_layer(input, output, None)
}

/// Like [`convert`], taking only the layer called `layer` from a multi-layer input.
pub fn convert_layer(input: &Path, output: &Path, layer: Option<&str>) -> Result<ConvertReport, ConvertError> {
    let in_format = Format::of(input)?;
    let out_format = Format::of(output)?;
    let mut loaded = read(input, in_format)?;
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
    let mut report = ConvertReport {
        input: input.to_owned(),
        output: output.to_owned(),
        layers: loaded.iter().map(|l| (l.layer.name.clone(), l.layer.features.len())).collect(),
        problems: loaded.iter().flat_map(|l| l.skipped.iter().cloned()).collect(),
        lossy: Vec::new(),
    };
    let layers: Vec<&Layer> = loaded.iter().map(|l| &l.layer).collect();
    match (out_format, layers.as_slice()) {
        (Format::GeoPackage, _) => {
            report.lossy =
                super::gpkg::write_gpkg_with_notes(output, &layers).map_err(|e| ConvertError::Write(e.to_string()))?;
        }
        (Format::GeoJson, [layer]) => {
            super::atomic::write_atomic(output, geojson_text(layer).as_bytes())
                .map_err(|e| ConvertError::Write(format!("cannot write {}: {e}", output.display())))?;
        }
        (Format::Csv, [layer]) => {
            super::csv_points::write_csv_points(output, layer).map_err(|e| ConvertError::Write(e.to_string()))?;
            report.lossy = csv_losses(layer);
        }
        // Ruled out above: several layers only go to a GeoPackage.
        _ => return Err(ConvertError::Layer { path: input.to_owned(), message: "one layer expected".to_owned() }),
    }
    Ok(report)
}

fn read(input: &Path, format: Format) -> Result<Vec<Loaded>, ConvertError> {
    match format {
        Format::GeoJson => {
            let label = input.display();
            let bytes =
                std::fs::read(input).map_err(|e| ConvertError::Read(format!("{label}:1:1: cannot read: {e}")))?;
            let problems = super::validate::validate_bytes(&bytes);
            if !problems.is_empty() {
                return Err(ConvertError::Invalid {
                    problems: problems.iter().map(|p| format!("{label}:{}:{}: {}", p.line, p.col, p.message)).collect(),
                });
            }
            super::geojson::load_file(input).map(|l| vec![l]).map_err(|e| ConvertError::Read(e.to_string()))
        }
        Format::GeoPackage => super::gpkg::read_gpkg(input).map_err(|e| ConvertError::Read(e.to_string())),
        Format::Csv => {
            super::csv_points::read_csv_points(input).map(|l| vec![l]).map_err(|e| ConvertError::Read(e.to_string()))
        }
    }
}

/// GeoJSON text with one feature per line: compact, yet diffable and greppable.
pub fn geojson_text(layer: &Layer) -> String {
    let Value::Object(mut root) = layer_to_geojson(layer) else {
        return String::new();
    };
    let features = match root.remove("features") {
        Some(Value::Array(f)) => f,
        _ => Vec::new(),
    };
    let mut out = String::from("{");
    for (k, v) in &root {
        out.push_str(&Value::from(k.as_str()).to_string());
        out.push(':');
        out.push_str(&v.to_string());
        out.push(',');
    }
    out.push_str("\"features\":[");
    for (i, f) in features.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&f.to_string());
    }
    out.push_str("\n]}\n");
    out
}

fn csv_losses(layer: &Layer) -> Vec<String> {
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

/// The `convert` subcommand: prints what was written and lost to stdout and problems to
/// stderr. Exit 0 on success, 1 on bad input (including skipped rows) or a write failure.
pub fn run_cli(input: &Path, output: &Path, layer: Option<&str>) -> ExitCode {
    match convert_layer(input, output, layer) {
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
        Ok(report) => {
            for p in &report.problems {
                eprintln!("{p}");
            }
            for (name, n) in &report.layers {
                println!("{}: layer `{name}`: {n} features written to {}", input.display(), output.display());
            }
            for l in &report.lossy {
                println!("{}: not kept: {l}", output.display());
            }
            if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}
