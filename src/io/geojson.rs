//! GeoJSON to [`Layer`] and back, keeping ids, property order and foreign members.
//!
//! Loading is forgiving where RFC 7946 allows it and strict where drawing would go wrong:
//! a feature with unusable geometry (bad positions, out-of-range coordinates, open rings) is
//! skipped and reported, never silently dropped, and the rest of the file loads.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::progress::{Progress, ProgressReader, REPORT_EVERY};
use crate::model::{
    Feature, FeatureId, FeatureLayout, Layer, LayerKind, LayerSource, Member, PropertiesForm, RootKind, RootLayout,
};
use crate::spatial::Shape;

pub use super::read::MAX_FILE_BYTES;

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
    /// The path is a folder, or a pipe or device that would not end.
    #[error(transparent)]
    Read(super::read::ReadError),
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
    /// Loading was cancelled (see [`crate::io::progress`]).
    #[error("{file}: loading cancelled")]
    Cancelled {
        /// File label.
        file: String,
    },
    /// The JSON is not GeoJSON.
    #[error("{file}: {message}")]
    NotGeoJson {
        /// File label.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The JSON's top-level value is not GeoJSON (its start is the place named).
    #[error("{file}:{line}:{col}: {message}")]
    NotGeoJsonAt {
        /// File label.
        file: String,
        /// 1-based line of the top-level value.
        line: usize,
        /// 1-based column of the top-level value.
        col: usize,
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
/// The file is read once (see [`crate::io::read::read_input`]).
pub fn load_file(path: &Path) -> Result<Loaded, GeoJsonError> {
    load_file_with(path, &Progress::new())
}

/// [`load_file`] reporting to `progress`.
pub fn load_file_with(path: &Path, progress: &Progress) -> Result<Loaded, GeoJsonError> {
    load_file_as(path, progress, None)
}

/// [`load_file_with`] as a layer of `kind` (`None`: inferred from the properties).
pub(crate) fn load_file_as(path: &Path, progress: &Progress, kind: Option<LayerKind>) -> Result<Loaded, GeoJsonError> {
    let bytes = super::read::read_input_with(path, progress).map_err(|e| match e {
        super::read::ReadError::TooLarge { path, size_mb } => {
            GeoJsonError::TooLarge { path, size_mb, limit_mb: MAX_FILE_BYTES / 1_000_000 }
        }
        super::read::ReadError::Io { path, source } => GeoJsonError::Io { path, source },
        other => GeoJsonError::Read(other),
    })?;
    load_bytes_as(path, &bytes, progress, kind)
}

/// Parses the bytes of a GeoJSON file read from `path` (which names the layer and the file
/// in messages) as a new layer.
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<Loaded, GeoJsonError> {
    load_bytes_with(path, bytes, &Progress::new())
}

/// [`load_bytes`] reporting to `progress` (the bytes and features done; stops with
/// [`GeoJsonError::Cancelled`] once it is cancelled).
pub fn load_bytes_with(path: &Path, bytes: &[u8], progress: &Progress) -> Result<Loaded, GeoJsonError> {
    load_bytes_as(path, bytes, progress, None)
}

fn load_bytes_as(
    path: &Path,
    bytes: &[u8],
    progress: &Progress,
    kind: Option<LayerKind>,
) -> Result<Loaded, GeoJsonError> {
    let label = path.display().to_string();
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, col) = line_col_bytes(bytes, e.valid_up_to());
        let message = "not UTF-8 text (GeoJSON is UTF-8): is this the right file?".to_owned();
        GeoJsonError::Syntax { file: label.clone(), line, col, message }
    })?;
    let name = path.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
    parse_layer_with(text, &label, &name, kind, LayerSource::File(path.to_owned()), progress, bytes.len() as u64)
}

