//! Geometry prepared for drawing: world coordinates, outlines and a cached fill tessellation.
//!
//! egui fills only convex paths, so every polygon (concave, with holes) is triangulated once
//! here with geo's earcut and the triangles are reused for every frame.

use geo::{Geometry, Polygon, TriangulateEarcut as _};

use super::{WorldRect, world_from_geo};

/// Triangles covering a polygonal area, in world units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tessellation {
    /// Vertex positions in world units.
    pub vertices: Vec<[f64; 2]>,
    /// Three indices into `vertices` per triangle.
    pub indices: Vec<u32>,
}

/// A feature's geometry in world units, split by how it is drawn.
///
/// Compact for the common case of a million single points (a layer store column holds one
/// per feature): a point lives inline, everything else (lines, polygons, their fill and the
/// bounds of anything but points) behind one box that a point never allocates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Point positions (from `Point` and `MultiPoint` members).
    pub points: smallvec::SmallVec<[[f64; 2]; 1]>,
    /// Lines, polygons, the fill and the bounds, for shapes that have more than points.
    rest: Option<Box<ShapeRest>>,
}

/// The parts of a [`Shape`] beyond its points.
#[derive(Debug, Clone, Default, PartialEq)]
struct ShapeRest {
    lines: Vec<Vec<[f64; 2]>>,
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
    fill: Tessellation,
    bounds: Option<WorldRect>,
}

/// The fill of a shape without polygons.
static NO_FILL: Tessellation = Tessellation { vertices: Vec::new(), indices: Vec::new() };

impl Shape {
    /// Prepares a geometry given in WGS84 degrees.
    pub fn from_geo(geometry: Option<&Geometry<f64>>) -> Self {
        let mut shape = Self::default();
        let mut rest = ShapeRest::default();
        if let Some(g) = geometry {
            shape.add(&mut rest, g);
        }
        if !rest.lines.is_empty() || !rest.polygons.is_empty() || shape.points.len() > 1 {
            rest.bounds = WorldRect::from_points(
                shape.points.iter().chain(rest.lines.iter().flatten()).chain(rest.polygons.iter().flatten().flatten()),
            );
            shape.rest = Some(Box::new(rest));
        }
        shape
    }

    /// A single point, in world units.
    pub fn point(world: [f64; 2]) -> Self {
        Self { points: smallvec::smallvec![world], rest: None }
    }

    /// Open lines (from `LineString` and `MultiLineString` members).
    pub fn lines(&self) -> &[Vec<[f64; 2]>] {
        self.rest.as_deref().map_or(&[], |r| &r.lines)
    }

    /// Polygons as rings: exterior first, then holes. Each ring is closed.
    pub fn polygons(&self) -> &[Vec<Vec<[f64; 2]>>] {
        self.rest.as_deref().map_or(&[], |r| &r.polygons)
    }

    /// Triangles filling [`Shape::polygons`].
    pub fn fill(&self) -> &Tessellation {
        self.rest.as_deref().map_or(&NO_FILL, |r| &r.fill)
    }

    /// Bounds of everything, `None` for an empty or null geometry.
    pub fn bounds(&self) -> Option<WorldRect> {
        match (&self.rest, self.points.as_slice()) {
            (Some(rest), _) => rest.bounds,
            (None, [p]) => Some(WorldRect { min: *p, max: *p }),
            (None, points) => WorldRect::from_points(points),
        }
    }

    /// Whether the shape has any area to fill.
    pub fn is_area(&self) -> bool {
        !self.polygons().is_empty()
    }

    /// A representative point: the first point, the middle vertex of the first line, or the
    /// centre of the largest polygon's bounds.
    pub fn anchor(&self) -> Option<[f64; 2]> {
        if let Some(p) = self.points.first() {
            return Some(*p);
        }
        if let Some(line) = self.lines().first() {
            return line.get(line.len() / 2).copied();
        }
        self.bounds().map(|b| b.center())
    }

