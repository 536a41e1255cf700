//! The density view of dense point layers (issue 8): hexbin counts equal a brute-force count of
//! the events in the date range, bins stay put while panning, a click lists exactly the events
//! counted in its bin, the choice survives a project, and the Layers panel switches it.

mod common;

use chrono::NaiveDate;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::model::{
    Catalog, Feature, Layer, LayerKind, LayerSource, LayerStyleOverride, PointView, TimeFilter,
};
use frontier_atlas::render::density::{BinKey, HexGrid, count_bins, drawn_as_density, members, members_at};
use frontier_atlas::render::svg::{Furniture, scene_to_svg};
use frontier_atlas::render::{Item, LegendSwatch, SceneOptions, build_scene};
use frontier_atlas::spatial::{Shape, Viewport, WorldRect, world_from_geo};
use frontier_atlas::time::{DateSpan, Range, TimeIndex};

/// A deterministic pseudo-random stream in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1_u64 << 53) as f64
    }
}

fn point(lon: f64, lat: f64, day: NaiveDate) -> Feature {
    Feature {
        id: None,
        geometry: None,
        properties: serde_json::Map::new(),
        foreign_members: serde_json::Map::new(),
        shape: Shape::from_geo(Some(&geo::Geometry::Point(geo::Point::new(lon, lat)))),
        time: DateSpan::new(day, day),
    }
}

/// `n` events over 2020–2021: half around three hot spots, half spread over the frontier, a
/// few hundred stacked on one spot, one multi-point feature and one undated event.
fn fixture(n: usize) -> Layer {
    let mut rnd = Lcg(7);
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
    let hot = [(69.3, 37.1), (71.55, 37.49), (68.8, 38.55)];
    let mut features: Vec<Feature> = (0..n)
        .map(|i| {
            let day = start + chrono::Days::new((rnd.next() * 730.0) as u64);
            let (lon, lat) = if i % 2 == 0 {
                let (x, y) = hot[i % 3];
                (x + (rnd.next() - 0.5) * 0.6 * rnd.next(), y + (rnd.next() - 0.5) * 0.4 * rnd.next())
            } else if i % 97 == 1 {
                (70.0, 37.0)
            } else {
                (67.0 + rnd.next() * 8.0, 35.5 + rnd.next() * 4.0)
            };
            point(lon, lat, day)
        })
        .collect();
    let mut multi = point(0.0, 0.0, start);
    multi.shape = Shape::from_geo(Some(&geo::Geometry::MultiPoint(geo::MultiPoint::from(vec![
        (69.31, 37.11),
        (69.3101, 37.1101),
        (72.0, 38.0),
    ]))));
    features.push(multi);
    let mut undated = point(69.3, 37.1, start);
    undated.time = None;
    features.push(undated);
    let mut layer = Layer::new("Generated events", LayerKind::Events, LayerSource::Embedded("test"), features);
    let spans: Vec<_> = layer.features.iter().enumerate().filter_map(|(i, f)| f.time.map(|t| (i, t))).collect();
    layer.time_index = Some(TimeIndex::new(&spans));
    layer
}

fn catalog_with(layer: Layer) -> (Catalog, usize) {
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    (catalog, 0)
}

/// The nearest hexagon centre to `p`, found by measuring every centre around it (independent
/// of the grid's own assignment).
fn nearest_centre(grid: HexGrid, p: [f64; 2]) -> Option<BinKey> {
    let (dx, dy) = (grid.radius * 3f64.sqrt(), grid.radius * 1.5);
    let (jc, ic) = ((p[1] / dy).round() as i64, (p[0] / dx).round() as i64);
    let mut best: Vec<(f64, BinKey)> = Vec::new();
    for j in jc - 2..=jc + 2 {
        for i in ic - 2..=ic + 2 {
            let cx = (i as f64 + if j.rem_euclid(2) == 1 { 0.5 } else { 0.0 }) * dx;
            let cy = j as f64 * dy;
            best.push(((cx - p[0]).hypot(cy - p[1]), (i, j)));
        }
    }
    best.sort_by(|a, b| a.0.total_cmp(&b.0));
    // A point on the boundary of two cells has no single answer; the fixture has none.
    (best[1].0 - best[0].0 > 1e-12 * grid.radius.max(1e-300)).then_some(best[0].1)
}

