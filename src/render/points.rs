//! Dense point layers drawn as points (Layers → Style → *Points*, or a point layer with more
//! than [`AGGREGATE_ABOVE`] features in view and no density): one symbol per
//! [`CELL_PTS`]-point screen cell, at the mean of the cell's points, sized by their number and
//! coloured by the category of its representative, the lowest-numbered feature with a point in
//! the cell (so the colour does not depend on the order anything was read in).
//!
//! A frame never lists the features in view for these layers (an R-tree query returning a
//! million ids costs ~40 ms): the cells are counted in one sequential pass over
//! - the date filter's gathered points of the layer when the filter filters it (its features in
//!   range, with their positions in one contiguous array), or
//! - for a big unfiltered layer, the layer's point [`Column`]: every point with its feature,
//!   grouped by buckets of a coarse grid (only those meeting the view are read), read once per
//!   store generation
//!   ([`crate::model::FeatureStore::generation`], so an edit or a reload reads it again) and
//!   kept for the frames to come,
//!
//! and only the cells' representatives are decoded (for the legend). Small layers, and layers
//! that also hold lines or areas or carry labels (which need the list anyway), count from the
//! list of features in view, with the same result.
//!
//! In the app the column is built on a worker, never in a frame: while the app's frame runs
//! ([`build_in_background`]), a missing column is not built but requested (its points copied
//! in one sequential pass, [`ColumnSource`]), the frame counts from the list of features in
//! view instead — the same cells, so nothing jumps when the column arrives — and the app hands
//! the request ([`take_requests`]) to a worker that builds and keeps it
//! ([`ColumnSource::build_and_keep`]). Elsewhere (the CLI, exports) the column is built at once.

use std::cell::{Cell as StdCell, RefCell};
use std::sync::{Arc, Mutex, PoisonError};

use crate::model::{Layer, LayerKind, TimeFilter};
use crate::spatial::WorldRect;

/// Above this many point features in view a point layer (other than places) is drawn
/// aggregated on a screen grid.
pub const AGGREGATE_ABOVE: usize = 2_000;

/// Grid cell of aggregated point layers, in points.
pub const CELL_PTS: f32 = 12.0;

/// Unfiltered layers with more features than this are counted from their point [`Column`];
/// below it, listing the features in view costs well under a millisecond.
pub const COLUMN_ABOVE: usize = 20_000;

/// How many layers' columns are kept (most recently used last).
const COLUMNS_KEPT: usize = 4;

/// No representative yet.
const NONE: u32 = u32::MAX;

/// Every point of a layer with its feature, grouped by buckets of a coarse grid over the
/// layer's extent (in feature order within a bucket), with each bucket's bounds and count: a
/// frame reads only the buckets that meet the view, a dense view touches few screen cells per
/// stretch of points, and the number of features in view is bounded from the buckets alone.
/// Points with a non-finite coordinate are left out (they are nowhere).
#[derive(Debug, Default)]
pub struct Column {
    /// World position of each point, bucket after bucket.
    pos: Vec<[f64; 2]>,
    /// The feature of each point.
    feature: Vec<u32>,
    /// Where each bucket's points start in `pos`, plus the end.
    starts: Vec<u32>,
    /// Bounds of each bucket's points (`None` for an empty bucket).
    bounds: Vec<Option<WorldRect>>,
    /// Every feature has exactly one point (so points count features).
    single: bool,
}

/// Points per bucket aimed at (a 1M-point layer gets 64 × 64 buckets).
const BUCKET_POINTS: usize = 250;

/// The points of a layer with their features, copied from its shape column in feature order
/// (one sequential pass, nothing decoded): what a worker needs to build the layer's [`Column`].
#[derive(Debug)]
pub struct ColumnSource {
    /// The layer's store generation the points are of.
    generation: u64,
    pos: Vec<[f64; 2]>,
    feature: Vec<u32>,
    single: bool,
}

