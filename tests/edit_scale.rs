//! Edits on a big packed layer change the spatial index, the time index, the categories and
//! the id tally in place (issue #8: an edit costs in proportion to the edit). After every
//! step of a run of adds, moves, date changes, deletes, undos and redos, each must equal a
//! from-scratch rebuild on the same features: hit-testing, queries, dates, categories and
//! the next new id.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

use frontier_atlas::edit::{EditCommand, History, apply, new_feature_id};
use frontier_atlas::io::acled::{GeoJsonWriter, stream_acled_rows};
use frontier_atlas::io::geojson_fast::load_file;
use frontier_atlas::io::progress::Progress;
use frontier_atlas::model::{Catalog, FeatureId, Layer, LayerUid, hit_test_all, index_spans};
use frontier_atlas::spatial::{FeatureIndex, HitTolerance, Indexed, Viewport, WorldRect, world_from_geo};
use frontier_atlas::time::{DateSpan, Range, TimeIndex};
use serde_json::{Value, json};

#[path = "common/acled_gen.rs"]
mod acled_gen;

/// `n` generated events as GeoJSON (what `import acled` writes), read by the packed loader.
fn events(n: usize) -> Layer {
    let mut csv = Vec::new();
    acled_gen::generate_acled_csv(n, 5, &mut csv).unwrap();
    let file = tempfile::Builder::new().suffix(".geojson").tempfile().unwrap();
    let mut writer = GeoJsonWriter::new(std::io::BufWriter::new(file.reopen().unwrap())).unwrap();
    stream_acled_rows(&csv[..], "gen.csv", |row| writer.row(&row)).unwrap();
    std::io::Write::flush(&mut writer.finish().unwrap()).unwrap();
    load_file(file.path(), &Progress::new()).unwrap().layer
}

/// The same features, everything derived rebuilt from scratch (the id tally read from them).
fn rebuilt(layer: &Layer) -> Layer {
    let mut fresh = Layer::with_store(layer.name.clone(), layer.kind, layer.source.clone(), layer.features.clone());
    fresh.date_fields.clone_from(&layer.date_fields);
    index_spans(&mut fresh);
    fresh
}

/// Query rectangles over the generated area (66–76° E, 35–40° N) and a little beyond.
fn probes() -> Vec<WorldRect> {
    let mut out = Vec::new();
    for i in 0..6 {
        for j in 0..4 {
            let (lon, lat) = (65.5 + 1.9 * f64::from(i), 34.8 + 1.45 * f64::from(j));
            let a = world_from_geo(lon, lat);
            let b = world_from_geo(lon + 1.3, lat + 0.9);
            out.push(WorldRect { min: [a[0].min(b[0]), a[1].min(b[1])], max: [a[0].max(b[0]), a[1].max(b[1])] });
        }
    }
    out
}

const PREFIXES: [&str; 6] = ["NEW-FA-", "AFG", "TJK", "", "f-", "AID-NEW-"];

/// Everything an edit keeps up to date equals the rebuild.
fn assert_like_rebuilt(layer: &Layer, step: &str) {
    let fresh = rebuilt(layer);
    let n = layer.features.len();
    assert_eq!(layer.index.ids(), n, "{step}: index covers every feature");
    assert_eq!(layer.index.len(), fresh.index.len(), "{step}: indexed");
    assert_eq!(layer.index.bounds(), fresh.index.bounds(), "{step}: bounds");
    assert_eq!(layer.index.has_lines(), fresh.index.has_lines(), "{step}");
    assert_eq!(layer.index.has_areas(), fresh.index.has_areas(), "{step}");
    for i in 0..n {
        assert_eq!(layer.index.rect(i), fresh.index.rect(i), "{step}: rect {i}");
    }
    for r in probes() {
        assert_eq!(layer.index.query(&r), fresh.index.query(&r), "{step}: query {r:?}");
    }
    assert_eq!(layer.time_index, fresh.time_index, "{step}: time index");
    for i in 0..n {
        assert_eq!(layer.category_of(i), fresh.category_of(i), "{step}: category of {i}");
    }
    for p in PREFIXES {
        assert_eq!(new_feature_id(layer, p), new_feature_id(&fresh, p), "{step}: new id for {p:?}");
    }
}

