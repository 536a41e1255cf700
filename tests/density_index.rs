//! The density view's bin index (issue 8): counts read from the per-grid index (sorted start
//! and end days per bin) equal a brute-force count for date ranges that cut through multi-day
//! spans, with undated features always counted; a click lists the same features; and an edit
//! (moving or deleting a point) shows in the counts at once.

#[path = "common/point_event.rs"]
mod point_event;

use chrono::NaiveDate;
use frontier_atlas::edit::{EditCommand, apply};
use frontier_atlas::model::{Catalog, Feature, Layer, LayerKind, LayerSource, TimeFilter, assign_spans};
use frontier_atlas::render::density::{BinIndex, BinKey, HexGrid, count_bins, count_bins_direct, members, prepare};
use frontier_atlas::spatial::{Shape, Viewport, WorldRect};
use frontier_atlas::time::Range;

/// A deterministic pseudo-random stream in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// An event at `lon, lat` dated by `date` (a day, a month or a year; `None`: undated).
fn event(lon: f64, lat: f64, date: Option<String>) -> Feature {
    let mut properties = serde_json::Map::new();
    if let Some(d) = date {
        properties.insert("event_date".into(), d.into());
    }
    point_event::point_event(lon, lat, properties)
}

/// `n` events in 2020–2022 around two hot spots and spread over the frontier, dated by day,
/// month or whole year (so ranges cut through spans), every 29th undated, plus a multi-point
/// feature.
fn fixture(n: usize) -> Layer {
    let mut rnd = Lcg(11);
    let hot = [(69.3, 37.1), (71.55, 37.49)];
    let mut features: Vec<Feature> = (0..n)
        .map(|i| {
            let (lon, lat) = if i % 2 == 0 {
                let (x, y) = hot[i % 4 / 2];
                (x + (rnd.next() - 0.5) * 0.5 * rnd.next(), y + (rnd.next() - 0.5) * 0.4 * rnd.next())
            } else {
                (67.0 + rnd.next() * 8.0, 35.5 + rnd.next() * 4.0)
            };
            let year = 2020 + (rnd.next() * 3.0) as i32;
            let month = 1 + (rnd.next() * 12.0) as u32;
            let day = 1 + (rnd.next() * 28.0) as u32;
            let date = match i % 29 {
                0 => None,
                1..=4 => Some(format!("{year}")),
                5..=12 => Some(format!("{year}-{month:02}")),
                _ => Some(format!("{year}-{month:02}-{day:02}")),
            };
            event(lon, lat, date)
        })
        .collect();
    let mut multi = event(69.31, 37.11, Some("2021-06".into()));
    multi.geometry = Some(
        serde_json::json!({"type": "MultiPoint", "coordinates": [[69.31, 37.11], [69.3101, 37.1101], [72.0, 38.0]]}),
    );
    multi.shape = Shape::from_geo(Some(&geo::Geometry::MultiPoint(geo::MultiPoint::from(vec![
        (69.31, 37.11),
        (69.3101, 37.1101),
        (72.0, 38.0),
    ]))));
    features.push(multi);
    let mut layer = Layer::new("Generated events", LayerKind::Events, LayerSource::Embedded("test"), features);
    let problems = assign_spans(&mut layer);
    assert!(problems.len() <= n / 29 + 1, "only the undated events have no date: {problems:?}");
    layer
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Ranges that start and end inside month and year spans, a single day, one before all data
/// (only undated events), and one whose ends are swapped (nothing dated passes).
fn ranges() -> Vec<Option<Range>> {
    vec![
        None,
        Some(Range::year(2021).expect("year")),
        Some(Range::new(day(2021, 6, 10), day(2021, 7, 20))),
        Some(Range::day(day(2021, 3, 14))),
        Some(Range::new(day(2020, 12, 15), day(2021, 1, 15))),
        Some(Range::new(day(2010, 1, 1), day(2010, 12, 31))),
        Some(Range { from: day(2021, 8, 1), to: day(2021, 2, 1) }),
    ]
}

/// Whether a feature with `span` is counted for `range`: undated ones always; a range whose
/// ends are swapped holds no day (as the time filter has it).
fn passes(span: Option<frontier_atlas::time::DateSpan>, range: Option<Range>) -> bool {
    match (range, span) {
        (Some(r), Some(s)) => r.from <= r.to && s.start <= r.to && s.end >= r.from,
        _ => true,
    }
}

/// Counts per bin by brute force: every feature whose span overlaps the range (undated ones
/// always), once per distinct bin of its points, bins whose centre is within a radius of the
/// view, row-major.
fn brute_force(layer: &Layer, range: Option<Range>, grid: HexGrid, view: &WorldRect) -> Vec<(BinKey, u32)> {
    let keep = view.expanded(grid.radius);
    let mut bins: std::collections::BTreeMap<(i64, i64), u32> = std::collections::BTreeMap::new();
    for f in &layer.features {
        if !passes(f.time, range) {
            continue;
        }
        let mut mine: Vec<BinKey> = f.shape.points.iter().map(|p| grid.bin_of(*p)).collect();
        mine.sort_unstable();
        mine.dedup();
        for (i, j) in mine {
            if keep.contains(grid.center((i, j))) {
                *bins.entry((j, i)).or_default() += 1;
            }
        }
    }
    bins.into_iter().map(|((j, i), n)| ((i, j), n)).collect()
}

/// Features in `bin` by brute force, ascending.
fn brute_members(layer: &Layer, range: Option<Range>, grid: HexGrid, bin: BinKey) -> Vec<usize> {
    (0..layer.features.len())
        .filter(|&fi| {
            let f = layer.features.get(fi).expect("feature");
            passes(f.time, range) && f.shape.points.iter().any(|p| grid.bin_of(*p) == bin)
        })
        .collect()
}

#[test]
fn indexed_counts_equal_a_brute_force_count_for_partial_ranges_and_undated_events() {
    let mut catalog = Catalog::default();
    catalog.insert(fixture(12_000));
    let li = 0;
    let layer = &catalog.layers[li];
    assert!(layer.features.spans().any(|s| s.is_none()), "the fixture has undated events");
    for range in ranges() {
        let filter = TimeFilter::new(&catalog, range);
        for (zoom, size) in [(5.6, [1600.0, 1000.0]), (7.3, [1200.0, 800.0]), (9.0, [900.0, 700.0])] {
            let viewport = Viewport::centered(69.6, 37.3, zoom, size);
            let (grid, view) = (HexGrid::for_view(&viewport), viewport.world_rect());
            let expected = brute_force(layer, range, grid, &view);
            let index = BinIndex::build(layer, grid).expect("an index");
            let fast = index.counts(li, Some(&filter), &view);
            assert_eq!(fast, expected, "indexed counts, range {range:?}, zoom {zoom}");
            assert_eq!(count_bins_direct(layer, li, Some(&filter), &grid, &view), expected, "direct counts");
            // Through the cache, as the map reads them.
            prepare(layer, grid);
            assert_eq!(count_bins(layer, li, Some(&filter), &grid, &view), expected, "count_bins");
            // A click on the densest and on a sparse bin lists what brute force finds there.
            let densest = expected.iter().max_by_key(|b| b.1).map(|b| b.0);
            let sparse = expected.iter().find(|b| b.1 == 1).map(|b| b.0);
            for bin in densest.into_iter().chain(sparse) {
                let listed = members(layer, li, Some(&filter), &grid, bin);
                assert_eq!(listed, brute_members(layer, range, grid, bin), "bin {bin:?}, range {range:?}");
            }
        }
    }
    // The ranges tell apart: before all data only the undated events are counted.
    let viewport = Viewport::centered(69.6, 37.3, 5.6, [1600.0, 1000.0]);
    let grid = HexGrid::for_view(&viewport);
    let total = |range: Option<Range>| -> u32 {
        let filter = TimeFilter::new(&catalog, range);
        count_bins(&catalog.layers[li], li, Some(&filter), &grid, &viewport.world_rect()).iter().map(|b| b.1).sum()
    };
    let undated = catalog.layers[li].features.spans().filter(Option::is_none).count() as u32;
    assert_eq!(total(Some(Range::new(day(2010, 1, 1), day(2010, 12, 31)))), undated);
    assert!(total(Some(Range::year(2021).expect("year"))) < total(None));
}

#[test]
fn moving_or_deleting_a_point_updates_the_indexed_counts() {
    let mut catalog = Catalog::default();
    catalog.insert(fixture(6_000));
    let li = 0;
    let uid = catalog.layers[li].uid;
    let range = Some(Range::year(2021).expect("year"));
    let mut filter = TimeFilter::new(&catalog, range);
    let viewport = Viewport::centered(69.6, 37.3, 7.3, [1200.0, 800.0]);
    let (grid, view) = (HexGrid::for_view(&viewport), viewport.world_rect());
    prepare(&catalog.layers[li], grid);
    let before = count_bins(&catalog.layers[li], li, Some(&filter), &grid, &view);
    assert_eq!(before, brute_force(&catalog.layers[li], range, grid, &view));
    let count = |bins: &[(BinKey, u32)], key: BinKey| bins.iter().find(|b| b.0 == key).map_or(0, |b| b.1);

    // Move a 2021 event out of the densest bin, half a degree east.
    let (densest, n) = *before.iter().max_by_key(|b| b.1).expect("bins");
    let moved = *members(&catalog.layers[li], li, Some(&filter), &grid, densest)
        .iter()
        .find(|&&fi| catalog.layers[li].features.span(fi).is_some_and(|s| s.start == s.end))
        .expect("a one-day event in the densest bin");
    let _undo = apply(&mut catalog, EditCommand::MoveFeature { layer: uid, index: moved, dx_deg: 0.5, dy_deg: 0.0 })
        .expect("moved");
    filter.update(&catalog);
    let target = grid.bin_of(catalog.layers[li].features.shape(moved).expect("shape").points[0]);
    prepare(&catalog.layers[li], grid);
    let after = count_bins(&catalog.layers[li], li, Some(&filter), &grid, &view);
    assert_eq!(after, brute_force(&catalog.layers[li], range, grid, &view), "after the move");
    assert_eq!(count(&after, densest), n - 1, "the moved event left its bin");
    assert_eq!(count(&after, target), count(&before, target) + 1, "and arrived in its new one");
    assert!(members(&catalog.layers[li], li, Some(&filter), &grid, target).contains(&moved));

    // Delete another event of the densest bin: one fewer there, and the indices after it shift.
    let gone = members(&catalog.layers[li], li, Some(&filter), &grid, densest)[0];
    let _undo = apply(&mut catalog, EditCommand::DeleteFeature { layer: uid, index: gone }).expect("deleted");
    filter.update(&catalog);
    prepare(&catalog.layers[li], grid);
    let deleted = count_bins(&catalog.layers[li], li, Some(&filter), &grid, &view);
    assert_eq!(deleted, brute_force(&catalog.layers[li], range, grid, &view), "after the delete");
    assert_eq!(count(&deleted, densest), n - 2);
    assert_eq!(
        members(&catalog.layers[li], li, Some(&filter), &grid, densest),
        brute_members(&catalog.layers[li], range, grid, densest),
        "the bin lists the renumbered features"
    );
}

#[test]
fn the_border_is_drawn_over_the_density_on_a_pale_casing() {
    use frontier_atlas::model::{LayerStyleOverride, PointView};
    use frontier_atlas::render::density::{BORDER_CASING, BORDER_CASING_PTS, RAMP};
    use frontier_atlas::render::{BORDER_LINE, Item, SceneOptions, build_scene};
    let (mut catalog, _) = frontier_atlas::geodata::default_catalog();
    let mut layer = fixture(3_000);
    layer.style = Some(LayerStyleOverride { point_view: Some(PointView::Density), ..LayerStyleOverride::default() });
    catalog.insert(layer);
    let viewport = Viewport::fit_bbox(frontier_atlas::geodata::HOME_BBOX, [1600.0, 1000.0]);
    let filter = TimeFilter::new(&catalog, None);
    let scene = build_scene(&catalog, &viewport, &SceneOptions { filter: Some(&filter), ..SceneOptions::default() });
    let is_hexagons = |i: &Item| {
        matches!(i, Item::Fill { rings, color, .. }
            if !rings.is_empty() && rings.iter().all(|r| r.len() == 7)
                && RAMP.iter().any(|c| c.0[..3] == color.0[..3]))
    };
    let stroke = |want: frontier_atlas::render::Color| move |i: &Item| matches!(i, Item::Stroke { color, .. } if color.0[..3] == want.0[..3]);
    let last_hexagons = scene.items.iter().rposition(is_hexagons).expect("hexagons drawn");
    let casing = scene.items.iter().position(stroke(BORDER_CASING)).expect("the border's casing");
    let line = scene.items.iter().position(stroke(BORDER_LINE)).expect("the border line");
    assert!(last_hexagons < casing && casing < line, "hexagons {last_hexagons}, casing {casing}, line {line}");
    assert!(matches!(scene.items[casing], Item::Stroke { width, .. } if (width - BORDER_CASING_PTS).abs() < 1e-6));
    // Without a density the border keeps its usual red band and no casing.
    catalog.layers.last_mut().expect("layer").style =
        Some(LayerStyleOverride { point_view: Some(PointView::Points), ..LayerStyleOverride::default() });
    let scene = build_scene(&catalog, &viewport, &SceneOptions { filter: Some(&filter), ..SceneOptions::default() });
    assert!(!scene.items.iter().any(stroke(BORDER_CASING)));
    assert!(scene.items.iter().any(stroke(BORDER_LINE)));
}
