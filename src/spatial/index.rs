//! An R-tree over feature bounds, in world units, for culling and hit-testing.

use rstar::{AABB, Envelope as _, RTree, primitives::GeomWithData};

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
    rects: Rects,
    /// [`HAS_LINES`] and [`HAS_AREA`] per shape.
    kinds: Vec<u8>,
    /// How many shapes have lines, and areas.
    lines: usize,
    areas: usize,
}

/// The bounds of every id. While every shape is a single point (or has no geometry) each is
/// kept as its position: 16 bytes an id instead of 40 (24 MB less for a million events). The
/// first other shape turns them into boxes.
#[derive(Debug, Clone)]
enum Rects {
    /// Positions; `[NaN, NaN]` for no geometry.
    Points(Vec<[f64; 2]>),
    Boxes(Vec<Option<WorldRect>>),
}

impl Default for Rects {
    fn default() -> Self {
        Self::Points(Vec::new())
    }
}

/// A point's box as its position, if it is one.
#[expect(clippy::float_cmp, reason = "a box is a point when its corners are the same numbers")]
fn as_point(b: Option<WorldRect>) -> Option<[f64; 2]> {
    match b {
        None => Some([f64::NAN; 2]),
        Some(b) if b.min == b.max && !b.min[0].is_nan() => Some(b.min),
        Some(_) => None,
    }
}

impl Rects {
    fn from_vec(rects: Vec<Option<WorldRect>>) -> Self {
        let points: Option<Vec<[f64; 2]>> = rects.iter().map(|&b| as_point(b)).collect();
        points.map_or(Self::Boxes(rects), Self::Points)
    }

    fn len(&self) -> usize {
        match self {
            Self::Points(p) => p.len(),
            Self::Boxes(b) => b.len(),
        }
    }

    fn get(&self, i: usize) -> Option<WorldRect> {
        match self {
            Self::Points(p) => p.get(i).filter(|p| !p[0].is_nan()).map(|&p| WorldRect { min: p, max: p }),
            Self::Boxes(b) => b.get(i).copied().flatten(),
        }
    }

    /// Sets the bounds of `i` (an `i` past the end is ignored).
    fn set(&mut self, i: usize, rect: Option<WorldRect>) {
        if let (Self::Points(points), Some(p)) = (&mut *self, as_point(rect)) {
            if let Some(slot) = points.get_mut(i) {
                *slot = p;
            }
            return;
        }
        if let Self::Points(points) = self {
            let boxes = points.iter().map(|&p| (!p[0].is_nan()).then_some(WorldRect { min: p, max: p })).collect();
            *self = Self::Boxes(boxes);
        }
        if let Self::Boxes(boxes) = self
            && let Some(slot) = boxes.get_mut(i)
        {
            *slot = rect;
        }
    }

    /// Inserts an id without geometry at `i` (at most the length).
    fn insert(&mut self, i: usize) {
        match self {
            Self::Points(p) => p.insert(i, [f64::NAN; 2]),
            Self::Boxes(b) => b.insert(i, None),
        }
    }

    fn remove(&mut self, i: usize) {
        match self {
            Self::Points(p) => {
                p.remove(i);
            }
            Self::Boxes(b) => {
                b.remove(i);
            }
        }
    }
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
fn bulk_load(rects: &Rects) -> Vec<RTree<Entry>> {
    use rayon::prelude::*;
    let entries = |ids: &[u32]| -> Vec<Entry> {
        ids.iter().filter_map(|&i| rects.get(i as usize).map(|b| entry(b, i as usize))).collect()
    };
    let slabs = if rects.len() >= PARALLEL_FROM { rayon::current_num_threads().clamp(1, 8) } else { 1 };
    let Ok(n) = u32::try_from(rects.len()) else {
        let all: Vec<Entry> = (0..rects.len()).filter_map(|i| rects.get(i).map(|b| entry(b, i))).collect();
        return vec![RTree::bulk_load(all)];
    };
    let ids: Vec<u32> = (0..n).filter(|&i| rects.get(i as usize).is_some()).collect();
    if slabs == 1 {
        return vec![RTree::bulk_load(entries(&ids))];
    }
    // The slabs are cut as ids (4 bytes each) and each slab's entries made from its ids just
    // before its tree is built, so the entries are never held twice (20 MB less at the peak
    // of a million-point load than cutting the entries themselves).
    let mut parts = Vec::with_capacity(slabs);
    cut(rects, ids, slabs, &mut parts);
    parts.into_par_iter().map(|ids| RTree::bulk_load(entries(&ids))).collect()
}

/// Cuts `ids` into `k` slabs of (nearly) equal size, west to east.
fn cut(rects: &Rects, mut ids: Vec<u32>, k: usize, out: &mut Vec<Vec<u32>>) {
    if k <= 1 || ids.len() < 2 {
        out.push(ids);
        return;
    }
    let mid = ids.len() * (k / 2) / k;
    let x = |&i: &u32| rects.get(i as usize).map_or(0.0, |b| b.min[0] + b.max[0]);
    ids.select_nth_unstable_by(mid, |a, b| x(a).total_cmp(&x(b)));
    let east = ids.split_off(mid);
    let (west_k, east_k) = (k / 2, k - k / 2);
    let (mut west, mut rest) = (Vec::new(), Vec::new());
    rayon::join(|| cut(rects, ids, west_k, &mut west), || cut(rects, east, east_k, &mut rest));
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
        let kinds: Vec<u8> = shapes.iter().map(kind_bits).collect();
        let rects = Rects::from_vec(shapes.into_iter().map(|s| s.bounds).collect());
        Self::from_columns(rects, kinds)
    }

