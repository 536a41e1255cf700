//! PostGIS Extended WKB: GeoJSON geometry objects to EWKB and back.
//!
//! Writing produces exactly what `ST_AsEWKB` returns for the same geometry: little-endian,
//! the SRID (4326) on the outer geometry only, the Z flag (`0x8000_0000`) on every part of a
//! geometry whose positions have three values, an empty point as two (or three) NaNs. So
//! `ST_AsEWKB(ST_GeomFromEWKB(x)) = x` for everything this module writes (tested against the
//! server in `tests/db_store.rs`). Reading reuses the GeoPackage codec's WKB reader
//! ([`crate::io::gpkg::wkb`]), which accepts both byte orders, ISO and EWKB flags, and drops M.

use serde_json::Value;

/// The SRID of every stored geometry: WGS 84 longitude/latitude.
pub const SRID: u32 = 4326;

const Z_FLAG: u32 = 0x8000_0000;
const SRID_FLAG: u32 = 0x2000_0000;
/// Deepest nesting of geometry collections written.
const MAX_DEPTH: usize = 32;

/// Encodes a GeoJSON geometry object as EWKB with SRID 4326. Positions must all have two
/// values or all three (a 3-D geometry keeps its Z); anything else is refused with a reason.
pub fn encode(geometry: &Value) -> Result<Vec<u8>, String> {
    let z = dims(geometry, 0)?.unwrap_or(false);
    let mut out = Vec::with_capacity(64);
    write(geometry, z, Some(SRID), &mut out, 0)?;
    Ok(out)
}

/// Decodes EWKB (or plain WKB) to a GeoJSON geometry object; `None` for an empty point, line
/// or polygon (GeoJSON has no form for them).
pub fn decode(bytes: &[u8]) -> Result<Option<Value>, String> {
    // The GeoPackage reader takes a blob: an 8-byte `GP` header (little-endian, no envelope)
    // in front of the WKB.
    let mut blob = Vec::with_capacity(bytes.len() + 8);
    blob.extend_from_slice(b"GP\x00\x01");
    blob.extend_from_slice(&SRID.to_le_bytes());
    blob.extend_from_slice(bytes);
    crate::io::gpkg::wkb::decode_blob(&blob).map(|(g, _)| g)
}

fn type_code(kind: &str) -> Result<u32, String> {
    Ok(match kind {
        "Point" => 1,
        "LineString" => 2,
        "Polygon" => 3,
        "MultiPoint" => 4,
        "MultiLineString" => 5,
        "MultiPolygon" => 6,
        "GeometryCollection" => 7,
        other => return Err(format!("unknown geometry type `{other}`")),
    })
}

fn kind_of(g: &Value) -> Result<&str, String> {
    g.get("type").and_then(Value::as_str).ok_or_else(|| "a geometry without a `type`".to_owned())
}

fn coords_of(g: &Value) -> Result<&Value, String> {
    g.get("coordinates").ok_or_else(|| "a geometry without `coordinates`".to_owned())
}

/// Whether the geometry's positions are 3-D (`None` when it has none); mixed is an error.
fn dims(g: &Value, depth: usize) -> Result<Option<bool>, String> {
    if depth > MAX_DEPTH {
        return Err(format!("geometry collections nested deeper than {MAX_DEPTH} levels"));
    }
    if kind_of(g)? == "GeometryCollection" {
        let parts = g.get("geometries").and_then(Value::as_array).ok_or("a GeometryCollection without `geometries`")?;
        let mut seen = None;
        for p in parts {
            seen = merge(seen, dims(p, depth + 1)?)?;
        }
        return Ok(seen);
    }
    position_dims(coords_of(g)?, None)
}

fn merge(a: Option<bool>, b: Option<bool>) -> Result<Option<bool>, String> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Err("the geometry mixes 2-D and 3-D positions".to_owned()),
        (Some(x), _) | (None, Some(x)) => Ok(Some(x)),
        (None, None) => Ok(None),
    }
}

fn position_dims(v: &Value, seen: Option<bool>) -> Result<Option<bool>, String> {
    let Value::Array(items) = v else { return Err("coordinates must be arrays".to_owned()) };
    if items.first().is_some_and(Value::is_number) {
        let z = match items.len() {
            2 => false,
            3 => true,
            n => return Err(format!("a position with {n} values (expected 2 or 3)")),
        };
        return merge(seen, Some(z));
    }
    let mut seen = seen;
    for item in items {
        seen = position_dims(item, seen)?;
    }
    Ok(seen)
}