fn brute_force(layer: &Layer, filter: &TimeFilter, grid: HexGrid) -> std::collections::HashMap<BinKey, Vec<usize>> {
    let mut bins: std::collections::HashMap<BinKey, Vec<usize>> = std::collections::HashMap::new();
    for (fi, f) in layer.features.iter().enumerate() {
        if !filter.is_shown(0, fi) {
            continue;
        }
        let mut mine: Vec<BinKey> = f.shape.points.iter().map(|p| nearest_centre(grid, *p).expect("no tie")).collect();
        mine.sort_unstable();
        mine.dedup();
        for key in mine {
            bins.entry(key).or_default().push(fi);
        }
    }
    bins
}

fn year_2021() -> Range {
    Range::year(2021).expect("year")
}

#[test]
fn counts_per_bin_equal_a_brute_force_count_of_the_events_in_the_range() {
    let (catalog, li) = catalog_with(fixture(30_000));
    let layer = &catalog.layers[li];
    for (range, zoom) in [(Some(year_2021()), 7.3), (None, 7.3), (Some(year_2021()), 9.0), (Some(year_2021()), 5.6)] {
        let filter = TimeFilter::new(&catalog, range);
        let viewport = Viewport::centered(69.6, 37.3, zoom, [1200.0, 800.0]);
        let grid = HexGrid::for_view(&viewport);
        let view = viewport.world_rect();
        let counted = count_bins(layer, li, Some(&filter), &grid, &view);
        let expected = brute_force(layer, &filter, grid);
        let keep = view.expanded(grid.radius);
        let mut n_expected = 0;
        for (key, ids) in &expected {
            if keep.contains(grid.center(*key)) {
                n_expected += 1;
                let got = counted.iter().find(|(k, _)| k == key).map(|(_, n)| *n as usize);
                assert_eq!(got, Some(ids.len()), "bin {key:?} at zoom {zoom}, range {range:?}");
            }
        }
        assert_eq!(counted.len(), n_expected, "bins drawn that brute force does not have");
        assert!(counted.iter().any(|(_, n)| *n > 50), "the fixture has dense bins at zoom {zoom}");
    }
    // The range matters: 2021 counts about half of the two years.
    let all: u32 =
        count_bins(layer, li, None, &HexGrid { radius: 0.01 }, &world_rect_of_frontier()).iter().map(|b| b.1).sum();
    let filter = TimeFilter::new(&catalog, Some(year_2021()));
    let year: u32 = count_bins(layer, li, Some(&filter), &HexGrid { radius: 0.01 }, &world_rect_of_frontier())
        .iter()
        .map(|b| b.1)
        .sum();
    assert!(year > all / 3 && year < all * 2 / 3, "2021 counted {year} of {all}");
}

fn world_rect_of_frontier() -> WorldRect {
    let a = world_from_geo(66.0, 40.5);
    let b = world_from_geo(76.0, 35.0);
    WorldRect { min: a, max: b }
}

