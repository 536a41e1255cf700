//! Edit commands, undo/redo, dirty tracking and vertex edits, without a window.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

use frontier_atlas::edit::geometry::{
    GeometryError, VertexPath, delete_vertex, insert_vertex, move_vertex, nearest_edge, nearest_vertex, translate,
    vertices,
};
use frontier_atlas::edit::{EditCommand, EditError, History, MAX_UNDOS, apply, new_feature_id};
use frontier_atlas::io::geojson::{layer_to_geojson, parse_layer};
use frontier_atlas::model::{Catalog, Feature, FeatureId, Layer, LayerSource, LayerUid};
use frontier_atlas::spatial::{Shape, Viewport};
use frontier_atlas::time::DateSpan;
use serde_json::{Map, Value, json};

const EVENTS: &str = r#"{"type":"FeatureCollection","name":"ev","features":[
{"type":"Feature","id":"TJK-FA-029","properties":{"event_id_cnty":"TJK-FA-029","event_date":"2021-06-01","time_precision":1,"event_type":"Battles","location":"Shaymak"},"geometry":{"type":"Point","coordinates":[74.83,37.52,3800]}},
{"type":"Feature","id":"TJK-FA-030","geometry":{"type":"Point","coordinates":[71.61,36.73]},"properties":{"event_id_cnty":"TJK-FA-030","event_date":"2021-07","time_precision":3,"event_type":"Strategic developments","location":"Ishkoshim"},"note":"foreign"},
{"type":"Feature","id":"AFG-FA-001","geometry":null,"properties":{"event_id_cnty":"AFG-FA-001","event_date":"2022","time_precision":3,"event_type":"Battles","location":""}}
]}"#;

const SHAPES: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"hole","geometry":{"type":"Polygon","coordinates":[[[70.0,36.0],[72.0,36.0],[72.0,38.0],[70.0,38.0],[70.0,36.0]],[[70.5,36.5],[71.5,36.5],[71.5,37.5],[70.5,36.5]]]},"properties":{"name":"with hole"}},
{"type":"Feature","id":"multi","geometry":{"type":"MultiPolygon","coordinates":[[[[70.0,36.0],[71.0,36.0],[71.0,37.0],[70.0,36.0]]],[[[73.0,36.0],[74.0,36.0],[74.0,37.0],[73.0,37.0],[73.0,36.0]]]]},"properties":{"name":"multi"}},
{"type":"Feature","id":"line","geometry":{"type":"LineString","coordinates":[[70.0,37.0,100],[71.0,37.5,200],[72.0,37.0,300]]},"properties":null},
{"type":"Feature","id":"point","geometry":{"type":"Point","coordinates":[70.5,37.5]},"properties":{}}
]}"#;

fn catalog(text: &str) -> (Catalog, LayerUid) {
    let layer = parse_layer(text, "t", "t", None, LayerSource::Embedded("t")).unwrap().layer;
    let uid = layer.uid;
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    (catalog, uid)
}

fn layer(catalog: &Catalog, uid: LayerUid) -> &Layer {
    &catalog.layers[catalog.index_of(uid).unwrap()]
}

/// The layer's GeoJSON as text: equal text means equal JSON with equal member order.
fn snapshot(catalog: &Catalog, uid: LayerUid) -> String {
    serde_json::to_string(&layer_to_geojson(layer(catalog, uid))).unwrap()
}

/// Applies `cmd` through a history, then checks undo gives back exactly `before` and redo
/// exactly the edited state. Returns the edited snapshot.
fn undo_redo_exact(catalog: &mut Catalog, uid: LayerUid, cmd: EditCommand, what: &str) -> String {
    let mut history = History::default();
    let before = snapshot(catalog, uid);
    history.apply(catalog, cmd, what).unwrap();
    let after = snapshot(catalog, uid);
    assert_ne!(before, after, "{what} changed nothing");
    assert_eq!(undone(&mut history, catalog).as_deref(), Some(what));
    assert_eq!(snapshot(catalog, uid), before, "undo of {what} is not exact");
    assert_eq!(redone(&mut history, catalog).as_deref(), Some(what));
    assert_eq!(snapshot(catalog, uid), after, "redo of {what} is not exact");
    assert_eq!(undone(&mut history, catalog).as_deref(), Some(what));
    assert_eq!(snapshot(catalog, uid), before);
    after
}

