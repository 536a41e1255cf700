//! Dense point layers drawn as *Points* (issue 8): the screen-grid aggregation read from the
//! layer's point column or the filter's gathered points (no list of the features in view) draws
//! the same cells, counts, positions and colours as a brute-force pass over every feature, over
//! several zooms, pans and date windows, on a small layer (listed) and a big one (column), and
//! after edits (move, delete, add, redate).

#[path = "common/point_event.rs"]
mod point_event;

use frontier_atlas::edit::{EditCommand, apply};
use frontier_atlas::model::{
    Catalog, Feature, Layer, LayerKind, LayerSource, LayerStyleOverride, PointView, TimeFilter, assign_spans,
};
use frontier_atlas::render::points::{AGGREGATE_ABOVE, CELL_PTS, Cells, count_cells};
use frontier_atlas::render::{Color, Item, SceneOptions, build_scene, event_color};
use frontier_atlas::spatial::{Shape, Viewport, WorldRect};
use frontier_atlas::time::Range;

use chrono::NaiveDate;

const EVENT_TYPES: [&str; 6] = [
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
];

/// A deterministic pseudo-random stream in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1_u64 << 53) as f64
    }
}

fn event(lon: f64, lat: f64, event_type: &str, date: Option<String>) -> Feature {
    let mut properties = serde_json::Map::new();
    properties.insert("event_type".into(), event_type.into());
    if let Some(d) = date {
        properties.insert("event_date".into(), d.into());
    }
    point_event::point_event(lon, lat, properties)
}

/// `n` events of six types in 2020–2022 around two hot spots and over the frontier, dated by
/// day, month or year, every 29th undated, every 50th on one of a few shared spots, plus a
/// multi-point feature (unless `single`: then every feature is one point); drawn as points.
fn fixture(n: usize, single: bool) -> Layer {
    let mut rnd = Lcg(5);
    let hot = [(69.3, 37.1), (71.55, 37.49)];
    let mut features: Vec<Feature> = (0..n)
        .map(|i| {
            let (lon, lat) = if i % 50 == 7 {
                (68.0 + f64::from((i % 3) as u8), 37.0)
            } else if i % 2 == 0 {
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
            event(lon, lat, EVENT_TYPES[(rnd.next() * 6.0) as usize % 6], date)
        })
        .collect();
    let mut multi = event(69.31, 37.11, "Riots", Some("2021-06".into()));
    multi.geometry = Some(
        serde_json::json!({"type": "MultiPoint", "coordinates": [[69.31, 37.11], [69.3101, 37.1101], [72.0, 38.0]]}),
    );
    multi.shape = Shape::from_geo(Some(&geo::Geometry::MultiPoint(geo::MultiPoint::from(vec![
        (69.31, 37.11),
        (69.3101, 37.1101),
        (72.0, 38.0),
    ]))));
    if !single {
        features.insert(n / 3, multi);
    }
    let mut layer = Layer::new("Generated events", LayerKind::Events, LayerSource::Embedded("test"), features);
    assign_spans(&mut layer);
    layer.style = Some(LayerStyleOverride { point_view: Some(PointView::Points), ..LayerStyleOverride::default() });
    layer
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn ranges() -> Vec<Option<Range>> {
    vec![
        None,
        Some(Range::year(2021).expect("year")),
        Some(Range::new(day(2020, 3, 10), day(2022, 7, 20))),
        Some(Range::new(day(2021, 6, 10), day(2021, 7, 20))),
    ]
}

/// Whole frontier, two pans, and closer zooms (the last with few events in view).
fn viewports() -> Vec<Viewport> {
    vec![
        Viewport::centered(70.5, 37.5, 5.6, [1600.0, 1000.0]),
        Viewport::centered(69.1, 37.0, 5.9, [1600.0, 1000.0]),
        Viewport::centered(71.3, 37.9, 6.4, [1200.0, 800.0]),
        Viewport::centered(69.3, 37.1, 8.5, [900.0, 700.0]),
        Viewport::centered(74.5, 39.2, 9.5, [900.0, 700.0]),
    ]
}

fn passes(span: Option<frontier_atlas::time::DateSpan>, range: Option<Range>) -> bool {
    match (range, span) {
        (Some(r), Some(s)) => r.from <= r.to && s.start <= r.to && s.end >= r.from,
        _ => true,
    }
}

/// The screen grid by brute force over every feature: `None` when the layer is not drawn
/// aggregated (no more than [`AGGREGATE_ABOVE`] features in range whose bounds meet the view
/// grown by 8 points), else per cell (row-major) the count, the lowest feature and the sum of
/// the screen positions.
fn brute_force(layer: &Layer, range: Option<Range>, viewport: &Viewport) -> Option<Vec<(u32, u32, [f32; 2])>> {
    let view = viewport.world_rect().expanded(8.0 / viewport.scale());
    let [w, h] = viewport.size_pts;
    let cols = (w / CELL_PTS).ceil() as usize;
    let rows = (h / CELL_PTS).ceil() as usize;
    let mut cells = vec![(0_u32, u32::MAX, [0.0_f32; 2]); cols * rows];
    let (scale, [ox, oy]) = viewport.screen_transform();
    let mut in_view = 0;
    for fi in 0..layer.features.len() {
        let f = layer.features.get(fi).expect("feature");
        if !passes(f.time, range) {
            continue;
        }
        if WorldRect::from_points(f.shape.points.iter()).is_some_and(|b| b.intersects(&view)) {
            in_view += 1;
        }
        for p in &f.shape.points {
            let (x, y) = ((p[0] * scale + ox) as f32, (p[1] * scale + oy) as f32);
            if x < 0.0 || y < 0.0 || x >= w || y >= h {
                continue;
            }
            let cell = &mut cells[(y / CELL_PTS) as usize * cols + (x / CELL_PTS) as usize];
            cell.0 += 1;
            cell.1 = cell.1.min(fi as u32);
            cell.2[0] += x;
            cell.2[1] += y;
        }
    }
    (in_view > AGGREGATE_ABOVE).then_some(cells)
}

/// The aggregated symbols of a scene (stroke 0.8, unlike single symbols and badges):
/// centre, radius, fill.
fn drawn(items: &[Item]) -> Vec<([f32; 2], f32, Color)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Marker { center, radius, fill, stroke_width, .. } if (*stroke_width - 0.8).abs() < 1e-6 => {
                Some((*center, *radius, *fill))
            }
            _ => None,
        })
        .collect()
}

