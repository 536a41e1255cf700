//! Pure vertex edits on raw GeoJSON geometry objects.
//!
//! Every function edits a copy of the `serde_json` value in place, so the positions it does
//! not touch keep their exact JSON numbers (and third coordinates); nothing goes through
//! `geo` types and back. Rings stay closed: moving or deleting the first position of a ring
//! also updates its closing copy.

use serde_json::{Map, Value};

use crate::spatial::Viewport;

/// Where one position sits in any geometry.
///
/// `collection` walks `geometries` arrays of (possibly nested) `GeometryCollection`s,
/// outermost first; it is empty for any other geometry. `coords` walks the `coordinates`
/// array down to the position:
///
/// | type              | `coords`                  |
/// |-------------------|---------------------------|
/// | `Point`           | `[]`                      |
/// | `MultiPoint`      | `[point]`                 |
/// | `LineString`      | `[position]`              |
/// | `MultiLineString` | `[line, position]`        |
/// | `Polygon`         | `[ring, position]`        |
/// | `MultiPolygon`    | `[polygon, ring, position]` |
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct VertexPath {
    /// Indices into nested `geometries` arrays, outermost first.
    pub collection: Vec<usize>,
    /// Indices into the `coordinates` array, down to the position.
    pub coords: Vec<usize>,
}

impl VertexPath {
    /// A path into a plain (non-collection) geometry.
    pub fn new(coords: impl Into<Vec<usize>>) -> Self {
        Self { collection: Vec::new(), coords: coords.into() }
    }

    /// The same path inside member `index` of a `GeometryCollection`.
    #[must_use]
    pub fn in_collection(mut self, index: usize) -> Self {
        self.collection.insert(0, index);
        self
    }

    /// The index of the position within its list (line, ring or multipoint).
    pub fn position(&self) -> Option<usize> {
        self.coords.last().copied()
    }
}

/// Why a vertex edit was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    /// The value is not a GeoJSON geometry object this module understands.
    #[error("not an editable GeoJSON geometry: {0}")]
    NotAGeometry(String),
    /// The path does not lead to a position of this geometry.
    #[error("no vertex at {path:?} in this {geometry_type}")]
    BadPath {
        /// The path that was asked for.
        path: VertexPath,
        /// The geometry's type.
        geometry_type: String,
    },
    /// The edit would leave too few positions.
    #[error("cannot delete: a {what} needs at least {min} positions")]
    TooFewPositions {
        /// "polygon ring", "line" or "multipoint".
        what: &'static str,
        /// The minimum number of positions.
        min: usize,
    },
    /// A single point has no vertex to insert or delete.
    #[error("a Point has a single position: it can be moved, not {0}")]
    SinglePoint(&'static str),
    /// The new position is not a finite WGS84 position.
    #[error("position [{lon}, {lat}] is not a valid WGS84 position")]
    BadPosition {
        /// Longitude in degrees.
        lon: f64,
        /// Latitude in degrees.
        lat: f64,
    },
}

/// How a list of positions behaves under edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    /// The positions of a `MultiPoint`.
    Points,
    /// A line (at least 2 positions).
    Line,
    /// A closed polygon ring (at least 4 positions, first equals last).
    Ring,
}

/// Depth of the position lists in `coordinates` and their kind; `None` for a `Point`.
fn list_shape(geometry_type: &str) -> Result<Option<(usize, ListKind)>, GeometryError> {
    Ok(Some(match geometry_type {
        "Point" => return Ok(None),
        "MultiPoint" => (0, ListKind::Points),
        "LineString" => (0, ListKind::Line),
        "MultiLineString" => (1, ListKind::Line),
        "Polygon" => (1, ListKind::Ring),
        "MultiPolygon" => (2, ListKind::Ring),
        other => return Err(GeometryError::NotAGeometry(format!("type `{other}`"))),
    }))
}

/// The geometry object a path's `collection` part leads to.
fn leaf_mut<'a>(geometry: &'a mut Value, path: &VertexPath) -> Result<&'a mut Map<String, Value>, GeometryError> {
    let mut current = geometry;
    for &i in &path.collection {
        current = current
            .get_mut("geometries")
            .and_then(|g| g.get_mut(i))
            .ok_or_else(|| GeometryError::NotAGeometry(format!("no member {i} in the GeometryCollection")))?;
    }
    current.as_object_mut().ok_or_else(|| GeometryError::NotAGeometry("not a JSON object".to_owned()))
}

