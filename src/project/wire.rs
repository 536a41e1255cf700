//! The JSON form of a project, read and written by hand (not by derive) so that every member
//! this version does not know is kept, and every bad value is reported with its place in the
//! document (`layers[2].style.fill`).

use std::path::Path;

use chrono::NaiveDate;
use serde_json::{Map, Number, Value};

use super::paths;
use super::{
    Bookmark, FORMAT_TAG, FORMAT_VERSION, LayerRef, LayerStyleOverride, Project, ProjectError, ProjectLayer,
    ProjectView, Rgba,
};
use crate::geodata::EMBEDDED;
use crate::model::{Categories, PointShape, PointView};

mod scenes;

const TOP_KEYS: [&str; 8] = ["format", "version", "from", "to", "view", "layers", "bookmarks", "scenes"];
const LAYER_KEYS: [&str; 9] =
    ["embedded", "path", "table", "name", "visible", "opacity", "label_field", "date_fields", "style"];
const STYLE_KEYS: [&str; 8] =
    ["fill", "stroke", "stroke_width", "point_size", "point_shape", "categories", "label", "point_view"];
const VIEW_KEYS: [&str; 3] = ["center_lon", "center_lat", "zoom"];
const BOOKMARK_KEYS: [&str; 7] = ["name", "note", "center_lon", "center_lat", "zoom", "from", "to"];

/// A bad member: where it is and what is wrong.
struct Bad {
    at: String,
    message: String,
}

type Res<T> = Result<T, Bad>;

fn bad<T>(at: &str, message: impl Into<String>) -> Res<T> {
    Err(Bad { at: at.to_owned(), message: message.into() })
}

fn child(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") }
}

/// Removes `key`; JSON `null` counts as absent.
fn take(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
    obj.shift_remove(key).filter(|v| !v.is_null())
}

fn take_str(obj: &mut Map<String, Value>, key: &str, at: &str) -> Res<Option<String>> {
    match take(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => bad(&child(at, key), format!("expected a string, found {other}")),
    }
}

fn take_bool(obj: &mut Map<String, Value>, key: &str, at: &str) -> Res<Option<bool>> {
    match take(obj, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => bad(&child(at, key), format!("expected true or false, found {other}")),
    }
}

/// A finite number within `lo..=hi`.
fn take_num(obj: &mut Map<String, Value>, key: &str, at: &str, lo: f64, hi: f64) -> Res<Option<f64>> {
    match take(obj, key) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(Some(x)),
            _ => bad(&child(at, key), format!("expected a number from {lo} to {hi}, found {n}")),
        },
        Some(other) => bad(&child(at, key), format!("expected a number, found {other}")),
    }
}

fn need<T>(value: Option<T>, key: &str, at: &str) -> Res<T> {
    value.ok_or_else(|| Bad { at: child(at, key), message: "missing".to_owned() })
}

fn take_date(obj: &mut Map<String, Value>, key: &str, at: &str) -> Res<Option<NaiveDate>> {
    let Some(text) = take_str(obj, key, at)? else { return Ok(None) };
    match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(d) if text.len() == 10 && text.starts_with(|c: char| c.is_ascii_digit()) => Ok(Some(d)),
        _ => bad(&child(at, key), format!("expected a date as YYYY-MM-DD, found \"{text}\"")),
    }
}

/// `from` and `to` of an object: both or neither, `from <= to`.
fn take_range(obj: &mut Map<String, Value>, at: &str) -> Res<Option<(NaiveDate, NaiveDate)>> {
    match (take_date(obj, "from", at)?, take_date(obj, "to", at)?) {
        (None, None) => Ok(None),
        (Some(a), Some(b)) if a <= b => Ok(Some((a, b))),
        (Some(_), Some(_)) => bad(&child(at, "to"), "the range ends before it starts"),
        (Some(_), None) => bad(&child(at, "to"), "missing (a range needs both \"from\" and \"to\")"),
        (None, Some(_)) => bad(&child(at, "from"), "missing (a range needs both \"from\" and \"to\")"),
    }
}

fn object(value: Value, at: &str) -> Res<Map<String, Value>> {
    match value {
        Value::Object(m) => Ok(m),
        other => bad(at, format!("expected an object, found {other}")),
    }
}

