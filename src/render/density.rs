//! The density view of dense point layers: hexagonal bins coloured by how many features of the
//! current date range fall in each, with a count legend.
//!
//! The hexagon grid is anchored to world coordinates (bin `(0, 0)` is centred on the world
//! origin) and its size is fixed per half zoom level, so bins never swim while panning and
//! only change in steps while zooming; on screen a hexagon is 9 to 12.7 points across its
//! corners. A point belongs to the bin whose centre is nearest (the hexagons are exactly the
//! Voronoi cells of their centres), so what is drawn, what is counted and what a click lists
//! are the same set ([`members`] uses the same assignment as the counting).
//!
//! A bin is counted completely before it is drawn: points are taken from the view grown by two
//! hexagon radii, and only bins whose centre lies within one radius of the view are kept, so a
//! bin at the edge shows the same count wherever the view is.
//!
//! The colour ramp has at most six classes with round upper bounds (1, 2, 3, 5, 7 × 10ⁿ),
//! spread geometrically up to the largest count in view rounded up the same way; the ramp
//! therefore only changes when that maximum crosses a round step, not at every pan.
//!
//! Big layers are counted through a [`BinIndex`]: because the grid is anchored to the world,
//! the bin of every point on one grid never changes with panning or the date range. So per
//! (store generation, grid) the points are binned once, on a worker thread, into bins holding
//! their features and the sorted start and end days of those features; a bin's count for a
//! range `[a, b]` is then `#(start ≤ b) − #(end < a)` plus its undated features (two binary
//! searches), and a frame costs `O(bins in view · log n)` instead of `O(points)`. Until a
//! grid's index is ready (and for small layers) bins are counted directly from the points, with
//! the same result. The indexes are keyed by [`crate::model::FeatureStore::generation`], so an
//! edit, a new date field or a reload makes a new one; the two neighbouring half zoom levels are
//! built after the one in view, so zooming finds them ready.
//!
//! All hexagons of one colour class are one [`Item::Fill`]: at most six fills per layer
//! rather than one per bin.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Datelike as _;
use rayon::prelude::*;

use super::scene::{Color, Item, LegendEntry, LegendSwatch, Mesh};
use crate::model::{Layer, LayerKind, PointView, TimeFilter};
use crate::spatial::{Viewport, WorldRect};

/// Above this many point features in view a layer without an explicit choice is drawn as a
/// density. Like the screen-grid aggregation it replaces: on a 1600 × 1000 point view, 2,000
/// symbols of 4–5 points (with precision halos) overlap into a carpet where colour and
/// position stop telling anything; below it the individual symbols carry more (type, precision)
/// than a count does, and zooming in on a dense area brings them back.
pub const DENSITY_ABOVE: usize = super::builder::AGGREGATE_ABOVE;

/// Hexagon circumradius on screen at the start of each half zoom level, in points.
pub const HEX_RADIUS_PTS: f64 = 9.0;

/// The colour ramp, light to dark (`ColorBrewer` `YlOrRd`, its palest step dropped so the
/// lowest class stands out on the pale background).
pub const RAMP: [Color; 6] = [
    Color::hex(0xfed976),
    Color::hex(0xfeb24c),
    Color::hex(0xfd8d3c),
    Color::hex(0xfc4e2a),
    Color::hex(0xe31a1c),
    Color::hex(0xb10026),
];

/// The band drawn under the border line when a layer is drawn as a density, instead of the
/// usual translucent red one, which the ramp's reds swallow.
pub const BORDER_CASING: Color = Color([255, 255, 255, 225]);

/// Width of [`BORDER_CASING`] in points.
pub const BORDER_CASING_PTS: f32 = 6.0;

/// A hexagon's six corners as four triangles.
const HEXAGON_TRIANGLES: [u32; 12] = [0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 4, 5];

/// Opacity of a bin before the layer's own opacity.
const BIN_ALPHA: u8 = 215;

/// Drawn hexagons are this much smaller than their cell, leaving a hairline gap between bins.
const DRAWN_SHRINK: f64 = 0.92;

/// Whether layer `li` is drawn as a density in `view`: the layer's choice, else density when
/// more than [`DENSITY_ABOVE`] of its points in the date range are in view, for layers of points
/// only (never automatically for places, whose symbols and labels are the map's reference).
/// Counts from the filter's contiguous points (or, unfiltered, the layer's point column) and
/// stops at the threshold, so a dense layer costs microseconds here and never needs its
/// per-feature list of what is in view.
pub fn drawn_as_density(layer: &Layer, li: usize, filter: Option<&TimeFilter>, view: &WorldRect) -> bool {
    match layer.style.as_ref().and_then(|s| s.point_view) {
        Some(PointView::Density) => true,
        Some(PointView::Points) => false,
        None => {
            if layer.kind == LayerKind::Places || layer.index.has_areas() || layer.index.has_lines() {
                return false;
            }
            if let Some((ids, points)) = filter.and_then(|f| f.visible_points(li)) {
                if ids.len() <= DENSITY_ABOVE {
                    return false;
                }
                let inside = |(&i, p): (&usize, &[f64; 2])| {
                    if p[0].is_nan() {
                        layer.index.rect(i).is_some_and(|b| b.intersects(view))
                    } else {
                        view.contains(*p)
                    }
                };
                ids.iter().zip(points).filter(|&e| inside(e)).take(DENSITY_ABOVE + 1).count() > DENSITY_ABOVE
            } else if layer.features.len() > INDEX_ABOVE && !keeps_indexes() {
                // One frame (headless): the shape column, with the same early stop, and nothing
                // kept for frames that will not come.
                let features = &layer.features;
                (0..features.len())
                    .filter(|&i| features.shape(i).is_some_and(|s| s.points.iter().any(|p| view.contains(*p))))
                    .take(DENSITY_ABOVE + 1)
                    .count()
                    > DENSITY_ABOVE
            } else if layer.features.len() > INDEX_ABOVE {
                // Unfiltered and big: the layer's point column, read once per store generation,
                // with the same early stop (an R-tree query listing a million ids costs ~40 ms).
                let points = cache().points(layer);
                let mut last = None;
                points
                    .pos
                    .iter()
                    .zip(&points.feature)
                    .filter(|&(p, &f)| view.contains(*p) && last.replace(f) != Some(f))
                    .take(DENSITY_ABOVE + 1)
                    .count()
                    > DENSITY_ABOVE
            } else {
                layer.index.len() > DENSITY_ABOVE && layer.index.query(view).len() > DENSITY_ABOVE
            }
        }
    }
}

