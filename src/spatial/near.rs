//! "Events within X km of aid sites": geodesic distances on WGS84 (`GeographicLib` through
//! `geo`), optionally only while each site was active, with approximate locations flagged.

use std::fmt::Write as _;

use geo::{Distance as _, Geodesic, Point};

use super::geo_from_world;
use crate::model::{Feature, Layer};
use crate::time::{OPEN_END, Range};

/// One event near one site.
#[derive(Debug, Clone, PartialEq)]
pub struct NearMatch {
    /// Index of the site in its layer.
    pub site: usize,
    /// Index of the event in its layer.
    pub event: usize,
    /// Geodesic distance in km (nearest pair of positions).
    pub distance_km: f64,
    /// Whether the site or the event is placed only at district or province level
    /// (`geo_precision` 3): the distance is then approximate.
    pub approximate: bool,
}

/// When an event must have happened to count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// Any time.
    Always,
    /// Within a range (inclusive).
    Range(Range),
    /// While the site was active (its announced/start–end span; an event whose span overlaps
    /// it counts, at the precision both dates have).
    DuringSiteDates,
}

/// Geodesic distance between two `(lon, lat)` positions in km.
pub fn geodesic_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1)) / 1000.0
}

/// A geodesic circle of radius `km` around `centre` (`(lon, lat)`), as `steps` points of a
/// closed ring (the first point repeated at the end): the radius drawn on the map.
pub fn geodesic_circle(centre: (f64, f64), km: f64, steps: usize) -> Vec<(f64, f64)> {
    use geo::Destination as _;
    let steps = steps.max(3);
    let origin = Point::new(centre.0, centre.1);
    (0..=steps)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "a few hundred steps")]
            let bearing = 360.0 * (i % steps) as f64 / steps as f64;
            let p = Geodesic.destination(origin, bearing, km * 1000.0);
            (p.x(), p.y())
        })
        .collect()
}

/// A feature's positions as `(lon, lat)`: its points, else its line and ring vertices.
fn positions(f: &Feature) -> Vec<(f64, f64)> {
    let shape = &f.shape;
    let world: Vec<[f64; 2]> = if shape.points.is_empty() {
        shape.lines().iter().flatten().chain(shape.polygons().iter().flatten().flatten()).copied().collect()
    } else {
        shape.points.to_vec()
    };
    world.into_iter().map(geo_from_world).collect()
}

fn approximate(f: &Feature) -> bool {
    f.prop_f64("geo_precision").is_some_and(|p| p >= 3.0)
}

/// The events of `events` within `km` of each feature of `sites`, by site then distance.
pub fn events_near_sites(sites: &Layer, events: &Layer, km: f64, when: When) -> Vec<NearMatch> {
    let event_positions: Vec<Vec<(f64, f64)>> = events.features.iter().map(|f| positions(&f)).collect();
    let mut out = Vec::new();
    for (si, site) in sites.features.iter().enumerate() {
        let site_positions = positions(&site);
        if site_positions.is_empty() {
            continue;
        }
        let mut here = Vec::new();
        for (ei, event) in events.features.iter().enumerate() {
            let in_time = match when {
                When::Always => true,
                When::Range(r) => event.time.is_none_or(|t| t.overlaps(&r)),
                When::DuringSiteDates => match (site.time, event.time) {
                    (Some(s), Some(e)) => e.overlaps(&Range::new(s.start, s.end)),
                    _ => false,
                },
            };
            if !in_time {
                continue;
            }
            let Some(distance_km) = event_positions
                .get(ei)
                .into_iter()
                .flatten()
                .flat_map(|e| site_positions.iter().map(move |s| geodesic_km(*s, *e)))
                .min_by(f64::total_cmp)
            else {
                continue;
            };
            if distance_km <= km {
                here.push(NearMatch {
                    site: si,
                    event: ei,
                    distance_km,
                    approximate: approximate(&site) || approximate(&event),
                });
            }
        }
        here.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km));
        out.extend(here);
    }
    out
}

/// A measured path: each leg's geodesic length in km, their total, and for a closed shape
/// (three or more points) the geodesic area in km².
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// Length of each leg, km.
    pub legs_km: Vec<f64>,
    /// Sum of the legs, km.
    pub total_km: f64,
    /// Area of the polygon the points enclose, km² (`None` below three points).
    pub area_km2: Option<f64>,
}

