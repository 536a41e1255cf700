//! The map with 1,000,000 generated events (`tests/common/acled_gen.rs`, in memory) on the
//! embedded layers, whole frontier at 1600×1000: the scene with every event visible (target
//! ≤ 16 ms), with a one-year window (≤ 8 ms), and one click's hit-test (≤ 0.1 ms), release.
//! The events are drawn as a density (automatic at this size) from the bin index of the grid in
//! view, which the map builds once on a worker ([`prepare`] here); the same frames with the
//! layer's style set to *Points* are measured too (one pass over the layer's point column or
//! the filter's points, `render::points`), next to the R-tree query they used to start with.
//! Each frame is measured in wall time and, as the targets are stated, in CPU time.

use std::time::Duration;

use criterion::{Bencher, Criterion, criterion_group, criterion_main};
use frontier_atlas::geodata::{HOME_BBOX, default_catalog};
use frontier_atlas::model::{
    Feature, Layer, LayerKind, LayerSource, LayerStyleOverride, PointView, TimeFilter, hit_test, hit_test_all,
};
use frontier_atlas::render::density::{HexGrid, prepare};
use frontier_atlas::render::{SceneOptions, build_scene};
use frontier_atlas::spatial::{HitTolerance, Shape, Viewport};
use frontier_atlas::time::{Range, TimeIndex};

#[path = "../tests/common/acled_gen.rs"]
mod acled_gen;

/// CPU time this thread has run so far (the scheduler's count in `/proc/thread-self/schedstat`):
/// issue 8 states its frame targets in CPU time, and on a shared machine the wall time of a
/// frame also counts the time other processes held the core.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("/proc/thread-self/schedstat (Linux)");
    Duration::from_nanos(text.split_whitespace().next().and_then(|t| t.parse().ok()).expect("a CPU time in ns"))
}

/// Measures `frame` in CPU time ([`thread_cpu`]) rather than wall time.
fn cpu_time<O>(b: &mut Bencher<'_>, mut frame: impl FnMut() -> O) {
    b.iter_custom(|iters| {
        let start = thread_cpu();
        for _ in 0..iters {
            std::hint::black_box(frame());
        }
        thread_cpu().saturating_sub(start)
    });
}

const EVENT_TYPES: [&str; 6] = [
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
];

/// A layer of `n` generated events (only `event_type` kept as a property, as the renderer needs).
fn events(n: usize) -> Layer {
    let features = acled_gen::generate_features(n, 7)
        .into_iter()
        .enumerate()
        .map(|(i, (lon, lat, span))| {
            let mut properties = serde_json::Map::new();
            properties.insert("event_type".into(), EVENT_TYPES[i % EVENT_TYPES.len()].into());
            Feature {
                id: None,
                geometry: None,
                properties,
                foreign_members: serde_json::Map::new(),
                shape: Shape::from_geo(Some(&geo::Geometry::Point(geo::Point::new(lon, lat)))),
                time: Some(span),
            }
        })
        .collect();
    let mut layer = Layer::new("1M events", LayerKind::Events, LayerSource::Embedded("bench"), features);
    let spans: Vec<_> = layer.features.iter().enumerate().filter_map(|(i, f)| f.time.map(|t| (i, t))).collect();
    layer.time_index = Some(TimeIndex::new(&spans));
    layer
}