/// A hexagon grid in world units, pointy side up: rows `j` are `1.5 r` apart, columns `i`
/// `√3 r` apart, odd rows shifted by half a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HexGrid {
    /// Circumradius in world units.
    pub radius: f64,
}

/// A bin: column and row of its hexagon.
pub type BinKey = (i64, i64);

/// `floor` by conversion (the hot loop avoids a libm call on baseline x86-64).
#[inline]
fn floor_i(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

impl HexGrid {
    /// The grid for a view: its size is fixed within each half zoom level.
    pub fn for_view(viewport: &Viewport) -> Self {
        // The scale at the start of the half level, computed from that zoom alone so every
        // zoom in the band gives the very same grid.
        let start = Viewport { zoom: (viewport.zoom * 2.0).floor() / 2.0, ..*viewport };
        Self { radius: HEX_RADIUS_PTS / start.scale() }
    }

    fn dx(self) -> f64 {
        self.radius * 3f64.sqrt()
    }

    fn dy(self) -> f64 {
        self.radius * 1.5
    }

    /// The bin whose centre is nearest to `p` (world units).
    #[inline]
    pub fn bin_of(&self, p: [f64; 2]) -> BinKey {
        self.binner().bin_of(p)
    }

    fn binner(self) -> Binner {
        Binner { inv_dx: 1.0 / self.dx(), inv_dy: 1.0 / self.dy() }
    }

    /// Centre of a bin, world units.
    pub fn center(&self, (i, j): BinKey) -> [f64; 2] {
        let shift = if j & 1 == 1 { 0.5 } else { 0.0 };
        [(i as f64 + shift) * self.dx(), j as f64 * self.dy()]
    }

    /// The six corners of a bin's hexagon (world units), clockwise on screen from the top.
    pub fn corners(&self, key: BinKey, shrink: f64) -> [[f64; 2]; 6] {
        let [cx, cy] = self.center(key);
        let r = self.radius * shrink;
        let h = r * 3f64.sqrt() / 2.0;
        [
            [cx, cy - r],
            [cx + h, cy - r / 2.0],
            [cx + h, cy + r / 2.0],
            [cx, cy + r],
            [cx - h, cy + r / 2.0],
            [cx - h, cy - r / 2.0],
        ]
    }
}

/// The assignment with its divisions turned into multiplications.
#[derive(Clone, Copy)]
struct Binner {
    inv_dx: f64,
    inv_dy: f64,
}

impl Binner {
    /// Nearest centre (as d3-hexbin, but comparing true distances: a column is `√3 r` and a
    /// row `1.5 r`, so squared distances in grid units weigh x by 4 and y by 3).
    #[inline]
    fn bin_of(self, p: [f64; 2]) -> BinKey {
        let py = p[1] * self.inv_dy;
        let pj = floor_i(py + 0.5);
        let odd = pj & 1;
        let px = p[0] * self.inv_dx - if odd == 1 { 0.5 } else { 0.0 };
        let pi = floor_i(px + 0.5);
        let py1 = py - pj as f64;
        if py1.abs() * 3.0 > 1.0 {
            // The other candidate: the neighbouring row, half a column towards the point.
            let px1 = px - pi as f64;
            let right = px1 >= 0.0;
            let px2 = px1 - if right { 0.5 } else { -0.5 };
            let pj2 = pj + if py1 < 0.0 { -1 } else { 1 };
            let py2 = py - pj2 as f64;
            if 4.0 * px1 * px1 + 3.0 * py1 * py1 > 4.0 * px2 * px2 + 3.0 * py2 * py2 {
                let pi2 = match (odd == 1, right) {
                    (true, true) => pi + 1,
                    (false, false) => pi - 1,
                    _ => pi,
                };
                return (pi2, pj2);
            }
        }
        (pi, pj)
    }
}

/// Calls `each(feature, bin)` for every feature of the layer that passes the filter and has a
/// point within `near`, once per distinct bin of its points. The one source of truth for
/// counting and for listing a bin.
fn for_each_binned(
    layer: &Layer,
    li: usize,
    filter: Option<&TimeFilter>,
    grid: HexGrid,
    near: &WorldRect,
    mut each: impl FnMut(usize, BinKey),
) {
    let binner = grid.binner();
    let source = NearPoints::new(layer, li, filter, near);
    let mut others = Vec::new();
    source.bin_points(layer, 0..source.len(), near, binner, &mut each, &mut others);
    bin_others(layer, &others, near, binner, &mut each);
}

/// The features [`for_each_binned`] reads, in its order: the filter's gathered points of the
/// layer when it is date-filtered, else the features the layer's index finds near the view.
enum NearPoints<'a> {
    Filtered(&'a [usize], &'a [[f64; 2]]),
    Indexed(Vec<usize>),
}