impl ColumnSource {
    /// Copies the points of `layer`.
    pub fn of(layer: &Layer) -> Self {
        let n = layer.features.len();
        let mut pos = Vec::with_capacity(n);
        let mut feature = Vec::with_capacity(n);
        let mut single = true;
        for fi in 0..n {
            let (Some(shape), Ok(f)) = (layer.features.shape(fi), u32::try_from(fi)) else {
                single = false;
                continue;
            };
            let before = pos.len();
            for p in shape.points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()) {
                pos.push(*p);
                feature.push(f);
            }
            single &= pos.len() == before + 1;
        }
        Self { generation: layer.features.generation(), pos, feature, single }
    }

    /// Builds the column and keeps it for the frames to come (on a worker, in the app).
    pub fn build_and_keep(self) -> Arc<Column> {
        let generation = self.generation;
        BUILT_HERE.set(BUILT_HERE.get() + 1);
        let column = Arc::new(Column::from_source(self));
        let mut kept = COLUMNS.lock().unwrap_or_else(PoisonError::into_inner);
        kept.retain(|(g, _)| *g != generation);
        kept.push((generation, Arc::clone(&column)));
        if kept.len() > COLUMNS_KEPT {
            kept.remove(0);
        }
        drop(kept);
        BUILDING.lock().unwrap_or_else(PoisonError::into_inner).retain(|g| *g != generation);
        column
    }
}