/// A JSON syntax error in the words of `validate` where `serde_json`'s are a parser's: found
/// opening bad files as a new user would ("1:0: EOF while parsing a value" for an empty file;
/// a truncated download read as "EOF while parsing a string").
fn syntax_error(file_label: &str, text: &str, e: &serde_json::Error) -> GeoJsonError {
    let words = e.to_string().split(" at line ").next().unwrap_or_default().to_owned();
    let (line, col, message) = if e.is_eof() && text.trim().is_empty() {
        (1, 1, "empty document: expected a GeoJSON object".to_owned())
    } else if e.is_eof() {
        // Where the text ends, as `validate` places it (serde_json names its last character).
        let last = text.rsplit('\n').next().unwrap_or_default();
        let (line, col) = (text.matches('\n').count() + 1, last.chars().count() + 1);
        (line, col, format!("the file ends before the document does (cut short?): {words}"))
    } else {
        (e.line(), e.column(), words)
    };
    // serde_json counts columns from 0 before the first character of a line.
    GeoJsonError::Syntax { file: file_label.to_owned(), line, col: col.max(1), message }
}

/// Parses GeoJSON text into a layer. `kind` overrides inference from the properties.
pub fn parse_layer(
    text: &str,
    file_label: &str,
    name: &str,
    kind: Option<LayerKind>,
    source: LayerSource,
) -> Result<Loaded, GeoJsonError> {
    parse_layer_with(text, file_label, name, kind, source, &Progress::new(), 0)
}

/// [`parse_layer`] reporting to `progress`: bytes as the text is parsed, scaled to
/// `input_bytes` (how many input bytes the text stands for; 0 when the caller counts bytes
/// itself), then features as they are made. Stops with [`GeoJsonError::Cancelled`] once
/// `progress` is cancelled, the parse included.
pub fn parse_layer_with(
    text: &str,
    file_label: &str,
    name: &str,
    kind: Option<LayerKind>,
    source: LayerSource,
    progress: &Progress,
    input_bytes: u64,
) -> Result<Loaded, GeoJsonError> {
    let cancelled = || GeoJsonError::Cancelled { file: file_label.to_owned() };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Parsed through a reader (as fast as from_str here) so the parse reports and can stop.
    let input = ProgressReader::standing_for(text.as_bytes(), progress, input_bytes, text.len() as u64);
    let root: Value = serde_json::from_reader(std::io::BufReader::with_capacity(1 << 16, input)).map_err(|e| {
        if progress.cancelled() {
            return cancelled();
        }
        syntax_error(file_label, text, &e)
    })?;
    // Found trying a geoBoundaries metadata file: `render --add` said "FILE: no `type` member"
    // where every other bad-input report is FILE:LINE:COL.
    let (line, col) = top_level_place(text);
    let not_geojson = |message: String| GeoJsonError::NotGeoJsonAt { file: file_label.to_owned(), line, col, message };
    let Value::Object(mut root) = root else {
        return Err(not_geojson("the top level is not a JSON object".to_owned()));
    };
    super::crs::refuse_non_lon_lat(&root, file_label).map_err(|e| match e {
        GeoJsonError::NotGeoJson { message, .. } => not_geojson(message),
        other => other,
    })?;
    let type_name = root.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut skipped = Vec::new();
    let mut root_layout = RootLayout::default();
    let (raw_features, foreign_members) = match type_name.as_str() {
        "FeatureCollection" => {
            root_layout = collection_layout(&root);
            let Some(Value::Array(features)) = root.shift_remove("features") else {
                return Err(not_geojson("FeatureCollection has no `features` array".to_owned()));
            };
            root.shift_remove("type");
            (features, root)
        }
        "Feature" => {
            root_layout.kind = RootKind::Feature;
            (vec![Value::Object(root)], Map::new())
        }
        t if GEOMETRY_TYPES.contains(&t) => {
            root_layout.kind = RootKind::Geometry;
            let mut feature = Map::new();
            feature.insert("type".to_owned(), Value::from("Feature"));
            feature.insert("geometry".to_owned(), Value::Object(root));
            feature.insert("properties".to_owned(), Value::Null);
            (vec![Value::Object(feature)], Map::new())
        }
        "" => return Err(not_geojson("no `type` member: not GeoJSON".to_owned())),
        other => return Err(not_geojson(format!("unknown GeoJSON type `{other}`"))),
    };
    if progress.cancelled() {
        return Err(cancelled());
    }
    let mut features = Vec::with_capacity(raw_features.len());
    let mut layouts = Vec::with_capacity(raw_features.len());
    let total = raw_features.len() as u64;
    let mut features_told = 0;
    for (i, raw) in raw_features.into_iter().enumerate() {
        if i.is_multiple_of(REPORT_EVERY) && i > 0 {
            progress.add_features(i as u64 - features_told);
            features_told = i as u64;
            if progress.cancelled() {
                return Err(cancelled());
            }
        }
        match feature_from_json(raw) {
            Ok((f, layout)) => {
                features.push(f);
                layouts.push(layout);
            }
            Err(why) => skipped.push(format!("{file_label}: feature #{} skipped: {why}", i + 1)),
        }
    }
    progress.set_bytes_done(input_bytes);
    progress.add_features(total - features_told);
    let kind = kind.unwrap_or_else(|| infer_kind(&features));
    let mut layer = Layer::new(name, kind, source, features);
    layer.foreign_members = foreign_members;
    layer.layout.root = root_layout;
    layer.layout.features = layouts;
    if layer.features.iter().any(|f| f.properties.contains_key("shapeName")) {
        layer.label_field = Some("shapeName".to_owned());
    }
    let date_problems = crate::model::assign_spans(&mut layer);
    skipped.extend(date_problems.into_iter().map(|p| format!("{file_label}: {p}")));
    Ok(Loaded { layer, skipped })
}

