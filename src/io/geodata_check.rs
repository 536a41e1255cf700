//! The rules every shipped layer in `geodata/` must follow beyond RFC 7946: unique string ids
//! and required, well-typed properties per layer (ACLED events, aid, places…).
//!
//! `build.rs` includes this file (with the validator and the schema vocabularies) so broken
//! shipped data fails the build; the library exposes it so tests can prove each rule bites.
//! It uses only `std`, `jsonc_parser` and its sibling modules: the validator, the schema
//! vocabularies and the app's date grammar (`time/span.rs`), which `build.rs` includes too.

use std::collections::HashMap;

use jsonc_parser::ast::{Object, ObjectPropName, Value};
use jsonc_parser::{CollectOptions, parse_to_ast};

use super::schema::{
    ACLED_KEYS, ACLED_TYPES, AID_REQUIRED, AID_STATUSES, AID_TYPES, DISORDER_TYPES, PLACE_KINDS, sub_event_types,
};
use super::span::DateSpan;
use super::validate;
use super::validate::start_of;

/// Checks one shipped layer file: RFC 7946 first, then unique ids and the rules of the layer
/// named by `file` (e.g. `events.geojson`). Problems come back as `path:line:col: message`,
/// `path` being how the file is named in messages (`geodata/events.geojson`).
pub fn check_layer_file(file: &str, path: &str, bytes: &[u8]) -> Vec<String> {
    let mut errors = Vec::new();
    let problems = validate::validate_bytes(bytes);
    if validate::has_errors(&problems) {
        errors.extend(problems.iter().filter(|p| p.is_error()).map(|p| format!("{path}:{p}")));
        return errors;
    }
    // Valid UTF-8 and JSON: checked by validate_bytes above.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return errors;
    };
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let strict = validate::strict_options();
    let Ok(Some(Value::Object(root))) = parse_to_ast(text, &CollectOptions::default(), &strict).map(|r| r.value) else {
        return errors;
    };
    let mut layer = LayerCheck { path, text, errors: &mut errors };
    layer.check(file, &root);
    errors
}

/// Layer-rule checker for one parsed file; formats problems as `path:line:col: message`.
struct LayerCheck<'c> {
    /// `geodata/FILE` for messages.
    path: &'c str,
    /// File text (without BOM), for positions.
    text: &'c str,
    /// Where problems go (they fail the build).
    errors: &'c mut Vec<String>,
}

