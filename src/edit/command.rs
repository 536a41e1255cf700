//! Edit commands and [`apply`], which performs one and returns its exact inverse.

use serde_json::Value;

use super::geometry::translate;
use crate::model::{Catalog, Feature, FeatureLayout, Layer, LayerUid};
use crate::spatial::Shape;

/// One change to the features of a layer. Applying it with [`apply`] returns the command that
/// undoes it exactly (the layer's GeoJSON afterwards is equal, member order included).
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum EditCommand {
    /// Insert `feature` at `index` (0..=len). Its `shape` and `time` are recomputed.
    AddFeature {
        /// The layer.
        layer: LayerUid,
        /// Where the feature goes.
        index: usize,
        /// The feature.
        feature: Box<Feature>,
    },
    /// Remove the feature at `index`.
    DeleteFeature {
        /// The layer.
        layer: LayerUid,
        /// The feature.
        index: usize,
    },
    /// Replace a feature's geometry with a GeoJSON geometry object, or `Null` for none.
    SetGeometry {
        /// The layer.
        layer: LayerUid,
        /// The feature.
        index: usize,
        /// A GeoJSON geometry object, or `Value::Null`.
        geometry: Value,
    },
    /// Set a property (`Some`) or remove it (`None`). An existing key keeps its place; a new
    /// one goes last.
    SetProperty {
        /// The layer.
        layer: LayerUid,
        /// The feature.
        index: usize,
        /// The property name.
        key: String,
        /// The new value; `None` removes the key.
        value: Option<Value>,
    },
    /// Move every position of a feature by `dx_deg`/`dy_deg` degrees (third coordinates kept).
    MoveFeature {
        /// The layer.
        layer: LayerUid,
        /// The feature.
        index: usize,
        /// Longitude shift in degrees.
        dx_deg: f64,
        /// Latitude shift in degrees.
        dy_deg: f64,
    },
    /// Re-insert a deleted feature with its file layout (the inverse of
    /// [`EditCommand::DeleteFeature`]; panels use `AddFeature`).
    RestoreFeature {
        /// The layer.
        layer: LayerUid,
        /// Where the feature goes.
        index: usize,
        /// The feature.
        feature: Box<Feature>,
        /// Its member layout in the file, if the layer tracked one.
        layout: Option<FeatureLayout>,
    },
    /// Insert a property at a position of the property map (the inverse of removing one, so
    /// the key comes back where it was).
    InsertProperty {
        /// The layer.
        layer: LayerUid,
        /// The feature.
        index: usize,
        /// Position among the properties.
        position: usize,
        /// The property name.
        key: String,
        /// The value.
        value: Value,
    },
}

impl EditCommand {
    /// The layer the command changes.
    pub fn layer(&self) -> LayerUid {
        match self {
            Self::AddFeature { layer, .. }
            | Self::DeleteFeature { layer, .. }
            | Self::SetGeometry { layer, .. }
            | Self::SetProperty { layer, .. }
            | Self::MoveFeature { layer, .. }
            | Self::RestoreFeature { layer, .. }
            | Self::InsertProperty { layer, .. } => *layer,
        }
    }

    /// Where the feature at `index` of `layer` is after this command was applied: shifted up
    /// by an insert at or before it, down by a delete before it, `None` when it was the one
    /// deleted. Other layers and other commands leave it where it was.
    ///
    /// ```
    /// use frontier_atlas::edit::EditCommand;
    /// let delete = EditCommand::DeleteFeature { layer: 1, index: 2 };
    /// assert_eq!(delete.remap(1, 5), Some(4));
    /// assert_eq!(delete.remap(1, 2), None);
    /// assert_eq!(delete.remap(1, 1), Some(1));
    /// assert_eq!(delete.remap(7, 5), Some(5));
    /// ```
    pub fn remap(&self, layer: LayerUid, index: usize) -> Option<usize> {
        if self.layer() != layer {
            return Some(index);
        }
        match self {
            Self::AddFeature { index: at, .. } | Self::RestoreFeature { index: at, .. } if *at <= index => {
                Some(index + 1)
            }
            Self::DeleteFeature { index: at, .. } if *at == index => None,
            Self::DeleteFeature { index: at, .. } if *at < index => Some(index - 1),
            _ => Some(index),
        }
    }

    /// The feature index the command is about.
    pub fn index(&self) -> usize {
        match self {
            Self::AddFeature { index, .. }
            | Self::DeleteFeature { index, .. }
            | Self::SetGeometry { index, .. }
            | Self::SetProperty { index, .. }
            | Self::MoveFeature { index, .. }
            | Self::RestoreFeature { index, .. }
            | Self::InsertProperty { index, .. } => *index,
        }
    }
}

/// Why an edit was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// No layer has this uid (it was removed?).
    #[error("layer #{0} is not loaded")]
    NoLayer(LayerUid),
    /// The feature index is past the end of the layer.
    #[error("layer `{layer}` has {len} features; there is no feature #{index}")]
    NoFeature {
        /// The layer's name.
        layer: String,
        /// The index asked for.
        index: usize,
        /// The number of features.
        len: usize,
    },
    /// The new geometry is not valid GeoJSON for the map.
    #[error("invalid geometry: {0}")]
    InvalidGeometry(String),
    /// A move needs a geometry to move.
    #[error("feature #{0} has no geometry to move")]
    NoGeometry(usize),
    /// A vertex edit was refused.
    #[error(transparent)]
    Vertex(#[from] super::geometry::GeometryError),
}

/// Checks a geometry value and prepares its drawable shape.
fn shape_of(geometry: &Value) -> Result<(Option<Value>, Shape), EditError> {
    if geometry.is_null() {
        return Ok((None, Shape::from_geo(None)));
    }
    let geo = crate::io::geojson::geo_from_json(geometry).map_err(EditError::InvalidGeometry)?;
    Ok((Some(geometry.clone()), Shape::from_geo(Some(&geo))))
}

