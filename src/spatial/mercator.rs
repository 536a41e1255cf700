//! Web-Mercator projection between WGS84 degrees and world units.
//!
//! World units run from 0 to 1 in both axes: x east from the antimeridian, y south from the
//! northern limit [`MAX_LAT`]. One world unit is `256 · 2^zoom` screen points at `zoom`.

/// The latitude limit of Web Mercator, in degrees.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// World position `[x, y]` of a `(lon, lat)` in degrees; latitude is clamped to ±[`MAX_LAT`].
///
/// ```
/// let [x, y] = frontier_atlas::spatial::world_from_geo(0.0, 0.0);
/// assert!((x - 0.5).abs() < 1e-12 && (y - 0.5).abs() < 1e-12);
/// ```
pub fn world_from_geo(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    [x, y]
}

/// `(lon, lat)` in degrees of a world position.
pub fn geo_from_world(world: [f64; 2]) -> (f64, f64) {
    let lon = world[0] * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * world[1]);
    let lat = n.sinh().atan().to_degrees();
    (lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_precision() {
        for &(lon, lat) in &[(71.55, 37.49), (-179.9, -84.0), (68.78, 38.54), (0.0, 0.0), (179.99, 85.0)] {
            let (lon2, lat2) = geo_from_world(world_from_geo(lon, lat));
            assert!((lon - lon2).abs() < 1e-9, "lon {lon} -> {lon2}");
            assert!((lat - lat2).abs() < 1e-9, "lat {lat} -> {lat2}");
        }
    }

    #[test]
    fn north_is_up() {
        let south = world_from_geo(70.0, 36.0);
        let north = world_from_geo(70.0, 38.0);
        assert!(north[1] < south[1], "north must have the smaller y");
    }

    #[test]
    fn poles_are_clamped_not_infinite() {
        let [_, y] = world_from_geo(0.0, 90.0);
        assert!(y.is_finite() && y.abs() < 1e-9, "y={y}");
    }
}
