//! Attributes of a new feature drawn by the analyst, by layer schema (ACLED events, security
//! assistance, any other layer). Kept beside [`super::schema`], whose vocabularies they use;
//! `schema.rs` itself stays pure constants because `build.rs` includes it.

use serde_json::{Map, Value, json};

/// A new event: every ACLED field with an honest default (today, exact, "Other"), nothing
/// invented. `today` is `YYYY-MM-DD`; the point's coordinates fill `longitude`/`latitude`.
pub fn event(today: &str, lon: f64, lat: f64) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in [
        ("event_id_cnty", json!("")),
        ("event_date", json!(today)),
        ("time_precision", json!(1)),
        ("disorder_type", json!("Strategic developments")),
        ("event_type", json!("Strategic developments")),
        ("sub_event_type", json!("Other")),
        ("actor1", json!("")),
        ("actor2", json!("")),
        ("country", json!("")),
        ("admin1", json!("")),
        ("admin2", json!("")),
        ("location", json!("")),
        ("latitude", json!(lat)),
        ("longitude", json!(lon)),
        ("geo_precision", json!(1)),
        ("source", json!("")),
        ("notes", json!("")),
        ("fatalities", json!(0)),
    ] {
        m.insert(k.to_owned(), v);
    }
    m
}

/// A new aid item: the schema's fields, announced today, nothing else invented.
pub fn aid(today: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in [
        ("id", json!("")),
        ("donor", json!("")),
        ("recipient", json!("")),
        ("aid_type", json!("facility")),
        ("title", json!("")),
        ("announced", json!(today)),
        ("start", Value::Null),
        ("end", Value::Null),
        ("status", json!("announced")),
        ("location", json!("")),
        ("geo_precision", json!(1)),
        ("source", json!("")),
        ("notes", json!("")),
    ] {
        m.insert(k.to_owned(), v);
    }
    m
}

/// A generic layer's new feature gets the first feature's keys, empty, so the form shows them.
pub fn generic(first: Option<&Map<String, Value>>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(first) = first {
        for (k, v) in first {
            let empty = match v {
                Value::String(_) => json!(""),
                _ => Value::Null,
            };
            m.insert(k.clone(), empty);
        }
    } else {
        m.insert("name".to_owned(), json!(""));
    }
    m
}
