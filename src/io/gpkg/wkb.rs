//! The GeoPackage geometry blob: the `GP` binary header (OGC 12-128r18 §2.1.3) followed by
//! ISO Well-Known Binary, converted to and from GeoJSON geometry objects (`serde_json`).
//!
//! Hand-written rather than taken from a crate: the `wkb` crate reads and writes through
//! `geo-traits`, whose only ready implementations (`geo-types`) are 2D, so keeping Z values
//! and exact GeoJSON numbers would need a `geo-traits` adapter for JSON values that is larger
//! than this codec.
//!
//! Reading accepts both byte orders, ISO (`1001`…) and EWKB (`0x8000_0000`) dimension flags,
//! XY, XYZ, XYM and XYZM (M values are dropped: GeoJSON has no measures), and the seven
//! OGC simple feature types. Writing produces little-endian ISO WKB with an XY envelope for
//! everything but points, as GDAL does.

use serde_json::{Map, Number, Value};

/// Deepest nesting of collections accepted when reading.
const MAX_DEPTH: usize = 32;

/// What reading a blob found besides the geometry.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    /// The `srs_id` in the header.
    pub srs_id: i32,
    /// Whether M values were present (and dropped).
    pub had_m: bool,
}

/// Decodes a GeoPackage geometry blob to a GeoJSON geometry object; `None` for an empty
/// geometry (an empty point, line or polygon; empty multi-geometries stay as empty arrays).
/// EMPTY parts of multi-geometries and collections are dropped (RFC 7946 has no form for them).
pub fn decode_blob(blob: &[u8]) -> Result<(Option<Value>, BlobInfo), String> {
    let header = blob.get(..8).ok_or("geometry blob is shorter than the 8-byte GeoPackage header")?;
    let [g, p, version, flags, s0, s1, s2, s3] = <[u8; 8]>::try_from(header).map_err(|e| e.to_string())?;
    if [g, p] != *b"GP" {
        return Err("geometry blob does not start with the GeoPackage magic `GP`".to_owned());
    }
    if version != 0 {
        return Err(format!("unsupported GeoPackage geometry blob version {version}"));
    }
    if flags & 0x20 != 0 {
        return Err("extended (non-standard) GeoPackage geometry types are not supported".to_owned());
    }
    let srs = [s0, s1, s2, s3];
    let srs_id = if flags & 1 == 1 { i32::from_le_bytes(srs) } else { i32::from_be_bytes(srs) };
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("invalid envelope indicator {e} in the geometry blob header")),
    };
    let body = blob.get(8 + envelope_len..).ok_or("geometry blob ends inside its envelope")?;
    let mut reader = Reader { bytes: body, pos: 0, had_m: false };
    let geometry = reader.geometry(0, None)?;
    let info = BlobInfo { srs_id, had_m: reader.had_m };
    Ok((if is_empty_simple(&geometry) { None } else { Some(geometry) }, info))
}

/// An empty point, line string or polygon has no GeoJSON form; those become null geometries.
fn is_empty_simple(g: &Value) -> bool {
    let kind = g.get("type").and_then(Value::as_str);
    let coords = g.get("coordinates").and_then(Value::as_array);
    matches!(kind, Some("Point" | "LineString" | "Polygon")) && coords.is_none_or(Vec::is_empty)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    had_m: bool,
}

