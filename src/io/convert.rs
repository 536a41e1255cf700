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
//! A GeoJSON `FeatureCollection` or an ACLED CSV export converted to GeoPackage or GeoJSON
//! streams ([`streamed`]): two passes over the file, one feature at a time, memory bounded by
//! the largest feature, the same output, reports and refusals as reading it whole.
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

mod streamed;

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

impl From<super::gpkg::GpkgError> for ConvertError {
    fn from(e: super::gpkg::GpkgError) -> Self {
        Self::Write(e.to_string())
    }
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
    if layer.is_none()
        && let Some(result) = streamed::convert(input, output, out_format, bad_rows)
    {
        return result;
    }
    let Input { mut layers, mut attributes, unreadable } = read(input)?;
    let all_names = |layers: &[Loaded], attributes: &[Loaded]| {
        layers.iter().chain(attributes).map(|l| format!("`{}`", l.layer.name)).collect::<Vec<_>>().join(", ")
    };
    if let Some(wanted) = layer {
        if let Some(pos) = layers.iter().position(|l| l.layer.name == wanted) {
            layers = vec![layers.swap_remove(pos)];
        } else if let Some(pos) = attributes.iter().position(|l| l.layer.name == wanted) {
            layers = vec![attributes.swap_remove(pos)];
        } else {
            let why = unreadable.iter().find(|(t, _)| t.eq_ignore_ascii_case(wanted)).map(|(_, e)| e.clone());
            return Err(ConvertError::Layer {
                path: input.to_owned(),
                message: why
                    .unwrap_or_else(|| format!("no layer `{wanted}`; layers: {}", all_names(&layers, &attributes))),
            });
        }
        attributes.clear();
    }
    if layers.is_empty() && attributes.is_empty() {
        let message = match unreadable.first() {
            Some((_, e)) => format!("no readable layers ({e})"),
            None => "no feature layers".to_owned(),
        };
        return Err(ConvertError::Layer { path: input.to_owned(), message });
    }
    let mut lossy: Vec<String> = Vec::new();
    if out_format != Format::GeoPackage {
        if layers.len() + attributes.len() > 1 {
            return Err(ConvertError::Layer {
                path: input.to_owned(),
                message: format!(
                    "{} layers ({}); choose one with --layer NAME",
                    layers.len() + attributes.len(),
                    all_names(&layers, &attributes)
                ),
            });
        }
        layers.append(&mut attributes);
    }
    // Tables nothing can read are named, never dropped in silence.
    lossy.extend(unreadable.iter().filter(|_| layer.is_none()).map(|(t, e)| format!("table `{t}` not converted: {e}")));
    let problems: Vec<String> = layers.iter().chain(&attributes).flat_map(|l| l.skipped.iter().cloned()).collect();
    if !problems.is_empty() && bad_rows == BadRows::Fail {
        return Err(ConvertError::Skipped { input: input.to_owned(), output: output.to_owned(), problems });
    }
    let mut report = ConvertReport {
        input: input.to_owned(),
        output: output.to_owned(),
        layers: layers.iter().chain(&attributes).map(|l| (l.layer.name.clone(), l.layer.features.len())).collect(),
        problems,
        lossy: Vec::new(),
    };
    let feature_layers: Vec<&Layer> = layers.iter().map(|l| &l.layer).collect();
    let attribute_tables: Vec<&Layer> = attributes.iter().map(|l| &l.layer).collect();
    match (out_format, feature_layers.as_slice()) {
        (Format::GeoPackage, _) => {
            report.lossy = super::gpkg::write_gpkg_tables(output, &feature_layers, &attribute_tables)
                .map_err(|e| ConvertError::Write(e.to_string()))?;
        }
        (Format::GeoJson | Format::Csv | Format::Kml, [layer]) => {
            report.lossy = super::open::write_layer(layer, output).map_err(ConvertError::Write)?;
        }
        // Ruled out above: several layers only go to a GeoPackage.
        _ => return Err(ConvertError::Layer { path: input.to_owned(), message: "one layer expected".to_owned() }),
    }
    report.lossy.extend(lossy);
    Ok(report)
}

/// What an input holds: map layers, a GeoPackage's attributes-only tables, and the tables
/// that could not be read (name and why).
struct Input {
    layers: Vec<Loaded>,
    attributes: Vec<Loaded>,
    unreadable: Vec<(String, String)>,
}

impl Input {
    fn layers(layers: Vec<Loaded>) -> Self {
        Self { layers, attributes: Vec::new(), unreadable: Vec::new() }
    }
}

/// Reads the input once through [`super::open`] (a GeoPackage table by table, so every
/// table is kept or named); GeoJSON is first checked by the strict validator, on the same
/// bytes.
fn read(input: &Path) -> Result<Input, ConvertError> {
    let format = Format::from_extension(input);
    let read_err = |e: &dyn std::fmt::Display| ConvertError::Read(e.to_string());
    if format == Some(Format::GeoPackage) {
        if !super::read::is_regular_file(input) {
            // The dispatcher says why (missing file, pipe or device).
            return super::open::open_layers(input).map(Input::layers).map_err(|e| read_err(&e));
        }
        let tables = super::gpkg::read_gpkg_tables(input).map_err(|e| read_err(&e))?;
        let unreadable =
            tables.unreadable.iter().map(|e| (e.table().unwrap_or("?").to_owned(), e.to_string())).collect();
        let mut layers = tables.layers;
        for l in &mut layers {
            l.layer.source_table = Some(l.layer.name.clone());
        }
        return Ok(Input { layers, attributes: tables.attributes, unreadable });
    }
    if matches!(format, Some(Format::Csv | Format::Kml)) {
        return super::open::open_layers(input).map(Input::layers).map_err(|e| read_err(&e));
    }
    let label = input.display();
    let bytes = super::read::read_input(input).map_err(|e| read_err(&e))?;
    let looks_like_json =
        bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes).iter().find(|b| !b.is_ascii_whitespace())
            == Some(&b'{');
    if format.is_none() && !looks_like_json {
        return super::open::open_layers(input).map(Input::layers).map_err(|e| read_err(&e));
    }
    let problems = super::validate::validate_bytes(&bytes);
    if super::validate::has_errors(&problems) {
        return Err(ConvertError::Invalid { problems: problems.iter().map(|p| format!("{label}:{p}")).collect() });
    }
    super::geojson::load_bytes(input, &bytes).map(|l| Input::layers(vec![l])).map_err(|e| read_err(&e))
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
