//! KML both ways: layers written as KML that Google Earth replays on its time slider, and KML
//! Placemarks read as a layer.
//!
//! Writing: one `Folder` per layer, one `Placemark` per feature with its name, a readable
//! balloon (`description`: the fields and the source), every property in `ExtendedData`, the
//! date span as `TimeStamp` (a single day) or `TimeSpan` (longer or less precise spans; open
//! ends left out), and a shared `Style` per category (event type, donor) in the legend's
//! colours. Reading (with `roxmltree`, positions kept): every `Placemark` with a `Point`,
//! `LineString`, `LinearRing`, `Polygon` or `MultiGeometry`; `name`, `description`,
//! `ExtendedData` (`Data`/`value` and `SchemaData`/`SimpleData`) become properties, a
//! `TimeStamp` becomes `when`, a `TimeSpan` `begin`/`end`. The result goes through the GeoJSON
//! reader, so a layer's kind is inferred as for any file. Errors name `FILE:LINE:COL`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::geojson::Loaded;
use super::progress::{Cancelled, Progress, REPORT_EVERY};
use crate::model::{Layer, LayerKind, LayerSource, TimeFilter};
use crate::render::{Color, aid_color, event_color, layer_style};
use crate::time::OPEN_END;

/// Why a KML file could not be read. The message names the file, line and column.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct KmlError {
    /// The file as named to the user.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

/// KML colour `aabbggrr`.
fn kml_colour(c: Color) -> String {
    let [r, g, b, a] = c.0;
    format!("{a:02x}{b:02x}{g:02x}{r:02x}")
}

/// The colour a feature is drawn in (by category for events and aid).
fn feature_colour(layer: &Layer, i: usize) -> Color {
    match layer.kind {
        LayerKind::Events => event_color(layer.category_of(i).unwrap_or("")),
        LayerKind::Aid => aid_color(layer.category_of(i).unwrap_or("")),
        kind => {
            let s = layer_style(kind);
            if s.fill.0[3] > 0 { s.fill } else { s.stroke }
        }
    }
}

/// The features of `layer` to write: all, or those `filter` shows (`li` is the layer's index
/// in the catalog the filter was made for).
fn shown(layer: &Layer, filter: Option<(&TimeFilter, usize)>) -> Vec<usize> {
    (0..layer.features.len()).filter(|&i| filter.is_none_or(|(f, li)| f.is_shown(li, i))).collect()
}

