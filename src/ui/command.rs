//! What panels ask the app to do.

use std::path::PathBuf;

use serde_json::Value;

use super::editor::Tool;
use crate::edit::EditCommand;
use crate::model::{FeatureRef, LayerUid};
use crate::time::Range;

/// One user intent, applied by the app after the frame's panels have been drawn.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Command {
    /// Select a feature (or clear the selection).
    Select(Option<FeatureRef>),
    /// A click hit these features (best first): select the first, list the rest.
    SelectHits(Vec<FeatureRef>),
    /// Select a feature and fly the view to it.
    FlyTo(FeatureRef),
    /// Show or hide a layer.
    SetVisible(LayerUid, bool),
    /// Set a layer's opacity.
    SetOpacity(LayerUid, f32),
    /// Set (or with `None` clear) a layer's style overrides.
    SetStyle(LayerUid, Option<Box<crate::model::LayerStyleOverride>>),
    /// Move a layer to catalog position `to` (0 is drawn first); Undo moves it back.
    MoveLayer {
        /// The layer.
        layer: LayerUid,
        /// Its new position.
        to: usize,
    },
    /// Remove a user layer.
    RemoveLayer(LayerUid),
    /// Make a layer temporal with a start (and optional end) date field.
    SetDateFields(LayerUid, Option<(String, Option<String>)>),
    /// Change the date range (`None`: show everything).
    SetRange(Option<Range>),
    /// Open files as layers.
    OpenFiles(Vec<PathBuf>),
    /// Go to the home view.
    Home,
    /// Timeline → Export animation…: ask for a file, then export the playback to it.
    ExportAnimation,
    /// Show a short message to the analyst.
    Notify(String),
    /// Editing: features, the undo history and saving (see [`EditIntent`]).
    Edit(EditIntent),
}

/// What the analyst asks of editing. Nested in [`Command::Edit`] and matched exhaustively by
/// the app, so a new intent cannot be silently ignored.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum EditIntent {
    /// Apply an edit through the undo history, with a description for the history and journal.
    Apply(EditCommand, String),
    /// Apply several edits as one undo step (a form change that also resets another field).
    ApplyGroup(Vec<EditCommand>, String),
    /// Add a new feature with this geometry to a layer; its id and schema fields are filled in.
    AddFeature {
        /// The layer.
        layer: LayerUid,
        /// A GeoJSON geometry object.
        geometry: Value,
    },
    /// Start editing a layer.
    StartEditing(LayerUid),
    /// Stop editing (edits stay in memory until saved).
    StopEditing,
    /// Choose an editing tool.
    SetTool(Tool),
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Delete the selected feature.
    DeleteSelected,
    /// Duplicate the selected feature.
    DuplicateSelected,
    /// Save a layer to its file (asks for one if it has none).
    Save(LayerUid),
    /// Save a layer to a new file.
    SaveAs(LayerUid),
    /// Save a layer to this file (the dialog's answer; tests call it directly).
    SaveTo(LayerUid, PathBuf),
    /// Open a layer's edit journal.
    ShowJournal(LayerUid),
}
