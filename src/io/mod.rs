//! Reading and writing layers: GeoJSON (lossless), strict RFC 7946 validation, ACLED CSV.
//!
//! One error enum per format; every message names the file and, where known, the line.

pub mod acled;
pub mod acled_layer;
pub mod acled_par;
pub mod atomic;
pub mod convert;
pub mod crs;
pub mod csv_points;
pub mod direct;
pub mod geodata_check;
pub mod geojson;
pub mod geojson_fast;
pub mod gpkg;
pub mod journal;
pub mod kml;
pub mod open;
pub mod private;
pub mod progress;
pub mod read;
pub mod recovery;
pub mod save;
pub mod save_fast;
pub mod sync_ahead;
pub mod validate;
pub mod validate_stream;
pub mod xml;

/// The schema vocabularies, reachable as `super::schema` from [`geodata_check`] both here and
/// in `build.rs`, which includes the same file.
pub(crate) use crate::model::schema;
/// The app's date grammar, reachable as `super::span` from [`geodata_check`] both here and in
/// `build.rs`, which includes the same file: one grammar for shipped data and the app.
pub(crate) use crate::time::span;
