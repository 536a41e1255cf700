//! The undo history: capped stacks of applied commands with their inverses, and per-layer
//! dirty tracking.
//!
//! Like rerun's undo state, the history lives only in memory: it deliberately does not
//! implement `serde::Serialize` (a test checks this), so it cannot end up in persisted app
//! state by accident.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::command::{EditCommand, EditError, apply};
use crate::model::{Catalog, LayerUid};

/// The most undo steps kept; older ones are dropped.
pub const MAX_UNDOS: usize = 500;

/// One undo step: one or more commands applied together.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What the step did, for the Edit menu ("Move vertex").
    pub description: String,
    /// The commands as applied, in order.
    pub forward: Vec<EditCommand>,
    /// The commands that undo them, in the order to apply them.
    pub inverse: Vec<EditCommand>,
    /// When the step was first applied.
    pub when: DateTime<Utc>,
    /// Edit generation of each touched layer before and after the step.
    generations: Vec<(LayerUid, u64, u64)>,
}

/// Undo and redo stacks plus per-layer edit generations.
///
/// A layer is dirty when its current edit generation differs from the one it had when it
/// was last saved, so undoing back to the saved state makes it clean again.
#[derive(Debug)]
pub struct History {
    /// Steps that can be undone, oldest first.
    pub undo: Vec<Entry>,
    /// Steps that can be redone, the next to redo last.
    pub redo: Vec<Entry>,
    /// The most undo steps kept.
    pub cap: usize,
    /// Current edit generation per layer (absent: 0, as loaded).
    current: HashMap<LayerUid, u64>,
    /// Generation at the last save per layer (absent: 0).
    saved: HashMap<LayerUid, u64>,
    /// Source of fresh generations, so a new edit after an undo never matches an old state.
    next_generation: u64,
}

impl Default for History {
    fn default() -> Self {
        Self::new(MAX_UNDOS)
    }
}

impl History {
    /// An empty history keeping at most `cap` undo steps.
    pub fn new(cap: usize) -> Self {
        Self {
            undo: Vec::new(),
            redo: Vec::new(),
            cap,
            current: HashMap::new(),
            saved: HashMap::new(),
            next_generation: 1,
        }
    }

    /// Applies one command as one undo step.
    pub fn apply(
        &mut self,
        catalog: &mut Catalog,
        cmd: EditCommand,
        description: impl Into<String>,
    ) -> Result<(), EditError> {
        self.apply_group(catalog, vec![cmd], description)
    }

    /// Applies several commands as one undo step (a drag, a multi-field form). If one fails,
    /// the ones already applied are rolled back and the error returned: all or nothing.
    pub fn apply_group(
        &mut self,
        catalog: &mut Catalog,
        cmds: Vec<EditCommand>,
        description: impl Into<String>,
    ) -> Result<(), EditError> {
        if cmds.is_empty() {
            return Ok(());
        }
        let inverse = apply_all(catalog, &cmds)?;
        let layers = touched(&cmds);
        let generations = layers
            .into_iter()
            .map(|uid| {
                let before = self.generation(uid);
                let after = self.next_generation;
                self.next_generation += 1;
                self.current.insert(uid, after);
                (uid, before, after)
            })
            .collect();
        self.undo.push(Entry {
            description: description.into(),
            forward: cmds,
            inverse,
            when: Utc::now(),
            generations,
        });
        self.redo.clear();
        if self.undo.len() > self.cap {
            let excess = self.undo.len() - self.cap;
            self.undo.drain(..excess);
        }
        Ok(())
    }

    /// Undoes the last step and says what it was; `None` when there is nothing to undo or the
    /// step no longer applies (its layer was removed), in which case it is dropped.
    pub fn undo(&mut self, catalog: &mut Catalog) -> Option<String> {
        let entry = self.undo.pop()?;
        apply_all(catalog, &entry.inverse).ok()?;
        for &(uid, before, _) in &entry.generations {
            self.current.insert(uid, before);
        }
        let description = entry.description.clone();
        self.redo.push(entry);
        Some(description)
    }