fn take_array(obj: &mut Map<String, Value>, key: &str, at: &str) -> Res<Vec<Value>> {
    match take(obj, key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => bad(&child(at, key), format!("expected an array, found {other}")),
    }
}

/// Parses a project document (see the module docs of [`super`]).
pub fn parse(text: &str, path: &Path) -> Result<Project, ProjectError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Value = serde_json::from_str(text).map_err(|e| ProjectError::Json {
        path: path.to_owned(),
        line: e.line(),
        col: e.column(),
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
    })?;
    let not_project = |message: String| ProjectError::NotAProject { path: path.to_owned(), message };
    let Value::Object(mut root) = root else {
        return Err(not_project("the top level is not a JSON object".to_owned()));
    };
    match root.shift_remove("format") {
        Some(Value::String(s)) if s == FORMAT_TAG => {}
        Some(other) => return Err(not_project(format!("\"format\" is {other}, expected \"{FORMAT_TAG}\""))),
        None => return Err(not_project(format!("no \"format\": \"{FORMAT_TAG}\" member"))),
    }
    match root.shift_remove("version") {
        Some(v) if v.as_u64() == Some(FORMAT_VERSION) => {}
        found => {
            let found = found.map_or_else(|| "missing".to_owned(), |v| v.to_string());
            return Err(ProjectError::Version { path: path.to_owned(), found });
        }
    }
    let dir = paths::project_dir(path);
    read_root(root, &dir).map_err(|b| ProjectError::Invalid { path: path.to_owned(), at: b.at, message: b.message })
}

fn read_root(mut root: Map<String, Value>, dir: &Path) -> Res<Project> {
    let range = take_range(&mut root, "")?;
    let view = match take(&mut root, "view") {
        Some(v) => Some(read_view(object(v, "view")?, "view")?),
        None => None,
    };
    let layers = take_array(&mut root, "layers", "")?;
    if layers.len() > super::MAX_PROJECT_LAYERS {
        return bad(
            "layers",
            format!(
                "the project lists {} layers; this app opens at most {} at once (the file is left as it is)",
                layers.len(),
                super::MAX_PROJECT_LAYERS
            ),
        );
    }
    let layers = layers
        .into_iter()
        .enumerate()
        .map(|(i, v)| read_layer(v, &format!("layers[{i}]"), dir))
        .collect::<Res<Vec<_>>>()?;
    let bookmarks = take_array(&mut root, "bookmarks", "")?
        .into_iter()
        .enumerate()
        .map(|(i, v)| read_bookmark(v, &format!("bookmarks[{i}]")))
        .collect::<Res<Vec<_>>>()?;
    let scenes = scenes::read_scenes(&mut root, dir)?;
    Ok(Project { layers, range, view, bookmarks, scenes, extra: root })
}

/// `center_lon`, `center_lat` and `zoom` of an object.
fn read_centre(obj: &mut Map<String, Value>, at: &str) -> Res<(f64, f64, f64)> {
    let lon = need(take_num(obj, "center_lon", at, -180.0, 180.0)?, "center_lon", at)?;
    let lat = need(take_num(obj, "center_lat", at, -90.0, 90.0)?, "center_lat", at)?;
    let zoom = need(take_num(obj, "zoom", at, 0.0, 30.0)?, "zoom", at)?;
    Ok((lon, lat, zoom))
}

fn read_view(mut obj: Map<String, Value>, at: &str) -> Res<ProjectView> {
    let (center_lon, center_lat, zoom) = read_centre(&mut obj, at)?;
    Ok(ProjectView { center_lon, center_lat, zoom, extra: obj })
}

fn read_bookmark(value: Value, at: &str) -> Res<Bookmark> {
    let mut obj = object(value, at)?;
    let name = need(take_str(&mut obj, "name", at)?, "name", at)?;
    let note = take_str(&mut obj, "note", at)?.filter(|n| !n.is_empty());
    let (center_lon, center_lat, zoom) = read_centre(&mut obj, at)?;
    let range = take_range(&mut obj, at)?;
    Ok(Bookmark { name, note, center_lon, center_lat, zoom, range, extra: obj })
}