/// The list holding the addressed position, its kind and the position's index in it.
/// For a `Point` the list is `None` and the `coordinates` array itself is returned.
struct Located<'a> {
    kind: Option<ListKind>,
    list: &'a mut Vec<Value>,
    index: usize,
}

fn locate<'a>(geometry: &'a mut Value, path: &VertexPath) -> Result<Located<'a>, GeometryError> {
    let leaf = leaf_mut(geometry, path)?;
    let geometry_type = leaf.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let bad = || GeometryError::BadPath { path: path.clone(), geometry_type: geometry_type.clone() };
    let shape = list_shape(&geometry_type)?;
    let coords = leaf.get_mut("coordinates").and_then(Value::as_array_mut).ok_or_else(bad)?;
    let Some((depth, kind)) = shape else {
        return if path.coords.is_empty() { Ok(Located { kind: None, list: coords, index: 0 }) } else { Err(bad()) };
    };
    let (Some((&index, outer)), true) = (path.coords.split_last(), path.coords.len() == depth + 1) else {
        return Err(bad());
    };
    let mut list = coords;
    for &i in outer {
        list = list.get_mut(i).and_then(Value::as_array_mut).ok_or_else(bad)?;
    }
    if index >= list.len() {
        return Err(bad());
    }
    Ok(Located { kind: Some(kind), list, index })
}

fn check_lon_lat(lon: f64, lat: f64) -> Result<(), GeometryError> {
    if lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
        Ok(())
    } else {
        Err(GeometryError::BadPosition { lon, lat })
    }
}

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// Sets the lon/lat of one position, keeping its other numbers (the height).
fn set_lon_lat(position: &mut Value, lon: f64, lat: f64) {
    if let Value::Array(c) = position {
        while c.len() < 2 {
            c.push(Value::Null);
        }
        if let Some(x) = c.get_mut(0) {
            *x = number(lon);
        }
        if let Some(y) = c.get_mut(1) {
            *y = number(lat);
        }
    } else {
        *position = Value::Array(vec![number(lon), number(lat)]);
    }
}

/// Moves the position at `path` to `lon`/`lat` (degrees), keeping its third coordinate.
/// Moving the first or last position of a ring moves both, so the ring stays closed.
pub fn move_vertex(geometry: &Value, path: &VertexPath, lon: f64, lat: f64) -> Result<Value, GeometryError> {
    check_lon_lat(lon, lat)?;
    let mut out = geometry.clone();
    let at = locate(&mut out, path)?;
    let Some(kind) = at.kind else {
        // A Point: the coordinates array is the position.
        let mut position = Value::Array(std::mem::take(at.list));
        set_lon_lat(&mut position, lon, lat);
        if let Value::Array(c) = position {
            *at.list = c;
        }
        return Ok(out);
    };
    let last = at.list.len() - 1;
    let twins: &[usize] = if kind == ListKind::Ring && (at.index == 0 || at.index == last) { &[0, last] } else { &[] };
    if twins.is_empty() {
        if let Some(p) = at.list.get_mut(at.index) {
            set_lon_lat(p, lon, lat);
        }
    } else {
        for &i in twins {
            if let Some(p) = at.list.get_mut(i) {
                set_lon_lat(p, lon, lat);
            }
        }
    }
    Ok(out)
}

/// Inserts a new position at `lon`/`lat` right after the one at `path` (after the last
/// real vertex when `path` is a ring's closing position). The new position copies the
/// third coordinate of the one before it, so the list keeps one dimension.
pub fn insert_vertex(geometry: &Value, path: &VertexPath, lon: f64, lat: f64) -> Result<Value, GeometryError> {
    check_lon_lat(lon, lat)?;
    let mut out = geometry.clone();
    let at = locate(&mut out, path)?;
    let Some(kind) = at.kind else { return Err(GeometryError::SinglePoint("extended")) };
    let last = at.list.len() - 1;
    let after = if kind == ListKind::Ring && at.index == last { last.saturating_sub(1) } else { at.index };
    let mut position = at.list.get(after).cloned().unwrap_or_else(|| Value::Array(Vec::new()));
    set_lon_lat(&mut position, lon, lat);
    at.list.insert(after + 1, position);
    Ok(out)
}