const GEOMETRY_TYPES: [&str; 7] =
    ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"];

/// Where `type` and `features` sit among the members of a `FeatureCollection` object.
pub(crate) fn collection_layout(root: &Map<String, Value>) -> RootLayout {
    let mut layout =
        RootLayout { kind: RootKind::FeatureCollection, type_before: 0, features_before: 0, features_first: false };
    let mut foreign: u16 = 0;
    let mut seen_type = false;
    for key in root.keys() {
        match key.as_str() {
            "type" => {
                layout.type_before = foreign;
                seen_type = true;
            }
            "features" => {
                layout.features_before = foreign;
                layout.features_first = !seen_type;
            }
            _ => foreign = foreign.saturating_add(1),
        }
    }
    layout
}

/// Converts one Feature object with its member layout, or says why it cannot be used.
pub(crate) fn feature_from_json(raw: Value) -> Result<(Feature, FeatureLayout), String> {
    feature_from_json_shaped(raw, true)
}

/// [`feature_from_json`] without preparing the shape (the layer store keeps shapes in a
/// column and decodes a packed feature's text only for its members).
pub(crate) fn feature_from_json_unshaped(raw: Value) -> Result<(Feature, FeatureLayout), String> {
    feature_from_json_shaped(raw, false)
}

fn feature_from_json_shaped(raw: Value, shaped: bool) -> Result<(Feature, FeatureLayout), String> {
    let Value::Object(mut obj) = raw else {
        return Err("not a JSON object".to_owned());
    };
    let form = match obj.get("properties") {
        None => PropertiesForm::Absent,
        Some(Value::Null) => PropertiesForm::Null,
        Some(_) => PropertiesForm::Object,
    };
    let layout = FeatureLayout::from_keys(obj.keys().map(String::as_str), form);
    match obj.shift_remove("type") {
        Some(Value::String(t)) if t == "Feature" => {}
        Some(Value::String(t)) => return Err(format!("type is `{t}`, expected `Feature`")),
        _ => return Err("no `type: \"Feature\"` member".to_owned()),
    }
    let id = match obj.shift_remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(FeatureId::Str(s)),
        Some(Value::Number(n)) => Some(FeatureId::Num(n)),
        Some(other) => return Err(format!("id must be a string or number, found {}", json_kind(&other))),
    };
    let properties = match obj.shift_remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => return Err(format!("properties must be an object or null, found {}", json_kind(&other))),
    };
    let geometry = match obj.shift_remove("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => Some(g),
    };
    let geo = match &geometry {
        Some(g) if shaped => Some(geo_from_json(g)?),
        _ => None,
    };
    let feature =
        Feature { id, geometry, properties, foreign_members: obj, shape: Shape::from_geo(geo.as_ref()), time: None };
    Ok((feature, layout))
}

