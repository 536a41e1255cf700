//! A viewport: which part of the world is shown on a screen rectangle.

use super::{WorldRect, geo_from_world, world_from_geo};

/// Tile size of zoom level 0, in screen points.
const TILE_PTS: f64 = 256.0;

/// The lowest and highest zoom levels a viewport accepts.
pub const ZOOM_RANGE: (f64, f64) = (2.0, 16.0);

/// A view of the world: centre, zoom, and the size of the screen area in points.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Viewport {
    /// Centre in world units.
    pub center: [f64; 2],
    /// Zoom level: one world unit is `256 · 2^zoom` points.
    pub zoom: f64,
    /// Screen size in points, origin at the top-left corner.
    pub size_pts: [f32; 2],
}

impl Viewport {
    /// A viewport centred on `(lon, lat)`.
    pub fn centered(lon: f64, lat: f64, zoom: f64, size_pts: [f32; 2]) -> Self {
        Self { center: world_from_geo(lon, lat), zoom: zoom.clamp(ZOOM_RANGE.0, ZOOM_RANGE.1), size_pts }
    }

    /// The viewport that fits a geographic box `[west, south, east, north]` into `size_pts`.
    pub fn fit_bbox(bbox: [f64; 4], size_pts: [f32; 2]) -> Self {
        let [w, s, e, n] = bbox;
        let a = world_from_geo(w, n);
        let b = world_from_geo(e, s);
        Self::fit_world(WorldRect { min: a, max: b }, size_pts)
    }

    /// The viewport that fits a world rectangle into `size_pts`.
    pub fn fit_world(rect: WorldRect, size_pts: [f32; 2]) -> Self {
        let span_x = (rect.max[0] - rect.min[0]).abs().max(1e-9);
        let span_y = (rect.max[1] - rect.min[1]).abs().max(1e-9);
        let scale = (f64::from(size_pts[0]) / span_x).min(f64::from(size_pts[1]) / span_y);
        let zoom = (scale / TILE_PTS).log2().clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
        let center = [f64::midpoint(rect.min[0], rect.max[0]), f64::midpoint(rect.min[1], rect.max[1])];
        Self { center, zoom, size_pts }
    }

    /// Screen points per world unit.
    pub fn scale(&self) -> f64 {
        TILE_PTS * self.zoom.exp2()
    }

    /// The affine map world → screen as `(scale, offset)`: `screen = world · scale + offset`.
    /// Lets hot loops project many points without recomputing `2^zoom` each time.
    pub fn screen_transform(&self) -> (f64, [f64; 2]) {
        let s = self.scale();
        (
            s,
            [
                f64::from(self.size_pts[0]) / 2.0 - self.center[0] * s,
                f64::from(self.size_pts[1]) / 2.0 - self.center[1] * s,
            ],
        )
    }

    /// Screen position of a world position.
    pub fn screen_from_world(&self, world: [f64; 2]) -> [f32; 2] {
        let s = self.scale();
        [
            ((world[0] - self.center[0]) * s + f64::from(self.size_pts[0]) / 2.0) as f32,
            ((world[1] - self.center[1]) * s + f64::from(self.size_pts[1]) / 2.0) as f32,
        ]
    }

    /// World position of a screen position.
    pub fn world_from_screen(&self, pos: [f32; 2]) -> [f64; 2] {
        let s = self.scale();
        [
            (f64::from(pos[0]) - f64::from(self.size_pts[0]) / 2.0) / s + self.center[0],
            (f64::from(pos[1]) - f64::from(self.size_pts[1]) / 2.0) / s + self.center[1],
        ]
    }

    /// Screen position of `(lon, lat)`.
    pub fn screen_from_geo(&self, lon: f64, lat: f64) -> [f32; 2] {
        self.screen_from_world(world_from_geo(lon, lat))
    }