#[derive(Clone, Copy)]
struct Dims {
    little: bool,
    z: bool,
    m: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.pos.checked_add(N).ok_or("WKB offset overflow")?;
        let slice = self.bytes.get(self.pos..end).ok_or("WKB ends early (truncated geometry)")?;
        self.pos = end;
        <[u8; N]>::try_from(slice).map_err(|e| e.to_string())
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    }

    /// A count of items of at least `min_size` bytes each, checked against the bytes left so a
    /// corrupt count cannot allocate gigabytes.
    fn count(&mut self, little: bool, min_size: usize) -> Result<usize, String> {
        let n = self.u32(little)? as usize;
        let left = self.bytes.len().saturating_sub(self.pos);
        if n.saturating_mul(min_size) > left {
            return Err(format!("WKB count {n} is larger than the data left ({left} bytes)"));
        }
        Ok(n)
    }

    /// One position; `None` for the NaN coordinates of an empty point.
    fn position(&mut self, d: Dims) -> Result<Option<Value>, String> {
        let x = self.f64(d.little)?;
        let y = self.f64(d.little)?;
        let z = if d.z { Some(self.f64(d.little)?) } else { None };
        if d.m {
            self.f64(d.little)?;
            self.had_m = true;
        }
        if x.is_nan() && y.is_nan() {
            return Ok(None);
        }
        let num = |v: f64| Number::from_f64(v).map(Value::Number).ok_or_else(|| format!("non-finite coordinate {v}"));
        let mut pos = vec![num(x)?, num(y)?];
        if let Some(z) = z {
            pos.push(num(z)?);
        }
        Ok(Some(Value::Array(pos)))
    }

    fn point_size(d: Dims) -> usize {
        8 * (2 + usize::from(d.z) + usize::from(d.m))
    }

    fn positions(&mut self, d: Dims) -> Result<Value, String> {
        let n = self.count(d.little, Self::point_size(d))?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.position(d)?.ok_or("NaN coordinate inside a line or ring")?);
        }
        Ok(Value::Array(out))
    }

    fn rings(&mut self, d: Dims) -> Result<Value, String> {
        let n = self.count(d.little, 4)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.positions(d)?);
        }
        Ok(Value::Array(out))
    }

    /// One WKB geometry; `expect` is the base type a multi-geometry requires of its parts.
    fn geometry(&mut self, depth: usize, expect: Option<u32>) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("geometry collections nested deeper than {MAX_DEPTH} levels"));
        }
        let [order] = self.take::<1>()?;
        let little = match order {
            0 => false,
            1 => true,
            b => return Err(format!("invalid WKB byte order {b}")),
        };
        let raw = self.u32(little)?;
        let ewkb_z = raw & 0x8000_0000 != 0;
        let ewkb_m = raw & 0x4000_0000 != 0;
        if raw & 0x2000_0000 != 0 {
            self.u32(little)?; // EWKB SRID, ignored: the header's srs_id rules.
        }
        let code = raw & 0x0FFF_FFFF;
        let (base, iso_z, iso_m) = match code / 1000 {
            0 => (code, false, false),
            1 => (code % 1000, true, false),
            2 => (code % 1000, false, true),
            3 => (code % 1000, true, true),
            _ => return Err(format!("unknown WKB geometry type {raw}")),
        };
        let d = Dims { little, z: ewkb_z || iso_z, m: ewkb_m || iso_m };
        if let Some(want) = expect
            && want != base
        {
            return Err(format!("WKB multi-geometry of type {} holds a {}", type_name(want), type_name(base)));
        }
        let (name, key, value) = match base {
            1 => ("Point", "coordinates", self.position(d)?.unwrap_or(Value::Array(Vec::new()))),
            2 => ("LineString", "coordinates", self.positions(d)?),
            3 => ("Polygon", "coordinates", self.rings(d)?),
            4..=6 => {
                let n = self.count(little, 5)?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    let part = self.geometry(depth + 1, Some(base - 3))?;
                    let coords = match part {
                        Value::Object(mut o) => o.remove("coordinates").unwrap_or(Value::Null),
                        _ => Value::Null,
                    };
                    // An EMPTY part (a point without a position, a line without points, a
                    // polygon without rings) has no GeoJSON form inside a multi-geometry and
                    // adds nothing to it: drop it, so the result is valid RFC 7946.
                    if coords.as_array().is_some_and(Vec::is_empty) {
                        continue;
                    }
                    parts.push(coords);
                }
                (type_name(base), "coordinates", Value::Array(parts))
            }
            7 => {
                let n = self.count(little, 5)?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    let part = self.geometry(depth + 1, None)?;
                    // Likewise an EMPTY point, line or polygon member.
                    if !is_empty_simple(&part) {
                        parts.push(part);
                    }
                }
                ("GeometryCollection", "geometries", Value::Array(parts))
            }
            other => return Err(format!("unsupported WKB geometry type {other} (curves and surfaces are not read)")),
        };
        let mut obj = Map::new();
        obj.insert("type".to_owned(), Value::from(name));
        obj.insert(key.to_owned(), value);
        Ok(Value::Object(obj))
    }
}

fn type_name(code: u32) -> &'static str {
    match code {
        1 => "Point",
        2 => "LineString",
        3 => "Polygon",
        4 => "MultiPoint",
        5 => "MultiLineString",
        6 => "MultiPolygon",
        7 => "GeometryCollection",
        _ => "unknown",
    }
}

/// The WKB code of a GeoJSON type name.
pub fn type_code(name: &str) -> Option<u32> {
    Some(match name {
        "Point" => 1,
        "LineString" => 2,
        "Polygon" => 3,
        "MultiPoint" => 4,
        "MultiLineString" => 5,
        "MultiPolygon" => 6,
        "GeometryCollection" => 7,
        _ => return None,
    })
}

/// An XY bounding box being grown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    /// West.
    pub min_x: f64,
    /// South.
    pub min_y: f64,
    /// East.
    pub max_x: f64,
    /// North.
    pub max_y: f64,
}

