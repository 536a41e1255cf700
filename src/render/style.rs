//! Colours and widths by layer kind and category. One place for every colour of the map.

use super::{Color, MarkerShape};
use crate::model::{Feature, Layer, LayerKind, LayerStyleOverride, PALETTE, PointShape};

/// Background outside any country (the window is landlocked; this reads as "no data").
pub const BACKGROUND: Color = Color::hex(0xdde6ee);
/// The Tajik–Afghan border's translucent band, drawn under rivers.
pub const BORDER_BAND: Color = Color([200, 30, 50, 80]);
/// The Tajik–Afghan border's centre line, drawn over rivers.
pub const BORDER_LINE: Color = Color::hex(0x9e1030);
/// Label text.
pub const LABEL_TEXT: Color = Color::hex(0x222222);
/// Label halo.
pub const LABEL_HALO: Color = Color([255, 255, 255, 210]);

/// Ground radius in km of the halo around an approximate location, and its legend row:
/// precision 2 (known to the district or near a named place), precision 3 (known only to
/// the province, or a national fact placed at the capital).
pub const HALO_KM: [(f64, &str); 2] = [
    (10.0, "Halo: place known to ~10 km (district)"),
    (40.0, "Halo: place known only to the province or country (~40 km)"),
];
/// Largest halo drawn, in points: up to it a halo is drawn to scale (40 km up to about
/// zoom 8.5); beyond it the disc would hide the map it qualifies.
pub const HALO_MAX_PTS: f32 = 300.0;
/// Legend swatch of the halo rows.
pub const HALO_LEGEND: Color = Color([90, 90, 90, 70]);
/// Legend group of the halo rows (after events and aid).
pub const HALO_LEGEND_GROUP: u8 = 30;

/// How a layer's features are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerStyle {
    /// Area fill (transparent for none).
    pub fill: Color,
    /// Outline or line colour.
    pub stroke: Color,
    /// Line width in points.
    pub stroke_pts: f32,
    /// Dash pattern of outlines.
    pub dash: Option<[f32; 2]>,
    /// Point symbol.
    pub marker: MarkerShape,
    /// Point radius in points.
    pub radius_pts: f32,
    /// Point fill.
    pub marker_fill: Color,
}

/// The default style of a layer kind.
pub fn layer_style(kind: LayerKind) -> LayerStyle {
    let base = LayerStyle {
        fill: Color::TRANSPARENT,
        stroke: Color::hex(0x555555),
        stroke_pts: 1.0,
        dash: None,
        marker: MarkerShape::Circle,
        radius_pts: 4.0,
        marker_fill: Color::hex(0x4a6fa5),
    };
    match kind {
        LayerKind::Countries => {
            LayerStyle { fill: Color::hex(0xece6dc), stroke: Color::hex(0x6f6a64), stroke_pts: 1.2, ..base }
        }
        LayerKind::Provinces => {
            LayerStyle { stroke: Color::hex(0x9c8f7e), stroke_pts: 0.7, dash: Some([5.0, 3.0]), ..base }
        }
        LayerKind::Districts => LayerStyle {
            // Outlined, not tinted: the country colours stay readable under 83 districts.
            fill: Color([180, 150, 110, 0]),
            stroke: Color::hex(0x8a6d4b),
            stroke_pts: 0.8,
            dash: Some([2.0, 2.0]),
            ..base
        },
        LayerKind::Regions => LayerStyle {
            fill: Color([205, 120, 40, 40]),
            stroke: Color::hex(0xb5651d),
            stroke_pts: 1.2,
            dash: Some([6.0, 3.0]),
            ..base
        },
        LayerKind::Lakes => {
            LayerStyle { fill: Color::hex(0x9cc3e4), stroke: Color::hex(0x6c9fcb), stroke_pts: 0.6, ..base }
        }
        LayerKind::Rivers => LayerStyle { stroke: Color::hex(0x3f83c9), stroke_pts: 1.3, ..base },
        LayerKind::Border => LayerStyle { stroke: BORDER_LINE, stroke_pts: 1.6, dash: Some([8.0, 4.0]), ..base },
        LayerKind::Places => LayerStyle {
            stroke: Color::hex(0x222222),
            stroke_pts: 1.2,
            radius_pts: 3.0,
            marker_fill: Color::hex(0xffffff),
            ..base
        },
        LayerKind::Events => LayerStyle { stroke: Color::hex(0xffffff), radius_pts: 5.0, ..base },
        LayerKind::Aid => {
            LayerStyle { stroke: Color::hex(0x1b1b1b), marker: MarkerShape::Diamond, radius_pts: 6.5, ..base }
        }
        LayerKind::Generic => LayerStyle { fill: Color([74, 111, 165, 40]), stroke: Color::hex(0x4a6fa5), ..base },
    }
}

