//! Undo and redo of changes to the list of layers: moves and removals.
//!
//! A removed layer is kept whole — its features (with any edits), style, visibility and
//! place in the list, its undo steps in the edit history and its pending journal — so Undo
//! puts it back exactly as it was, unsaved edits still unsaved (and autosaved again). A layer
//! with unsaved edits is only removed after the unsaved-edits dialog asked. Layer changes and edits are undone newest first, whichever kind they are, by the
//! time each was made (an edit's [`crate::edit::Entry::when`]); redo replays them in the order
//! they were made. The [`REMOVED_KEPT`] most recent removals are kept (a removed million-event
//! layer holds its memory until then).

use chrono::{DateTime, Utc};

use super::app::{AtlasApp, Level, Message};
use crate::model::{Layer, LayerUid};

/// How many removed layers Undo can bring back; an older removal is let go (its memory
/// freed, its undo steps forgotten).
pub const REMOVED_KEPT: usize = 4;

/// One change to the list of layers, for Undo and Redo.
#[derive(Debug)]
pub(crate) struct LayerChange {
    /// When it was made (ordered against edits' undo steps).
    when: DateTime<Utc>,
    what: Change,
}

#[derive(Debug)]
enum Change {
    /// A layer moved from one place in the list to another.
    Move { layer: LayerUid, from: usize, to: usize },
    /// On the undo stack: a removed layer, kept to be put back.
    Removed(Box<Removed>),
    /// On the redo stack: a removal that was undone (the layer is back in the list).
    Restored(LayerUid),
}

/// A removed layer with what putting it back needs.
#[derive(Debug)]
struct Removed {
    layer: Layer,
    /// Its place in the list.
    at: usize,
    /// Whether it was being edited.
    editing: bool,
}

/// The undo and redo stacks of layer changes.
#[derive(Debug, Default)]
pub(crate) struct LayerUndo {
    undo: Vec<LayerChange>,
    redo: Vec<LayerChange>,
}

impl LayerUndo {
    /// Records a move that was just made.
    pub(crate) fn moved(&mut self, layer: LayerUid, from: usize, to: usize) {
        self.undo.push(LayerChange { when: Utc::now(), what: Change::Move { layer, from, to } });
        self.redo.clear();
    }

    /// Forgets everything (another project replaced the layers).
    pub(crate) fn clear(&mut self) -> Vec<LayerUid> {
        let removed = self.removed_uids();
        self.undo.clear();
        self.redo.clear();
        removed
    }

    /// The layers kept for Undo to put back.
    pub(crate) fn removed_uids(&self) -> Vec<LayerUid> {
        self.undo
            .iter()
            .filter_map(|c| match &c.what {
                Change::Removed(r) => Some(r.layer.uid),
                _ => None,
            })
            .collect()
    }
}

impl AtlasApp {
    /// Whether Undo (`redo` false) or Redo should take a layer change rather than an edit: the
    /// newest of the two is undone first, the oldest redone first.
    pub(crate) fn layer_change_first(&self, redo: bool) -> bool {
        let layer = self.editor.layer;
        let in_scope = |e: &&crate::edit::Entry| layer.is_none_or(|l| e.layers().contains(&l));
        if redo {
            let Some(next) = self.layer_undo.redo.last() else { return false };
            self.history.redo.iter().rev().find(in_scope).is_none_or(|e| next.when <= e.when)
        } else {
            let Some(last) = self.layer_undo.undo.last() else { return false };
            self.history.undo.iter().rev().find(in_scope).is_none_or(|e| last.when >= e.when)
        }
    }

    /// Records that `uid` moved `from` → `to` (already done).
    pub(crate) fn layer_moved(&mut self, uid: LayerUid, from: usize, to: usize) {
        self.layer_undo.moved(uid, from, to);
    }

