//! Fresh feature ids that continue a layer's numbering.

use crate::model::ids::IdTally;
use crate::model::{FeatureId, Layer};

/// A new id, unique within `layer`.
///
/// With a `prefix` (e.g. `"TJK-FA-"`) the id continues the highest number among ids with
/// that prefix, zero-padded like them (at least 3 digits): `TJK-FA-031` after
/// `TJK-FA-030`. Without a prefix, a layer whose ids are all numbers gets the next number;
/// any other layer gets `f-<n>`.
///
/// Answered from the layer's id tally ([`Layer::id_tally`]) without reading a feature; the
/// features are read only when the tally cannot tell (a prefix ending in a digit, ids
/// changed outside the edit commands).
pub fn new_feature_id(layer: &Layer, prefix: &str) -> FeatureId {
    if let Some(id) = layer.id_tally().and_then(|tally| from_tally(tally, prefix)) {
        return id;
    }
    scan(layer, prefix)
}

/// [`new_feature_id`] from the tally; `None` when it cannot tell.
fn from_tally(tally: &IdTally, prefix: &str) -> Option<FeatureId> {
    if prefix.is_empty() && tally.all_numbers() {
        let max = tally.max_number().ok()?;
        let mut next = max.map_or(Some(1), |m| m.checked_add(1))?;
        // Taken only by a fractional or huge id equal as a float.
        while tally.number_taken(next) {
            next = next.checked_add(1)?;
        }
        return Some(FeatureId::Num(next.into()));
    }
    let prefix = if prefix.is_empty() { "f-" } else { prefix };
    let (width, max) = tally.numbered(prefix).ok()?;
    let min_width = if prefix == "f-" { 1 } else { 3 };
    let width = width.unwrap_or(min_width).max(min_width);
    // No id with this head parses to more than `max`, so the next number is free.
    let next = max.map_or(Some(1), |m| m.checked_add(1))?;
    Some(FeatureId::Str(format!("{prefix}{next:0width$}")))
}

/// [`new_feature_id`] by reading every feature's id.
fn scan(layer: &Layer, prefix: &str) -> FeatureId {
    let owned: Vec<FeatureId> = layer.features.iter().filter_map(|f| f.id.clone()).collect();
    let ids: Vec<&FeatureId> = owned.iter().collect();
    let taken = |candidate: &FeatureId| ids.iter().any(|id| id_eq(id, candidate));
    if prefix.is_empty() && !ids.is_empty() && ids.iter().all(|id| matches!(id, FeatureId::Num(_))) {
        let max = ids.iter().filter_map(|id| if let FeatureId::Num(n) = id { n.as_u64() } else { None }).max();
        let mut next = max.map_or(1, |m| m.saturating_add(1));
        while taken(&FeatureId::Num(next.into())) {
            next = next.saturating_add(1);
        }
        return FeatureId::Num(next.into());
    }
    let prefix = if prefix.is_empty() { "f-" } else { prefix };
    let numbered: Vec<&str> = ids
        .iter()
        .filter_map(|id| if let FeatureId::Str(s) = id { s.strip_prefix(prefix) } else { None })
        .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let min_width = if prefix == "f-" { 1 } else { 3 };
    let width = numbered.iter().map(|r| r.len()).max().unwrap_or(min_width).max(min_width);
    let mut next = numbered.iter().filter_map(|r| r.parse::<u64>().ok()).max().map_or(1, |m| m.saturating_add(1));
    loop {
        let candidate = FeatureId::Str(format!("{prefix}{next:0width$}"));
        if !taken(&candidate) {
            return candidate;
        }
        next = next.saturating_add(1);
    }
}

/// Ids compare as JSON values would, except that `1` and `1.0` are the same number.
fn id_eq(a: &FeatureId, b: &FeatureId) -> bool {
    match (a, b) {
        (FeatureId::Str(x), FeatureId::Str(y)) => x == y,
        (FeatureId::Num(x), FeatureId::Num(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => false,
    }
}
