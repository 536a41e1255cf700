//! Levels of detail for big boundary layers: simplified copies of every feature's areas and
//! lines per zoom band, so a 200 MB district set draws a few vertices per screen point instead
//! of millions per frame.
//!
//! Band `z` is meant for zoom `z` and above: its tolerance is half a screen point at that zoom
//! ([`TOLERANCE_PTS`] / (256 · 2^z) world units), and every simplified ring and line lies within
//! that distance of the original (Hausdorff bound), so the copy cannot be told from full detail
//! on screen. The drawing code picks the coarsest band that is fine enough for the current
//! scale ([`LodSet::band_for`]) and draws full detail beyond the finest band, while the set is
//! still being built, or for a feature that has no copy.
//!
//! Simplification is geo's Ramer–Douglas–Peucker ([`geo::Simplify`]) and not the
//! topology-preserving Visvalingam–Whyatt ([`geo::SimplifyVwPreserve`]): RDP's epsilon is a
//! *distance*, which is exactly the half-point bound we need, while VW's is an *area*, which
//! bounds no distance (a long thin spike of small area vanishes) and whose "preserving" variant
//! still does not guarantee valid output (geo's own notes) at several times the cost (an R-tree
//! per ring). RDP keeps every ring closed with at least four positions; what it does not
//! promise — that no two segments of a polygon's rings cross or touch, other than neighbours
//! in a ring — is checked here with an R-tree of the segments (geo's `Validation` compares
//! every pair of segments, far too slow for 100,000-vertex districts), and a polygon that came
//! out invalid is simplified again at half the epsilon (twice), then kept as it was. A polygon
//! that was invalid to begin with is not held to a stricter standard than its original.
//!
//! Bands cascade from fine to coarse (each band simplifies the next finer one at half its
//! tolerance, so the errors sum to at most the band's tolerance) and features are simplified on
//! all cores. Hit-testing never uses these copies: it stays on full detail.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use geo::{LineString, Polygon, Simplify as _, TriangulateEarcut as _};
use rstar::{RTree, RTreeObject as _, primitives::GeomWithData, primitives::Rectangle};

use super::{Shape, Tessellation};

/// The largest on-screen error of a band at the zooms it is drawn at, in points.
pub const TOLERANCE_PTS: f64 = 0.5;

/// Below this many area and line vertices a layer draws fast enough at full detail (see
/// [`LodSet::start_if_big`]).
pub const MIN_VERTICES: usize = 50_000;

/// A band that keeps more than this share of the layer's vertices is not worth its memory.
const MAX_KEEP: f64 = 0.6;

/// The finest zoom a band is ever built for.
const MAX_ZOOM: i32 = 20;

/// World units per point at zoom 0 (see [`super::mercator`]).
const PTS_AT_ZOOM0: f64 = 256.0;

/// The tolerance of band `zoom`, in world units.
pub fn tolerance_at(zoom: i32) -> f64 {
    TOLERANCE_PTS / (PTS_AT_ZOOM0 * 2f64.powi(zoom))
}

/// One feature's simplified areas and lines at one band, in world units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LodShape {
    /// Open lines.
    pub lines: Vec<Vec<[f64; 2]>>,
    /// Polygons as rings (exterior first, then holes), each closed with at least 4 positions.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
    /// Triangles filling `polygons`.
    pub fill: Tessellation,
}

impl LodShape {
    fn vertex_count(&self) -> usize {
        self.lines.iter().map(Vec::len).sum::<usize>() + self.polygons.iter().flatten().map(Vec::len).sum::<usize>()
    }
}

/// All features' copies at one tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The zoom this band is for (drawn from this zoom until the next finer band).
    pub zoom: i32,
    /// Largest distance of a copy from its original, in world units.
    pub tolerance: f64,
    /// Per feature id; `None` for a feature without areas or lines.
    shapes: Vec<Option<Arc<LodShape>>>,
}

