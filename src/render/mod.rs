//! Builds a [`Scene`] — styled primitives in screen points for one viewport — from the catalog.
//!
//! The scene is pure data: the egui painter draws it in the app and the SVG writer turns it
//! into files (PNG through resvg), so the live map and a briefing export are the same picture.

pub mod animate;
mod builder;
pub mod deck;
pub mod density;
pub mod export;
mod labels;
pub mod points;
mod scene;
mod style;
pub mod svg;
mod text;

pub use builder::{SceneOptions, build_scene};
pub use labels::{LabelCandidate, place_labels};
pub use scene::{Color, Item, Label, LegendCorner, LegendEntry, LegendSwatch, MarkerShape, Mesh, ScaleBar, Scene};
pub use style::{
    BORDER_BAND, BORDER_LINE, LayerStyle, aid_color, default_fill_of, default_style_of, effective_style, event_color,
    layer_style,
};
pub use text::{LABEL_FONT, text_width_pts, wrap};
