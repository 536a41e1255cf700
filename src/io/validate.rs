//! Strict RFC 7946 (GeoJSON) validation with line and column positions.
//!
//! The validator runs in three stages and stops at the first stage that fails:
//!
//! 1. the bytes must be UTF-8 (a leading byte-order mark is accepted and ignored);
//! 2. the text must be strict RFC 8259 JSON: no comments, no trailing commas, no unquoted
//!    member names, no nesting deeper than [`MAX_DEPTH`] levels;
//! 3. the value must be a GeoJSON object as RFC 7946 defines it.
//!
//! Every [`Problem`] carries the 1-based line and column (counted in characters) of the
//! offending value: the number, the array, the member name, or — for a missing member —
//! the opening brace of the object that lacks it. Problems are sorted by position and
//! capped at [`MAX_PROBLEMS`] per document.
//!
//! This file is also compiled standalone inside `build.rs` (via `#[path]`), so it may use
//! only `std` and `jsonc_parser`. Its streaming counterpart for big files,
//! `crate::io::validate_stream`, reuses the checks marked `pub(crate)` here and gives the
//! same results.

use jsonc_parser::ast::{Array, NumberLit, Object, ObjectProp, ObjectPropName, Value};
use jsonc_parser::errors::ParseErrorKind;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something RFC 7946 does not define but that changes nothing for a reader of this app
    /// (a `crs` member naming WGS 84 longitude/latitude). The document is still valid.
    Note,
    /// The document is not valid GeoJSON, or would be misread.
    Error,
}

/// One problem found in a document, 1-based line and column (column in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in Unicode scalar values (characters).
    pub col: usize,
    /// Human-readable description of the problem.
    pub message: String,
    /// Whether it makes the document invalid ([`Severity::Error`]) or is only a note.
    pub severity: Severity,
}

impl Problem {
    /// Whether this problem makes the document invalid (notes do not).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `LINE:COL: message` for errors and `LINE:COL: note: message` for notes; prefix it with
/// the file name to get the usual `FILE:LINE:COL: ...` form.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let note = if self.severity == Severity::Note { "note: " } else { "" };
        write!(f, "{}:{}: {note}{}", self.line, self.col, self.message)
    }
}

/// Whether any of `problems` is an error (notes alone leave a document valid).
pub fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(Problem::is_error)
}

/// Deepest nesting of arrays and objects accepted before parsing.
pub const MAX_DEPTH: usize = 64;

/// Most problems reported for one document; further ones are summarised in one line.
pub const MAX_PROBLEMS: usize = 1000;