/// Deletes the position at `path`. Refuses to leave a ring with fewer than 4 positions, a
/// line with fewer than 2 or an empty multipoint; deleting a ring's first (or closing)
/// position re-closes the ring on the next one.
pub fn delete_vertex(geometry: &Value, path: &VertexPath) -> Result<Value, GeometryError> {
    let mut out = geometry.clone();
    let at = locate(&mut out, path)?;
    let Some(kind) = at.kind else { return Err(GeometryError::SinglePoint("deleted")) };
    let (what, min) = match kind {
        ListKind::Points => ("multipoint", 1),
        ListKind::Line => ("line", 2),
        ListKind::Ring => ("polygon ring", 4),
    };
    if at.list.len() <= min {
        return Err(GeometryError::TooFewPositions { what, min });
    }
    let last = at.list.len() - 1;
    if kind == ListKind::Ring && (at.index == 0 || at.index == last) {
        at.list.remove(last);
        at.list.remove(0);
        if let Some(first) = at.list.first().cloned() {
            at.list.push(first);
        }
    } else {
        at.list.remove(at.index);
    }
    Ok(out)
}

/// Moves every position by `dx`/`dy` degrees, keeping third coordinates; `bbox` members of
/// the geometry (and of collection members) move too.
pub fn translate(geometry: &Value, dx: f64, dy: f64) -> Value {
    let mut out = geometry.clone();
    translate_in_place(&mut out, dx, dy);
    out
}

fn translate_in_place(geometry: &mut Value, dx: f64, dy: f64) {
    let Some(obj) = geometry.as_object_mut() else { return };
    if let Some(Value::Array(members)) = obj.get_mut("geometries") {
        for g in members {
            translate_in_place(g, dx, dy);
        }
    }
    if let Some(c) = obj.get_mut("coordinates") {
        translate_positions(c, dx, dy);
    }
    if let Some(Value::Array(b)) = obj.get_mut("bbox") {
        let half = b.len() / 2;
        for (i, v) in b.iter_mut().enumerate() {
            let d = match i % half.max(1) {
                0 => dx,
                1 => dy,
                _ => continue,
            };
            shift(v, d);
        }
    }
}

fn shift(v: &mut Value, d: f64) {
    if let Some(x) = v.as_f64() {
        *v = number(x + d);
    }
}

fn translate_positions(value: &mut Value, dx: f64, dy: f64) {
    let Value::Array(items) = value else { return };
    if items.first().is_some_and(Value::is_number) {
        if let Some(x) = items.get_mut(0) {
            shift(x, dx);
        }
        if let Some(y) = items.get_mut(1) {
            shift(y, dy);
        }
    } else {
        for item in items {
            translate_positions(item, dx, dy);
        }
    }
}

/// Called with the path of a position list, its kind (`None` for a Point) and positions.
type ListVisitor<'v> = dyn FnMut(&VertexPath, Option<ListKind>, &[Value]) + 'v;

/// Calls `visit` for every list of positions in the geometry (a `Point` is a list of one),
/// with the path of the list (its `coords` lacking the final position index) and its kind.
fn walk_lists(geometry: &Value, collection: &mut Vec<usize>, visit: &mut ListVisitor<'_>) {
    let Some(obj) = geometry.as_object() else { return };
    let geometry_type = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    if geometry_type == "GeometryCollection" {
        for (i, g) in obj.get("geometries").and_then(Value::as_array).into_iter().flatten().enumerate() {
            collection.push(i);
            walk_lists(g, collection, visit);
            collection.pop();
        }
        return;
    }
    let Ok(shape) = list_shape(geometry_type) else { return };
    let Some(coords) = obj.get("coordinates") else { return };
    let base = VertexPath { collection: collection.clone(), coords: Vec::new() };
    let Some((depth, kind)) = shape else {
        visit(&base, None, std::slice::from_ref(coords));
        return;
    };
    walk_depth(coords, depth, &mut base.clone(), kind, visit);
}

fn walk_depth(value: &Value, depth: usize, path: &mut VertexPath, kind: ListKind, visit: &mut ListVisitor<'_>) {
    let Some(items) = value.as_array() else { return };
    if depth == 0 {
        visit(path, Some(kind), items);
        return;
    }
    for (i, item) in items.iter().enumerate() {
        path.coords.push(i);
        walk_depth(item, depth - 1, path, kind, visit);
        path.coords.pop();
    }
}

fn lon_lat(position: &Value) -> Option<(f64, f64)> {
    Some((position.get(0)?.as_f64()?, position.get(1)?.as_f64()?))
}