impl Band {
    /// The copy of feature `id`, or `None` when it has none (draw its full detail).
    pub fn shape(&self, id: usize) -> Option<&LodShape> {
        self.shapes.get(id)?.as_deref()
    }

    /// Number of area and line vertices in the band.
    pub fn vertex_count(&self) -> usize {
        self.shapes.iter().flatten().map(|s| s.vertex_count()).sum()
    }
}

/// The bands of one layer, coarsest first, with a fingerprint of each source shape so an edit
/// can tell which features' copies are stale.
#[derive(Debug, Clone, PartialEq)]
pub struct LodBands {
    bands: Vec<Band>,
    fingerprints: Vec<u64>,
    /// Zooms simplified through, fine to coarse, as built (the kept bands are the last ones);
    /// an edited feature goes through the same cascade.
    zooms: Vec<i32>,
}

impl LodBands {
    /// The bands, coarsest first.
    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// The coarsest band within [`TOLERANCE_PTS`] on screen at `scale` points per world unit
    /// (see [`super::Viewport::scale`]); `None` when zoomed in past the finest band.
    pub fn band_for(&self, scale: f64) -> Option<&Band> {
        let allowed = TOLERANCE_PTS / scale;
        // One part in a million of slack, so band z is chosen at exactly zoom z.
        self.bands.iter().find(|b| b.tolerance <= allowed * (1.0 + 1e-6))
    }
}

/// A layer's simplified copies, filled once (by a worker or at once); shared by clones of
/// the layer.
#[derive(Debug, Default)]
pub struct LodSet {
    ready: OnceLock<LodBands>,
}

impl LodSet {
    /// Builds the copies of `shapes` (feature id = position) on this thread.
    pub fn build<'a>(shapes: impl IntoIterator<Item = &'a Shape>) -> Self {
        let input = LodInput::copy(shapes);
        let set = Self::default();
        let _ = set.ready.set(input.build());
        set
    }

    /// Starts building the copies of `input` on a worker thread and returns at once; until it
    /// is done [`LodSet::ready`] is `None` (draw full detail). If no thread can be started the
    /// set stays empty, which draws full detail for good.
    pub fn spawn(input: LodInput) -> Arc<Self> {
        let set = Arc::new(Self::default());
        let filled = Arc::clone(&set);
        let _ = std::thread::Builder::new().name("lod-build".to_owned()).spawn(move || {
            let _ = filled.ready.set(input.build());
        });
        set
    }

    /// For a layer big enough to need copies ([`MIN_VERTICES`] area and line vertices): a set
    /// being built on a worker from a copy of the shapes' areas and lines. `None` for a small
    /// layer, which draws full detail fast enough.
    pub fn start_if_big<'a>(shapes: impl IntoIterator<Item = &'a Shape> + Clone) -> Option<Arc<Self>> {
        let vertices: usize = shapes
            .clone()
            .into_iter()
            .map(|s| {
                s.lines().iter().map(Vec::len).sum::<usize>()
                    + s.polygons().iter().flatten().map(Vec::len).sum::<usize>()
            })
            .sum();
        (vertices >= MIN_VERTICES).then(|| Self::spawn(LodInput::copy(shapes)))
    }

    /// The bands, once built.
    pub fn ready(&self) -> Option<&LodBands> {
        self.ready.get()
    }

    /// The band to draw at `scale` points per world unit, when built and one is fine enough.
    pub fn band_for(&self, scale: f64) -> Option<&Band> {
        self.ready()?.band_for(scale)
    }

    /// The set for the layer's features after an edit (`shapes` in feature order): copies of
    /// unchanged shapes are kept (matched by content, so inserts and deletes shift nothing),
    /// changed and new shapes are simplified now. A set still being built is started again on
    /// the edited shapes (in the background), so it never shows a stale copy.
    #[must_use]
    pub fn refreshed<'a>(self: Arc<Self>, shapes: impl IntoIterator<Item = &'a Shape>) -> Option<Arc<Self>> {
        let shapes: Vec<&Shape> = shapes.into_iter().collect();
        let Some(old) = self.ready() else { return Some(Self::spawn(LodInput::copy(shapes))) };
        let fingerprints: Vec<u64> = shapes.iter().map(|s| fingerprint(&Outline::of(s))).collect();
        if fingerprints == old.fingerprints {
            return Some(self);
        }
        let by_print: HashMap<u64, usize> = old.fingerprints.iter().enumerate().map(|(i, &p)| (p, i)).collect();
        let mut bands: Vec<Band> = old
            .bands
            .iter()
            .map(|b| Band { zoom: b.zoom, tolerance: b.tolerance, shapes: Vec::with_capacity(shapes.len()) })
            .collect();
        for (shape, print) in shapes.iter().zip(&fingerprints) {
            if let Some(&j) = by_print.get(print) {
                for (new, old) in bands.iter_mut().zip(&old.bands) {
                    new.shapes.push(old.shapes.get(j).cloned().flatten());
                }
            } else {
                // Fine to coarse, as `old.zooms`; bands are stored coarse to fine.
                let copies = simplify_feature(&Outline::of(shape), &old.zooms);
                for (band, copy) in bands.iter_mut().zip(copies.into_iter().rev().take(old.bands.len())) {
                    band.shapes.push(copy.map(Arc::new));
                }
            }
        }
        let set = Self::default();
        let _ = set.ready.set(LodBands { bands, fingerprints, zooms: old.zooms.clone() });
        Some(Arc::new(set))
    }
}

