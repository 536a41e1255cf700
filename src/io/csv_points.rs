//! Point layers as CSV: a longitude and a latitude column plus attributes.
//!
//! Reading finds the coordinate columns by header name (trimmed, case-insensitive, BOM
//! stripped): `longitude`, `lon`, `lng` or `x` and `latitude`, `lat` or `y`, first match in
//! that order. A column named `id` becomes the feature id (a number when the whole column is
//! whole numbers). Other columns become properties in header order: numbers when every
//! non-empty cell is a JSON number, booleans when every non-empty cell is `true`/`false`,
//! strings otherwise; an empty cell is null. Rows with a missing, unreadable or out-of-range
//! coordinate, or the wrong number of fields, are skipped and reported as
//! `FILE:LINE:COL: message`. ACLED exports (headers `event_id_cnty` and `event_date`) are
//! handed to [`crate::io::acled_layer::load`].
//!
//! Writing accepts point layers only: any feature that is not a single `Point` (including a
//! null geometry) is an error naming the feature, rather than a silently moved representative
//! point. Columns are `id, longitude, latitude`, then the union of property keys in
//! first-seen order; nested values are written as JSON text. A Z coordinate is not written.

use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value};

use super::geojson::{Loaded, MAX_FILE_BYTES};
use super::progress::{Progress, ProgressReader, REPORT_EVERY};
use crate::model::{FeatureId, Layer};

const LON_NAMES: [&str; 4] = ["longitude", "lon", "lng", "x"];
const LAT_NAMES: [&str; 3] = ["latitude", "lat", "y"];

/// Why a CSV file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CsvPointsError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is too large to load.
    #[error("{}: file is larger than the {} MB this app loads", path.display(), MAX_FILE_BYTES / 1_000_000)]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The CSV is unreadable from some point on.
    #[error("{file}:{line}:1: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What the CSV reader reported.
        message: String,
    },
    /// No longitude or latitude column.
    #[error("{file}:1:1: no {missing} column (expected one of: {expected}); found {found}")]
    NoCoordinates {
        /// The file.
        file: String,
        /// `longitude` or `latitude`.
        missing: &'static str,
        /// Accepted names.
        expected: String,
        /// The header found.
        found: String,
    },
    /// Two header cells name the same column: one `FILE:1:COL` line per repeated cell.
    #[error("{}", super::acled::duplicate_columns_message(file, columns))]
    DuplicateColumns {
        /// The file.
        file: String,
        /// Each repeated cell: its 1-based column, the name, and the 1-based column of its first use.
        columns: Vec<(usize, String, usize)>,
    },
    /// The ACLED importer failed.
    #[error("{0}")]
    Acled(String),
    /// The rows could not be turned into a layer.
    #[error("{0}")]
    Layer(String),
    /// A feature to write is not a point.
    #[error("{}: feature {feature} is {what}, not a Point; only point layers can be written as CSV", path.display())]
    NotPoint {
        /// The file being written.
        path: PathBuf,
        /// The feature id or `#n`.
        feature: String,
        /// What it is instead.
        what: String,
    },
    /// A property name would be read back as a coordinate or id column.
    #[error("{}: property `{key}` clashes with the `{column}` column of the CSV; rename it first", path.display())]
    Clash {
        /// The file being written.
        path: PathBuf,
        /// The property.
        key: String,
        /// The reserved column.
        column: &'static str,
    },
}

use super::acled::normalise;

/// A cell as a JSON number, keeping integers as integers (`69` stays `69`, not `69.0`).
fn number(cell: &str) -> Option<Number> {
    let cell = cell.trim();
    if let Ok(n) = serde_json::from_str::<Number>(cell) {
        return Some(n);
    }
    cell.parse::<f64>().ok().and_then(Number::from_f64)
}

/// One good row.
struct Row {
    id: Option<String>,
    lon: Number,
    lat: Number,
    cells: Vec<String>,
}

/// How a property column is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Bool,
    Text,
}

