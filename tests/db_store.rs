//! The team store on a real PostgreSQL/PostGIS server (issue 12): migrations, publish → export
//! round trips with every value's exact text, hostile names, roles and authorship, the bbox and
//! date push-down, and the EWKB codec against PostGIS.
//!
//! The server comes from `FA_TEST_PG` (see `tests/common/pg.rs`); each test has its own database.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use frontier_atlas::db::{self, DbError, ewkb};
use frontier_atlas::io::open::open_layers;
use frontier_atlas::model::{Feature, Layer};
use serde_json::{Value, json};

#[path = "common/pg.rs"]
mod pg;
use pg::TestDb;

#[path = "common/shared_data.rs"]
mod shared_data;

#[path = "common/acled_gen.rs"]
mod acled_gen;

#[path = "common/net.rs"]
mod net;

const NEEDS_PG: &str = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)";

/// A fresh database with the store initialised; returns it and a superuser client.
fn store(prefix: &str) -> (TestDb, postgres::Client) {
    let t = TestDb::new(prefix);
    let mut c = db::connect(&t.url).unwrap();
    db::migrate(&mut c).unwrap();
    (t, c)
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

fn one_layer(path: &Path) -> Layer {
    let mut l = open_layers(path).unwrap();
    assert_eq!(l.len(), 1, "{}", path.display());
    l.remove(0).layer
}

fn props_text(f: &Feature) -> String {
    serde_json::to_string(&f.properties).unwrap()
}

/// Every coordinate as f64, in order (GeoJSON number spelling aside, positions must match).
fn coords(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        Value::Array(a) => a.iter().for_each(|x| coords(x, out)),
        Value::Object(o) => {
            o.iter()
                .filter(|(k, _)| ["coordinates", "geometries"].contains(&k.as_str()))
                .for_each(|(_, x)| coords(x, out));
        }
        _ => {}
    }
}

