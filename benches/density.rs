//! The density view at 1M generated events: counting the hexagon bins of the view (from the
//! grid's bin index, as the map does once a worker has built it, and directly from the points,
//! as before the index and while it is being built), the whole frame with the events layer drawn
//! as a density, listing a clicked bin, and building one grid's index.

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use frontier_atlas::geodata::HOME_BBOX;
use frontier_atlas::model::{Catalog, Feature, Layer, LayerKind, LayerSource, TimeFilter};
use frontier_atlas::render::density::{
    BinIndex, HexGrid, count_bins, count_bins_direct, density_view, members, prepare,
};
use frontier_atlas::render::{SceneOptions, build_scene};
use frontier_atlas::spatial::{Shape, Viewport};
use frontier_atlas::time::{Range, TimeIndex};

#[path = "../tests/common/acled_gen.rs"]
mod acled_gen;
use acled_gen::generate_features;

/// `n` generated events as one dated layer (no properties: the density reads positions only).
fn events(n: usize) -> Layer {
    let features = generate_features(n, 7)
        .into_iter()
        .map(|(lon, lat, span)| Feature {
            id: None,
            geometry: None,
            properties: serde_json::Map::new(),
            foreign_members: serde_json::Map::new(),
            shape: Shape::from_geo(Some(&geo::Geometry::Point(geo::Point::new(lon, lat)))),
            time: Some(span),
        })
        .collect();
    let mut layer = Layer::new("generated", LayerKind::Events, LayerSource::Embedded("bench"), features);
    let spans: Vec<_> = layer.features.iter().enumerate().filter_map(|(i, f)| f.time.map(|t| (i, t))).collect();
    layer.time_index = Some(TimeIndex::new(&spans));
    layer
}

fn density(c: &mut Criterion) {
    let mut catalog = Catalog::default();
    catalog.insert(events(1_000_000));
    let li = 0;
    let viewport = Viewport::fit_bbox(HOME_BBOX, [1600.0, 1000.0]);
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let everything = Range::new(day(2015, 1, 1), day(2025, 12, 31));
    let year = Range::year(2021).expect("year");
    let mut group = c.benchmark_group("density 1M events");
    group.sample_size(10);
    let grid = HexGrid::for_view(&viewport);
    group.bench_function("build the bin index of one grid (worker)", |b| {
        b.iter(|| BinIndex::build(&catalog.layers[li], grid));
    });
    // The index of the grid in view, as the map's worker leaves it.
    prepare(&catalog.layers[li], grid);
    for (name, range) in [("all 1M visible", everything), ("one-year window", year)] {
        let filter = TimeFilter::new(&catalog, Some(range));
        let layer = &catalog.layers[li];
        let shown = filter.counts(&catalog, li).0;
        let bins = count_bins(layer, li, Some(&filter), &grid, &viewport.world_rect());
        eprintln!("{name}: {shown} events in range, {} bins in view", bins.len());
        assert_eq!(bins, count_bins_direct(layer, li, Some(&filter), &grid, &viewport.world_rect()));
        group.bench_function(format!("count bins, {name}"), |b| {
            b.iter(|| count_bins(layer, li, Some(&filter), &grid, &viewport.world_rect()));
        });
        group.bench_function(format!("count bins directly (no index), {name}"), |b| {
            b.iter(|| count_bins_direct(layer, li, Some(&filter), &grid, &viewport.world_rect()));
        });
        group.bench_function(format!("density view (bins, hexagons, legend), {name}"), |b| {
            b.iter(|| density_view(layer, li, Some(&filter), &viewport));
        });
        let options = SceneOptions { filter: Some(&filter), labels: true, attribution: String::new() };
        group.bench_function(format!("build_scene, {name}"), |b| b.iter(|| build_scene(&catalog, &viewport, &options)));
        let densest = bins.iter().max_by_key(|b| b.1).map(|b| b.0).expect("bins");
        group.bench_function(format!("list the densest bin (a click), {name}"), |b| {
            b.iter(|| members(layer, li, Some(&filter), &grid, densest));
        });
    }
    group.finish();
}

criterion_group!(benches, density);
criterion_main!(benches);
