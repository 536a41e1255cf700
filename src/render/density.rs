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

/// A hexagon's six corners as four triangles.
const HEXAGON_TRIANGLES: [u32; 12] = [0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 4, 5];

/// Opacity of a bin before the layer's own opacity.
const BIN_ALPHA: u8 = 215;

/// Drawn hexagons are this much smaller than their cell, leaving a hairline gap between bins.
const DRAWN_SHRINK: f64 = 0.92;

/// Whether layer `li` is drawn as a density in `view`: the layer's choice, else density when
/// more than [`DENSITY_ABOVE`] of its points in the date range are in view, for layers of points
/// only (never automatically for places, whose symbols and labels are the map's reference).
/// Counts from the filter's contiguous points and stops at the threshold, so a dense layer
/// costs microseconds here and never needs its per-feature list of what is in view.
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
    let mut others = Vec::new();
    if let Some((ids, points)) = filter.and_then(|f| f.visible_points(li)) {
        // Date-filtered: one sequential pass over the filter's gathered points.
        let [x0, y0] = near.min;
        let [x1, y1] = near.max;
        for (&fi, p) in ids.iter().zip(points) {
            if p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1 {
                each(fi, binner.bin_of(*p));
            } else if p[0].is_nan() {
                others.push(fi);
            }
        }
    } else {
        for fi in layer.index.query(near) {
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
    let mut seen: Vec<BinKey> = Vec::new();
    for fi in others {
        let Some(f) = layer.features.get(fi) else { continue };
        seen.clear();
        for p in f.shape.points.iter().filter(|p| near.contains(**p)) {
            let key = binner.bin_of(*p);
            if !seen.contains(&key) {
                seen.push(key);
                each(fi, key);
            }
        }
    }
}

/// Bins with their counts for a view: every bin whose hexagon may reach into `view`, counted
/// completely, in row-major order.
pub fn count_bins(
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
    let mut counts = vec![0_u32; cells];
    for_each_binned(layer, li, filter, *grid, &near, |_, (i, j)| {
        let (ci, cj) = (i - i0, j - j0);
        if ci >= 0
            && ci < cols
            && cj >= 0
            && cj < rows
            && let Some(n) = counts.get_mut((cj * cols + ci) as usize)
        {
            *n += 1;
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

/// The legend rows of `bounds` for a layer called `name`: "name: 1–5 per hexagon", …
pub fn legend_rows(name: &str, bounds: &[u32], opacity: f32) -> Vec<LegendEntry> {
    let mut lo = 1;
    bounds
        .iter()
        .enumerate()
        .map(|(k, &hi)| {
            let range = if lo == hi { thousands(hi) } else { format!("{}–{}", thousands(lo), thousands(hi)) };
            lo = hi.saturating_add(1);
            LegendEntry {
                label: format!("{name}: {range} per hexagon"),
                swatch: LegendSwatch::Area(ramp_colour(k, bounds.len()).alpha(BIN_ALPHA).faded(opacity)),
            }
        })
        .collect()
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
    /// One filled hexagon per non-empty bin.
    pub items: Vec<Item>,
    /// The count legend.
    pub legend: Vec<LegendEntry>,
    /// The record clicks and hover use (with the bins and their counts).
    pub record: DensityLayer,
}

/// Bins, hexagons and legend of layer `li` in `viewport`.
pub fn density_view(layer: &Layer, li: usize, filter: Option<&TimeFilter>, viewport: &Viewport) -> DensityView {
    let grid = HexGrid::for_view(viewport);
    let bins = count_bins(layer, li, filter, &grid, &viewport.world_rect());
    let max = bins.iter().map(|b| b.1).max().unwrap_or(0);
    let bounds = class_bounds(max);
    let colours: Vec<Color> =
        (0..bounds.len()).map(|k| ramp_colour(k, bounds.len()).alpha(BIN_ALPHA).faded(layer.opacity)).collect();
    let (s, [ox, oy]) = viewport.screen_transform();
    let project = |p: [f64; 2]| [(p[0] * s + ox) as f32, (p[1] * s + oy) as f32];
    let items = bins
        .iter()
        .map(|&(key, n)| {
            let corners = grid.corners(key, DRAWN_SHRINK).map(project);
            let mut ring = Vec::with_capacity(7);
            ring.extend(corners);
            ring.push(corners[0]);
            Item::Fill {
                mesh: Mesh { vertices: corners.to_vec(), indices: HEXAGON_TRIANGLES.to_vec() },
                rings: vec![ring],
                color: colours.get(class_of(n, &bounds)).copied().unwrap_or(Color::TRANSPARENT),
            }
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
