//! GeoJSON to [`Layer`] and back, keeping ids, property order and foreign members.
//!
//! Loading is forgiving where RFC 7946 allows it and strict where drawing would go wrong:
//! a feature with unusable geometry (bad positions, out-of-range coordinates, open rings) is
//! skipped and reported, never silently dropped, and the rest of the file loads.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::model::{Feature, FeatureId, Layer, LayerKind, LayerSource};
use crate::spatial::Shape;

/// Files larger than this are refused with a clear message instead of exhausting memory.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Why a GeoJSON file could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum GeoJsonError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("{}: file is {size_mb} MB, larger than the {limit_mb} MB this app loads", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in MB.
        size_mb: u64,
        /// The limit in MB.
        limit_mb: u64,
    },
    /// The text is not JSON.
    #[error("{file}:{line}:{col}: {message}")]
    Syntax {
        /// File label.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// The JSON is not GeoJSON.
    #[error("{file}: {message}")]
    NotGeoJson {
        /// File label.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// A loaded layer and what was skipped on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The layer.
    pub layer: Layer,
    /// One line per skipped feature, naming the file and the feature.
    pub skipped: Vec<String>,
}

/// Loads a GeoJSON file from disk as a new layer, inferring its kind from its properties.
pub fn load_file(path: &Path) -> Result<Loaded, GeoJsonError> {
    let meta = std::fs::metadata(path).map_err(|source| GeoJsonError::Io { path: path.to_owned(), source })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(GeoJsonError::TooLarge {
            path: path.to_owned(),
            size_mb: meta.len() / 1_000_000,
            limit_mb: MAX_FILE_BYTES / 1_000_000,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| GeoJsonError::Io { path: path.to_owned(), source })?;
    let label = path.display().to_string();
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let (line, col) = line_col_bytes(&bytes, e.valid_up_to());
        GeoJsonError::Syntax { file: label.clone(), line, col, message: "invalid UTF-8".to_owned() }
    })?;
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    parse_layer(text, &label, &name, None, LayerSource::File(path.to_owned()))
}

/// Parses GeoJSON text into a layer. `kind` overrides inference from the properties.
pub fn parse_layer(
    text: &str,
    file_label: &str,
    name: &str,
    kind: Option<LayerKind>,
    source: LayerSource,
) -> Result<Loaded, GeoJsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Value = serde_json::from_str(text).map_err(|e| GeoJsonError::Syntax {
        file: file_label.to_owned(),
        line: e.line(),
        col: e.column(),
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
    })?;
    let not_geojson = |message: String| GeoJsonError::NotGeoJson { file: file_label.to_owned(), message };
    let Value::Object(mut root) = root else {
        return Err(not_geojson("the top level is not a JSON object".to_owned()));
    };
    let type_name = root.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut skipped = Vec::new();
    let (raw_features, foreign_members) = match type_name.as_str() {
        "FeatureCollection" => {
            let Some(Value::Array(features)) = root.remove("features") else {
                return Err(not_geojson("FeatureCollection has no `features` array".to_owned()));
            };
            root.remove("type");
            (features, root)
        }
        "Feature" => (vec![Value::Object(root)], Map::new()),
        t if GEOMETRY_TYPES.contains(&t) => {
            let mut feature = Map::new();
            feature.insert("type".to_owned(), Value::from("Feature"));
            feature.insert("geometry".to_owned(), Value::Object(root));
            feature.insert("properties".to_owned(), Value::Null);
            (vec![Value::Object(feature)], Map::new())
        }
        "" => return Err(not_geojson("no `type` member: not GeoJSON".to_owned())),
        other => return Err(not_geojson(format!("unknown GeoJSON type `{other}`"))),
    };
    let mut features = Vec::with_capacity(raw_features.len());
    for (i, raw) in raw_features.into_iter().enumerate() {
        match feature_from_json(raw) {
            Ok(f) => features.push(f),
            Err(why) => skipped.push(format!("{file_label}: feature #{} skipped: {why}", i + 1)),
        }
    }
    let kind = kind.unwrap_or_else(|| infer_kind(&features));
    let mut layer = Layer::new(name, kind, source, features);
    layer.foreign_members = foreign_members;
    if layer.features.iter().any(|f| f.properties.contains_key("shapeName")) {
        layer.label_field = Some("shapeName".to_owned());
    }
    let date_problems = crate::model::assign_spans(&mut layer);
    skipped.extend(date_problems.into_iter().map(|p| format!("{file_label}: {p}")));
    Ok(Loaded { layer, skipped })
}

const GEOMETRY_TYPES: [&str; 7] =
    ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"];

/// Converts one Feature object, or says why it cannot be used.
fn feature_from_json(raw: Value) -> Result<Feature, String> {
    let Value::Object(mut obj) = raw else {
        return Err("not a JSON object".to_owned());
    };
    match obj.remove("type") {
        Some(Value::String(t)) if t == "Feature" => {}
        Some(Value::String(t)) => return Err(format!("type is `{t}`, expected `Feature`")),
        _ => return Err("no `type: \"Feature\"` member".to_owned()),
    }
    let id = match obj.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(FeatureId::Str(s)),
        Some(Value::Number(n)) => Some(FeatureId::Num(n)),
        Some(other) => return Err(format!("id must be a string or number, found {}", json_kind(&other))),
    };
    let properties = match obj.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => return Err(format!("properties must be an object or null, found {}", json_kind(&other))),
    };
    let geometry = match obj.remove("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => Some(g),
    };
    let geo = match &geometry {
        None => None,
        Some(g) => Some(geo_from_json(g)?),
    };
    Ok(Feature { id, geometry, properties, foreign_members: obj, shape: Shape::from_geo(geo.as_ref()), time: None })
}