impl<'a> NearPoints<'a> {
    fn new(layer: &Layer, li: usize, filter: Option<&'a TimeFilter>, near: &WorldRect) -> Self {
        match filter.and_then(|f| f.visible_points(li)) {
            Some((ids, points)) => Self::Filtered(ids, points),
            None => Self::Indexed(layer.index.query(near)),
        }
    }

    /// How many entries (features or points) there are to read.
    fn len(&self) -> usize {
        match self {
            Self::Filtered(ids, points) => ids.len().min(points.len()),
            Self::Indexed(ids) => ids.len(),
        }
    }

    /// Calls `each(feature, bin)` for entries `range` that are points within `near`; the
    /// features among them that are not points go to `others`, in order.
    fn bin_points(
        &self,
        layer: &Layer,
        range: std::ops::Range<usize>,
        near: &WorldRect,
        binner: Binner,
        each: &mut impl FnMut(usize, BinKey),
        others: &mut Vec<usize>,
    ) {
        match self {
            Self::Filtered(ids, points) => {
                // Date-filtered: one sequential pass over the filter's gathered points.
                let [x0, y0] = near.min;
                let [x1, y1] = near.max;
                let ids = ids.get(range.clone()).unwrap_or_default();
                for (&fi, p) in ids.iter().zip(points.get(range).unwrap_or_default()) {
                    if p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1 {
                        each(fi, binner.bin_of(*p));
                    } else if p[0].is_nan() {
                        others.push(fi);
                    }
                }
            }
            Self::Indexed(ids) => {
                for &fi in ids.get(range).unwrap_or_default() {
                    match layer.index.rect(fi).filter(WorldRect::is_point) {
                        Some(r) => {
                            if near.contains(r.min) {
                                each(fi, binner.bin_of(r.min));
                            }
                        }
                        None => others.push(fi),
                    }
                }
            }
        }
    }
}

/// Calls `each(feature, bin)` for the `others` of [`NearPoints::bin_points`]: once per distinct
/// bin of their points within `near`.
fn bin_others(layer: &Layer, others: &[usize], near: &WorldRect, binner: Binner, each: &mut impl FnMut(usize, BinKey)) {
    let mut seen: Vec<BinKey> = Vec::new();
    for &fi in others {
        let Some(shape) = layer.features.shape(fi) else { continue };
        seen.clear();
        for p in shape.points.iter().filter(|p| near.contains(**p)) {
            let key = binner.bin_of(*p);
            if !seen.contains(&key) {
                seen.push(key);
                each(fi, key);
            }
        }
    }
}

/// Entries [`count_bins_direct`] reads on one core at least; beyond, on every core in parts of
/// at least this many (each part counting into its own array when the bins are few next to
/// the points).
const COUNT_PART_MIN: usize = 64 * 1024;

/// Layers with more points than this get a [`BinIndex`] per grid, built on a worker thread;
/// below it, counting the points directly costs well under a millisecond.
pub const INDEX_ABOVE: usize = 20_000;

/// How many grids' indexes are kept (the one in view, its neighbours, a few recent ones).
const INDEXES_KEPT: usize = 8;

/// Day number of an undated feature in [`Points`] (no real date has it).
const UNDATED: i32 = i32::MIN;

/// The points of a layer with their features and day numbers, read once per store
/// generation and shared by the builds of every grid.
struct Points {
    /// World position of each point (a multi-point feature has several).
    pos: Vec<[f64; 2]>,
    /// The feature of each point.
    feature: Vec<u32>,
    /// Start day of each feature, by feature ([`UNDATED`] when it has no date).
    start: Vec<i32>,
    /// End day of each feature, by feature.
    end: Vec<i32>,
}

impl Points {
    fn of(layer: &Layer) -> Self {
        let n = layer.features.len();
        let mut points = Self {
            pos: Vec::with_capacity(n),
            feature: Vec::with_capacity(n),
            start: Vec::with_capacity(n),
            end: Vec::with_capacity(n),
        };
        for fi in 0..n {
            let (start, end) = layer
                .features
                .span(fi)
                .map_or((UNDATED, UNDATED), |s| (s.start.num_days_from_ce(), s.end.num_days_from_ce()));
            points.start.push(start);
            points.end.push(end);
            let (Some(shape), Ok(f)) = (layer.features.shape(fi), u32::try_from(fi)) else { continue };
            for p in shape.points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()) {
                points.pos.push(*p);
                points.feature.push(f);
            }
        }
        points
    }
}

/// A bin key packed into one number that sorts row-major (row, then column); `None` outside
/// the range a grid of any usable zoom reaches.
fn pack((i, j): BinKey) -> Option<u64> {
    let (i, j) = (i32::try_from(i).ok()?, i32::try_from(j).ok()?);
    Some((u64::from(j.cast_unsigned() ^ 0x8000_0000) << 32) | u64::from(i.cast_unsigned() ^ 0x8000_0000))
}