/// The nine case-sensitive GeoJSON type names.
const TYPE_NAMES: [&str; 9] = [
    "Feature",
    "FeatureCollection",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// Validate raw bytes (UTF-8 check first, then JSON syntax, then GeoJSON structure).
pub fn validate_bytes(bytes: &[u8]) -> Vec<Problem> {
    match std::str::from_utf8(bytes) {
        Ok(text) => validate_str(text),
        Err(err) => {
            let good = err.valid_up_to();
            let prefix = bytes.get(..good).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("");
            let (line, col) = line_col(prefix, prefix.len());
            let byte = bytes.get(good).copied().unwrap_or(0);
            vec![Problem {
                line,
                col,
                message: format!("invalid UTF-8: byte 0x{byte:02X} at byte offset {good}"),
                severity: Severity::Error,
            }]
        }
    }
}

/// Validate a string.
pub fn validate_str(text: &str) -> Vec<Problem> {
    // RFC 8259 §8.1: parsers MAY ignore a byte-order mark. Positions are then counted
    // without it, as editors do.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut sink = Sink::default();
    check_document(text, &mut sink);
    sink.finish(text)
}

/// Line/column (1-based) of a byte offset in text.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`; the column counts characters. An offset past
/// the end is clamped to the end, and one inside a character to that character's start.
pub fn line_col(text: &str, byte_offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, byte_offset);
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut line_start = 0;
    for (i, &b) in bytes.iter().enumerate().take(offset) {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
    }
    let col = text.get(line_start..offset).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// Largest char boundary of `text` that is not after `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Collects problems as byte offsets; converts them to lines and columns at the end.
#[derive(Default)]
pub(crate) struct Sink {
    /// Kept problems: byte offset, message and severity.
    pub(crate) kept: Vec<(usize, String, Severity)>,
    /// Number of problems dropped after the cap.
    pub(crate) dropped: usize,
    /// Offset of the first dropped problem.
    pub(crate) first_dropped: usize,
    /// Whether any dropped problem is an error.
    pub(crate) dropped_error: bool,
    /// The document's `crs` says its coordinates are not longitude/latitude: range checks
    /// of positions would only repeat that, so they are skipped.
    pub(crate) projected: bool,
}

impl Sink {
    /// Record an error at a byte offset.
    pub(crate) fn push(&mut self, offset: usize, message: impl Into<String>) {
        self.record(offset, message.into(), Severity::Error);
    }

    /// Record a note at a byte offset.
    fn note(&mut self, offset: usize, message: impl Into<String>) {
        self.record(offset, message.into(), Severity::Note);
    }

    /// Record a problem of either severity, up to [`MAX_PROBLEMS`].
    fn record(&mut self, offset: usize, message: String, severity: Severity) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push((offset, message, severity));
        } else {
            if self.dropped == 0 {
                self.first_dropped = offset;
            }
            self.dropped += 1;
            self.dropped_error |= severity == Severity::Error;
        }
    }

    /// Sort by position and convert offsets to line/column.
    fn finish(mut self, text: &str) -> Vec<Problem> {
        self.kept.sort_by_key(|(offset, _, _)| *offset);
        let index = LineIndex::new(text);
        let mut out: Vec<Problem> = self
            .kept
            .into_iter()
            .map(|(offset, message, severity)| {
                let (line, col) = index.line_col(text, offset);
                Problem { line, col, message, severity }
            })
            .collect();
        if self.dropped > 0 {
            let (line, col) = index.line_col(text, self.first_dropped);
            let s = if self.dropped == 1 { "" } else { "s" };
            let message = format!("… {} more problem{s}", self.dropped);
            let severity = if self.dropped_error { Severity::Error } else { Severity::Note };
            out.push(Problem { line, col, message, severity });
        }
        out
    }
}

/// Byte offsets of line starts, for fast repeated offset → line/column conversion.
pub(crate) struct LineIndex {
    /// Offset of the first byte of each line; always starts with 0.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `text` (same line-break rules as [`line_col`]).
    pub(crate) fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        Self { starts }
    }

    /// 1-based line and column of a byte offset.
    pub(crate) fn line_col(&self, text: &str, byte_offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, byte_offset);
        let line_idx = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts.get(line_idx).copied().unwrap_or(0);
        let col = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line_idx + 1, col)
    }
}

/// JSON as RFC 8259 has it: every leniency of the parser switched off.
pub fn strict_options() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Run all stages on BOM-free text.
fn check_document(text: &str, sink: &mut Sink) {
    let scan = prescan(text);
    if let Some(offset) = scan.too_deep {
        sink.push(offset, too_deep_message());
        return;
    }
    let options = strict_options();
    let parsed = parse_to_ast(text, &CollectOptions::default(), &options);
    match parsed {
        Err(err) => {
            let (at, message) = syntax_error(&err, text.len());
            let offset = at.unwrap_or(text.len());
            // Report whichever comes first: the parser's error or a strictness problem
            // the parser tolerates (control characters, non-JSON whitespace).
            match scan.lexical {
                Some((lex_offset, lex_message)) if lex_offset < offset => {
                    sink.push(lex_offset, lex_message);
                }
                _ => sink.push(offset, message),
            }
        }
        Ok(result) => {
            if let Some((offset, message)) = scan.lexical {
                sink.push(offset, message);
                return;
            }
            match result.value {
                None => sink.push(text.len(), "empty document: expected a GeoJSON object".to_string()),
                Some(value) => {
                    check_every_value(&value, sink);
                    match &value {
                        Value::Object(obj) => {
                            sink.projected = obj.get("crs").is_some_and(|crs| !crs_verdict(&crs.value).is_lon_lat());
                            check_geojson(obj, Slot::Root, sink);
                        }
                        other => sink.push(
                            start_of(other),
                            format!("the root must be a GeoJSON object, found {}", kind_name(other)),
                        ),
                    }
                }
            }
        }
    }
}

