//! An R-tree over feature bounds, in world units, for culling and hit-testing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

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

/// Queries of an index whose trees nobody asked to build ([`FeatureIndex::start_building`])
/// answered by scanning its bounds before the trees are made.
pub const SCANS_BEFORE_BUILD: usize = 2;

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
///
/// A big index built by [`FeatureIndex::build_later`] has its columns (bounds and kinds) at
/// once and its trees made on first need: on a worker ([`FeatureIndex::start_building`]),
/// or by the first query, which waits for a build under way rather than making a second.
/// An edit before the trees exist changes the columns alone (a build under way is left to
/// finish for nobody), so the trees, whenever made, are those of the features as they are.
#[derive(Clone, Default)]
pub struct FeatureIndex {
    /// The trees, once made (shared with a build under way, and between clones until one
    /// of them is edited).
    trees: Arc<OnceLock<Vec<RTree<Entry>>>>,
    /// Keys and ids, once they differ; `None` while every key is its id (always `None`
    /// until the trees are made).
    keys: Option<Box<KeyMap>>,
    /// Ids with bounds (the entries the trees hold).
    indexed: usize,
    /// Whether [`FeatureIndex::start_building`] was asked (queries scan until it is done).
    building: Arc<AtomicBool>,
    /// Queries answered by a scan while nobody asked for the trees.
    scans: Arc<AtomicUsize>,
    /// Shared with a build under way (an edit copies them if one still reads them).
    rects: Arc<Rects>,
    /// [`HAS_LINES`] and [`HAS_AREA`] per shape.
    kinds: Vec<u8>,
    /// How many shapes have lines, and areas.
    lines: usize,
    areas: usize,
}

impl std::fmt::Debug for FeatureIndex {
    /// What the index holds for each id (bounds and kinds): the same whether its trees are
    /// made yet or not, and whatever edits brought it there.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeatureIndex")
            .field("rects", &self.rects)
            .field("kinds", &self.kinds)
            .field("indexed", &self.indexed)
            .field("lines", &self.lines)
            .field("areas", &self.areas)
            .finish_non_exhaustive()
    }
}

