//! The undo history: capped stacks of applied commands with their inverses, and per-layer
//! dirty tracking.
//!
//! Undo and redo work on the whole history ([`History::undo`]) or on one layer
//! ([`History::undo_layer`]): undoing in the layer being edited never reverts a later edit of
//! another layer. Every [`Step`] says which layers it touched, so the app can name them. A step
//! whose commands no longer apply is kept where it was and the error returned, never dropped.
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

impl Entry {
    /// The layers the step touches, in first-seen order.
    pub fn layers(&self) -> Vec<LayerUid> {
        self.generations.iter().map(|(uid, _, _)| *uid).collect()
    }

    fn touches(&self, layer: LayerUid) -> bool {
        self.generations.iter().any(|(uid, _, _)| *uid == layer)
    }
}

/// What an undo or redo did.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The step's description ("Set fatalities").
    pub description: String,
    /// The layers it changed.
    pub layers: Vec<LayerUid>,
    /// The commands just applied, in order (the inverses for an undo), so references to
    /// features can be remapped with [`EditCommand::remap`].
    pub applied: Vec<EditCommand>,
}

/// Why an undo or redo did nothing. The step stays in the history.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UndoError {
    /// The step's commands failed to apply (nothing was changed).
    #[error("cannot {action} “{description}”: {error}")]
    Failed {
        /// `"undo"` or `"redo"`.
        action: &'static str,
        /// The step's description.
        description: String,
        /// The layers it touches.
        layers: Vec<LayerUid>,
        /// Why it failed.
        error: Box<EditError>,
    },
    /// The step also touched another layer that has later steps, which must go first.
    #[error("cannot {action} “{description}” yet: “{blocker}” changed the same layers later")]
    Blocked {
        /// `"undo"` or `"redo"`.
        action: &'static str,
        /// The step's description.
        description: String,
        /// The layers it touches.
        layers: Vec<LayerUid>,
        /// The later step in the way.
        blocker: String,
    },
}