/// Where (`None`: at the end of the text) and what a parse error is, as reported, for a text
/// of `text_len` bytes. An error the end of the text made (an array left open, a number cut
/// at its decimal point) is told in the words File → Open uses for it (found trying the
/// command: `validate` said "Leading or trailing decimal points" where the app said the file
/// was cut short).
pub(crate) fn syntax_error(err: &jsonc_parser::errors::ParseError, text_len: usize) -> (Option<usize>, String) {
    let kind = err.kind();
    let cut = "the file ends before the document does (cut short?)";
    match kind {
        ParseErrorKind::UnterminatedArray
        | ParseErrorKind::UnterminatedObject
        | ParseErrorKind::UnterminatedCommentBlock => {
            (None, format!("JSON syntax error: {cut}: unexpected end of file ({kind})"))
        }
        _ if err.range().end >= text_len => (Some(err.range().start), format!("JSON syntax error: {cut}: {kind}")),
        _ => (Some(err.range().start), format!("JSON syntax error: {kind}")),
    }
}

/// The problem reported for the first bracket nested deeper than [`MAX_DEPTH`].
pub(crate) fn too_deep_message() -> String {
    format!("nesting too deep: more than {MAX_DEPTH} levels of arrays and objects")
}

/// The problem reported for a control character (byte `b < 0x20`) inside a string.
pub(crate) fn control_character_message(b: u8) -> String {
    format!("JSON syntax error: control character U+{b:04X} in a string must be escaped")
}

/// The problem reported for a character strict JSON does not allow outside strings.
pub(crate) fn outside_character_message(c: char) -> String {
    format!("JSON syntax error: unexpected character U+{:04X} outside a string", c as u32)
}

/// Result of the byte-level pre-scan done before parsing.
struct Prescan {
    /// Offset of the first bracket that exceeds [`MAX_DEPTH`].
    too_deep: Option<usize>,
    /// First strictness problem the parser would tolerate.
    lexical: Option<(usize, String)>,
}

/// Scan bytes for nesting depth (so the recursive parser cannot overflow the stack) and
/// for characters strict JSON forbids but the lenient parser accepts.
fn prescan(text: &str) -> Prescan {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut lexical: Option<(usize, String)> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            } else if b < 0x20 && lexical.is_none() {
                lexical = Some((i, control_character_message(b)));
            }
            continue;
        }
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Prescan { too_deep: Some(i), lexical };
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => in_string = true,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ if !(0x20..0x80).contains(&b) && lexical.is_none() => {
                let c = text.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
                lexical = Some((i, outside_character_message(c)));
            }
            _ => {}
        }
    }
    Prescan { too_deep: None, lexical }
}

/// Report, anywhere in the document (foreign members included, iteratively): repeated member
/// names in an object, and numbers outside the 64-bit float range (`1e400`), which no
/// reader of this app can hold.
pub(crate) fn check_every_value(root: &Value<'_>, sink: &mut Sink) {
    let mut stack: Vec<&Value<'_>> = vec![root];
    let mut names: Vec<(&str, usize)> = Vec::new();
    let mut repeated: Vec<usize> = Vec::new();
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(obj) => {
                // Repeats are found by sorting the names (faster than hashing them), then
                // reported in member order.
                names.clear();
                names.extend(obj.properties.iter().enumerate().map(|(i, prop)| (prop_name(prop).0, i)));
                names.sort_unstable();
                repeated.clear();
                repeated.extend(names.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| w[1].1));
                repeated.sort_unstable();
                for &i in &repeated {
                    if let Some(prop) = obj.properties.get(i) {
                        let (name, offset) = prop_name(prop);
                        sink.push(offset, format!("duplicate member name \"{name}\" in the same object"));
                    }
                }
                stack.extend(obj.properties.iter().map(|prop| &prop.value));
            }
            Value::Array(arr) => stack.extend(arr.elements.iter()),
            Value::NumberLit(lit) if !lit.value.parse::<f64>().is_ok_and(f64::is_finite) => {
                sink.push(
                    lit.range.start,
                    format!("number {} is not finite (out of the 64-bit float range)", lit.value),
                );
            }
            _ => {}
        }
    }
}