/// Features from which [`FeatureIndex::core_bounds`] looks for far-flung ones.
pub const CORE_FROM: usize = 20;

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

    /// The ids whose bounds intersect `rect`, ascending, as the trees give them (a point is
    /// in the trees as a box of no size). On the calling thread: the thread pool may be busy
    /// making the trees, and a million points take a few milliseconds.
    fn scan(&self, rect: &WorldRect) -> Vec<usize> {
        match self {
            Self::Points(p) => p.iter().enumerate().filter(|(_, p)| rect.contains(**p)).map(|(i, _)| i).collect(),
            Self::Boxes(b) => {
                b.iter().enumerate().filter(|(_, b)| b.is_some_and(|b| b.intersects(rect))).map(|(i, _)| i).collect()
            }
        }
    }

    /// The union of every id's bounds, as the trees' envelopes give it (on the calling
    /// thread, as [`Rects::scan`]).
    fn bounds(&self) -> Option<WorldRect> {
        match self {
            Self::Points(p) => WorldRect::from_points(p.iter().filter(|p| !p[0].is_nan())),
            Self::Boxes(b) => b.iter().flatten().copied().reduce(|a, b| a.union(&b)),
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
        let index = Self::build_parallel_columns(n, summary);
        index.trees();
        index
    }

    /// [`FeatureIndex::build_parallel`] without the trees.
    fn build_parallel_columns(n: usize, summary: impl Fn(usize) -> Indexed + Sync + Send) -> Self {
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
            return Self::columns(Rects::Points(points), kinds);
        }
        drop(points);
        let rects: Vec<Option<WorldRect>> = (0..n).into_par_iter().map(|i| summary(i).bounds).collect();
        Self::columns(Rects::Boxes(rects), kinds)
    }

    /// [`FeatureIndex::build_parallel`] without the trees: they are made when first needed
    /// (see [`FeatureIndex::start_building`]). Queries answer as the eager index's do.
    pub fn build_later(n: usize, summary: impl Fn(usize) -> Indexed + Sync + Send) -> Self {
        let index = Self::build_parallel_columns(n, summary);
        if index.rects.len() < PARALLEL_FROM {
            index.trees();
        }
        index
    }

    fn from_columns(rects: Rects, kinds: Vec<u8>) -> Self {
        let index = Self::columns(rects, kinds);
        index.trees();
        index
    }

    /// The index without its trees (made by [`FeatureIndex::trees`]).
    fn columns(rects: Rects, kinds: Vec<u8>) -> Self {
        let lines = kinds.iter().filter(|&&k| k & HAS_LINES != 0).count();
        let areas = kinds.iter().filter(|&&k| k & HAS_AREA != 0).count();
        let indexed = match &rects {
            Rects::Points(p) => p.iter().filter(|p| !p[0].is_nan()).count(),
            Rects::Boxes(b) => b.iter().filter(|b| b.is_some()).count(),
        };
        Self {
            trees: Arc::default(),
            keys: None,
            indexed,
            building: Arc::default(),
            scans: Arc::default(),
            rects: Arc::new(rects),
            kinds,
            lines,
            areas,
        }
    }

    /// The trees, made now if they are not yet (waiting for a build under way instead).
    fn trees(&self) -> &[RTree<Entry>] {
        // Keys are ids until the trees exist, so they are made keyed by id.
        self.trees.get_or_init(|| bulk_load(&self.rects))
    }

    /// Whether the trees are made (queries then wait for nothing).
    pub fn is_built(&self) -> bool {
        self.trees.get().is_some()
    }

    /// Makes the trees on a worker (the global thread pool) if they are not made yet; a
    /// query meanwhile scans the bounds column rather than waiting or making its own.
    pub fn start_building(&self) {
        if self.is_built() {
            return;
        }
        self.building.store(true, Ordering::Relaxed);
        let (trees, rects) = (Arc::clone(&self.trees), Arc::clone(&self.rects));
        rayon::spawn(move || {
            trees.get_or_init(|| bulk_load(&rects));
        });
    }

    /// The trees to edit, if they are made (after [`FeatureIndex::settle`]); before that an
    /// edit changes only the columns.
    fn trees_mut(&mut self) -> Option<&mut Vec<RTree<Entry>>> {
        Arc::make_mut(&mut self.trees).get_mut()
    }

    /// Before an edit: when the trees are not made, lets go of a build under way (it read
    /// the columns as they were), so whether they are made cannot change during the edit.
    fn settle(&mut self) {
        if self.trees.get().is_none() {
            self.trees = Arc::default();
            self.building = Arc::default();
        }
    }

    /// Whether any feature is only points (what a layer's point size, shape and density
    /// settings apply to). A column of positions answers at once; boxes are scanned until
    /// the first point (a layer's settings panel asks it while open).
    pub fn has_points(&self) -> bool {
        match self.rects.as_ref() {
            Rects::Points(_) => self.indexed > 0,
            Rects::Boxes(boxes) => boxes.iter().zip(&self.kinds).any(|(b, &k)| b.is_some() && k == 0),
        }
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

    /// Indices of features whose bounds intersect `rect`, in ascending order. Before the
    /// trees are made the bounds column is scanned instead (a few milliseconds for a million
    /// points, the same answer): while a build is under way, so nothing waits for it, and for
    /// the first [`SCANS_BEFORE_BUILD`] queries of an index nobody asked to build (a single
    /// headless frame asks one); a later query makes the trees.
    pub fn query(&self, rect: &WorldRect) -> Vec<usize> {
        if !self.is_built()
            && (self.building.load(Ordering::Relaxed)
                || self.scans.fetch_add(1, Ordering::Relaxed) < SCANS_BEFORE_BUILD)
        {
            return self.rects.scan(rect);
        }
        let aabb = rect.aabb();
        let mut hits: Vec<usize> =
            self.trees().iter().flat_map(|t| t.locate_in_envelope_intersecting(&aabb).map(|e| e.data)).collect();
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
        let Some(trees) = self.trees.get() else { return self.rects.bounds() };
        trees
            .iter()
            .filter(|t| t.size() > 0)
            .map(|t| {
                let env = t.root().envelope();
                WorldRect { min: env.lower(), max: env.upper() }
            })
            .reduce(|a, b| a.union(&b))
    }

    /// Where the features are, for a view of a layer just opened: the bounds of all but the
    /// far-flung ones, and how many those are. A feature is far-flung when its centre lies
    /// further from the middle 90% of centres (on either axis) than that middle is wide (or,
    /// where the middle is narrower, a degree of longitude): a row whose latitude and
    /// longitude were swapped, or a stray 0,0, in an export of one region. A layer spread
    /// evenly, or of fewer than [`CORE_FROM`] features, keeps them all.
    pub fn core_bounds(&self) -> Option<(WorldRect, usize)> {
        let all = self.bounds()?;
        let centres: Vec<[f64; 2]> =
            (0..self.rects.len()).filter_map(|i| self.rects.get(i)).map(|b| b.center()).collect();
        if centres.len() < CORE_FROM {
            return Some((all, 0));
        }
        // The middle 90% on each axis (at least one centre left out at either end), widened by
        // its own width each way.
        let reach = |axis: usize| {
            let mut values: Vec<f64> = centres.iter().map(|c| c[axis]).collect();
            let k = (values.len() / 20).max(1);
            let n = values.len() - 1 - k;
            let low = *values.select_nth_unstable_by(k, f64::total_cmp).1;
            let high = *values.select_nth_unstable_by(n, f64::total_cmp).1;
            let width = (high - low).max(1.0 / 360.0);
            (low - width, high + width)
        };
        let (x, y) = (reach(0), reach(1));
        let inside = |c: &[f64; 2]| (x.0..=x.1).contains(&c[0]) && (y.0..=y.1).contains(&c[1]);
        let far = centres.iter().filter(|c| !inside(c)).count();
        if far == 0 {
            return Some((all, 0));
        }
        let core = (0..self.rects.len())
            .filter_map(|i| self.rects.get(i))
            .filter(|b| inside(&b.center()))
            .reduce(|a, b| a.union(&b))?;
        Some((core, far))
    }

    /// Number of indexed features (those with bounds).
    pub fn len(&self) -> usize {
        self.indexed
    }

    /// Whether no feature is indexed.
    pub fn is_empty(&self) -> bool {
        self.indexed == 0
    }

    /// Shape `i` changed to `shape`. `O(log n)`. An `i` past the end is ignored.
    pub fn replace(&mut self, i: usize, shape: Indexed) {
        if i >= self.rects.len() {
            return;
        }
        self.settle();
        self.unlink(i);
        self.link(i, shape);
    }

    /// A shape was inserted at `i` (clamped to the end): the ids from `i` on move up by one.
    pub fn insert(&mut self, i: usize, shape: Indexed) {
        let i = i.min(self.rects.len());
        self.settle();
        if self.is_built() && (i < self.rects.len() || self.keys.is_some()) {
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
        Arc::make_mut(&mut self.rects).insert(i);
        self.kinds.insert(i, 0);
        self.link(i, shape);
    }

    /// Shape `i` was removed: the ids after it move down by one. An `i` past the end is ignored.
    pub fn remove(&mut self, i: usize) {
        if i >= self.rects.len() {
            return;
        }
        self.settle();
        self.unlink(i);
        if self.is_built() && (i + 1 < self.rects.len() || self.keys.is_some()) {
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
        Arc::make_mut(&mut self.rects).remove(i);
        self.kinds.remove(i);
    }

    /// Takes shape `i` out of the trees and the counts (its slot stays, empty).
    fn unlink(&mut self, i: usize) {
        if let Some(b) = self.rects.get(i) {
            self.indexed -= 1;
            let old = entry(b, self.key(i));
            for tree in self.trees_mut().into_iter().flatten() {
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
        Arc::make_mut(&mut self.rects).set(i, None);
    }

    /// Puts `shape` into empty slot `i`.
    fn link(&mut self, i: usize, shape: Indexed) {
        let bits = kind_bits(&shape);
        self.lines += usize::from(bits & HAS_LINES != 0);
        self.areas += usize::from(bits & HAS_AREA != 0);
        if let Some(k) = self.kinds.get_mut(i) {
            *k = bits;
        }
        Arc::make_mut(&mut self.rects).set(i, shape.bounds);
        let Some(b) = shape.bounds else { return };
        self.indexed += 1;
        let key = self.key(i);
        let Some(trees) = self.trees_mut() else { return };
        if trees.is_empty() {
            trees.push(RTree::new());
        }
        // Into the slab whose tree already covers it, else the smallest.
        let aabb = b.aabb();
        let at = trees
            .iter()
            .position(|t| t.size() > 0 && t.root().envelope().contains_envelope(&aabb))
            .or_else(|| trees.iter().enumerate().min_by_key(|(_, t)| t.size()).map(|(at, _)| at))
            .unwrap_or(0);
        if let Some(tree) = trees.get_mut(at) {
            tree.insert(entry(b, key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(coords: &[[f64; 2]]) -> FeatureIndex {
        FeatureIndex::build(coords.iter().map(|&[lon, lat]| {
            let p = crate::spatial::world_from_geo(lon, lat);
            Indexed { bounds: Some(WorldRect { min: p, max: p }), ..Indexed::default() }
        }))
    }

    #[test]
    fn core_bounds_leave_out_a_swapped_point_and_keep_an_even_spread() {
        let region: Vec<[f64; 2]> =
            (0..50).map(|i| [70.6 + f64::from(i % 10) * 0.1, 36.5 + f64::from(i / 10) * 0.2]).collect();
        let whole = |c: &[[f64; 2]]| points(c).core_bounds().expect("bounds");
        // The region alone is kept whole.
        let (core, far) = whole(&region);
        assert_eq!((far, Some(core)), (0, points(&region).bounds()));
        // A swapped row and a stray 0,0 are left out; the core is the region's bounds.
        let mut with = region.clone();
        with.extend([[36.9, 71.2], [0.0, 0.0]]);
        let (core, far) = whole(&with);
        assert_eq!((far, Some(core)), (2, points(&region).bounds()));
        // Points spread evenly over the world: none is far-flung.
        let world: Vec<[f64; 2]> =
            (0..400).map(|i| [-170.0 + f64::from(i % 20) * 17.0, -60.0 + f64::from(i / 20) * 6.0]).collect();
        assert_eq!(whole(&world).1, 0);
        // Fewer than CORE_FROM features are framed whole, however far apart.
        let few = [[71.0, 37.0], [71.1, 37.1], [36.9, 71.2]];
        assert_eq!(whole(&few).1, 0);
    }

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
        assert!(matches!(*parallel.rects, Rects::Points(_)) && matches!(*serial.rects, Rects::Points(_)));
        assert_eq!(answers(&parallel), answers(&serial));
        assert_eq!(parallel.rect(0), Some(WorldRect { min: [1.0, 2.0], max: [1.0, 2.0] }));
        assert_eq!(parallel.rect(1), None);
        // Edits: a point moved, one inserted without geometry, then a box: boxes from then on.
        let mut index = parallel;
        index.replace(2, point(7.0, 7.0));
        index.insert(1, Indexed::default());
        assert!(matches!(*index.rects, Rects::Points(_)));
        index.replace(0, Indexed { bounds: Some(rect(0.0, 0.0)), has_lines: false, has_area: true });
        assert!(matches!(*index.rects, Rects::Boxes(_)));
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
        assert!(matches!(*p.rects, Rects::Boxes(_)) && p.has_lines());
        assert_eq!(answers(&p), answers(&FeatureIndex::build(mixed)));
    }

    /// `n` points on a grid, every 7th without geometry.
    fn grid(n: usize) -> Vec<Indexed> {
        (0..n)
            .map(|i| if i % 7 == 3 { Indexed::default() } else { point((i % 300) as f64, (i / 300) as f64) })
            .collect()
    }

    #[test]
    fn trees_made_later_answer_as_trees_made_at_once() {
        let shapes = grid(PARALLEL_FROM + 1_000);
        let eager = FeatureIndex::build_parallel(shapes.len(), |i| shapes[i]);
        let lazy = FeatureIndex::build_later(shapes.len(), |i| shapes[i]);
        assert!(eager.is_built() && !lazy.is_built());
        // Counts and bounds are read without the trees.
        assert_eq!((lazy.len(), lazy.is_empty(), lazy.bounds()), (eager.len(), eager.is_empty(), eager.bounds()));
        assert!(!lazy.is_built());
        // The first queries scan the bounds; a later one makes the trees.
        let probe = WorldRect { min: [10.0, 20.0], max: [40.5, 60.0] };
        for _ in 0..SCANS_BEFORE_BUILD {
            assert_eq!(lazy.query(&probe), eager.query(&probe));
            assert!(!lazy.is_built());
        }
        assert_eq!(lazy.query(&probe), eager.query(&probe));
        assert!(lazy.is_built());
        // A build on a worker, then a query (which waits for it if it is still under way).
        let background = FeatureIndex::build_later(shapes.len(), |i| shapes[i]);
        background.start_building();
        for _ in 0..5 {
            assert_eq!(answers(&background), answers(&eager));
        }
        // Boxes are scanned as the trees answer (touching edges count).
        let boxes: Vec<Indexed> = (0..PARALLEL_FROM + 10)
            .map(|i| Indexed {
                bounds: Some(rect((i % 500) as f64, (i / 500) as f64)),
                has_lines: false,
                has_area: true,
            })
            .collect();
        let lazy_boxes = FeatureIndex::build_later(boxes.len(), |i| boxes[i]);
        let eager_boxes = FeatureIndex::build(boxes.iter().copied());
        let touch = WorldRect { min: [3.0, 4.0], max: [9.0, 9.0] };
        assert_eq!(lazy_boxes.query(&touch), eager_boxes.query(&touch));
        assert!(!lazy_boxes.is_built());
        // A small index is made at once.
        assert!(FeatureIndex::build_later(10, |i| shapes[i]).is_built());
    }

    #[test]
    fn edits_before_the_trees_are_made_are_not_lost() {
        let shapes = grid(PARALLEL_FROM + 1_000);
        let edits = |index: &mut FeatureIndex| {
            index.replace(0, point(-50.0, -50.0));
            index.insert(5, point(1_000.0, 1_000.0));
            index.remove(9);
            index.insert(index.ids(), point(2_000.0, 3.0));
            index.replace(3, point(7.0, 7.5));
        };
        let mut eager = FeatureIndex::build_parallel(shapes.len(), |i| shapes[i]);
        edits(&mut eager);
        // Edited before any build, and edited while a build of the old columns may be under way.
        let mut lazy = FeatureIndex::build_later(shapes.len(), |i| shapes[i]);
        edits(&mut lazy);
        assert!(!lazy.is_built());
        let mut racing = FeatureIndex::build_later(shapes.len(), |i| shapes[i]);
        racing.start_building();
        edits(&mut racing);
        for index in [&lazy, &racing] {
            assert_eq!((index.len(), index.bounds()), (eager.len(), eager.bounds()));
            assert_eq!(answers(index), answers(&eager));
            let near = WorldRect { min: [-60.0, -60.0], max: [8.0, 8.0] };
            assert_eq!(index.query(&near), eager.query(&near));
        }
        // Edits after the trees are made go into them; a clone made before keeps its own.
        let before = lazy.clone();
        lazy.remove(0);
        eager.remove(0);
        assert_eq!(answers(&lazy), answers(&eager));
        assert_eq!(before.ids(), lazy.ids() + 1);
        assert_eq!(before.query(&WorldRect { min: [-51.0, -51.0], max: [-49.0, -49.0] }), vec![0]);
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
