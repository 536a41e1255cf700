//! Hit-testing in screen points: which shape is under the cursor.
//!
//! Geometry only: shapes are reached through plain ids and closures, so this module knows no
//! layers or features (the layer-by-layer walk is `model::hit_test`). Within one group of
//! shapes, points beat lines beat areas, and the nearest candidate wins, so a click on a
//! village inside a province selects the village.

use super::{FeatureIndex, Shape, Viewport, WorldRect};

/// How close, in screen points, a click must be to count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitTolerance {
    /// Radius around point symbols.
    pub point_pts: f32,
    /// Distance from a line.
    pub line_pts: f32,
}

impl Default for HitTolerance {
    fn default() -> Self {
        Self { point_pts: 8.0, line_pts: 5.0 }
    }
}

/// How a shape was hit; orders best first (points, then lines, then areas; nearer first).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct ShapeHit {
    /// 0 a point, 1 a line, 2 inside an area.
    pub class: u8,
    /// Distance from the cursor in points (0 inside an area).
    pub distance: f32,
}

/// One click: a screen position seen through a viewport, with its tolerance.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'v> {
    viewport: &'v Viewport,
    pos: [f32; 2],
    tolerance: HitTolerance,
    rect: WorldRect,
}

impl<'v> Probe<'v> {
    /// A click at `pos` (points from the view's top-left corner).
    pub fn new(viewport: &'v Viewport, pos: [f32; 2], tolerance: HitTolerance) -> Self {
        let world = viewport.world_from_screen(pos);
        let margin = f64::from(tolerance.point_pts.max(tolerance.line_pts)) / viewport.scale();
        let rect = WorldRect { min: world, max: world }.expanded(margin);
        Self { viewport, pos, tolerance, rect }
    }

    /// The world rectangle a hit shape's bounds must meet (for an index query).
    pub fn rect(&self) -> WorldRect {
        self.rect
    }

    /// Whether and how `shape` is hit (hit-testing uses full detail, never a simplified copy).
    pub fn test(&self, shape: &Shape) -> Option<ShapeHit> {
        shape_hit(shape, self.viewport, self.pos, self.tolerance).map(|(class, distance)| ShapeHit { class, distance })
    }

    /// The best hits among the indexed shapes near the click, best first: all of the best
    /// class, nearest first, ties by id (co-located points come back together, so the UI can
    /// list shapes that share one symbol). `test(id)` tests shape `id` (usually through
    /// [`Probe::test`]) and returns `None` for a miss or a shape that is not shown.
    pub fn best_in(&self, index: &FeatureIndex, mut test: impl FnMut(usize) -> Option<ShapeHit>) -> Vec<usize> {
        let mut hits: Vec<(ShapeHit, usize)> =
            index.query(&self.rect).into_iter().filter_map(|id| test(id).map(|h| (h, id))).collect();
        let Some(best_class) = hits.iter().map(|h| h.0.class).min() else { return Vec::new() };
        hits.retain(|h| h.0.class == best_class);
        hits.sort_by(|a, b| a.0.distance.total_cmp(&b.0.distance).then(a.1.cmp(&b.1)));
        hits.into_iter().map(|(_, id)| id).collect()
    }
}