/// Where a GeoJSON object appears, which limits the types it may have.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The document root: any of the nine types.
    Root,
    /// An element of a `features` array: only `Feature`.
    Feature,
    /// A `geometry` member or a `geometries` element: only the seven geometry types.
    Geometry,
}

/// Validate one GeoJSON object appearing in `slot`.
pub(crate) fn check_geojson(obj: &Object<'_>, slot: Slot, sink: &mut Sink) {
    let obj_start = obj.range.start;
    if let Some(crs) = obj.get("crs") {
        let at = prop_name(crs).1;
        match crs_verdict(&crs.value) {
            CrsVerdict::LonLat(name) => sink.note(at, format!("`crs` member ({name}) is not part of RFC 7946; coordinates are WGS 84 longitude/latitude as RFC 7946 requires")),
            CrsVerdict::NotLonLat(message) => sink.push(at, message),
        }
    }
    if let Some(bbox) = obj.get("bbox") {
        check_bbox(&bbox.value, sink);
    }
    let Some(type_prop) = obj.get("type") else {
        sink.push(obj_start, "GeoJSON object is missing the `type` member");
        return;
    };
    let Some(kind) = check_type(&type_prop.value, sink) else {
        return;
    };
    let type_start = start_of(&type_prop.value);
    let is_geometry = !matches!(kind, "Feature" | "FeatureCollection");
    match slot {
        Slot::Feature if kind != "Feature" => {
            sink.push(type_start, format!("elements of `features` must be Feature objects, found type \"{kind}\""));
            return;
        }
        Slot::Geometry if !is_geometry => {
            sink.push(type_start, format!("expected a geometry object, found type \"{kind}\""));
            return;
        }
        _ => {}
    }
    check_semantics(obj, kind, sink);
    match kind {
        "Feature" => check_feature(obj, sink),
        "FeatureCollection" => check_feature_collection(obj, sink),
        "GeometryCollection" => check_geometry_collection(obj, sink),
        geometry => {
            let Some(coords) = obj.get("coordinates") else {
                sink.push(obj_start, format!("{geometry} is missing the `coordinates` member"));
                return;
            };
            check_coordinates(geometry, &coords.value, sink);
        }
    }
}

/// RFC 7946 §7.1: members that define one kind of GeoJSON object must not appear in another
/// (`features` in a `Feature` or a geometry, `geometry`/`properties` in a `FeatureCollection`
/// or a geometry, `coordinates`/`geometries` in a `Feature` or a `FeatureCollection`). A
/// `GeometryCollection`'s `coordinates` is reported by [`check_geometry_collection`].
fn check_semantics(obj: &Object<'_>, kind: &str, sink: &mut Sink) {
    let (what, forbidden): (&str, &[&str]) = match kind {
        "FeatureCollection" => ("a FeatureCollection", &["geometry", "properties", "coordinates", "geometries"]),
        "Feature" => ("a Feature", &["features", "coordinates", "geometries"]),
        _ => ("a geometry object", &["features", "geometry", "properties"]),
    };
    for prop in &obj.properties {
        let (name, offset) = prop_name(prop);
        if forbidden.contains(&name) {
            sink.push(offset, format!("{what} must not have a `{name}` member (RFC 7946 §7.1)"));
        }
    }
}

/// What a `crs` member says about a document's coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrsVerdict {
    /// WGS 84 longitude/latitude (CRS84, EPSG:4326 or its 3-D EPSG:4979), with the name as
    /// written: what RFC 7946 coordinates are anyway.
    LonLat(String),
    /// Anything else, with a message saying the coordinates are not longitude/latitude.
    NotLonLat(String),
}