impl Envelope {
    /// Grows `this` to include `other`.
    pub fn merge(this: Option<Self>, other: Option<Self>) -> Option<Self> {
        match (this, other) {
            (Some(a), Some(b)) => Some(Self {
                min_x: a.min_x.min(b.min_x),
                min_y: a.min_y.min(b.min_y),
                max_x: a.max_x.max(b.max_x),
                max_y: a.max_y.max(b.max_y),
            }),
            (a, b) => a.or(b),
        }
    }
}

/// A geometry encoded for a GeoPackage, with what the layer metadata needs to know about it.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The blob: header, optional envelope, WKB.
    pub blob: Vec<u8>,
    /// The XY bounds, `None` when empty.
    pub envelope: Option<Envelope>,
    /// Whether the geometry has Z values.
    pub has_z: bool,
}

/// Encodes a GeoJSON geometry object as a GeoPackage blob with the given `srs_id`.
///
/// A geometry with some 3-number and some 2-number positions is written as XYZ with Z = 0
/// for the 2-number ones (WKB requires one dimension per geometry).
pub fn encode_blob(geometry: &Value, srs_id: i32) -> Result<Encoded, String> {
    let has_z = any_z(geometry, 0)?;
    let mut wkb = Vec::new();
    let mut env = None;
    write_geometry(geometry, has_z, &mut wkb, &mut env, 0)?;
    let point = geometry.get("type").and_then(Value::as_str) == Some("Point");
    let empty = env.is_none();
    let envelope_code = u8::from(!(point || empty));
    let flags = 1 | (envelope_code << 1) | if empty { 0x10 } else { 0 };
    let mut blob = Vec::with_capacity(8 + 32 + wkb.len());
    blob.extend_from_slice(b"GP");
    blob.push(0);
    blob.push(flags);
    blob.extend_from_slice(&srs_id.to_le_bytes());
    if let (1, Some(e)) = (envelope_code, env) {
        for v in [e.min_x, e.max_x, e.min_y, e.max_y] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
    }
    blob.extend_from_slice(&wkb);
    Ok(Encoded { blob, envelope: env, has_z })
}

/// [`encode_blob`] of the 2D point `[x, y]` (finite numbers), without building its JSON.
pub fn encode_point_blob(x: f64, y: f64, srs_id: i32) -> Encoded {
    let mut blob = Vec::with_capacity(29);
    blob.extend_from_slice(b"GP");
    blob.push(0);
    blob.push(1);
    blob.extend_from_slice(&srs_id.to_le_bytes());
    write_header(&mut blob, 1, false);
    blob.extend_from_slice(&x.to_le_bytes());
    blob.extend_from_slice(&y.to_le_bytes());
    Encoded { blob, envelope: Some(Envelope { min_x: x, min_y: y, max_x: x, max_y: y }), has_z: false }
}