/// What brute force says is drawn: per occupied cell its mean position, a radius by count and
/// the colour of the lowest feature's event type.
fn expected_symbols(layer: &Layer, cells: &[(u32, u32, [f32; 2])]) -> Vec<([f32; 2], f32, Color)> {
    cells
        .iter()
        .filter(|c| c.0 > 0)
        .map(|&(n, first, s)| {
            let f = layer.features.get(first as usize).expect("feature");
            let colour = event_color(f.prop_str("event_type").unwrap_or("Other"));
            let radius = (2.5 + 1.8 * (n as f32).log10()).min(CELL_PTS * 0.75);
            ([s[0] / n as f32, s[1] / n as f32], radius, colour.alpha(200).faded(layer.opacity))
        })
        .collect()
}

/// Checks every range and view on layer 0 of `catalog`; returns how many views were drawn
/// aggregated.
fn check_all(catalog: &Catalog, what: &str) -> usize {
    let layer = &catalog.layers[0];
    let mut aggregated = 0;
    for range in ranges() {
        let filter = TimeFilter::new(catalog, range);
        for viewport in viewports() {
            let expected = brute_force(layer, range, &viewport);
            let scene =
                build_scene(catalog, &viewport, &SceneOptions { filter: Some(&filter), ..SceneOptions::default() });
            let got = drawn(&scene.items);
            let at = format!("{what}: range {range:?}, view {:?} zoom {}", viewport.center, viewport.zoom);
            let Some(cells) = expected else {
                assert!(got.is_empty(), "{at}: not aggregated, yet {} cells drawn", got.len());
                continue;
            };
            aggregated += 1;
            // The cells themselves: counts and representatives exact, sums up to rounding.
            let Cells { cells: fast, .. } =
                count_cells(layer, 0, Some(&filter), &[], viewport.size_pts, viewport.screen_transform());
            let listed: Vec<usize> = if filter.visible_points(0).is_none() && layer.features.len() <= 20_000 {
                layer.index.query(&viewport.world_rect().expanded(8.0 / viewport.scale()))
            } else {
                Vec::new()
            };
            let fast = if listed.is_empty() {
                fast
            } else {
                count_cells(layer, 0, Some(&filter), &listed, viewport.size_pts, viewport.screen_transform()).cells
            };
            assert_eq!(fast.len(), cells.len(), "{at}");
            for (k, (c, e)) in fast.iter().zip(&cells).enumerate() {
                assert_eq!((c.count, c.first), (e.0, e.1), "{at}: cell {k}");
                let tolerance = 1e-4 * e.0 as f32 * 2000.0;
                assert!(
                    (c.sum[0] - e.2[0]).abs() <= tolerance && (c.sum[1] - e.2[1]).abs() <= tolerance,
                    "{at}: cell {k}"
                );
            }
            // What is drawn.
            let want = expected_symbols(layer, &cells);
            assert_eq!(got.len(), want.len(), "{at}: symbols drawn");
            for (g, w) in got.iter().zip(&want) {
                assert!((g.0[0] - w.0[0]).abs() < 1e-2 && (g.0[1] - w.0[1]).abs() < 1e-2, "{at}: {g:?} vs {w:?}");
                assert_eq!((g.1, g.2), (w.1, w.2), "{at}: radius and colour");
            }
        }
    }
    aggregated
}

