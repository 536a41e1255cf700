//! An R-tree over feature bounds, in world units, for culling and hit-testing.

use rstar::{AABB, RTree, primitives::GeomWithData};

use crate::model::Feature;

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

type Entry = GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>;

/// R-tree of feature bounds; features without geometry are not in it.
#[derive(Debug, Clone, Default)]
pub struct FeatureIndex {
    tree: RTree<Entry>,
}

impl FeatureIndex {
    /// Bulk-loads the tree from the features' prepared shapes.
    pub fn build(features: &[Feature]) -> Self {
        let entries = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let b = f.shape.bounds?;
                Some(Entry::new(rstar::primitives::Rectangle::from_corners(b.min, b.max), i))
            })
            .collect();
        Self { tree: RTree::bulk_load(entries) }
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