impl Column {
    /// Sorts a layer's points into buckets (a counting sort: linear).
    fn from_source(source: ColumnSource) -> Self {
        let ColumnSource { pos, feature, single, .. } = source;
        let Some(extent) = WorldRect::from_points(pos.iter()) else { return Self::default() };
        let side = ((pos.len() / BUCKET_POINTS) as f64).sqrt().clamp(1.0, 128.0) as usize;
        let size = [
            (extent.max[0] - extent.min[0]).max(f64::MIN_POSITIVE) / side as f64,
            (extent.max[1] - extent.min[1]).max(f64::MIN_POSITIVE) / side as f64,
        ];
        let axis = |v: f64, a: usize| (((v - extent.min[a]) / size[a]) as usize).min(side - 1);
        let bucket_of = |p: &[f64; 2]| axis(p[1], 1) * side + axis(p[0], 0);
        let mut starts = vec![0_u32; side * side + 1];
        for p in &pos {
            if let Some(c) = starts.get_mut(bucket_of(p) + 1) {
                *c += 1;
            }
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let mut next = starts.clone();
        let mut sorted = vec![[0.0; 2]; pos.len()];
        let mut sorted_feature = vec![0_u32; pos.len()];
        let mut bounds: Vec<Option<WorldRect>> = vec![None; side * side];
        for (p, f) in pos.iter().zip(&feature) {
            let b = bucket_of(p);
            let (Some(at), Some(rect)) = (next.get_mut(b), bounds.get_mut(b)) else { continue };
            if let (Some(slot), Some(fslot)) = (sorted.get_mut(*at as usize), sorted_feature.get_mut(*at as usize)) {
                *slot = *p;
                *fslot = *f;
            }
            *at += 1;
            *rect = Some(match *rect {
                Some(r) => WorldRect {
                    min: [r.min[0].min(p[0]), r.min[1].min(p[1])],
                    max: [r.max[0].max(p[0]), r.max[1].max(p[1])],
                },
                None => WorldRect { min: *p, max: *p },
            });
        }
        Self { pos: sorted, feature: sorted_feature, starts, bounds, single }
    }

    /// The points of bucket `b` with their features.
    fn bucket(&self, b: usize) -> (&[[f64; 2]], &[u32]) {
        let (Some(&from), Some(&to)) = (self.starts.get(b), self.starts.get(b + 1)) else { return (&[], &[]) };
        let range = from as usize..to as usize;
        (self.pos.get(range.clone()).unwrap_or_default(), self.feature.get(range).unwrap_or_default())
    }

    /// Buckets whose points' bounds meet `view`.
    fn buckets_meeting<'a>(&'a self, view: &'a WorldRect) -> impl Iterator<Item = usize> + 'a {
        self.bounds.iter().enumerate().filter(|(_, b)| b.is_some_and(|b| b.intersects(view))).map(|(k, _)| k)
    }

    /// Heap bytes held.
    pub fn bytes(&self) -> usize {
        self.pos.capacity() * 16
            + self.feature.capacity() * 4
            + self.starts.capacity() * 4
            + self.bounds.capacity() * std::mem::size_of::<Option<WorldRect>>()
    }
}

static COLUMNS: Mutex<Vec<(u64, Arc<Column>)>> = Mutex::new(Vec::new());

/// Store generations whose column a worker is building (requested, not yet kept).
static BUILDING: Mutex<Vec<u64>> = Mutex::new(Vec::new());

thread_local! {
    /// Whether this thread runs the app's frame (see [`build_in_background`]).
    static BACKGROUND: StdCell<bool> = const { StdCell::new(false) };
    /// Columns this thread asked for, for the app to hand to workers.
    static REQUESTS: RefCell<Vec<ColumnSource>> = const { RefCell::new(Vec::new()) };
    /// Columns built on this thread (for tests that the app's frames build none).
    static BUILT_HERE: StdCell<usize> = const { StdCell::new(0) };
}

/// While `on`, this thread does not build a missing column but requests it (see the module
/// documentation); the app turns it on for the length of its frame.
pub fn build_in_background(on: bool) {
    BACKGROUND.set(on);
}

/// The columns requested on this thread since the last call, to build on workers.
pub fn take_requests() -> Vec<ColumnSource> {
    REQUESTS.take()
}

/// How many columns were built on this thread.
pub fn columns_built_on_this_thread() -> usize {
    BUILT_HERE.get()
}

/// The point column of `layer`, built now unless it is kept from an earlier frame.
pub fn column(layer: &Layer) -> Arc<Column> {
    kept_column(layer.features.generation()).unwrap_or_else(|| ColumnSource::of(layer).build_and_keep())
}

/// The column of store generation `generation`, if it is kept.
fn kept_column(generation: u64) -> Option<Arc<Column>> {
    let mut kept = COLUMNS.lock().unwrap_or_else(PoisonError::into_inner);
    let at = kept.iter().position(|(g, _)| *g == generation)?;
    // Most recently used last.
    let entry = kept.remove(at);
    let column = Arc::clone(&entry.1);
    kept.push(entry);
    Some(column)
}

/// The point column of `layer` for a frame: kept from an earlier frame, or built now, or —
/// while building in the background — requested and `None` until a worker has built it.
fn column_for_frame(layer: &Layer) -> Option<Arc<Column>> {
    let generation = layer.features.generation();
    if let Some(column) = kept_column(generation) {
        return Some(column);
    }
    // Reading a million shapes takes a few tens of milliseconds: not under the lock.
    if BACKGROUND.get() {
        let mut building = BUILDING.lock().unwrap_or_else(PoisonError::into_inner);
        if !building.contains(&generation) {
            building.push(generation);
            drop(building);
            let source = ColumnSource::of(layer);
            REQUESTS.with_borrow_mut(|r| r.push(source));
        }
        return None;
    }
    Some(ColumnSource::of(layer).build_and_keep())
}

/// Whether layer `li` is drawn aggregated, decided without listing its features in view: a
/// layer of points only (no lines or areas, not places, not the border), without labels, with
/// more than [`AGGREGATE_ABOVE`] features in range in `view`. Counts with an early stop from the
/// filter's gathered points, or (unfiltered and big) from the point column; `false` means "ask
/// the list of features in view", which then decides exactly as before.
pub fn aggregated_without_list(layer: &Layer, li: usize, filter: Option<&TimeFilter>, view: &WorldRect) -> bool {
    if matches!(layer.kind, LayerKind::Places | LayerKind::Border)
        || layer.index.has_areas()
        || layer.index.has_lines()
        || layer.style.as_ref().is_some_and(|o| o.label.is_some())
    {
        return false;
    }
    if let Some((ids, points)) = filter.and_then(|f| f.visible_points(li)) {
        if ids.len() <= AGGREGATE_ABOVE {
            return false;
        }
        // Exactly the features the list would hold: a point in view, or bounds meeting it.
        let inside = |(&i, p): (&usize, &[f64; 2])| {
            if p[0].is_nan() { layer.index.rect(i).is_some_and(|b| b.intersects(view)) } else { view.contains(*p) }
        };
        return ids.iter().zip(points).filter(|&e| inside(e)).take(AGGREGATE_ABOVE + 1).count() > AGGREGATE_ABOVE;
    }
    if layer.features.len() <= COLUMN_ABOVE {
        return false;
    }
    // Features with a point in view: each is in the list too, so more than the threshold here
    // means more there. Bounded from the buckets first: all of a bucket inside the view counts
    // whole; if even every bucket meeting the view holds no more, the list decides.
    // Not built yet (a worker is at it): the list decides, with the same result.
    let Some(column) = column_for_frame(layer) else { return false };
    let (mut inside, mut meeting) = (0_usize, 0_usize);
    for (k, b) in column.bounds.iter().enumerate() {
        let Some(b) = b else { continue };
        let n = column.starts.get(k + 1).zip(column.starts.get(k)).map_or(0, |(e, s)| (e - s) as usize);
        if view.contains(b.min) && view.contains(b.max) {
            inside += n;
        }
        if b.intersects(view) {
            meeting += n;
        }
    }
    if column.single && inside > AGGREGATE_ABOVE {
        return true;
    }
    if meeting <= AGGREGATE_ABOVE {
        return false;
    }
    // Count distinct features (a multi-point feature may have points in several buckets).
    let mut counted = vec![0_u64; layer.features.len().div_ceil(64)];
    let mut seen = 0;
    for k in column.buckets_meeting(view) {
        let (pos, feature) = column.bucket(k);
        for (p, &f) in pos.iter().zip(feature) {
            if !view.contains(*p) {
                continue;
            }
            let (word, bit) = (f as usize / 64, 1_u64 << (f % 64));
            if let Some(w) = counted.get_mut(word)
                && *w & bit == 0
            {
                *w |= bit;
                seen += 1;
                if seen > AGGREGATE_ABOVE {
                    return true;
                }
            }
        }
    }
    false
}

/// One screen cell of an aggregated layer.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// Points in the cell.
    pub count: u32,
    /// The lowest-numbered feature with a point in the cell.
    pub first: u32,
    /// Sum of the points' screen positions.
    pub sum: [f32; 2],
}