/// The layer an entry names: `embedded` (a shipped file) or `path` (resolved against the
/// project's folder), exactly one of them. Shared by layer entries and scene layers.
fn take_source(obj: &mut Map<String, Value>, at: &str, dir: &Path) -> Res<LayerRef> {
    match (take_str(obj, "embedded", at)?, take_str(obj, "path", at)?) {
        (Some(file), None) => Ok(LayerRef::Embedded(file)),
        (None, Some(p)) if !p.trim().is_empty() => Ok(LayerRef::Path(paths::resolve(&p, dir))),
        (None, Some(_)) => bad(&child(at, "path"), "empty path"),
        (Some(_), Some(_)) => bad(at, "has both \"embedded\" and \"path\"; give one"),
        (None, None) => bad(at, "needs \"embedded\" or \"path\""),
    }
}

fn read_layer(value: Value, at: &str, dir: &Path) -> Res<ProjectLayer> {
    let mut obj = object(value, at)?;
    let source = take_source(&mut obj, at, dir)?;
    let table = take_str(&mut obj, "table", at)?;
    if table.is_some() && !matches!(source, LayerRef::Path(_)) {
        return bad(&child(at, "table"), "only a layer file (\"path\") has tables");
    }
    let name = match take_str(&mut obj, "name", at)? {
        Some(name) => name,
        None => default_name(&source),
    };
    let visible = take_bool(&mut obj, "visible", at)?.unwrap_or(true);
    let opacity = take_num(&mut obj, "opacity", at, 0.0, 1.0)?.map_or(1.0, |x| x as f32);
    let label_field = take_str(&mut obj, "label_field", at)?;
    let date_fields = read_date_fields(&mut obj, at)?;
    let style = match take(&mut obj, "style") {
        Some(v) => Some(read_style(object(v, &child(at, "style"))?, &child(at, "style"))?),
        None => None,
    };
    Ok(ProjectLayer { source, name, visible, opacity, label_field, date_fields, table, style, extra: obj })
}

fn default_name(source: &LayerRef) -> String {
    match source {
        LayerRef::Embedded(file) => {
            EMBEDDED.iter().find(|e| e.file == file.as_str()).map_or_else(|| file.clone(), |e| e.name.to_owned())
        }
        LayerRef::Path(p) => {
            p.file_stem().map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into_owned())
        }
    }
}

fn read_date_fields(obj: &mut Map<String, Value>, at: &str) -> Res<Option<(String, Option<String>)>> {
    let Some(value) = take(obj, "date_fields") else { return Ok(None) };
    let at = child(at, "date_fields");
    let wrong = || bad(&at, "expected [\"start_field\"] or [\"start_field\", \"end_field\"]");
    let Value::Array(items) = value else { return wrong() };
    let names: Option<Vec<String>> = items.into_iter().map(|v| v.as_str().map(str::to_owned)).collect();
    match names.unwrap_or_default().as_slice() {
        [start] => Ok(Some((start.clone(), None))),
        [start, end] => Ok(Some((start.clone(), Some(end.clone())))),
        _ => wrong(),
    }
}

fn read_style(mut obj: Map<String, Value>, at: &str) -> Res<LayerStyleOverride> {
    let mut colour = |key: &str| -> Res<Option<Rgba>> {
        let Some(text) = take_str(&mut obj, key, at)? else { return Ok(None) };
        match parse_colour(&text) {
            Some(c) => Ok(Some(c)),
            None => bad(&child(at, key), format!("expected \"#rrggbb\" or \"#rrggbbaa\", found \"{text}\"")),
        }
    };
    let fill = colour("fill")?;
    let stroke = colour("stroke")?;
    let stroke_width = take_num(&mut obj, "stroke_width", at, 0.0, 1000.0)?.map(|x| x as f32);
    let point_size = take_num(&mut obj, "point_size", at, 0.0, 1000.0)?.map(|x| x as f32);
    let point_shape = match take_str(&mut obj, "point_shape", at)? {
        None => None,
        Some(name) => match PointShape::from_name(&name) {
            Some(shape) => Some(shape),
            None => {
                return bad(
                    &child(at, "point_shape"),
                    format!("expected \"circle\", \"square\" or \"diamond\", found \"{name}\""),
                );
            }
        },
    };
    let categories = match take(&mut obj, "categories") {
        Some(v) => Some(read_categories(object(v, &child(at, "categories"))?, &child(at, "categories"))?),
        None => None,
    };
    let label = take_str(&mut obj, "label", at)?.filter(|l| !l.is_empty());
    let point_view = match take_str(&mut obj, "point_view", at)? {
        None => None,
        Some(name) => match PointView::from_name(&name) {
            Some(view) => Some(view),
            None => {
                return bad(&child(at, "point_view"), format!("expected \"points\" or \"density\", found \"{name}\""));
            }
        },
    };
    Ok(LayerStyleOverride {
        fill,
        stroke,
        stroke_width,
        point_size,
        point_shape,
        categories,
        label,
        point_view,
        extra: obj,
    })
}

