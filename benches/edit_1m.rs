//! What one edit costs on a layer of 1,000,000 generated ACLED events (`tests/common/acled_gen.rs`
//! written as GeoJSON and read by the packed loader), and the serial parts of
//! an open: the R-tree bulk load, the time index and the timeline's dates.
//!
//! An edit (apply and undo through [`frontier_atlas::edit::apply`], so `Layer::refresh_after`
//! runs twice) should cost in proportion to the edit, not to the layer.
//! `EDIT_BENCH_EVENTS=100000` for a smaller layer. Release: `CARGO_TARGET_DIR=/work/rel-target
//! cargo bench --bench edit_1m`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use frontier_atlas::edit::{EditCommand, apply, new_feature_id};
use frontier_atlas::io::acled::{GeoJsonWriter, stream_acled_rows};
use frontier_atlas::io::geojson_fast::load_file;
use frontier_atlas::io::progress::Progress;
use frontier_atlas::model::{Catalog, Layer};
use frontier_atlas::spatial::{FeatureIndex, Indexed};
use frontier_atlas::time::{Bin, DateSpan, Range, TimeIndex, histogram};

#[path = "../tests/common/acled_gen.rs"]
mod acled_gen;

/// The generated events as GeoJSON (what `import acled` writes, in a temporary file deleted
/// after), read by the packed loader.
fn events(n: usize) -> Layer {
    let mut csv = Vec::new();
    acled_gen::generate_acled_csv(n, 11, &mut csv).expect("generated CSV");
    let file = tempfile::Builder::new().suffix(".geojson").tempfile().expect("a temporary file");
    let out = std::io::BufWriter::with_capacity(1 << 20, file.reopen().expect("the file"));
    let mut writer = GeoJsonWriter::new(out).expect("the writer");
    stream_acled_rows(&csv[..], "bench.csv", |row| writer.row(&row)).expect("the rows");
    drop(csv);
    std::io::Write::flush(&mut writer.finish().expect("written")).expect("flushed");
    load_file(file.path(), &Progress::new()).expect("the layer").layer
}

/// Applies `cmd` and its inverse.
fn round_trip(catalog: &mut Catalog, cmd: EditCommand) {
    let undo = apply(catalog, cmd).expect("the edit");
    let _redo = apply(catalog, undo).expect("the undo");
}

/// The timeline's dates after a layer was added (what `TimelineState::catalog_changed`
/// needs: extent, histogram, playback's start days) as it is computed now: from the layers'
/// time indices.
fn timeline_dates(catalog: &Catalog) -> (Option<Range>, usize) {
    let indices: Vec<&TimeIndex> = catalog.layers.iter().filter_map(|l| l.time_index.as_ref()).collect();
    let lo = indices
        .iter()
        .filter_map(|i| i.first_closed_start())
        .min()
        .or_else(|| indices.iter().filter_map(|i| i.extent().map(|e| e.from)).min());
    let hi = indices.iter().filter_map(|i| i.extent().map(|e| e.to)).max();
    let extent = lo.zip(hi).map(|(lo, hi)| Range::new(lo, hi.max(lo)));
    let mut days: Vec<chrono::NaiveDate> = indices.iter().flat_map(|i| i.start_days()).collect();
    days.sort_unstable();
    days.dedup();
    let bins = extent.map_or(0, |e| histogram(&indices, &e, Bin::auto(&e)).bins.len());
    (extent, bins + days.len())
}

