//! Levels of detail on a layer: the scene draws the band for the zoom, hit-testing stays on
//! full detail, and an edit rebuilds only the edited feature's copies.

use std::sync::Arc;

use frontier_atlas::edit::{EditCommand, apply};
use frontier_atlas::model::{Catalog, Feature, FeatureRef, Layer, LayerKind, LayerSource, hit_test};
use frontier_atlas::render::{Item, SceneOptions, build_scene};
use frontier_atlas::spatial::lod::{LodSet, LodShape};
use frontier_atlas::spatial::{HitTolerance, Shape, Viewport};
use serde_json::{Value, json};

/// A district-like polygon of `n` wiggly vertices around (`lon`, `lat`), as GeoJSON.
fn wiggly(n: usize, lon: f64, lat: f64, r: f64) -> Value {
    let mut ring: Vec<Value> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            let w = 1.0 + 0.08 * (a * 7.0).sin() + 0.02 * (a * 97.0).sin();
            json!([lon + r * w * a.cos(), lat + r * w * a.sin()])
        })
        .collect();
    ring.push(ring[0].clone());
    json!({"type": "Polygon", "coordinates": [ring]})
}

fn feature(geometry: Value, name: &str) -> Feature {
    let geo = frontier_atlas::io::geojson::geo_from_json(&geometry).expect("a valid test polygon");
    let mut properties = serde_json::Map::new();
    properties.insert("shapeName".into(), name.into());
    Feature {
        id: None,
        geometry: Some(geometry),
        properties,
        foreign_members: serde_json::Map::new(),
        shape: Shape::from_geo(Some(&geo)),
        time: None,
    }
}

fn districts(kind: LayerKind) -> Layer {
    let features = vec![feature(wiggly(3000, 69.0, 38.0, 0.8), "West"), feature(wiggly(3000, 71.5, 37.5, 0.8), "East")];
    let mut layer = Layer::new("districts", kind, LayerSource::Embedded("test"), features);
    let built = {
        let features: Vec<_> = layer.features.iter().collect();
        LodSet::build(features.iter().map(|f| &f.shape))
    };
    layer.lod = Some(Arc::new(built));
    layer
}

fn copy_at(layer: &Layer, zoom: f64, id: usize) -> &LodShape {
    let lod = layer.lod.as_ref().expect("levels of detail");
    lod.band_for(256.0 * 2f64.powf(zoom)).and_then(|b| b.shape(id)).expect("a copy")
}

/// Vertices of the area fills in the scene.
fn fill_vertices(catalog: &Catalog, view: &Viewport) -> usize {
    let options = SceneOptions { labels: false, ..SceneOptions::default() };
    build_scene(catalog, view, &options)
        .items
        .iter()
        .map(|item| if let Item::Fill { mesh, .. } = item { mesh.vertices.len() } else { 0 })
        .sum()
}

#[test]
fn the_scene_draws_the_band_for_the_zoom_and_full_detail_past_it() {
    // A generic layer is filled (districts are only outlined).
    let mut catalog = Catalog::default();
    catalog.insert(districts(LayerKind::Generic));
    let view = Viewport::centered(70.2, 37.8, 5.0, [800.0, 600.0]);
    let with_lod = fill_vertices(&catalog, &view);
    catalog.layers[0].lod = None;
    let full = fill_vertices(&catalog, &view);
    assert!(full >= 5900, "both districts in view at full detail: {full}");
    assert!(with_lod * 10 < full, "the zoom-5 band draws far fewer vertices: {with_lod} of {full}");
    // Zoomed in past the finest band: full detail again.
    let mut catalog = Catalog::default();
    catalog.insert(districts(LayerKind::Districts));
    let close = Viewport::centered(69.0, 38.8, 16.0, [800.0, 600.0]);
    assert!(catalog.layers[0].lod.as_ref().and_then(|l| l.band_for(close.scale())).is_none());
}

#[test]
fn hit_testing_uses_full_detail_not_the_drawn_copy() {
    // Copies built from the districts moved 1° east: what is drawn is off, what is hit is not.
    let mut layer = districts(LayerKind::Districts);
    let moved: Vec<Shape> = [wiggly(3000, 70.0, 38.0, 0.8), wiggly(3000, 72.5, 37.5, 0.8)]
        .iter()
        .map(|g| Shape::from_geo(Some(&frontier_atlas::io::geojson::geo_from_json(g).unwrap())))
        .collect();
    layer.lod = Some(Arc::new(LodSet::build(&moved)));
    let layers = vec![layer];
    let view = Viewport::centered(70.0, 38.0, 6.0, [800.0, 600.0]);
    assert!(layers[0].lod.as_ref().and_then(|l| l.band_for(view.scale())).is_some(), "a band at zoom 6");
    let tol = HitTolerance::default();
    let west_edge = view.screen_from_geo(68.4, 38.0);
    assert_eq!(hit_test(&layers, &view, west_edge, tol, |_, _| true), Some(FeatureRef { layer: 0, feature: 0 }));
    let east_of_west = view.screen_from_geo(70.6, 38.0);
    assert_eq!(hit_test(&layers, &view, east_of_west, tol, |_, _| true), None, "only the copy reaches there");
}

#[test]
fn an_edit_rebuilds_the_edited_features_copies_and_keeps_the_others() {
    let mut catalog = Catalog::default();
    catalog.insert(districts(LayerKind::Districts));
    let uid = catalog.layers[0].uid;
    let zoom = 6.0;
    let (west_before, east_before) = {
        let l = &catalog.layers[0];
        (std::ptr::from_ref(copy_at(l, zoom, 0)), copy_at(l, zoom, 1).clone())
    };
    let inverse = apply(&mut catalog, EditCommand::MoveFeature { layer: uid, index: 1, dx_deg: 0.5, dy_deg: 0.0 })
        .expect("the move");
    let l = &catalog.layers[0];
    assert!(std::ptr::eq(copy_at(l, zoom, 0), west_before), "the untouched district keeps its copy");
    let east = copy_at(l, zoom, 1);
    let max_x = |c: &LodShape| c.polygons[0][0].iter().map(|p| p[0]).fold(f64::MIN, f64::max);
    let shift = max_x(east) - max_x(&east_before);
    assert!((shift - 0.5 / 360.0).abs() < 1e-4, "the edited district's copy moved with it: {shift}");
    // Undo puts the old copy back (same content as before the edit).
    let _redo = apply(&mut catalog, inverse).expect("the undo");
    assert_eq!(copy_at(&catalog.layers[0], zoom, 1), &east_before);
}

#[test]
fn a_small_layer_gets_no_copies() {
    let layer = Layer::new(
        "small",
        LayerKind::Districts,
        LayerSource::Embedded("test"),
        vec![feature(wiggly(200, 69.0, 38.0, 0.8), "West")],
    );
    let features: Vec<_> = layer.features.iter().collect();
    assert!(LodSet::start_if_big(features.iter().map(|f| &f.shape)).is_none());
}
