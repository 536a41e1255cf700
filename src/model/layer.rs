//! A layer: features of one kind with their display settings and spatial index.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::Feature;
use crate::spatial::lod::LodEdit;
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
    /// What new ids must avoid ([`Layer::id_tally`]); tallied by the fast loaders, else on
    /// first use, and kept up to date by edits.
    ids: super::ids::TallyCell,
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
        let index = Self::build_index(&features);
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
            ids: super::ids::TallyCell::default(),
        }
    }

    /// Brings the spans, categories, spatial index, time index and simplified copies up to
    /// date after one feature was changed, inserted or removed, in proportion to the edit:
    /// only the edited feature is read (nothing packed is decoded), the R-tree and the time
    /// index are changed in place (an insert or removal before the end renumbers the ids
    /// after it in one pass), and only that feature's simplified copies are made again.
    pub fn refresh_after(&mut self, change: Change) {
        if let Change::Inserted(i) = change
            && let Some(tally) = self.ids.0.get_mut()
        {
            tally.add(self.features.get(i).and_then(|f| f.id.clone()).as_ref());
        }
        super::dated::refresh_span_at(self, change);
        self.refresh_category(change);
        let summary = |layer: &Self, i: usize| layer.features.shape(i).map(Indexed::of).unwrap_or_default();
        match change {
            Change::Changed(i) => self.index.replace(i, summary(self, i)),
            Change::Inserted(i) => self.index.insert(i, summary(self, i)),
            Change::Removed(i) => self.index.remove(i),
        }
        if self.index.ids() != self.features.len() {
            // The index was not this layer's (changed outside the edit commands).
            self.index = Self::build_index(&self.features);
        } else if crate::render::density::keeps_indexes() {
            // An edit before the trees were made let their build go: start it again.
            self.index.start_building();
        }
        if let Some(lod) = self.lod.take() {
            let features = &self.features;
            let edit = match change {
                Change::Changed(i) => LodEdit::Changed(i),
                Change::Inserted(i) => LodEdit::Inserted(i),
                Change::Removed(i) => LodEdit::Removed(i),
            };
            self.lod = lod.edited(edit, |i| features.shape(i), features.len());
        }
    }

    /// The category of the edited feature, in place; the other features keep theirs. Names
    /// are kept in the order first met, a name no longer used stays listed (colours go by
    /// name, so nothing changes colour).
    fn refresh_category(&mut self, change: Change) {
        let n = self.features.len();
        let Some(key) = category_key(self.kind) else {
            self.categories.clear();
            self.category_names.clear();
            return;
        };
        let i = match change {
            Change::Inserted(i) if self.categories.len() + 1 == n => {
                let i = i.min(self.categories.len());
                self.categories.insert(i, u16::MAX);
                i
            }
            Change::Removed(i) if self.categories.len() == n + 1 && i < self.categories.len() => {
                self.categories.remove(i);
                return;
            }
            Change::Changed(i) if self.categories.len() == n => i,
            _ => {
                (self.categories, self.category_names) = categorise(self.kind, &self.features);
                return;
            }
        };
        let name = self.features.get(i).and_then(|f| f.prop_str(key).map(str::to_owned)).unwrap_or_default();
        let c = if let Some(c) = self.category_names.iter().position(|n| *n == name) {
            c
        } else {
            self.category_names.push(name);
            self.category_names.len() - 1
        };
        if let Some(slot) = self.categories.get_mut(i) {
            *slot = u16::try_from(c).unwrap_or(u16::MAX);
        }
    }

    /// Rebuilds the changed features' simplified copies, if the layer has them.
    fn refresh_lod(&mut self) {
        if let Some(lod) = self.lod.take() {
            let features = &self.features;
            self.lod = lod.refreshed((0..features.len()).filter_map(|i| features.shape(i)));
        }
    }

    /// The spatial index of `features` (their summaries read on every core). A big layer's
    /// trees are made on a worker after it is handed over (when frames are to come; else on
    /// first query): nothing the first frame draws waits for them, and a query before they
    /// are made scans the bounds column instead (see [`FeatureIndex::query`]).
    fn build_index(features: &super::FeatureStore) -> FeatureIndex {
        let index =
            FeatureIndex::build_later(features.len(), |i| features.shape(i).map(Indexed::of).unwrap_or_default());
        if crate::render::density::keeps_indexes() {
            index.start_building();
        }
        index
    }

    /// Starts building the simplified copies a big boundary layer is drawn with per zoom band
    /// ([`crate::spatial::lod::LodSet::start_if_big`]) unless it has them. Call it where the
    /// layer is read, off the UI thread: it counts and copies the shapes.
    pub fn start_lod_if_big(&mut self) {
        if self.lod.is_none() {
            let store = &self.features;
            self.lod = crate::spatial::lod::LodSet::start_if_big((0..store.len()).filter_map(|i| store.shape(i)));
        }
    }

    /// Rebuilds the spatial index after features changed.
    pub fn reindex(&mut self) {
        self.index = Self::build_index(&self.features);
        self.refresh_lod();
        (self.categories, self.category_names) = categorise(self.kind, &self.features);
    }

    /// The tally of the features' ids ([`super::ids::IdTally`]), read from the features
    /// the first time it is asked for unless a loader gave it; `None` when the features
    /// changed other than through the edit commands (read them).
    pub fn id_tally(&self) -> Option<&super::ids::IdTally> {
        let tally = self.ids.0.get_or_init(|| {
            let mut tally = super::ids::IdTally::default();
            for f in &self.features {
                tally.add(f.id.as_ref());
            }
            tally
        });
        (tally.features() == self.features.len()).then_some(tally)
    }

    /// Gives the layer the tally of its features' ids, made by a loader that saw them
    /// all (ignored when it does not count as many features).
    pub fn set_id_tally(&mut self, tally: super::ids::IdTally) {
        if tally.features() == self.features.len() {
            self.ids = super::ids::TallyCell(std::sync::OnceLock::from(tally));
        }
    }

    /// A feature with id `id` was removed (the edit commands tell the tally).
    pub fn id_removed(&mut self, id: Option<&super::FeatureId>) {
        if let Some(tally) = self.ids.0.get_mut() {
            tally.remove(id);
        }
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

    /// Where the features are but for far-flung ones, and how many those are
    /// ([`crate::spatial::FeatureIndex::core_bounds`]): the view of a layer just opened.
    pub fn core_bounds(&self) -> Option<(WorldRect, usize)> {
        self.index.core_bounds()
    }

    /// The display name of feature `i`, using the layer's label field.
    pub fn feature_name(&self, i: usize) -> Option<String> {
        self.features.get(i).map(|f| f.display_name(self.label_field.as_deref()))
    }
}