/// The vertex nearest to screen position `pos` within `tolerance_pts` screen points, if any.
/// A ring's closing position is reported as its first.
pub fn nearest_vertex(geometry: &Value, viewport: &Viewport, pos: [f32; 2], tolerance_pts: f32) -> Option<VertexPath> {
    let mut best: Option<(f32, VertexPath)> = None;
    walk_lists(geometry, &mut Vec::new(), &mut |list_path, kind, positions| {
        let count = if kind == Some(ListKind::Ring) { positions.len().saturating_sub(1) } else { positions.len() };
        for (i, p) in positions.iter().take(count).enumerate() {
            let Some((lon, lat)) = lon_lat(p) else { continue };
            let s = viewport.screen_from_geo(lon, lat);
            let d = (s[0] - pos[0]).hypot(s[1] - pos[1]);
            if d <= tolerance_pts && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                let mut path = list_path.clone();
                if kind.is_some() {
                    path.coords.push(i);
                }
                best = Some((d, path));
            }
        }
    });
    best.map(|(_, p)| p)
}

/// The line or ring segment nearest to screen position `pos` within `tolerance_pts`, as the
/// path of its first position (so [`insert_vertex`] at that path splits the segment).
pub fn nearest_edge(geometry: &Value, viewport: &Viewport, pos: [f32; 2], tolerance_pts: f32) -> Option<VertexPath> {
    let mut best: Option<(f32, VertexPath)> = None;
    walk_lists(geometry, &mut Vec::new(), &mut |list_path, kind, positions| {
        if !matches!(kind, Some(ListKind::Line | ListKind::Ring)) {
            return;
        }
        let screen: Vec<Option<[f32; 2]>> =
            positions.iter().map(|p| lon_lat(p).map(|(lon, lat)| viewport.screen_from_geo(lon, lat))).collect();
        for (i, pair) in screen.windows(2).enumerate() {
            let (Some(Some(a)), Some(Some(b))) = (pair.first(), pair.get(1)) else { continue };
            let d = segment_distance(pos, *a, *b);
            if d <= tolerance_pts && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                let mut path = list_path.clone();
                path.coords.push(i);
                best = Some((d, path));
            }
        }
    });
    best.map(|(_, p)| p)
}

/// Distance from `p` to the segment `a`–`b`, in the same units.
fn segment_distance(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (abx, aby) = (b[0] - a[0], b[1] - a[1]);
    let len2 = abx * abx + aby * aby;
    let t = if len2 > 0.0 { (((p[0] - a[0]) * abx + (p[1] - a[1]) * aby) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (cx, cy) = (a[0] + t * abx, a[1] + t * aby);
    (p[0] - cx).hypot(p[1] - cy)
}

/// Every vertex of a geometry with its path and lon/lat (a ring's closing copy left out):
/// for drawing vertex handles.
pub fn vertices(geometry: &Value) -> Vec<(VertexPath, [f64; 2])> {
    let mut out = Vec::new();
    walk_lists(geometry, &mut Vec::new(), &mut |list_path, kind, positions| {
        let count = if kind == Some(ListKind::Ring) { positions.len().saturating_sub(1) } else { positions.len() };
        for (i, p) in positions.iter().take(count).enumerate() {
            let Some((lon, lat)) = lon_lat(p) else { continue };
            let mut path = list_path.clone();
            if kind.is_some() {
                path.coords.push(i);
            }
            out.push((path, [lon, lat]));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn point_moves_and_keeps_height() {
        let g = json!({"type": "Point", "coordinates": [70.0, 37.0, 812.5]});
        let moved = move_vertex(&g, &VertexPath::default(), 71.5, 38.25).unwrap();
        assert_eq!(moved, json!({"type": "Point", "coordinates": [71.5, 38.25, 812.5]}));
        assert!(delete_vertex(&g, &VertexPath::default()).is_err());
    }

    #[test]
    fn nearest_edge_and_vertex_on_a_line() {
        let g = json!({"type": "LineString", "coordinates": [[70.0, 37.0], [71.0, 37.0]]});
        let vp = Viewport::centered(70.5, 37.0, 8.0, [800.0, 600.0]);
        let mid = vp.screen_from_geo(70.5, 37.0);
        assert_eq!(nearest_edge(&g, &vp, mid, 8.0), Some(VertexPath::new([0])));
        assert_eq!(nearest_vertex(&g, &vp, mid, 8.0), None);
        let end = vp.screen_from_geo(71.0, 37.0);
        assert_eq!(nearest_vertex(&g, &vp, end, 8.0), Some(VertexPath::new([1])));
    }
}