/// Measures a path of `(lon, lat)` points on WGS84 (the measure tool's numbers).
pub fn measure(points: &[(f64, f64)]) -> Measure {
    use geo::GeodesicArea as _;
    let legs_km: Vec<f64> = points.windows(2).map(|w| geodesic_km(w[0], w[1])).collect();
    let total_km = legs_km.iter().sum();
    let area_km2 = (points.len() >= 3).then(|| {
        let ring: Vec<geo::Coord<f64>> = points.iter().map(|&(x, y)| geo::coord! { x: x, y: y }).collect();
        geo::Polygon::new(geo::LineString::new(ring), Vec::new()).geodesic_area_unsigned() / 1e6
    });
    Measure { legs_km, total_km, area_km2 }
}

fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

fn span_text(f: &Feature) -> String {
    f.time.map_or_else(String::new, |t| {
        if t.end == OPEN_END {
            format!("{}/", t.start)
        } else if t.start == t.end {
            t.start.to_string()
        } else {
            format!("{}/{}", t.start, t.end)
        }
    })
}

/// The matches as CSV, one row per site–event pair.
pub fn matches_csv(sites: &Layer, events: &Layer, matches: &[NearMatch]) -> String {
    let mut s = String::from(
        "site_id,site_title,site_dates,event_id,event_date,event_type,fatalities,distance_km,approximate,source\n",
    );
    for m in matches {
        let (Some(site), Some(event)) = (sites.features.get(m.site), events.features.get(m.event)) else { continue };
        let id = |f: &Feature| f.id.as_ref().map(ToString::to_string).unwrap_or_default();
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{:.2},{},{}",
            cell(&id(&site)),
            cell(&site.display_name(sites.label_field.as_deref())),
            cell(&span_text(&site)),
            cell(&id(&event)),
            cell(&event.prop_text("event_date").unwrap_or_else(|| span_text(&event))),
            cell(&event.prop_text("event_type").unwrap_or_default()),
            event.prop_f64("fatalities").unwrap_or(0.0),
            m.distance_km,
            if m.approximate { "yes" } else { "no" },
            cell(&event.prop_text("source").unwrap_or_default()),
        );
    }
    s
}

/// The matched events as a GeoJSON layer (one feature per site–event pair: the event's
/// geometry and properties, plus `near_site`, `near_site_title`, `distance_km`, `approximate`).
pub fn matches_geojson(sites: &Layer, events: &Layer, matches: &[NearMatch]) -> String {
    use serde_json::{Map, Value, json};
    let features: Vec<Value> = matches
        .iter()
        .filter_map(|m| {
            let (site, event) = (sites.features.get(m.site)?, events.features.get(m.event)?);
            let mut props: Map<String, Value> = event.properties.clone();
            props.insert("near_site".to_owned(), json!(site.id.as_ref().map(ToString::to_string)));
            let title = site.prop_text("title").unwrap_or_else(|| site.display_name(sites.label_field.as_deref()));
            props.insert("near_site_title".to_owned(), json!(title));
            props.insert("distance_km".to_owned(), json!((m.distance_km * 100.0).round() / 100.0));
            props.insert("approximate".to_owned(), json!(m.approximate));
            let mut f = Map::new();
            f.insert("type".to_owned(), json!("Feature"));
            if let Some(id) = &event.id {
                f.insert(
                    "id".to_owned(),
                    json!(format!("{}@{}", id, site.id.as_ref().map(ToString::to_string).unwrap_or_default())),
                );
            }
            f.insert("geometry".to_owned(), event.geometry.clone().unwrap_or(Value::Null));
            f.insert("properties".to_owned(), Value::Object(props));
            Some(Value::Object(f))
        })
        .collect();
    format!("{:#}\n", json!({"type": "FeatureCollection", "features": features}))
}