impl UndoError {
    /// The layers of the step that could not be undone or redone.
    pub fn layers(&self) -> &[LayerUid] {
        match self {
            Self::Failed { layers, .. } | Self::Blocked { layers, .. } => layers,
        }
    }
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

/// Which stack an operation takes its step from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Undo,
    Redo,
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
    /// Redo steps of the touched layers are dropped (those of other layers stay).
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
        let generations: Vec<(LayerUid, u64, u64)> = layers
            .iter()
            .map(|&uid| {
                let before = self.generation(uid);
                let after = self.fresh_generation();
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
        self.redo.retain(|e| !layers.iter().any(|&l| e.touches(l)));
        if self.undo.len() > self.cap {
            let excess = self.undo.len() - self.cap;
            self.undo.drain(..excess);
        }
        Ok(())
    }

    /// Undoes the last step of any layer. `Ok(None)` when there is nothing to undo; on error
    /// the step stays where it was.
    pub fn undo(&mut self, catalog: &mut Catalog) -> Result<Option<Step>, UndoError> {
        self.step(catalog, Direction::Undo, None)
    }

    /// Redoes the last undone step of any layer.
    pub fn redo(&mut self, catalog: &mut Catalog) -> Result<Option<Step>, UndoError> {
        self.step(catalog, Direction::Redo, None)
    }

    /// Undoes the last step that touched `layer`, even when other layers were edited since.
    pub fn undo_layer(&mut self, catalog: &mut Catalog, layer: LayerUid) -> Result<Option<Step>, UndoError> {
        self.step(catalog, Direction::Undo, Some(layer))
    }

    /// Redoes the last undone step of `layer`.
    pub fn redo_layer(&mut self, catalog: &mut Catalog, layer: LayerUid) -> Result<Option<Step>, UndoError> {
        self.step(catalog, Direction::Redo, Some(layer))
    }

    fn step(
        &mut self,
        catalog: &mut Catalog,
        direction: Direction,
        layer: Option<LayerUid>,
    ) -> Result<Option<Step>, UndoError> {
        let action = if direction == Direction::Undo { "undo" } else { "redo" };
        let stack = if direction == Direction::Undo { &self.undo } else { &self.redo };
        let Some(i) = stack.iter().rposition(|e| layer.is_none_or(|l| e.touches(l))) else { return Ok(None) };
        let entry = &stack[i];
        let layers = entry.layers();
        // A later step on any layer this one touches must be undone (redone) first.
        if let Some(blocker) = stack[i + 1..].iter().find(|e| layers.iter().any(|&l| e.touches(l))) {
            return Err(UndoError::Blocked {
                action,
                description: entry.description.clone(),
                layers,
                blocker: blocker.description.clone(),
            });
        }
        let cmds = if direction == Direction::Undo { &entry.inverse } else { &entry.forward };
        if let Err(error) = apply_all(catalog, cmds) {
            return Err(UndoError::Failed {
                action,
                description: entry.description.clone(),
                layers,
                error: Box::new(error),
            });
        }
        let applied = cmds.clone();
        let entry = if direction == Direction::Undo { self.undo.remove(i) } else { self.redo.remove(i) };
        for &(uid, before, after) in &entry.generations {
            self.current.insert(uid, if direction == Direction::Undo { before } else { after });
        }
        let step = Step { description: entry.description.clone(), layers, applied };
        if direction == Direction::Undo {
            self.redo.push(entry);
        } else {
            self.undo.push(entry);
        }
        Ok(Some(step))
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Whether `layer` has a step to undo.
    pub fn can_undo_layer(&self, layer: LayerUid) -> bool {
        self.undo.iter().any(|e| e.touches(layer))
    }

    /// Whether `layer` has a step to redo.
    pub fn can_redo_layer(&self, layer: LayerUid) -> bool {
        self.redo.iter().any(|e| e.touches(layer))
    }

    /// What the next undo would undo.
    pub fn undo_description(&self) -> Option<&str> {
        self.undo.last().map(|e| e.description.as_str())
    }

    /// What the next redo would redo.
    pub fn redo_description(&self) -> Option<&str> {
        self.redo.last().map(|e| e.description.as_str())
    }

    /// What the next undo in `layer` would undo.
    pub fn undo_description_for(&self, layer: LayerUid) -> Option<&str> {
        self.undo.iter().rev().find(|e| e.touches(layer)).map(|e| e.description.as_str())
    }

    /// What the next redo in `layer` would redo.
    pub fn redo_description_for(&self, layer: LayerUid) -> Option<&str> {
        self.redo.iter().rev().find(|e| e.touches(layer)).map(|e| e.description.as_str())
    }

    /// Whether the layer differs from what was last saved (or loaded).
    pub fn is_dirty(&self, layer: LayerUid) -> bool {
        self.generation(layer) != self.saved.get(&layer).copied().unwrap_or(0)
    }

    /// Marks a layer as differing from its file without an undo step (a layer restored from
    /// a recovery file holds edits that were never saved).
    pub fn mark_unsaved(&mut self, layer: LayerUid) {
        let generation = self.fresh_generation();
        self.current.insert(layer, generation);
    }

    /// Records that the layer was saved in its current state.
    pub fn mark_saved(&mut self, layer: LayerUid) {
        self.saved.insert(layer, self.generation(layer));
    }

    /// Records that the layer was saved as it was at `generation` (from [`History::generation`]
    /// when the save started). Edits made while the save was running keep the layer dirty.
    pub fn mark_saved_generation(&mut self, layer: LayerUid, generation: u64) {
        self.saved.insert(layer, generation);
    }

    /// Drops every step touching a removed layer, and its dirty state.
    pub fn forget_layer(&mut self, layer: LayerUid) {
        self.undo.retain(|e| !e.touches(layer));
        self.redo.retain(|e| !e.touches(layer));
        self.current.remove(&layer);
        self.saved.remove(&layer);
    }

    /// Fits the history to the feature at `index` of `layer` having been removed outside it
    /// (another analyst's delete arriving live from the team store): every step's commands on
    /// the layer are re-indexed for the layer without that feature, so the other steps still
    /// undo and redo; commands on the removed feature itself are dropped (they have nothing to
    /// act on any more), and a step left with no command is dropped. Returns the descriptions
    /// of the steps that lost commands, newest first, for the app to tell.
    pub fn feature_removed(&mut self, layer: LayerUid, index: usize) -> Vec<String> {
        let mut affected = Vec::new();
        // Undo steps, newest first, walking back from the current state.
        let mut at = Some(index);
        for entry in self.undo.iter_mut().rev().filter(|e| e.touches(layer)) {
            let Some(p) = at else { break };
            let (before, hit) = fit_backwards(entry, layer, p);
            at = before;
            if hit {
                affected.push(entry.description.clone());
            }
        }
        // Redo steps, the next to redo first, walking forward from the current state.
        let mut at = Some(index);
        for entry in self.redo.iter_mut().rev().filter(|e| e.touches(layer)) {
            let Some(p) = at else { break };
            let (after, hit) = fit_forwards(entry, layer, p);
            at = after;
            if hit {
                affected.push(entry.description.clone());
            }
        }
        self.undo.retain(|e| !e.forward.is_empty());
        self.redo.retain(|e| !e.forward.is_empty());
        affected
    }

    /// The layer's current edit generation: equal generations mean equal content.
    pub fn generation(&self, layer: LayerUid) -> u64 {
        self.current.get(&layer).copied().unwrap_or(0)
    }

    fn fresh_generation(&mut self) -> u64 {
        let g = self.next_generation;
        self.next_generation += 1;
        g
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

/// Sets the feature index a command is about.
fn set_index(cmd: &mut EditCommand, to: usize) {
    match cmd {
        EditCommand::AddFeature { index, .. }
        | EditCommand::DeleteFeature { index, .. }
        | EditCommand::SetGeometry { index, .. }
        | EditCommand::SetProperty { index, .. }
        | EditCommand::MoveFeature { index, .. }
        | EditCommand::RestoreFeature { index, .. }
        | EditCommand::InsertProperty { index, .. } => *index = to,
    }
}

/// Whether a command inserts a feature (at its index).
fn inserts(cmd: &EditCommand) -> bool {
    matches!(cmd, EditCommand::AddFeature { .. } | EditCommand::RestoreFeature { .. })
}

/// Fits an undo step to the feature at `p` of `layer` (in the state after the step) being
/// gone: walks its commands from the last back, re-indexing each forward command and its
/// inverse, dropping the pairs that act on that feature. Returns where the feature was before
/// the step (`None`: the step added it) and whether a pair was dropped.
fn fit_backwards(entry: &mut Entry, layer: LayerUid, p: usize) -> (Option<usize>, bool) {
    let m = entry.forward.len();
    if entry.inverse.len() != m {
        // Not built by `apply_group` (one inverse per command): nothing to pair, drop it.
        entry.forward.clear();
        entry.inverse.clear();
        return (None, true);
    }
    let mut keep = vec![true; m];
    let mut at = Some(p);
    for k in (0..m).rev() {
        let Some(p) = at else { break };
        let (fwd, inv) = (&entry.forward[k], &entry.inverse[m - 1 - k]);
        if inv.layer() != layer {
            continue;
        }
        let c = inv.index();
        let shift = match inv {
            // The step added (or restored) the feature at c.
            EditCommand::DeleteFeature { .. } => match c.cmp(&p) {
                std::cmp::Ordering::Equal => {
                    keep[k] = false;
                    at = None;
                    false
                }
                std::cmp::Ordering::Less => {
                    at = Some(p - 1);
                    false
                }
                std::cmp::Ordering::Greater => true,
            },
            // The step deleted the feature at c.
            _ if inserts(inv) => {
                if c <= p {
                    at = Some(p + 1);
                    false
                } else {
                    true
                }
            }
            _ if c == p => {
                keep[k] = false;
                false
            }
            _ => c > p,
        };
        debug_assert_eq!(fwd.layer(), layer);
        if shift {
            set_index(&mut entry.inverse[m - 1 - k], c - 1);
            set_index(&mut entry.forward[k], c - 1);
        }
    }
    (at, drop_unkept(entry, &keep))
}

/// Drops the command pairs of `entry` that `keep` (by forward command) says go; whether any
/// went. `inverse` runs backwards, so its pair of forward `k` is at `m - 1 - k`.
fn drop_unkept(entry: &mut Entry, keep: &[bool]) -> bool {
    let m = keep.len();
    if keep.iter().all(|k| *k) {
        return false;
    }
    let mut k = 0;
    entry.forward.retain(|_| {
        k += 1;
        keep[k - 1]
    });
    let mut k = 0;
    entry.inverse.retain(|_| {
        k += 1;
        keep[m - k]
    });
    true
}

/// Fits a redo step to the feature at `p` of `layer` (in the state before the step) being
/// gone: walks its commands from the first, as [`fit_backwards`] does. Returns where the
/// feature is after the step (`None`: the step deletes it) and whether a pair was dropped.
fn fit_forwards(entry: &mut Entry, layer: LayerUid, p: usize) -> (Option<usize>, bool) {
    let m = entry.forward.len();
    if entry.inverse.len() != m {
        entry.forward.clear();
        entry.inverse.clear();
        return (None, true);
    }
    let mut keep = vec![true; m];
    let mut at = Some(p);
    let mut shifted = Vec::new();
    for (k, fwd) in entry.forward.iter().enumerate() {
        let Some(p) = at else { break };
        if fwd.layer() != layer {
            continue;
        }
        let c = fwd.index();
        let shift = match fwd {
            _ if inserts(fwd) => {
                if c <= p {
                    at = Some(p + 1);
                    false
                } else {
                    true
                }
            }
            EditCommand::DeleteFeature { .. } => match c.cmp(&p) {
                std::cmp::Ordering::Equal => {
                    keep[k] = false;
                    at = None;
                    false
                }
                std::cmp::Ordering::Less => {
                    at = Some(p - 1);
                    false
                }
                std::cmp::Ordering::Greater => true,
            },
            _ if c == p => {
                keep[k] = false;
                false
            }
            _ => c > p,
        };
        if shift {
            shifted.push((k, c - 1));
        }
    }
    for (k, c) in shifted {
        set_index(&mut entry.forward[k], c);
        set_index(&mut entry.inverse[m - 1 - k], c);
    }
    (at, drop_unkept(entry, &keep))
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
    use crate::edit::command::{EditCommand, apply};
    use crate::model::{Catalog, Feature, Layer, LayerKind, LayerSource, LayerUid};
    use crate::spatial::Shape;
    use serde_json::{Value, json};

    fn named(name: &str) -> Feature {
        Feature {
            id: None,
            geometry: None,
            properties: json!({"name": name}).as_object().cloned().unwrap_or_default(),
            foreign_members: serde_json::Map::new(),
            shape: Shape::from_geo(None),
            time: None,
        }
    }

    /// Each feature's properties as text, in layer order.
    fn state(c: &Catalog, uid: LayerUid) -> Vec<String> {
        let l = c.index_of(uid).and_then(|i| c.layers.get(i)).expect("the layer");
        l.features.iter().map(|f| Value::Object(f.properties.clone()).to_string()).collect()
    }

    /// `s` without the feature named `name`.
    fn without(s: &[String], name: &str) -> Vec<String> {
        s.iter().filter(|f| !f.contains(&format!("\"name\":\"{name}\""))).cloned().collect()
    }

    /// Defect: another analyst's delete arriving live cleared the layer's whole undo history.
    /// Now the history is fitted to the removed feature: after random edits (set, add, delete),
    /// a feature removed from outside the history, undoing everything gives the original layer
    /// without that feature, and redoing everything the edited layer without it. Steps that
    /// touched only the removed feature are dropped and named.
    #[test]
    fn a_feature_removed_outside_the_history_keeps_the_other_steps_undoable() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % (n.max(1) as u64)).unwrap_or(0)
        };
        let mut dropped_some = false;
        for round in 0..300 {
            let layer = Layer::new(
                "t",
                LayerKind::Generic,
                LayerSource::Embedded("t"),
                (0..6).map(|i| named(&format!("f{i}"))).collect(),
            );
            let uid = layer.uid;
            let mut catalog = Catalog::default();
            catalog.insert(layer);
            let original = state(&catalog, uid);
            let mut history = History::default();
            let steps = 1 + next(8);
            for s in 0..steps {
                let len = state(&catalog, uid).len();
                let cmds: Vec<EditCommand> = match next(4) {
                    0 if len > 1 => vec![EditCommand::DeleteFeature { layer: uid, index: next(len) }],
                    1 => vec![EditCommand::AddFeature {
                        layer: uid,
                        index: next(len + 1),
                        feature: Box::new(named(&format!("n{round}-{s}"))),
                    }],
                    // A group: two fields of two features.
                    2 if len > 1 => vec![
                        EditCommand::SetProperty {
                            layer: uid,
                            index: next(len),
                            key: "v".into(),
                            value: Some(json!(s)),
                        },
                        EditCommand::SetProperty {
                            layer: uid,
                            index: next(len),
                            key: "w".into(),
                            value: Some(json!(s)),
                        },
                    ],
                    _ => vec![EditCommand::SetProperty {
                        layer: uid,
                        index: next(len),
                        key: "v".into(),
                        value: Some(json!(s)),
                    }],
                };
                history.apply_group(&mut catalog, cmds, format!("step {s}")).expect("the edit applies");
            }
            // Undo a few, so the redo stack is fitted too.
            for _ in 0..next(3) {
                history.undo(&mut catalog).expect("undo");
            }
            let now = state(&catalog, uid);
            let gone = next(now.len());
            let name = catalog.layers[0].features.get(gone).expect("the feature").properties["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let _ = apply(&mut catalog, EditCommand::DeleteFeature { layer: uid, index: gone }).expect("remote delete");
            let dropped = history.feature_removed(uid, gone);
            dropped_some |= !dropped.is_empty();
            // Redo everything, then undo everything.
            while history.redo(&mut catalog).expect("redo after the removal").is_some() {}
            let edited = state(&catalog, uid);
            while history.undo(&mut catalog).expect("undo after the removal").is_some() {}
            assert_eq!(state(&catalog, uid), without(&original, &name), "round {round}: undo all");
            while history.redo(&mut catalog).expect("redo again").is_some() {}
            assert_eq!(state(&catalog, uid), edited, "round {round}: redo all");
            assert!(edited.iter().all(|f| !f.contains(&format!("\"name\":\"{name}\""))));
        }
        assert!(dropped_some, "some rounds edited the removed feature itself");
    }

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