/// `(class, distance)` when the shape is hit: class 0 point, 1 line, 2 area.
fn shape_hit(shape: &Shape, viewport: &Viewport, pos: [f32; 2], tol: HitTolerance) -> Option<(u8, f32)> {
    let point_d = shape.points.iter().map(|p| dist(viewport.screen_from_world(*p), pos)).fold(f32::INFINITY, f32::min);
    if point_d <= tol.point_pts {
        return Some((0, point_d));
    }
    let line_d = shape.lines().iter().map(|line| polyline_distance(line, viewport, pos)).fold(f32::INFINITY, f32::min);
    if line_d <= tol.line_pts {
        return Some((1, line_d));
    }
    let world = viewport.world_from_screen(pos);
    shape.polygons().iter().any(|rings| polygon_contains(rings, world)).then_some((2, 0.0))
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Distance in points from `pos` to a polyline given in world units.
fn polyline_distance(line: &[[f64; 2]], viewport: &Viewport, pos: [f32; 2]) -> f32 {
    let pts: Vec<[f32; 2]> = line.iter().map(|p| viewport.screen_from_world(*p)).collect();
    if let [only] = pts.as_slice() {
        return dist(*only, pos);
    }
    pts.windows(2).map(|w| segment_distance(w[0], w[1], pos)).fold(f32::INFINITY, f32::min)
}

/// Distance from `p` to the segment `a`–`b`.
pub(crate) fn segment_distance(a: [f32; 2], b: [f32; 2], p: [f32; 2]) -> f32 {
    let ab = [b[0] - a[0], b[1] - a[1]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1];
    let t = if len2 > 0.0 { (((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / len2).clamp(0.0, 1.0) } else { 0.0 };
    dist([a[0] + t * ab[0], a[1] + t * ab[1]], p)
}

/// Even-odd point-in-polygon over all rings (holes excluded).
pub(crate) fn polygon_contains(rings: &[Vec<[f64; 2]>], p: [f64; 2]) -> bool {
    let mut inside = false;
    for ring in rings {
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::super::index::Indexed;
    use super::*;
    use geo::{Geometry, LineString, Point, polygon};

    /// Shapes by id: 0 an area with a hole, 1 a river, 2 and 3 places.
    fn shapes() -> Vec<Shape> {
        let area = polygon!(
            exterior: [(x: 70.0, y: 36.0), (x: 73.0, y: 36.0), (x: 73.0, y: 39.0), (x: 70.0, y: 39.0), (x: 70.0, y: 36.0)],
            interiors: [[(x: 72.0, y: 38.0), (x: 72.5, y: 38.0), (x: 72.5, y: 38.5), (x: 72.0, y: 38.5), (x: 72.0, y: 38.0)]],
        );
        let line = LineString::from(vec![(70.0, 37.0), (73.0, 37.0)]);
        [Geometry::from(area), line.into(), Point::new(71.0, 38.0).into(), Point::new(71.5, 37.0).into()]
            .iter()
            .map(|g| Shape::from_geo(Some(g)))
            .collect()
    }

    fn view() -> Viewport {
        Viewport::centered(71.5, 37.5, 8.0, [1000.0, 800.0])
    }

    fn hits(shapes: &[Shape], v: &Viewport, pos: [f32; 2], shown: impl Fn(usize) -> bool) -> Vec<usize> {
        let index = FeatureIndex::build(shapes.iter().map(Indexed::of));
        let probe = Probe::new(v, pos, HitTolerance::default());
        probe.best_in(&index, |id| if shown(id) { probe.test(&shapes[id]) } else { None })
    }

    #[test]
    fn point_beats_line_beats_area() {
        let (shapes, v) = (shapes(), view());
        let at = |lon, lat| v.screen_from_geo(lon, lat);
        assert_eq!(hits(&shapes, &v, at(71.0, 38.0), |_| true), vec![2]);
        assert_eq!(hits(&shapes, &v, at(71.5, 37.0), |_| true), vec![3]);
        assert_eq!(hits(&shapes, &v, at(72.5, 37.0), |_| true), vec![1]);
        assert_eq!(hits(&shapes, &v, at(70.5, 38.5), |_| true), vec![0]);
    }

    #[test]
    fn hole_and_outside_miss() {
        let (shapes, v) = (shapes(), view());
        assert!(hits(&shapes, &v, v.screen_from_geo(72.25, 38.25), |_| true).is_empty());
        assert!(hits(&shapes, &v, v.screen_from_geo(69.0, 38.25), |_| true).is_empty());
    }

    #[test]
    fn near_a_point_within_tolerance_hits() {
        let (shapes, v) = (shapes(), view());
        let p = v.screen_from_geo(71.0, 38.0);
        assert_eq!(hits(&shapes, &v, [p[0] + 6.0, p[1]], |_| true), vec![2]);
        assert!(hits(&shapes, &v, [p[0] + 30.0, p[1] - 30.0], |id| id != 0).is_empty());
    }

    #[test]
    fn shapes_not_shown_are_skipped() {
        let (shapes, v) = (shapes(), view());
        let p = v.screen_from_geo(71.0, 38.0);
        assert_eq!(hits(&shapes, &v, p, |id| id != 2), vec![0]);
    }

    #[test]
    fn one_shape_is_tested_without_an_index() {
        let (shapes, v) = (shapes(), view());
        let probe = Probe::new(&v, v.screen_from_geo(70.5, 38.5), HitTolerance::default());
        assert_eq!(probe.test(&shapes[0]), Some(ShapeHit { class: 2, distance: 0.0 }));
        assert_eq!(probe.test(&shapes[2]), None);
    }
}