    /// [`FeatureIndex::build`] from the summaries of ids `0..n`, each made by `summary` on
    /// every core, without holding them all at once (a million summaries are 48 MB more at
    /// the peak of a load).
    pub fn build_parallel(n: usize, summary: impl Fn(usize) -> Indexed + Sync + Send) -> Self {
        use rayon::prelude::*;
        // Points first (the common big layer): a shape that is not one is marked by an
        // infinite position, and then the boxes are read instead.
        let not_point = [f64::INFINITY; 2];
        let (points, kinds): (Vec<[f64; 2]>, Vec<u8>) = (0..n)
            .into_par_iter()
            .map(|i| {
                let s = summary(i);
                (as_point(s.bounds).unwrap_or(not_point), kind_bits(&s))
            })
            .unzip();
        if !points.par_iter().any(|p| p[0] == f64::INFINITY) {
            return Self::from_columns(Rects::Points(points), kinds);
        }
        drop(points);
        let rects: Vec<Option<WorldRect>> = (0..n).into_par_iter().map(|i| summary(i).bounds).collect();
        Self::from_columns(Rects::Boxes(rects), kinds)
    }

    fn from_columns(rects: Rects, kinds: Vec<u8>) -> Self {
        let lines = kinds.iter().filter(|&&k| k & HAS_LINES != 0).count();
        let areas = kinds.iter().filter(|&&k| k & HAS_AREA != 0).count();
        Self { trees: bulk_load(&rects), keys: None, rects, kinds, lines, areas }
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
        self.rects.get(i)
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
        self.rects.insert(i);
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
        if let Some(b) = self.rects.get(i) {
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
        self.rects.set(i, None);
    }

    /// Puts `shape` into empty slot `i`.
    fn link(&mut self, i: usize, shape: Indexed) {
        let bits = kind_bits(&shape);
        self.lines += usize::from(bits & HAS_LINES != 0);
        self.areas += usize::from(bits & HAS_AREA != 0);
        if let Some(k) = self.kinds.get_mut(i) {
            *k = bits;
        }
        self.rects.set(i, shape.bounds);
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

    fn point(x: f64, y: f64) -> Indexed {
        Indexed { bounds: Some(WorldRect { min: [x, y], max: [x, y] }), has_lines: false, has_area: false }
    }

    /// The answers of an index: every id's bounds, and a query of everything.
    fn answers(index: &FeatureIndex) -> (Vec<Option<WorldRect>>, Vec<usize>) {
        let all = WorldRect { min: [-1e9, -1e9], max: [1e9, 1e9] };
        ((0..index.ids()).map(|i| index.rect(i)).collect(), index.query(&all))
    }

    #[test]
    fn points_are_kept_as_positions_until_a_box_comes_and_answer_alike() {
        let shapes = vec![point(1.0, 2.0), Indexed::default(), point(3.0, 4.0), point(-5.0, 0.5)];
        let parallel = FeatureIndex::build_parallel(shapes.len(), |i| shapes[i]);
        let serial = FeatureIndex::build(shapes.clone());
        assert!(matches!(parallel.rects, Rects::Points(_)) && matches!(serial.rects, Rects::Points(_)));
        assert_eq!(answers(&parallel), answers(&serial));
        assert_eq!(parallel.rect(0), Some(WorldRect { min: [1.0, 2.0], max: [1.0, 2.0] }));
        assert_eq!(parallel.rect(1), None);
        // Edits: a point moved, one inserted without geometry, then a box: boxes from then on.
        let mut index = parallel;
        index.replace(2, point(7.0, 7.0));
        index.insert(1, Indexed::default());
        assert!(matches!(index.rects, Rects::Points(_)));
        index.replace(0, Indexed { bounds: Some(rect(0.0, 0.0)), has_lines: false, has_area: true });
        assert!(matches!(index.rects, Rects::Boxes(_)));
        index.remove(4);
        let expected = FeatureIndex::build([
            Indexed { bounds: Some(rect(0.0, 0.0)), has_lines: false, has_area: true },
            Indexed::default(),
            Indexed::default(),
            point(7.0, 7.0),
        ]);
        assert_eq!(answers(&index), answers(&expected));
        assert!(index.has_areas());
        // A layer with a box from the start is built as boxes, in parallel too.
        let mixed = vec![point(1.0, 1.0), Indexed { bounds: Some(rect(2.0, 2.0)), has_lines: true, has_area: false }];
        let p = FeatureIndex::build_parallel(2, |i| mixed[i]);
        assert!(matches!(p.rects, Rects::Boxes(_)) && p.has_lines());
        assert_eq!(answers(&p), answers(&FeatureIndex::build(mixed)));
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
