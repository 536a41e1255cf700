//! An R-tree over feature bounds, in world units, for culling and hit-testing.

use rstar::{AABB, RTree, primitives::GeomWithData};

use super::Shape;

/// An axis-aligned rectangle in world units (`min` is the north-west corner).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldRect {
    /// Smallest x and y.
    pub min: [f64; 2],
    /// Largest x and y.
    pub max: [f64; 2],
}

impl WorldRect {
    /// The bounds of some points, or `None` when there are none.
    pub fn from_points<'a>(points: impl IntoIterator<Item = &'a [f64; 2]>) -> Option<Self> {
        let mut iter = points.into_iter();
        let first = *iter.next()?;
        let mut r = Self { min: first, max: first };
        for p in iter {
            r.min = [r.min[0].min(p[0]), r.min[1].min(p[1])];
            r.max = [r.max[0].max(p[0]), r.max[1].max(p[1])];
        }
        Some(r)
    }

    /// Whether the rectangle is a single point (the bounds of one `Point`).
    #[expect(clippy::float_cmp, reason = "the bounds of a single point have exactly equal corners")]
    pub fn is_point(&self) -> bool {
        self.min == self.max
    }

    /// Whether `p` lies inside or on the edge.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.min[0] && p[0] <= self.max[0] && p[1] >= self.min[1] && p[1] <= self.max[1]
    }

    /// Whether the two rectangles overlap or touch.
    pub fn intersects(&self, other: &Self) -> bool {
        self.min[0] <= other.max[0]
            && other.min[0] <= self.max[0]
            && self.min[1] <= other.max[1]
            && other.min[1] <= self.max[1]
    }

    /// The centre.
    pub fn center(&self) -> [f64; 2] {
        [f64::midpoint(self.min[0], self.max[0]), f64::midpoint(self.min[1], self.max[1])]
    }

    /// The smallest rectangle holding both.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        Self {
            min: [self.min[0].min(other.min[0]), self.min[1].min(other.min[1])],
            max: [self.max[0].max(other.max[0]), self.max[1].max(other.max[1])],
        }
    }

    /// Grows the rectangle by `margin` on every side.
    #[must_use]
    pub fn expanded(&self, margin: f64) -> Self {
        Self { min: [self.min[0] - margin, self.min[1] - margin], max: [self.max[0] + margin, self.max[1] + margin] }
    }

    fn aabb(&self) -> AABB<[f64; 2]> {
        AABB::from_corners(self.min, self.max)
    }
}

/// What the index keeps of one shape: its bounds and what it draws. Shape `i` of the
/// iterator given to [`FeatureIndex::build`] has id `i`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Indexed {
    /// Bounds in world units, `None` for a shape without geometry (not in the tree).
    pub bounds: Option<WorldRect>,
    /// Whether the shape has a line.
    pub has_lines: bool,
    /// Whether the shape has an area.
    pub has_area: bool,
}

impl Indexed {
    /// The summary of a prepared shape.
    pub fn of(shape: &Shape) -> Self {
        Self { bounds: shape.bounds(), has_lines: !shape.lines().is_empty(), has_area: shape.is_area() }
    }
}

type Entry = GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>;

/// R-tree of feature bounds; features without geometry are not in it. Also keeps every
/// feature's bounds in one compact array, so walking many features (a date-filtered point
/// layer) touches a few bytes each instead of whole features.
#[derive(Debug, Clone, Default)]
pub struct FeatureIndex {
    tree: RTree<Entry>,
    rects: Vec<Option<WorldRect>>,
    has_lines: bool,
    has_areas: bool,
}

impl FeatureIndex {
    /// Bulk-loads the tree from one [`Indexed`] summary per shape, in id order (the index knows
    /// ids only, not what they belong to).
    pub fn build(shapes: impl IntoIterator<Item = Indexed>) -> Self {
        let (mut has_lines, mut has_areas) = (false, false);
        let rects: Vec<Option<WorldRect>> = shapes
            .into_iter()
            .map(|s| {
                has_lines |= s.has_lines;
                has_areas |= s.has_area;
                s.bounds
            })
            .collect();
        let entries = rects
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let b = (*b)?;
                Some(Entry::new(rstar::primitives::Rectangle::from_corners(b.min, b.max), i))
            })
            .collect();
        Self { tree: RTree::bulk_load(entries), rects, has_lines, has_areas }
    }

    /// Whether any feature has a line (a `LineString` member).
    pub fn has_lines(&self) -> bool {
        self.has_lines
    }

    /// Whether any feature has an area (a `Polygon` member).
    pub fn has_areas(&self) -> bool {
        self.has_areas
    }

    /// The bounds of feature `i`, `None` for a feature without geometry.
    pub fn rect(&self, i: usize) -> Option<WorldRect> {
        self.rects.get(i).copied().flatten()
    }

    /// Indices of features whose bounds intersect `rect`, in ascending order.
    pub fn query(&self, rect: &WorldRect) -> Vec<usize> {
        let mut hits: Vec<usize> = self.tree.locate_in_envelope_intersecting(&rect.aabb()).map(|e| e.data).collect();
        hits.sort_unstable();
        hits
    }

    /// Bounds of all features.
    pub fn bounds(&self) -> Option<WorldRect> {
        if self.tree.size() == 0 {
            return None;
        }
        let env = self.tree.root().envelope();
        Some(WorldRect { min: env.lower(), max: env.upper() })
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether no feature is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f64, y: f64) -> WorldRect {
        WorldRect { min: [x, y], max: [x + 1.0, y + 1.0] }
    }

    #[test]
    fn ids_are_positions_and_empty_shapes_stay_out_of_the_tree() {
        let index = FeatureIndex::build([
            Indexed { bounds: Some(rect(0.0, 0.0)), has_lines: false, has_area: true },
            Indexed::default(),
            Indexed { bounds: Some(rect(5.0, 5.0)), has_lines: true, has_area: false },
        ]);
        assert_eq!(index.len(), 2);
        assert!(index.has_lines() && index.has_areas());
        assert_eq!(index.query(&WorldRect { min: [4.0, 4.0], max: [9.0, 9.0] }), vec![2]);
        assert_eq!(index.rect(1), None);
        assert_eq!(index.rect(2), Some(rect(5.0, 5.0)));
    }
}
