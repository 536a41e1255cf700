//! Gives the features of dated layers their [`DateSpan`] and builds the layer's time index.

use crate::time::{DateSpan, TimeIndex, aid_span};

use super::{Feature, Layer, LayerKind};

/// Sets every feature's span from its date properties and rebuilds the layer's time index.
/// Returns one message per feature whose date could not be read (the feature stays visible
/// and undated, so nothing disappears silently). Timestamps count on their calendar day in
/// the app's zone ([`crate::time::zone::current`], UTC unless the analyst chose another).
pub fn assign_spans(layer: &mut Layer) -> Vec<String> {
    assign_spans_in(layer, Some(crate::time::zone::current()))
}

/// Like [`assign_spans`], with timestamps (a date and a time of day) on their calendar day in
/// `zone` ([`crate::time::zone`]); date-only values stay the days they name.
pub fn assign_spans_in(layer: &mut Layer, zone: Option<chrono_tz::Tz>) -> Vec<String> {
    use rayon::prelude::*;
    let fields = layer.date_fields.clone();
    let kind = layer.kind;
    let features = &layer.features;
    // Packed features are decoded to read their dates (a time-zone or date-field change on
    // a big layer), on every core; none is kept decoded.
    let results: Vec<(Option<DateSpan>, Option<String>)> = (0..features.len())
        .into_par_iter()
        .map(|i| {
            let Some(f) = features.get(i) else { return (None, None) };
            match feature_span(kind, fields.as_ref(), &f, zone) {
                Ok(span) => (span, None),
                Err(why) => {
                    let id = f.id.as_ref().map_or_else(|| format!("#{}", i + 1), ToString::to_string);
                    (None, Some(format!("feature {id}: {why}")))
                }
            }
        })
        .collect();
    let mut problems = Vec::new();
    for (i, (span, problem)) in results.into_iter().enumerate() {
        layer.features.set_span(i, span);
        problems.extend(problem);
    }
    index_spans(layer);
    problems
}

/// Re-reads the span of feature `i` alone (after an edit of it) and updates the time index
/// for that feature only.
pub fn refresh_span(layer: &mut Layer, i: usize) {
    refresh_span_at(layer, super::Change::Changed(i));
}

/// The span of feature `i` read from its properties (as [`assign_spans`] reads it, in the
/// app's zone), `None` when it has none or it does not read.
fn read_span(layer: &Layer, i: usize) -> Option<DateSpan> {
    let zone = Some(crate::time::zone::current());
    layer.features.get(i).and_then(|f| feature_span(layer.kind, layer.date_fields.as_ref(), &f, zone).ok().flatten())
}

/// Whether a layer gets a time index (empty or not).
fn is_dated(layer: &Layer) -> bool {
    layer.date_fields.is_some() || matches!(layer.kind, LayerKind::Events | LayerKind::Aid)
}

/// Brings the spans and the time index up to date after one feature changed, was inserted
/// or removed: the feature's span is read again and the index changed for it alone (a
/// rebuild only when the layer had no index, or it did not match).
pub(super) fn refresh_span_at(layer: &mut Layer, change: super::Change) {
    use super::Change;
    let (old, new) = match change {
        Change::Changed(i) | Change::Inserted(i) => {
            let old = if let Change::Changed(_) = change { layer.features.span(i) } else { None };
            let new = read_span(layer, i);
            layer.features.set_span(i, new);
            (old, new)
        }
        Change::Removed(_) => (None, None),
    };
    let ok = match (&mut layer.time_index, change) {
        (Some(index), Change::Changed(i)) => index.replace(i, old, new),
        (Some(index), Change::Inserted(i)) => {
            index.insert(i, new);
            true
        }
        (Some(index), Change::Removed(i)) => {
            index.remove(i);
            true
        }
        // A first date in an undated layer.
        (None, _) => new.is_none() && !is_dated(layer),
    };
    if !ok {
        index_spans(layer);
    } else if layer.time_index.as_ref().is_some_and(TimeIndex::is_empty) && !is_dated(layer) {
        layer.time_index = None;
    }
}

/// Builds the layer's time index from its features' spans (after they were set).
pub fn index_spans(layer: &mut Layer) {
    let features = &layer.features;
    let index = TimeIndex::from_fn(features.len(), |i| features.span(i));
    layer.time_index = (!index.is_empty() || is_dated(layer)).then_some(index);
}

/// The date span of one feature of a layer of `kind` whose date fields are `fields`, as
/// [`assign_spans_in`] gives it (for readers that stream features one at a time).
pub fn feature_span(
    kind: LayerKind,
    fields: Option<&(String, Option<String>)>,
    f: &Feature,
    zone: Option<chrono_tz::Tz>,
) -> Result<Option<DateSpan>, String> {
    match (kind, fields) {
        (_, Some((start, end))) => field_span(f, start, end.as_deref(), zone),
        (LayerKind::Events, None) => event_span(f, zone),
        (LayerKind::Aid, None) => aid_feature_span(f, zone),
        _ => Ok(None),
    }
}

/// Property names that look like dates in a layer (for the "make temporal" chooser), in
/// first-feature order.
pub fn date_fields_of(layer: &Layer) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for f in layer.features.iter().take(200) {
        for (k, v) in &f.properties {
            if v.as_str().is_some_and(|s| DateSpan::parse(s).is_ok()) && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
}

fn text(f: &Feature, key: &str) -> Option<String> {
    f.prop_text(key).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A date text's span, a timestamp on its day in `zone` when one is given.
fn parse_in(text: &str, zone: Option<chrono_tz::Tz>) -> Result<DateSpan, crate::time::DateError> {
    match zone.and_then(|z| crate::time::zone::day_in(text, z)) {
        Some(day) => Ok(DateSpan::day(day)),
        None => DateSpan::parse(text),
    }
}

fn event_span(f: &Feature, zone: Option<chrono_tz::Tz>) -> Result<Option<DateSpan>, String> {
    let Some(date) = text(f, "event_date") else {
        return Err("no event_date".to_owned());
    };
    let precision = f.prop_f64("time_precision").map(|p| p as u8);
    let parsed = parse_in(&date, zone).map_err(|e| e.to_string())?;
    // An ACLED row carries a full date plus time_precision 2 (week) or 3 (month).
    if parsed.start == parsed.end && matches!(precision, Some(2 | 3)) {
        return DateSpan::from_acled(&date, precision).map(Some).map_err(|e| e.to_string());
    }
    Ok(Some(parsed))
}

fn aid_feature_span(f: &Feature, zone: Option<chrono_tz::Tz>) -> Result<Option<DateSpan>, String> {
    let parse = |key: &str| -> Result<Option<DateSpan>, String> {
        text(f, key).map(|s| parse_in(&s, zone).map_err(|e| format!("{key}: {e}"))).transpose()
    };
    Ok(aid_span(parse("announced")?, parse("start")?, parse("end")?))
}

fn field_span(
    f: &Feature,
    start: &str,
    end: Option<&str>,
    zone: Option<chrono_tz::Tz>,
) -> Result<Option<DateSpan>, String> {
    let Some(a) = text(f, start) else { return Ok(None) };
    let a = parse_in(&a, zone).map_err(|e| format!("{start}: {e}"))?;
    let b = match end.and_then(|k| text(f, k)) {
        Some(b) => Some(parse_in(&b, zone).map_err(|e| format!("{}: {e}", end.unwrap_or_default()))?),
        None => None,
    };
    Ok(Some(match b {
        Some(b) => DateSpan::new(a.start, b.end.max(a.start)).unwrap_or(a),
        None => a,
    }))
}
