//! Hit-testing in screen points: which feature is under the cursor.
//!
//! Layers are tested top to bottom; within a layer, points beat lines beat areas, and the
//! nearest candidate wins, so a click on a village inside a province selects the village.

use super::{Shape, Viewport, WorldRect};
use crate::model::{FeatureRef, Layer};

/// How close, in screen points, a click must be to count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitTolerance {
    /// Radius around point symbols.
    pub point_pts: f32,
    /// Distance from a line.
    pub line_pts: f32,
}

impl Default for HitTolerance {
    fn default() -> Self {
        Self { point_pts: 8.0, line_pts: 5.0 }
    }
}

/// The topmost visible feature under `pos_pts`, if any. `is_shown(layer, feature)` says whether
/// a feature is currently drawn (time filter); hidden layers are skipped.
pub fn hit_test(
    layers: &[Layer],
    viewport: &Viewport,
    pos_pts: [f32; 2],
    tolerance: HitTolerance,
    is_shown: impl Fn(usize, usize) -> bool,
) -> Option<FeatureRef> {
    hit_test_all(layers, viewport, pos_pts, tolerance, is_shown).into_iter().next()
}

/// Every visible feature under `pos_pts` in the topmost layer that has any, best first (points,
/// then lines, then areas; nearest first). Co-located points come back together, so the UI can
/// list features that share one symbol.
pub fn hit_test_all(
    layers: &[Layer],
    viewport: &Viewport,
    pos_pts: [f32; 2],
    tolerance: HitTolerance,
    is_shown: impl Fn(usize, usize) -> bool,
) -> Vec<FeatureRef> {
    let world = viewport.world_from_screen(pos_pts);
    let margin = f64::from(tolerance.point_pts.max(tolerance.line_pts)) / viewport.scale();
    let probe = WorldRect { min: world, max: world }.expanded(margin);
    for (layer_idx, layer) in layers.iter().enumerate().rev() {
        if !layer.visible || layer.opacity <= 0.0 {
            continue;
        }
        let mut hits: Vec<(u8, f32, usize)> = Vec::new();
        for fi in layer.index.query(&probe) {
            if !is_shown(layer_idx, fi) {
                continue;
            }
            let Some(feature) = layer.features.get(fi) else { continue };
            if let Some((class, dist)) = shape_hit(&feature.shape, viewport, pos_pts, tolerance) {
                hits.push((class, dist, fi));
            }
        }
        if let Some(best_class) = hits.iter().map(|h| h.0).min() {
            hits.retain(|h| h.0 == best_class);
            hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)));
            return hits.into_iter().map(|(_, _, feature)| FeatureRef { layer: layer_idx, feature }).collect();
        }
    }
    Vec::new()
}