/// Fill colour of a country polygon by ISO code, so neighbours read apart.
pub fn country_fill(feature: &Feature) -> Color {
    let iso = feature.prop_str("iso_a3").or_else(|| feature.prop_str("shapeGroup")).unwrap_or_default();
    match iso {
        "TJK" => Color::hex(0xf3e3b5),
        "AFG" => Color::hex(0xdde8cc),
        "UZB" => Color::hex(0xebe2d9),
        "KGZ" => Color::hex(0xe9dde6),
        "CHN" => Color::hex(0xf0dcd5),
        "PAK" => Color::hex(0xdfe3ec),
        "TKM" => Color::hex(0xe6e9da),
        "IND" => Color::hex(0xeee4d2),
        _ => Color::hex(0xe8e4dc),
    }
}

/// Colour of an ACLED event type.
pub fn event_color(event_type: &str) -> Color {
    match event_type {
        "Battles" => Color::hex(0xc0392b),
        "Explosions/Remote violence" => Color::hex(0xe67e22),
        "Violence against civilians" => Color::hex(0x8e44ad),
        "Protests" => Color::hex(0x2e86c1),
        "Riots" => Color::hex(0xd4ac0d),
        "Strategic developments" => Color::hex(0x17a589),
        _ => Color::hex(0x7f8c8d),
    }
}

/// Colour of an aid donor. A programme of several donors ("United States and Russia") has a
/// colour of its own: found comparing the legend with the map, it had the United States'
/// blue, and its legend row could not be told from theirs.
pub fn aid_color(donor: &str) -> Color {
    let d = donor.to_ascii_lowercase();
    let joint = [" and ", ",", "&", "/", "+"].iter().any(|s| d.contains(s));
    if joint {
        Color::hex(0x795548)
    } else if d.contains("united states") || d == "us" || d.contains("usa") {
        Color::hex(0x1f4e9c)
    } else if d.contains("russia") {
        Color::hex(0xb71c1c)
    } else if d.contains("china") {
        Color::hex(0xe0a100)
    } else if d.contains("csto") {
        Color::hex(0x6a1b9a)
    } else if d.contains("european") || d.contains("eu") || d.contains("osce") {
        Color::hex(0x00838f)
    } else {
        Color::hex(0x546e7a)
    }
}

/// Legend group of layers without a legend of their own (user point, line and area layers,
/// and any layer the analyst styled).
pub const USER_LEGEND_GROUP: u8 = 40;

/// A layer's style: its kind's default with the analyst's overrides (`Layer::style`) applied.
/// User layers without an override get a palette colour picked by name, so two of them never
/// share one swatch by default.
pub fn effective_style(layer: &Layer) -> LayerStyle {
    let s = default_style_of(layer);
    match &layer.style {
        Some(o) => apply_override(s, o),
        None => s,
    }
}

/// A layer's style before the analyst's overrides: its kind's default, and for a user layer
/// a palette colour picked by its name.
pub fn default_style_of(layer: &Layer) -> LayerStyle {
    let mut s = layer_style(layer.kind);
    if layer.kind == LayerKind::Generic {
        let hash = layer.name.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        let c = PALETTE.get(hash as usize % PALETTE.len()).copied().unwrap_or([74, 111, 165, 255]);
        s.stroke = Color(c);
        s.marker_fill = Color(c);
        s.fill = Color([c[0], c[1], c[2], 40]);
    }
    s
}

/// The fill colour a layer is drawn with before the analyst picks one: its areas' fill when it
/// has areas (clear for districts, which are outlined), its points' colour otherwise. The style
/// editor's "Fill colour" swatch shows this, so the swatch is what the map draws.
pub fn default_fill_of(layer: &Layer) -> Color {
    let s = default_style_of(layer);
    if layer.index.has_areas() { s.fill } else { s.marker_fill }
}

/// `s` with the overrides `o` sets.
pub fn apply_override(mut s: LayerStyle, o: &LayerStyleOverride) -> LayerStyle {
    if let Some(c) = o.fill {
        s.fill = Color(c);
        s.marker_fill = Color(c);
    }
    if let Some(c) = o.stroke {
        s.stroke = Color(c);
    }
    if let Some(w) = o.stroke_width {
        s.stroke_pts = w.clamp(0.0, 50.0);
    }
    if let Some(r) = o.point_size {
        s.radius_pts = r.clamp(0.5, 60.0);
    }
    if let Some(shape) = o.point_shape {
        s.marker = marker_shape(shape);
    }
    s
}

/// The scene's marker shape for a style's point shape.
pub fn marker_shape(shape: PointShape) -> MarkerShape {
    match shape {
        PointShape::Circle => MarkerShape::Circle,
        PointShape::Square => MarkerShape::Square,
        PointShape::Diamond => MarkerShape::Diamond,
    }
}

/// A feature's colour under the layer's categorised style, with its legend label
/// ("Layer: value"), when the palette has its value.
pub fn category_colour(layer: &Layer, f: &Feature) -> Option<(Color, String)> {
    let style = layer.style.as_ref()?;
    let property = &style.categories.as_ref()?.property;
    let value = f.prop_text(property)?;
    let colour = style.category_colour(&value)?;
    Some((Color(colour), format!("{}: {value}", layer.name)))
}

/// Whether the analyst recoloured the layer (so the legend names the layer or its chosen
/// categories instead of the kind's own categories).
pub fn styled(layer: &Layer) -> bool {
    layer.style.as_ref().is_some_and(|o| o.fill.is_some() || o.categories.is_some())
}
