//! Which feature of which layer is under the cursor: walks the layers top to bottom and asks
//! [`crate::spatial::Probe`] about each layer's shapes by id.

use super::{FeatureRef, Layer};
use crate::spatial::{HitTolerance, Probe, Viewport};

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
    let probe = Probe::new(viewport, pos_pts, tolerance);
    for (layer_idx, layer) in layers.iter().enumerate().rev() {
        if !layer.visible || layer.opacity <= 0.0 {
            continue;
        }
        let best = probe.best_in(&layer.index, |fi| {
            if !is_shown(layer_idx, fi) {
                return None;
            }
            let f = layer.features.get(fi)?;
            probe.test(&f.shape)
        });
        if !best.is_empty() {
            return best.into_iter().map(|feature| FeatureRef { layer: layer_idx, feature }).collect();
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Feature, LayerKind, LayerSource};
    use crate::spatial::Shape;
    use geo::{Geometry, Point, polygon};

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

    #[test]
    fn top_layer_first_hidden_layers_and_filtered_features_skipped() {
        let area = polygon![(x: 70.0, y: 36.0), (x: 73.0, y: 36.0), (x: 73.0, y: 39.0), (x: 70.0, y: 36.0)];
        let polys = Layer::new("areas", LayerKind::Provinces, LayerSource::Embedded("t"), vec![feature(&area.into())]);
        let pts = Layer::new(
            "places",
            LayerKind::Places,
            LayerSource::Embedded("t"),
            vec![feature(&Point::new(71.0, 38.0).into()), feature(&Point::new(72.5, 36.5).into())],
        );
        let mut layers = vec![polys, pts];
        let v = Viewport::centered(71.5, 37.5, 8.0, [1000.0, 800.0]);
        let p = v.screen_from_geo(72.5, 36.5);
        let tol = HitTolerance::default();
        assert_eq!(hit_test(&layers, &v, p, tol, |_, _| true), Some(FeatureRef { layer: 1, feature: 1 }));
        assert_eq!(hit_test(&layers, &v, p, tol, |l, _| l != 1), Some(FeatureRef { layer: 0, feature: 0 }));
        layers[1].visible = false;
        assert_eq!(hit_test(&layers, &v, p, tol, |_, _| true), Some(FeatureRef { layer: 0, feature: 0 }));
        assert_eq!(hit_test(&layers, &v, v.screen_from_geo(71.0, 38.0), tol, |_, _| true), None);
    }
}
