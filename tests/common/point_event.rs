//! One point feature for tests that build event layers by hand (density, Points cells,
//! single frames, the app's walk tests): its GeoJSON geometry and its prepared shape agree.

use frontier_atlas::model::Feature;
use frontier_atlas::spatial::Shape;

/// A feature at `lon`, `lat` with `properties`, no id and no date span yet (the layer's
/// `assign_spans` or load gives it one).
pub fn point_event(lon: f64, lat: f64, properties: serde_json::Map<String, serde_json::Value>) -> Feature {
    Feature {
        id: None,
        geometry: Some(serde_json::json!({"type": "Point", "coordinates": [lon, lat]})),
        properties,
        foreign_members: serde_json::Map::new(),
        shape: Shape::from_geo(Some(&geo::Geometry::Point(geo::Point::new(lon, lat)))),
        time: None,
    }
}