/// KML for layers, one folder each: every feature, or with `filter` those it shows.
pub fn write_kml(layers: &[(&Layer, Option<(&TimeFilter, usize)>)], document_name: &str) -> String {
    let mut s = String::with_capacity(64 * 1024);
    s.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n",
    );
    let _ = writeln!(s, "<name>{}</name>", super::xml::escape(document_name));
    // Shared styles, one per colour.
    let mut colours: Vec<Color> = Vec::new();
    for (layer, filter) in layers {
        for i in shown(layer, *filter) {
            let c = feature_colour(layer, i);
            if !colours.contains(&c) {
                colours.push(c);
            }
        }
    }
    for (n, c) in colours.iter().enumerate() {
        let k = kml_colour(c.alpha(255));
        let fill = kml_colour(c.alpha(110));
        let _ = writeln!(
            s,
            "<Style id=\"s{n}\"><IconStyle><color>{k}</color><scale>0.9</scale><Icon><href>http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png</href></Icon></IconStyle><LineStyle><color>{k}</color><width>2</width></LineStyle><PolyStyle><color>{fill}</color></PolyStyle></Style>"
        );
    }
    for (n, (layer, _)) in layers.iter().enumerate() {
        let _ = write!(s, "<Schema name=\"{}\" id=\"schema{n}\">", super::xml::escape(&layer.name));
        for (key, kind) in field_types(layer) {
            let _ = write!(s, "<SimpleField type=\"{kind}\" name=\"{}\"/>", super::xml::escape(&key));
        }
        s.push_str("</Schema>\n");
    }
    for (n, (layer, filter)) in layers.iter().enumerate() {
        let _ = writeln!(s, "<Folder>\n<name>{}</name>", super::xml::escape(&layer.name));
        for i in shown(layer, *filter) {
            let Some(f) = layer.features.get(i) else { continue };
            let Some(geometry) = f.geometry.as_ref().and_then(geometry_kml) else { continue };
            let style = colours.iter().position(|c| *c == feature_colour(layer, i)).unwrap_or(0);
            let name = f.display_name(layer.label_field.as_deref());
            match f.id.as_ref().map(ToString::to_string) {
                // An XML id must start with a letter or `_` and hold no spaces or colons.
                Some(id)
                    if id.starts_with(|c: char| c.is_alphabetic() || c == '_')
                        && id.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')) =>
                {
                    let _ = write!(s, "<Placemark id=\"{}\">", super::xml::escape(&id));
                }
                _ => s.push_str("<Placemark>"),
            }
            let _ = write!(s, "<name>{}</name>", super::xml::escape(&name));
            let _ = write!(s, "<description>{}</description>", super::xml::escape(&balloon(&f)));
            if let Some(span) = &f.time {
                let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
                if span.start == span.end {
                    let _ = write!(s, "<TimeStamp><when>{}</when></TimeStamp>", day(span.start));
                } else if span.end == OPEN_END {
                    let _ = write!(s, "<TimeSpan><begin>{}</begin></TimeSpan>", day(span.start));
                } else {
                    let _ = write!(
                        s,
                        "<TimeSpan><begin>{}</begin><end>{}</end></TimeSpan>",
                        day(span.start),
                        day(span.end)
                    );
                }
            }
            let _ = write!(s, "<styleUrl>#s{style}</styleUrl>");
            let _ = write!(s, "<ExtendedData><SchemaData schemaUrl=\"#schema{n}\">");
            for (k, v) in &f.properties {
                let text = match v {
                    Value::String(t) => t.clone(),
                    // A null is left out (KML has no null).
                    Value::Null => continue,
                    other => other.to_string(),
                };
                let _ = write!(
                    s,
                    "<SimpleData name=\"{}\">{}</SimpleData>",
                    super::xml::escape(k),
                    super::xml::escape(&text)
                );
            }
            s.push_str("</SchemaData></ExtendedData>");
            s.push_str(&geometry);
            s.push_str("</Placemark>\n");
        }
        s.push_str("</Folder>\n");
    }
    s.push_str("</Document>\n</kml>\n");
    s
}

/// Each property's KML type (`int`, `double`, `bool` when every value is one, else
/// `string`), in first-seen order.
fn field_types(layer: &Layer) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for f in &layer.features {
        for (k, v) in &f.properties {
            let kind = match v {
                Value::Null => continue,
                Value::Number(n) if n.is_i64() || n.is_u64() => "int",
                Value::Number(_) => "double",
                Value::Bool(_) => "bool",
                _ => "string",
            };
            match out.iter_mut().find(|(key, _)| key == k) {
                None => out.push((k.clone(), kind)),
                Some((_, seen)) if *seen == kind => {}
                Some((_, seen)) if matches!((*seen, kind), ("int" | "double", "int" | "double")) => *seen = "double",
                Some((_, seen)) => *seen = "string",
            }
        }
    }
    out
}

/// A readable balloon: the fields as lines, the source last.
fn balloon(f: &crate::model::Feature) -> String {
    let mut out = String::new();
    for (k, v) in &f.properties {
        if k == "source" || v.is_null() || v.as_str().is_some_and(str::is_empty) {
            continue;
        }
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let _ = writeln!(out, "{k}: {text}");
    }
    if let Some(src) = f.prop_text("source") {
        let _ = writeln!(out, "Source: {src}");
    }
    out
}

