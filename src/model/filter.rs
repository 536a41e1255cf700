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
}

impl TimeFilter {
    /// Computes the masks for `range` over the catalog's dated layers.
    pub fn new(catalog: &Catalog, range: Option<Range>) -> Self {
        let mut filter = Self { range, masks: Vec::new() };
        filter.update(catalog);
        filter
    }

    /// Recomputes the masks (after the range, the layers or their dates changed).
    pub fn update(&mut self, catalog: &Catalog) {
        self.masks = catalog
            .layers
            .iter()
            .map(|layer| {
                let (Some(range), Some(index)) = (self.range, layer.time_index.as_ref()) else {
                    return None;
                };
                let mut mask = vec![false; layer.features.len()];
                index.fill_mask(&range, &mut mask);
                for (slot, f) in mask.iter_mut().zip(&layer.features) {
                    if f.time.is_none() {
                        *slot = true;
                    }
                }
                Some(mask)
            })
            .collect();
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
        match self.masks.get(layer) {
            Some(Some(mask)) => (mask.iter().filter(|&&b| b).count(), total),
            _ => (total, total),
        }
    }
}
