//! The JSON form of scenes (`scenes` member of a project; see `docs/PROJECT_FORMAT.md`).

use std::path::Path;

use serde_json::{Map, Value};

use super::super::scene::{ProjectScene, SceneLayer};
use super::{
    LayerRef, Res, bad, child, extend, num32, object, paths, put_centre, put_range, read_centre, read_style,
    style_value, take, take_array, take_num, take_range, take_source, take_str,
};

const SCENE_KEYS: [&str; 9] =
    ["title", "notes", "center_lon", "center_lat", "zoom", "from", "to", "layers", "highlight"];
const SCENE_LAYER_KEYS: [&str; 5] = ["embedded", "path", "table", "opacity", "style"];

/// Reads the `scenes` array of the root object.
pub(super) fn read_scenes(root: &mut Map<String, Value>, dir: &Path) -> Res<Vec<ProjectScene>> {
    take_array(root, "scenes", "")?
        .into_iter()
        .enumerate()
        .map(|(i, v)| read_scene(v, &format!("scenes[{i}]"), dir))
        .collect()
}

fn read_scene(value: Value, at: &str, dir: &Path) -> Res<ProjectScene> {
    let mut obj = object(value, at)?;
    let title = take_str(&mut obj, "title", at)?.unwrap_or_default();
    let notes = take_str(&mut obj, "notes", at)?.unwrap_or_default();
    let (center_lon, center_lat, zoom) = read_centre(&mut obj, at)?;
    let range = take_range(&mut obj, at)?;
    let layers = match take(&mut obj, "layers") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| read_scene_layer(v, &format!("{}[{i}]", child(at, "layers")), dir))
                .collect::<Res<Vec<_>>>()?,
        ),
        Some(other) => return bad(&child(at, "layers"), format!("expected an array, found {other}")),
    };
    let highlight = take_array(&mut obj, "highlight", at)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            other => bad(
                &format!("{}[{i}]", child(at, "highlight")),
                format!("expected a feature id (string or number), found {other}"),
            ),
        })
        .collect::<Res<Vec<_>>>()?;
    Ok(ProjectScene { title, notes, center_lon, center_lat, zoom, range, layers, highlight, extra: obj })
}

fn read_scene_layer(value: Value, at: &str, dir: &Path) -> Res<SceneLayer> {
    let mut obj = object(value, at)?;
    let source = take_source(&mut obj, at, dir)?;
    let table = take_str(&mut obj, "table", at)?;
    let opacity = take_num(&mut obj, "opacity", at, 0.0, 1.0)?.map(|x| x as f32);
    let style = match take(&mut obj, "style") {
        Some(v) => Some(read_style(object(v, &child(at, "style"))?, &child(at, "style"))?),
        None => None,
    };
    Ok(SceneLayer { source, table, opacity, style, extra: obj })
}

/// The `scenes` array.
pub(super) fn write_scenes(scenes: &[ProjectScene], dir: &Path) -> Value {
    Value::Array(scenes.iter().map(|s| write_scene(s, dir)).collect())
}

fn write_scene(s: &ProjectScene, dir: &Path) -> Value {
    let mut obj = Map::new();
    obj.insert("title".to_owned(), Value::from(s.title.as_str()));
    if !s.notes.is_empty() {
        obj.insert("notes".to_owned(), Value::from(s.notes.as_str()));
    }
    put_centre(&mut obj, s.center_lon, s.center_lat, s.zoom);
    put_range(&mut obj, s.range);
    if let Some(layers) = &s.layers {
        let items = layers.iter().map(|l| write_scene_layer(l, dir)).collect();
        obj.insert("layers".to_owned(), Value::Array(items));
    }
    if !s.highlight.is_empty() {
        let ids = s.highlight.iter().map(|id| Value::from(id.as_str())).collect();
        obj.insert("highlight".to_owned(), Value::Array(ids));
    }
    extend(&mut obj, &s.extra, &SCENE_KEYS);
    Value::Object(obj)
}

fn write_scene_layer(l: &SceneLayer, dir: &Path) -> Value {
    let mut obj = Map::new();
    match &l.source {
        LayerRef::Embedded(file) => obj.insert("embedded".to_owned(), Value::from(file.as_str())),
        LayerRef::Path(p) => obj.insert("path".to_owned(), Value::from(paths::store(p, dir))),
    };
    if let Some(table) = &l.table {
        obj.insert("table".to_owned(), Value::from(table.as_str()));
    }
    if let Some(o) = l.opacity {
        obj.insert("opacity".to_owned(), num32(o.clamp(0.0, 1.0)));
    }
    if let Some(style) = &l.style {
        obj.insert("style".to_owned(), style_value(style));
    }
    extend(&mut obj, &l.extra, &SCENE_LAYER_KEYS);
    Value::Object(obj)
}