/// What an edit did to one feature, for [`LodSet::edited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LodEdit {
    /// Feature `i` changed in place.
    Changed(usize),
    /// A feature was inserted at `i`.
    Inserted(usize),
    /// The feature at `i` was removed.
    Removed(usize),
}

impl LodSet {
    /// The set after one edit, `shape(i)` giving feature `i`'s shape afterwards (`len` of
    /// them): only the edited feature is simplified (nothing else is fingerprinted or
    /// copied when no clone of the layer shares the set). As [`LodSet::refreshed`] when the
    /// set is still being built or does not match the layer.
    #[must_use]
    pub fn edited<'a>(
        self: Arc<Self>,
        edit: LodEdit,
        shape: impl Fn(usize) -> Option<&'a Shape>,
        len: usize,
    ) -> Option<Arc<Self>> {
        let ids = self.ready().map(|b| b.fingerprints.len());
        let expected = match edit {
            LodEdit::Changed(_) => ids,
            LodEdit::Inserted(_) => ids.map(|n| n + 1),
            LodEdit::Removed(_) => ids.and_then(|n| n.checked_sub(1)),
        };
        let at = match edit {
            LodEdit::Changed(i) | LodEdit::Inserted(i) | LodEdit::Removed(i) => i,
        };
        let in_range = match edit {
            LodEdit::Inserted(i) | LodEdit::Changed(i) => i < len,
            LodEdit::Removed(i) => i <= len,
        };
        if expected != Some(len) || !in_range {
            return self.refreshed((0..len).filter_map(shape));
        }
        let mut bands = match Arc::try_unwrap(self) {
            Ok(set) => set.ready.into_inner()?,
            Err(shared) => shared.ready()?.clone(),
        };
        let copies = |bands: &LodBands| -> Option<(u64, Vec<Option<Arc<LodShape>>>)> {
            let outline = Outline::of(shape(at)?);
            let print = fingerprint(&outline);
            // Fine to coarse, as `zooms`; bands are stored coarse to fine.
            let mut copies: Vec<Option<Arc<LodShape>>> = simplify_feature(&outline, &bands.zooms)
                .into_iter()
                .rev()
                .take(bands.bands.len())
                .map(|c| c.map(Arc::new))
                .collect();
            copies.resize(bands.bands.len(), None);
            Some((print, copies))
        };
        match edit {
            LodEdit::Changed(i) => {
                let (print, new) = copies(&bands)?;
                if bands.fingerprints.get(i) != Some(&print) {
                    for (band, copy) in bands.bands.iter_mut().zip(new) {
                        if let Some(slot) = band.shapes.get_mut(i) {
                            *slot = copy;
                        }
                    }
                    if let Some(slot) = bands.fingerprints.get_mut(i) {
                        *slot = print;
                    }
                }
            }
            LodEdit::Inserted(i) => {
                let (print, new) = copies(&bands)?;
                for (band, copy) in bands.bands.iter_mut().zip(new) {
                    band.shapes.insert(i.min(band.shapes.len()), copy);
                }
                bands.fingerprints.insert(i, print);
            }
            LodEdit::Removed(i) => {
                for band in &mut bands.bands {
                    if i < band.shapes.len() {
                        band.shapes.remove(i);
                    }
                }
                bands.fingerprints.remove(i);
            }
        }
        let set = Self::default();
        let _ = set.ready.set(bands);
        Some(Arc::new(set))
    }
}