#[test]
fn bins_do_not_swim_or_change_count_while_panning() {
    let (catalog, li) = catalog_with(fixture(20_000));
    let layer = &catalog.layers[li];
    let filter = TimeFilter::new(&catalog, Some(year_2021()));
    let mut viewport = Viewport::centered(69.6, 37.3, 7.7, [1200.0, 800.0]);
    let grid = HexGrid::for_view(&viewport);
    let before = count_bins(layer, li, Some(&filter), &grid, &viewport.world_rect());
    viewport.pan_by_screen([137.0, -61.0]);
    assert_eq!(HexGrid::for_view(&viewport), grid, "panning keeps the grid");
    let after = count_bins(layer, li, Some(&filter), &grid, &viewport.world_rect());
    let common: Vec<_> = before.iter().filter(|b| after.iter().any(|a| a.0 == b.0)).collect();
    assert!(common.len() > before.len() / 2, "most bins stay in view");
    for b in common {
        assert!(after.contains(b), "bin {:?} changed its count while panning", b.0);
    }
    // Zooming within a half level keeps the grid too; crossing one changes it.
    viewport.zoom = 7.9;
    assert_eq!(HexGrid::for_view(&viewport), grid);
    viewport.zoom = 8.0;
    assert_ne!(HexGrid::for_view(&viewport), grid);
}

#[test]
fn clicking_a_bin_lists_exactly_the_events_it_counts() {
    let mut layer = fixture(20_000);
    layer.style = Some(LayerStyleOverride { point_view: Some(PointView::Density), ..LayerStyleOverride::default() });
    let (catalog, li) = catalog_with(layer);
    let layer = &catalog.layers[li];
    let filter = TimeFilter::new(&catalog, Some(year_2021()));
    let viewport = Viewport::centered(69.6, 37.3, 7.2, [1200.0, 800.0]);
    let scene = build_scene(&catalog, &viewport, &SceneOptions { filter: Some(&filter), ..SceneOptions::default() });
    let record = scene.density.first().expect("the layer is drawn as a density");
    assert_eq!(record.layer, li);
    let counted = count_bins(layer, li, Some(&filter), &record.grid, &viewport.world_rect());
    let expected = brute_force(layer, &filter, record.grid);
    // The densest bin, a sparse one, and the one holding the multi-point feature.
    let densest = counted.iter().max_by_key(|b| b.1).expect("bins");
    let sparse = counted.iter().find(|b| b.1 == 1).expect("a bin with one event");
    for &(key, n) in [densest, sparse] {
        let centre = viewport.screen_from_world(record.grid.center(key));
        let listed = members_at(layer, record, Some(&filter), &viewport, centre);
        assert_eq!(listed.len(), n as usize, "bin {key:?}");
        assert_eq!(record.count_at(record.grid.center(key)), Some(n), "the hover count of bin {key:?}");
        assert_eq!(listed, expected[&key], "bin {key:?} lists other events than it counts");
        // Anywhere inside the hexagon lists the same.
        let near_corner = [centre[0] + 5.0, centre[1] - 3.0];
        assert_eq!(members_at(layer, record, Some(&filter), &viewport, near_corner), listed);
        assert!(listed.iter().all(|&fi| filter.is_shown(li, fi)), "an event outside the range is listed");
    }
    let multi = layer.features.len() - 2;
    let key = record.grid.bin_of(world_from_geo(69.31, 37.11));
    assert_eq!(members(layer, li, None, &record.grid, key).iter().filter(|&&f| f == multi).count(), 1);
    // Empty space lists nothing.
    let far = viewport.screen_from_geo(75.9, 40.4);
    assert!(members_at(layer, record, Some(&filter), &viewport, far).is_empty());
    assert_eq!(record.count_at(viewport.world_from_screen(far)), None);
    assert_eq!(record.bins, counted, "the scene records the bins it draws");
}

/// The number in attribute `name` of the SVG element written on `line`.
fn number_attribute(line: &str, name: &str) -> f32 {
    let at = line.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
    line[at..].split('"').next().and_then(|v| v.parse().ok()).expect("a number")
}