    /// `(lon, lat)` of a screen position.
    pub fn geo_from_screen(&self, pos: [f32; 2]) -> (f64, f64) {
        geo_from_world(self.world_from_screen(pos))
    }

    /// The world rectangle the screen shows.
    pub fn world_rect(&self) -> WorldRect {
        WorldRect { min: self.world_from_screen([0.0, 0.0]), max: self.world_from_screen(self.size_pts) }
    }

    /// The geographic box `[west, south, east, north]` the screen shows.
    pub fn geo_bbox(&self) -> [f64; 4] {
        let (w, n) = self.geo_from_screen([0.0, 0.0]);
        let (e, s) = self.geo_from_screen(self.size_pts);
        [w, s, e, n]
    }

    /// Moves the view by a screen delta (dragging the map by `delta_pts` moves it with the cursor).
    pub fn pan_by_screen(&mut self, delta_pts: [f32; 2]) {
        let s = self.scale();
        self.center[0] = (self.center[0] - f64::from(delta_pts[0]) / s).clamp(0.0, 1.0);
        self.center[1] = (self.center[1] - f64::from(delta_pts[1]) / s).clamp(0.0, 1.0);
    }

    /// Zooms by `delta` levels keeping the world point under `anchor_pts` fixed on screen.
    pub fn zoom_at(&mut self, delta: f64, anchor_pts: [f32; 2]) {
        let before = self.world_from_screen(anchor_pts);
        self.zoom = (self.zoom + delta).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
        let after = self.world_from_screen(anchor_pts);
        self.center[0] += before[0] - after[0];
        self.center[1] += before[1] - after[1];
    }

    /// Ground distance in metres of one screen point at the view centre.
    pub fn metres_per_point(&self) -> f64 {
        let (_, lat) = geo_from_world(self.center);
        let earth_circumference_m = 40_075_016.686;
        earth_circumference_m * lat.to_radians().cos() / self.scale()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> Viewport {
        Viewport::centered(70.5, 37.5, 7.0, [1200.0, 800.0])
    }

    #[test]
    fn screen_round_trip() {
        let v = view();
        for &(lon, lat) in &[(71.55, 37.49), (68.0, 37.0), (74.9, 37.2)] {
            let p = v.screen_from_geo(lon, lat);
            let (lon2, lat2) = v.geo_from_screen(p);
            assert!((lon - lon2).abs() < 1e-4 && (lat - lat2).abs() < 1e-4, "{lon},{lat} -> {lon2},{lat2}");
        }
    }

    #[test]
    fn centre_is_mid_screen() {
        let v = view();
        let p = v.screen_from_geo(70.5, 37.5);
        assert!((p[0] - 600.0).abs() < 1e-3 && (p[1] - 400.0).abs() < 1e-3, "{p:?}");
    }

    #[test]
    fn zoom_keeps_anchor_fixed() {
        let mut v = view();
        let anchor = [300.0, 200.0];
        let before = v.geo_from_screen(anchor);
        v.zoom_at(1.5, anchor);
        let after = v.geo_from_screen(anchor);
        assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
    }

    #[test]
    fn fit_bbox_contains_box() {
        let v = Viewport::fit_bbox([66.0, 35.0, 76.0, 40.0], [1600.0, 1000.0]);
        let [w, s, e, n] = v.geo_bbox();
        let eps = 1e-9;
        assert!(w <= 66.0 + eps && s <= 35.0 + eps && e >= 76.0 - eps && n >= 40.0 - eps, "{:?}", v.geo_bbox());
    }

    #[test]
    fn pan_moves_with_cursor() {
        let mut v = view();
        let p = v.screen_from_geo(71.0, 37.0);
        v.pan_by_screen([10.0, -5.0]);
        let q = v.screen_from_geo(71.0, 37.0);
        assert!((q[0] - p[0] - 10.0).abs() < 1e-3 && (q[1] - p[1] + 5.0).abs() < 1e-3);
    }
}