fn unpack(k: u64) -> BinKey {
    let col = ((k & 0xffff_ffff) as u32 ^ 0x8000_0000).cast_signed();
    let row = (((k >> 32) as u32) ^ 0x8000_0000).cast_signed();
    (i64::from(col), i64::from(row))
}

/// The points of one layer grouped by their bin on one grid, with per bin its features and
/// their sorted start and end days: counts for any date range and view without visiting the
/// points. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct BinIndex {
    /// The grid.
    grid: HexGrid,
    /// Non-empty bins, packed ([`pack`]), ascending (row-major).
    keys: Vec<u64>,
    /// Where each bin's data ends: `[members, dated]`, after a leading `[0, 0]`. Bin `k`'s
    /// features are `members[heads[k][0]..heads[k + 1][0]]`; its `m` dated features' start
    /// days, sorted, are `days[2 · heads[k][1]..][..m]` and their end days, sorted, follow.
    heads: Vec<[u32; 2]>,
    /// Features of each bin, ascending within a bin.
    members: Vec<u32>,
    /// Per bin the sorted start days then the sorted end days of its dated features, next to
    /// each other so counting a bin reads one short stretch of memory.
    days: Vec<i32>,
}

impl BinIndex {
    /// Bins every point of `layer` on `grid` (the work a worker does for big layers; exposed
    /// for tests and benches). `None` when the layer does not fit in an index (more than 4G
    /// features, or a grid too fine for 32-bit bin numbers).
    pub fn build(layer: &Layer, grid: HexGrid) -> Option<Self> {
        Self::from_points(&Points::of(layer), grid)
    }

    fn from_points(points: &Points, grid: HexGrid) -> Option<Self> {
        let binner = grid.binner();
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity(points.pos.len());
        for (p, &f) in points.pos.iter().zip(&points.feature) {
            entries.push((pack(binner.bin_of(*p))?, f));
        }
        // Within a bin by feature: a feature's points are adjacent, so a multi-point feature
        // with several points in one bin is seen (and kept) once.
        entries.sort_unstable();
        entries.dedup();
        let mut index = Self {
            grid,
            keys: Vec::new(),
            heads: vec![[0, 0]],
            members: Vec::with_capacity(entries.len()),
            days: Vec::with_capacity(2 * entries.len()),
        };
        let mut ends: Vec<i32> = Vec::new();
        for run in entries.chunk_by(|a, b| a.0 == b.0) {
            let key = run.first().map_or(0, |e| e.0);
            let from = index.days.len();
            ends.clear();
            for &(_, f) in run {
                index.members.push(f);
                let fi = f as usize;
                if let (Some(&s), Some(&e)) = (points.start.get(fi), points.end.get(fi))
                    && s != UNDATED
                {
                    index.days.push(s);
                    ends.push(e);
                }
            }
            if let Some(s) = index.days.get_mut(from..) {
                s.sort_unstable();
            }
            ends.sort_unstable();
            index.days.extend_from_slice(&ends);
            index.keys.push(key);
            index.heads.push([u32::try_from(index.members.len()).ok()?, u32::try_from(index.days.len() / 2).ok()?]);
        }
        Some(index)
    }

    /// Heap bytes held.
    fn bytes(&self) -> usize {
        self.keys.len() * 8 + self.heads.len() * 8 + (self.members.len() + self.days.len()) * 4
    }

    /// The count of bin number `k` for `days` (`None`: every feature).
    fn count(&self, k: usize, days: Option<(i32, i32)>) -> u32 {
        let (Some(&[m0, d0]), Some(&[m1, d1])) = (self.heads.get(k), self.heads.get(k + 1)) else { return 0 };
        let all = m1.saturating_sub(m0);
        let Some((a, b)) = days else { return all };
        let dated = d1.saturating_sub(d0);
        let undated = all.saturating_sub(dated);
        if a > b || dated == 0 {
            return undated;
        }
        let (at, m) = (2 * d0 as usize, dated as usize);
        let starts = self.days.get(at..at + m).unwrap_or_default();
        let ends = self.days.get(at + m..at + 2 * m).unwrap_or_default();
        // Spans overlapping [a, b] start by b and do not end before a; every span ending
        // before a also starts by b.
        let overlapping = starts.partition_point(|&s| s <= b).saturating_sub(ends.partition_point(|&e| e < a));
        undated + u32::try_from(overlapping).unwrap_or(u32::MAX)
    }

    /// Bins whose centre lies within one radius of `view` with their counts of the features
    /// of layer `li` that `filter` shows, row-major, empty bins left out: what [`count_bins`]
    /// returns.
    pub fn counts(&self, li: usize, filter: Option<&TimeFilter>, view: &WorldRect) -> Vec<(BinKey, u32)> {
        self.counts_for_days(view, counted_days(li, filter))
    }

