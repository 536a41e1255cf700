//! Editing features: commands with exact inverses, a capped undo history and per-layer dirty
//! tracking. Plain Rust, no egui: panels build [`EditCommand`]s, the app applies them through
//! [`History`].
//!
//! Geometry edits work on the raw GeoJSON value ([`geometry`]), so untouched positions keep
//! their exact numbers and a save writes them back unchanged.

mod command;
pub mod geometry;
mod history;
mod ids;

pub use command::{EditCommand, EditError, apply};
pub use history::{Entry, History, MAX_UNDOS, Step, UndoError};
pub use ids::new_feature_id;