impl CrsVerdict {
    /// Whether the coordinates are WGS 84 longitude/latitude.
    pub fn is_lon_lat(&self) -> bool {
        matches!(self, Self::LonLat(_))
    }
}

/// Whether a CRS name is WGS 84 longitude/latitude: `urn:ogc:def:crs:OGC:1.3:CRS84`,
/// `urn:ogc:def:crs:OGC::CRS84`, `OGC:CRS84`, `CRS84`, `EPSG:4326`, `urn:ogc:def:crs:EPSG::4326`,
/// `http://www.opengis.net/def/crs/EPSG/0/4326` and the like (case-insensitive). The 3-D forms
/// (`CRS84h`, EPSG:4979) count too: RFC 7946 allows an elevation.
pub fn is_lon_lat_crs_name(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    let (authority, code) = if let Some(rest) = ["http://www.opengis.net/def/crs/", "https://www.opengis.net/def/crs/"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    {
        // AUTHORITY/VERSION/CODE
        let mut parts = rest.split('/');
        (parts.next().unwrap_or_default(), parts.next_back().unwrap_or_default())
    } else if let Some(code) = ["http://www.opengis.net/gml/srs/epsg.xml#", "https://www.opengis.net/gml/srs/epsg.xml#"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    {
        ("epsg", code)
    } else {
        // urn:ogc:def:crs:AUTHORITY:[VERSION]:CODE, AUTHORITY:CODE or a bare CODE.
        let rest =
            ["urn:ogc:def:crs:", "urn:x-ogc:def:crs:"].iter().find_map(|p| lower.strip_prefix(p)).unwrap_or(&lower);
        let mut parts = rest.split(':');
        let first = parts.next().unwrap_or_default();
        match parts.next_back() {
            Some(code) => (first, code),
            None => ("", first),
        }
    };
    match authority {
        "ogc" | "" => matches!(code, "crs84" | "crs84h"),
        "epsg" => matches!(code, "4326" | "4979"),
        _ => false,
    }
}

/// Reads a `crs` member value (the GeoJSON 2008 forms: `{"type": "name", "properties":
/// {"name": ...}}`, `{"type": "EPSG", "properties": {"code": ...}}`, or `null`).
pub fn crs_verdict(value: &Value<'_>) -> CrsVerdict {
    let not_lon_lat = |what: &str| {
        CrsVerdict::NotLonLat(format!(
            "`crs` {what}: coordinates are not WGS 84 longitude/latitude, which is all this app reads; \
             reproject the file first (e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`)"
        ))
    };
    let obj = match value {
        // GeoJSON 2008: a null `crs` names no system; RFC 7946 coordinates are lon/lat.
        Value::NullKeyword(_) => return CrsVerdict::LonLat("null".to_owned()),
        Value::Object(obj) => obj,
        other => return not_lon_lat(&format!("is {}, not an object naming a coordinate system", kind_name(other))),
    };
    let kind = obj.get_string("type").map(|t| t.value.as_ref());
    let props = obj.get_object("properties");
    match kind {
        Some("name") => match props.and_then(|p| p.get_string("name")) {
            Some(name) if is_lon_lat_crs_name(&name.value) => CrsVerdict::LonLat(name.value.to_string()),
            Some(name) => not_lon_lat(&format!("names \"{}\"", name.value)),
            None => not_lon_lat("of type \"name\" has no `properties.name`"),
        },
        Some(t) if t.eq_ignore_ascii_case("epsg") => match props.and_then(|p| p.get("code")).map(|c| &c.value) {
            Some(Value::NumberLit(n)) if matches!(n.value, "4326" | "4979") => {
                CrsVerdict::LonLat(format!("EPSG:{}", n.value))
            }
            Some(Value::NumberLit(n)) => not_lon_lat(&format!("names EPSG:{}", n.value)),
            _ => not_lon_lat("of type \"EPSG\" has no numeric `properties.code`"),
        },
        Some(t) => not_lon_lat(&format!("of type \"{t}\" cannot be checked")),
        None => not_lon_lat("has no `type`"),
    }
}

/// Check the `type` value; returns the canonical type name to continue validating with.
fn check_type(value: &Value<'_>, sink: &mut Sink) -> Option<&'static str> {
    let Value::StringLit(lit) = value else {
        sink.push(start_of(value), format!("`type` must be a string, found {}", kind_name(value)));
        return None;
    };
    let name = lit.value.as_ref();
    if let Some(exact) = TYPE_NAMES.iter().find(|t| **t == name) {
        return Some(exact);
    }
    if let Some(fixed) = TYPE_NAMES.iter().find(|t| t.eq_ignore_ascii_case(name)) {
        sink.push(
            lit.range.start,
            format!("unknown type \"{name}\": type names are case-sensitive, expected \"{fixed}\""),
        );
        return Some(fixed);
    }
    sink.push(lit.range.start, format!("unknown type \"{name}\": expected one of {}", TYPE_NAMES.join(", ")));
    None
}

/// Validate the members of a `Feature`.
fn check_feature(obj: &Object<'_>, sink: &mut Sink) {
    match obj.get("geometry") {
        None => sink.push(obj.range.start, "Feature is missing the `geometry` member (use null for no geometry)"),
        Some(prop) => match &prop.value {
            Value::NullKeyword(_) => {}
            Value::Object(geometry) => check_geojson(geometry, Slot::Geometry, sink),
            other => {
                sink.push(start_of(other), format!("`geometry` must be an object or null, found {}", kind_name(other)));
            }
        },
    }
    match obj.get("properties") {
        None => sink.push(obj.range.start, "Feature is missing the `properties` member (use null for no properties)"),
        Some(prop) => match &prop.value {
            Value::NullKeyword(_) | Value::Object(_) => {}
            other => sink
                .push(start_of(other), format!("`properties` must be an object or null, found {}", kind_name(other))),
        },
    }
    if let Some(id) = obj.get("id") {
        match &id.value {
            Value::StringLit(_) | Value::NumberLit(_) => {}
            other => sink.push(start_of(other), format!("`id` must be a string or number, found {}", kind_name(other))),
        }
    }
}

/// Validate the members of a `FeatureCollection`.
fn check_feature_collection(obj: &Object<'_>, sink: &mut Sink) {
    let Some(prop) = obj.get("features") else {
        sink.push(obj.range.start, "FeatureCollection is missing the `features` member");
        return;
    };
    let Value::Array(features) = &prop.value else {
        sink.push(start_of(&prop.value), format!("`features` must be an array, found {}", kind_name(&prop.value)));
        return;
    };
    for (i, feature) in features.elements.iter().enumerate() {
        match feature {
            Value::Object(f) => check_geojson(f, Slot::Feature, sink),
            other => sink
                .push(start_of(other), format!("features[{i}] must be a Feature object, found {}", kind_name(other))),
        }
    }
}

/// Validate the members of a `GeometryCollection`.
fn check_geometry_collection(obj: &Object<'_>, sink: &mut Sink) {
    if let Some(coords) = obj.get("coordinates") {
        sink.push(prop_name(coords).1, "GeometryCollection must not have a `coordinates` member (use `geometries`)");
    }
    let Some(prop) = obj.get("geometries") else {
        sink.push(obj.range.start, "GeometryCollection is missing the `geometries` member");
        return;
    };
    let Value::Array(geometries) = &prop.value else {
        sink.push(start_of(&prop.value), format!("`geometries` must be an array, found {}", kind_name(&prop.value)));
        return;
    };
    for (i, geometry) in geometries.elements.iter().enumerate() {
        match geometry {
            Value::Object(g) => check_geojson(g, Slot::Geometry, sink),
            other => sink.push(
                start_of(other),
                format!("geometries[{i}] must be a geometry object, found {}", kind_name(other)),
            ),
        }
    }
}

/// Validate `coordinates` for one of the six coordinate-bearing geometry types.
fn check_coordinates(geometry: &str, value: &Value<'_>, sink: &mut Sink) {
    if geometry == "Point" {
        check_position(value, sink);
        return;
    }
    let what = match geometry {
        "MultiPoint" | "LineString" => "an array of positions",
        "MultiLineString" => "an array of line strings",
        "Polygon" => "an array of linear rings",
        _ => "an array of polygons",
    };
    let Value::Array(arr) = value else {
        sink.push(start_of(value), format!("coordinates of a {geometry} must be {what}, found {}", kind_name(value)));
        return;
    };
    // RFC 7946 §3.1: an empty `coordinates` array is allowed (it may be read as null).
    if arr.elements.is_empty() {
        return;
    }
    match geometry {
        "MultiPoint" => {
            for p in &arr.elements {
                check_position(p, sink);
            }
        }
        "LineString" => check_line_string(value, sink),
        "MultiLineString" => {
            for line in &arr.elements {
                check_line_string(line, sink);
            }
        }
        "Polygon" => check_polygon(value, sink),
        _ => {
            for polygon in &arr.elements {
                check_polygon(polygon, sink);
            }
        }
    }
}

/// Check a line string: an array of at least two positions.
fn check_line_string(value: &Value<'_>, sink: &mut Sink) {
    let Some(arr) = expect_array(value, "a line string must be an array of positions", sink) else {
        return;
    };
    for p in &arr.elements {
        check_position(p, sink);
    }
    let n = arr.elements.len();
    if n < 2 {
        sink.push(arr.range.start, format!("LineString has {n} position{}; needs at least 2", plural(n)));
    }
}

/// Check a polygon: an array of linear rings.
fn check_polygon(value: &Value<'_>, sink: &mut Sink) {
    let Some(arr) = expect_array(value, "a polygon must be an array of linear rings", sink) else {
        return;
    };
    if arr.elements.is_empty() {
        sink.push(arr.range.start, "polygon has no linear rings");
    }
    for ring in &arr.elements {
        check_ring(ring, sink);
    }
}

/// Check a linear ring: at least four positions, first equal to last. Winding order is
/// deliberately not checked (RFC 7946 §3.1.6: parsers must not reject it).
fn check_ring(value: &Value<'_>, sink: &mut Sink) {
    let Some(arr) = expect_array(value, "a linear ring must be an array of positions", sink) else {
        return;
    };
    let positions: Vec<Option<Position>> = arr.elements.iter().map(|p| check_position(p, sink)).collect();
    let n = positions.len();
    if n < 4 {
        sink.push(arr.range.start, format!("linear ring has {n} position{}; needs at least 4", plural(n)));
    }
    if let (Some(Some(first)), Some(Some(last))) = (positions.first(), positions.last())
        && n >= 2
        && first != last
    {
        sink.push(arr.range.start, "linear ring is not closed: the first and last positions differ");
    }
}

/// A checked position: number of values (2 or 3) and the values (an unused slot is 0).
type Position = (usize, [f64; 3]);

/// Check one position; returns it if it is valid.
fn check_position(value: &Value<'_>, sink: &mut Sink) -> Option<Position> {
    let Value::Array(arr) = value else {
        sink.push(start_of(value), format!("position must be an array of numbers, found {}", kind_name(value)));
        return None;
    };
    let n = arr.elements.len();
    if !(2..=3).contains(&n) {
        sink.push(arr.range.start, format!("position has {n} element{}; RFC 7946 allows 2 or 3", plural(n)));
        return None;
    }
    let mut values = [0.0; 3];
    let mut ok = true;
    for (slot, element) in values.iter_mut().zip(&arr.elements) {
        match finite_number(element, "position element", sink) {
            Some(v) => *slot = v,
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let [lon, lat, _] = values;
    if !sink.projected
        && let (Some(Value::NumberLit(lon_lit)), Some(Value::NumberLit(lat_lit))) =
            (arr.elements.first(), arr.elements.get(1))
    {
        ok &= check_lon_lat(lon, lon_lit, lat, lat_lit, sink);
    }
    ok.then_some((n, values))
}

/// Check longitude and latitude ranges, with a swap hint; true when both are in range.
fn check_lon_lat(lon: f64, lon_lit: &NumberLit<'_>, lat: f64, lat_lit: &NumberLit<'_>, sink: &mut Sink) -> bool {
    let lon_ok = (-180.0..=180.0).contains(&lon);
    let lat_ok = (-90.0..=90.0).contains(&lat);
    let swapped_ok = (-180.0..=180.0).contains(&lat) && (-90.0..=90.0).contains(&lon);
    let hint = if swapped_ok { " (are longitude and latitude swapped?)" } else { "" };
    if !lon_ok {
        sink.push(lon_lit.range.start, format!("longitude {} outside −180..180{hint}", lon_lit.value));
    }
    if !lat_ok {
        sink.push(lat_lit.range.start, format!("latitude {} outside −90..90{hint}", lat_lit.value));
    }
    lon_ok && lat_ok
}

/// Check a `bbox` value: 4 or 6 finite numbers, latitudes in range, south ≤ north.
fn check_bbox(value: &Value<'_>, sink: &mut Sink) {
    let Value::Array(arr) = value else {
        sink.push(start_of(value), format!("`bbox` must be an array of numbers, found {}", kind_name(value)));
        return;
    };
    let n = arr.elements.len();
    if n != 4 && n != 6 {
        sink.push(
            arr.range.start,
            format!("`bbox` has {n} element{}; RFC 7946 requires 2*n values (4 for 2-D, 6 for 3-D)", plural(n)),
        );
        return;
    }
    let values: Vec<Option<f64>> = arr.elements.iter().map(|v| finite_number(v, "`bbox` element", sink)).collect();
    let dims = n / 2;
    let get = |i: usize| values.get(i).copied().flatten();
    let (Some(west), Some(south), Some(east), Some(north)) = (get(0), get(1), get(dims), get(dims + 1)) else {
        return;
    };
    if sink.projected {
        // Not degrees: the `crs` problem already says so.
        return;
    }
    for (v, i, what, limit) in [
        (west, 0, "west", 180.0),
        (east, dims, "east", 180.0),
        (south, 1, "south", 90.0),
        (north, dims + 1, "north", 90.0),
    ] {
        if !(-limit..=limit).contains(&v) {
            let at = arr.elements.get(i).map_or(arr.range.start, start_of);
            sink.push(at, format!("`bbox` {what} {v} outside −{limit}..{limit}"));
        }
    }
    // West > east is allowed: the box crosses the antimeridian (RFC 7946 §5.2).
    if south > north {
        sink.push(arr.range.start, format!("`bbox` south {south} is greater than north {north}"));
    }
}

/// A finite number, or a problem naming `what` the value should have been.
fn finite_number(value: &Value<'_>, what: &str, sink: &mut Sink) -> Option<f64> {
    let Value::NumberLit(lit) = value else {
        sink.push(start_of(value), format!("{what} must be a number, found {}", kind_name(value)));
        return None;
    };
    // A non-finite literal is reported once, by `check_every_value`.
    lit.value.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `value` as an array, or a problem with `message` and the found kind.
fn expect_array<'v, 'a>(value: &'v Value<'a>, message: &str, sink: &mut Sink) -> Option<&'v Array<'a>> {
    if let Value::Array(arr) = value {
        Some(arr)
    } else {
        sink.push(start_of(value), format!("{message}, found {}", kind_name(value)));
        None
    }
}

/// Name and byte offset (of the opening quote) of an object member.
pub(crate) fn prop_name<'p>(prop: &'p ObjectProp<'_>) -> (&'p str, usize) {
    match &prop.name {
        ObjectPropName::String(lit) => (lit.value.as_ref(), lit.range.start),
        ObjectPropName::Word(word) => (word.value, word.range.start),
    }
}

/// Byte offset where a value starts.
pub fn start_of(value: &Value<'_>) -> usize {
    match value {
        Value::StringLit(v) => v.range.start,
        Value::NumberLit(v) => v.range.start,
        Value::BooleanLit(v) => v.range.start,
        Value::Object(v) => v.range.start,
        Value::Array(v) => v.range.start,
        Value::NullKeyword(v) => v.range.start,
    }
}

/// JSON kind of a value, for messages.
pub(crate) fn kind_name(value: &Value<'_>) -> &'static str {
    match value {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}

/// "s" unless `n` is 1.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
