//! The scene: what to draw, in screen points, in painting order.

/// An sRGB colour with straight (not premultiplied) alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color(pub [u8; 4]);

impl Color {
    /// An opaque colour from `0xRRGGBB`.
    pub const fn hex(rgb: u32) -> Self {
        Self([(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8, 255])
    }

    /// The same colour with alpha `a` (0–255).
    #[must_use]
    pub const fn alpha(self, a: u8) -> Self {
        let [r, g, b, _] = self.0;
        Self([r, g, b, a])
    }

    /// The colour with its alpha multiplied by `opacity` (0–1).
    #[must_use]
    pub fn faded(self, opacity: f32) -> Self {
        let [r, g, b, a] = self.0;
        Self([r, g, b, (f32::from(a) * opacity.clamp(0.0, 1.0)).round() as u8])
    }

    /// `#rrggbb` for SVG.
    pub fn css_rgb(self) -> String {
        let [r, g, b, _] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// Alpha as 0–1.
    pub fn opacity(self) -> f32 {
        f32::from(self.0[3]) / 255.0
    }

    /// Fully transparent.
    pub const TRANSPARENT: Self = Self([0, 0, 0, 0]);
}

/// Triangles in screen points.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    /// Vertex positions.
    pub vertices: Vec<[f32; 2]>,
    /// Three indices per triangle.
    pub indices: Vec<u32>,
}

/// The outline of a point symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerShape {
    /// A disc.
    Circle,
    /// An axis-aligned square.
    Square,
    /// A square turned 45°.
    Diamond,
}

/// One primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A filled area: `mesh` for painters that need triangles, `rings` (closed, even-odd) for
    /// vector output.
    Fill {
        /// Triangles.
        mesh: Mesh,
        /// Rings in screen points.
        rings: Vec<Vec<[f32; 2]>>,
        /// Fill colour.
        color: Color,
    },
    /// A polyline.
    Stroke {
        /// Vertices in screen points.
        points: Vec<[f32; 2]>,
        /// Width in points.
        width: f32,
        /// Colour.
        color: Color,
        /// Dash and gap lengths in points, or `None` for a solid line.
        dash: Option<[f32; 2]>,
    },
    /// A point symbol.
    Marker {
        /// Centre in screen points.
        center: [f32; 2],
        /// Radius in points.
        radius: f32,
        /// Shape.
        shape: MarkerShape,
        /// Fill (transparent for a hollow symbol).
        fill: Color,
        /// Outline colour.
        stroke: Color,
        /// Outline width in points.
        stroke_width: f32,
    },
    /// A short text centred on a point (counts on clustered symbols).
    Text {
        /// Centre in screen points.
        center: [f32; 2],
        /// The text.
        text: String,
        /// Font size in points.
        font_pts: f32,
        /// Colour.
        color: Color,
    },
}

/// A text label with a halo; `pos` is the top-left corner of its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// Top-left corner in screen points.
    pub pos: [f32; 2],
    /// Box size in points.
    pub size: [f32; 2],
    /// Font size in points.
    pub font_pts: f32,
    /// Text colour.
    pub color: Color,
    /// Halo colour drawn around the glyphs.
    pub halo: Color,
    /// Italic (regions, water).
    pub italic: bool,
}

/// A scale bar: a length in km and how many points it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleBar {
    /// Ground length in km.
    pub length_km: f64,
    /// Screen length in points.
    pub length_pts: f32,
}

/// What a legend swatch looks like.
#[derive(Debug, Clone, PartialEq)]
pub enum LegendSwatch {
    /// A filled area.
    Area(Color),
    /// A line as the map draws it: its colour and width, its dash (on, off), and the band
    /// drawn under it (colour, width), as the border's pale band under its dashed core.
    Line { color: Color, width: f32, dash: Option<[f32; 2]>, band: Option<(Color, f32)> },
    /// A point symbol.
    Marker(MarkerShape, Color),
    /// Counts in classes, light to dark: each class's colour and its range ("1–3"). Drawn
    /// under the entry's label as one row of cells with the ranges beneath them, so that a
    /// density layer takes two lines of the legend rather than a line per class.
    Classes(Vec<(Color, String)>),
}