    /// [`BinIndex::counts`] for a range of day numbers (`None`: every feature).
    fn counts_for_days(&self, view: &WorldRect, days: Option<(i32, i32)>) -> Vec<(BinKey, u32)> {
        let grid = self.grid;
        let keep = view.expanded(grid.radius);
        let j0 = floor_i(keep.min[1] / grid.dy());
        let j1 = floor_i(keep.max[1] / grid.dy()) + 1;
        let i0 = floor_i(keep.min[0] / grid.dx()) - 1;
        let i1 = floor_i(keep.max[0] / grid.dx()) + 1;
        let mut out = Vec::new();
        let take = |k: usize, out: &mut Vec<(BinKey, u32)>| {
            let Some(&packed) = self.keys.get(k) else { return };
            let key = unpack(packed);
            if keep.contains(grid.center(key)) {
                let n = self.count(k, days);
                if n > 0 {
                    out.push((key, n));
                }
            }
        };
        let rows = usize::try_from(j1 - j0 + 1).unwrap_or(usize::MAX);
        let clamp = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
        if rows > self.keys.len() {
            // A view far larger than the grid's usual one: walk every bin.
            for k in 0..self.keys.len() {
                take(k, &mut out);
            }
            return out;
        }
        // Every bin of rows j0..=j1 is between these two: room for all, searches within.
        let (Some(first), Some(last)) = (pack((clamp(i0), clamp(j0))), pack((clamp(i1), clamp(j1)))) else {
            return out;
        };
        let start = self.keys.partition_point(|&k| k < first);
        let end = self.keys.partition_point(|&k| k <= last);
        let rows_keys = self.keys.get(start..end).unwrap_or_default();
        out.reserve(rows_keys.len());
        for j in j0..=j1 {
            let (Some(lo), Some(hi)) = (pack((clamp(i0), clamp(j))), pack((clamp(i1), clamp(j)))) else { continue };
            let from = start + rows_keys.partition_point(|&k| k < lo);
            let to = start + rows_keys.partition_point(|&k| k <= hi);
            for k in from..to {
                take(k, &mut out);
            }
        }
        out
    }

    /// The features of `bin`, ascending (all of them: the caller filters by date).
    fn members_of(&self, bin: BinKey) -> &[u32] {
        let Some(packed) = pack(bin) else { return &[] };
        let Ok(k) = self.keys.binary_search(&packed) else { return &[] };
        let (Some(&[m0, _]), Some(&[m1, _])) = (self.heads.get(k), self.heads.get(k + 1)) else { return &[] };
        self.members.get(m0 as usize..m1 as usize).unwrap_or_default()
    }
}

/// The indexes built, the points read for them and the builds under way, for every layer.
struct Cache {
    /// Points by store generation, most recently used last.
    points: Vec<(u64, Arc<Points>)>,
    /// Indexes by (store generation, grid radius bits), most recently used last.
    indexes: Vec<((u64, u64), Arc<BinIndex>)>,
    /// Builds running on a worker.
    pending: Vec<(u64, u64)>,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache { points: Vec::new(), indexes: Vec::new(), pending: Vec::new() });

/// Whether big layers get bin indexes built on a worker (and their point column kept) for the
/// frames to come; see [`draw_single_frames`].
static KEEP_INDEXES: AtomicBool = AtomicBool::new(true);

/// For a process that draws each view once (the headless commands): bins are counted directly
/// from the layer, and no index or point column is built or kept. For a 1M-event layer that is
/// ~100 MB and a worker's sorting that a single frame never uses (`render --add` of a 1M-row
/// ACLED CSV peaked above the file's size with them).
pub fn draw_single_frames() {
    KEEP_INDEXES.store(false, Ordering::Relaxed);
}

/// Whether views are drawn again (the app), so indexes are worth keeping; `false` after
/// [`draw_single_frames`].
pub fn keeps_indexes() -> bool {
    KEEP_INDEXES.load(Ordering::Relaxed)
}

/// Whether anything is kept or being built for `layer`'s current features: a bin index, a
/// build under way, or its point column (for tests of [`draw_single_frames`]).
pub fn holds_anything_for(layer: &Layer) -> bool {
    let generation = layer.features.generation();
    let c = cache();
    c.indexes.iter().any(|((g, _), _)| *g == generation)
        || c.pending.iter().any(|(g, _)| *g == generation)
        || c.points.iter().any(|(g, _)| *g == generation)
}

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cache {
    fn get(&mut self, key: (u64, u64)) -> Option<Arc<BinIndex>> {
        let at = self.indexes.iter().position(|(k, _)| *k == key)?;
        let entry = self.indexes.remove(at);
        let index = Arc::clone(&entry.1);
        self.indexes.push(entry);
        Some(index)
    }

    fn put(&mut self, key: (u64, u64), index: Arc<BinIndex>) {
        self.indexes.retain(|(k, _)| *k != key);
        self.indexes.push((key, index));
        // Few grids, and at most ~400 MB of them (a 1M-point index is ~16 MB).
        while self.indexes.len() > INDEXES_KEPT
            || (self.indexes.len() > 1 && self.indexes.iter().map(|(_, i)| i.bytes()).sum::<usize>() > 400 << 20)
        {
            self.indexes.remove(0);
        }
        let live: Vec<u64> =
            self.indexes.iter().map(|((g, _), _)| *g).chain(self.pending.iter().map(|p| p.0)).collect();
        self.points.retain(|(g, _)| live.contains(g));
    }

    fn points(&mut self, layer: &Layer) -> Arc<Points> {
        let generation = layer.features.generation();
        if let Some((_, p)) = self.points.iter().find(|(g, _)| *g == generation) {
            return Arc::clone(p);
        }
        let p = Arc::new(Points::of(layer));
        self.points.push((generation, Arc::clone(&p)));
        if self.points.len() > 2 {
            self.points.remove(0);
        }
        p
    }
}

fn cache_key(layer: &Layer, grid: HexGrid) -> (u64, u64) {
    (layer.features.generation(), grid.radius.to_bits())
}

