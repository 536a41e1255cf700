//! The catalog: every layer of the map in drawing order (first drawn first).

use super::{Layer, LayerKind};

/// Index of a layer in the catalog.
pub type LayerId = usize;

/// A reference to one feature: layer index and feature index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeatureRef {
    /// The layer.
    pub layer: LayerId,
    /// The feature within the layer.
    pub feature: usize,
}

/// All layers, bottom to top.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Layers in drawing order.
    pub layers: Vec<Layer>,
    /// Top-level members of the project this catalog was opened from that this version does
    /// not know (kept for saving the project again).
    pub project_extra: serde_json::Map<String, serde_json::Value>,
    /// Unknown members of that project's `view`, likewise kept.
    pub view_extra: serde_json::Map<String, serde_json::Value>,
}

impl Catalog {
    /// Adds a layer above its natural neighbours: polygons under lines under points.
    pub fn insert(&mut self, layer: Layer) -> LayerId {
        let rank = draw_rank(layer.kind);
        let at = self.layers.iter().position(|l| draw_rank(l.kind) > rank).unwrap_or(self.layers.len());
        self.layers.insert(at, layer);
        at
    }

    /// The feature a reference points at.
    pub fn feature(&self, r: FeatureRef) -> Option<super::FeatureView<'_>> {
        self.layers.get(r.layer)?.features.get(r.feature)
    }

    /// The position of the layer with `uid`.
    pub fn index_of(&self, uid: super::layer::LayerUid) -> Option<LayerId> {
        self.layers.iter().position(|l| l.uid == uid)
    }

    /// The layer with `uid`.
    pub fn layer_by_uid_mut(&mut self, uid: super::layer::LayerUid) -> Option<&mut Layer> {
        self.layers.iter_mut().find(|l| l.uid == uid)
    }

    /// The first layer of a kind.
    pub fn layer_of_kind(&self, kind: LayerKind) -> Option<(usize, &Layer)> {
        self.layers.iter().enumerate().find(|(_, l)| l.kind == kind)
    }
}

/// Natural drawing order of layer kinds (lower is drawn first).
fn draw_rank(kind: LayerKind) -> u8 {
    match kind {
        LayerKind::Countries => 0,
        LayerKind::Provinces => 1,
        LayerKind::Districts | LayerKind::Generic => 2,
        LayerKind::Regions => 3,
        LayerKind::Lakes => 4,
        LayerKind::Rivers => 5,
        LayerKind::Border => 6,
        LayerKind::Places => 7,
        LayerKind::Aid => 8,
        LayerKind::Events => 9,
    }
}