fn coords(positions: &Value) -> Option<String> {
    let list = positions.as_array()?;
    let mut out = String::new();
    for p in list {
        let p = p.as_array()?;
        let lon = p.first()?.as_f64()?;
        let lat = p.get(1)?.as_f64()?;
        if !out.is_empty() {
            out.push(' ');
        }
        match p.get(2).and_then(Value::as_f64) {
            Some(z) => write!(out, "{lon},{lat},{z}").ok()?,
            None => write!(out, "{lon},{lat}").ok()?,
        }
    }
    Some(out)
}

fn polygon_kml(rings: &Value) -> Option<String> {
    let rings = rings.as_array()?;
    let (outer, inner) = rings.split_first()?;
    let mut s = format!(
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
        coords(outer)?
    );
    for r in inner {
        let _ = write!(
            s,
            "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs>",
            coords(r)?
        );
    }
    s.push_str("</Polygon>");
    Some(s)
}

/// A GeoJSON geometry as KML (`None` for a null or unreadable geometry).
fn geometry_kml(g: &Value) -> Option<String> {
    let c = g.get("coordinates");
    let multi = |parts: Vec<String>| Some(format!("<MultiGeometry>{}</MultiGeometry>", parts.concat()));
    match g.get("type")?.as_str()? {
        "Point" => {
            Some(format!("<Point><coordinates>{}</coordinates></Point>", coords(&Value::Array(vec![c?.clone()]))?))
        }
        "LineString" => Some(format!("<LineString><coordinates>{}</coordinates></LineString>", coords(c?)?)),
        "Polygon" => polygon_kml(c?),
        "MultiPoint" => multi(
            c?.as_array()?
                .iter()
                .map(|p| {
                    coords(&Value::Array(vec![p.clone()]))
                        .map(|t| format!("<Point><coordinates>{t}</coordinates></Point>"))
                })
                .collect::<Option<Vec<_>>>()?,
        ),
        "MultiLineString" => multi(
            c?.as_array()?
                .iter()
                .map(|l| coords(l).map(|t| format!("<LineString><coordinates>{t}</coordinates></LineString>")))
                .collect::<Option<Vec<_>>>()?,
        ),
        "MultiPolygon" => multi(c?.as_array()?.iter().map(polygon_kml).collect::<Option<Vec<_>>>()?),
        "GeometryCollection" => {
            multi(g.get("geometries")?.as_array()?.iter().map(geometry_kml).collect::<Option<Vec<_>>>()?)
        }
        _ => None,
    }
}

/// Reads KML text as one layer named `name` (its kind inferred from the properties, as for
/// GeoJSON). `file` names the file in errors.
pub fn parse_kml(text: &str, file: &str, name: &str, source: LayerSource) -> Result<Loaded, KmlError> {
    parse_kml_with(text, file, name, source, &Progress::new(), 0)
}

