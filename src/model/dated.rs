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
    let mut problems = Vec::new();
    let fields = layer.date_fields.clone();
    for (i, f) in layer.features.iter_mut().enumerate() {
        let span = feature_span(layer.kind, fields.as_ref(), f, zone);
        f.time = match span {
            Ok(span) => span,
            Err(why) => {
                let id = f.id.as_ref().map_or_else(|| format!("#{}", i + 1), ToString::to_string);
                problems.push(format!("feature {id}: {why}"));
                None
            }
        };
    }
    let spans: Vec<(usize, DateSpan)> =
        layer.features.iter().enumerate().filter_map(|(i, f)| f.time.map(|s| (i, s))).collect();
    layer.time_index =
        (!spans.is_empty() || layer.date_fields.is_some() || matches!(layer.kind, LayerKind::Events | LayerKind::Aid))
            .then(|| TimeIndex::new(&spans));
    problems
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