#[test]
fn the_scene_draws_hexagons_with_a_count_legend_and_the_export_carries_them() {
    let (catalog, li) = catalog_with(fixture(20_000));
    let filter = TimeFilter::new(&catalog, Some(year_2021()));
    let viewport = Viewport::centered(69.6, 37.3, 7.2, [1200.0, 800.0]);
    assert!(drawn_as_density(&catalog.layers[li], li, Some(&filter), &viewport.world_rect()), "dense: density");
    let corner = Viewport::centered(75.5, 40.2, 9.0, [1200.0, 800.0]).world_rect();
    assert!(!drawn_as_density(&catalog.layers[li], li, Some(&filter), &corner), "sparse in view: points");
    let few = TimeFilter::new(&catalog, Some(Range::day(NaiveDate::from_ymd_opt(2021, 3, 1).expect("date"))));
    assert!(!drawn_as_density(&catalog.layers[li], li, Some(&few), &viewport.world_rect()), "one day: points");
    let scene = build_scene(&catalog, &viewport, &SceneOptions { filter: Some(&filter), ..SceneOptions::default() });
    // All hexagons of a colour class are one fill, one ring each.
    let hexagons: usize = scene
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Fill { rings, .. } if rings.iter().all(|r| r.len() == 7) => Some(rings.len()),
            _ => None,
        })
        .sum();
    let counted = count_bins(&catalog.layers[li], li, Some(&filter), &scene.density[0].grid, &viewport.world_rect());
    assert_eq!(hexagons, counted.len());
    assert!(!scene.items.iter().any(|i| matches!(i, Item::Marker { .. })), "no symbols under the density");
    // One legend entry: the layer's name over its classes, light to dark.
    assert_eq!(scene.legend.len(), 1, "{:?}", scene.legend);
    let entry = &scene.legend[0];
    assert_eq!(entry.label, "Generated events: features per hexagon");
    let LegendSwatch::Classes(classes) = &entry.swatch else { panic!("{entry:?}") };
    let ranges: Vec<&str> = classes.iter().map(|(_, r)| r.as_str()).collect();
    assert!(ranges.len() >= 3, "{ranges:?}");
    assert!(ranges[0].starts_with("1–"), "{ranges:?}");
    let max = counted.iter().map(|b| b.1).max().expect("bins");
    let top: u32 =
        ranges.last().and_then(|r| r.split('–').nth(1)).map_or(0, |t| t.replace(',', "").parse().expect("a number"));
    assert!(top >= max, "the legend's top class ({top}) covers the densest bin ({max})");
    let svg = scene_to_svg(
        &scene,
        &Furniture { title: None, date_range: None, legend: Some(frontier_atlas::render::LegendCorner::TopRight) },
    );
    assert!(svg.contains("features per hexagon"), "the export's legend has the count entry");
    for range in &ranges {
        assert!(svg.contains(&format!(">{range}</text>")), "the export writes the class {range}");
    }
    // Found walking the app: a class a row made a density layer six rows of the legend, and
    // with a second layer the legend hid half the map. Its classes are one row of cells now.
    let legend_box = svg.lines().find(|l| l.contains(r##"rx="4" fill="#ffffff""##)).expect("the legend box");
    let attr = |name: &str| number_attribute(legend_box, name);
    assert!(attr("height") <= 18.0 * 2.0 + 24.0 + 30.0, "{legend_box}");
    let cells_end = svg
        .lines()
        .filter(|l| l.starts_with("<rect") && l.contains(r#"height="10""#))
        .map(|l| number_attribute(l, "x") + number_attribute(l, "width"))
        .fold(0.0_f32, f32::max);
    assert!(cells_end > 0.0 && cells_end <= attr("x") + attr("width"), "the cells stay in the box: {legend_box}");
    assert!(svg.matches('Z').count() >= hexagons, "the export draws the hexagons");

    // Points chosen: no hexagons even when dense.
    let mut catalog = catalog;
    catalog.layers[li].style =
        Some(LayerStyleOverride { point_view: Some(PointView::Points), ..LayerStyleOverride::default() });
    let scene = build_scene(&catalog, &viewport, &SceneOptions { filter: Some(&filter), ..SceneOptions::default() });
    assert!(scene.density.is_empty());
    assert!(!scene.legend.iter().any(|e| e.label.ends_with("per hexagon")));
}

#[test]
fn the_density_choice_is_saved_in_a_project_and_read_back() {
    use frontier_atlas::project::{load_project, parse_project, save_project};
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("density.fatlas.json");
    let text = r#"{"format": "frontier-atlas-project", "version": 1, "layers": [
        {"embedded": "events.geojson", "style": {"point_view": "density", "glow": 3}},
        {"embedded": "aid.geojson", "style": {"point_view": "points"}}]}"#;
    let project = parse_project(text, &path).expect("parses");
    let style = |p: &frontier_atlas::project::Project, i: usize| p.layers[i].style.clone().expect("style");
    assert_eq!(style(&project, 0).point_view, Some(PointView::Density));
    assert_eq!(style(&project, 1).point_view, Some(PointView::Points));
    assert_eq!(style(&project, 0).extra.keys().collect::<Vec<_>>(), ["glow"], "unknown members kept");
    save_project(&project, &path).expect("saves");
    let saved = std::fs::read_to_string(&path).expect("read");
    assert!(saved.contains("\"point_view\": \"density\"") && saved.contains("\"glow\": 3"), "{saved}");
    assert_eq!(load_project(&path).expect("loads"), project);
    let bad = text.replace("\"density\"", "\"heat\"");
    let err = parse_project(&bad, &path).expect_err("refused").to_string();
    assert!(err.contains("layers[0].style.point_view") && err.contains("heat"), "{err}");
}

#[test]
fn the_layers_panel_switches_a_layer_to_density_and_a_click_lists_its_bin() {
    use frontier_atlas::model::{FeatureRef, LayerKind};
    let mut h = common::harness();
    h.run_steps(3);
    let (li, events) = h.state().catalog.layer_of_kind(LayerKind::Events).expect("events");
    let uid = events.uid;
    h.state_mut().layer_settings = Some(uid);
    h.run_steps(3);
    h.get_by_label("Density").click();
    h.run_steps(3);
    let style = h.state().catalog.layers[li].style.clone();
    assert_eq!(style.as_ref().and_then(|s| s.point_view), Some(PointView::Density), "{style:?}");

    // The map now draws the events layer as bins; a click on the densest one lists its events.
    let app = h.state();
    let viewport = app.map.viewport;
    let scene =
        build_scene(&app.catalog, &viewport, &SceneOptions { filter: Some(&app.filter), ..SceneOptions::default() });
    let record = scene.density.iter().find(|d| d.layer == li).expect("events drawn as a density").clone();
    assert!(scene.legend.iter().any(|e| e.label.starts_with(&format!("{}: ", app.catalog.layers[li].name))));
    let layer = &app.catalog.layers[li];
    let bins = count_bins(layer, li, Some(&app.filter), &record.grid, &viewport.world_rect());
    let &(key, n) = bins.iter().max_by_key(|b| b.1).expect("bins in view");
    let expected: Vec<FeatureRef> = members(layer, li, Some(&app.filter), &record.grid, key)
        .into_iter()
        .map(|feature| FeatureRef { layer: li, feature })
        .collect();
    assert_eq!(expected.len(), n as usize);
    let [x, y] = viewport.screen_from_world(record.grid.center(key));
    let [ox, oy] = app.map.screen_origin;
    common::click_at(&mut h, egui::pos2(ox + x, oy + y));
    let listed: Vec<FeatureRef> = h.state().hits_here.iter().filter(|r| r.layer == li).copied().collect();
    // Listed newest first (tests/ui_polish.rs checks the order in full).
    let days: Vec<_> = listed.iter().map(|r| h.state().catalog.layers[li].features.span(r.feature)).collect();
    assert!(days.windows(2).all(|w| w[0].map(|s| s.start) >= w[1].map(|s| s.start)), "not newest first");
    let mut sorted = listed.clone();
    sorted.sort_by_key(|r| r.feature);
    assert_eq!(sorted, expected, "the click lists exactly the bin's events");
    if n > 1 {
        assert!(h.query_all_by_label_contains("features here").count() >= 1, "the inspector lists them");
    }
}
