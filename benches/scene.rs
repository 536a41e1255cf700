//! Building the scene for the default view of the embedded data, and hit-testing it.

use criterion::{Criterion, criterion_group, criterion_main};
use frontier_atlas::geodata::{HOME_BBOX, default_catalog};
use frontier_atlas::render::{SceneOptions, build_scene};
use frontier_atlas::spatial::{HitTolerance, Viewport, hit_test};

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

criterion_group!(benches, scene);
criterion_main!(benches);