#[test]
fn aggregated_points_equal_a_brute_force_pass_small_and_big_layers() {
    for (n, single) in [(6_000, false), (24_000, false), (24_000, true)] {
        let mut catalog = Catalog::default();
        catalog.insert(fixture(n, single));
        let aggregated = check_all(&catalog, &format!("{n} events, single points only: {single}"));
        assert!(aggregated >= 8, "{n} events: most views are dense enough to aggregate ({aggregated})");
    }
}

#[test]
fn aggregated_points_follow_edits() {
    // Single points: the edits below turn it to a layer with a multi-point feature at the end.
    let mut catalog = Catalog::default();
    catalog.insert(fixture(24_000, true));
    let uid = catalog.layers[0].uid;
    let whole = Viewport::centered(70.5, 37.5, 5.6, [1600.0, 1000.0]);
    let filter = TimeFilter::new(&catalog, None);
    let cells_now = |catalog: &Catalog| {
        count_cells(&catalog.layers[0], 0, Some(&filter), &[], whole.size_pts, whole.screen_transform()).cells
    };
    check_all(&catalog, "before the edits");
    let before = cells_now(&catalog);
    let cell_of = |catalog: &Catalog, fi: usize| {
        let p = catalog.layers[0].features.shape(fi).expect("shape").points[0];
        let s = whole.screen_from_world(p);
        let cols = (whole.size_pts[0] / CELL_PTS).ceil() as usize;
        (s[1] / CELL_PTS) as usize * cols + (s[0] / CELL_PTS) as usize
    };

    // Move the representative of a crowded cell 1.5° east: it leaves, and the cell takes a new
    // representative.
    let (k, cell) = before.iter().enumerate().max_by_key(|(_, c)| c.count).expect("cells");
    let moved = cell.first as usize;
    let _undo = apply(&mut catalog, EditCommand::MoveFeature { layer: uid, index: moved, dx_deg: 1.5, dy_deg: 0.0 })
        .expect("moved");
    let after = cells_now(&catalog);
    assert_eq!(after[k].count, cell.count - 1, "the moved event left its cell");
    assert!(after[k].first as usize > moved);
    let target = cell_of(&catalog, moved);
    assert_eq!(after[target].count, before[target].count + 1, "and arrived in its new one");
    check_all(&catalog, "after a move");

    // Delete it: its cell loses it, and every later feature is renumbered.
    let _undo = apply(&mut catalog, EditCommand::DeleteFeature { layer: uid, index: moved }).expect("deleted");
    assert_eq!(cells_now(&catalog)[target].count, before[target].count);
    check_all(&catalog, "after a delete");

    // Add an event in an empty corner of the view: a new cell.
    let corner = whole.world_rect();
    let (lon, lat) = frontier_atlas::spatial::geo_from_world([
        corner.min[0] * 0.999 + corner.max[0] * 0.001,
        corner.min[1] * 0.999 + corner.max[1] * 0.001,
    ]);
    let added = event(lon, lat, "Protests", Some("2021-05-05".into()));
    let _undo =
        apply(&mut catalog, EditCommand::AddFeature { layer: uid, index: 0, feature: Box::new(added) }).expect("added");
    let cells = cells_now(&catalog);
    let corner_cell = cell_of(&catalog, 0);
    assert_eq!((cells[corner_cell].count, cells[corner_cell].first), (1, 0), "the new event has its own cell");
    check_all(&catalog, "after an add");

    // Redate the new event out of 2021: the one-year window no longer shows it.
    let _undo = apply(
        &mut catalog,
        EditCommand::SetProperty { layer: uid, index: 0, key: "event_date".into(), value: Some("2019-01-01".into()) },
    )
    .expect("redated");
    let year = TimeFilter::new(&catalog, Some(Range::year(2021).expect("year")));
    let cells = count_cells(&catalog.layers[0], 0, Some(&year), &[], whole.size_pts, whole.screen_transform()).cells;
    assert_eq!(cells[corner_cell].count, 0, "redated out of the window");
    check_all(&catalog, "after a redate");

    // A multi-point feature: each of its points counts in its cell.
    let mut multi = event(69.0, 37.0, "Riots", Some("2021-02".into()));
    multi.geometry = Some(serde_json::json!({"type": "MultiPoint", "coordinates": [[69.0, 37.0], [73.0, 38.5]]}));
    let end = catalog.layers[0].features.len();
    let _undo = apply(&mut catalog, EditCommand::AddFeature { layer: uid, index: end, feature: Box::new(multi) })
        .expect("added");
    assert_eq!(catalog.layers[0].features.shape(end).expect("shape").points.len(), 2);
    check_all(&catalog, "after adding a multi-point feature");
}

