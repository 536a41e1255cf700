//! Building the scene for the default view of the embedded data, and hit-testing it.

use criterion::{Criterion, criterion_group, criterion_main};
use frontier_atlas::geodata::{HOME_BBOX, default_catalog};
use frontier_atlas::model::{Feature, Layer, LayerKind, LayerSource, TimeFilter, hit_test};
use frontier_atlas::render::{SceneOptions, build_scene};
use frontier_atlas::spatial::{HitTolerance, Shape, Viewport};
use frontier_atlas::time::{Range, TimeIndex};

#[path = "../tests/common/acled_gen.rs"]
mod acled_gen;
use acled_gen::generate_features;

fn scene(c: &mut Criterion) {
    let (catalog, _) = default_catalog();
    let viewport = Viewport::fit_bbox(HOME_BBOX, [1600.0, 1000.0]);
    let options = SceneOptions::default();
    c.bench_function("build_scene default view 1600x1000", |b| {
        b.iter(|| build_scene(std::hint::black_box(&catalog), &viewport, &options));
    });
    let zoomed = Viewport::centered(71.55, 37.49, 9.0, [1600.0, 1000.0]);
    c.bench_function("build_scene Khorog zoom 9", |b| b.iter(|| build_scene(&catalog, &zoomed, &options)));
    let khorog = viewport.screen_from_geo(71.553, 37.49);
    c.bench_function("hit_test default view", |b| {
        b.iter(|| hit_test(&catalog.layers, &viewport, khorog, HitTolerance::default(), |_, _| true));
    });
    c.bench_function("load embedded catalog", |b| b.iter(default_catalog));
}

/// A layer of `n` generated events (only `event_type` kept as a property, as the renderer needs).
fn million_events(n: usize) -> Layer {
    let features = generate_features(n, 7)
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
    let mut layer = Layer::new("generated", LayerKind::Events, LayerSource::Embedded("bench"), features);
    let spans: Vec<_> = layer.features.iter().enumerate().filter_map(|(i, f)| f.time.map(|t| (i, t))).collect();
    layer.time_index = Some(TimeIndex::new(&spans));
    layer
}

const EVENT_TYPES: [&str; 6] = [
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
];

fn million(c: &mut Criterion) {
    let (mut catalog, _) = default_catalog();
    catalog.insert(million_events(1_000_000));
    let viewport = Viewport::fit_bbox(HOME_BBOX, [1600.0, 1000.0]);
    let year = Range::year(2021).expect("year");
    let mut filter = TimeFilter::new(&catalog, Some(year));
    let (li, _) = catalog.layer_of_kind(LayerKind::Events).map(|(i, l)| (i, l.features.len())).expect("events");
    let big = catalog.layers.iter().position(|l| l.name == "generated").expect("generated layer");
    eprintln!(
        "one-year window shows {} of 1,000,000 generated events (layer {big}, events layer {li})",
        filter.counts(&catalog, big).0
    );
    let mut group = c.benchmark_group("1M events");
    group.sample_size(20);
    group.bench_function("range change (filter masks and ids)", |b| {
        let mut toggle = false;
        b.iter(|| {
            toggle = !toggle;
            filter.range = Some(if toggle { Range::year(2022).expect("y") } else { year });
            filter.update(&catalog);
        });
    });
    filter.range = Some(year);
    filter.update(&catalog);
    let options = SceneOptions { filter: Some(&filter), labels: true, attribution: String::new() };
    group.bench_function("build_scene one-year window, whole frontier", |b| {
        b.iter(|| build_scene(&catalog, &viewport, &options));
    });
    let zoomed = Viewport::centered(71.0, 37.5, 9.0, [1600.0, 1000.0]);
    group.bench_function("build_scene one-year window, zoom 9", |b| {
        b.iter(|| build_scene(&catalog, &zoomed, &options));
    });
    group.finish();
}

criterion_group!(benches, scene, million);
criterion_main!(benches);