/// A geometry's header; `srid` only on the outer geometry.
fn header(out: &mut Vec<u8>, code: u32, z: bool, srid: Option<u32>) {
    out.push(1);
    let mut flags = code;
    if z {
        flags |= Z_FLAG;
    }
    if srid.is_some() {
        flags |= SRID_FLAG;
    }
    out.extend_from_slice(&flags.to_le_bytes());
    if let Some(srid) = srid {
        out.extend_from_slice(&srid.to_le_bytes());
    }
}

fn count(n: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let n = u32::try_from(n).map_err(|e| format!("{n} parts are too many for WKB ({e})"))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn position(v: &Value, z: bool, out: &mut Vec<u8>) -> Result<(), String> {
    let items = v.as_array().ok_or("a position must be an array of numbers")?;
    let want = if z { 3 } else { 2 };
    if items.len() != want {
        return Err(format!("a position with {} values in a {want}-D geometry", items.len()));
    }
    for item in items {
        let x = item.as_f64().filter(|x| x.is_finite()).ok_or("a coordinate that is not a finite number")?;
        out.extend_from_slice(&x.to_le_bytes());
    }
    Ok(())
}

fn positions(v: &Value, z: bool, out: &mut Vec<u8>) -> Result<(), String> {
    let items = v.as_array().ok_or("expected an array of positions")?;
    count(items.len(), out)?;
    items.iter().try_for_each(|p| position(p, z, out))
}

fn rings(v: &Value, z: bool, out: &mut Vec<u8>) -> Result<(), String> {
    let items = v.as_array().ok_or("expected an array of rings")?;
    count(items.len(), out)?;
    items.iter().try_for_each(|r| positions(r, z, out))
}

fn write(g: &Value, z: bool, srid: Option<u32>, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("geometry collections nested deeper than {MAX_DEPTH} levels"));
    }
    let kind = kind_of(g)?;
    let code = type_code(kind)?;
    header(out, code, z, srid);
    if code == 7 {
        let parts = g.get("geometries").and_then(Value::as_array).ok_or("a GeometryCollection without `geometries`")?;
        count(parts.len(), out)?;
        return parts.iter().try_for_each(|p| write(p, z, None, out, depth + 1));
    }
    let coords = coords_of(g)?;
    let parts = coords.as_array().ok_or("coordinates must be an array")?;
    match code {
        1 if parts.is_empty() => {
            for _ in 0..(if z { 3 } else { 2 }) {
                out.extend_from_slice(&f64::NAN.to_le_bytes());
            }
            Ok(())
        }
        1 => position(coords, z, out),
        2 => positions(coords, z, out),
        3 => rings(coords, z, out),
        _ => {
            count(parts.len(), out)?;
            for part in parts {
                header(out, code - 3, z, None);
                match code {
                    4 => position(part, z, out)?,
                    5 => positions(part, z, out)?,
                    _ => rings(part, z, out)?,
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_point_is_the_bytes_postgis_writes() {
        let b = encode(&json!({"type": "Point", "coordinates": [1.0, 2.0]})).unwrap();
        let mut want = vec![1, 1, 0, 0, 0x20];
        want.extend_from_slice(&4326u32.to_le_bytes());
        want.extend_from_slice(&1f64.to_le_bytes());
        want.extend_from_slice(&2f64.to_le_bytes());
        assert_eq!(b, want);
    }

    #[test]
    fn geometries_come_back_from_their_bytes() {
        for g in [
            json!({"type": "Point", "coordinates": [69.5, 37.25, 1200.5]}),
            json!({"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]],
                [[0.2, 0.2], [0.4, 0.2], [0.4, 0.4], [0.2, 0.2]]]]}),
            json!({"type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [1.0, 2.0]},
                {"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}]}),
        ] {
            assert_eq!(decode(&encode(&g).unwrap()).unwrap(), Some(g));
        }
    }

    #[test]
    fn bad_geometries_say_why() {
        let mixed = json!({"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0, 5.0]]});
        assert!(encode(&mixed).unwrap_err().contains("mixes 2-D and 3-D"));
        assert!(encode(&json!({"type": "Circle", "coordinates": [1.0, 2.0]})).unwrap_err().contains("Circle"));
        assert!(decode(&[1, 1, 0]).is_err());
    }
}