#[test]
fn a_layer_aggregates_from_one_more_than_the_threshold_in_view() {
    // 21,000 events far to the east, out of view, and a cluster in view of exactly the
    // threshold, then one more; the cluster shares its buckets with events just outside the view.
    let view = Viewport::centered(69.5, 37.5, 9.0, [800.0, 600.0]);
    let rect = view.world_rect();
    let (w0, s0) = frontier_atlas::spatial::geo_from_world([rect.min[0], rect.max[1]]);
    let (e0, n0) = frontier_atlas::spatial::geo_from_world([rect.max[0], rect.min[1]]);
    let mut rnd = Lcg(3);
    let build = |inside: usize, rnd: &mut Lcg| {
        let mut features: Vec<Feature> = (0..21_000)
            .map(|i| event(74.0 + rnd.next(), 38.0 + rnd.next(), EVENT_TYPES[i % 6], Some("2021-03-03".into())))
            .collect();
        for i in 0..inside {
            let (lon, lat) = (w0 + (e0 - w0) * rnd.next(), s0 + (n0 - s0) * rnd.next());
            features.insert(i * 7, event(lon, lat, EVENT_TYPES[i % 6], Some("2021-03-03".into())));
            // A neighbour just west of the view, in the same buckets.
            features.push(event(w0 - 0.05 - 0.05 * rnd.next(), lat, "Riots", None));
        }
        let mut layer = Layer::new("Edge", LayerKind::Events, LayerSource::Embedded("test"), features);
        assign_spans(&mut layer);
        layer.style = Some(LayerStyleOverride { point_view: Some(PointView::Points), ..LayerStyleOverride::default() });
        layer
    };
    for (inside, aggregated) in [(AGGREGATE_ABOVE, false), (AGGREGATE_ABOVE + 1, true)] {
        let mut catalog = Catalog::default();
        catalog.insert(build(inside, &mut rnd));
        let filter = TimeFilter::new(&catalog, None);
        assert_eq!(brute_force(&catalog.layers[0], None, &view).is_some(), aggregated, "{inside} in view (fixture)");
        let scene = build_scene(&catalog, &view, &SceneOptions { filter: Some(&filter), ..SceneOptions::default() });
        assert_eq!(!drawn(&scene.items).is_empty(), aggregated, "{inside} in view");
        check_all(&catalog, &format!("{inside} in view"));
    }
}

/// Found walking the app: a Points layer set to one colour drew every dot in that colour but
/// its legend still listed the event types.
#[test]
fn a_one_colour_layer_has_one_legend_row_when_aggregated() {
    let viewport = Viewport::fit_bbox([66.5, 35.0, 75.5, 40.0], [900.0, 600.0]);
    let legend = |fill: Option<frontier_atlas::model::Rgba>| {
        let mut layer = fixture(24_000, true);
        if let Some(style) = layer.style.as_mut() {
            style.fill = fill;
        }
        let mut catalog = Catalog::default();
        catalog.insert(layer);
        let scene = build_scene(&catalog, &viewport, &SceneOptions::default());
        let labels: Vec<String> = scene.legend.iter().map(|e| e.label.clone()).collect();
        let markers = drawn(&scene.items);
        (labels, markers.len())
    };
    let (by_type, drawn_by_type) = legend(None);
    assert!(drawn_by_type > 0);
    assert!(EVENT_TYPES.iter().any(|t| by_type.contains(&(*t).to_owned())), "{by_type:?}");
    let (one, drawn_one) = legend(Some([20, 90, 200, 255]));
    assert_eq!(drawn_one, drawn_by_type, "the same dots");
    assert!(one.contains(&"Generated events".to_owned()), "{one:?}");
    assert!(!EVENT_TYPES.iter().any(|t| one.contains(&(*t).to_owned())), "no event-type rows: {one:?}");
}
