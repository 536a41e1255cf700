//! A layer's style overrides, as a project records them.

use serde_json::{Map, Value};

/// An RGBA colour, straight (not premultiplied) alpha.
pub type Rgba = [u8; 4];

/// Per-layer style overrides. Stored in projects and kept on every round trip (unknown
/// members included); the renderer applies the kind defaults where a value is absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerStyleOverride {
    /// Fill colour of polygons and point markers.
    pub fill: Option<Rgba>,
    /// Stroke colour of lines and outlines.
    pub stroke: Option<Rgba>,
    /// Stroke width in screen points.
    pub stroke_width: Option<f32>,
    /// Members this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}