/// Converts a GeoJSON geometry object to a `geo` geometry, checking coordinate ranges and rings.
///
/// Read straight from the JSON value (not through a typed deserializer), so numbers keep
/// their exact text in the feature while their `f64` value is used for drawing.
pub fn geo_from_json(value: &Value) -> Result<geo::Geometry<f64>, String> {
    geometry(value, 0)
}

/// Deepest nesting of `GeometryCollection`s accepted.
const MAX_COLLECTION_DEPTH: usize = 32;

fn geometry(value: &Value, depth: usize) -> Result<geo::Geometry<f64>, String> {
    use geo::Geometry as G;
    let Value::Object(obj) = value else {
        return Err(format!("bad geometry: expected an object, found {}", json_kind(value)));
    };
    let Some(type_name) = obj.get("type").and_then(Value::as_str) else {
        return Err("bad geometry: no `type` string".to_owned());
    };
    if type_name == "GeometryCollection" {
        if depth >= MAX_COLLECTION_DEPTH {
            return Err(format!("bad geometry: GeometryCollections nested deeper than {MAX_COLLECTION_DEPTH}"));
        }
        let Some(Value::Array(members)) = obj.get("geometries") else {
            return Err("bad geometry: a GeometryCollection needs a `geometries` array".to_owned());
        };
        let parts = members.iter().map(|g| geometry(g, depth + 1)).collect::<Result<Vec<_>, _>>()?;
        return Ok(G::GeometryCollection(geo::GeometryCollection(parts)));
    }
    let Some(coords) = obj.get("coordinates") else {
        return Err(format!("bad geometry: {type_name} has no `coordinates`"));
    };
    Ok(match type_name {
        "Point" => G::Point(geo::Point(position(coords)?)),
        "MultiPoint" => G::MultiPoint(geo::MultiPoint(
            array(coords, "MultiPoint")?.iter().map(|p| position(p).map(geo::Point)).collect::<Result<_, _>>()?,
        )),
        "LineString" => G::LineString(line(coords)?),
        "MultiLineString" => G::MultiLineString(geo::MultiLineString(
            array(coords, "MultiLineString")?.iter().map(line).collect::<Result<_, _>>()?,
        )),
        "Polygon" => G::Polygon(polygon(coords)?),
        "MultiPolygon" => G::MultiPolygon(geo::MultiPolygon(
            array(coords, "MultiPolygon")?.iter().map(polygon).collect::<Result<_, _>>()?,
        )),
        other => return Err(format!("bad geometry: unknown type `{other}`")),
    })
}

fn array<'a>(value: &'a Value, what: &str) -> Result<&'a [Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(format!("bad geometry: {what} coordinates must be an array, found {}", json_kind(other))),
    }
}

/// One position: 2 or 3 finite numbers, longitude and latitude within WGS84 ranges.
fn position(value: &Value) -> Result<geo::Coord<f64>, String> {
    let items = array(value, "position")?;
    if items.len() < 2 {
        return Err("a position has fewer than 2 numbers".to_owned());
    }
    if items.len() > 3 {
        return Err(format!("a position has {} numbers; RFC 7946 allows 2 or 3", items.len()));
    }
    let mut numbers = [0.0_f64; 3];
    for (slot, item) in numbers.iter_mut().zip(items) {
        *slot = match item {
            Value::Number(n) => {
                n.as_f64().filter(|x| x.is_finite()).ok_or_else(|| format!("the number {n} is out of range"))?
            }
            other => return Err(format!("bad geometry: a position holds {}, not a number", json_kind(other))),
        };
    }
    let [lon, lat, _] = numbers;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        let hint = if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
            " (are longitude and latitude swapped?)"
        } else {
            ""
        };
        return Err(format!("position [{lon}, {lat}] is outside WGS84 ranges{hint}"));
    }
    Ok(geo::Coord { x: lon, y: lat })
}

fn positions(value: &Value, what: &str) -> Result<Vec<geo::Coord<f64>>, String> {
    array(value, what)?.iter().map(position).collect()
}

fn line(value: &Value) -> Result<geo::LineString<f64>, String> {
    let coords = positions(value, "LineString")?;
    if coords.len() < 2 {
        return Err("a LineString needs at least 2 positions".to_owned());
    }
    Ok(geo::LineString(coords))
}