    /// Redoes the last undone step and says what it was.
    pub fn redo(&mut self, catalog: &mut Catalog) -> Option<String> {
        let entry = self.redo.pop()?;
        apply_all(catalog, &entry.forward).ok()?;
        for &(uid, _, after) in &entry.generations {
            self.current.insert(uid, after);
        }
        let description = entry.description.clone();
        self.undo.push(entry);
        Some(description)
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// What the next undo would undo.
    pub fn undo_description(&self) -> Option<&str> {
        self.undo.last().map(|e| e.description.as_str())
    }

    /// What the next redo would redo.
    pub fn redo_description(&self) -> Option<&str> {
        self.redo.last().map(|e| e.description.as_str())
    }

    /// Whether the layer differs from what was last saved (or loaded).
    pub fn is_dirty(&self, layer: LayerUid) -> bool {
        self.generation(layer) != self.saved.get(&layer).copied().unwrap_or(0)
    }

    /// Marks a layer as differing from its file without an undo step (a layer restored from
    /// a recovery file holds edits that were never saved).
    pub fn mark_unsaved(&mut self, layer: LayerUid) {
        let generation = self.next_generation;
        self.next_generation += 1;
        self.current.insert(layer, generation);
    }

    /// Records that the layer was saved in its current state.
    pub fn mark_saved(&mut self, layer: LayerUid) {
        self.saved.insert(layer, self.generation(layer));
    }

    /// Drops every step touching a removed layer, and its dirty state.
    pub fn forget_layer(&mut self, layer: LayerUid) {
        let keep = |e: &Entry| e.generations.iter().all(|(uid, _, _)| *uid != layer);
        self.undo.retain(keep);
        self.redo.retain(keep);
        self.current.remove(&layer);
        self.saved.remove(&layer);
    }

    fn generation(&self, layer: LayerUid) -> u64 {
        self.current.get(&layer).copied().unwrap_or(0)
    }
}

/// The distinct layers a group of commands touches, in first-seen order.
fn touched(cmds: &[EditCommand]) -> Vec<LayerUid> {
    let mut layers = Vec::new();
    for c in cmds {
        if !layers.contains(&c.layer()) {
            layers.push(c.layer());
        }
    }
    layers
}

/// Applies commands in order; on failure rolls back the applied ones. Returns the inverses
/// in the order that undoes the group.
fn apply_all(catalog: &mut Catalog, cmds: &[EditCommand]) -> Result<Vec<EditCommand>, EditError> {
    let mut inverses = Vec::with_capacity(cmds.len());
    for cmd in cmds {
        match apply(catalog, cmd.clone()) {
            Ok(inv) => inverses.push(inv),
            Err(e) => {
                for inv in inverses.into_iter().rev() {
                    // Undoing what was just done cannot fail: same layer, same indices.
                    let _ = apply(catalog, inv);
                }
                return Err(e);
            }
        }
    }
    inverses.reverse();
    Ok(inverses)
}

#[cfg(test)]
mod tests {
    use super::History;

    /// `History` must not be `Serialize` (undo is never persisted, as in rerun). Autoref
    /// specialisation: the first method applies only when `T: Serialize`.
    #[test]
    fn history_is_not_serialize() {
        struct Probe<T>(std::marker::PhantomData<T>);
        trait IsSerialize {
            fn is_serialize(&self) -> bool {
                true
            }
        }
        impl<T: serde::Serialize> IsSerialize for Probe<T> {}
        trait NotSerialize {
            fn is_serialize(&self) -> bool {
                false
            }
        }
        impl<T> NotSerialize for &Probe<T> {}
        assert!(!(&Probe::<History>(std::marker::PhantomData)).is_serialize(), "History must not be Serialize");
        assert!(Probe::<String>(std::marker::PhantomData).is_serialize(), "the probe itself works");
    }
}