/// A copy of feature `i` with a new id, `dx` degrees east.
fn copy_of(catalog: &Catalog, uid: LayerUid, i: usize, dx: f64) -> Box<frontier_atlas::model::Feature> {
    let layer = &catalog.layers[catalog.index_of(uid).unwrap()];
    let mut f = layer.features.get(i).unwrap().into_owned();
    let id = new_feature_id(layer, "NEW-FA-");
    f.properties.insert("event_id_cnty".into(), Value::String(id.to_string()));
    f.id = Some(id);
    f.geometry = f.geometry.map(|g| frontier_atlas::edit::geometry::translate(&g, dx, 0.0));
    Box::new(f)
}

fn layer_of(catalog: &Catalog, uid: LayerUid) -> &Layer {
    &catalog.layers[catalog.index_of(uid).unwrap()]
}

#[test]
fn adds_moves_redates_deletes_undos_and_redos_equal_a_rebuild() {
    let layer = events(3_000);
    assert!(
        layer.features.packed_count() > 2_900,
        "the layer is packed: {} of {}",
        layer.features.packed_count(),
        layer.features.len()
    );
    let uid = layer.uid;
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    let mut history = History::new(100);
    let n = layer_of(&catalog, uid).features.len();
    assert_like_rebuilt(layer_of(&catalog, uid), "loaded");

    let steps: Vec<(&str, Vec<EditCommand>)> = vec![
        ("move", vec![EditCommand::MoveFeature { layer: uid, index: 10, dx_deg: 0.5, dy_deg: -0.25 }]),
        (
            "redate",
            vec![EditCommand::SetProperty {
                layer: uid,
                index: 11,
                key: "event_date".into(),
                value: Some(json!("2030-05-06")),
            }],
        ),
        (
            "recategorise",
            vec![EditCommand::SetProperty {
                layer: uid,
                index: 12,
                key: "event_type".into(),
                value: Some(json!("Something new")),
            }],
        ),
        (
            "add at the end",
            vec![EditCommand::AddFeature { layer: uid, index: n, feature: copy_of(&catalog, uid, 3, 0.1) }],
        ),
        ("delete in the middle", vec![EditCommand::DeleteFeature { layer: uid, index: n / 2 }]),
        ("delete the first", vec![EditCommand::DeleteFeature { layer: uid, index: 0 }]),
        ("no geometry", vec![EditCommand::SetGeometry { layer: uid, index: 5, geometry: Value::Null }]),
        (
            "a line",
            vec![EditCommand::SetGeometry {
                layer: uid,
                index: 6,
                geometry: json!({"type": "LineString", "coordinates": [[70.0, 37.0], [71.0, 38.0]]}),
            }],
        ),
        (
            "an open-ended date field",
            vec![EditCommand::SetProperty {
                layer: uid,
                index: 7,
                key: "event_date".into(),
                value: Some(json!("2019-03-01/..")),
            }],
        ),
        ("undated", vec![EditCommand::SetProperty { layer: uid, index: 8, key: "event_date".into(), value: None }]),
    ];
    for (what, cmds) in steps {
        history.apply_group(&mut catalog, cmds, what).unwrap();
        assert_like_rebuilt(layer_of(&catalog, uid), what);
    }
    // An add in the middle, made against the current layer.
    let at = layer_of(&catalog, uid).features.len() / 3;
    let add = EditCommand::AddFeature { layer: uid, index: at, feature: copy_of(&catalog, uid, 20, -0.2) };
    history.apply_group(&mut catalog, vec![add], "add in the middle").unwrap();
    assert_like_rebuilt(layer_of(&catalog, uid), "add in the middle");
    let added = layer_of(&catalog, uid).features.get(at).unwrap().id.clone();
    assert!(matches!(&added, Some(FeatureId::Str(s)) if s.starts_with("NEW-FA-")), "{added:?}");

    let mut undone = 0;
    while history.undo(&mut catalog).unwrap().is_some() {
        undone += 1;
        assert_like_rebuilt(layer_of(&catalog, uid), &format!("undo {undone}"));
    }
    assert_eq!(undone, 11);
    assert_eq!(layer_of(&catalog, uid).features.len(), n);
    let mut redone = 0;
    while history.redo(&mut catalog).unwrap().is_some() {
        redone += 1;
        assert_like_rebuilt(layer_of(&catalog, uid), &format!("redo {redone}"));
    }
    assert_eq!(redone, 11);
}

