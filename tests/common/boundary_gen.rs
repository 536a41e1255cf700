//! Deterministic "full-resolution" district boundaries for benchmarks: the official Tajik and
//! Afghan ADM2 districts (geoBoundaries, from `../shared/data`) with every segment split into
//! `k` pieces that wiggle like a surveyed boundary (a few sine harmonics across the segment).
//! A segment shared by two districts wiggles the same way in both (the wiggle is a function of
//! the segment's two ends, not of its direction), so neighbours still meet without gaps.
//!
//! Not part of the library: `examples/gen_boundaries.rs` writes the result as GeoJSON and the
//! benches include this file with `#[path = "…/tests/common/boundary_gen.rs"] mod boundary_gen;`.

use std::io::{self, Write};
use std::path::Path;

use geo::{Coord, Geometry, LineString, MultiPolygon, Polygon};

/// The district files under `../shared/data`.
pub const DISTRICT_FILES: [&str; 2] =
    ["geoboundaries/geoBoundaries-TJK-ADM2.geojson", "geoboundaries/geoBoundaries-AFG-ADM2_simplified.geojson"];

/// Bytes one position takes in the written GeoJSON (`[70.1234567,37.1234567],`).
pub const BYTES_PER_POSITION: usize = 24;

/// `(name, geometry)` of every district in the files under `data_dir` (the shared data folder).
/// Read with `serde_json` values (the `geojson` crate's reader does not work with the
/// `arbitrary_precision` numbers this crate enables).
pub fn source_districts(data_dir: &Path) -> Result<Vec<(String, Geometry<f64>)>, String> {
    let mut out = Vec::new();
    for rel in DISTRICT_FILES {
        let path = data_dir.join(rel);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let root: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let features = root["features"].as_array().ok_or_else(|| format!("{}: no features", path.display()))?;
        for f in features {
            let name = f["properties"]["shapeName"].as_str().unwrap_or("").trim().to_owned();
            let coords = &f["geometry"]["coordinates"];
            let polygons = match f["geometry"]["type"].as_str() {
                Some("Polygon") => vec![polygon(coords)],
                Some("MultiPolygon") => {
                    coords.as_array().map(|ps| ps.iter().map(polygon).collect()).unwrap_or_default()
                }
                _ => continue,
            };
            out.push((name, Geometry::MultiPolygon(MultiPolygon(polygons))));
        }
    }
    Ok(out)
}

fn polygon(rings: &serde_json::Value) -> Polygon<f64> {
    let ring = |r: &serde_json::Value| -> LineString<f64> {
        r.as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| Some(Coord { x: p.get(0)?.as_f64()?, y: p.get(1)?.as_f64()? }))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into()
    };
    let rings: Vec<LineString<f64>> = rings.as_array().map(|rs| rs.iter().map(ring).collect()).unwrap_or_default();
    let mut rings = rings.into_iter();
    let exterior = rings.next().unwrap_or_else(|| LineString::new(Vec::new()));
    Polygon::new(exterior, rings.collect())
}

/// A fallback without the shared data: an `n`×`n` grid of square districts over the frontier.
pub fn synthetic_districts(n: usize) -> Vec<(String, Geometry<f64>)> {
    let (x0, y0, size) = (66.0, 35.0, 10.0 / n as f64);
    let mut out = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (x0 + i as f64 * size, y0 + j as f64 * size * 0.5);
            let ring = vec![(x, y), (x + size, y), (x + size, y + size * 0.5), (x, y + size * 0.5), (x, y)];
            out.push((format!("District {i}-{j}"), Geometry::Polygon(Polygon::new(ring.into(), vec![]))));
        }
    }
    out
}

/// Number of positions in a geometry's polygons.
pub fn position_count(g: &Geometry<f64>) -> usize {
    polygons_of(g).iter().map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()).sum()
}

/// The pieces per segment that bring `districts` to about `target_bytes` of GeoJSON.
pub fn pieces_for(districts: &[(String, Geometry<f64>)], target_bytes: usize) -> usize {
    let positions: usize = districts.iter().map(|(_, g)| position_count(g)).sum();
    target_bytes.div_ceil(positions.max(1) * BYTES_PER_POSITION).max(1)
}