/// [`parse_kml`] reporting to `progress`: Placemarks as features and, by their place in the
/// text, `input_bytes` (how many input bytes the text stands for). Stops with a "loading
/// cancelled" error once `progress` is cancelled.
pub fn parse_kml_with(
    text: &str,
    file: &str,
    name: &str,
    source: LayerSource,
    progress: &Progress,
    input_bytes: u64,
) -> Result<Loaded, KmlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        let pos = e.pos();
        KmlError { file: file.to_owned(), line: pos.row, col: pos.col, message: e.to_string() }
    })?;
    let at = |node: roxmltree::Node<'_, '_>, message: String| {
        let pos = doc.text_pos_at(node.range().start);
        KmlError { file: file.to_owned(), line: pos.row, col: pos.col, message }
    };
    let root = doc.root_element();
    if root.tag_name().name() != "kml" {
        return Err(at(root, format!("expected a <kml> document, found <{}>", root.tag_name().name())));
    }
    // Field types declared by <Schema id="…"><SimpleField name type/></Schema>.
    let mut types: Vec<(String, String, String)> = Vec::new();
    for schema in root.descendants().filter(|n| n.has_tag_name("Schema")) {
        let id = schema.attribute("id").unwrap_or_default();
        for field in schema.children().filter(|n| n.has_tag_name("SimpleField")) {
            if let (Some(name), Some(kind)) = (field.attribute("name"), field.attribute("type")) {
                types.push((id.to_owned(), name.to_owned(), kind.to_ascii_lowercase()));
            }
        }
    }
    let mut features = Vec::new();
    let text_len = text.len().max(1) as u64;
    let mut told = 0;
    for pm in root.descendants().filter(|n| n.has_tag_name("Placemark")) {
        if features.len() - told >= REPORT_EVERY {
            progress.set_bytes_done(input_bytes.saturating_mul(pm.range().start as u64) / text_len);
            progress.add_features((features.len() - told) as u64);
            told = features.len();
            if progress.cancelled() {
                return Err(KmlError { file: file.to_owned(), line: 1, col: 1, message: Cancelled.to_string() });
            }
        }
        let mut props = Map::new();
        let mut geometries = Vec::new();
        for child in pm.children().filter(roxmltree::Node::is_element) {
            match child.tag_name().name() {
                "name" | "description" => {
                    props.insert(child.tag_name().name().to_owned(), Value::from(node_text(child)));
                }
                "TimeStamp" => {
                    if let Some(when) = child.children().find(|n| n.has_tag_name("when")) {
                        props.insert("when".to_owned(), Value::from(node_text(when)));
                    }
                }
                "TimeSpan" => {
                    for part in child.children().filter(|n| n.has_tag_name("begin") || n.has_tag_name("end")) {
                        props.insert(part.tag_name().name().to_owned(), Value::from(node_text(part)));
                    }
                }
                "ExtendedData" => read_extended(child, &types, &mut props),
                "Point" | "LineString" | "LinearRing" | "Polygon" | "MultiGeometry" | "MultiTrack" | "Track" => {
                    geometries.push(read_geometry(child, &at)?);
                }
                _ => {}
            }
        }
        let geometry = match geometries.len() {
            0 => Value::Null,
            1 => geometries.swap_remove(0),
            _ => json!({"type": "GeometryCollection", "geometries": geometries}),
        };
        let mut feature = Map::new();
        feature.insert("type".to_owned(), Value::from("Feature"));
        if let Some(id) =
            pm.attribute("id").map(str::to_owned).or_else(|| props.get("id").and_then(Value::as_str).map(str::to_owned))
        {
            feature.insert("id".to_owned(), Value::from(id));
        }
        feature.insert("geometry".to_owned(), geometry);
        feature.insert("properties".to_owned(), Value::Object(props));
        features.push(Value::Object(feature));
    }
    progress.set_bytes_done(input_bytes);
    progress.add_features((features.len() - told) as u64);
    let collection = json!({"type": "FeatureCollection", "features": features});
    let text = collection.to_string();
    let mut loaded = super::geojson::parse_layer(&text, file, name, None, source).map_err(|e| KmlError {
        file: file.to_owned(),
        line: 1,
        col: 1,
        message: e.to_string(),
    })?;
    // A layer made of KML times: put it on the timeline by those fields.
    let layer = &mut loaded.layer;
    if layer.time_index.is_none() && layer.date_fields.is_none() {
        let has = |layer: &Layer, k: &str| layer.features.iter().any(|f| f.properties.contains_key(k));
        let fields = if has(layer, "begin") {
            // A TimeStamp among TimeSpans: its day is also its `begin`.
            for f in layer.features.iter_mut() {
                if let Some(when) = f.properties.get("when").cloned()
                    && !f.properties.contains_key("begin")
                {
                    f.properties.insert("begin".to_owned(), when);
                }
            }
            Some(("begin".to_owned(), has(layer, "end").then(|| "end".to_owned())))
        } else if has(layer, "when") {
            Some(("when".to_owned(), None))
        } else {
            None
        };
        if fields.is_some() {
            layer.date_fields = fields;
            let problems = crate::model::assign_spans(layer);
            loaded.skipped.extend(problems.into_iter().map(|p| format!("{file}: {p}")));
        }
    }
    Ok(loaded)
}

/// Text content of an element (CDATA included), trimmed.
fn node_text(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants().filter(roxmltree::Node::is_text).filter_map(|n| n.text()).collect::<String>().trim().to_owned()
}