#[test]
fn a_moved_event_is_hit_where_it_went_and_not_where_it_was() {
    let layer = events(2_000);
    let uid = layer.uid;
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    let i = 123;
    let was = layer_of(&catalog, uid).index.rect(i).unwrap().min;
    let inverse =
        apply(&mut catalog, EditCommand::MoveFeature { layer: uid, index: i, dx_deg: 3.0, dy_deg: 1.0 }).unwrap();
    let now = layer_of(&catalog, uid).index.rect(i).unwrap().min;
    assert!(now[0] > was[0], "moved east");
    let viewport = |p: [f64; 2]| {
        let (lon, lat) = frontier_atlas::spatial::geo_from_world(p);
        Viewport::centered(lon, lat, 14.0, [800.0, 600.0])
    };
    let hits = |catalog: &Catalog, at: [f64; 2]| {
        let v = viewport(at);
        let pos = v.screen_from_world(at);
        hit_test_all(&catalog.layers, &v, pos, HitTolerance::default(), |_, _| true)
            .into_iter()
            .map(|r| r.feature)
            .collect::<Vec<_>>()
    };
    assert!(hits(&catalog, now).contains(&i), "hit where it went");
    assert!(!hits(&catalog, was).contains(&i), "not where it was");
    let fresh = vec![rebuilt(layer_of(&catalog, uid))];
    let v = viewport(now);
    let pos = v.screen_from_world(now);
    let from_scratch: Vec<usize> =
        hit_test_all(&fresh, &v, pos, HitTolerance::default(), |_, _| true).into_iter().map(|r| r.feature).collect();
    assert_eq!(hits(&catalog, now), from_scratch);
    let _redo = apply(&mut catalog, inverse).unwrap();
    assert!(hits(&catalog, was).contains(&i), "back after the undo");
}

/// A small xorshift for the randomised sequences.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn random_rect(rng: &mut Rng) -> Option<WorldRect> {
    if rng.below(10) == 0 {
        return None;
    }
    let (x, y) = (rng.below(1000) as f64 / 1000.0, rng.below(1000) as f64 / 1000.0);
    let (w, h) =
        if rng.below(3) == 0 { (0.0, 0.0) } else { (rng.below(50) as f64 / 1000.0, rng.below(50) as f64 / 1000.0) };
    Some(WorldRect { min: [x, y], max: [x + w, y + h] })
}

fn random_indexed(rng: &mut Rng) -> Indexed {
    Indexed { bounds: random_rect(rng), has_lines: rng.below(4) == 0, has_area: rng.below(5) == 0 }
}

#[test]
fn the_spatial_index_in_place_equals_a_bulk_load() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Past the size where the build cuts slabs and loads them in parallel.
    let mut shapes: Vec<Indexed> = (0..60_000).map(|_| random_indexed(&mut rng)).collect();
    let mut index = FeatureIndex::build(shapes.iter().copied());
    for step in 0..300 {
        let n = shapes.len();
        match rng.below(3) {
            0 => {
                let (i, s) = (rng.below(n), random_indexed(&mut rng));
                shapes[i] = s;
                index.replace(i, s);
            }
            1 => {
                let (i, s) = (rng.below(n + 1), random_indexed(&mut rng));
                shapes.insert(i, s);
                index.insert(i, s);
            }
            _ => {
                let i = rng.below(n);
                shapes.remove(i);
                index.remove(i);
            }
        }
        if step % 50 == 0 || step == 299 {
            let fresh = FeatureIndex::build(shapes.iter().copied());
            assert_eq!(index.ids(), fresh.ids());
            assert_eq!(index.len(), fresh.len());
            assert_eq!(index.bounds(), fresh.bounds());
            assert_eq!((index.has_lines(), index.has_areas()), (fresh.has_lines(), fresh.has_areas()));
            for i in 0..shapes.len() {
                assert_eq!(index.rect(i), fresh.rect(i));
            }
            for _ in 0..200 {
                let r = random_rect(&mut rng).unwrap_or(WorldRect { min: [0.0, 0.0], max: [1.0, 1.0] }).expanded(0.01);
                assert_eq!(index.query(&r), fresh.query(&r), "step {step}");
            }
        }
    }
}