/// Reads a CSV of points as a layer named after the file (read once, see
/// [`crate::io::read::read_input`]).
pub fn read_csv_points(path: &Path) -> Result<Loaded, CsvPointsError> {
    let bytes = super::read::read_input(path).map_err(|e| match e {
        super::read::ReadError::TooLarge { .. } => CsvPointsError::TooLarge { path: path.to_owned() },
        super::read::ReadError::Io { source, .. } => CsvPointsError::Io { path: path.to_owned(), source },
        other => CsvPointsError::Layer(other.to_string()),
    })?;
    parse_csv_points(path, &bytes)
}

/// Parses the bytes of a CSV of points read from `path` (which names the layer and the
/// file in messages). An ACLED export is handed to [`crate::io::acled_layer::from_bytes`].
pub fn parse_csv_points(path: &Path, bytes: &[u8]) -> Result<Loaded, CsvPointsError> {
    parse_csv_points_with(path, bytes, &Progress::new())
}

/// [`parse_csv_points`] reporting to `progress`: the bytes read and the rows made into
/// features; once `progress` is cancelled, reading stops with an error.
pub fn parse_csv_points_with(path: &Path, bytes: &[u8], progress: &Progress) -> Result<Loaded, CsvPointsError> {
    let label = path.display().to_string();
    let newlines: Vec<u64> = bytes.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i as u64).collect();
    // A record never starts on a line break, but csv may report the offset of a preceding
    // `\r`, `\n` or blank line: step over those before counting.
    let line_at = |byte: u64| {
        let start = usize::try_from(byte).unwrap_or(usize::MAX);
        let skip = bytes.get(start..).map_or(0, |rest| rest.iter().take_while(|&&b| b == b'\r' || b == b'\n').count());
        newlines.partition_point(|&nl| nl < byte + skip as u64) + 1
    };
    let csv_err = |e: &csv::Error| CsvPointsError::Csv {
        file: label.clone(),
        line: e.position().map_or(1, |p| line_at(p.byte())),
        message: e.to_string(),
    };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(ProgressReader::new(bytes, progress));
    let mut record = csv::StringRecord::new();
    if !reader.read_record(&mut record).map_err(|e| csv_err(&e))? {
        return Err(CsvPointsError::NoCoordinates {
            file: label,
            missing: "longitude",
            expected: LON_NAMES.join(", "),
            found: "an empty file".to_owned(),
        });
    }
    let header: Vec<String> = record.iter().map(normalise).collect();
    if super::acled::is_acled_header(&header) {
        return super::acled_layer::from_bytes_with(path, bytes, progress).map_err(CsvPointsError::Acled);
    }
    // Which `lat` or `name` column a value comes from must never be a guess.
    let duplicates = super::acled::duplicate_columns(&record);
    if !duplicates.is_empty() {
        return Err(CsvPointsError::DuplicateColumns { file: label, columns: duplicates });
    }
    let find = |names: &[&str]| names.iter().find_map(|n| header.iter().position(|h| h == n));
    let missing = |missing: &'static str, names: &[&str]| CsvPointsError::NoCoordinates {
        file: label.clone(),
        missing,
        expected: names.join(", "),
        found: format!("columns {}", record.iter().collect::<Vec<_>>().join(", ")),
    };
    let lon_col = find(&LON_NAMES).ok_or_else(|| missing("longitude", &LON_NAMES))?;
    let lat_col = find(&LAT_NAMES).ok_or_else(|| missing("latitude", &LAT_NAMES))?;
    let id_col = header.iter().position(|h| h == "id");
    let country_col = header.iter().position(|h| h == "country");
    // Property keys: the header text, made unique.
    let mut keys: Vec<(usize, String)> = Vec::new();
    for (i, raw) in record.iter().enumerate() {
        if i == lon_col || i == lat_col || Some(i) == id_col {
            continue;
        }
        let mut key = raw.trim_start_matches('\u{feff}').trim().to_owned();
        if key.is_empty() || keys.iter().any(|(_, k)| *k == key) {
            key = format!("{key}_{}", i + 1);
        }
        keys.push((i, key));
    }

    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut told = 0;
    loop {
        if rows.len() - told >= REPORT_EVERY {
            progress.add_features((rows.len() - told) as u64);
            told = rows.len();
        }
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if let csv::ErrorKind::Utf8 { pos, err } = e.kind() {
                    let line = pos.as_ref().map_or(0, |p| line_at(p.byte()));
                    problems.push(format!("{label}:{line}:{}: not valid UTF-8 (row skipped)", err.field() + 1));
                    continue;
                }
                return Err(csv_err(&e));
            }
        }
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            problems.push(format!(
                "{label}:{line}:1: expected {} fields, found {} (row skipped)",
                header.len(),
                record.len()
            ));
            continue;
        }
        let coord = |col: usize, name: &str, limit: f64| -> Result<Number, String> {
            let cell = record.get(col).unwrap_or_default().trim();
            let prefix = format!("{label}:{line}:{}: {name}", col + 1);
            if cell.is_empty() {
                return Err(format!("{prefix} is empty (row skipped)"));
            }
            let n = number(cell).ok_or_else(|| format!("{prefix} `{cell}` is not a number (row skipped)"))?;
            match n.as_f64() {
                Some(v) if (-limit..=limit).contains(&v) => Ok(n),
                _ => Err(format!("{prefix} {cell} is outside −{limit}..{limit} (row skipped)")),
            }
        };
        match (coord(lon_col, "longitude", 180.0), coord(lat_col, "latitude", 90.0)) {
            (Ok(lon), Ok(lat)) => {
                let country = country_col.and_then(|c| record.get(c));
                if let (Some(x), Some(y)) = (lon.as_f64(), lat.as_f64())
                    && let Some(inside) = crate::geodata::swapped_into(x, y, country)
                {
                    let message = super::acled::swapped_message(y, x, country, inside);
                    problems.push(format!("{label}:{line}:{}: {message}", lat_col + 1));
                }
                rows.push(Row {
                    id: id_col.and_then(|c| record.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
                    lon,
                    lat,
                    cells: record.iter().map(str::to_owned).collect(),
                });
            }
            (Err(a), _) | (_, Err(a)) => problems.push(a),
        }
    }

    progress.add_features((rows.len() - told) as u64);
    let kinds: Vec<Kind> = keys
        .iter()
        .map(|(col, _)| {
            let mut cells = rows.iter().filter_map(|r| r.cells.get(*col)).map(|c| c.trim()).filter(|c| !c.is_empty());
            if cells.clone().all(|c| serde_json::from_str::<Number>(c).is_ok()) {
                Kind::Number
            } else if cells.all(|c| c == "true" || c == "false") {
                Kind::Bool
            } else {
                Kind::Text
            }
        })
        .collect();
    let numeric_ids = rows.iter().filter_map(|r| r.id.as_deref()).all(|id| id.parse::<i64>().is_ok());
    let features = rows
        .into_iter()
        .map(|row| {
            let mut properties = Map::new();
            for ((col, key), kind) in keys.iter().zip(&kinds) {
                let cell = row.cells.get(*col).map_or("", String::as_str);
                let value = match (kind, cell.trim()) {
                    (_, "") => Value::Null,
                    (Kind::Number, t) => number(t).map_or_else(|| Value::from(cell), Value::Number),
                    (Kind::Bool, t) => Value::Bool(t == "true"),
                    (Kind::Text, _) => Value::from(cell),
                };
                properties.insert(key.clone(), value);
            }
            let mut f = Map::new();
            f.insert("type".to_owned(), Value::from("Feature"));
            if let Some(id) = row.id {
                let id = match id.parse::<i64>() {
                    Ok(n) if numeric_ids => Value::from(n),
                    _ => Value::from(id),
                };
                f.insert("id".to_owned(), id);
            }
            let mut g = Map::new();
            g.insert("type".to_owned(), Value::from("Point"));
            g.insert("coordinates".to_owned(), Value::Array(vec![Value::Number(row.lon), Value::Number(row.lat)]));
            f.insert("geometry".to_owned(), Value::Object(g));
            f.insert("properties".to_owned(), Value::Object(properties));
            Value::Object(f)
        })
        .collect();
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    let mut loaded = super::gpkg::loaded_from_features(features, &label, &name, path)
        .map_err(|e| CsvPointsError::Layer(e.to_string()))?;
    problems.append(&mut loaded.skipped);
    loaded.skipped = problems;
    Ok(loaded)
}