/// The screen grid of an aggregated layer, row-major.
#[derive(Debug, Clone)]
pub struct Cells {
    /// Cells per row.
    pub cols: usize,
    /// The cells, `cols` per row.
    pub cells: Vec<Cell>,
}

/// Counts the points of layer `li` that pass `filter` into the [`CELL_PTS`] cells of a screen
/// of `size` points seen through `transform` (`screen = world · scale + offset`). `shown` (the
/// features in view, ascending) is read only for a small unfiltered layer; pass it empty when
/// it was not listed (see [`aggregated_without_list`]).
pub fn count_cells(
    layer: &Layer,
    li: usize,
    filter: Option<&TimeFilter>,
    shown: &[usize],
    size: [f32; 2],
    transform: (f64, [f64; 2]),
) -> Cells {
    let [w, h] = size;
    let cols = (w / CELL_PTS).ceil().max(1.0) as usize;
    let rows = (h / CELL_PTS).ceil().max(1.0) as usize;
    let mut cells = vec![Cell { count: 0, first: NONE, sum: [0.0, 0.0] }; cols * rows];
    let (scale, [ox, oy]) = transform;
    let mut add = |fi: u32, p: [f64; 2]| {
        let (x, y) = ((p[0] * scale + ox) as f32, (p[1] * scale + oy) as f32);
        // Written so that NaN fails too.
        if !(x >= 0.0 && y >= 0.0 && x < w && y < h) {
            return;
        }
        let at = (y / CELL_PTS) as usize * cols + (x / CELL_PTS) as usize;
        if let Some(c) = cells.get_mut(at) {
            c.count += 1;
            c.sum[0] += x;
            c.sum[1] += y;
            c.first = c.first.min(fi);
        }
    };
    let id = |fi: usize| u32::try_from(fi).unwrap_or(NONE - 1);
    let mut others = Vec::new();
    if let Some((ids, points)) = filter.and_then(|f| f.visible_points(li)) {
        // Date-filtered: one sequential pass over the filter's gathered points.
        for (&fi, p) in ids.iter().zip(points) {
            if p[0].is_nan() {
                others.push(fi);
            } else {
                add(id(fi), *p);
            }
        }
    } else if layer.features.len() > COLUMN_ABOVE
        && let Some(column) = column_for_frame(layer)
    {
        // Only the buckets that meet the screen (grown by a point against rounding).
        let a = [(-1.0 - ox) / scale, (-1.0 - oy) / scale];
        let b = [(f64::from(w) + 1.0 - ox) / scale, (f64::from(h) + 1.0 - oy) / scale];
        let screen = WorldRect { min: [a[0].min(b[0]), a[1].min(b[1])], max: [a[0].max(b[0]), a[1].max(b[1])] };
        for k in column.buckets_meeting(&screen) {
            let (pos, feature) = column.bucket(k);
            for (p, &fi) in pos.iter().zip(feature) {
                add(fi, *p);
            }
        }
    } else {
        for &fi in shown {
            match layer.index.rect(fi).filter(WorldRect::is_point) {
                Some(r) => add(id(fi), r.min),
                None => others.push(fi),
            }
        }
    }
    for fi in others {
        if let Some(shape) = layer.features.shape(fi) {
            for p in &shape.points {
                add(id(fi), *p);
            }
        }
    }
    Cells { cols, cells }
}