fn ring(value: &Value) -> Result<geo::LineString<f64>, String> {
    let items = array(value, "ring")?;
    let coords = positions(value, "ring")?;
    if coords.len() < 4 {
        return Err(format!("a polygon ring has {} positions; at least 4 are needed", coords.len()));
    }
    // Closed means the same position, Z included, as RFC 7946 says.
    let same = |a: &Value, b: &Value| {
        let nums = |v: &Value| v.as_array().map(|p| p.iter().map(Value::as_f64).collect::<Vec<_>>());
        nums(a) == nums(b)
    };
    if !items.first().zip(items.last()).is_some_and(|(a, b)| same(a, b)) {
        return Err("a polygon ring is not closed (first and last positions differ)".to_owned());
    }
    Ok(geo::LineString(coords))
}

fn polygon(value: &Value) -> Result<geo::Polygon<f64>, String> {
    let rings = array(value, "Polygon")?.iter().map(ring).collect::<Result<Vec<_>, _>>()?;
    let mut rings = rings.into_iter();
    let exterior = rings.next().unwrap_or_else(|| geo::LineString(Vec::new()));
    Ok(geo::Polygon::new(exterior, rings.collect()))
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

/// One member of an object being written: a standard member or the `n`th foreign member
/// (foreign slots always come in increasing order, so a caller may walk the map's iterator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot<T> {
    /// A standard member.
    Standard(T),
    /// The foreign member at this position of the foreign-member map.
    Foreign(usize),
}

/// Merges standard members (each with the number of foreign members that preceded it in the
/// file) with `foreign_count` foreign members, in file order.
pub fn interleave<T: Copy>(standard: &[(T, u16)], foreign_count: usize) -> Vec<Slot<T>> {
    let mut out = Vec::with_capacity(standard.len() + foreign_count);
    let mut next = 0;
    for &(member, before) in standard {
        while next < foreign_count && next < usize::from(before) {
            out.push(Slot::Foreign(next));
            next += 1;
        }
        out.push(Slot::Standard(member));
    }
    out.extend((next..foreign_count).map(Slot::Foreign));
    out
}

/// A standard member of a `FeatureCollection` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootMember {
    /// `type`.
    Type,
    /// `features`.
    Features,
}

/// What a layer is written as at the top level.
#[derive(Debug, Clone, PartialEq)]
pub enum RootForm<'a> {
    /// A `FeatureCollection`: the members in write order.
    Collection,
    /// A single bare Feature (the file was one).
    Feature(crate::model::FeatureView<'a>, FeatureLayout),
    /// A bare geometry (the file was one).
    Geometry(Value),
}

/// How a layer is written at the top level. A file that was a bare Feature or geometry is
/// written back the same way while the layer still fits that form (one feature; for a
/// geometry, no id, properties or foreign members); otherwise as a `FeatureCollection`.
pub fn root_form(layer: &Layer) -> RootForm<'_> {
    let (1, Some(only)) = (layer.features.len(), layer.features.get(0)) else { return RootForm::Collection };
    let bare = layer.foreign_members.is_empty();
    match layer.layout.root.kind {
        RootKind::Feature if bare => RootForm::Feature(only, layer.layout.feature(0, 1)),
        RootKind::Geometry
            if bare && only.id.is_none() && only.properties.is_empty() && only.foreign_members.is_empty() =>
        {
            only.geometry.clone().map_or(RootForm::Collection, RootForm::Geometry)
        }
        _ => RootForm::Collection,
    }
}

/// The members of the layer's `FeatureCollection` in write order.
pub fn collection_slots(layer: &Layer) -> Vec<Slot<RootMember>> {
    let root = layer.layout.root;
    let standard = if root.features_first {
        [(RootMember::Features, root.features_before), (RootMember::Type, root.type_before)]
    } else {
        [(RootMember::Type, root.type_before), (RootMember::Features, root.features_before)]
    };
    interleave(&standard, layer.foreign_members.len())
}