/// One line per site with matches: counts by event type, fatalities, first and last date.
pub fn summary(sites: &Layer, events: &Layer, matches: &[NearMatch]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut i = 0;
    while let Some(first) = matches.get(i) {
        let group: Vec<&NearMatch> = matches[i..].iter().take_while(|m| m.site == first.site).collect();
        i += group.len();
        let Some(site) = sites.features.get(first.site) else { continue };
        let mut types: Vec<(String, usize)> = Vec::new();
        let mut fatalities = 0.0;
        let mut dates = Vec::new();
        let mut approx = 0;
        for m in &group {
            let Some(e) = events.features.get(m.event) else { continue };
            let t = e.prop_text("event_type").unwrap_or_default();
            match types.iter_mut().find(|(n, _)| *n == t) {
                Some((_, c)) => *c += 1,
                None => types.push((t, 1)),
            }
            fatalities += e.prop_f64("fatalities").unwrap_or(0.0);
            if let Some(span) = e.time {
                dates.push(span.start);
                dates.push(span.end);
            }
            approx += usize::from(m.approximate);
        }
        types.sort();
        let kinds = types.iter().map(|(n, c)| format!("{c} {n}")).collect::<Vec<_>>().join(", ");
        let range = match (dates.iter().min(), dates.iter().max()) {
            (Some(a), Some(b)) => format!("{a} – {b}"),
            _ => "undated".to_owned(),
        };
        let title = site.prop_text("title").unwrap_or_else(|| site.display_name(sites.label_field.as_deref()));
        let name = match &site.id {
            Some(id) => format!("{id} {title}"),
            None => title,
        };
        let n = group.len();
        lines.push(format!(
            "{name}: {n} event{} ({kinds}); {fatalities} fatalities; {range}{}",
            if n == 1 { "" } else { "s" },
            if approx > 0 { format!("; {approx} approximate (precision 3)") } else { String::new() }
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measure_matches_geographiclib_legs_and_area() {
        // GeographicLib (Python geographiclib 2.x): Dushanbe → Kulob 111.8447 km, Kulob →
        // Khorog 162.9523 km; the 0.2° × 0.2° square at 71–71.2 E, 37–37.2 N 394.6206 km².
        let m = measure(&[(68.779, 38.536), (69.7845, 37.9146), (71.553, 37.489)]);
        for (got, want) in m.legs_km.iter().zip([111.8447, 162.9523]) {
            assert!((got - want).abs() / want < 0.001, "{got} km, want {want}");
        }
        assert!((m.total_km - 274.7970).abs() / 274.797 < 0.001, "{}", m.total_km);
        let square = measure(&[(71.0, 37.0), (71.2, 37.0), (71.2, 37.2), (71.0, 37.2)]);
        let area = square.area_km2.unwrap();
        assert!((area - 394.6206).abs() / 394.6206 < 0.001, "{area} km²");
        assert_eq!(measure(&[(71.0, 37.0)]), Measure { legs_km: Vec::new(), total_km: 0.0, area_km2: None });
    }

    #[test]
    fn the_radius_circle_is_at_the_radius_everywhere() {
        let ring = geodesic_circle((68.02949, 36.96503), 25.0, 64);
        assert_eq!(ring.len(), 65);
        assert_eq!(ring.first(), ring.last());
        for p in &ring {
            let d = geodesic_km((68.02949, 36.96503), *p);
            assert!((d - 25.0).abs() < 1e-6, "{p:?} is {d} km away");
        }
    }

    #[test]
    fn geodesic_distances_match_geographiclib() {
        // GeographicLib (Python geographiclib 2.x, Geodesic.WGS84.Inverse): Dushanbe
        // (68.779 E, 38.536 N) to Khorog (71.553 E, 37.489 N) 269.8895 km; Ayvoj to the notional
        // border point (69.75 E, 37.70 N) 172.9192 km; one degree of latitude from the equator
        // 110.5744 km. Required: within 0.1 %.
        for (a, b, want) in [
            ((68.779, 38.536), (71.553, 37.489), 269.8895),
            ((68.02949, 36.96503), (69.75, 37.7), 172.9192),
            ((0.0, 0.0), (0.0, 1.0), 110.5744),
        ] {
            let d = geodesic_km(a, b);
            assert!((d - want).abs() / want < 0.001, "{a:?} → {b:?}: {d} km, want {want}");
            assert!((d - want).abs() < 0.001, "{d} km agrees with GeographicLib to the metre");
        }
    }
}