fn map_1m(c: &mut Criterion) {
    let n: usize = std::env::var("MAP_BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let (mut catalog, _) = default_catalog();
    catalog.insert(events(n));
    let big = catalog.layers.iter().position(|l| l.name == "1M events").expect("the events layer");
    let viewport = Viewport::fit_bbox(HOME_BBOX, [1600.0, 1000.0]);
    let all = TimeFilter::new(&catalog, None);
    let mut year = TimeFilter::new(&catalog, Some(Range::year(2021).expect("a year")));
    year.update(&catalog);
    eprintln!("{n} events; a one-year window shows {}", year.counts(&catalog, big).0);
    prepare(&catalog.layers[big], HexGrid::for_view(&viewport));

    let mut group = c.benchmark_group("map with 1M events");
    group.sample_size(20);
    let options = SceneOptions { filter: Some(&all), labels: true, attribution: String::new() };
    group.bench_function("scene, all events visible, whole frontier", |b| {
        b.iter(|| build_scene(&catalog, &viewport, &options));
    });
    group.bench_function("scene, all events visible, whole frontier (CPU time)", |b| {
        cpu_time(b, || build_scene(&catalog, &viewport, &options));
    });
    let options = SceneOptions { filter: Some(&year), labels: true, attribution: String::new() };
    group.bench_function("scene, one-year window, whole frontier", |b| {
        b.iter(|| build_scene(&catalog, &viewport, &options));
    });
    group.bench_function("scene, one-year window, whole frontier (CPU time)", |b| {
        cpu_time(b, || build_scene(&catalog, &viewport, &options));
    });

    // A click in the densest part of the generated events: the most populated cell of a
    // coarse grid over the view.
    let layer = &catalog.layers[big];
    let cells = layer
        .features
        .iter()
        .filter_map(|f| f.shape.points.first().map(|p| viewport.screen_from_world(*p)))
        .fold(std::collections::HashMap::<(i32, i32), usize>::new(), |mut cells, s| {
            *cells.entry(((s[0] / 40.0) as i32, (s[1] / 40.0) as i32)).or_default() += 1;
            cells
        });
    let ((cx, cy), _) = cells.into_iter().max_by_key(|&(cell, count)| (count, cell)).expect("events in view");
    let click = [cx as f32 * 40.0 + 20.0, cy as f32 * 40.0 + 20.0];
    let shown = |l: usize, f: usize| all.is_shown(l, f);
    let under = hit_test_all(&catalog.layers, &viewport, click, HitTolerance::default(), shown);
    eprintln!("the click at {click:?} is over {} events", under.len());
    group.bench_function("click hit-test, all events visible", |b| {
        b.iter(|| hit_test(&catalog.layers, &viewport, click, HitTolerance::default(), shown));
    });
    let shown = |l: usize, f: usize| year.is_shown(l, f);
    group.bench_function("click hit-test, one-year window", |b| {
        b.iter(|| hit_test(&catalog.layers, &viewport, click, HitTolerance::default(), shown));
    });

    // The same frames with the events drawn as points (Layers → Style → Points).
    catalog.layers[big].style =
        Some(LayerStyleOverride { point_view: Some(PointView::Points), ..LayerStyleOverride::default() });
    // The first frame reads the layer's point column (once per store generation), kept after.
    let started = std::time::Instant::now();
    let column = frontier_atlas::render::points::column(&catalog.layers[big]);
    eprintln!("point column read in {:?}, {:.1} MB", started.elapsed(), column.bytes() as f64 / 1e6);
    drop(column);
    // What a Points frame paid before the column: listing every event in view from the R-tree.
    let view_rect = viewport.world_rect().expanded(8.0 / viewport.scale());
    group.bench_function("R-tree query listing every event in view (the old Points frame's first step)", |b| {
        b.iter(|| catalog.layers[big].index.query(&view_rect).len());
    });
    let options = SceneOptions { filter: Some(&all), labels: true, attribution: String::new() };
    group.bench_function("scene, style Points, all events visible, whole frontier", |b| {
        b.iter(|| build_scene(&catalog, &viewport, &options));
    });
    group.bench_function("scene, style Points, all events visible, whole frontier (CPU time)", |b| {
        cpu_time(b, || build_scene(&catalog, &viewport, &options));
    });
    let options = SceneOptions { filter: Some(&year), labels: true, attribution: String::new() };
    group.bench_function("scene, style Points, one-year window, whole frontier", |b| {
        b.iter(|| build_scene(&catalog, &viewport, &options));
    });
    group.bench_function("scene, style Points, one-year window, whole frontier (CPU time)", |b| {
        cpu_time(b, || build_scene(&catalog, &viewport, &options));
    });
    // Zoomed in to zoom 9 (4.4° across, a third of the events in view): the column's buckets
    // away from the view are not read.
    let close = Viewport::centered(70.0, 37.5, 9.0, [1600.0, 1000.0]);
    let options = SceneOptions { filter: Some(&all), labels: true, attribution: String::new() };
    group.bench_function("scene, style Points, all events visible, zoom 9 (CPU time)", |b| {
        cpu_time(b, || build_scene(&catalog, &close, &options));
    });
    let options = SceneOptions { filter: Some(&year), labels: true, attribution: String::new() };
    // What the rest of the map costs: the same frame with the events layer hidden.
    catalog.layers[big].visible = false;
    group.bench_function("scene, events layer hidden (the rest of the map), one-year window", |b| {
        b.iter(|| build_scene(&catalog, &viewport, &options));
    });
    group.bench_function("scene, events layer hidden (the rest of the map), one-year window (CPU time)", |b| {
        cpu_time(b, || build_scene(&catalog, &viewport, &options));
    });
    group.finish();
}

criterion_group!(benches, map_1m);
criterion_main!(benches);
