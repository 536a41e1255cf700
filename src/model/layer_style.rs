//! A layer's style overrides, as a project records them and the Layers panel sets them.

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
    /// Radius of point symbols in screen points.
    pub point_size: Option<f32>,
    /// Shape of point symbols.
    pub point_shape: Option<PointShape>,
    /// Colours by the value of one property (categorised style).
    pub categories: Option<Categories>,
    /// Label every feature with this property.
    pub label: Option<String>,
    /// Points drawn one by one or as a hexbin density; `None` lets the renderer decide (density
    /// when the layer is dense in view, see `render::density`).
    pub point_view: Option<PointView>,
    /// Members this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}

impl LayerStyleOverride {
    /// Whether nothing is overridden (no known member set and no unknown member kept).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The categorised colour of a feature whose `property` has `value`, if the palette has one.
    pub fn category_colour(&self, value: &str) -> Option<Rgba> {
        let c = self.categories.as_ref()?;
        c.colours.iter().find(|(v, _)| v == value).map(|(_, colour)| *colour)
    }
}

/// The shape of a layer's point symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointShape {
    /// A disc.
    Circle,
    /// An axis-aligned square.
    Square,
    /// A square turned 45°.
    Diamond,
}

impl PointShape {
    /// Every shape, in menu order.
    pub const ALL: [Self; 3] = [Self::Circle, Self::Square, Self::Diamond];

    /// The project file's name of the shape.
    pub fn name(self) -> &'static str {
        match self {
            Self::Circle => "circle",
            Self::Square => "square",
            Self::Diamond => "diamond",
        }
    }

    /// The shape named `name` in a project file.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How a point layer is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointView {
    /// One symbol per feature (grouped on a screen grid when very dense).
    Points,
    /// Hexagonal bins coloured by how many features fall in each.
    Density,
}

impl PointView {
    /// Every view, in menu order.
    pub const ALL: [Self; 2] = [Self::Points, Self::Density];

    /// The project file's name of the view.
    pub fn name(self) -> &'static str {
        match self {
            Self::Points => "points",
            Self::Density => "density",
        }
    }

    /// The view named `name` in a project file.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// A categorised style: each listed value of `property` has its colour; other values keep the
/// layer's colour.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Categories {
    /// The property whose value picks the colour.
    pub property: String,
    /// Value and colour, in legend order.
    pub colours: Vec<(String, Rgba)>,
}

/// A palette of well-separated colours for categories and new layers (like `ColorBrewer` Set1).
pub const PALETTE: [Rgba; 10] = [
    [228, 26, 28, 255],
    [55, 126, 184, 255],
    [77, 175, 74, 255],
    [152, 78, 163, 255],
    [255, 127, 0, 255],
    [166, 86, 40, 255],
    [247, 129, 191, 255],
    [27, 158, 119, 255],
    [117, 112, 179, 255],
    [102, 102, 102, 255],
];
