//! Dev tool, not shipped: the limit of this machine for opening a GeoJSON file of points, a
//! plain `serde_json` typed parse of it. Used by `scripts/bench-vs-gdal.sh` as the floor that
//! loading is compared with.
//!
//! The file is read whole (`std::fs::read`), then deserialised straight into structs that
//! borrow from the text: each point's two coordinates as `f64`, its id and the `event_date`,
//! `event_type` and `country` properties as borrowed strings (`Cow`, owned only where a string
//! has escapes), every other member skipped (parsed and checked, not kept — what keeping it
//! as a `RawValue` slice would cost). No value tree, no validation beyond JSON syntax, no
//! positions for messages, one thread: what any loader of the same file must at least do.
//!
//! `parse_floor FILE.geojson` prints the feature count and the read and parse times.

use std::borrow::Cow;
use std::process::ExitCode;
use std::time::Instant;

use serde::Deserialize;

/// The collection: only its features.
#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(borrow)]
    features: Vec<Feature<'a>>,
}

/// One point feature.
#[derive(Deserialize)]
struct Feature<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    geometry: Point,
    #[serde(borrow)]
    properties: Properties<'a>,
}

/// A point's coordinates (other members skipped).
#[derive(Deserialize)]
struct Point {
    coordinates: [f64; 2],
}

/// The properties an events layer keeps as columns; the others are skipped.
#[derive(Deserialize)]
struct Properties<'a> {
    #[serde(borrow, default)]
    event_date: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    country: Option<Cow<'a, str>>,
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse_floor FILE.geojson");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("parse_floor: {path}: {e}");
            return ExitCode::from(1);
        }
    };
    let read = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let collection: Collection<'_> = match serde_json::from_slice(&bytes) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("parse_floor: {path}: {e}");
            return ExitCode::from(1);
        }
    };
    let parse = start.elapsed().as_secs_f64();
    // Use what was parsed, so that none of it is optimised away.
    let (mut x, mut dated) = (0.0, 0usize);
    for f in &collection.features {
        x += f.geometry.coordinates[0] + f.geometry.coordinates[1];
        dated += usize::from(f.properties.event_date.is_some() && f.properties.event_type.is_some());
        dated += usize::from(f.id.is_some() && f.properties.country.is_some());
    }
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{} features ({dated} dated fields, checksum {x:.1}), {mb:.0} MB: read {read:.2} s, typed parse {parse:.2} s ({:.0} MB/s)",
        collection.features.len(),
        mb / parse.max(1e-9)
    );
    ExitCode::SUCCESS
}