impl LegendSwatch {
    /// The width of each cell of a [`LegendSwatch::Classes`] whose ranges are written at
    /// `font_pts`: the widest range and a little room (every cell is as wide, as on a ramp).
    pub fn class_cell_width(classes: &[(Color, String)], font_pts: f32) -> f32 {
        classes.iter().map(|(_, range)| super::text_width_pts(range, font_pts) + 6.0).fold(22.0, f32::max)
    }

    /// A plain line.
    pub fn line(color: Color, width: f32) -> Self {
        Self::Line { color, width, dash: None, band: None }
    }

    /// A line with the dash the map draws it with.
    pub fn dashed(color: Color, width: f32, dash: Option<[f32; 2]>) -> Self {
        Self::Line { color, width, dash, band: None }
    }
}

/// The corner of the map the legend box sits in (View → Legend position; `--legend-corner`).
/// Top right by default; an analyst moves it off what the legend would hide (at the home
/// view it covers Murghob and the Kyrgyz border).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LegendCorner {
    /// Top right.
    #[default]
    TopRight,
    /// Top left (under the title of an export).
    TopLeft,
    /// Bottom right.
    BottomRight,
    /// Bottom left (above the scale bar).
    BottomLeft,
}

impl LegendCorner {
    /// Every corner, in menu order, with its menu label.
    pub const ALL: [(Self, &'static str); 4] = [
        (Self::TopRight, "Top right"),
        (Self::TopLeft, "Top left"),
        (Self::BottomRight, "Bottom right"),
        (Self::BottomLeft, "Bottom left"),
    ];

    /// The top-left corner of a legend box of `size` in a picture of `picture` points, 10
    /// points in from its edges, below `top` points kept for a title (on the left) and above
    /// `bottom` kept for the scale bar, the north arrow and the attribution. A legend larger
    /// than the picture starts at its top or left edge, so its swatches stay in view.
    pub fn place(self, picture: [f32; 2], size: [f32; 2], top: f32, bottom: f32) -> [f32; 2] {
        const MARGIN: f32 = 10.0;
        let [w, h] = picture;
        let right = (w - size[0] - MARGIN).max(MARGIN);
        let low = (h - size[1] - MARGIN - bottom).max(MARGIN);
        match self {
            Self::TopRight => [right, MARGIN],
            Self::TopLeft => [MARGIN, (MARGIN + top).min(low).max(MARGIN)],
            Self::BottomRight => [right, low],
            Self::BottomLeft => [MARGIN, low],
        }
    }
}

/// One legend row.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Row text.
    pub label: String,
    /// Swatch.
    pub swatch: LegendSwatch,
}

/// Everything to draw for one viewport.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Size in points.
    pub size_pts: [f32; 2],
    /// Background colour.
    pub background: Color,
    /// Primitives in painting order.
    pub items: Vec<Item>,
    /// Labels, already free of overlaps, drawn after `items`.
    pub labels: Vec<Label>,
    /// Scale bar for the view centre.
    pub scale_bar: ScaleBar,
    /// Legend rows for what is visible.
    pub legend: Vec<LegendEntry>,
    /// Data attribution line.
    pub attribution: String,
    /// Point layers drawn as hexbin densities (what a click on a bin lists).
    pub density: Vec<super::density::DensityLayer>,
    /// The count badges drawn beside grouped symbols: a click on one is a click on its
    /// symbol ([`Scene::aim`]).
    pub badges: Vec<Badge>,
}

/// A count badge as drawn: its disc, and the centre of the symbol it counts (screen points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Badge {
    /// The disc's centre.
    pub center: [f32; 2],
    /// The disc's radius.
    pub radius: f32,
    /// The centre of the symbol whose features it counts.
    pub symbol: [f32; 2],
}

impl Scene {
    /// Where a click at `p` (screen points) is aimed: at a badge's symbol when `p` is on the
    /// badge (the last drawn, on top, first), else at `p`. Found walking the app: a click on
    /// the count of a group of events selected the province under it, as the badge lies
    /// beyond the symbol that a click is tested against.
    pub fn aim(&self, p: [f32; 2]) -> [f32; 2] {
        self.badges
            .iter()
            .rev()
            .find(|b| (p[0] - b.center[0]).hypot(p[1] - b.center[1]) <= b.radius + 1.0)
            .map_or(p, |b| b.symbol)
    }
}
