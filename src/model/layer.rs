//! A layer: features of one kind with their display settings and spatial index.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::Feature;
use crate::spatial::{FeatureIndex, Indexed, WorldRect};
use crate::time::TimeIndex;

/// What a layer is, which decides its default style and how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// Country polygons.
    Countries,
    /// First-level administrative units.
    Provinces,
    /// Second-level administrative units (districts), usually loaded from a user file.
    Districts,
    /// Named regions such as the Wakhan Corridor.
    Regions,
    /// Lakes and reservoirs.
    Lakes,
    /// Rivers.
    Rivers,
    /// The Tajik–Afghan international border line.
    Border,
    /// Named places.
    Places,
    /// Dated security events (ACLED-compatible).
    Events,
    /// Foreign security assistance.
    Aid,
    /// Any other user layer.
    Generic,
}

impl LayerKind {
    /// A short human name for the kind.
    pub fn label(self) -> &'static str {
        match self {
            Self::Countries => "countries",
            Self::Provinces => "provinces",
            Self::Districts => "districts",
            Self::Regions => "regions",
            Self::Lakes => "lakes",
            Self::Rivers => "rivers",
            Self::Border => "border",
            Self::Places => "places",
            Self::Events => "events",
            Self::Aid => "aid",
            Self::Generic => "layer",
        }
    }
}

/// Where a layer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerSource {
    /// Shipped inside the binary (`geodata/NAME`).
    Embedded(&'static str),
    /// Loaded from a file.
    File(PathBuf),
    /// Opened from the team store (PostgreSQL/PostGIS, issue #12).
    Store {
        /// The connection, never with a password (`postgresql://alice@host:5432/atlas`).
        url: String,
        /// The layer's name in the store.
        layer: String,
    },
}

impl std::fmt::Display for LayerSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded(name) => write!(f, "embedded geodata/{name}"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Store { url, layer } => write!(f, "team store layer “{layer}” at {url}"),
        }
    }
}

/// A layer id that stays the same while layers are added, removed or reordered.
pub type LayerUid = u64;

fn next_uid() -> LayerUid {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// One layer of the map.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Stable identity for commands, undo history and selection.
    pub uid: LayerUid,
    /// The name shown in the layers panel.
    pub name: String,
    /// What the layer is.
    pub kind: LayerKind,
    /// Where it came from.
    pub source: LayerSource,
    /// Whether it is drawn.
    pub visible: bool,
    /// Opacity from 0 (invisible) to 1.
    pub opacity: f32,
    /// Property used for labels and names (e.g. `shapeName` for geoBoundaries files).
    pub label_field: Option<String>,
    /// The features, in file order (see [`super::FeatureStore`]).
    pub features: super::FeatureStore,
    /// Members of the `FeatureCollection` other than `type` and `features` (kept for saving).
    pub foreign_members: Map<String, Value>,
    /// R-tree over feature bounds in world units.
    pub index: FeatureIndex,
    /// Date index of the features that have a span; `None` for an undated layer.
    pub time_index: Option<TimeIndex>,
    /// For generic layers made temporal by the user: the start (and optional end) date fields.
    pub date_fields: Option<(String, Option<String>)>,
    /// Styling category of each feature (index into `category_names`): the event type of an
    /// event, the donor of aid. A compact array, so drawing a million points need not look up
    /// each feature's properties.
    pub categories: Vec<u16>,
    /// The distinct category values, in first-seen order.
    pub category_names: Vec<String>,
    /// How the layer's file was laid out (member order, `properties: null`), for lossless
    /// saves. Edits keep `layout.features` aligned with `features`.
    pub layout: super::SourceLayout,
    /// The table this layer was read from, for a source that holds several (a GeoPackage).
    pub source_table: Option<String>,
    /// Style overrides set by a project (kept across project saves).
    pub style: Option<super::LayerStyleOverride>,
    /// Members of the layer's project entry this version does not know (kept across
    /// project saves).
    pub project_extra: Map<String, Value>,
    /// Simplified copies of the areas and lines per zoom band, for drawing big boundary
    /// layers; `None` (or not yet built) draws full detail. See [`crate::spatial::lod`].
    pub lod: Option<std::sync::Arc<crate::spatial::lod::LodSet>>,
}

/// What an edit did to a layer's feature list (see [`Layer::refresh_after`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Feature `i` changed in place.
    Changed(usize),
    /// A feature was inserted at `i`.
    Inserted(usize),
    /// The feature at `i` was removed.
    Removed(usize),
}

/// The property that styles a layer kind by category.
pub fn category_key(kind: LayerKind) -> Option<&'static str> {
    match kind {
        LayerKind::Events => Some("event_type"),
        LayerKind::Aid => Some("donor"),
        _ => None,
    }
}

/// Category index per feature and the distinct names.
fn categorise(kind: LayerKind, features: &super::FeatureStore) -> (Vec<u16>, Vec<String>) {
    let Some(key) = category_key(kind) else { return (Vec::new(), Vec::new()) };
    let mut names: Vec<String> = Vec::new();
    let cats = features
        .iter()
        .map(|f| {
            let name = f.prop_str(key).unwrap_or_default();
            let i = names.iter().position(|n| n == name).unwrap_or_else(|| {
                names.push(name.to_owned());
                names.len() - 1
            });
            u16::try_from(i).unwrap_or(u16::MAX)
        })
        .collect();
    (cats, names)
}