/// `{"property": "event_type", "colours": [{"value": "Battles", "colour": "#e41a1c"}, ...]}`.
fn read_categories(mut obj: Map<String, Value>, at: &str) -> Res<Categories> {
    let property = need(take_str(&mut obj, "property", at)?, "property", at)?;
    let mut colours = Vec::new();
    for (i, v) in take_array(&mut obj, "colours", at)?.into_iter().enumerate() {
        let here = format!("{}[{i}]", child(at, "colours"));
        let mut entry = object(v, &here)?;
        let value = need(take_str(&mut entry, "value", &here)?, "value", &here)?;
        let text = need(take_str(&mut entry, "colour", &here)?, "colour", &here)?;
        let Some(colour) = parse_colour(&text) else {
            return bad(&child(&here, "colour"), format!("expected \"#rrggbb\" or \"#rrggbbaa\", found \"{text}\""));
        };
        colours.push((value, colour));
    }
    Ok(Categories { property, colours })
}

/// Parses `#rrggbb` (opaque) or `#rrggbbaa`, any case.
pub fn parse_colour(text: &str) -> Option<Rgba> {
    let hex = text.strip_prefix('#')?;
    if !matches!(hex.len(), 6 | 8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
    let alpha = if hex.len() == 8 { byte(6)? } else { 255 };
    Some([byte(0)?, byte(2)?, byte(4)?, alpha])
}

/// `#rrggbb` for opaque colours, else `#rrggbbaa`, lower case.
pub fn colour_text(c: Rgba) -> String {
    let [r, g, b, a] = c;
    if a == 255 { format!("#{r:02x}{g:02x}{b:02x}") } else { format!("#{r:02x}{g:02x}{b:02x}{a:02x}") }
}

fn num(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// An `f32` as the JSON number it reads as (0.7, not 0.699999988079071).
fn num32(x: f32) -> Value {
    num(x.to_string().parse().unwrap_or(f64::from(x)))
}

fn date(d: NaiveDate) -> Value {
    Value::String(d.format("%Y-%m-%d").to_string())
}

/// Appends the unknown members, never letting one shadow a known member.
fn extend(obj: &mut Map<String, Value>, extra: &Map<String, Value>, known: &[&str]) {
    for (k, v) in extra {
        if !known.contains(&k.as_str()) {
            obj.insert(k.clone(), v.clone());
        }
    }
}

fn put_range(obj: &mut Map<String, Value>, range: Option<(NaiveDate, NaiveDate)>) {
    if let Some((a, b)) = range {
        obj.insert("from".to_owned(), date(a));
        obj.insert("to".to_owned(), date(b));
    }
}

fn put_centre(obj: &mut Map<String, Value>, lon: f64, lat: f64, zoom: f64) {
    obj.insert("center_lon".to_owned(), num(lon));
    obj.insert("center_lat".to_owned(), num(lat));
    obj.insert("zoom".to_owned(), num(zoom));
}

/// The project document as pretty JSON with a final newline.
pub fn write(project: &Project, path: &Path) -> String {
    let dir = paths::project_dir(path);
    let mut root = Map::new();
    root.insert("format".to_owned(), Value::from(FORMAT_TAG));
    root.insert("version".to_owned(), Value::from(FORMAT_VERSION));
    put_range(&mut root, project.range);
    if let Some(v) = &project.view {
        let mut view = Map::new();
        put_centre(&mut view, v.center_lon, v.center_lat, v.zoom);
        extend(&mut view, &v.extra, &VIEW_KEYS);
        root.insert("view".to_owned(), Value::Object(view));
    }
    let layers = project.layers.iter().map(|l| write_layer(l, &dir)).collect();
    root.insert("layers".to_owned(), Value::Array(layers));
    let bookmarks = project.bookmarks.iter().map(write_bookmark).collect();
    root.insert("bookmarks".to_owned(), Value::Array(bookmarks));
    if !project.scenes.is_empty() {
        root.insert("scenes".to_owned(), scenes::write_scenes(&project.scenes, &dir));
    }
    extend(&mut root, &project.extra, &TOP_KEYS);
    format!("{:#}\n", Value::Object(root))
}

fn write_layer(layer: &ProjectLayer, dir: &Path) -> Value {
    let mut obj = Map::new();
    match &layer.source {
        LayerRef::Embedded(file) => obj.insert("embedded".to_owned(), Value::from(file.as_str())),
        LayerRef::Path(p) => obj.insert("path".to_owned(), Value::from(paths::store(p, dir))),
    };
    if let Some(table) = &layer.table {
        obj.insert("table".to_owned(), Value::from(table.as_str()));
    }
    obj.insert("name".to_owned(), Value::from(layer.name.as_str()));
    obj.insert("visible".to_owned(), Value::Bool(layer.visible));
    obj.insert("opacity".to_owned(), num32(layer.opacity.clamp(0.0, 1.0)));
    if let Some(field) = &layer.label_field {
        obj.insert("label_field".to_owned(), Value::from(field.as_str()));
    }
    if let Some((start, end)) = &layer.date_fields {
        let fields = std::iter::once(start).chain(end).map(|s| Value::from(s.as_str())).collect();
        obj.insert("date_fields".to_owned(), Value::Array(fields));
    }
    if let Some(style) = &layer.style {
        obj.insert("style".to_owned(), style_value(style));
    }
    extend(&mut obj, &layer.extra, &LAYER_KEYS);
    Value::Object(obj)
}

/// A layer style as its JSON object: known members in table order, then the unknown ones.
fn style_value(style: &LayerStyleOverride) -> Value {
    let mut s = Map::new();
    if let Some(c) = style.fill {
        s.insert("fill".to_owned(), Value::from(colour_text(c)));
    }
    if let Some(c) = style.stroke {
        s.insert("stroke".to_owned(), Value::from(colour_text(c)));
    }
    if let Some(w) = style.stroke_width {
        s.insert("stroke_width".to_owned(), num32(w));
    }
    if let Some(r) = style.point_size {
        s.insert("point_size".to_owned(), num32(r));
    }
    if let Some(shape) = style.point_shape {
        s.insert("point_shape".to_owned(), Value::from(shape.name()));
    }
    if let Some(c) = &style.categories {
        let colours = c
            .colours
            .iter()
            .map(|(value, colour)| {
                let mut e = Map::new();
                e.insert("value".to_owned(), Value::from(value.as_str()));
                e.insert("colour".to_owned(), Value::from(colour_text(*colour)));
                Value::Object(e)
            })
            .collect();
        let mut cat = Map::new();
        cat.insert("property".to_owned(), Value::from(c.property.as_str()));
        cat.insert("colours".to_owned(), Value::Array(colours));
        s.insert("categories".to_owned(), Value::Object(cat));
    }
    if let Some(label) = &style.label {
        s.insert("label".to_owned(), Value::from(label.as_str()));
    }
    if let Some(view) = style.point_view {
        s.insert("point_view".to_owned(), Value::from(view.name()));
    }
    extend(&mut s, &style.extra, &STYLE_KEYS);
    Value::Object(s)
}

fn write_bookmark(b: &Bookmark) -> Value {
    let mut obj = Map::new();
    obj.insert("name".to_owned(), Value::from(b.name.as_str()));
    if let Some(note) = b.note.as_deref().filter(|n| !n.is_empty()) {
        obj.insert("note".to_owned(), Value::from(note));
    }
    put_centre(&mut obj, b.center_lon, b.center_lat, b.zoom);
    put_range(&mut obj, b.range);
    extend(&mut obj, &b.extra, &BOOKMARK_KEYS);
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours() {
        assert_eq!(parse_colour("#FF8000"), Some([255, 128, 0, 255]));
        assert_eq!(parse_colour("#ff800080"), Some([255, 128, 0, 128]));
        for bad in ["ff8000", "#ff80", "#gg8000", "#ff8000f", "#ÿÿÿ"] {
            assert_eq!(parse_colour(bad), None, "{bad}");
        }
        assert_eq!(colour_text([255, 128, 0, 255]), "#ff8000");
        assert_eq!(colour_text([255, 128, 0, 128]), "#ff800080");
        assert_eq!(num32(0.7), serde_json::json!(0.7));
    }
}