/// Undoes the last step and gives its description.
fn undone(h: &mut History, c: &mut Catalog) -> Option<String> {
    h.undo(c).unwrap().map(|s| s.description)
}

/// Redoes the last undone step and gives its description.
fn redone(h: &mut History, c: &mut Catalog) -> Option<String> {
    h.redo(c).unwrap().map(|s| s.description)
}

fn new_point(layer: &Layer, lon: f64, lat: f64) -> Feature {
    let mut properties = Map::new();
    properties.insert("event_date".to_owned(), json!("2023-03-04"));
    properties.insert("event_type".to_owned(), json!("Battles"));
    Feature {
        id: Some(new_feature_id(layer, "TJK-FA-")),
        geometry: Some(json!({"type": "Point", "coordinates": [lon, lat]})),
        properties,
        foreign_members: Map::new(),
        shape: Shape::default(),
        time: None,
    }
}

#[test]
fn add_feature_undoes_and_redoes_exactly() {
    let (mut c, uid) = catalog(EVENTS);
    let feature = new_point(layer(&c, uid), 70.1, 37.1);
    let after = undo_redo_exact(
        &mut c,
        uid,
        EditCommand::AddFeature { layer: uid, index: 1, feature: Box::new(feature.clone()) },
        "Add event",
    );
    assert!(after.contains(r#""id":"TJK-FA-031""#), "{after}");
    // Applied: the shape, date span and indexes are computed.
    let _inverse = apply(&mut c, EditCommand::AddFeature { layer: uid, index: 3, feature: Box::new(feature) }).unwrap();
    let l = layer(&c, uid);
    let f = &l.features.get(3).unwrap();
    assert!(f.shape.bounds().is_some());
    assert_eq!(f.time, Some(DateSpan::parse("2023-03-04").unwrap()));
    assert_eq!(l.categories.len(), l.features.len());
    assert!(l.index.query(&f.shape.bounds().unwrap()).contains(&3));
    // A new feature takes the member order of the layer's first feature.
    assert!(snapshot(&c, uid).contains(r#"{"type":"Feature","id":"TJK-FA-031","properties":"#));
}

#[test]
fn delete_feature_restores_its_layout() {
    let (mut c, uid) = catalog(SHAPES);
    // "line" has properties: null, which must come back as null.
    undo_redo_exact(&mut c, uid, EditCommand::DeleteFeature { layer: uid, index: 2 }, "Delete");
    let (mut c, uid) = catalog(EVENTS);
    undo_redo_exact(&mut c, uid, EditCommand::DeleteFeature { layer: uid, index: 1 }, "Delete");
    undo_redo_exact(&mut c, uid, EditCommand::DeleteFeature { layer: uid, index: 0 }, "Delete");
}

#[test]
fn move_feature_keeps_heights_and_undoes_exactly() {
    let (mut c, uid) = catalog(EVENTS);
    let bounds_before = layer(&c, uid).bounds();
    let after = undo_redo_exact(
        &mut c,
        uid,
        EditCommand::MoveFeature { layer: uid, index: 0, dx_deg: 0.1, dy_deg: -0.2 },
        "Move feature",
    );
    assert!(after.contains("3800"), "height lost: {after}");
    let mut h = History::default();
    h.apply(&mut c, EditCommand::MoveFeature { layer: uid, index: 0, dx_deg: 0.1, dy_deg: -0.2 }, "m").unwrap();
    assert_ne!(layer(&c, uid).bounds(), bounds_before, "spatial index not rebuilt");
    assert!(matches!(
        apply(&mut c, EditCommand::MoveFeature { layer: uid, index: 2, dx_deg: 1.0, dy_deg: 0.0 }),
        Err(EditError::NoGeometry(2))
    ));
}

#[test]
fn reshape_undoes_and_redoes_exactly() {
    let (mut c, uid) = catalog(SHAPES);
    let g = layer(&c, uid).features.get(0).unwrap().geometry.clone().unwrap();
    let moved = move_vertex(&g, &VertexPath::new([1, 2]), 71.9, 37.4).unwrap();
    undo_redo_exact(&mut c, uid, EditCommand::SetGeometry { layer: uid, index: 0, geometry: moved }, "Move vertex");
    undo_redo_exact(&mut c, uid, EditCommand::SetGeometry { layer: uid, index: 3, geometry: Value::Null }, "Clear");
}

#[test]
fn set_property_undoes_and_redoes_exactly() {
    let (mut c, uid) = catalog(EVENTS);
    let set =
        |key: &str, value: Option<Value>| EditCommand::SetProperty { layer: uid, index: 1, key: key.to_owned(), value };
    let after = undo_redo_exact(&mut c, uid, set("event_date", Some(json!("2021-08"))), "Set date");
    assert!(after.contains(r#""event_date":"2021-08","time_precision""#), "changed in place: {after}");
    undo_redo_exact(&mut c, uid, set("notes", Some(json!("added"))), "Add field");
    // Removing a middle key and undoing puts it back in its place.
    undo_redo_exact(&mut c, uid, set("time_precision", None), "Remove field");
    // The date span follows the property.
    let _inverse = apply(&mut c, set("event_date", Some(json!("2019-02-03")))).unwrap();
    // time_precision 3: ACLED's "only the month is known".
    assert_eq!(layer(&c, uid).features.get(1).unwrap().time, Some(DateSpan::parse("2019-02").unwrap()));
    // Properties that were null come back as null after add + undo.
    let (mut c, uid) = catalog(SHAPES);
    let before = snapshot(&c, uid);
    let mut h = History::default();
    h.apply(&mut c, EditCommand::SetProperty { layer: uid, index: 2, key: "k".to_owned(), value: Some(json!(1)) }, "k")
        .unwrap();
    h.undo(&mut c).unwrap().unwrap();
    assert_eq!(snapshot(&c, uid), before);
    assert!(before.contains(r#""properties":null"#));
}

#[test]
fn vertex_ops_on_polygon_with_hole() {
    let (c, uid) = catalog(SHAPES);
    let g = layer(&c, uid).features.get(0).unwrap().geometry.clone().unwrap();
    // Moving the first position of the hole moves its closing copy too.
    let m = move_vertex(&g, &VertexPath::new([1, 0]), 70.6, 36.6).unwrap();
    assert_eq!(m["coordinates"][1][0], json!([70.6, 36.6]));
    assert_eq!(m["coordinates"][1][3], json!([70.6, 36.6]));
    assert_eq!(m["coordinates"][0], g["coordinates"][0], "untouched ring changed");
    // Insert after the closing position goes before it.
    let i = insert_vertex(&g, &VertexPath::new([1, 3]), 70.4, 37.0).unwrap();
    assert_eq!(i["coordinates"][1].as_array().unwrap().len(), 5);
    assert_eq!(i["coordinates"][1][3], json!([70.4, 37.0]));
    assert_eq!(i["coordinates"][1][4], i["coordinates"][1][0]);
    // The hole has 4 positions: deleting would open it.
    assert_eq!(
        delete_vertex(&g, &VertexPath::new([1, 1])),
        Err(GeometryError::TooFewPositions { what: "polygon ring", min: 4 })
    );
    // Deleting the first vertex of the outer ring re-closes it.
    let d = delete_vertex(&g, &VertexPath::new([0, 0])).unwrap();
    assert_eq!(d["coordinates"][0], json!([[72.0, 36.0], [72.0, 38.0], [70.0, 38.0], [72.0, 36.0]]));
    frontier_atlas::io::geojson::geo_from_json(&d).unwrap();
    assert!(move_vertex(&g, &VertexPath::new([2, 0]), 70.0, 36.0).is_err(), "no third ring");
    assert!(move_vertex(&g, &VertexPath::new([0]), 70.0, 36.0).is_err(), "path too short");
    assert!(move_vertex(&g, &VertexPath::new([0, 1]), 190.0, 36.0).is_err(), "longitude out of range");
}

#[test]
fn vertex_ops_on_multipolygon_line_point_and_collection() {
    let (c, uid) = catalog(SHAPES);
    let l = layer(&c, uid);
    let multi = l.features.get(1).unwrap().geometry.clone().unwrap();
    let m = move_vertex(&multi, &VertexPath::new([1, 0, 2]), 74.5, 37.5).unwrap();
    assert_eq!(m["coordinates"][1][0][2], json!([74.5, 37.5]));
    assert_eq!(m["coordinates"][0], multi["coordinates"][0]);
    let d = delete_vertex(&multi, &VertexPath::new([1, 0, 3])).unwrap();
    assert_eq!(d["coordinates"][1][0].as_array().unwrap().len(), 4);
    assert!(delete_vertex(&multi, &VertexPath::new([0, 0, 1])).is_err());

    let line = l.features.get(2).unwrap().geometry.clone().unwrap();
    let i = insert_vertex(&line, &VertexPath::new([0]), 70.5, 37.2).unwrap();
    assert_eq!(i["coordinates"][1], json!([70.5, 37.2, 100]), "new position copies the height before it");
    let d = delete_vertex(&line, &VertexPath::new([1])).unwrap();
    assert_eq!(d["coordinates"], json!([[70.0, 37.0, 100], [72.0, 37.0, 300]]));
    assert!(matches!(
        delete_vertex(&d, &VertexPath::new([0])),
        Err(GeometryError::TooFewPositions { what: "line", min: 2 })
    ));
    let t = translate(&line, 1.0, -1.0);
    assert_eq!(t["coordinates"][2], json!([73.0, 36.0, 300]));

    let point = l.features.get(3).unwrap().geometry.clone().unwrap();
    assert_eq!(move_vertex(&point, &VertexPath::default(), 71.0, 38.0).unwrap()["coordinates"], json!([71.0, 38.0]));
    assert!(insert_vertex(&point, &VertexPath::default(), 71.0, 38.0).is_err());
    assert!(delete_vertex(&point, &VertexPath::default()).is_err());

    let gc = json!({"type": "GeometryCollection", "geometries": [point, line]});
    let path = VertexPath::new([2]).in_collection(1);
    let m = move_vertex(&gc, &path, 71.0, 38.0).unwrap();
    assert_eq!(m["geometries"][1]["coordinates"][2], json!([71.0, 38.0, 300]));
    assert_eq!(m["geometries"][0], gc["geometries"][0]);
    assert_eq!(vertices(&gc).len(), 4);
}

#[test]
fn nearest_vertex_and_edge_pick_by_screen_distance() {
    let (c, uid) = catalog(SHAPES);
    let g = layer(&c, uid).features.get(0).unwrap().geometry.clone().unwrap();
    let vp = Viewport::centered(71.0, 37.0, 7.0, [1000.0, 800.0]);
    let corner = vp.screen_from_geo(72.0, 38.0);
    assert_eq!(nearest_vertex(&g, &vp, [corner[0] + 3.0, corner[1]], 8.0), Some(VertexPath::new([0, 2])));
    // The closing copy is reported as the first vertex.
    let first = vp.screen_from_geo(70.0, 36.0);
    assert_eq!(nearest_vertex(&g, &vp, first, 8.0), Some(VertexPath::new([0, 0])));
    let mid = vp.screen_from_geo(72.0, 37.0);
    assert_eq!(nearest_vertex(&g, &vp, mid, 8.0), None);
    assert_eq!(nearest_edge(&g, &vp, mid, 8.0), Some(VertexPath::new([0, 1])));
}

#[test]
fn refused_edits_change_nothing() {
    let (mut c, uid) = catalog(SHAPES);
    let before = snapshot(&c, uid);
    let open_ring =
        json!({"type": "Polygon", "coordinates": [[[70.0, 36.0], [71.0, 36.0], [71.0, 37.0], [70.5, 36.5]]]});
    let mut h = History::default();
    let err = h.apply(&mut c, EditCommand::SetGeometry { layer: uid, index: 0, geometry: open_ring }, "x").unwrap_err();
    assert!(matches!(err, EditError::InvalidGeometry(_)), "{err}");
    assert!(err.to_string().contains("not closed"), "{err}");
    let err = apply(&mut c, EditCommand::DeleteFeature { layer: uid, index: 4 }).unwrap_err();
    assert_eq!(err.to_string(), "layer `t` has 4 features; there is no feature #4");
    assert!(matches!(
        apply(&mut c, EditCommand::DeleteFeature { layer: 999_999, index: 0 }),
        Err(EditError::NoLayer(_))
    ));
    let bad = Feature {
        geometry: Some(json!({"type": "Point", "coordinates": [200.0, 0.0]})),
        ..new_point(layer(&c, uid), 0.0, 0.0)
    };
    assert!(apply(&mut c, EditCommand::AddFeature { layer: uid, index: 0, feature: Box::new(bad) }).is_err());
    // A group fails as a whole.
    let good = EditCommand::MoveFeature { layer: uid, index: 3, dx_deg: 0.5, dy_deg: 0.0 };
    let failing = EditCommand::DeleteFeature { layer: uid, index: 10 };
    assert!(h.apply_group(&mut c, vec![good, failing], "both").is_err());
    assert_eq!(snapshot(&c, uid), before);
    assert!(!h.can_undo());
    assert!(!h.is_dirty(uid));
}

#[test]
fn group_is_one_undo_step() {
    let (mut c, uid) = catalog(EVENTS);
    let before = snapshot(&c, uid);
    let mut h = History::default();
    let cmds = vec![
        EditCommand::MoveFeature { layer: uid, index: 0, dx_deg: 0.01, dy_deg: 0.0 },
        EditCommand::MoveFeature { layer: uid, index: 0, dx_deg: 0.01, dy_deg: 0.0 },
        EditCommand::SetProperty { layer: uid, index: 0, key: "location".to_owned(), value: Some(json!("Murghob")) },
        EditCommand::DeleteFeature { layer: uid, index: 2 },
    ];
    h.apply_group(&mut c, cmds, "Drag").unwrap();
    let after = snapshot(&c, uid);
    assert_eq!(h.undo.len(), 1);
    assert_eq!(undone(&mut h, &mut c).as_deref(), Some("Drag"));
    assert_eq!(snapshot(&c, uid), before);
    h.redo(&mut c).unwrap().unwrap();
    assert_eq!(snapshot(&c, uid), after);
}

#[test]
fn history_is_capped() {
    assert_eq!(MAX_UNDOS, 500);
    let (mut c, uid) = catalog(EVENTS);
    let mut h = History::new(3);
    for i in 0..5 {
        let cmd = EditCommand::SetProperty { layer: uid, index: 0, key: "n".to_owned(), value: Some(json!(i)) };
        h.apply(&mut c, cmd, format!("set {i}")).unwrap();
    }
    assert_eq!(h.undo.len(), 3);
    assert_eq!(undone(&mut h, &mut c).as_deref(), Some("set 4"));
    assert_eq!(undone(&mut h, &mut c).as_deref(), Some("set 3"));
    assert_eq!(undone(&mut h, &mut c).as_deref(), Some("set 2"));
    assert!(!h.can_undo());
    assert_eq!(h.undo(&mut c), Ok(None));
    assert_eq!(layer(&c, uid).features.get(0).unwrap().properties["n"], json!(1), "oldest steps dropped, not undone");
    assert!(h.can_redo());
    let full = History::default();
    assert_eq!(full.cap, MAX_UNDOS);
}

#[test]
fn dirty_tracking_follows_undo_back_to_saved() {
    let (mut c, uid) = catalog(EVENTS);
    let mut h = History::default();
    let set =
        |v: i64| EditCommand::SetProperty { layer: uid, index: 0, key: "fatalities".to_owned(), value: Some(json!(v)) };
    assert!(!h.is_dirty(uid));
    h.apply(&mut c, set(1), "a").unwrap();
    assert!(h.is_dirty(uid));
    h.undo(&mut c).unwrap().unwrap();
    assert!(!h.is_dirty(uid), "undone back to the loaded state");
    h.redo(&mut c).unwrap().unwrap();
    h.mark_saved(uid);
    assert!(!h.is_dirty(uid));
    h.apply(&mut c, set(2), "b").unwrap();
    assert!(h.is_dirty(uid));
    h.undo(&mut c).unwrap().unwrap();
    assert!(!h.is_dirty(uid), "back to the saved state");
    h.undo(&mut c).unwrap().unwrap();
    assert!(h.is_dirty(uid), "before the saved state");
    h.redo(&mut c).unwrap().unwrap();
    assert!(!h.is_dirty(uid));
    // A different edit after an undo is never mistaken for the saved state.
    h.undo(&mut c).unwrap().unwrap();
    h.apply(&mut c, set(1), "same value, new branch").unwrap();
    assert!(h.is_dirty(uid));
    assert!(!h.can_redo(), "a new edit clears redo");
    // Other layers are unaffected.
    assert!(!h.is_dirty(uid + 1_000_000));
}

#[test]
fn new_ids_are_unique_and_continue_the_sequence() {
    let (mut c, uid) = catalog(EVENTS);
    assert_eq!(new_feature_id(layer(&c, uid), "TJK-FA-"), FeatureId::Str("TJK-FA-031".to_owned()));
    assert_eq!(new_feature_id(layer(&c, uid), "AFG-FA-"), FeatureId::Str("AFG-FA-002".to_owned()));
    assert_eq!(new_feature_id(layer(&c, uid), "UZB-FA-"), FeatureId::Str("UZB-FA-001".to_owned()));
    assert_eq!(new_feature_id(layer(&c, uid), ""), FeatureId::Str("f-1".to_owned()));
    for _ in 0..20 {
        let f = new_point(layer(&c, uid), 70.0, 37.0);
        let _inverse = apply(&mut c, EditCommand::AddFeature { layer: uid, index: 0, feature: Box::new(f) }).unwrap();
        let f = Feature { id: Some(new_feature_id(layer(&c, uid), "")), ..new_point(layer(&c, uid), 70.0, 37.0) };
        let _inverse = apply(&mut c, EditCommand::AddFeature { layer: uid, index: 0, feature: Box::new(f) }).unwrap();
    }
    let ids: Vec<String> = layer(&c, uid).features.iter().map(|f| f.id.as_ref().unwrap().to_string()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    assert!(ids.contains(&"TJK-FA-050".to_owned()), "{ids:?}");
    let (c, uid) = catalog(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":4,"geometry":null,"properties":{}},{"type":"Feature","id":9,"geometry":null,"properties":{}}]}"#,
    );
    assert_eq!(new_feature_id(layer(&c, uid), ""), FeatureId::Num(10.into()));
}

/// Two layers in one catalog: the events and the shapes.
fn two_layers() -> (Catalog, LayerUid, LayerUid) {
    let (mut c, a) = catalog(EVENTS);
    let b_layer = parse_layer(SHAPES, "s", "s", None, LayerSource::Embedded("s")).unwrap().layer;
    let b = b_layer.uid;
    c.insert(b_layer);
    (c, a, b)
}

fn set_name(layer: LayerUid, index: usize, v: &str) -> EditCommand {
    EditCommand::SetProperty { layer, index, key: "name".to_owned(), value: Some(json!(v)) }
}

#[test]
fn undo_in_one_layer_leaves_later_edits_of_another_alone_and_names_its_layer() {
    let (mut c, a, b) = two_layers();
    let mut h = History::default();
    h.apply(&mut c, set_name(a, 0, "a1"), "Set name").unwrap();
    h.apply(&mut c, set_name(b, 0, "b1"), "Set name").unwrap();
    let step = h.undo_layer(&mut c, a).unwrap().unwrap();
    assert_eq!(step.layers, vec![a]);
    assert_eq!(step.description, "Set name");
    assert!(layer(&c, a).features.get(0).unwrap().properties.get("name").is_none(), "a's edit undone");
    assert_eq!(layer(&c, b).features.get(0).unwrap().properties["name"], json!("b1"), "b's later edit kept");
    assert!(!h.is_dirty(a) && h.is_dirty(b));
    assert!(!h.can_undo_layer(a) && h.can_redo_layer(a) && h.can_undo_layer(b));
    assert_eq!(h.undo_description_for(b), Some("Set name"));
    // A new edit in b keeps a's redo.
    h.apply(&mut c, set_name(b, 1, "b2"), "Set name").unwrap();
    let redone = h.redo_layer(&mut c, a).unwrap().unwrap();
    assert_eq!(redone.layers, vec![a]);
    assert_eq!(layer(&c, a).features.get(0).unwrap().properties["name"], json!("a1"));
    // The global undo takes the last step of any layer and says which.
    let step = h.undo(&mut c).unwrap().unwrap();
    assert_eq!(step.layers, vec![a]);
}

#[test]
fn a_step_spanning_layers_waits_for_later_steps_of_those_layers() {
    let (mut c, a, b) = two_layers();
    let mut h = History::default();
    h.apply_group(&mut c, vec![set_name(a, 0, "a"), set_name(b, 0, "b")], "Both").unwrap();
    h.apply(&mut c, set_name(b, 1, "later"), "Later").unwrap();
    let err = h.undo_layer(&mut c, a).unwrap_err();
    assert!(matches!(&err, frontier_atlas::edit::UndoError::Blocked { blocker, .. } if blocker == "Later"), "{err}");
    assert_eq!(err.layers(), &[a, b]);
    assert_eq!(h.undo.len(), 2, "nothing dropped");
    assert_eq!(layer(&c, a).features.get(0).unwrap().properties["name"], json!("a"), "nothing changed");
}

#[test]
fn a_step_that_no_longer_applies_is_kept_and_reported() {
    let (mut c, uid) = catalog(EVENTS);
    let mut h = History::default();
    h.apply(&mut c, EditCommand::SetProperty { layer: uid, index: 2, key: "k".to_owned(), value: Some(json!(1)) }, "k")
        .unwrap();
    // Something outside the history shortened the layer: the inverse's feature #2 is gone.
    let li = c.index_of(uid).unwrap();
    let removed = c.layers[li].features.pop().unwrap();
    let err = h.undo(&mut c).unwrap_err();
    assert!(matches!(err, frontier_atlas::edit::UndoError::Failed { .. }), "{err}");
    assert!(err.to_string().contains("cannot undo “k”"), "{err}");
    assert_eq!(h.undo.len(), 1, "the step is kept");
    assert!(h.is_dirty(uid));
    // Once the layer is whole again the same step undoes.
    c.layers[li].features.push(removed);
    assert_eq!(undone(&mut h, &mut c).as_deref(), Some("k"));
    assert!(!h.is_dirty(uid));
    // Redo failures keep the step too.
    let removed = c.layers[li].features.pop().unwrap();
    assert!(h.redo(&mut c).is_err());
    assert_eq!(h.redo.len(), 1);
    c.layers[li].features.push(removed);
    assert_eq!(redone(&mut h, &mut c).as_deref(), Some("k"));
}

#[test]
fn references_follow_inserts_and_deletes_through_undo_and_redo() {
    let features: Vec<String> = (0..8)
        .map(|i| {
            format!(
                r#"{{"type":"Feature","id":"f{i}","geometry":{{"type":"Point","coordinates":[70.{i},37.0]}},"properties":{{}}}}"#
            )
        })
        .collect();
    let text = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","));
    let (mut c, uid) = catalog(&text);
    let id_at = |c: &Catalog, i: usize| layer(c, uid).features.get(i).unwrap().id.as_ref().unwrap().to_string();
    let follow =
        |applied: &[EditCommand], i: usize| applied.iter().try_fold(i, |i, cmd: &EditCommand| cmd.remap(uid, i));
    let mut h = History::default();
    let delete = EditCommand::DeleteFeature { layer: uid, index: 2 };
    let mut selected = 5;
    h.apply(&mut c, delete.clone(), "Delete feature").unwrap();
    selected = follow(&[delete], selected).unwrap();
    assert_eq!(id_at(&c, selected), "f5");
    // Undoing the delete at index 2 must not move the selection onto another feature.
    let step = h.undo(&mut c).unwrap().unwrap();
    selected = follow(&step.applied, selected).unwrap();
    assert_eq!((selected, id_at(&c, selected)), (5, "f5".to_owned()));
    let step = h.redo(&mut c).unwrap().unwrap();
    selected = follow(&step.applied, selected).unwrap();
    assert_eq!(id_at(&c, selected), "f5");
    // The deleted feature itself is no longer referenced; other layers are untouched.
    assert_eq!(follow(&step.applied, 2), None);
    assert_eq!(EditCommand::DeleteFeature { layer: uid, index: 0 }.remap(uid + 1, 3), Some(3));
}

#[test]
fn a_save_records_the_generation_it_wrote_so_later_edits_stay_unsaved() {
    let (mut c, uid) = catalog(EVENTS);
    let mut h = History::default();
    h.apply(&mut c, set_name(uid, 0, "one"), "Set name").unwrap();
    let saving = h.generation(uid);
    // An edit while the save runs on its worker…
    h.apply(&mut c, set_name(uid, 0, "two"), "Set name").unwrap();
    h.mark_saved_generation(uid, saving);
    assert!(h.is_dirty(uid), "the second edit is not in the file");
    h.undo_layer(&mut c, uid).unwrap().unwrap();
    assert!(!h.is_dirty(uid), "back to what was saved");
}
