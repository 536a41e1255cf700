//! One map feature, kept losslessly.

use serde_json::{Map, Value};

use crate::spatial::Shape;
use crate::time::DateSpan;

/// A GeoJSON feature id: RFC 7946 allows a string or a number.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureId {
    /// A string id, e.g. `"TJK-FA-001"`.
    Str(String),
    /// A numeric id, kept as the original JSON number.
    Num(serde_json::Number),
}

impl std::fmt::Display for FeatureId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Str(s) => f.write_str(s),
            Self::Num(n) => write!(f, "{n}"),
        }
    }
}

/// One feature of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The GeoJSON `id`, if the file had one.
    pub id: Option<FeatureId>,
    /// The original GeoJSON geometry object, as read (kept for lossless saves; `None` for a
    /// null geometry).
    pub geometry: Option<serde_json::Value>,
    /// Properties in file order.
    pub properties: Map<String, Value>,
    /// Members of the Feature object other than `type`, `id`, `geometry`, `properties`.
    pub foreign_members: Map<String, Value>,
    /// Derived geometry in Web-Mercator world units, ready to draw and hit-test.
    pub shape: Shape,
    /// The feature's date span, for dated layers.
    pub time: Option<DateSpan>,
}

impl Feature {
    /// A property as text: strings as they are, numbers and booleans formatted, others JSON.
    pub fn prop_text(&self, key: &str) -> Option<String> {
        match self.properties.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// A property as a string slice, when it is a JSON string.
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_str)
    }

    /// A property as a number, when it is a JSON number (or a numeric string).
    pub fn prop_f64(&self, key: &str) -> Option<f64> {
        match self.properties.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The feature's display name: the first non-empty of `label_field`, `name`, `shapeName`,
    /// `location`, `title`, then the id.
    pub fn display_name(&self, label_field: Option<&str>) -> String {
        let keys = [label_field.unwrap_or("name"), "name", "shapeName", "location", "title"];
        for key in keys {
            if let Some(text) = self.prop_str(key) {
                let text = text.trim();
                if !text.is_empty() {
                    return text.to_owned();
                }
            }
        }
        self.id.as_ref().map_or_else(|| "(unnamed)".to_owned(), ToString::to_string)
    }

    /// Alternate names for search: the `alt_names` array (or comma-separated string).
    pub fn alt_names(&self) -> Vec<String> {
        match self.properties.get("alt_names") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_owned()).collect(),
            _ => Vec::new(),
        }
    }
}