/// The districts with every segment split into `k` wiggling pieces (polygons only).
pub fn densify(g: &Geometry<f64>, k: usize) -> Geometry<f64> {
    let polys: Vec<Polygon<f64>> = polygons_of(g)
        .iter()
        .map(|p| {
            Polygon::new(densify_ring(p.exterior(), k), p.interiors().iter().map(|r| densify_ring(r, k)).collect())
        })
        .collect();
    if polys.len() == 1 {
        Geometry::Polygon(polys.into_iter().next().unwrap_or_else(|| Polygon::new(LineString::new(vec![]), vec![])))
    } else {
        Geometry::MultiPolygon(MultiPolygon(polys))
    }
}

fn polygons_of(g: &Geometry<f64>) -> Vec<Polygon<f64>> {
    match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(mp) => mp.0.clone(),
        _ => Vec::new(),
    }
}

fn densify_ring(ring: &LineString<f64>, k: usize) -> LineString<f64> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len() * k);
    if let Some(first) = ring.0.first() {
        out.push(*first);
    }
    for w in ring.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        for i in 1..k {
            out.push(wiggle(a, b, i as f64 / k as f64));
        }
        out.push(b);
    }
    LineString(out)
}

/// The point at `t` along `a`→`b`, moved across the segment by the segment's wiggle.
fn wiggle(a: Coord<f64>, b: Coord<f64>, t: f64) -> Coord<f64> {
    // The wiggle is defined on the segment from its smaller end, so both districts that share
    // it compute the same points.
    let forward = (a.x, a.y) <= (b.x, b.y);
    let (p, q, s) = if forward { (a, b, t) } else { (b, a, 1.0 - t) };
    let (dx, dy) = (q.x - p.x, q.y - p.y);
    let seed = hash(p.x.to_bits() ^ hash(p.y.to_bits() ^ hash(q.x.to_bits() ^ hash(q.y.to_bits()))));
    let mut offset = 0.0;
    for (j, harmonic) in [1.0_f64, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0].iter().enumerate() {
        let h = (hash(seed ^ j as u64) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        offset += 0.05 / harmonic.powf(0.7) * h * (std::f64::consts::PI * harmonic * s).sin();
    }
    // Perpendicular to the segment, scaled by its length (dx, dy already are).
    Coord { x: a.x + t * (b.x - a.x) - dy * offset, y: a.y + t * (b.y - a.y) + dx * offset }
}

/// splitmix64.
fn hash(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Writes the districts as a GeoJSON `FeatureCollection` with `shapeName` properties and 7
/// decimals; returns the bytes written.
pub fn write_geojson(districts: &[(String, Geometry<f64>)], out: &mut impl Write) -> io::Result<u64> {
    let mut n = 0u64;
    let mut put = |out: &mut dyn Write, s: &str| -> io::Result<()> {
        n += s.len() as u64;
        out.write_all(s.as_bytes())
    };
    put(out, "{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for (i, (name, g)) in districts.iter().enumerate() {
        let sep = if i == 0 { "" } else { ",\n" };
        let name = serde_json::to_string(name).map_err(io::Error::other)?;
        put(out, &format!("{sep}{{\"type\":\"Feature\",\"properties\":{{\"shapeName\":{name}}},\"geometry\":"))?;
        let polys = polygons_of(g);
        put(out, "{\"type\":\"MultiPolygon\",\"coordinates\":[")?;
        for (pi, p) in polys.iter().enumerate() {
            put(out, if pi == 0 { "[" } else { ",[" })?;
            for (ri, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
                put(out, if ri == 0 { "[" } else { ",[" })?;
                let mut text = String::with_capacity(ring.0.len() * BYTES_PER_POSITION);
                for (ci, c) in ring.0.iter().enumerate() {
                    use std::fmt::Write as _;
                    let _ = write!(text, "{}[{:.7},{:.7}]", if ci == 0 { "" } else { "," }, c.x, c.y);
                }
                put(out, &text)?;
                put(out, "]")?;
            }
            put(out, "]")?;
        }
        put(out, "]}}")?;
    }
    put(out, "\n]}\n")?;
    Ok(n)
}

// Each includer uses part of this file: naming the entry points here keeps `dead_code` quiet in
// every includer without an `#[expect]` in each.
const _: () = {
    let _ = (source_districts, synthetic_districts, position_count, pieces_for, densify);
    let _ = |out: &mut Vec<u8>| write_geojson(&[], out);
};
