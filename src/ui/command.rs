//! What panels ask the app to do.

use std::path::PathBuf;

use crate::model::FeatureRef;
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
    SetVisible(usize, bool),
    /// Set a layer's opacity.
    SetOpacity(usize, f32),
    /// Remove a user layer.
    RemoveLayer(usize),
    /// Make a layer temporal with a start (and optional end) date field.
    SetDateFields(usize, Option<(String, Option<String>)>),
    /// Change the date range (`None`: show everything).
    SetRange(Option<Range>),
    /// Open files as layers.
    OpenFiles(Vec<PathBuf>),
    /// Go to the home view.
    Home,
}
