//! The date filter applied to every dated layer: one visibility mask per layer.

use super::Catalog;
use crate::time::Range;

/// Which features pass the current date range. Undated layers always pass; in a dated
/// layer a feature without a readable date is shown (it cannot be placed in time, and hiding
/// it would lose it silently).
#[derive(Debug, Clone, Default)]
pub struct TimeFilter {
    /// The date range, or `None` to show everything.
    pub range: Option<Range>,
    masks: Vec<Option<Vec<bool>>>,
    ids: Vec<Option<Vec<usize>>>,
    /// World position of each id in `ids` when that feature is a single point, else NaN:
    /// gathered once per range change so drawing scans one contiguous array per frame.
    points: Vec<Option<Vec<[f64; 2]>>>,
}

/// Per-feature visibility of one layer.
type Mask = Vec<bool>;
/// Visible feature indices of one layer.
type Ids = Vec<usize>;

const NOT_A_POINT: [f64; 2] = [f64::NAN, f64::NAN];

impl TimeFilter {
    /// Computes the masks for `range` over the catalog's dated layers.
    pub fn new(catalog: &Catalog, range: Option<Range>) -> Self {
        let mut filter = Self { range, masks: Vec::new(), ids: Vec::new(), points: Vec::new() };
        filter.update(catalog);
        filter
    }

    /// Recomputes the masks (after the range, the layers or their dates changed).
    pub fn update(&mut self, catalog: &Catalog) {
        let (masks, ids): (Vec<Option<Mask>>, Vec<Option<Ids>>) = catalog
            .layers
            .iter()
            .map(|layer| {
                let (Some(range), Some(index)) = (self.range, layer.time_index.as_ref()) else {
                    return (None, None);
                };
                let mut ids: Vec<usize> = index.visible(&range).collect();
                if index.len() < layer.features.len() {
                    ids.extend(layer.features.spans().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| i));
                }
                let mut mask = vec![false; layer.features.len()];
                for &i in &ids {
                    if let Some(slot) = mask.get_mut(i) {
                        *slot = true;
                    }
                }
                (Some(mask), Some(ids))
            })
            .unzip();
        self.masks = masks;
        self.points = catalog
            .layers
            .iter()
            .zip(&ids)
            .map(|(layer, ids)| {
                ids.as_ref().map(|ids| {
                    ids.iter()
                        .map(|&i| {
                            layer
                                .index
                                .rect(i)
                                .filter(crate::spatial::WorldRect::is_point)
                                .map_or(NOT_A_POINT, |r| r.min)
                        })
                        .collect()
                })
            })
            .collect();
        self.ids = ids;
    }

    /// The features of `layer` that pass with their world positions (NaN for features that
    /// are not a single point), aligned; `None` when the layer is not filtered.
    pub fn visible_points(&self, layer: usize) -> Option<(&[usize], &[[f64; 2]])> {
        let ids = self.ids.get(layer)?.as_deref()?;
        let points = self.points.get(layer)?.as_deref()?;
        Some((ids, points))
    }

    /// The features of `layer` that pass, in no particular order, or `None` when the layer is
    /// not filtered (undated, or no range set).
    pub fn visible_ids(&self, layer: usize) -> Option<&[usize]> {
        self.ids.get(layer).and_then(Option::as_deref)
    }

    /// Whether feature `feature` of layer `layer` passes.
    pub fn is_shown(&self, layer: usize, feature: usize) -> bool {
        match self.masks.get(layer) {
            Some(Some(mask)) => mask.get(feature).copied().unwrap_or(true),
            _ => true,
        }
    }

    /// `(shown, total)` features of a layer.
    pub fn counts(&self, catalog: &Catalog, layer: usize) -> (usize, usize) {
        let total = catalog.layers.get(layer).map_or(0, |l| l.features.len());
        match self.ids.get(layer) {
            Some(Some(ids)) => (ids.len(), total),
            _ => (total, total),
        }
    }
}