fn any_z(g: &Value, depth: usize) -> Result<bool, String> {
    if depth > MAX_DEPTH {
        return Err(format!("geometry nested deeper than {MAX_DEPTH} levels"));
    }
    if let Some(parts) = g.get("geometries").and_then(Value::as_array) {
        for part in parts {
            if any_z(part, depth + 1)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    Ok(g.get("coordinates").is_some_and(any_z_position))
}

fn any_z_position(v: &Value) -> bool {
    match v.as_array() {
        Some(items) if items.first().is_some_and(Value::is_number) => items.len() > 2,
        Some(items) => items.iter().any(any_z_position),
        None => false,
    }
}

fn write_header(out: &mut Vec<u8>, code: u32, z: bool) {
    out.push(1);
    out.extend_from_slice(&(code + if z { 1000 } else { 0 }).to_le_bytes());
}

fn len_u32(n: usize) -> Result<[u8; 4], String> {
    u32::try_from(n).map(u32::to_le_bytes).map_err(|e| format!("{n} items do not fit in WKB: {e}"))
}

fn write_position(pos: &Value, z: bool, out: &mut Vec<u8>, env: &mut Option<Envelope>) -> Result<(), String> {
    let nums = pos.as_array().ok_or("a position is not an array")?;
    let get = |i: usize| nums.get(i).map(|v| v.as_f64().ok_or("a coordinate is not a number")).transpose();
    let (Some(x), Some(y)) = (get(0)?, get(1)?) else {
        return Err("a position has fewer than 2 numbers".to_owned());
    };
    out.extend_from_slice(&x.to_le_bytes());
    out.extend_from_slice(&y.to_le_bytes());
    if z {
        out.extend_from_slice(&get(2)?.unwrap_or(0.0).to_le_bytes());
    }
    *env = Envelope::merge(*env, Some(Envelope { min_x: x, min_y: y, max_x: x, max_y: y }));
    Ok(())
}

fn write_positions(v: &Value, z: bool, out: &mut Vec<u8>, env: &mut Option<Envelope>) -> Result<(), String> {
    let items = v.as_array().ok_or("expected an array of positions")?;
    out.extend_from_slice(&len_u32(items.len())?);
    items.iter().try_for_each(|p| write_position(p, z, out, env))
}

fn write_rings(v: &Value, z: bool, out: &mut Vec<u8>, env: &mut Option<Envelope>) -> Result<(), String> {
    let rings = v.as_array().ok_or("expected an array of rings")?;
    out.extend_from_slice(&len_u32(rings.len())?);
    rings.iter().try_for_each(|r| write_positions(r, z, out, env))
}

fn write_geometry(
    g: &Value,
    z: bool,
    out: &mut Vec<u8>,
    env: &mut Option<Envelope>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("geometry nested deeper than {MAX_DEPTH} levels"));
    }
    let name = g.get("type").and_then(Value::as_str).ok_or("geometry has no `type`")?;
    let code = type_code(name).ok_or_else(|| format!("unknown geometry type `{name}`"))?;
    write_header(out, code, z);
    if code == 7 {
        let parts = g.get("geometries").and_then(Value::as_array).ok_or("GeometryCollection has no `geometries`")?;
        out.extend_from_slice(&len_u32(parts.len())?);
        return parts.iter().try_for_each(|p| write_geometry(p, z, out, env, depth + 1));
    }
    let coords = g.get("coordinates").ok_or_else(|| format!("{name} has no `coordinates`"))?;
    let parts = || coords.as_array().ok_or_else(|| format!("{name} coordinates are not an array"));
    match code {
        1 if parts()?.is_empty() => {
            for _ in 0..if z { 3 } else { 2 } {
                out.extend_from_slice(&f64::NAN.to_le_bytes());
            }
            Ok(())
        }
        1 => write_position(coords, z, out, env),
        2 => write_positions(coords, z, out, env),
        3 => write_rings(coords, z, out, env),
        _ => {
            let parts = parts()?;
            out.extend_from_slice(&len_u32(parts.len())?);
            for part in parts {
                write_header(out, code - 3, z);
                match code {
                    4 => write_position(part, z, out, env)?,
                    5 => write_positions(part, z, out, env)?,
                    _ => write_rings(part, z, out, env)?,
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
    fn a_plain_point_encodes_as_its_json_does() {
        for (x, y) in [(69.5, 37.25), (-180.0, 90.0), (0.0, -0.0), (1e-300, 12.0)] {
            let json = encode_blob(&json!({"type": "Point", "coordinates": [x, y]}), 4326).unwrap();
            let plain = encode_point_blob(x, y, 4326);
            assert_eq!((plain.blob, plain.envelope, plain.has_z), (json.blob, json.envelope, json.has_z));
        }
    }

    fn round(g: &Value) -> Value {
        let enc = encode_blob(g, 4326).unwrap();
        decode_blob(&enc.blob).unwrap().0.unwrap()
    }

    #[test]
    fn every_type_round_trips_exactly() {
        let cases = [
            json!({"type": "Point", "coordinates": [69.123_456_789_012_35, 37.1]}),
            json!({"type": "Point", "coordinates": [69.5, 37.25, 1200.5]}),
            json!({"type": "LineString", "coordinates": [[0.1, 0.2], [0.3, 0.4]]}),
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 0.0]],
                [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]]]}),
            json!({"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
            json!({"type": "MultiPoint", "coordinates": []}),
            json!({"type": "MultiLineString", "coordinates": [[[1.0, 2.0], [3.0, 4.0]]]}),
            json!({"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]]}),
            json!({"type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [1.0, 2.0]},
                {"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}]}),
        ];
        for g in &cases {
            assert_eq!(&round(g), g);
        }
    }

    #[test]
    fn big_endian_and_ewkb_z_are_read() {
        // Big-endian header and body, EWKB Z flag, point (1, 2, 3).
        let mut blob = b"GP\0\0".to_vec();
        blob.extend_from_slice(&4326_i32.to_be_bytes());
        blob.push(0);
        blob.extend_from_slice(&0x8000_0001_u32.to_be_bytes());
        for v in [1.0_f64, 2.0, 3.0] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
        let (g, info) = decode_blob(&blob).unwrap();
        assert_eq!(info.srs_id, 4326);
        assert_eq!(g.unwrap(), json!({"type": "Point", "coordinates": [1.0, 2.0, 3.0]}));
    }

    #[test]
    fn empty_point_is_null_and_garbage_is_an_error() {
        let enc = encode_blob(&json!({"type": "Point", "coordinates": []}), 4326).unwrap();
        assert_eq!(enc.blob[3] & 0x10, 0x10, "empty flag set");
        assert!(decode_blob(&enc.blob).unwrap().0.is_none());
        assert!(decode_blob(b"GP\0\x01\0\0\0\0\x01\x02\0\0\0\xff\xff\xff\xff").is_err());
        assert!(decode_blob(b"XX").is_err());
    }
}