fn random_span(rng: &mut Rng) -> Option<DateSpan> {
    let day = |n: usize| chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Days::new(n as u64);
    let start = day(rng.below(4000));
    match rng.below(10) {
        0 => None,
        1 => DateSpan::parse(&format!("{start}/..")).ok(),
        2 => DateSpan::new(start, start + chrono::Days::new(rng.below(900) as u64)),
        _ => DateSpan::new(start, start + chrono::Days::new(rng.below(32) as u64)),
    }
}

#[test]
fn the_time_index_in_place_equals_a_fresh_one() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut spans: Vec<Option<DateSpan>> = (0..20_000).map(|_| random_span(&mut rng)).collect();
    let build = |spans: &[Option<DateSpan>]| {
        let pairs: Vec<(usize, DateSpan)> = spans.iter().enumerate().filter_map(|(i, s)| Some((i, (*s)?))).collect();
        TimeIndex::new(&pairs)
    };
    let mut index = build(&spans);
    for step in 0..600 {
        let n = spans.len();
        match rng.below(3) {
            0 => {
                let (i, s) = (rng.below(n), random_span(&mut rng));
                assert!(index.replace(i, spans[i], s));
                spans[i] = s;
            }
            1 => {
                let (i, s) = (rng.below(n + 1), random_span(&mut rng));
                spans.insert(i, s);
                index.insert(i, s);
            }
            _ => {
                let i = rng.below(n);
                spans.remove(i);
                index.remove(i);
            }
        }
        if step % 60 == 0 || step == 599 {
            let fresh = build(&spans);
            assert_eq!(index, fresh, "step {step}");
            assert_eq!(index.extent(), fresh.extent());
            let from = chrono::NaiveDate::from_ymd_opt(2017, 3, 1).unwrap();
            let range = Range { from, to: from + chrono::Days::new(40) };
            let mut a: Vec<usize> = index.visible(&range).collect();
            let mut b: Vec<usize> = fresh.visible(&range).collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        }
    }
    // A span that is not there is refused, and nothing changes.
    let before = index.clone();
    let absent = DateSpan::parse("1900-01-01").unwrap();
    assert!(!index.replace(0, Some(absent), None));
    assert_eq!(index, before);
}

#[test]
fn extent_first_closed_start_and_start_days_match_the_spans() {
    let mut rng = Rng(77);
    let spans: Vec<DateSpan> = (0..5_000).filter_map(|_| random_span(&mut rng)).collect();
    let pairs: Vec<(usize, DateSpan)> = spans.iter().copied().enumerate().collect();
    let index = TimeIndex::new(&pairs);
    let closed = spans.iter().filter(|s| !s.is_open_ended());
    assert_eq!(index.first_closed_start(), closed.map(|s| s.start).min());
    let mut days: Vec<_> = spans.iter().map(|s| s.start).collect();
    days.sort_unstable();
    days.dedup();
    assert_eq!(index.start_days(), days);
    let lo = spans.iter().map(|s| s.start).min().unwrap();
    let hi = spans.iter().map(|s| if s.is_open_ended() { s.start } else { s.end }).max().unwrap();
    assert_eq!(index.extent(), Some(Range { from: lo, to: hi }));
    // Only open-ended spans: no closed start.
    let open: Vec<(usize, DateSpan)> = vec![(0, DateSpan::parse("2020-01-01/..").unwrap())];
    assert_eq!(TimeIndex::new(&open).first_closed_start(), None);
}

#[test]
fn new_ids_follow_the_tally_without_reading_features() {
    let layer = events(1_000);
    let uid = layer.uid;
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    // The loader tallied the ids: asking decodes nothing.
    let first = new_feature_id(layer_of(&catalog, uid), "NEW-FA-");
    assert_eq!(first, FeatureId::Str("NEW-FA-001".into()));
    let afg = new_feature_id(layer_of(&catalog, uid), "AFG");
    assert_eq!(afg, new_feature_id(&rebuilt(layer_of(&catalog, uid)), "AFG"));
    // Add three, delete the highest: the next is the one after the highest left.
    let mut history = History::new(100);
    for k in 0..3 {
        let n = layer_of(&catalog, uid).features.len();
        let f = copy_of(&catalog, uid, k, 0.0);
        history
            .apply_group(&mut catalog, vec![EditCommand::AddFeature { layer: uid, index: n, feature: f }], "add")
            .unwrap();
    }
    assert_eq!(new_feature_id(layer_of(&catalog, uid), "NEW-FA-"), FeatureId::Str("NEW-FA-004".into()));
    let last = layer_of(&catalog, uid).features.len() - 1;
    history.apply_group(&mut catalog, vec![EditCommand::DeleteFeature { layer: uid, index: last }], "delete").unwrap();
    assert_eq!(new_feature_id(layer_of(&catalog, uid), "NEW-FA-"), FeatureId::Str("NEW-FA-003".into()));
    history.undo(&mut catalog).unwrap();
    assert_eq!(new_feature_id(layer_of(&catalog, uid), "NEW-FA-"), FeatureId::Str("NEW-FA-004".into()));
}