/// Serialises a layer back to GeoJSON: the collection's foreign members, then each feature
/// with its id, original geometry, properties in order and foreign members, all in the
/// member order of the file it came from (see [`crate::model::SourceLayout`] and
/// [`root_form`]).
pub fn layer_to_geojson(layer: &Layer) -> Value {
    match root_form(layer) {
        RootForm::Feature(f, layout) => return feature_to_json(&f, layout),
        RootForm::Geometry(g) => return g,
        RootForm::Collection => {}
    }
    let count = layer.features.len();
    let mut foreign = layer.foreign_members.iter();
    let mut root = Map::new();
    for slot in collection_slots(layer) {
        match slot {
            Slot::Standard(RootMember::Type) => {
                root.insert("type".to_owned(), Value::from("FeatureCollection"));
            }
            Slot::Standard(RootMember::Features) => {
                let features = layer
                    .features
                    .iter()
                    .enumerate()
                    .map(|(i, f)| feature_to_json(&f, layer.layout.feature(i, count)))
                    .collect();
                root.insert("features".to_owned(), Value::Array(features));
            }
            Slot::Foreign(_) => {
                if let Some((k, v)) = foreign.next() {
                    root.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Value::Object(root)
}

/// Canonical rank of a standard feature member (RFC 7946 order).
fn rank(member: Member) -> u8 {
    match member {
        Member::Type => 0,
        Member::Id => 1,
        Member::Geometry => 2,
        Member::Properties => 3,
    }
}

/// The standard members a feature writes, in order, with their foreign-member offsets.
/// Members the file had are kept where they were (`"id": null` stays); members the feature
/// now needs but the file lacked go right after their RFC 7946 predecessor.
fn feature_members(f: &Feature, layout: FeatureLayout) -> Vec<(Member, u16)> {
    let needed = |m: Member| match m {
        Member::Type => true,
        Member::Id => f.id.is_some(),
        Member::Geometry => f.geometry.is_some(),
        Member::Properties => !f.properties.is_empty() || layout.properties != PropertiesForm::Absent,
    };
    let mut members: Vec<(Member, u16)> = layout
        .members
        .iter()
        .flatten()
        .copied()
        .filter(|&(m, _)| layout.has(m) && (m != Member::Properties || needed(m)))
        .collect();
    for m in [Member::Type, Member::Id, Member::Geometry, Member::Properties] {
        if members.iter().any(|(x, _)| *x == m) || !needed(m) {
            continue;
        }
        let after = members.iter().rposition(|(x, _)| rank(*x) < rank(m));
        let (at, before) = match after {
            Some(p) => (p + 1, members.get(p).map_or(0, |(_, b)| *b)),
            None => (0, 0),
        };
        members.insert(at, (m, before));
    }
    members
}

/// Serialises one feature in the member order of `layout`.
pub fn feature_to_json(f: &Feature, layout: FeatureLayout) -> Value {
    let mut obj = Map::new();
    let mut foreign = f.foreign_members.iter();
    for slot in interleave(&feature_members(f, layout), f.foreign_members.len()) {
        match slot {
            Slot::Standard(Member::Type) => {
                obj.insert("type".to_owned(), Value::from("Feature"));
            }
            Slot::Standard(Member::Id) => {
                let id = match &f.id {
                    Some(FeatureId::Str(s)) => Value::from(s.clone()),
                    Some(FeatureId::Num(n)) => Value::Number(n.clone()),
                    None => Value::Null,
                };
                obj.insert("id".to_owned(), id);
            }
            Slot::Standard(Member::Geometry) => {
                obj.insert("geometry".to_owned(), f.geometry.clone().unwrap_or(Value::Null));
            }
            Slot::Standard(Member::Properties) => {
                let value = if f.properties.is_empty() && layout.properties == PropertiesForm::Null {
                    Value::Null
                } else {
                    Value::Object(f.properties.clone())
                };
                obj.insert("properties".to_owned(), value);
            }
            Slot::Foreign(_) => {
                if let Some((k, v)) = foreign.next() {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Value::Object(obj)
}

/// The 1-based line and column where the top-level JSON value of `text` starts (after a
/// byte-order mark and white space).
pub(crate) fn top_level_place(text: &str) -> (usize, usize) {
    let start = text.len() - text.trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r']).len();
    line_col_bytes(text.as_bytes(), start)
}