impl LayerCheck<'_> {
    /// Record a problem at a byte offset.
    fn error(&mut self, offset: usize, message: impl std::fmt::Display) {
        let (line, col) = validate::line_col(self.text, offset);
        self.errors.push(format!("{}:{line}:{col}: {message}", self.path));
    }

    /// Check ids and the rules of the layer named by `file`.
    fn check(&mut self, file: &str, root: &Object<'_>) {
        let Some(Value::Array(features)) = root.get("features").map(|p| &p.value) else {
            self.error(root.range.start, "a layer file must be a FeatureCollection");
            return;
        };
        let mut ids: HashMap<String, usize> = HashMap::new();
        for feature in &features.elements {
            let Value::Object(feature) = feature else {
                continue;
            };
            let id = self.check_id(feature, &mut ids);
            let empty = Object { range: feature.range, properties: Vec::new() };
            let props = match feature.get("properties").map(|p| &p.value) {
                Some(Value::Object(props)) => props,
                _ => &empty,
            };
            self.check_layer(file, feature, props, id);
        }
    }

    /// Require a string `id`, unique in the file; returns it.
    fn check_id<'f>(&mut self, feature: &'f Object<'_>, ids: &mut HashMap<String, usize>) -> Option<&'f str> {
        match feature.get("id").map(|p| &p.value) {
            Some(Value::StringLit(id)) => {
                let line = validate::line_col(self.text, id.range.start).0;
                if let Some(first) = ids.insert(id.value.to_string(), line) {
                    self.error(
                        id.range.start,
                        format!("duplicate feature id \"{}\" (first on line {first})", id.value),
                    );
                }
                Some(id.value.as_ref())
            }
            Some(other) => {
                self.error(start_of(other), "feature `id` must be a string");
                None
            }
            None => {
                self.error(feature.range.start, "feature has no top-level string `id`");
                None
            }
        }
    }

    /// Dispatch the per-layer property rules.
    fn check_layer(&mut self, file: &str, feature: &Object<'_>, props: &Object<'_>, id: Option<&str>) {
        match file {
            "countries.geojson" => self.require(props, &["name", "iso_a3"]),
            "provinces.geojson" => self.require(props, &["name", "country"]),
            "districts.geojson" => self.require(props, &["name", "province", "country", "source"]),
            "border.geojson" | "rivers.geojson" | "lakes.geojson" | "regions.geojson" => {
                self.require(props, &["name"]);
            }
            "places.geojson" => self.check_place(props),
            "events.geojson" => self.check_event(feature, props, id),
            "aid.geojson" => self.check_aid(props, id),
            _ => {}
        }
    }

    /// Require non-null members.
    fn require(&mut self, props: &Object<'_>, keys: &[&str]) {
        for key in keys {
            match props.get(key).map(|p| &p.value) {
                None => self.error(props.range.start, format!("missing property `{key}`")),
                Some(Value::NullKeyword(n)) => {
                    self.error(n.range.start, format!("property `{key}` must not be null"));
                }
                Some(_) => {}
            }
        }
    }

    /// `places.geojson`: name, kind, country, `geo_precision`, rank.
    fn check_place(&mut self, props: &Object<'_>) {
        self.require(props, &["name", "kind", "country", "geo_precision", "rank"]);
        self.one_of(props, "kind", &PLACE_KINDS);
        self.precision(props, "geo_precision");
        if let Some(value) = props.get("rank").map(|p| &p.value)
            && integer(value).is_none()
        {
            self.error(start_of(value), "`rank` must be an integer");
        }
    }

    /// `events.geojson`: exactly the ACLED keys and their value rules.
    fn check_event(&mut self, feature: &Object<'_>, props: &Object<'_>, id: Option<&str>) {
        self.require_exact_keys(props);
        self.check_event_types(props);
        self.date(props, "event_date", true);
        self.precision(props, "geo_precision");
        self.precision(props, "time_precision");
        if let Some(value) = props.get("fatalities").map(|p| &p.value)
            && integer(value).is_none_or(|n| n < 0)
        {
            self.error(start_of(value), "`fatalities` must be a non-negative integer");
        }
        if let (Some(id), Some(Value::StringLit(cnty))) = (id, props.get("event_id_cnty").map(|p| &p.value))
            && cnty.value != id
        {
            self.error(
                cnty.range.start,
                format!("`event_id_cnty` \"{}\" differs from the feature id \"{id}\"", cnty.value),
            );
        }
        self.check_event_point(feature, props);
    }

    /// Events: properties must be exactly [`ACLED_KEYS`].
    fn require_exact_keys(&mut self, props: &Object<'_>) {
        for key in ACLED_KEYS {
            if props.get(key).is_none() {
                self.error(props.range.start, format!("missing ACLED property `{key}`"));
            }
        }
        for prop in &props.properties {
            let (name, offset) = match &prop.name {
                ObjectPropName::String(s) => (s.value.as_ref(), s.range.start),
                ObjectPropName::Word(w) => (w.value, w.range.start),
            };
            if !ACLED_KEYS.contains(&name) {
                self.error(offset, format!("`{name}` is not an ACLED event property"));
            }
        }
    }

    /// Events: `event_type` / `sub_event_type` must be a valid ACLED pair.
    fn check_event_types(&mut self, props: &Object<'_>) {
        let Some(event_type) = props.get_string("event_type") else {
            if let Some(p) = props.get("event_type") {
                self.error(start_of(&p.value), "`event_type` must be a string");
            }
            return;
        };
        if let Some(disorder) = props.get_string("disorder_type")
            && !DISORDER_TYPES.contains(&disorder.value.as_ref())
        {
            self.error(
                disorder.range.start,
                format!(
                    "unknown ACLED disorder_type \"{}\" (expected one of: {})",
                    disorder.value,
                    DISORDER_TYPES.join(", ")
                ),
            );
        }
        if !ACLED_TYPES.iter().any(|(t, _)| *t == event_type.value) {
            self.error(event_type.range.start, format!("unknown ACLED event_type \"{}\"", event_type.value));
            return;
        }
        let subs = sub_event_types(&event_type.value);
        match props.get("sub_event_type").map(|p| &p.value) {
            Some(Value::StringLit(sub)) if subs.contains(&sub.value.as_ref()) => {}
            Some(other) => self.error(
                start_of(other),
                format!(
                    "sub_event_type is not an ACLED sub-type of \"{}\" (expected one of: {})",
                    event_type.value,
                    subs.join(", ")
                ),
            ),
            None => {}
        }
    }

    /// Events: `latitude` / `longitude` must equal the Point geometry.
    fn check_event_point(&mut self, feature: &Object<'_>, props: &Object<'_>) {
        let coords = feature
            .get_object("geometry")
            .filter(|g| g.get_string("type").is_some_and(|t| t.value == "Point"))
            .and_then(|g| g.get_array("coordinates"));
        let Some(coords) = coords else {
            self.error(feature.range.start, "an event needs a Point geometry");
            return;
        };
        for (key, index) in [("longitude", 0), ("latitude", 1)] {
            let geometry = coords.elements.get(index).and_then(number);
            if let Some(value) = props.get(key).map(|p| &p.value)
                && number(value) != geometry
            {
                self.error(start_of(value), format!("`{key}` differs from the Point geometry"));
            }
        }
    }

    /// `aid.geojson`: the aid schema.
    fn check_aid(&mut self, props: &Object<'_>, id: Option<&str>) {
        self.require(props, &AID_REQUIRED);
        self.one_of(props, "aid_type", &AID_TYPES);
        self.one_of(props, "status", &AID_STATUSES);
        self.precision(props, "geo_precision");
        if let Some(value) = props.get("amount_usd").map(|p| &p.value)
            && !matches!(value, Value::NullKeyword(_))
            && !number(value).is_some_and(|n| n >= 0.0)
        {
            self.error(start_of(value), "`amount_usd` must be null or a number ≥ 0");
        }
        for key in ["announced", "start", "end"] {
            self.date(props, key, false);
        }
        let given = |key: &str| props.get(key).is_some_and(|p| !matches!(p.value, Value::NullKeyword(_)));
        if !given("announced") && !given("start") {
            self.error(props.range.start, "aid needs at least one of `announced` and `start` (non-null)");
        }
        if let (Some(id), Some(Value::StringLit(prop_id))) = (id, props.get("id").map(|p| &p.value))
            && prop_id.value != id
        {
            self.error(
                prop_id.range.start,
                format!("property `id` \"{}\" differs from the feature id \"{id}\"", prop_id.value),
            );
        }
    }

    /// A string member must be one of `allowed` (absence is reported by `require`).
    fn one_of(&mut self, props: &Object<'_>, key: &str, allowed: &[&str]) {
        match props.get(key).map(|p| &p.value) {
            Some(Value::StringLit(s)) if allowed.contains(&s.value.as_ref()) => {}
            Some(Value::NullKeyword(_)) | None => {}
            Some(other) => self.error(start_of(other), format!("`{key}` must be one of: {}", allowed.join(", "))),
        }
    }

    /// A precision member must be the integer 1, 2 or 3.
    fn precision(&mut self, props: &Object<'_>, key: &str) {
        if let Some(value) = props.get(key).map(|p| &p.value)
            && !integer(value).is_some_and(|n| (1..=3).contains(&n))
        {
            self.error(start_of(value), format!("`{key}` must be 1, 2 or 3"));
        }
    }

    /// A date member must be a date the app reads ([`DateSpan::parse`], the one grammar);
    /// null/absent allowed unless `required`.
    fn date(&mut self, props: &Object<'_>, key: &str, required: bool) {
        match props.get(key).map(|p| &p.value) {
            Some(Value::StringLit(s)) => {
                if let Err(why) = DateSpan::parse(&s.value) {
                    self.error(s.range.start, format!("`{key}`: {why}"));
                }
            }
            Some(Value::NullKeyword(_)) | None if !required => {}
            None => {}
            Some(other) => self.error(start_of(other), format!("`{key}` must be a date string")),
        }
    }
}

/// A finite number value.
fn number(value: &Value<'_>) -> Option<f64> {
    match value {
        Value::NumberLit(n) => n.value.parse::<f64>().ok().filter(|v| v.is_finite()),
        _ => None,
    }
}

/// An integer number value (no fraction or exponent in the literal).
fn integer(value: &Value<'_>) -> Option<i64> {
    match value {
        Value::NumberLit(n) => n.value.parse::<i64>().ok(),
        _ => None,
    }
}
