//! An R-tree over feature bounds, in world units, for culling and hit-testing.

use rstar::{AABB, Envelope as _, RTree, RTreeObject as _, primitives::GeomWithData};

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

/// From this many shapes on, [`FeatureIndex::build`] cuts them into one slab per core (by
/// x) and bulk-loads the slabs' trees in parallel.
const PARALLEL_FROM: usize = 50_000;

/// Tree keys and feature ids, both ways.
#[derive(Debug, Clone, Default)]
struct KeyMap {
    /// The key of each id.
    key_of: Vec<usize>,
    /// The id of each key; [`GONE`] for a removed one.
    id_of: Vec<usize>,
    /// Keys below this were made by the bulk load; their ids stay in key order (an insert
    /// or removal shifts a run of them alike), so sorted keys map to sorted ids.
    loaded: usize,
}

/// The id of a removed key.
const GONE: usize = usize::MAX;

/// What a shape has, as bits: lines, areas.
const HAS_LINES: u8 = 1;
const HAS_AREA: u8 = 2;

/// R-tree of feature bounds; features without geometry are not in it. Also keeps every
/// feature's bounds in one compact array, so walking many features (a date-filtered point
/// layer) touches a few bytes each instead of whole features.
///
/// A big index is a few trees, one per vertical slab of the features, bulk-loaded in
/// parallel; queries ask each. An edit changes the index in place ([`FeatureIndex::replace`],
/// [`FeatureIndex::insert`], [`FeatureIndex::remove`]): `O(log n)` in the trees. The trees
/// hold keys that do not change when features before them are inserted or removed; until
/// the first insert or removal before the end a key is the feature's id, afterwards a
/// key map translates (one pass over a flat array per such edit, not over the trees).
#[derive(Debug, Clone, Default)]
pub struct FeatureIndex {
    trees: Vec<RTree<Entry>>,
    /// Keys and ids, once they differ; `None` while every key is its id.
    keys: Option<Box<KeyMap>>,
    rects: Vec<Option<WorldRect>>,
    /// [`HAS_LINES`] and [`HAS_AREA`] per shape.
    kinds: Vec<u8>,
    /// How many shapes have lines, and areas.
    lines: usize,
    areas: usize,
}

fn entry(bounds: WorldRect, id: usize) -> Entry {
    Entry::new(rstar::primitives::Rectangle::from_corners(bounds.min, bounds.max), id)
}

fn kind_bits(s: &Indexed) -> u8 {
    (u8::from(s.has_lines) * HAS_LINES) | (u8::from(s.has_area) * HAS_AREA)
}

/// Two ascending lists as one.
fn merge(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    while let (Some(&&x), Some(&&y)) = (a.peek(), b.peek()) {
        if x <= y {
            out.push(x);
            a.next();
        } else {
            out.push(y);
            b.next();
        }
    }
    out.extend(a);
    out.extend(b);
    out
}

/// Bulk-loads one tree, or (for many entries) one per core over slabs cut by x, in parallel.
fn bulk_load(entries: Vec<Entry>) -> Vec<RTree<Entry>> {
    use rayon::prelude::*;
    let slabs = if entries.len() >= PARALLEL_FROM { rayon::current_num_threads().clamp(1, 8) } else { 1 };
    if slabs == 1 {
        return vec![RTree::bulk_load(entries)];
    }
    let mut parts = Vec::with_capacity(slabs);
    cut(entries, slabs, &mut parts);
    parts.into_par_iter().map(RTree::bulk_load).collect()
}

/// Cuts `entries` into `k` slabs of (nearly) equal size, west to east.
fn cut(mut entries: Vec<Entry>, k: usize, out: &mut Vec<Vec<Entry>>) {
    if k <= 1 || entries.len() < 2 {
        out.push(entries);
        return;
    }
    let mid = entries.len() * (k / 2) / k;
    let x = |e: &Entry| {
        let env = e.geom().envelope();
        env.lower()[0] + env.upper()[0]
    };
    entries.select_nth_unstable_by(mid, |a, b| x(a).total_cmp(&x(b)));
    let east = entries.split_off(mid);
    let (west_k, east_k) = (k / 2, k - k / 2);
    let (mut west, mut rest) = (Vec::new(), Vec::new());
    rayon::join(|| cut(entries, west_k, &mut west), || cut(east, east_k, &mut rest));
    out.append(&mut west);
    out.append(&mut rest);
}

