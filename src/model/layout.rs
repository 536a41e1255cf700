//! How a layer's GeoJSON was laid out in its file, so a save writes it back the same way.
//!
//! A feature keeps its id, geometry, properties and foreign members itself; what it cannot
//! say is where the standard members (`type`, `id`, `geometry`, `properties`) sat among the
//! foreign ones, or whether `properties` was `null`, `{}` or missing. [`SourceLayout`] keeps
//! that, one small [`FeatureLayout`] per feature, next to the features of the layer.

/// What the top level of the file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RootKind {
    /// A `FeatureCollection` (also what every new layer is saved as).
    #[default]
    FeatureCollection,
    /// A single `Feature`: saved back as a bare Feature while the layer holds exactly one
    /// feature and has no collection-level members.
    Feature,
    /// A bare geometry: saved back as that geometry while the layer holds exactly one feature
    /// with no id, properties or foreign members.
    Geometry,
}

/// A standard member of a GeoJSON Feature object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    /// `type`.
    Type,
    /// `id`.
    Id,
    /// `geometry`.
    Geometry,
    /// `properties`.
    Properties,
}

/// How a feature's `properties` member was written when it had no properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PropertiesForm {
    /// `"properties": {}` (or a non-empty object).
    #[default]
    Object,
    /// `"properties": null`.
    Null,
    /// No `properties` member at all (not RFC 7946, but kept as found).
    Absent,
}

/// Where the standard members of one Feature object sat, and how empty properties were
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureLayout {
    /// The standard members present in the file, in file order, each with the number of
    /// foreign members written before it. Unused slots are `None`.
    pub members: [Option<(Member, u16)>; 4],
    /// How empty properties were written.
    pub properties: PropertiesForm,
}

impl Default for FeatureLayout {
    /// RFC 7946 order: `type`, `id`, `geometry`, `properties`, then foreign members.
    fn default() -> Self {
        Self {
            members: [
                Some((Member::Type, 0)),
                Some((Member::Id, 0)),
                Some((Member::Geometry, 0)),
                Some((Member::Properties, 0)),
            ],
            properties: PropertiesForm::Object,
        }
    }
}

impl FeatureLayout {
    /// Records the layout of a Feature object from its member names, in file order.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>, properties: PropertiesForm) -> Self {
        let mut members = [None; 4];
        let mut slot = 0;
        let mut foreign: u16 = 0;
        for key in keys {
            let member = match key {
                "type" => Member::Type,
                "id" => Member::Id,
                "geometry" => Member::Geometry,
                "properties" => Member::Properties,
                _ => {
                    foreign = foreign.saturating_add(1);
                    continue;
                }
            };
            if let Some(s) = members.get_mut(slot) {
                *s = Some((member, foreign));
                slot += 1;
            }
        }
        Self { members, properties }
    }

    /// Whether `member` was present in the file.
    pub fn has(&self, member: Member) -> bool {
        self.members.iter().flatten().any(|(m, _)| *m == member)
    }

    /// The same member order with `properties` written as an object: the layout given to a
    /// new feature so that it matches its neighbours.
    #[must_use]
    pub fn for_new_feature(&self) -> Self {
        Self { properties: PropertiesForm::Object, ..*self }
    }
}

/// Where `type` and `features` sat among the collection's foreign members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootLayout {
    /// What the top level of the file was.
    pub kind: RootKind,
    /// Number of foreign members before `type`.
    pub type_before: u16,
    /// Number of foreign members before `features`.
    pub features_before: u16,
    /// Whether `features` came before `type` in the file.
    pub features_first: bool,
}

impl Default for RootLayout {
    /// `type`, the foreign members, then `features` (how the shipped files are written).
    fn default() -> Self {
        Self { kind: RootKind::FeatureCollection, type_before: 0, features_before: u16::MAX, features_first: false }
    }
}

/// The file layout of a whole layer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceLayout {
    /// The top level.
    pub root: RootLayout,
    /// One entry per feature, aligned with `Layer::features`. When the lengths differ (the
    /// features were changed by code that does not keep this in step), every feature is
    /// saved with [`SourceLayout::typical`].
    pub features: Vec<FeatureLayout>,
}

impl SourceLayout {
    /// The layout of feature `i` of a layer with `count` features.
    pub fn feature(&self, i: usize, count: usize) -> FeatureLayout {
        if self.features.len() == count { self.features.get(i).copied().unwrap_or_default() } else { self.typical() }
    }

    /// The layout of the first feature, with properties as an object: used for new features.
    pub fn typical(&self) -> FeatureLayout {
        self.features.first().map(FeatureLayout::for_new_feature).unwrap_or_default()
    }
}