/// The index of `layer` on `grid` if it is built.
fn ready_index(layer: &Layer, grid: HexGrid) -> Option<Arc<BinIndex>> {
    cache().get(cache_key(layer, grid))
}

/// Builds the index of `layer` on `grid` now, on this thread, and keeps it for the frames to
/// come (benches and tests; the map builds them on a worker, see [`request_index`]).
pub fn prepare(layer: &Layer, grid: HexGrid) {
    let key = cache_key(layer, grid);
    if cache().get(key).is_some() {
        return;
    }
    let points = cache().points(layer);
    if let Some(index) = BinIndex::from_points(&points, grid) {
        cache().put(key, Arc::new(index));
    }
}

/// Starts building the indexes of `layer` on `grids` (the one in view first) on a worker
/// thread, unless they are built or being built. Reading the layer's points (once per store
/// generation) happens here; the binning and sorting on the worker.
fn request_index(layer: &Layer, grids: &[HexGrid]) {
    let generation = layer.features.generation();
    let mut c = cache();
    let wanted: Vec<HexGrid> = grids
        .iter()
        .copied()
        .filter(|g| {
            let key = (generation, g.radius.to_bits());
            !c.pending.contains(&key) && !c.indexes.iter().any(|(k, _)| *k == key)
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    let points = c.points(layer);
    let keys: Vec<(u64, u64)> = wanted.iter().map(|g| (generation, g.radius.to_bits())).collect();
    c.pending.extend(&keys);
    drop(c);
    let work = {
        let keys = keys.clone();
        move || {
            for (grid, key) in wanted.into_iter().zip(keys) {
                let index = BinIndex::from_points(&points, grid);
                let mut c = cache();
                c.pending.retain(|k| *k != key);
                if let Some(index) = index {
                    c.put(key, Arc::new(index));
                }
            }
        }
    };
    if std::thread::Builder::new().name("density bins".into()).spawn(work).is_err() {
        // No thread: the bins are counted directly, as for a small layer.
        cache().pending.retain(|k| !keys.contains(k));
    }
}

/// The date range a layer is counted for, as day numbers: `None` when the filter does not
/// filter it (no range, or an undated layer), as [`TimeFilter::visible_points`] decides.
fn counted_days(li: usize, filter: Option<&TimeFilter>) -> Option<(i32, i32)> {
    let f = filter?;
    f.visible_ids(li)?;
    let range = f.range?;
    Some((range.from.num_days_from_ce(), range.to.num_days_from_ce()))
}

/// Bins with their counts for a view: every bin whose hexagon may reach into `view`, counted
/// completely, in row-major order. Reads the grid's [`BinIndex`] when it is built; otherwise
/// counts the points directly (and, for a big layer, asks a worker to build the index).
pub fn count_bins(
    layer: &Layer,
    li: usize,
    filter: Option<&TimeFilter>,
    grid: &HexGrid,
    view: &WorldRect,
) -> Vec<(BinKey, u32)> {
    if let Some(index) = ready_index(layer, *grid) {
        return index.counts(li, filter, view);
    }
    if layer.features.len() > INDEX_ABOVE && keeps_indexes() {
        request_index(layer, &[*grid]);
    }
    count_bins_direct(layer, li, filter, grid, view)
}

/// [`count_bins`] from the points: one pass over the points in range near the view.
pub fn count_bins_direct(
    layer: &Layer,
    li: usize,
    filter: Option<&TimeFilter>,
    grid: &HexGrid,
    view: &WorldRect,
) -> Vec<(BinKey, u32)> {
    let r = grid.radius;
    let near = view.expanded(2.0 * r * 1.000_001);
    let keep = view.expanded(r);
    // A dense array over the bins that `near` can reach: no hashing in the loop.
    let j0 = floor_i(near.min[1] / grid.dy()) - 1;
    let j1 = floor_i(near.max[1] / grid.dy()) + 2;
    let i0 = floor_i(near.min[0] / grid.dx()) - 2;
    let i1 = floor_i(near.max[0] / grid.dx()) + 2;
    let (cols, rows) = ((i1 - i0 + 1).max(1), (j1 - j0 + 1).max(1));
    let Ok(cells) = usize::try_from(cols * rows) else { return Vec::new() };
    if cells > 50_000_000 {
        // A grid this large means a degenerate view; draw nothing rather than allocate it.
        return Vec::new();
    }
    let binner = grid.binner();
    let slot = |(i, j): BinKey| {
        let (ci, cj) = (i - i0, j - j0);
        (ci >= 0 && ci < cols && cj >= 0 && cj < rows).then_some((cj * cols + ci) as usize)
    };
    let source = NearPoints::new(layer, li, filter, &near);
    let n = source.len();
    // The points in parts counted on every core, each into its own array (sums of counts, so
    // the same whatever the parts), when there are many more points than bins.
    let parts = if n >= 2 * COUNT_PART_MIN && cells.saturating_mul(16) <= n {
        (rayon::current_num_threads() * 2).min(n / COUNT_PART_MIN).max(1)
    } else {
        1
    };
    let step = n.div_ceil(parts);
    let count_part = |k: usize| {
        let mut counts = vec![0_u32; cells];
        let mut others = Vec::new();
        let range = (k * step).min(n)..((k + 1) * step).min(n);
        let mut tally = |_, key| {
            if let Some(c) = slot(key).and_then(|s| counts.get_mut(s)) {
                *c += 1;
            }
        };
        source.bin_points(layer, range, &near, binner, &mut tally, &mut others);
        (counts, others)
    };
    let counted: Vec<(Vec<u32>, Vec<usize>)> =
        if parts == 1 { vec![count_part(0)] } else { (0..parts).into_par_iter().map(count_part).collect() };
    let mut counted = counted.into_iter();
    let (mut counts, mut others) = counted.next().unwrap_or_default();
    for (part, more) in counted {
        for (c, p) in counts.iter_mut().zip(part) {
            *c += p;
        }
        others.extend(more);
    }
    bin_others(layer, &others, &near, binner, &mut |_, key| {
        if let Some(c) = slot(key).and_then(|s| counts.get_mut(s)) {
            *c += 1;
        }
    });
    let mut out = Vec::new();
    for (cell, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let cell = cell as i64;
        let key = (i0 + cell % cols, j0 + cell / cols);
        if keep.contains(grid.center(key)) {
            out.push((key, n));
        }
    }
    out
}

/// The features counted in `bin`, ascending: exactly the set its count is made of.
pub fn members(layer: &Layer, li: usize, filter: Option<&TimeFilter>, grid: &HexGrid, bin: BinKey) -> Vec<usize> {
    if let Some(index) = ready_index(layer, *grid) {
        let filtered = filter.filter(|f| f.visible_ids(li).is_some());
        return index
            .members_of(bin)
            .iter()
            .map(|&f| f as usize)
            .filter(|&fi| filtered.is_none_or(|f| f.is_shown(li, fi)))
            .collect();
    }
    let c = grid.center(bin);
    let r = grid.radius * 1.000_001;
    let near = WorldRect { min: [c[0] - r, c[1] - r], max: [c[0] + r, c[1] + r] };
    let mut out = Vec::new();
    for_each_binned(layer, li, filter, *grid, &near, |fi, key| {
        if key == bin {
            out.push(fi);
        }
    });
    out.sort_unstable();
    out
}

/// Upper bounds of the colour classes for a largest count of `max`: ascending, the last one
/// at or above `max`. Up to six counts each count is its own class; beyond, six classes with
/// round bounds spread geometrically.
pub fn class_bounds(max: u32) -> Vec<u32> {
    let classes = RAMP.len() as u32;
    if max <= classes {
        return (1..=max.max(1)).collect();
    }
    let top = round_up(f64::from(max));
    let mut bounds: Vec<u32> = Vec::new();
    for k in 1..=classes {
        let v = if k == classes { top } else { round_up(f64::from(top).powf(f64::from(k) / f64::from(classes))) };
        if bounds.last().is_none_or(|&b| v > b) {
            bounds.push(v.min(top));
        }
    }
    bounds
}

/// The smallest of 1, 2, 3, 5, 7 × 10ⁿ at or above `v`.
fn round_up(v: f64) -> u32 {
    let mut base = 1.0_f64;
    loop {
        for m in [1.0, 2.0, 3.0, 5.0, 7.0] {
            if m * base >= v - 1e-9 {
                return (m * base).min(f64::from(u32::MAX)) as u32;
            }
        }
        base *= 10.0;
    }
}

/// The class of a count under `bounds`.
pub fn class_of(count: u32, bounds: &[u32]) -> usize {
    bounds.iter().position(|&b| count <= b).unwrap_or(bounds.len().saturating_sub(1))
}

/// A count with thin thousands separators ("12,345").
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The legend entry of `bounds` for a layer called `name`: "name: events per hexagon", and
/// its classes ("1–5", "6–20", …) light to dark.
pub fn legend_rows(name: &str, bounds: &[u32], opacity: f32) -> Vec<LegendEntry> {
    let mut lo = 1;
    let classes = bounds
        .iter()
        .enumerate()
        .map(|(k, &hi)| {
            let range = if lo == hi { thousands(hi) } else { format!("{}–{}", thousands(lo), thousands(hi)) };
            lo = hi.saturating_add(1);
            (ramp_colour(k, bounds.len()).alpha(BIN_ALPHA).faded(opacity), range)
        })
        .collect();
    vec![LegendEntry { label: format!("{name}: features per hexagon"), swatch: LegendSwatch::Classes(classes) }]
}

/// The colour of class `k` of `n`: spread over the whole ramp, so few classes still run from
/// light to dark.
fn ramp_colour(k: usize, n: usize) -> Color {
    let last = RAMP.len() - 1;
    let at = if n <= 1 { last } else { (k * last + (n - 1) / 2) / (n - 1) };
    RAMP.get(at).copied().unwrap_or(RAMP[last])
}

/// A layer drawn as a density: which layer, the grid and the bins drawn (for clicks and hover).
#[derive(Debug, Clone, PartialEq)]
pub struct DensityLayer {
    /// Index of the layer in the catalog.
    pub layer: usize,
    /// The grid its bins were counted on.
    pub grid: HexGrid,
    /// The bins drawn with their counts, in row-major order (row, then column).
    pub bins: Vec<(BinKey, u32)>,
}

impl DensityLayer {
    /// The count drawn in the bin at world position `p`, if that bin was drawn.
    pub fn count_at(&self, p: [f64; 2]) -> Option<u32> {
        let (i, j) = self.grid.bin_of(p);
        let at = self.bins.binary_search_by(|((bi, bj), _)| (*bj, *bi).cmp(&(j, i))).ok()?;
        self.bins.get(at).map(|b| b.1)
    }
}

/// What [`density_view`] adds to a scene.
pub struct DensityView {
    /// The filled hexagons of the non-empty bins: one fill per colour class.
    pub items: Vec<Item>,
    /// The count legend.
    pub legend: Vec<LegendEntry>,
    /// The record clicks and hover use (with the bins and their counts).
    pub record: DensityLayer,
}

/// Bins, hexagons and legend of layer `li` in `viewport`.
pub fn density_view(layer: &Layer, li: usize, filter: Option<&TimeFilter>, viewport: &Viewport) -> DensityView {
    let grid = HexGrid::for_view(viewport);
    if layer.features.len() > INDEX_ABOVE && keeps_indexes() {
        // The grid in view, then the ones a zoom step in or out needs.
        let at = |dz: f64| HexGrid::for_view(&Viewport { zoom: viewport.zoom + dz, ..*viewport });
        request_index(layer, &[grid, at(0.5), at(-0.5)]);
    }
    let bins = count_bins(layer, li, filter, &grid, &viewport.world_rect());
    let max = bins.iter().map(|b| b.1).max().unwrap_or(0);
    let bounds = class_bounds(max);
    let (s, [ox, oy]) = viewport.screen_transform();
    // One fill per colour class holding all its hexagons (they never overlap), each sized
    // up front (growing big buffers costs more than filling them).
    let mut per_class = vec![0_usize; bounds.len()];
    for &(_, n) in &bins {
        if let Some(c) = per_class.get_mut(class_of(n, &bounds)) {
            *c += 1;
        }
    }
    let mut fills: Vec<(Mesh, Vec<Vec<[f32; 2]>>)> = per_class
        .iter()
        .map(|&n| {
            let mesh =
                Mesh { vertices: Vec::with_capacity(6 * n), indices: Vec::with_capacity(HEXAGON_TRIANGLES.len() * n) };
            (mesh, Vec::with_capacity(n))
        })
        .collect();
    // The corners of a hexagon relative to its centre, on screen.
    let offsets = grid.corners((0, 0), DRAWN_SHRINK).map(|[x, y]| [(x * s) as f32, (y * s) as f32]);
    for &(key, n) in &bins {
        let Some((mesh, rings)) = fills.get_mut(class_of(n, &bounds)) else { continue };
        let [cx, cy] = grid.center(key);
        let (cx, cy) = ((cx * s + ox) as f32, (cy * s + oy) as f32);
        let corners = offsets.map(|[x, y]| [cx + x, cy + y]);
        let base = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
        mesh.vertices.extend(corners);
        mesh.indices.extend(HEXAGON_TRIANGLES.iter().map(|i| base + i));
        let mut ring = Vec::with_capacity(7);
        ring.extend(corners);
        ring.push(corners[0]);
        rings.push(ring);
    }
    let items = fills
        .into_iter()
        .enumerate()
        .filter(|(_, (_, rings))| !rings.is_empty())
        .map(|(k, (mesh, rings))| Item::Fill {
            mesh,
            rings,
            color: ramp_colour(k, bounds.len()).alpha(BIN_ALPHA).faded(layer.opacity),
        })
        .collect();
    let legend = if bins.is_empty() { Vec::new() } else { legend_rows(&layer.name, &bounds, layer.opacity) };
    DensityView { items, legend, record: DensityLayer { layer: li, grid, bins } }
}

/// The features a click at `pos` (screen points) lists in density layer `record`: the members
/// of the bin under the cursor, or nothing when that bin is empty.
pub fn members_at(
    layer: &Layer,
    record: &DensityLayer,
    filter: Option<&TimeFilter>,
    viewport: &Viewport,
    pos: [f32; 2],
) -> Vec<usize> {
    let bin = record.grid.bin_of(viewport.world_from_screen(pos));
    members(layer, record.layer, filter, &record.grid, bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_round_ascending_and_cover_the_maximum() {
        assert_eq!(class_bounds(1), vec![1]);
        assert_eq!(class_bounds(4), vec![1, 2, 3, 4]);
        assert_eq!(class_bounds(1000), vec![5, 10, 50, 100, 500, 1000]);
        for max in [7, 10, 13, 99, 101, 2500, 12_345, 1_000_000] {
            let b = class_bounds(max);
            assert!(b.windows(2).all(|w| w[0] < w[1]), "{max}: {b:?}");
            assert!(*b.last().unwrap() >= max && b.len() <= RAMP.len(), "{max}: {b:?}");
        }
        assert_eq!(class_of(1, &[5, 10]), 0);
        assert_eq!(class_of(6, &[5, 10]), 1);
        assert_eq!(thousands(12_345), "12,345");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn bins_are_the_voronoi_cells_of_their_centres() {
        let grid = HexGrid { radius: 0.01 };
        let mut seed = 12345_u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..20_000 {
            let p = [rnd() * 0.5 + 0.25, rnd() * 0.5 + 0.25];
            let key = grid.bin_of(p);
            let d = |k: BinKey| {
                let c = grid.center(k);
                (c[0] - p[0]).hypot(c[1] - p[1])
            };
            let mine = d(key);
            for di in -2..=2 {
                for dj in -2..=2 {
                    let other = (key.0 + di, key.1 + dj);
                    assert!(other == key || d(other) >= mine - 1e-12, "{p:?} in {key:?} but nearer {other:?}");
                }
            }
            assert!(mine <= grid.radius * (1.0 + 1e-9));
        }
    }
}