    /// Removes a layer without asking (the caller has asked about unsaved edits), keeping it
    /// for Undo with its undo steps.
    pub(crate) fn remove_layer_now(&mut self, l: usize) {
        let Some(uid) = self.catalog.layers.get(l).map(|layer| layer.uid) else { return };
        let Some(removed) = self.take_layer(uid) else { return };
        let text = format!("Removed layer “{}”; Undo (Ctrl+Z) brings it back", removed.layer.name);
        self.messages.push(Message::new(Level::Info, text));
        self.layer_undo.undo.push(LayerChange { when: Utc::now(), what: Change::Removed(Box::new(removed)) });
        self.layer_undo.redo.clear();
        self.let_go_of_old_removals();
    }

    /// Undoes the newest layer change.
    pub(crate) fn undo_layer_change(&mut self) {
        let Some(LayerChange { when, what }) = self.layer_undo.undo.pop() else { return };
        let what = match what {
            Change::Move { layer, from, to } => {
                self.move_layer_now(layer, from);
                Change::Move { layer, from, to }
            }
            Change::Removed(removed) => {
                let uid = removed.layer.uid;
                let name = removed.layer.name.clone();
                self.put_back(*removed);
                self.messages.push(Message::new(Level::Info, format!("Undid: Remove layer “{name}”")));
                Change::Restored(uid)
            }
            Change::Restored(uid) => Change::Restored(uid),
        };
        self.layer_undo.redo.push(LayerChange { when, what });
    }

    /// Redoes the layer change undone last.
    pub(crate) fn redo_layer_change(&mut self) {
        let Some(LayerChange { when, what }) = self.layer_undo.redo.pop() else { return };
        let what = match what {
            Change::Move { layer, from, to } => {
                self.move_layer_now(layer, to);
                Change::Move { layer, from, to }
            }
            Change::Restored(uid) => match self.take_layer(uid) {
                Some(removed) => {
                    let text = format!("Redid: Remove layer “{}”", removed.layer.name);
                    self.messages.push(Message::new(Level::Info, text));
                    Change::Removed(Box::new(removed))
                }
                None => return,
            },
            Change::Removed(r) => Change::Removed(r),
        };
        self.layer_undo.undo.push(LayerChange { when, what });
    }

    /// Takes layer `uid` out of the list, with its place and whether it was being edited.
    fn take_layer(&mut self, uid: LayerUid) -> Option<Removed> {
        let at = self.catalog.index_of(uid)?;
        let layer = self.catalog.layers.remove(at);
        let editing = self.editor.is_editing(uid);
        if editing {
            self.editor = super::editor::EditorState::default();
        }
        // References to features of later layers shift down; those of the layer go.
        self.selection = self.selection.filter(|r| r.layer != at);
        self.hits_here.retain(|r| r.layer != at);
        for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
            if r.layer > at {
                r.layer -= 1;
            }
        }
        if self.layer_settings == Some(uid) {
            self.layer_settings = None;
        }
        self.catalog_changed();
        Some(Removed { layer, at, editing })
    }

    /// Puts a removed layer back at its place.
    fn put_back(&mut self, removed: Removed) {
        let Removed { layer, at, editing } = removed;
        let uid = layer.uid;
        let at = at.min(self.catalog.layers.len());
        self.catalog.layers.insert(at, layer);
        for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
            if r.layer >= at {
                r.layer += 1;
            }
        }
        if editing && self.editor.layer.is_none() {
            self.editor.layer = Some(uid);
        }
        if self.history.is_dirty(uid) {
            // Its recovery files went with the removal: autosave its edits again.
            self.safety.autosaved_state.remove(&uid);
            self.safety.due = true;
        }
        self.catalog_changed();
    }

    /// Lets go of removed layers beyond the [`REMOVED_KEPT`] most recent: their memory is
    /// freed and their undo steps forgotten.
    fn let_go_of_old_removals(&mut self) {
        let kept = self.layer_undo.removed_uids();
        for &uid in kept.iter().take(kept.len().saturating_sub(REMOVED_KEPT)) {
            self.layer_undo.undo.retain(|c| !matches!(&c.what, Change::Removed(r) if r.layer.uid == uid));
            self.history.forget_layer(uid);
            self.safety.journal.remove(&uid);
        }
    }
}