/// The areas and lines of one shape, borrowed.
#[derive(Debug, Clone, Copy)]
struct Outline<'a> {
    lines: &'a [Vec<[f64; 2]>],
    polygons: &'a [Vec<Vec<[f64; 2]>>],
}

impl<'a> Outline<'a> {
    fn of(shape: &'a Shape) -> Self {
        Self { lines: shape.lines(), polygons: shape.polygons() }
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.polygons.is_empty()
    }
}

/// The areas and lines of a layer's features, copied so a worker can simplify them while
/// the layer is drawn.
#[derive(Debug, Clone, Default)]
pub struct LodInput {
    items: Vec<OwnedOutline>,
}

/// One shape's lines and polygons (rings), owned.
type OwnedOutline = (Vec<Vec<[f64; 2]>>, Vec<Vec<Vec<[f64; 2]>>>);

/// A segment of a ring: ring number, position among the ring's segments, the ring's segment
/// count, and its two ends.
type Segment = (usize, usize, usize, [f64; 2], [f64; 2]);

impl LodInput {
    /// Copies the areas and lines of `shapes` (feature id = position).
    pub fn copy<'a>(shapes: impl IntoIterator<Item = &'a Shape>) -> Self {
        Self { items: shapes.into_iter().map(|s| (s.lines().to_vec(), s.polygons().to_vec())).collect() }
    }

    /// Number of area and line vertices.
    pub fn vertex_count(&self) -> usize {
        self.items
            .iter()
            .map(|(l, p)| l.iter().map(Vec::len).sum::<usize>() + p.iter().flatten().map(Vec::len).sum::<usize>())
            .sum()
    }

    fn outlines(&self) -> Vec<Outline<'_>> {
        self.items.iter().map(|(lines, polygons)| Outline { lines, polygons }).collect()
    }

    /// Simplifies every feature at every band, on all cores.
    fn build(&self) -> LodBands {
        let outlines = self.outlines();
        let total = self.vertex_count();
        let zooms = zooms_for(&outlines);
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8);
        let chunk = outlines.len().div_ceil(threads).max(1);
        // Per feature, fine to coarse.
        let per_feature: Vec<Vec<Option<LodShape>>> = std::thread::scope(|scope| {
            let workers: Vec<_> = outlines
                .chunks(chunk)
                .map(|part| scope.spawn(|| part.iter().map(|o| simplify_feature(o, &zooms)).collect::<Vec<_>>()))
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect()
        });
        let fingerprints = outlines.iter().map(fingerprint).collect();
        let mut bands: Vec<Band> = zooms
            .iter()
            .map(|&zoom| Band { zoom, tolerance: tolerance_at(zoom), shapes: Vec::with_capacity(outlines.len()) })
            .collect();
        for copies in per_feature {
            for (band, copy) in bands.iter_mut().zip(copies) {
                band.shapes.push(copy.map(Arc::new));
            }
        }
        // Drop fine bands that keep too much to be worth their memory.
        let keep_from = bands.iter().position(|b| b.vertex_count() as f64 <= MAX_KEEP * total as f64);
        bands.drain(..keep_from.unwrap_or(bands.len()));
        bands.reverse();
        LodBands { bands, fingerprints, zooms }
    }
}