/// Publishes `source` and exports it to GeoJSON; every feature comes back with the same
/// properties text (after taking off `atlas_fid`/`atlas_version`), id, foreign members,
/// geometry type and positions (with Z), and the collection's members.
fn round_trip(c: &mut postgres::Client, source: &Layer, name: &str, dir: &Path) {
    let report = db::publish(c, source, name).unwrap();
    assert_eq!(report.features, source.features.len());
    let out = dir.join("export.geojson");
    db::export(c, name, &out).unwrap();
    let mut back = one_layer(&out);
    assert_eq!(back.features.len(), source.features.len(), "{name}");
    let stamp = back.foreign_members.shift_remove("atlas_export").expect("the export names layer and seq");
    assert_eq!(stamp["layer"], json!(name));
    assert!(stamp["seq"].as_i64().unwrap() >= source.features.len() as i64);
    assert_eq!(back.foreign_members, source.foreign_members, "{name}: collection members");
    let mut fids = std::collections::HashSet::new();
    for (i, (a, b)) in source.features.iter().zip(back.features.iter()).enumerate() {
        let mut b: Feature = (*b).clone();
        let (fid, version) = db::export::take_store_keys(&mut b.properties).unwrap();
        assert!(fids.insert(fid.expect("every exported feature carries atlas_fid")));
        assert_eq!(version, Some(1));
        assert_eq!(props_text(&b), props_text(&a), "{name}: feature #{i} properties text");
        assert_eq!(b.id, a.id, "{name}: feature #{i} id");
        assert_eq!(b.foreign_members, a.foreign_members, "{name}: feature #{i} foreign members");
        let (ga, gb) = (a.geometry.clone().unwrap_or(Value::Null), b.geometry.clone().unwrap_or(Value::Null));
        assert_eq!(ga.get("type"), gb.get("type"), "{name}: feature #{i} geometry type");
        // The geometry object's own members (bbox, foreign ones) and their order are kept too.
        let members = |g: &Value| {
            g.as_object().map(|o| {
                o.iter()
                    .filter(|(k, _)| *k != "coordinates" && *k != "geometries")
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(members(&ga), members(&gb), "{name}: feature #{i} geometry members");
        let (mut ca, mut cb) = (Vec::new(), Vec::new());
        coords(&ga, &mut ca);
        coords(&gb, &mut cb);
        assert_eq!(ca, cb, "{name}: feature #{i} positions");
    }
    // Opening (no export tags) gives the same properties and the fids/versions per feature.
    let opened = db::open_layer(c, name, None, None).unwrap();
    assert_eq!(opened.rows.len(), source.features.len());
    for (a, b) in source.features.iter().zip(opened.layer.features.iter()) {
        assert_eq!(props_text(&b), props_text(&a));
        assert_eq!(b.time, a.time, "{name}: date spans");
    }
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn init_twice_changes_nothing_the_second_time() {
    let t = TestDb::new("init");
    assert_eq!(db::init(&t.url).unwrap(), vec![1, 2]);
    assert_eq!(db::init(&t.url).unwrap(), Vec::<i32>::new());
    let mut c = t.client();
    let n: i64 = c.query_one("SELECT count(*) FROM atlas.migrations", &[]).unwrap().get(0);
    assert_eq!(n, 2);
    for role in ["atlas_viewer", "atlas_analyst", "atlas_owner"] {
        let ok: bool =
            c.query_one("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", &[&role]).unwrap().get(0);
        assert!(ok, "{role}");
    }
    let ok: bool = c.query_one("SELECT pg_has_role('atlas_owner', 'atlas_viewer', 'MEMBER')", &[]).unwrap().get(0);
    assert!(ok);
    assert!(db::list_layers(&mut c).unwrap().is_empty());
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_store_not_initialised_says_so() {
    let t = TestDb::new("noinit");
    let mut c = db::connect(&t.url).unwrap();
    let l = one_layer(&fixture("roundtrip/canonical_events.geojson"));
    let e = db::publish(&mut c, &l, "x").unwrap_err();
    assert!(matches!(e, DbError::NotInitialised), "{e}");
    assert!(e.to_string().contains("db init"), "{e}");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn fixtures_round_trip_with_exact_text() {
    let (_t, mut c) = store("fixtures");
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for name in [
        "roundtrip/canonical_events.geojson",
        "roundtrip/foreign_members.geojson",
        "roundtrip/geometry_collection.geojson",
        "roundtrip/ids_numeric_and_string.geojson",
        "roundtrip/multipolygon_holes.geojson",
        "roundtrip/nested_properties.geojson",
        "roundtrip/null_geometry.geojson",
        "roundtrip/pretty_input.geojson",
        "roundtrip/properties_null.geojson",
        "roundtrip/three_d.geojson",
        "roundtrip/unicode_names.geojson",
        "roundtrip/bbox_everywhere.geojson",
        "gpkg/districts.geojson",
        "gpkg/places.geojson",
        "gpkg/rivers.geojson",
    ] {
        let layer = one_layer(&fixture(name));
        round_trip(&mut c, &layer, name, dir.path());
        n += 1;
    }
    assert_eq!(db::list_layers(&mut c).unwrap().len(), n);
    // 3-D is recorded in the catalogue.
    let info = db::schema::layer_info(&mut c, "roundtrip/three_d.geojson").unwrap();
    assert!(info.has_z);
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn numbers_keys_and_members_keep_their_exact_text() {
    let (_t, mut c) = store("exact");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("exact.geojson");
    std::fs::write(
        &src,
        r#"{"type":"FeatureCollection","name":"exact","features":[
 {"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[69.25,37.5,1200.75]},
  "properties":{"z":1.50,"a":1e3,"big":12345678901234567890123,"m":-0.0,"s":"\u00e9\"q","n":null,"o":{"y":1,"x":[1.0,2]}},
  "source":{"who":"UN","pages":[1,2]}},
 {"type":"Feature","geometry":null,"properties":null}
]}"#,
    )
    .unwrap();
    let layer = one_layer(&src);
    round_trip(&mut c, &layer, "exact", dir.path());
    let out = dir.path().join("exact-out.geojson");
    db::export(&mut c, "exact", &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    // The app reads `1e3` as `1e+3` (serde_json's spelling of the same number); the rest as written.
    assert!(text.contains(r#"{"z":1.50,"a":1e+3,"big":12345678901234567890123,"m":-0.0,"#), "{text}");
    assert!(text.contains(r#"{"type":"Feature","geometry":null,"properties":{"atlas_fid""#), "no invented id: {text}");
    assert!(text.contains(r#""name""#) && text.contains(r#""source""#), "{text}");
    assert!(text.contains("1200.75"), "Z kept: {text}");
}

#[test]
#[cfg_attr(
    any(missing_pg, missing_shared_data),
    ignore = "needs a PostgreSQL/PostGIS server (FA_TEST_PG, see .ci/run) and ../shared/data (see README)"
)]
fn the_official_district_file_round_trips() {
    let (_t, mut c) = store("districts");
    let dir = tempfile::tempdir().unwrap();
    let path = shared_data::shared_data("geoboundaries/geoBoundaries-TJK-ADM2.geojson");
    let layer = one_layer(&path);
    assert!(layer.features.len() > 10);
    round_trip(&mut c, &layer, "TJK districts", dir.path());
    // And to a GeoPackage, read back with the same properties (plus the two store columns).
    let gpkg = dir.path().join("districts.gpkg");
    db::export(&mut c, "TJK districts", &gpkg).unwrap();
    let back = one_layer(&gpkg);
    assert_eq!(back.features.len(), layer.features.len());
    assert!(
        back.features
            .iter()
            .all(|f| f.properties.contains_key("atlas_fid") && f.properties.contains_key("atlas_version"))
    );
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_hostile_layer_name_publishes_and_harms_nothing() {
    let (_t, mut c) = store("hostile");
    c.batch_execute("CREATE TABLE x (a int); INSERT INTO x VALUES (1)").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let layer = one_layer(&fixture("roundtrip/canonical_events.geojson"));
    for name in [r#"posts"; DROP TABLE x; --"#, "it's'); DROP TABLE x; --", r"back\slash $$ $f$"] {
        round_trip(&mut c, &layer, name, dir.path());
        assert!(db::can_edit(&mut c, name).unwrap().is_none());
    }
    let n: i64 = c.query_one("SELECT count(*) FROM x", &[]).unwrap().get(0);
    assert_eq!(n, 1, "table x survived");
    let names: Vec<String> = db::list_layers(&mut c).unwrap().into_iter().map(|l| l.name).collect();
    assert!(names.contains(&r#"posts"; DROP TABLE x; --"#.to_owned()), "{names:?}");
    // The changes of a hostile-named layer are logged under its exact name.
    let logged: i64 = c
        .query_one("SELECT count(*) FROM atlas.changes WHERE layer = $1", &[&r#"posts"; DROP TABLE x; --"#])
        .unwrap()
        .get(0);
    assert_eq!(logged, layer.features.len() as i64);
    // Publishing a taken name is refused in words.
    let e = db::publish(&mut c, &layer, r#"posts"; DROP TABLE x; --"#).unwrap_err();
    assert!(e.to_string().contains("already has a layer"), "{e}");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_viewer_cannot_write_and_is_told_why() {
    let (t, mut admin) = store("viewer");
    let layer = one_layer(&fixture("roundtrip/canonical_events.geojson"));
    db::publish(&mut admin, &layer, "events").unwrap();
    let viewer = t.login_role("vera", "atlas_viewer");
    let mut c = db::connect(&t.url_as(&viewer)).unwrap();
    // Reads work.
    let opened = db::open_layer(&mut c, "events", None, None).unwrap();
    assert_eq!(opened.layer.features.len(), layer.features.len());
    // The app is told the layer is read-only, and why.
    let why = db::can_edit(&mut c, "events").unwrap().expect("read-only for a viewer");
    assert!(why.contains(&viewer) && why.contains("atlas_analyst"), "{why}");
    // Publishing is refused in words.
    let e = db::publish(&mut c, &layer, "mine").unwrap_err();
    assert!(matches!(e, DbError::Denied(_)), "{e}");
    assert!(e.to_string().contains("may not publish") && e.to_string().contains(&viewer), "{e}");
    // A direct write is refused by the server and changes nothing.
    let table = db::schema::table_of(&mut c, "events").unwrap();
    let err = c.execute(&format!("DELETE FROM {table}"), &[]).unwrap_err();
    let e = DbError::from_pg(&err);
    assert!(matches!(e, DbError::Denied(_)), "{e}");
    assert!(e.to_string().starts_with("not allowed: permission denied"), "{e}");
    let n: i64 = admin.query_one(&format!("SELECT count(*) FROM {table}"), &[]).unwrap().get(0);
    assert_eq!(n, layer.features.len() as i64);
    // An analyst may edit.
    let analyst = t.login_role("ana", "atlas_analyst");
    let mut a = db::connect(&t.url_as(&analyst)).unwrap();
    assert_eq!(db::can_edit(&mut a, "events").unwrap(), None);
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn the_author_is_the_session_role_whatever_the_client_claims() {
    let (t, mut admin) = store("author");
    let layer = one_layer(&fixture("roundtrip/canonical_events.geojson"));
    db::publish(&mut admin, &layer, "events").unwrap();
    let analyst = t.login_role("ana", "atlas_analyst");
    let mut c = db::connect(&t.url_as(&analyst)).unwrap();
    let table = db::schema::table_of(&mut c, "events").unwrap();
    let opened = db::open_layer(&mut c, "events", None, None).unwrap();
    let first = opened.rows[0];
    let mut tx = c.transaction().unwrap();
    tx.execute("SELECT set_config('atlas.note', $1, true)", &[&"fixed the date"]).unwrap();
    // Claims another author and a made-up version: the server overrides both.
    let n = tx
        .execute(
            &format!(
                "UPDATE {table} SET updated_by = 'mallory', version = 99, props = '{{\"a\":1}}' \
                 WHERE fid = $1 AND version = $2"
            ),
            &[&first.fid, &first.version],
        )
        .unwrap();
    assert_eq!(n, 1);
    let f = frontier_atlas::model::Feature::clone(&layer.features.get(1).expect("a second feature"));
    let row = db::publish::Row::of(&f, layer.kind).unwrap();
    let new_fid = uuid::Uuid::new_v4();
    let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&new_fid];
    params.extend(row.params());
    tx.execute(
        &format!(
            "INSERT INTO {table} (fid, version, updated_by, {}) VALUES ($1, 42, 'mallory', {})",
            db::publish::ROW_COLUMNS,
            db::publish::Row::values_sql(2)
        ),
        &params,
    )
    .unwrap();
    tx.commit().unwrap();
    let r = admin.query_one(&format!("SELECT version, updated_by FROM {table} WHERE fid = $1"), &[&first.fid]).unwrap();
    assert_eq!((r.get::<_, i64>(0), r.get::<_, String>(1)), (first.version + 1, analyst.clone()));
    let r = admin.query_one(&format!("SELECT version, updated_by FROM {table} WHERE fid = $1"), &[&new_fid]).unwrap();
    assert_eq!((r.get::<_, i64>(0), r.get::<_, String>(1)), (1, analyst.clone()));
    let h = admin
        .query(
            "SELECT author, note, op, version FROM atlas.history WHERE layer = 'events' AND author <> 'postgres' ORDER BY at, version",
            &[],
        )
        .unwrap();
    assert_eq!(h.len(), 2);
    for row in &h {
        assert_eq!(row.get::<_, String>(0), analyst);
        assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("fixed the date"));
    }
    // The analyst cannot forge history directly.
    let err = c
        .execute(
            "INSERT INTO atlas.history (layer, fid, version, op, author, at) VALUES ('events', $1, 9, 'update', 'mallory', now())",
            &[&new_fid],
        )
        .unwrap_err();
    assert!(matches!(DbError::from_pg(&err), DbError::Denied(_)), "{err}");
    // The whole history reads back as the exact feature: the update's props, the insert's row.
    let changes: i64 =
        admin.query_one("SELECT count(*) FROM atlas.changes WHERE author = $1", &[&analyst]).unwrap().get(0);
    assert_eq!(changes, 2);
}

/// The features of `layer` whose geometry box meets `bbox` and whose span meets the range,
/// computed in Rust from the source file: what the SQL push-down must return.
fn brute_force(layer: &Layer, bbox: [f64; 4], from: NaiveDate, to: NaiveDate) -> Vec<String> {
    layer
        .features
        .iter()
        .filter(|f| {
            let mut c = Vec::new();
            coords(f.geometry.as_ref().unwrap_or(&Value::Null), &mut c);
            let xs: Vec<f64> = c.iter().step_by(2).copied().collect();
            let ys: Vec<f64> = c.iter().skip(1).step_by(2).copied().collect();
            let (x0, x1) = xs.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            let (y0, y1) = ys.iter().fold((f64::MAX, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
            let meets = !c.is_empty() && x0 <= bbox[2] && x1 >= bbox[0] && y0 <= bbox[3] && y1 >= bbox[1];
            let dated = f.time.is_some_and(|s| s.start <= to && s.end >= from);
            meets && dated
        })
        .map(|f| props_text(&f))
        .collect()
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn bbox_and_dates_pushed_down_give_exactly_the_brute_force_subset() {
    let (_t, mut c) = store("pushdown");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    let mut file = std::fs::File::create(&csv).unwrap();
    acled_gen::generate_acled_csv(4000, 7, &mut file).unwrap();
    drop(file);
    let layer = one_layer(&csv);
    assert_eq!(layer.features.len(), 4000);
    db::publish(&mut c, &layer, "events").unwrap();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    for (bbox, from, to) in [
        ([67.0, 36.5, 72.0, 38.5], d("2021-01-01"), d("2021-12-31")),
        ([66.0, 35.0, 76.0, 40.0], d("2016-03-07"), d("2016-03-07")),
        ([70.0, 37.0, 70.5, 37.5], d("2010-01-01"), d("2030-01-01")),
        ([80.0, 45.0, 81.0, 46.0], d("2010-01-01"), d("2030-01-01")),
    ] {
        let want = brute_force(&layer, bbox, from, to);
        let got = db::open_layer(&mut c, "events", Some(bbox), Some((from, to))).unwrap();
        let got: Vec<String> = got.layer.features.iter().map(|f| props_text(&f)).collect();
        assert_eq!(got, want, "{bbox:?} {from}..{to}");
    }
    // Without filters: everything, in the published order.
    let all = db::open_layer(&mut c, "events", None, None).unwrap();
    let got: Vec<String> = all.layer.features.iter().map(|f| props_text(&f)).collect();
    let want: Vec<String> = layer.features.iter().map(|f| props_text(&f)).collect();
    assert_eq!(got, want);
    // The plan uses the indexes (on a big enough table the planner would; here we only check
    // the query is the indexed form: `&&` and the date columns).
    let table = db::schema::table_of(&mut c, "events").unwrap();
    let idx: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'atlas' AND tablename = $1",
            &[&table.trim_start_matches("\"atlas\".\"").trim_end_matches('"')],
        )
        .unwrap()
        .get(0);
    assert_eq!(idx, 4, "primary key, GiST on geom, btree on dates, btree on the publish order");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn ewkb_is_exactly_what_postgis_writes() {
    let t = TestDb::new("ewkb");
    let mut c = t.client();
    let geometries = [
        json!({"type": "Point", "coordinates": [69.25, 37.5]}),
        json!({"type": "Point", "coordinates": [69.25, 37.5, 1200.0]}),
        json!({"type": "Point", "coordinates": []}),
        json!({"type": "LineString", "coordinates": [[1.0, 2.0], [3.5, 4.25], [-5.0, 6.0]]}),
        json!({"type": "LineString", "coordinates": [[1.0, 2.0, 3.0], [3.5, 4.25, -1.0]]}),
        json!({"type": "Polygon", "coordinates": [
            [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],
            [[2.0, 2.0], [4.0, 2.0], [4.0, 4.0], [2.0, 2.0]],
            [[6.0, 6.0], [8.0, 6.0], [8.0, 8.0], [6.0, 6.0]]]}),
        json!({"type": "Polygon", "coordinates": [
            [[0.0, 0.0, 1.0], [10.0, 0.0, 2.0], [10.0, 10.0, 3.0], [0.0, 0.0, 1.0]],
            [[2.0, 2.0, 1.0], [4.0, 2.0, 1.0], [4.0, 4.0, 1.0], [2.0, 2.0, 1.0]]]}),
        json!({"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
        json!({"type": "MultiPoint", "coordinates": [[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]]}),
        json!({"type": "MultiLineString", "coordinates": [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]}),
        json!({"type": "MultiLineString", "coordinates": [[[1.0, 2.0, 0.5], [3.0, 4.0, 0.5]]]}),
        json!({"type": "MultiPolygon", "coordinates": [
            [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]], [[2.0, 1.0], [4.0, 1.0], [4.0, 2.0], [2.0, 1.0]]],
            [[[20.0, 20.0], [30.0, 20.0], [30.0, 30.0], [20.0, 20.0]]]]}),
        json!({"type": "MultiPolygon", "coordinates": [
            [[[0.0, 0.0, 9.0], [10.0, 0.0, 9.0], [10.0, 10.0, 9.0], [0.0, 0.0, 9.0]]]]}),
        json!({"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [1.0, 2.0]},
            {"type": "MultiLineString", "coordinates": [[[1.0, 2.0], [3.0, 4.0]]]}]}),
        json!({"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [1.0, 2.0, 3.0]},
            {"type": "Polygon", "coordinates": [[[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]]}]}),
    ];
    for g in &geometries {
        let x = ewkb::encode(g).unwrap();
        let row = c
            .query_one("SELECT ST_AsEWKB(ST_GeomFromEWKB($1::bytea)), ST_SRID(ST_GeomFromEWKB($1::bytea)), ST_AsGeoJSON(ST_GeomFromEWKB($1::bytea))", &[&x])
            .unwrap();
        let back: Vec<u8> = row.get(0);
        assert_eq!(back, x, "ST_AsEWKB(ST_GeomFromEWKB(x)) = x for {g}");
        assert_eq!(row.get::<_, i32>(1), 4326);
        if g["coordinates"] != json!([]) {
            assert_eq!(ewkb::decode(&x).unwrap().as_ref(), Some(g), "decode(encode(g)) = g");
            // PostGIS reads the same geometry (its GeoJSON, as numbers).
            let theirs: Value = serde_json::from_str(&row.get::<_, String>(2)).unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            coords(g, &mut a);
            coords(&theirs, &mut b);
            assert_eq!(a, b, "{g}");
        }
    }
    // What PostGIS writes for its own geometries decodes to the same GeoJSON.
    let theirs: Vec<u8> = c
        .query_one("SELECT ST_AsEWKB(ST_GeomFromText('SRID=4326;POLYGON Z((0 0 1,1 0 1,1 1 1,0 0 1))'))", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        ewkb::decode(&theirs).unwrap(),
        Some(
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]]})
        )
    );
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn the_cli_publishes_and_exports() {
    let t = TestDb::new("cli");
    let bin = env!("CARGO_BIN_EXE_frontier-atlas");
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let o = run(&["db", "init", &t.url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let src = fixture("roundtrip/canonical_events.geojson");
    let o = run(&["db", "publish", &t.url, src.to_str().unwrap(), "--layer", "events"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("published “events”"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("e.gpkg");
    let o = run(&["db", "export", &t.url, "events", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(one_layer(&out).features.len(), one_layer(&src).features.len());
    let o = run(&["db", "export", &t.url, "nope", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no layer “nope”"), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = NEEDS_PG;
}

/// The error of a connection that must fail.
fn connect_err(url: &str) -> DbError {
    match db::connect(url) {
        Ok(_) => panic!("{url} connected"),
        Err(e) => e,
    }
}

/// A refused login is not "offline": only real unreachability may send edits to the outbox
/// (defect: every failed connection was taken as unreachable, so a wrong password queued the
/// analyst's edits silently). Decided on SQLSTATE / closed / I/O kind, never on text.
#[test]
fn a_refused_login_is_told_apart_from_an_unreachable_server() {
    // A wrong password (SQLSTATE 28P01; the trust-auth test cluster cannot say it).
    let port =
        net::fake_server(net::Answer::Error("28P01", "password authentication failed for user \"alice\"".to_owned()));
    let e = connect_err(&format!("postgresql://alice:s3cret@127.0.0.1:{port}/atlas"));
    assert!(matches!(e, DbError::Refused { .. }) && !e.is_unreachable(), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("refused alice's login") && text.contains("password authentication failed"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    // No such database (3D000) and a role without CONNECT (42501): refused too.
    for (code, words) in [("3D000", "database \"atlas\" does not exist"), ("42501", "permission denied for database")] {
        let port = net::fake_server(net::Answer::Error(code, words.to_owned()));
        let e = connect_err(&format!("postgresql://alice@127.0.0.1:{port}/atlas"));
        assert!(matches!(e, DbError::Refused { .. }) && !e.is_unreachable(), "{code}: {e:?}");
    }
    // The server starting up (57P03) is unreachable for now.
    let port = net::fake_server(net::Answer::Error("57P03", "the database system is starting up".to_owned()));
    let e = connect_err(&format!("postgresql://alice@127.0.0.1:{port}/atlas"));
    assert!(e.is_unreachable(), "{e:?}");
    // Nothing listening: connection refused.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = connect_err(&format!("postgresql://alice@127.0.0.1:{free}/atlas"));
    assert!(e.is_unreachable(), "{e:?}");
    assert!(e.to_string().contains("cannot be reached"), "{e}");
    // A host that does not answer (TEST-NET-1): the connect timeout, or no route to it.
    let t = std::time::Instant::now();
    let e = connect_err("postgresql://alice@192.0.2.1:5432/atlas?connect_timeout=2");
    assert!(e.is_unreachable(), "{e:?}");
    assert!(t.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_real_server_refuses_logins_and_a_cut_connection_is_unreachable() {
    let (t, mut admin) = store("refused");
    let alice = t.login_role("alice", "atlas_analyst");
    admin.batch_execute(&format!("ALTER ROLE \"{alice}\" NOLOGIN")).unwrap();
    let e = connect_err(&t.url_as(&alice));
    assert!(matches!(e, DbError::Refused { .. }), "{e:?}");
    assert!(e.to_string().contains(&format!("refused {alice}'s login")), "{e}");
    let e = connect_err(&pg::with_database(&t.url, "fa_no_such_database"));
    assert!(matches!(e, DbError::Refused { .. }), "{e:?}");
    // A session the server ends (the backend terminated mid-work) is unreachable, so a save
    // in flight goes to the outbox and its operation id makes the retry apply once.
    admin.batch_execute(&format!("ALTER ROLE \"{alice}\" LOGIN")).unwrap();
    let mut c = db::connect(&t.url_as(&alice)).unwrap();
    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    admin.execute("SELECT pg_terminate_backend($1)", &[&pid]).unwrap();
    let err = c.query_one("SELECT 1", &[]).unwrap_err();
    assert!(DbError::from_pg(&err).is_unreachable(), "{err:?}");
    // Through a proxy taken down: refused at connect, and an open session cut.
    let mut proxy = net::Proxy::to_url(&t.url);
    let mut c = db::connect(&proxy.url(&t.url_as(&alice))).unwrap();
    proxy.down();
    let err = c.query_one("SELECT 1", &[]).unwrap_err();
    assert!(DbError::from_pg(&err).is_unreachable(), "{err:?}");
    let e = connect_err(&proxy.url(&t.url_as(&alice)));
    assert!(e.is_unreachable(), "{e:?}");
    proxy.up();
    db::connect(&proxy.url(&t.url_as(&alice))).unwrap();
}

/// Defect (issue 12): a store layer was read `ORDER BY ord` with no index on `ord`, so opening
/// a whole million-row layer sorted every row's text on the server (spilling to disk: about
/// half of the open's time). A layer table has an index on `ord` (migration 2 adds it to the
/// tables published before), the whole layer is read in order from it, and the features come
/// back in the order they were published, also after edits moved rows on disk.
#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_whole_layer_is_read_in_publish_order_from_an_index() {
    let (t, mut c) = store("ord_index");
    let features: Vec<Feature> = (0..2000)
        .map(|i| {
            let g = json!({"type": "Point", "coordinates": [60.0 + f64::from(i % 100) / 10.0, 35.0]});
            Feature {
                id: Some(frontier_atlas::model::FeatureId::Str(format!("F{i}"))),
                shape: frontier_atlas::spatial::Shape::from_geo(Some(
                    &frontier_atlas::io::geojson::geo_from_json(&g).unwrap(),
                )),
                geometry: Some(g),
                properties: json!({"n": i}).as_object().unwrap().clone(),
                foreign_members: serde_json::Map::new(),
                time: None,
            }
        })
        .collect();
    let layer = Layer::new(
        "ordered",
        frontier_atlas::model::LayerKind::Generic,
        frontier_atlas::model::LayerSource::Embedded("t"),
        features,
    );
    db::publish(&mut c, &layer, "ordered").unwrap();
    let table = db::schema::table_of(&mut c, "ordered").unwrap();
    let plan = |c: &mut postgres::Client| -> String {
        c.query(&format!("EXPLAIN SELECT fid FROM {table} ORDER BY ord"), &[])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let p = plan(&mut c);
    assert!(p.contains("Index Scan") && !p.contains("Sort"), "{p}");
    // A table published before migration 2 gets the index from it.
    let index: String = c
        .query_one(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'atlas' AND indexdef LIKE '%(ord)%' \
             AND tablename = (SELECT table_name FROM atlas.layers WHERE name = 'ordered')",
            &[],
        )
        .unwrap()
        .get(0);
    c.batch_execute(&format!("DROP INDEX atlas.\"{index}\"; DELETE FROM atlas.migrations WHERE version = 2")).unwrap();
    assert_eq!(db::migrate(&mut c).unwrap(), vec![2]);
    let p = plan(&mut c);
    assert!(p.contains("Index Scan") && !p.contains("Sort"), "{p}");
    // Edits move rows on disk; the order stays the publish order.
    let opened = db::open_layer(&mut c, "ordered", None, None).unwrap();
    let changes: Vec<db::Change> = [5_usize, 700, 1999]
        .iter()
        .map(|&i| {
            let mut f: Feature = (*opened.layer.features.get(i).unwrap()).clone();
            f.properties.insert("edited".into(), json!(true));
            db::Change::update(opened.rows[i].fid, opened.rows[i].version, f)
        })
        .collect();
    db::push(&mut c, "ordered", &changes, uuid::Uuid::new_v4(), "edits").unwrap();
    let again = db::open_layer(&mut c, "ordered", None, None).unwrap();
    let ids: Vec<String> =
        again.layer.features.iter().map(|f| f.id.as_ref().map(ToString::to_string).unwrap_or_default()).collect();
    let want: Vec<String> = (0..2000).map(|i| format!("F{i}")).collect();
    assert_eq!(ids, want);
    assert_eq!(again.layer.features.get(700).unwrap().properties["edited"], json!(true));
    drop(t);
}