fn read_extended(node: roxmltree::Node<'_, '_>, types: &[(String, String, String)], props: &mut Map<String, Value>) {
    for d in node.descendants().filter(roxmltree::Node::is_element) {
        let Some(key) = d.attribute("name") else { continue };
        match d.tag_name().name() {
            "Data" => {
                let text = d.children().find(|n| n.has_tag_name("value")).map(node_text).unwrap_or_default();
                props.insert(key.to_owned(), Value::from(text));
            }
            "SimpleData" => {
                let schema = d.parent().and_then(|p| p.attribute("schemaUrl")).unwrap_or_default();
                let schema = schema.rsplit('#').next().unwrap_or_default();
                let kind = types.iter().find(|(id, name, _)| id == schema && name == key).map(|(_, _, k)| k.as_str());
                props.insert(key.to_owned(), typed(&node_text(d), kind));
            }
            _ => {}
        }
    }
}

/// A `SimpleData` value by its declared type: numbers keep their text, booleans are read,
/// anything that does not parse as its type stays a string.
fn typed(text: &str, kind: Option<&str>) -> Value {
    match kind {
        Some("int" | "uint" | "short" | "ushort" | "float" | "double") => {
            serde_json::from_str::<serde_json::Number>(text).map_or_else(|_e| Value::from(text), Value::Number)
        }
        Some("bool") => match text {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::from(text),
        },
        _ => Value::from(text),
    }
}

type At<'a> = dyn Fn(roxmltree::Node<'_, '_>, String) -> KmlError + 'a;

fn read_coords(node: roxmltree::Node<'_, '_>, at: &At<'_>) -> Result<Vec<Value>, KmlError> {
    let Some(c) = node.children().find(|n| n.has_tag_name("coordinates")) else {
        return Err(at(node, format!("<{}> without <coordinates>", node.tag_name().name())));
    };
    let mut out = Vec::new();
    for tuple in node_text(c).split_whitespace() {
        let nums: Result<Vec<f64>, _> = tuple.split(',').map(str::parse::<f64>).collect();
        match nums.as_deref() {
            Ok([lon, lat, rest @ ..])
                if (-180.0..=180.0).contains(lon) && (-90.0..=90.0).contains(lat) && rest.len() <= 1 =>
            {
                let mut p = vec![json!(lon), json!(lat)];
                p.extend(rest.iter().map(|z| json!(z)));
                out.push(Value::Array(p));
            }
            _ => return Err(at(c, format!("bad coordinate `{tuple}` (expected lon,lat[,alt] in degrees)"))),
        }
    }
    if out.is_empty() {
        return Err(at(c, "empty <coordinates>".to_owned()));
    }
    Ok(out)
}

fn ring(node: roxmltree::Node<'_, '_>, at: &At<'_>) -> Result<Value, KmlError> {
    let Some(r) = node.descendants().find(|n| n.has_tag_name("LinearRing")) else {
        return Err(at(node, format!("<{}> without <LinearRing>", node.tag_name().name())));
    };
    let mut points = read_coords(r, at)?;
    if points.len() < 3 {
        return Err(at(r, "a ring needs at least 3 positions".to_owned()));
    }
    if points.first() != points.last()
        && let Some(first) = points.first().cloned()
    {
        points.push(first);
    }
    Ok(Value::Array(points))
}

