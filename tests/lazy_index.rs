//! A big layer's R-tree is made after the layer is handed over (issue 8): hit-tests and
//! queries before, during and after that build answer as an index built at once does, and an
//! edit made before the trees exist is not lost.

use frontier_atlas::edit::{EditCommand, apply};
use frontier_atlas::model::{Catalog, Feature, Layer, LayerKind, LayerSource, hit_test_all};
use frontier_atlas::spatial::{FeatureIndex, HitTolerance, Indexed, Shape, Viewport, WorldRect};

/// An event at `lon, lat`.
fn event(lon: f64, lat: f64) -> Feature {
    Feature {
        id: None,
        geometry: Some(serde_json::json!({"type": "Point", "coordinates": [lon, lat]})),
        properties: serde_json::Map::new(),
        foreign_members: serde_json::Map::new(),
        shape: Shape::from_geo(Some(&geo::Geometry::Point(geo::Point::new(lon, lat)))),
        time: None,
    }
}

/// More events than an index makes its trees for at once, on a grid over the frontier.
fn layer() -> Layer {
    let n = 60_000;
    let features = (0..n).map(|i| event(67.0 + (i % 300) as f64 * 0.02, 35.5 + (i / 300) as f64 * 0.02)).collect();
    Layer::new("events", LayerKind::Events, LayerSource::File("events.geojson".into()), features)
}

/// An index of the layer's shapes as they are now, with its trees made at once.
fn eager(layer: &Layer) -> FeatureIndex {
    FeatureIndex::build_parallel(layer.features.len(), |i| layer.features.shape(i).map(Indexed::of).unwrap_or_default())
}

/// Every feature under a click at `lon, lat` in a view of the region.
fn hits(catalog: &Catalog, lon: f64, lat: f64) -> Vec<usize> {
    let viewport = Viewport::centered(lon, lat, 11.0, [1200.0, 800.0]);
    let at = viewport.screen_from_geo(lon, lat);
    hit_test_all(&catalog.layers, &viewport, at, HitTolerance::default(), |_, _| true)
        .into_iter()
        .map(|r| r.feature)
        .collect()
}

#[test]
fn a_lazily_built_index_gives_the_same_hits_and_keeps_edits_made_before_it_is_built() {
    let mut catalog = Catalog::default();
    catalog.insert(layer());
    let uid = catalog.layers[0].uid;
    let all = WorldRect { min: [-1e9, -1e9], max: [1e9, 1e9] };
    let probe = |layer: &Layer| {
        let p = layer.features.shape(4_321).expect("shape").points[0];
        WorldRect { min: [p[0] - 1e-3, p[1] - 1e-3], max: [p[0] + 1e-3, p[1] + 1e-3] }
    };
    // Whether or not its build has finished, the layer's index answers as an eager one.
    let fresh = eager(&catalog.layers[0]);
    assert_eq!(catalog.layers[0].index.query(&probe(&catalog.layers[0])), fresh.query(&probe(&catalog.layers[0])));
    assert_eq!(catalog.layers[0].index.len(), fresh.len());
    assert_eq!(catalog.layers[0].bounds(), fresh.bounds());
    let clicked = hits(&catalog, 67.0 + 21.0 * 0.02, 35.5 + 14.0 * 0.02);
    assert_eq!(clicked, vec![14 * 300 + 21]);

    // Edits straight after the load (the build may still be under way): a point moved west
    // out of the grid, one deleted before it (the ids after it shift), one added at the end.
    let moved = 14 * 300 + 21;
    let _undo = apply(&mut catalog, EditCommand::MoveFeature { layer: uid, index: moved, dx_deg: -1.0, dy_deg: 0.0 })
        .expect("moved");
    let _undo = apply(&mut catalog, EditCommand::DeleteFeature { layer: uid, index: 5 }).expect("deleted");
    let n = catalog.layers[0].features.len();
    let _undo =
        apply(&mut catalog, EditCommand::AddFeature { layer: uid, index: n, feature: Box::new(event(66.5, 35.2)) })
            .expect("added");
    let layer = &catalog.layers[0];
    let fresh = eager(layer);
    for _ in 0..4 {
        // Scanned while the trees are not made, then from the trees: the same answers.
        assert_eq!(layer.index.query(&all), fresh.query(&all));
        assert_eq!(layer.index.query(&probe(layer)), fresh.query(&probe(layer)));
    }
    assert_eq!((layer.index.len(), layer.bounds()), (fresh.len(), fresh.bounds()));
    assert!(hits(&catalog, 67.0 + 21.0 * 0.02, 35.5 + 14.0 * 0.02).is_empty(), "the moved point left");
    assert_eq!(hits(&catalog, 66.0 + 21.0 * 0.02, 35.5 + 14.0 * 0.02), vec![moved - 1], "and is found where it went");
    assert_eq!(hits(&catalog, 66.5, 35.2), vec![n], "the added point is found");
}