    fn add(&mut self, rest: &mut ShapeRest, geometry: &Geometry<f64>) {
        match geometry {
            Geometry::Point(p) => self.points.push(world_from_geo(p.x(), p.y())),
            Geometry::MultiPoint(mp) => self.points.extend(mp.iter().map(|p| world_from_geo(p.x(), p.y()))),
            Geometry::Line(l) => {
                rest.lines.push(vec![world_from_geo(l.start.x, l.start.y), world_from_geo(l.end.x, l.end.y)]);
            }
            Geometry::LineString(ls) => rest.lines.push(ls.coords().map(|c| world_from_geo(c.x, c.y)).collect()),
            Geometry::MultiLineString(mls) => {
                for ls in mls {
                    rest.lines.push(ls.coords().map(|c| world_from_geo(c.x, c.y)).collect());
                }
            }
            Geometry::Polygon(p) => Self::add_polygon(rest, p),
            Geometry::MultiPolygon(mp) => {
                for p in mp {
                    Self::add_polygon(rest, p);
                }
            }
            Geometry::Rect(r) => Self::add_polygon(rest, &r.to_polygon()),
            Geometry::Triangle(t) => Self::add_polygon(rest, &t.to_polygon()),
            Geometry::GeometryCollection(gc) => {
                for g in gc {
                    self.add(rest, g);
                }
            }
        }
    }

    fn add_polygon(rest: &mut ShapeRest, polygon: &Polygon<f64>) {
        let world = polygon.map_coords(|c| {
            let [x, y] = world_from_geo(c.x, c.y);
            geo::coord! { x: x, y: y }
        });
        let rings: Vec<Vec<[f64; 2]>> = std::iter::once(world.exterior())
            .chain(world.interiors())
            .filter(|ring| ring.0.len() >= 4)
            .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
            .collect();
        if rings.is_empty() {
            return;
        }
        let raw = world.earcut_triangles_raw();
        let base = rest.fill.vertices.len();
        rest.fill.vertices.extend(raw.vertices.iter().copied());
        rest.fill.indices.extend(raw.triangle_indices.iter().map(|&i| (base + i) as u32));
        rest.polygons.push(rings);
    }
}

use geo::MapCoords as _;

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    /// Sum of triangle areas, in world units squared.
    fn tess_area(t: &Tessellation) -> f64 {
        t.indices
            .chunks_exact(3)
            .map(|tri| {
                let [a, b, c] = [tri[0], tri[1], tri[2]].map(|i| t.vertices[i as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum()
    }

    fn ring_area(ring: &[[f64; 2]]) -> f64 {
        ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum::<f64>().abs() / 2.0
    }

    #[test]
    fn concave_polygon_with_hole_is_filled_exactly() {
        // A "U" shape (concave) with a square hole in its base.
        let p = polygon!(
            exterior: [
                (x: 70.0, y: 36.0), (x: 73.0, y: 36.0), (x: 73.0, y: 39.0), (x: 72.0, y: 39.0),
                (x: 72.0, y: 37.5), (x: 71.0, y: 37.5), (x: 71.0, y: 39.0), (x: 70.0, y: 39.0),
                (x: 70.0, y: 36.0),
            ],
            interiors: [[
                (x: 70.4, y: 36.4), (x: 70.4, y: 37.0), (x: 72.6, y: 37.0), (x: 72.6, y: 36.4), (x: 70.4, y: 36.4),
            ]],
        );
        let shape = Shape::from_geo(Some(&Geometry::Polygon(p)));
        assert_eq!(shape.polygons().len(), 1);
        let rings = &shape.polygons()[0];
        let expected = ring_area(&rings[0]) - ring_area(&rings[1]);
        let got = tess_area(shape.fill());
        assert!(shape.fill().indices.len() >= 3 * 8, "too few triangles: {}", shape.fill().indices.len());
        assert!((got - expected).abs() / expected < 1e-9, "tessellated area {got} vs polygon area {expected}");
    }

    #[test]
    fn null_geometry_has_no_bounds() {
        let shape = Shape::from_geo(None);
        assert!(shape.bounds().is_none());
        assert!(shape.anchor().is_none());
    }

    #[test]
    fn degenerate_ring_is_skipped_not_panicking() {
        let p = Polygon::new(geo::LineString::from(vec![(70.0, 36.0), (71.0, 36.0)]), vec![]);
        let shape = Shape::from_geo(Some(&Geometry::Polygon(p)));
        assert!(shape.polygons().is_empty());
        assert!(shape.fill().indices.is_empty());
    }
}