fn read_geometry(node: roxmltree::Node<'_, '_>, at: &At<'_>) -> Result<Value, KmlError> {
    Ok(match node.tag_name().name() {
        "Point" => {
            let mut p = read_coords(node, at)?;
            if p.len() != 1 {
                return Err(at(node, "a <Point> has exactly one position".to_owned()));
            }
            json!({"type": "Point", "coordinates": p.swap_remove(0)})
        }
        "LineString" => {
            let p = read_coords(node, at)?;
            if p.len() < 2 {
                return Err(at(node, "a <LineString> needs at least 2 positions".to_owned()));
            }
            json!({"type": "LineString", "coordinates": p})
        }
        "LinearRing" => json!({"type": "Polygon", "coordinates": [ring(node.parent().unwrap_or(node), at)?]}),
        "Polygon" => {
            let mut rings = Vec::new();
            for part in node.children().filter(roxmltree::Node::is_element) {
                match part.tag_name().name() {
                    "outerBoundaryIs" => rings.insert(0, ring(part, at)?),
                    "innerBoundaryIs" => rings.push(ring(part, at)?),
                    _ => {}
                }
            }
            if rings.is_empty() {
                return Err(at(node, "<Polygon> without <outerBoundaryIs>".to_owned()));
            }
            json!({"type": "Polygon", "coordinates": rings})
        }
        "MultiGeometry" => {
            let parts = node
                .children()
                .filter(roxmltree::Node::is_element)
                .filter(|n| {
                    matches!(n.tag_name().name(), "Point" | "LineString" | "LinearRing" | "Polygon" | "MultiGeometry")
                })
                .map(|n| read_geometry(n, at))
                .collect::<Result<Vec<_>, _>>()?;
            json!({"type": "GeometryCollection", "geometries": parts})
        }
        other => return Err(at(node, format!("<{other}> geometries are not read"))),
    })
}

/// Writes `layers` to `path` as KML, atomically; a `.kmz` path gets the KML zipped as
/// `doc.kml`.
pub fn write_kml_file(layers: &[(&Layer, Option<(&TimeFilter, usize)>)], path: &Path) -> std::io::Result<()> {
    let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let text = write_kml(layers, &name);
    if !is_kmz(path) {
        return super::atomic::write_atomic(path, text.as_bytes());
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("doc.kml", options).map_err(std::io::Error::other)?;
    std::io::Write::write_all(&mut zip, text.as_bytes())?;
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    super::atomic::write_atomic(path, &bytes)
}

/// Whether `path` names a KMZ (zipped KML).
pub fn is_kmz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("kmz"))
}

/// Reads a KML or KMZ file's bytes (a KMZ is recognised by its zip header: its `doc.kml`, or
/// else its first `.kml` entry, is read; positions then name `FILE!ENTRY`).
pub fn read_kml_bytes(bytes: &[u8], path: &Path) -> Result<Loaded, String> {
    read_kml_bytes_with(bytes, path, &Progress::new())
}

/// [`read_kml_bytes`] reporting to `progress` (see [`parse_kml_with`]).
pub fn read_kml_bytes_with(bytes: &[u8], path: &Path, progress: &Progress) -> Result<Loaded, String> {
    let name = path.file_stem().map_or_else(|| "KML".to_owned(), |s| s.to_string_lossy().into_owned());
    let source = LayerSource::File(path.to_owned());
    let file = path.display().to_string();
    if !bytes.starts_with(b"PK\x03\x04") {
        let text = utf8(bytes, &file)?;
        return parse_kml_with(text, &file, &name, source, progress, bytes.len() as u64).map_err(|e| e.to_string());
    }
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("{file}: not a readable KMZ: {e}"))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(std::borrow::Cow::into_owned))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{file}: not a readable KMZ: {e}"))?;
    let entry = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("doc.kml"))
        .or_else(|| names.iter().find(|n| n.to_ascii_lowercase().ends_with(".kml")))
        .ok_or_else(|| format!("{file}: a KMZ without a .kml file inside"))?
        .clone();
    let mut text = Vec::new();
    let mut inner = archive.by_name(&entry).map_err(|e| format!("{file}!{entry}: {e}"))?;
    std::io::Read::read_to_end(&mut inner, &mut text).map_err(|e| format!("{file}!{entry}: {e}"))?;
    let label = format!("{file}!{entry}");
    let text = utf8(&text, &label)?;
    parse_kml_with(text, &label, &name, source, progress, bytes.len() as u64).map_err(|e| e.to_string())
}

fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = before.split(|&b| b == b'\n').count();
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        format!("{file}:{line}:{col}: invalid UTF-8")
    })
}