/// Zooms to build bands for, fine to coarse: from where the tolerance falls to a quarter of
/// the mean segment length (finer bands would keep nearly everything) down to zoom 0.
fn zooms_for(outlines: &[Outline<'_>]) -> Vec<i32> {
    let (mut length, mut segments) = (0.0, 0usize);
    for o in outlines {
        for part in o.lines.iter().chain(o.polygons.iter().flatten()) {
            for w in part.windows(2) {
                length += (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
                segments += 1;
            }
        }
    }
    if segments == 0 {
        return Vec::new();
    }
    let mean = length / segments as f64;
    let finest = (0..=MAX_ZOOM).take_while(|&z| tolerance_at(z) >= mean / 4.0).last().unwrap_or(0);
    (0..=finest).rev().collect()
}

/// The copies of one feature at `zooms` (fine to coarse), each simplified from the previous.
fn simplify_feature(outline: &Outline<'_>, zooms: &[i32]) -> Vec<Option<LodShape>> {
    if outline.is_empty() {
        return vec![None; zooms.len()];
    }
    let mut out: Vec<Option<LodShape>> = Vec::with_capacity(zooms.len());
    let mut lines: Vec<Vec<[f64; 2]>> = outline.lines.to_vec();
    let mut polygons: Vec<Vec<Vec<[f64; 2]>>> = outline.polygons.to_vec();
    for &zoom in zooms {
        // Half the band's tolerance per step: the cascade's errors sum to at most the band's.
        let epsilon = tolerance_at(zoom) / 2.0;
        lines = lines.iter().map(|l| simplify_line(l, epsilon)).collect();
        polygons = polygons.iter().map(|p| simplify_polygon(p, epsilon)).collect();
        let mut fill = Tessellation::default();
        for rings in &polygons {
            let raw = to_geo(rings).earcut_triangles_raw();
            let base = fill.vertices.len();
            fill.vertices.extend(raw.vertices.iter().copied());
            fill.indices.extend(raw.triangle_indices.iter().map(|&i| (base + i) as u32));
        }
        out.push(Some(LodShape { lines: lines.clone(), polygons: polygons.clone(), fill }));
    }
    out
}

fn simplify_line(line: &[[f64; 2]], epsilon: f64) -> Vec<[f64; 2]> {
    let ls: LineString<f64> = line.iter().map(|p| (p[0], p[1])).collect();
    ls.simplify(epsilon).coords().map(|c| [c.x, c.y]).collect()
}

/// One polygon simplified and still valid: retried at half the epsilon twice, then kept as is.
fn simplify_polygon(rings: &[Vec<[f64; 2]>], epsilon: f64) -> Vec<Vec<[f64; 2]>> {
    let original = to_geo(rings);
    let mut eps = epsilon;
    let mut first: Option<Vec<Vec<[f64; 2]>>> = None;
    for _ in 0..3 {
        let simplified = from_geo(&original.simplify(eps));
        if rings_valid(&simplified) {
            return simplified;
        }
        first.get_or_insert(simplified);
        eps /= 2.0;
    }
    match first {
        // An invalid original is held to no stricter standard than itself.
        Some(s) if !rings_valid(rings) => s,
        _ => rings.to_vec(),
    }
}

/// Whether a polygon's rings are closed with at least 4 positions and no two of their
/// segments meet, except neighbours in a ring at their shared end. Repeated positions
/// (zero-length segments) are ignored. O(n log n) with an R-tree of the segments.
pub fn rings_valid(rings: &[Vec<[f64; 2]>]) -> bool {
    // (ring, position in ring, segment count of ring, a, b)
    let mut segments: Vec<Segment> = Vec::new();
    for (r, ring) in rings.iter().enumerate() {
        if ring.len() < 4 || ring.first() != ring.last() {
            return false;
        }
        let start = segments.len();
        for w in ring.windows(2) {
            if w[0][0].to_bits() != w[1][0].to_bits() || w[0][1].to_bits() != w[1][1].to_bits() {
                segments.push((r, segments.len() - start, 0, w[0], w[1]));
            }
        }
        let count = segments.len() - start;
        if count < 3 {
            return false;
        }
        for s in &mut segments[start..] {
            s.2 = count;
        }
    }
    let rect = |a: [f64; 2], b: [f64; 2]| Rectangle::from_corners(a, b);
    let tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> =
        RTree::bulk_load(segments.iter().enumerate().map(|(i, s)| GeomWithData::new(rect(s.3, s.4), i)).collect());
    for (i, s) in segments.iter().enumerate() {
        for hit in tree.locate_in_envelope_intersecting(&rect(s.3, s.4).envelope()) {
            let j = hit.data;
            if j <= i {
                continue;
            }
            let t = segments[j];
            let neighbours = s.0 == t.0 && (t.1 == s.1 + 1 || (s.1 == 0 && t.1 + 1 == s.2));
            if neighbours {
                continue;
            }
            if segments_meet(s.3, s.4, t.3, t.4) {
                return false;
            }
        }
    }
    true
}

/// Whether the closed segments `a`–`b` and `c`–`d` share a point.
fn segments_meet(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let orient = |p: [f64; 2], q: [f64; 2], r: [f64; 2]| (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
    let within = |p: [f64; 2], q: [f64; 2], r: [f64; 2]| {
        r[0] >= p[0].min(q[0]) && r[0] <= p[0].max(q[0]) && r[1] >= p[1].min(q[1]) && r[1] <= p[1].max(q[1])
    };
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    if ((o1 > 0.0 && o2 < 0.0) || (o1 < 0.0 && o2 > 0.0)) && ((o3 > 0.0 && o4 < 0.0) || (o3 < 0.0 && o4 > 0.0)) {
        return true;
    }
    (o1 == 0.0 && within(a, b, c))
        || (o2 == 0.0 && within(a, b, d))
        || (o3 == 0.0 && within(c, d, a))
        || (o4 == 0.0 && within(c, d, b))
}

fn to_geo(rings: &[Vec<[f64; 2]>]) -> Polygon<f64> {
    let ring = |r: &Vec<[f64; 2]>| r.iter().map(|p| (p[0], p[1])).collect::<LineString<f64>>();
    let exterior = rings.first().map_or_else(|| LineString::new(Vec::new()), ring);
    Polygon::new(exterior, rings.iter().skip(1).map(ring).collect())
}

fn from_geo(polygon: &Polygon<f64>) -> Vec<Vec<[f64; 2]>> {
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|r| r.coords().map(|c| [c.x, c.y]).collect())
        .collect()
}

/// A content hash of a shape's areas and lines (FxHash-style mixing of the coordinate bits).
fn fingerprint(outline: &Outline<'_>) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = 0;
    let mut mix = |v: u64| h = (h.rotate_left(5) ^ v).wrapping_mul(K);
    mix(outline.lines.len() as u64);
    for line in outline.lines {
        mix(line.len() as u64);
        for p in line {
            mix(p[0].to_bits());
            mix(p[1].to_bits());
        }
    }
    mix(outline.polygons.len() as u64);
    for rings in outline.polygons {
        mix(rings.len() as u64);
        for ring in rings {
            mix(ring.len() as u64);
            for p in ring {
                mix(p[0].to_bits());
                mix(p[1].to_bits());
            }
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, Validation as _};

    /// A wiggly district-like polygon with a hole: `n` vertices on a noisy circle.
    fn wiggly(n: usize, cx: f64, cy: f64) -> Shape {
        let ring = |r: f64, n: usize| -> LineString<f64> {
            let mut pts: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    let wobble = 1.0 + 0.08 * (a * 7.0).sin() + 0.03 * (a * 53.0).sin() + 0.01 * (a * 211.0).cos();
                    (cx + r * wobble * a.cos(), cy + r * wobble * a.sin())
                })
                .collect();
            pts.push(pts[0]);
            pts.into()
        };
        let polygon = Polygon::new(ring(1.0, n), vec![ring(0.2, n / 8)]);
        Shape::from_geo(Some(&Geometry::Polygon(polygon)))
    }

    fn river(n: usize) -> Shape {
        let line: LineString<f64> =
            (0..n).map(|i| (68.0 + i as f64 * 0.001, 37.0 + 0.2 * (i as f64 * 0.01).sin())).collect();
        Shape::from_geo(Some(&Geometry::LineString(line)))
    }

    fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
        let ab = [b[0] - a[0], b[1] - a[1]];
        let len2 = ab[0] * ab[0] + ab[1] * ab[1];
        let t = if len2 > 0.0 { (((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / len2).clamp(0.0, 1.0) } else { 0.0 };
        (a[0] + t * ab[0] - p[0]).hypot(a[1] + t * ab[1] - p[1])
    }

    /// Largest distance of a vertex of `from` to the polyline `to` (the copy's vertices are a
    /// subset of the original's, so this one-sided distance is the Hausdorff distance).
    fn distance_to(from: &[[f64; 2]], to: &[[f64; 2]]) -> f64 {
        from.iter()
            .map(|&p| to.windows(2).map(|w| segment_distance(p, w[0], w[1])).fold(f64::INFINITY, f64::min))
            .fold(0.0, f64::max)
    }

    #[test]
    fn band_rings_are_valid_and_within_tolerance() {
        let shapes = [wiggly(4000, 71.0, 38.0), river(3000), Shape::default(), wiggly(900, 69.0, 37.0)];
        let set = LodSet::build(&shapes);
        let bands = set.ready().expect("built at once").bands();
        assert!(bands.len() >= 5, "{} bands", bands.len());
        let full: usize =
            shapes.iter().map(|s| s.polygons().iter().flatten().chain(s.lines()).map(Vec::len).sum::<usize>()).sum();
        for pair in bands.windows(2) {
            assert!(pair[0].tolerance > pair[1].tolerance, "coarsest first");
            assert!(pair[0].vertex_count() <= pair[1].vertex_count());
        }
        assert!(
            bands[0].vertex_count() * 20 < full,
            "the coarsest band is much smaller: {} of {full}",
            bands[0].vertex_count()
        );
        for band in bands {
            assert!(band.shape(2).is_none(), "an empty shape has no copy");
            for id in [0, 3] {
                let (orig, copy) = (&shapes[id], band.shape(id).expect("copy"));
                assert_eq!(copy.polygons.len(), 1);
                assert_eq!(copy.polygons[0].len(), 2, "the hole is kept");
                for (o, c) in orig.polygons()[0].iter().zip(&copy.polygons[0]) {
                    assert!(c.len() >= 4, "zoom {}: ring of {}", band.zoom, c.len());
                    assert_eq!(c.first(), c.last(), "closed");
                    let d = distance_to(o, c);
                    assert!(d <= band.tolerance * (1.0 + 1e-9), "zoom {}: {d} > {}", band.zoom, band.tolerance);
                }
                assert!(to_geo(&copy.polygons[0]).is_valid(), "zoom {}: invalid polygon", band.zoom);
                assert!(rings_valid(&copy.polygons[0]));
                assert!(!copy.fill.indices.is_empty());
            }
            let line = &band.shape(1).expect("line copy").lines[0];
            assert!(distance_to(&shapes[1].lines()[0], line) <= band.tolerance * (1.0 + 1e-9));
        }
    }

    #[test]
    fn ring_validity_agrees_with_geo() {
        let square = vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]];
        let hole = vec![[1.0, 1.0], [1.0, 2.0], [2.0, 2.0], [2.0, 1.0], [1.0, 1.0]];
        let bow_tie = vec![[0.0, 0.0], [4.0, 4.0], [4.0, 0.0], [0.0, 4.0], [0.0, 0.0]];
        let crossing_hole = vec![[3.0, 1.0], [3.0, 2.0], [5.0, 2.0], [5.0, 1.0], [3.0, 1.0]];
        let touching = vec![[0.0, 0.0], [4.0, 0.0], [2.0, 2.0], [4.0, 4.0], [0.0, 4.0], [2.0, 2.0], [0.0, 0.0]];
        let repeated = vec![[0.0, 0.0], [4.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]];
        for (rings, valid) in [
            (vec![square.clone()], true),
            (vec![square.clone(), hole], true),
            (vec![bow_tie], false),
            (vec![square.clone(), crossing_hole], false),
            (vec![touching], false),
            (vec![repeated], true),
            (vec![square[..3].to_vec()], false),
        ] {
            assert_eq!(rings_valid(&rings), valid, "{rings:?}");
            if rings[0].len() >= 4 {
                assert_eq!(to_geo(&rings).is_valid(), valid, "geo disagrees on {rings:?}");
            }
        }
    }

    #[test]
    fn the_band_for_a_zoom_is_the_coarsest_fine_enough() {
        let shapes = [wiggly(20_000, 71.0, 38.0)];
        let set = LodSet::build(&shapes);
        let bands = set.ready().expect("built").bands();
        let finest = bands.last().expect("bands").zoom;
        assert!(finest >= 8, "finest band at zoom {finest}");
        let scale = |zoom: f64| 256.0 * 2f64.powf(zoom);
        assert_eq!(set.band_for(scale(0.0)).map(|b| b.zoom), Some(0));
        assert_eq!(set.band_for(scale(5.0)).map(|b| b.zoom), Some(5));
        assert_eq!(set.band_for(scale(5.7)).map(|b| b.zoom), Some(6), "between bands the finer one");
        assert!(set.band_for(scale(f64::from(finest) + 0.5)).is_none(), "past the finest band: full detail");
        let b = set.band_for(scale(6.3)).expect("band");
        assert!(b.tolerance * scale(6.3) <= TOLERANCE_PTS, "at most half a point on screen");
    }

    #[test]
    fn an_edited_feature_gets_new_copies_and_the_others_keep_theirs() {
        let mut shapes = vec![wiggly(3000, 71.0, 38.0), wiggly(3000, 69.0, 37.0), river(2000)];
        let set = Arc::new(LodSet::build(&shapes));
        let band_of = |s: &LodSet| s.ready().expect("ready").bands()[2].clone();
        let before = band_of(&set);
        // Move feature 1 by a degree east and delete feature 0: ids shift.
        shapes[1] = wiggly(3000, 70.0, 37.0);
        shapes.remove(0);
        let after_set = Arc::clone(&set).refreshed(&shapes).expect("still a set");
        let after = band_of(&after_set);
        assert_eq!(after.shape(1), before.shape(2), "the river keeps its copy under its new id");
        let (moved, old) = (after.shape(0).expect("copy"), before.shape(1).expect("copy"));
        let east = |s: &LodShape| s.polygons[0][0].iter().map(|p| p[0]).fold(f64::MIN, f64::max);
        assert!(east(moved) > east(old) + 0.5 / 360.0, "the moved feature's copy moved with it");
        for band in after_set.ready().expect("ready").bands() {
            let copy = &band.shape(0).expect("copy").polygons[0][0];
            let d = distance_to(&shapes[0].polygons()[0][0], copy);
            assert!(d <= band.tolerance * (1.0 + 1e-9), "zoom {}: the new copy is {d} off", band.zoom);
        }
        // Nothing changed: the same set comes back.
        let same = Arc::clone(&after_set).refreshed(&shapes).expect("set");
        assert!(Arc::ptr_eq(&same, &after_set));
    }

    #[test]
    fn a_pending_set_restarts_on_the_edited_shapes() {
        let shapes = vec![wiggly(2000, 71.0, 38.0)];
        let pending = Arc::new(LodSet::default());
        let restarted = pending.refreshed(&shapes).expect("set");
        for _ in 0..500 {
            if restarted.ready().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(restarted.ready(), LodSet::build(&shapes).ready());
    }
}