fn check_index(layer: &Layer, index: usize, allow_end: bool) -> Result<(), EditError> {
    let len = layer.features.len();
    if index < len || (allow_end && index == len) {
        Ok(())
    } else {
        Err(EditError::NoFeature { layer: layer.name.clone(), index, len })
    }
}

/// Whether `layer.layout.features` is aligned with the features (and so must be kept so).
fn tracks_layout(layer: &Layer) -> bool {
    layer.layout.features.len() == layer.features.len()
}

/// Applies `cmd` to the catalog and returns its inverse. Validates first (layer exists,
/// index in range, geometry valid), so on error nothing changed. Afterwards the feature's
/// shape, the layer's date spans, spatial index and categories are up to date.
pub fn apply(catalog: &mut Catalog, cmd: EditCommand) -> Result<EditCommand, EditError> {
    let uid = cmd.layer();
    let layer = catalog.layer_by_uid_mut(uid).ok_or(EditError::NoLayer(uid))?;
    let change = match &cmd {
        EditCommand::AddFeature { index, .. } | EditCommand::RestoreFeature { index, .. } => {
            crate::model::Change::Inserted(*index)
        }
        EditCommand::DeleteFeature { index, .. } => crate::model::Change::Removed(*index),
        other => crate::model::Change::Changed(other.index()),
    };
    let inverse = apply_to_layer(layer, cmd)?;
    if let EditCommand::RestoreFeature { feature, .. } = &inverse {
        layer.id_removed(feature.id.as_ref());
    }
    layer.refresh_after(change);
    Ok(inverse)
}

fn feature_mut(layer: &mut Layer, index: usize) -> Result<&mut Feature, EditError> {
    let len = layer.features.len();
    let name = layer.name.clone();
    layer.features.get_mut(index).ok_or(EditError::NoFeature { layer: name, index, len })
}

fn apply_to_layer(layer: &mut Layer, cmd: EditCommand) -> Result<EditCommand, EditError> {
    let uid = layer.uid;
    Ok(match cmd {
        EditCommand::AddFeature { index, feature, .. } => {
            check_index(layer, index, true)?;
            let layout = tracks_layout(layer).then(|| layer.layout.typical());
            insert_feature(layer, index, *feature, layout)?;
            EditCommand::DeleteFeature { layer: uid, index }
        }
        EditCommand::RestoreFeature { index, feature, layout, .. } => {
            check_index(layer, index, true)?;
            let layout = tracks_layout(layer).then(|| layout.unwrap_or_else(|| layer.layout.typical()));
            insert_feature(layer, index, *feature, layout)?;
            EditCommand::DeleteFeature { layer: uid, index }
        }
        EditCommand::DeleteFeature { index, .. } => {
            check_index(layer, index, false)?;
            let layout = if tracks_layout(layer) { Some(layer.layout.features.remove(index)) } else { None };
            let len = layer.features.len();
            let name = layer.name.clone();
            let feature = layer.features.remove(index).ok_or(EditError::NoFeature { layer: name, index, len })?;
            EditCommand::RestoreFeature { layer: uid, index, feature: Box::new(feature), layout }
        }
        EditCommand::SetGeometry { index, geometry, .. } => {
            let (geometry, shape) = shape_of(&geometry)?;
            let f = feature_mut(layer, index)?;
            let old = std::mem::replace(&mut f.geometry, geometry);
            f.shape = shape;
            EditCommand::SetGeometry { layer: uid, index, geometry: old.unwrap_or(Value::Null) }
        }
        EditCommand::MoveFeature { index, dx_deg, dy_deg, .. } => {
            let f = feature_mut(layer, index)?;
            let Some(old) = f.geometry.clone() else { return Err(EditError::NoGeometry(index)) };
            let (geometry, shape) = shape_of(&translate(&old, dx_deg, dy_deg))?;
            f.geometry = geometry;
            f.shape = shape;
            // Restoring the old JSON (not moving back) keeps the numbers exact.
            EditCommand::SetGeometry { layer: uid, index, geometry: old }
        }
        EditCommand::SetProperty { index, key, value, .. } => {
            let f = feature_mut(layer, index)?;
            match value {
                Some(value) => match f.properties.insert(key.clone(), value) {
                    Some(old) => EditCommand::SetProperty { layer: uid, index, key, value: Some(old) },
                    None => EditCommand::SetProperty { layer: uid, index, key, value: None },
                },
                None => match f.properties.keys().position(|k| *k == key) {
                    Some(position) => {
                        let value = f.properties.shift_remove(&key).unwrap_or(Value::Null);
                        EditCommand::InsertProperty { layer: uid, index, position, key, value }
                    }
                    None => EditCommand::SetProperty { layer: uid, index, key, value: None },
                },
            }
        }
        EditCommand::InsertProperty { index, position, key, value, .. } => {
            let f = feature_mut(layer, index)?;
            let position = position.min(f.properties.len());
            f.properties.shift_insert(position, key.clone(), value);
            EditCommand::SetProperty { layer: uid, index, key, value: None }
        }
    })
}

fn insert_feature(
    layer: &mut Layer,
    index: usize,
    mut feature: Feature,
    layout: Option<FeatureLayout>,
) -> Result<(), EditError> {
    let (_, shape) = shape_of(feature.geometry.as_ref().unwrap_or(&Value::Null))?;
    feature.shape = shape;
    feature.time = None;
    if let Some(layout) = layout {
        layer.layout.features.insert(index, layout);
    }
    layer.features.insert(index, feature);
    Ok(())
}