/// Converts a GeoJSON geometry object to a `geo` geometry, checking coordinate ranges and rings.
pub fn geo_from_json(value: &Value) -> Result<geo::Geometry<f64>, String> {
    let g: geojson::Geometry = serde_json::from_value(value.clone()).map_err(|e| format!("bad geometry: {e}"))?;
    check_positions(&g.value)?;
    geo::Geometry::<f64>::try_from(&g.value).map_err(|e| format!("bad geometry: {e}"))
}

fn check_positions(value: &geojson::GeometryValue) -> Result<(), String> {
    use geojson::GeometryValue as G;
    let check = |p: &geojson::Position| -> Result<(), String> {
        let c = p.as_slice();
        let (Some(&lon), Some(&lat)) = (c.first(), c.get(1)) else {
            return Err("a position has fewer than 2 numbers".to_owned());
        };
        if c.len() > 3 {
            return Err(format!("a position has {} numbers; RFC 7946 allows 2 or 3", c.len()));
        }
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            let hint = if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
                " (are longitude and latitude swapped?)"
            } else {
                ""
            };
            return Err(format!("position [{lon}, {lat}] is outside WGS84 ranges{hint}"));
        }
        Ok(())
    };
    let ring = |r: &[geojson::Position]| -> Result<(), String> {
        if r.len() < 4 {
            return Err(format!("a polygon ring has {} positions; at least 4 are needed", r.len()));
        }
        if r.first().map(geojson::Position::as_slice) != r.last().map(geojson::Position::as_slice) {
            return Err("a polygon ring is not closed (first and last positions differ)".to_owned());
        }
        r.iter().try_for_each(check)
    };
    match value {
        G::Point { coordinates } => check(coordinates),
        G::MultiPoint { coordinates } => coordinates.iter().try_for_each(check),
        G::LineString { coordinates } => {
            if coordinates.len() < 2 {
                return Err("a LineString needs at least 2 positions".to_owned());
            }
            coordinates.iter().try_for_each(check)
        }
        G::MultiLineString { coordinates } => coordinates.iter().flatten().try_for_each(check),
        G::Polygon { coordinates } => coordinates.iter().try_for_each(|r| ring(r)),
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().try_for_each(|r| ring(r)),
        G::GeometryCollection { geometries } => geometries.iter().try_for_each(|g| check_positions(&g.value)),
    }
}

/// Guesses a layer's kind from its properties (ACLED events, aid, geoBoundaries levels).
pub fn infer_kind(features: &[Feature]) -> LayerKind {
    let Some(first) = features.iter().find(|f| !f.properties.is_empty()) else {
        return LayerKind::Generic;
    };
    let p = &first.properties;
    if p.contains_key("event_date") && p.contains_key("event_type") {
        return LayerKind::Events;
    }
    if p.contains_key("donor") && p.contains_key("aid_type") {
        return LayerKind::Aid;
    }
    match p.get("shapeType").and_then(Value::as_str) {
        Some("ADM0") => LayerKind::Countries,
        Some("ADM1") => LayerKind::Provinces,
        Some("ADM2" | "ADM3") => LayerKind::Districts,
        _ => LayerKind::Generic,
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// 1-based line and column of a byte offset.
fn line_col_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.split(|&b| b == b'\n').count();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(before.get(line_start..).unwrap_or_default()).chars().count() + 1;
    (line, col)
}

/// Serialises a layer back to GeoJSON: the collection's foreign members, then each feature
/// with its id, original geometry, properties in order and foreign members.
pub fn layer_to_geojson(layer: &Layer) -> Value {
    let mut root = Map::new();
    root.insert("type".to_owned(), Value::from("FeatureCollection"));
    for (k, v) in &layer.foreign_members {
        root.insert(k.clone(), v.clone());
    }
    let features = layer.features.iter().map(feature_to_json).collect();
    root.insert("features".to_owned(), Value::Array(features));
    Value::Object(root)
}

fn feature_to_json(f: &Feature) -> Value {
    let mut obj = Map::new();
    obj.insert("type".to_owned(), Value::from("Feature"));
    match &f.id {
        Some(FeatureId::Str(s)) => {
            obj.insert("id".to_owned(), Value::from(s.clone()));
        }
        Some(FeatureId::Num(n)) => {
            obj.insert("id".to_owned(), Value::Number(n.clone()));
        }
        None => {}
    }
    obj.insert("geometry".to_owned(), f.geometry.clone().unwrap_or(Value::Null));
    obj.insert("properties".to_owned(), Value::Object(f.properties.clone()));
    for (k, v) in &f.foreign_members {
        obj.insert(k.clone(), v.clone());
    }
    Value::Object(obj)
}
