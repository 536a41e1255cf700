//! The `crs` member of GeoJSON files written by GDAL and QGIS (GeoJSON 2008), for loaders.
//!
//! RFC 7946 dropped `crs`: coordinates are WGS 84 longitude/latitude. A `crs` that names that
//! system (CRS84, EPSG:4326…) changes nothing; any other (EPSG:3857, a UTM zone) means the
//! numbers are not degrees, and drawing them as degrees would put the layer in the wrong
//! place, so the layer is refused with a message saying so. The rules are the validator's
//! ([`super::validate::crs_verdict`]), so `validate` and the loaders agree.

use jsonc_parser::{CollectOptions, parse_to_ast};
use serde_json::{Map, Value};

use super::geojson::GeoJsonError;
use super::validate::{CrsVerdict, crs_verdict, strict_options};

/// Refuses a document whose `crs` members (on the root object, its features or their
/// geometries) name a system other than WGS 84 longitude/latitude.
pub fn refuse_non_lon_lat(root: &Map<String, Value>, file_label: &str) -> Result<(), GeoJsonError> {
    let features = root.get("features").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let objects = std::iter::once(root).chain(features.iter().filter_map(Value::as_object));
    for object in objects {
        let geometry = object.get("geometry").and_then(Value::as_object);
        for crs in std::iter::once(object).chain(geometry).filter_map(|o| o.get("crs")) {
            if let CrsVerdict::NotLonLat(message) = crs_verdict_text(&crs.to_string()) {
                return Err(GeoJsonError::NotGeoJson { file: file_label.to_owned(), message });
            }
        }
    }
    Ok(())
}

/// [`crs_verdict`] of a `crs` value given as JSON text; text that is not JSON names no known
/// system.
pub fn crs_verdict_text(json: &str) -> CrsVerdict {
    match parse_to_ast(json, &CollectOptions::default(), &strict_options()).map(|r| r.value) {
        Ok(Some(value)) => crs_verdict(&value),
        _ => CrsVerdict::NotLonLat(format!("`crs` {json} is not a JSON value naming a coordinate system")),
    }
}