/// The same, as it was computed before: every feature's span read, every start sorted.
fn timeline_dates_from_every_span(catalog: &Catalog) -> (Option<Range>, usize) {
    let indices: Vec<&TimeIndex> = catalog.layers.iter().filter_map(|l| l.time_index.as_ref()).collect();
    let mut starts: Vec<chrono::NaiveDate> = catalog
        .layers
        .iter()
        .filter(|l| l.time_index.is_some())
        .flat_map(|l| l.features.spans().flatten())
        .map(|s| s.start)
        .collect();
    starts.sort_unstable();
    let spans = || catalog.layers.iter().filter(|l| l.time_index.is_some()).flat_map(|l| l.features.spans().flatten());
    let lo = spans().filter(|s| !s.is_open_ended()).map(|s| s.start).min();
    let hi = spans().map(|s| if s.is_open_ended() { s.start } else { s.end }).max();
    let extent = lo.zip(hi).map(|(lo, hi)| Range::new(lo, hi.max(lo)));
    let bins = extent.map_or(0, |e| histogram(&indices, &e, Bin::auto(&e)).bins.len());
    (extent, bins + starts.len())
}

fn edit_1m(c: &mut Criterion) {
    let n: usize = std::env::var("EDIT_BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let layer = events(n);
    let uid = layer.uid;
    let len = layer.features.len();
    eprintln!("{len} events, {} packed", layer.features.packed_count());
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    let middle = len / 2;
    let template = catalog.layers[0].features.get(middle).expect("a feature").into_owned();

    let mut group = c.benchmark_group(format!("edit at {len}"));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.bench_function("move one event, undo", |b| {
        b.iter(|| {
            round_trip(&mut catalog, EditCommand::MoveFeature { layer: uid, index: middle, dx_deg: 0.01, dy_deg: 0.0 });
        });
    });
    group.bench_function("set a property, undo", |b| {
        b.iter(|| {
            let value = Some(serde_json::Value::from("2020-01-02"));
            round_trip(
                &mut catalog,
                EditCommand::SetProperty { layer: uid, index: middle, key: "event_date".into(), value },
            );
        });
    });
    group.bench_function("add one event at the end, undo", |b| {
        b.iter(|| {
            let feature = Box::new(template.clone());
            round_trip(&mut catalog, EditCommand::AddFeature { layer: uid, index: len, feature });
        });
    });
    group.bench_function("delete one event in the middle, undo", |b| {
        b.iter(|| round_trip(&mut catalog, EditCommand::DeleteFeature { layer: uid, index: middle }));
    });
    group.bench_function("new feature id", |b| {
        b.iter(|| new_feature_id(black_box(&catalog.layers[0]), "AFG"));
    });
    // A query over every event: on the index edited in the middle above (its keys translated
    // to ids) and on a fresh one.
    let layer = &catalog.layers[0];
    let all = layer.index.bounds().expect("bounds");
    let fresh = FeatureIndex::build((0..layer.features.len()).filter_map(|i| layer.features.shape(i)).map(Indexed::of));
    assert_eq!(layer.index.query(&all), fresh.query(&all), "the same hits");
    group.bench_function("query every event, index edited in the middle", |b| {
        b.iter(|| layer.index.query(black_box(&all)).len());
    });
    group.bench_function("query every event, fresh index", |b| b.iter(|| fresh.query(black_box(&all)).len()));
    group.finish();

    let layer = &catalog.layers[0];
    let mut group = c.benchmark_group(format!("open at {len}"));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.bench_function("R-tree build", |b| {
        b.iter(|| FeatureIndex::build((0..len).filter_map(|i| layer.features.shape(i)).map(Indexed::of)));
    });
    let spans: Vec<(usize, DateSpan)> = layer.features.spans().enumerate().filter_map(|(i, s)| Some((i, s?))).collect();
    group.bench_function("time index build", |b| b.iter(|| TimeIndex::new(black_box(&spans))));
    assert_eq!(timeline_dates(&catalog).0, timeline_dates_from_every_span(&catalog).0, "the same extent");
    group.bench_function("timeline dates after a layer is added", |b| b.iter(|| timeline_dates(black_box(&catalog))));
    group.bench_function("timeline dates, every span read (as before)", |b| {
        b.iter(|| timeline_dates_from_every_span(black_box(&catalog)));
    });
    group.finish();
}

criterion_group!(benches, edit_1m);
criterion_main!(benches);