/// Renumbers categories read against a longer name list in first-seen order, as
/// [`categorise`] numbers them.
fn compact_categories(cats: &[u32], names: &[String]) -> (Vec<u16>, Vec<String>) {
    let mut new_of_old: Vec<Option<u16>> = vec![None; names.len()];
    let mut out_names: Vec<String> = Vec::new();
    let out = cats
        .iter()
        .map(|&c| {
            let Some(slot) = new_of_old.get_mut(c as usize) else { return u16::MAX };
            *slot.get_or_insert_with(|| {
                out_names.push(names.get(c as usize).cloned().unwrap_or_default());
                u16::try_from(out_names.len() - 1).unwrap_or(u16::MAX)
            })
        })
        .collect();
    (out, out_names)
}

impl Layer {
    /// Builds a layer and its spatial index.
    pub fn new(name: impl Into<String>, kind: LayerKind, source: LayerSource, features: Vec<Feature>) -> Self {
        Self::with_store(name, kind, source, super::FeatureStore::from_features(features))
    }

    /// Builds a layer on a store (packed by a fast loader, or decoded) and its spatial index.
    pub fn with_store(
        name: impl Into<String>,
        kind: LayerKind,
        source: LayerSource,
        features: super::FeatureStore,
    ) -> Self {
        Self::with_store_and_categories(name, kind, source, features, None)
    }

    /// [`Layer::with_store`] with the category of each feature already read by the loader:
    /// an index per feature into `names` (which may hold more names than this kind uses).
    pub fn with_store_and_categories(
        name: impl Into<String>,
        kind: LayerKind,
        source: LayerSource,
        features: super::FeatureStore,
        read: Option<(Vec<u32>, Vec<String>)>,
    ) -> Self {
        let index = FeatureIndex::build((0..features.len()).filter_map(|i| features.shape(i)).map(Indexed::of));
        let (categories, category_names) = match read {
            Some((cats, names)) if category_key(kind).is_some() && cats.len() == features.len() => {
                compact_categories(&cats, &names)
            }
            _ => categorise(kind, &features),
        };
        Self {
            categories,
            category_names,
            uid: next_uid(),
            name: name.into(),
            kind,
            source,
            visible: true,
            opacity: 1.0,
            label_field: None,
            features,
            foreign_members: Map::new(),
            index,
            time_index: None,
            date_fields: None,
            layout: super::SourceLayout::default(),
            source_table: None,
            style: None,
            project_extra: Map::new(),
            lod: None,
        }
    }

    /// Brings the spans, categories and spatial index up to date after one feature was
    /// changed, inserted or removed, without decoding packed features (their categories and
    /// spans are kept from before; only the edited feature is read).
    pub fn refresh_after(&mut self, change: Change) {
        let n = self.features.len();
        match change {
            Change::Inserted(i) if self.categories.len() + 1 == n => {
                self.categories.insert(i.min(self.categories.len()), u16::MAX);
            }
            Change::Removed(i) if self.categories.len() == n + 1 && i < self.categories.len() => {
                self.categories.remove(i);
            }
            _ => {}
        }
        if let Change::Changed(i) | Change::Inserted(i) = change {
            super::refresh_span(self, i);
        } else {
            super::index_spans(self);
        }
        match category_key(self.kind) {
            Some(key) if self.categories.len() == n => {
                let mut names: Vec<String> = Vec::new();
                let mut lookup: std::collections::HashMap<String, u16> = std::collections::HashMap::new();
                let mut cats = Vec::with_capacity(n);
                for i in 0..n {
                    let name = if self.features.is_packed(i) {
                        let c = self.categories.get(i).copied().unwrap_or(u16::MAX);
                        self.category_names.get(usize::from(c)).cloned().unwrap_or_default()
                    } else {
                        self.features.get(i).and_then(|f| f.prop_str(key).map(str::to_owned)).unwrap_or_default()
                    };
                    let c = *lookup.entry(name.clone()).or_insert_with(|| {
                        names.push(name);
                        u16::try_from(names.len() - 1).unwrap_or(u16::MAX)
                    });
                    cats.push(c);
                }
                self.categories = cats;
                self.category_names = names;
            }
            _ => (self.categories, self.category_names) = categorise(self.kind, &self.features),
        }
        self.index = FeatureIndex::build((0..n).filter_map(|i| self.features.shape(i)).map(Indexed::of));
        self.refresh_lod();
    }

    /// Rebuilds the changed features' simplified copies, if the layer has them.
    fn refresh_lod(&mut self) {
        if let Some(lod) = self.lod.take() {
            let features = &self.features;
            self.lod = lod.refreshed((0..features.len()).filter_map(|i| features.shape(i)));
        }
    }

    /// Rebuilds the spatial index after features changed.
    pub fn reindex(&mut self) {
        let n = self.features.len();
        self.index = FeatureIndex::build((0..n).filter_map(|i| self.features.shape(i)).map(Indexed::of));
        self.refresh_lod();
        (self.categories, self.category_names) = categorise(self.kind, &self.features);
    }

    /// The category name of feature `i` (see [`Layer::categories`]).
    pub fn category_of(&self, i: usize) -> Option<&str> {
        let c = *self.categories.get(i)?;
        self.category_names.get(usize::from(c)).map(String::as_str)
    }

    /// The bounds of every feature, or `None` for an empty layer.
    pub fn bounds(&self) -> Option<WorldRect> {
        self.index.bounds()
    }

    /// The display name of feature `i`, using the layer's label field.
    pub fn feature_name(&self, i: usize) -> Option<String> {
        self.features.get(i).map(|f| f.display_name(self.label_field.as_deref()))
    }
}
