//! Scenes: the saved views of a briefing (view, visible layers and their styles, date range,
//! title, notes and highlighted features), kept in the project file in deck order.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::{LayerRef, LayerStyleOverride, ProjectView};
use crate::model::{Catalog, LayerSource};
use crate::spatial::Viewport;
use crate::time::Range;

/// One scene of a briefing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectScene {
    /// The title printed on the page and shown in the Scenes panel.
    pub title: String,
    /// The analyst's notes (a few lines; line breaks kept).
    pub notes: String,
    /// Longitude of the view centre, degrees.
    pub center_lon: f64,
    /// Latitude of the view centre, degrees.
    pub center_lat: f64,
    /// Zoom level (see [`Viewport::zoom`]).
    pub zoom: f64,
    /// The date range, inclusive; `None` shows all dates.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// The visible layers with their opacity and style, by layer reference; `None` keeps the
    /// project's own visibility. Layers of the project not listed here are hidden.
    pub layers: Option<Vec<SceneLayer>>,
    /// Ids of features drawn highlighted (any layer), e.g. `"TJK-FA-010"`.
    pub highlight: Vec<String>,
    /// Members this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}

/// A layer shown in a scene.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneLayer {
    /// Which project layer (the same reference as the layer entry's `embedded` or `path`).
    pub source: LayerRef,
    /// For a file holding several layers (a GeoPackage), the table.
    pub table: Option<String>,
    /// Opacity 0–1; `None` keeps the layer's own.
    pub opacity: Option<f32>,
    /// Style overrides in this scene; `None` keeps the layer's own.
    pub style: Option<LayerStyleOverride>,
    /// Members this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}

impl SceneLayer {
    /// Whether this entry refers to `source` (and `table`).
    pub fn refers_to(&self, source: &LayerSource, table: Option<&str>) -> bool {
        let same = match (&self.source, source) {
            (LayerRef::Embedded(a), LayerSource::Embedded(b)) => a == b,
            (LayerRef::Path(a), LayerSource::File(b)) => {
                a == b || super::paths::absolute(a) == super::paths::absolute(b)
            }
            _ => false,
        };
        same && self.table.as_deref() == table
    }
}

impl ProjectScene {
    /// A scene of a viewport, a date range and the catalog's visible layers (with their
    /// opacity and style).
    pub fn capture(title: impl Into<String>, view: &Viewport, range: Option<Range>, catalog: &Catalog) -> Self {
        let v = ProjectView::from_viewport(view);
        let layers = catalog
            .layers
            .iter()
            .filter(|l| l.visible)
            .filter_map(|l| {
                let source = match &l.source {
                    LayerSource::Embedded(file) => LayerRef::Embedded((*file).to_owned()),
                    LayerSource::File(path) => LayerRef::Path(super::paths::absolute(path)),
                    // Team store layers are not project files' to keep.
                    LayerSource::Store { .. } => return None,
                };
                Some(SceneLayer {
                    source,
                    table: l.source_table.clone(),
                    opacity: Some(l.opacity),
                    style: l.style.clone(),
                    extra: Map::new(),
                })
            })
            .collect();
        Self {
            title: title.into(),
            notes: String::new(),
            center_lon: v.center_lon,
            center_lat: v.center_lat,
            zoom: v.zoom,
            range: range.map(|r| (r.from, r.to)),
            layers: Some(layers),
            highlight: Vec::new(),
            extra: Map::new(),
        }
    }

    /// The viewport showing the scene on a screen area of `size_pts`.
    pub fn viewport(&self, size_pts: [f32; 2]) -> Viewport {
        Viewport::centered(self.center_lon, self.center_lat, self.zoom, size_pts)
    }

    /// The date range as a [`Range`].
    pub fn time_range(&self) -> Option<Range> {
        self.range.map(|(a, b)| Range::new(a, b))
    }

    /// Applies the scene's layer list to a catalog: listed layers are shown with the scene's
    /// opacity and style, the others hidden. Without a list the catalog is left as it is.
    /// Returns the references of listed layers the catalog does not hold.
    pub fn apply_layers(&self, catalog: &mut Catalog) -> Vec<String> {
        let Some(list) = &self.layers else { return Vec::new() };
        for layer in &mut catalog.layers {
            let entry = list.iter().find(|e| e.refers_to(&layer.source, layer.source_table.as_deref()));
            layer.visible = entry.is_some();
            if let Some(entry) = entry {
                if let Some(o) = entry.opacity {
                    layer.opacity = o.clamp(0.0, 1.0);
                }
                if entry.style.is_some() {
                    layer.style.clone_from(&entry.style);
                }
            }
        }
        list.iter()
            .filter(|e| !catalog.layers.iter().any(|l| e.refers_to(&l.source, l.source_table.as_deref())))
            .map(|e| match &e.source {
                LayerRef::Embedded(f) => format!("geodata/{f}"),
                LayerRef::Path(p) => p.display().to_string(),
            })
            .collect()
    }
}

/// Parses a scene selection such as `1,3-5` (1-based, in the order given, repeats dropped)
/// against `count` scenes; 0-based indices.
pub fn parse_selection(text: &str, count: usize) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let number = |t: &str| -> Result<usize, String> {
            let n: usize = t.trim().parse().map_err(|e| format!("`{t}` is not a scene number ({e})"))?;
            if n == 0 || n > count {
                return Err(format!("there is no scene {n} (the project has {count})"));
            }
            Ok(n - 1)
        };
        let (a, b) = if let Some((a, b)) = part.split_once('-') {
            (number(a)?, number(b)?)
        } else {
            let n = number(part)?;
            (n, n)
        };
        if a > b {
            return Err(format!("`{part}`: the range runs backwards"));
        }
        for i in a..=b {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections() {
        assert_eq!(parse_selection("1,3-5", 5), Ok(vec![0, 2, 3, 4]));
        assert_eq!(parse_selection("2, 1, 2", 3), Ok(vec![1, 0]));
        assert!(parse_selection("0", 3).is_err());
        assert!(parse_selection("4", 3).unwrap_err().contains("no scene 4"));
        assert!(parse_selection("3-1", 3).is_err());
        assert!(parse_selection("x", 3).is_err());
        assert!(parse_selection("", 3).is_err());
    }
}