/// Writes a point layer as CSV (atomically). See the module docs for the columns and why
/// non-point features are an error.
pub fn write_csv_points(path: &Path, layer: &Layer) -> Result<(), CsvPointsError> {
    let mut keys: Vec<String> = Vec::new();
    for f in &layer.features {
        for k in f.properties.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    // Properties named `longitude` and `latitude` (an ACLED export's columns) are the point's
    // coordinate columns, in their own places, written from the geometry (which an edit may
    // have moved). Found trying the command: the app's own ACLED GeoJSON did not convert back
    // to CSV ("property `latitude` clashes with the `latitude` column").
    let place = |name: &str| keys.iter().position(|k| k.trim().eq_ignore_ascii_case(name));
    let in_place = place("longitude").zip(place("latitude"));
    // An ACLED export's id is its `event_id_cnty` column (as the ACLED reader makes it): no
    // `id` column of its own, which would come back as a property.
    let acled_ids = layer.features.iter().all(|f| {
        let id = f.id.as_ref().map(ToString::to_string);
        id.is_some() && f.properties.get("event_id_cnty").and_then(Value::as_str).map(str::to_owned) == id
    });
    for k in &keys {
        let lower = k.trim().to_lowercase();
        let columns: &[&'static str] = if in_place.is_some() { &["id"] } else { &["id", "longitude", "latitude"] };
        if let Some(&column) = columns.iter().find(|c| lower == **c) {
            return Err(CsvPointsError::Clash { path: path.to_owned(), key: (*k).clone(), column });
        }
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_io = |e: csv::Error| CsvPointsError::Io { path: path.to_owned(), source: std::io::Error::other(e) };
    let mut header = if acled_ids { Vec::new() } else { vec!["id"] };
    if in_place.is_none() {
        header.extend(["longitude", "latitude"]);
    }
    header.extend(keys.iter().map(String::as_str));
    out.write_record(&header).map_err(csv_io)?;
    for (i, f) in layer.features.iter().enumerate() {
        let not_point = |what: String| CsvPointsError::NotPoint {
            path: path.to_owned(),
            feature: f.id.as_ref().map_or_else(|| format!("#{}", i + 1), ToString::to_string),
            what,
        };
        let Some(g) = &f.geometry else {
            return Err(not_point("without geometry".to_owned()));
        };
        let kind = g.get("type").and_then(Value::as_str).unwrap_or("an unknown geometry");
        let coords = g.get("coordinates").and_then(Value::as_array);
        let (Some("Point"), Some(Value::Number(lon)), Some(Value::Number(lat))) =
            (g.get("type").and_then(Value::as_str), coords.and_then(|c| c.first()), coords.and_then(|c| c.get(1)))
        else {
            return Err(not_point(format!("a {kind}")));
        };
        let mut row = Vec::with_capacity(header.len());
        if !acled_ids {
            row.push(match &f.id {
                Some(FeatureId::Str(s)) => s.clone(),
                Some(FeatureId::Num(n)) => n.to_string(),
                None => String::new(),
            });
        }
        if in_place.is_none() {
            row.extend([lon.to_string(), lat.to_string()]);
        }
        // A coordinate column keeps its own spelling ("70.0440") while it still says where
        // the point is.
        let coordinate = |given: Option<&Value>, at: &serde_json::Number| match given {
            Some(Value::Number(n)) if n.as_f64().is_some() && n.as_f64() == at.as_f64() => n.to_string(),
            _ => at.to_string(),
        };
        row.extend(keys.iter().enumerate().map(|(j, k)| match (in_place, f.properties.get(k)) {
            (Some((x, _)), given) if j == x => coordinate(given, lon),
            (Some((_, y)), given) if j == y => coordinate(given, lat),
            (_, None | Some(Value::Null)) => String::new(),
            (_, Some(Value::String(s))) => s.clone(),
            (_, Some(other)) => other.to_string(),
        }));
        out.write_record(&row).map_err(csv_io)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| CsvPointsError::Io { path: path.to_owned(), source: std::io::Error::other(e.to_string()) })?;
    super::atomic::write_atomic(path, &bytes).map_err(|source| CsvPointsError::Io { path: path.to_owned(), source })
}