/// `(class, distance)` when the shape is hit: class 0 point, 1 line, 2 area.
fn shape_hit(shape: &Shape, viewport: &Viewport, pos: [f32; 2], tol: HitTolerance) -> Option<(u8, f32)> {
    let point_d = shape.points.iter().map(|p| dist(viewport.screen_from_world(*p), pos)).fold(f32::INFINITY, f32::min);
    if point_d <= tol.point_pts {
        return Some((0, point_d));
    }
    let line_d = shape.lines().iter().map(|line| polyline_distance(line, viewport, pos)).fold(f32::INFINITY, f32::min);
    if line_d <= tol.line_pts {
        return Some((1, line_d));
    }
    let world = viewport.world_from_screen(pos);
    shape.polygons().iter().any(|rings| polygon_contains(rings, world)).then_some((2, 0.0))
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Distance in points from `pos` to a polyline given in world units.
fn polyline_distance(line: &[[f64; 2]], viewport: &Viewport, pos: [f32; 2]) -> f32 {
    let pts: Vec<[f32; 2]> = line.iter().map(|p| viewport.screen_from_world(*p)).collect();
    if let [only] = pts.as_slice() {
        return dist(*only, pos);
    }
    pts.windows(2).map(|w| segment_distance(w[0], w[1], pos)).fold(f32::INFINITY, f32::min)
}

/// Distance from `p` to the segment `a`–`b`.
pub(crate) fn segment_distance(a: [f32; 2], b: [f32; 2], p: [f32; 2]) -> f32 {
    let ab = [b[0] - a[0], b[1] - a[1]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1];
    let t = if len2 > 0.0 { (((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / len2).clamp(0.0, 1.0) } else { 0.0 };
    dist([a[0] + t * ab[0], a[1] + t * ab[1]], p)
}

/// Even-odd point-in-polygon over all rings (holes excluded).
pub(crate) fn polygon_contains(rings: &[Vec<[f64; 2]>], p: [f64; 2]) -> bool {
    let mut inside = false;
    for ring in rings {
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Feature, LayerKind, LayerSource};
    use geo::{Geometry, LineString, Point, polygon};

    fn feature(g: &Geometry<f64>) -> Feature {
        Feature {
            id: None,
            geometry: None,
            properties: serde_json::Map::new(),
            foreign_members: serde_json::Map::new(),
            shape: Shape::from_geo(Some(g)),
            time: None,
        }
    }

    fn layers() -> Vec<Layer> {
        let area = polygon!(
            exterior: [(x: 70.0, y: 36.0), (x: 73.0, y: 36.0), (x: 73.0, y: 39.0), (x: 70.0, y: 39.0), (x: 70.0, y: 36.0)],
            interiors: [[(x: 72.0, y: 38.0), (x: 72.5, y: 38.0), (x: 72.5, y: 38.5), (x: 72.0, y: 38.5), (x: 72.0, y: 38.0)]],
        );
        let polys = Layer::new("areas", LayerKind::Provinces, LayerSource::Embedded("t"), vec![feature(&area.into())]);
        let line = LineString::from(vec![(70.0, 37.0), (73.0, 37.0)]);
        let lines = Layer::new("rivers", LayerKind::Rivers, LayerSource::Embedded("t"), vec![feature(&line.into())]);
        let pts = Layer::new(
            "places",
            LayerKind::Places,
            LayerSource::Embedded("t"),
            vec![feature(&Point::new(71.0, 38.0).into()), feature(&Point::new(71.5, 37.0).into())],
        );
        vec![polys, lines, pts]
    }

    fn view() -> Viewport {
        Viewport::centered(71.5, 37.5, 8.0, [1000.0, 800.0])
    }

    #[test]
    fn point_beats_line_beats_area() {
        let (layers, v) = (layers(), view());
        let all = |_, _| true;
        let at = |lon, lat| v.screen_from_geo(lon, lat);
        assert_eq!(
            hit_test(&layers, &v, at(71.0, 38.0), HitTolerance::default(), all),
            Some(FeatureRef { layer: 2, feature: 0 })
        );
        assert_eq!(
            hit_test(&layers, &v, at(71.5, 37.0), HitTolerance::default(), all),
            Some(FeatureRef { layer: 2, feature: 1 })
        );
        assert_eq!(
            hit_test(&layers, &v, at(72.5, 37.0), HitTolerance::default(), all),
            Some(FeatureRef { layer: 1, feature: 0 })
        );
        assert_eq!(
            hit_test(&layers, &v, at(70.5, 38.5), HitTolerance::default(), all),
            Some(FeatureRef { layer: 0, feature: 0 })
        );
    }

    #[test]
    fn hole_and_outside_miss() {
        let (layers, v) = (layers(), view());
        let all = |_, _| true;
        assert_eq!(hit_test(&layers, &v, v.screen_from_geo(72.25, 38.25), HitTolerance::default(), all), None);
        assert_eq!(hit_test(&layers, &v, v.screen_from_geo(69.0, 38.25), HitTolerance::default(), all), None);
    }

    #[test]
    fn near_a_point_within_tolerance_hits() {
        let (layers, v) = (layers(), view());
        let p = v.screen_from_geo(71.0, 38.0);
        let hit = hit_test(&layers, &v, [p[0] + 6.0, p[1]], HitTolerance::default(), |_, _| true);
        assert_eq!(hit, Some(FeatureRef { layer: 2, feature: 0 }));
    }

    #[test]
    fn hidden_layers_and_filtered_features_are_skipped() {
        let (mut layers, v) = (layers(), view());
        let p = v.screen_from_geo(71.0, 38.0);
        assert_eq!(
            hit_test(&layers, &v, p, HitTolerance::default(), |l, _| l != 2),
            Some(FeatureRef { layer: 0, feature: 0 })
        );
        layers[2].visible = false;
        assert_eq!(
            hit_test(&layers, &v, p, HitTolerance::default(), |_, _| true),
            Some(FeatureRef { layer: 0, feature: 0 })
        );
    }
}
