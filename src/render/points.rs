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
//!   in feature order, read once per store generation
//!   ([`crate::model::FeatureStore::generation`], so an edit or a reload reads it again) and
//!   kept for the frames to come,
//!
//! and only the cells' representatives are decoded (for the legend). Small layers, and layers
//! that also hold lines or areas or carry labels (which need the list anyway), count from the
//! list of features in view, with the same result.

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

/// Every point of a layer with its feature, in feature order (a multi-point feature's points
/// are adjacent); points with a non-finite coordinate are left out (they are nowhere).
#[derive(Debug, Default)]
pub struct Column {
    /// World position of each point.
    pos: Vec<[f64; 2]>,
    /// The feature of each point; empty when point `k` is feature `k` for every `k` (a layer of
    /// single points, the usual case), which saves a fifth of the memory and of each pass.
    feature: Vec<u32>,
}

impl Column {
    /// Reads the points of `layer` from its shape column (nothing is decoded).
    fn of(layer: &Layer) -> Self {
        let n = layer.features.len();
        let mut column = Self { pos: Vec::with_capacity(n), feature: Vec::with_capacity(n) };
        for fi in 0..n {
            let (Some(shape), Ok(f)) = (layer.features.shape(fi), u32::try_from(fi)) else { continue };
            for p in shape.points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()) {
                column.pos.push(*p);
                column.feature.push(f);
            }
        }
        if column.pos.len() == n && column.feature.iter().enumerate().all(|(k, &f)| f as usize == k) {
            column.feature = Vec::new();
        }
        column
    }

    /// The feature of point `k`.
    fn feature_of(&self, k: usize) -> u32 {
        if self.feature.is_empty() {
            u32::try_from(k).unwrap_or(NONE - 1)
        } else {
            self.feature.get(k).copied().unwrap_or(NONE - 1)
        }
    }

    /// Heap bytes held.
    pub fn bytes(&self) -> usize {
        self.pos.capacity() * 16 + self.feature.capacity() * 4
    }
}

static COLUMNS: Mutex<Vec<(u64, Arc<Column>)>> = Mutex::new(Vec::new());

/// The point column of `layer`, read now unless it is kept from an earlier frame.
pub fn column(layer: &Layer) -> Arc<Column> {
    let generation = layer.features.generation();
    let mut kept = COLUMNS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(at) = kept.iter().position(|(g, _)| *g == generation) {
        let entry = kept.remove(at);
        let column = Arc::clone(&entry.1);
        kept.push(entry);
        return column;
    }
    // Reading a million shapes takes a few tens of milliseconds: not under the lock.
    drop(kept);
    let column = Arc::new(Column::of(layer));
    let mut kept = COLUMNS.lock().unwrap_or_else(PoisonError::into_inner);
    kept.retain(|(g, _)| *g != generation);
    kept.push((generation, Arc::clone(&column)));
    if kept.len() > COLUMNS_KEPT {
        kept.remove(0);
    }
    column
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
    // means more there.
    let column = column(layer);
    let mut last = None;
    column
        .pos
        .iter()
        .enumerate()
        .filter(|&(k, p)| view.contains(*p) && last.replace(column.feature_of(k)) != Some(column.feature_of(k)))
        .take(AGGREGATE_ABOVE + 1)
        .count()
        > AGGREGATE_ABOVE
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
    } else if layer.features.len() > COLUMN_ABOVE {
        let column = column(layer);
        if column.feature.is_empty() {
            // Point k is feature k: ascending, so a cell's first point is its lowest feature.
            for (k, p) in column.pos.iter().enumerate() {
                add(u32::try_from(k).unwrap_or(NONE - 1), *p);
            }
        } else {
            for (p, &fi) in column.pos.iter().zip(&column.feature) {
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