impl FeatureIndex {
    /// Bulk-loads the tree from one [`Indexed`] summary per shape, in id order (the index knows
    /// ids only, not what they belong to).
    pub fn build(shapes: impl IntoIterator<Item = Indexed>) -> Self {
        Self::from_summaries(shapes.into_iter().collect())
    }

    /// [`FeatureIndex::build`] from summaries already collected (for example in parallel):
    /// shape `i` of `shapes` has id `i`.
    pub fn from_summaries(shapes: Vec<Indexed>) -> Self {
        use rayon::prelude::*;
        let kinds: Vec<u8> = shapes.iter().map(kind_bits).collect();
        let lines = kinds.iter().filter(|&&k| k & HAS_LINES != 0).count();
        let areas = kinds.iter().filter(|&&k| k & HAS_AREA != 0).count();
        let rects: Vec<Option<WorldRect>> = shapes.into_iter().map(|s| s.bounds).collect();
        let entries: Vec<Entry> = rects.par_iter().enumerate().filter_map(|(i, b)| b.map(|b| entry(b, i))).collect();
        Self { trees: bulk_load(entries), keys: None, rects, kinds, lines, areas }
    }

    /// Whether any feature has a line (a `LineString` member).
    pub fn has_lines(&self) -> bool {
        self.lines > 0
    }

    /// Whether any feature has an area (a `Polygon` member).
    pub fn has_areas(&self) -> bool {
        self.areas > 0
    }

    /// The bounds of feature `i`, `None` for a feature without geometry.
    pub fn rect(&self, i: usize) -> Option<WorldRect> {
        self.rects.get(i).copied().flatten()
    }

    /// The number of ids (features, with or without geometry) the index covers.
    pub fn ids(&self) -> usize {
        self.rects.len()
    }

    /// Indices of features whose bounds intersect `rect`, in ascending order.
    pub fn query(&self, rect: &WorldRect) -> Vec<usize> {
        let aabb = rect.aabb();
        let mut hits: Vec<usize> =
            self.trees.iter().flat_map(|t| t.locate_in_envelope_intersecting(&aabb).map(|e| e.data)).collect();
        hits.sort_unstable();
        let Some(keys) = &self.keys else { return hits };
        // Sorted loaded keys map to sorted ids, read from the map in order; the few keys of
        // inserted features are mapped and sorted apart, then merged in.
        let split = hits.partition_point(|&k| k < keys.loaded);
        let id = |k: usize| keys.id_of.get(k).copied().filter(|&i| i != GONE);
        let mut inserted: Vec<usize> = hits.get(split..).unwrap_or_default().iter().filter_map(|&k| id(k)).collect();
        hits.truncate(split);
        hits.retain_mut(|k| match id(*k) {
            Some(i) => {
                *k = i;
                true
            }
            None => false,
        });
        if inserted.is_empty() {
            return hits;
        }
        inserted.sort_unstable();
        merge(&hits, &inserted)
    }

    /// The tree key of feature `i`.
    fn key(&self, i: usize) -> usize {
        self.keys.as_ref().map_or(i, |keys| keys.key_of.get(i).copied().unwrap_or(GONE))
    }

    /// The key map, made the first time ids and keys part.
    fn key_map(&mut self) -> &mut KeyMap {
        let n = self.rects.len();
        self.keys
            .get_or_insert_with(|| Box::new(KeyMap { key_of: (0..n).collect(), id_of: (0..n).collect(), loaded: n }))
    }