/// A district-like polygon of `n` wiggly vertices around (`lon`, `lat`).
fn wiggly(n: usize, lon: f64, lat: f64, r: f64) -> Value {
    let mut ring: Vec<Value> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            let w = 1.0 + 0.08 * (a * 7.0).sin() + 0.02 * (a * 97.0).sin();
            json!([lon + r * w * a.cos(), lat + r * w * a.sin()])
        })
        .collect();
    ring.push(ring[0].clone());
    json!({"type": "Polygon", "coordinates": [ring]})
}

#[test]
fn simplified_copies_after_edits_equal_the_content_matched_refresh() {
    use frontier_atlas::model::{Feature, LayerKind, LayerSource};
    use frontier_atlas::spatial::Shape;
    use frontier_atlas::spatial::lod::LodSet;
    use std::sync::Arc;

    let feature = |i: usize| {
        let geometry = wiggly(800, 67.0 + f64::from(i as u32 % 6), 35.5 + f64::from(i as u32 / 6), 0.4);
        let geo = frontier_atlas::io::geojson::geo_from_json(&geometry).unwrap();
        let mut properties = serde_json::Map::new();
        properties.insert("shapeName".into(), format!("D{i}").into());
        Feature {
            id: Some(FeatureId::Str(format!("D{i:03}"))),
            geometry: Some(geometry),
            properties,
            foreign_members: serde_json::Map::new(),
            shape: Shape::from_geo(Some(&geo)),
            time: None,
        }
    };
    let mut layer = Layer::new("d", LayerKind::Districts, LayerSource::Embedded("t"), (0..12).map(feature).collect());
    let built = {
        let features: Vec<_> = layer.features.iter().collect();
        LodSet::build(features.iter().map(|f| &f.shape))
    };
    layer.lod = Some(Arc::new(built));
    let uid = layer.uid;
    let mut catalog = Catalog::default();
    catalog.insert(layer);
    // The reference goes through the old path: every shape fingerprinted, matched by content.
    let mut reference = layer_of(&catalog, uid).lod.clone().unwrap();
    let mut history = History::new(100);
    let check = |catalog: &Catalog, reference: &mut Arc<LodSet>, step: &str| {
        let layer = layer_of(catalog, uid);
        let shapes: Vec<_> = layer.features.iter().collect();
        *reference = Arc::clone(reference).refreshed(shapes.iter().map(|f| &f.shape)).unwrap();
        let edited = layer.lod.as_ref().and_then(|l| l.ready()).expect("copies");
        assert_eq!(Some(edited), reference.ready(), "{step}");
    };
    let steps = vec![
        EditCommand::MoveFeature { layer: uid, index: 4, dx_deg: 0.3, dy_deg: 0.1 },
        EditCommand::DeleteFeature { layer: uid, index: 2 },
        EditCommand::AddFeature { layer: uid, index: 5, feature: Box::new(feature(40)) },
        EditCommand::SetGeometry { layer: uid, index: 0, geometry: Value::Null },
        EditCommand::SetProperty { layer: uid, index: 1, key: "x".into(), value: Some(json!(1)) },
    ];
    for (k, cmd) in steps.into_iter().enumerate() {
        history.apply(&mut catalog, cmd, "edit").unwrap();
        check(&catalog, &mut reference, &format!("edit {k}"));
    }
    while history.undo(&mut catalog).unwrap().is_some() {
        check(&catalog, &mut reference, "undo");
    }
    while history.redo(&mut catalog).unwrap().is_some() {
        check(&catalog, &mut reference, "redo");
    }
}