    /// Bounds of all features.
    pub fn bounds(&self) -> Option<WorldRect> {
        self.trees
            .iter()
            .filter(|t| t.size() > 0)
            .map(|t| {
                let env = t.root().envelope();
                WorldRect { min: env.lower(), max: env.upper() }
            })
            .reduce(|a, b| a.union(&b))
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.trees.iter().map(RTree::size).sum()
    }

    /// Whether no feature is indexed.
    pub fn is_empty(&self) -> bool {
        self.trees.iter().all(|t| t.size() == 0)
    }

    /// Shape `i` changed to `shape`. `O(log n)`. An `i` past the end is ignored.
    pub fn replace(&mut self, i: usize, shape: Indexed) {
        if i >= self.rects.len() {
            return;
        }
        self.unlink(i);
        self.link(i, shape);
    }

    /// A shape was inserted at `i` (clamped to the end): the ids from `i` on move up by one.
    pub fn insert(&mut self, i: usize, shape: Indexed) {
        let i = i.min(self.rects.len());
        if i < self.rects.len() || self.keys.is_some() {
            let keys = self.key_map();
            // Ids from `i` on move up; the new feature gets a fresh key.
            for id in &mut keys.id_of {
                if *id != GONE && *id >= i {
                    *id += 1;
                }
            }
            let key = keys.id_of.len();
            keys.id_of.push(i);
            keys.key_of.insert(i, key);
        }
        self.rects.insert(i, None);
        self.kinds.insert(i, 0);
        self.link(i, shape);
    }

    /// Shape `i` was removed: the ids after it move down by one. An `i` past the end is ignored.
    pub fn remove(&mut self, i: usize) {
        if i >= self.rects.len() {
            return;
        }
        self.unlink(i);
        if i + 1 < self.rects.len() || self.keys.is_some() {
            let keys = self.key_map();
            if i < keys.key_of.len() {
                let key = keys.key_of.remove(i);
                if let Some(slot) = keys.id_of.get_mut(key) {
                    *slot = GONE;
                }
            }
            for id in &mut keys.id_of {
                if *id != GONE && *id > i {
                    *id -= 1;
                }
            }
        }
        self.rects.remove(i);
        self.kinds.remove(i);
    }

    /// Takes shape `i` out of the trees and the counts (its slot stays, empty).
    fn unlink(&mut self, i: usize) {
        if let Some(Some(b)) = self.rects.get(i).copied() {
            let old = entry(b, self.key(i));
            for tree in &mut self.trees {
                if tree.remove(&old).is_some() {
                    break;
                }
            }
        }
        if let Some(k) = self.kinds.get_mut(i) {
            self.lines -= usize::from(*k & HAS_LINES != 0);
            self.areas -= usize::from(*k & HAS_AREA != 0);
            *k = 0;
        }
        if let Some(slot) = self.rects.get_mut(i) {
            *slot = None;
        }
    }

    /// Puts `shape` into empty slot `i`.
    fn link(&mut self, i: usize, shape: Indexed) {
        let bits = kind_bits(&shape);
        self.lines += usize::from(bits & HAS_LINES != 0);
        self.areas += usize::from(bits & HAS_AREA != 0);
        if let Some(k) = self.kinds.get_mut(i) {
            *k = bits;
        }
        if let Some(slot) = self.rects.get_mut(i) {
            *slot = shape.bounds;
        }
        let Some(b) = shape.bounds else { return };
        if self.trees.is_empty() {
            self.trees.push(RTree::new());
        }
        // Into the slab whose tree already covers it, else the smallest.
        let aabb = b.aabb();
        let at = self
            .trees
            .iter()
            .position(|t| t.size() > 0 && t.root().envelope().contains_envelope(&aabb))
            .or_else(|| self.trees.iter().enumerate().min_by_key(|(_, t)| t.size()).map(|(at, _)| at))
            .unwrap_or(0);
        let key = self.key(i);
        if let Some(tree) = self.trees.get_mut(at) {
            tree.insert(entry(b, key));
        }
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
