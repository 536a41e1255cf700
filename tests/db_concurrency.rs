//! Concurrency in the team store (issue 12), two clients (analyst roles `alice` and `bob`) on a
//! real PostgreSQL/PostGIS server: the same field edited by both; different fields; update vs
//! delete; delete vs delete; insert vs insert of one fid; a stale client back from offline with
//! 50 queued edits; `kill -9` of a client in the middle of a push; the server killing the
//! backend mid-save; a retried push applied once; undo after sync; a viewer's push refused;
//! `db push FILE` listing conflicts; live changes caught up after a disconnect.
//!
//! The server comes from `FA_TEST_PG` (see `tests/common/pg.rs`); each test has its own database.
#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use frontier_atlas::db::live::{Live, Tracker};
use frontier_atlas::db::merge::{Cell, Field};
use frontier_atlas::db::outbox::Outbox;
use frontier_atlas::db::{self, Change, DbError, PushReport};
use frontier_atlas::model::{Feature, FeatureId, Layer, LayerKind, LayerSource};
use frontier_atlas::spatial::Shape;
use serde_json::{Value, json};
use uuid::Uuid;

#[path = "common/pg.rs"]
mod pg;
use pg::TestDb;

const LAYER: &str = "posts";

fn point(i: usize) -> Feature {
    let geometry = json!({"type": "Point", "coordinates": [68.0 + i as f64 / 100.0, 37.5]});
    let geo = frontier_atlas::io::geojson::geo_from_json(&geometry).unwrap();
    Feature {
        id: Some(FeatureId::Str(format!("P-{i}"))),
        geometry: Some(geometry),
        properties: json!({"name": format!("post {i}"), "fatalities": i, "type": "Battles"})
            .as_object()
            .unwrap()
            .clone(),
        foreign_members: serde_json::Map::new(),
        shape: Shape::from_geo(Some(&geo)),
        time: None,
    }
}

/// A store with layer `posts` of `n` points, and the analysts alice and bob connected.
struct Two {
    t: TestDb,
    admin: postgres::Client,
    alice_role: String,
    bob_role: String,
    alice: postgres::Client,
    bob: postgres::Client,
}

fn two(prefix: &str, n: usize) -> Two {
    let t = TestDb::new(prefix);
    let mut admin = db::connect(&t.url).unwrap();
    db::migrate(&mut admin).unwrap();
    let layer =
        Layer::new(LAYER, LayerKind::Generic, LayerSource::File("posts.geojson".into()), (0..n).map(point).collect());
    db::publish(&mut admin, &layer, LAYER).unwrap();
    let alice_role = t.login_role("alice", "atlas_analyst");
    let bob_role = t.login_role("bob", "atlas_analyst");
    let alice = db::connect(&t.url_as(&alice_role)).unwrap();
    let bob = db::connect(&t.url_as(&bob_role)).unwrap();
    Two { t, admin, alice_role, bob_role, alice, bob }
}

/// The layer as `c` sees it: per feature name (`post i`), its fid, version and feature.
fn snapshot(c: &mut postgres::Client) -> HashMap<String, (Uuid, i64, Feature)> {
    let s = db::open_layer(c, LAYER, None, None).unwrap();
    s.layer
        .features
        .iter()
        .zip(&s.rows)
        .map(|(f, r)| {
            let f: Feature = (*f).clone();
            (f.id.as_ref().unwrap().to_string(), (r.fid, r.version, f))
        })
        .collect()
}

/// The stored feature with id `id` (`P-3`) and its version, or `None` when deleted.
fn stored(c: &mut postgres::Client, id: &str) -> Option<(i64, Feature)> {
    snapshot(c).remove(id).map(|(_, v, f)| (v, f))
}

fn edited(f: &Feature, key: &str, value: Value) -> Feature {
    let mut g = f.clone();
    g.properties.insert(key.to_owned(), value);
    g
}

fn push(c: &mut postgres::Client, changes: &[Change], note: &str) -> PushReport {
    db::push(c, LAYER, changes, Uuid::new_v4(), note).unwrap()
}

fn history(c: &mut postgres::Client, fid: Uuid) -> Vec<(i64, String, String, Option<String>)> {
    c.query("SELECT version, op, author, note FROM atlas.history WHERE fid = $1 ORDER BY version", &[&fid])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn same_field_by_both_is_a_conflict_and_theirs_stays() {
    let mut s = two("same_field", 3);
    let (a, b) = (snapshot(&mut s.alice), snapshot(&mut s.bob));
    let (fid, v, f) = b["P-1"].clone();
    let r = push(&mut s.bob, &[Change::update(fid, v, edited(&f, "fatalities", json!(5)))], "bob's count");
    assert_eq!(r.applied.len(), 1);
    // Alice edits the same field from the same base, and another feature too.
    let (_, v, f) = a["P-1"].clone();
    let (fid2, v2, f2) = a["P-2"].clone();
    let r = push(
        &mut s.alice,
        &[
            Change::update(fid, v, edited(&f, "fatalities", json!(2))),
            Change::update(fid2, v2, edited(&f2, "name", json!("Khorog"))),
        ],
        "alice's count",
    );
    assert_eq!(r.conflicts.len(), 1, "{r:?}");
    let c = &r.conflicts[0];
    assert_eq!((c.fid, c.theirs_version), (fid, Some(v + 1)));
    assert_eq!(c.fields.len(), 1);
    assert_eq!(c.fields[0].field, Field::Property("fatalities".into()));
    assert_eq!(
        (&c.fields[0].base, &c.fields[0].mine, &c.fields[0].theirs),
        (&Cell::Value(json!(1)), &Cell::Value(json!(2)), &Cell::Value(json!(5)))
    );
    assert_eq!(c.to_string(), format!("{fid}: fatalities: 2 / 5"));
    // Nothing conflicting written; the rest of the push applied.
    let (version, now) = stored(&mut s.admin, "P-1").unwrap();
    assert_eq!((version, now.properties["fatalities"].clone()), (v + 1, json!(5)));
    assert_eq!(stored(&mut s.admin, "P-2").unwrap().1.properties["name"], json!("Khorog"));
    assert_eq!(r.applied.len(), 1);
    assert_eq!(history(&mut s.admin, fid).len(), 2, "one insert, bob's update");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn different_fields_merge_and_each_author_is_recorded() {
    let mut s = two("diff_fields", 2);
    let (a, b) = (snapshot(&mut s.alice), snapshot(&mut s.bob));
    let (fid, v, f) = b["P-0"].clone();
    let mut moved = f.clone();
    moved.geometry = Some(json!({"type": "Point", "coordinates": [69.25, 38.5]}));
    let moved = edited(&moved, "type", json!("Riots"));
    assert_eq!(push(&mut s.bob, &[Change::update(fid, v, moved)], "moved it").applied.len(), 1);
    let (_, v, f) = a["P-0"].clone();
    let r = push(&mut s.alice, &[Change::update(fid, v, edited(&f, "name", json!("Ishkashim")))], "renamed");
    assert!(r.conflicts.is_empty(), "{r:?}");
    assert_eq!(r.merged.len(), 1);
    let m = &r.merged[0];
    assert_eq!((m.fid, m.version), (fid, v + 2));
    assert_eq!(m.mine, [Field::Property("name".into())]);
    assert_eq!(m.theirs, [Field::Geometry, Field::Property("type".into())]);
    let (version, now) = stored(&mut s.admin, "P-0").unwrap();
    assert_eq!(version, v + 2);
    assert_eq!(now.properties["name"], json!("Ishkashim"));
    assert_eq!(now.properties["type"], json!("Riots"));
    assert_eq!(now.geometry.unwrap()["coordinates"], json!([69.25, 38.5]));
    // Key order: theirs' (unchanged) order.
    assert_eq!(now.properties.keys().collect::<Vec<_>>(), ["name", "fatalities", "type"]);
    let h = history(&mut s.admin, fid);
    assert_eq!(
        h.iter().skip(1).map(|(v, op, who, note)| (*v, op.as_str(), who.as_str(), note.as_deref())).collect::<Vec<_>>(),
        [(2, "update", s.bob_role.as_str(), Some("moved it")), (3, "update", s.alice_role.as_str(), Some("renamed"))]
    );
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn update_vs_delete_conflicts_both_ways() {
    let mut s = two("upd_del", 2);
    let (a, b) = (snapshot(&mut s.alice), snapshot(&mut s.bob));
    // Bob deletes P-0; Alice then updates it.
    let (fid, v, f) = b["P-0"].clone();
    assert!(push(&mut s.bob, &[Change::delete(fid, v)], "gone").applied[0].deleted);
    let r = push(&mut s.alice, &[Change::update(fid, v, edited(&f, "name", json!("kept?")))], "");
    assert_eq!(r.conflicts.len(), 1);
    assert_eq!(r.conflicts[0].theirs_version, None);
    assert_eq!(r.conflicts[0].to_string(), format!("{fid}: name: \"kept?\" / (deleted)"));
    assert!(stored(&mut s.admin, "P-0").is_none(), "the delete stands, the update is not written");
    // Bob updates P-1; Alice then deletes it.
    let (fid, v, f) = b["P-1"].clone();
    push(&mut s.bob, &[Change::update(fid, v, edited(&f, "fatalities", json!(9)))], "");
    let (_, va, _) = a["P-1"].clone();
    let r = push(&mut s.alice, &[Change::delete(fid, va)], "");
    assert_eq!(r.conflicts.len(), 1);
    assert_eq!(r.conflicts[0].to_string(), format!("{fid}: fatalities: (deleted) / 9"));
    assert_eq!(stored(&mut s.admin, "P-1").unwrap().1.properties["fatalities"], json!(9));
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn delete_vs_delete_is_fine() {
    let mut s = two("del_del", 2);
    let (a, b) = (snapshot(&mut s.alice), snapshot(&mut s.bob));
    let (fid, v, _) = b["P-0"].clone();
    push(&mut s.bob, &[Change::delete(fid, v)], "");
    let r = push(&mut s.alice, &[Change::delete(fid, a["P-0"].1)], "");
    assert!(r.conflicts.is_empty() && r.applied.is_empty(), "{r:?}");
    assert_eq!(r.unchanged, [fid]);
    let h = history(&mut s.admin, fid);
    assert_eq!(h.iter().filter(|(_, op, _, _)| op == "delete").count(), 1, "{h:?}");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn insert_vs_insert_of_one_fid_conflicts_unless_identical() {
    let mut s = two("ins_ins", 1);
    let fid = Uuid::new_v4();
    let new = edited(&point(7), "name", json!("new post"));
    assert_eq!(push(&mut s.bob, &[Change::insert(fid, new.clone())], "").applied.len(), 1);
    // The same feature: nothing to write.
    let r = push(&mut s.alice, &[Change::insert(fid, new.clone())], "");
    assert_eq!((r.unchanged.clone(), r.conflicts.len()), (vec![fid], 0));
    // A different one: a conflict with base absent, nothing written.
    let r = push(&mut s.alice, &[Change::insert(fid, edited(&new, "fatalities", json!(70)))], "");
    assert_eq!(r.conflicts.len(), 1);
    let c = &r.conflicts[0].fields[0];
    assert_eq!(
        (c.field.to_string(), &c.base, &c.mine, &c.theirs),
        ("fatalities".to_owned(), &Cell::Deleted, &Cell::Value(json!(70)), &Cell::Value(json!(7)))
    );
    assert_eq!(history(&mut s.admin, fid).len(), 1);
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_retried_push_is_applied_once() {
    let mut s = two("retry", 2);
    let a = snapshot(&mut s.alice);
    let (fid, v, f) = a["P-0"].clone();
    let (fid1, v1, f1) = a["P-1"].clone();
    let changes = [
        Change::update(fid, v, edited(&f, "fatalities", json!(100))),
        Change::update(fid1, v1, edited(&f1, "name", json!("x"))),
    ];
    let op = Uuid::new_v4();
    let first = db::push(&mut s.alice, LAYER, &changes, op, "once").unwrap();
    assert_eq!(first.applied.len(), 2);
    // The answer was lost; the client sends the same operation again (even changed a bit).
    let again = db::push(&mut s.alice, LAYER, &changes[..1], op, "once").unwrap();
    assert!(again.already_applied && again.applied.is_empty(), "{again:?}");
    assert_eq!(history(&mut s.admin, fid).len(), 2);
    assert_eq!(stored(&mut s.admin, "P-0").unwrap().0, v + 1);
    let ops: i64 = s.admin.query_one("SELECT count(*) FROM atlas.applied_ops WHERE op_id = $1", &[&op]).unwrap().get(0);
    assert_eq!(ops, 1);
    let tagged: i64 = s.admin.query_one("SELECT count(*) FROM atlas.history WHERE op_id = $1", &[&op]).unwrap().get(0);
    assert_eq!(tagged, 2, "the history records the operation id of each version it wrote");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn undo_after_sync_makes_a_new_version() {
    let mut s = two("undo", 1);
    let (fid, v, f) = snapshot(&mut s.alice)["P-0"].clone();
    let r = push(&mut s.alice, &[Change::update(fid, v, edited(&f, "name", json!("typo")))], "edit");
    let v2 = r.version_of(fid).unwrap();
    // Undo: the old feature, pushed from the synced version.
    let r = push(&mut s.alice, &[Change::update(fid, v2, f.clone())], "undo");
    assert_eq!(r.version_of(fid), Some(v2 + 1));
    let (version, now) = stored(&mut s.admin, "P-0").unwrap();
    assert_eq!((version, now.properties.clone()), (v2 + 1, f.properties.clone()));
    let h = history(&mut s.admin, fid);
    assert_eq!(
        h.iter().map(|(v, op, _, n)| (*v, op.as_str(), n.as_deref())).collect::<Vec<_>>(),
        [(1, "insert", None), (2, "update", Some("edit")), (3, "update", Some("undo"))]
    );
    // Pushing the same content again writes nothing (no empty versions).
    let r = push(&mut s.alice, &[Change::update(fid, version, f)], "");
    assert_eq!(r.unchanged, [fid]);
    assert_eq!(history(&mut s.admin, fid).len(), 3);
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_viewers_push_is_refused_and_changes_nothing() {
    let mut s = two("viewer_push", 1);
    let viewer = s.t.login_role("vera", "atlas_viewer");
    let mut c = db::connect(&s.t.url_as(&viewer)).unwrap();
    let (fid, v, f) = snapshot(&mut c)["P-0"].clone();
    let e = db::push(&mut c, LAYER, &[Change::update(fid, v, edited(&f, "name", json!("x")))], Uuid::new_v4(), "")
        .unwrap_err();
    assert!(matches!(e, DbError::Denied(_)), "{e}");
    assert!(e.to_string().contains(&viewer) && e.to_string().contains("read-only"), "{e}");
    assert_eq!(history(&mut s.admin, fid).len(), 1);
    let ops: i64 = s.admin.query_one("SELECT count(*) FROM atlas.applied_ops", &[]).unwrap().get(0);
    assert_eq!(ops, 0);
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_stale_client_back_from_offline_pushes_50_queued_edits_through_the_merge() {
    let mut s = two("offline50", 60);
    let dir = tempfile::tempdir().unwrap();
    let a = snapshot(&mut s.alice);
    let b = snapshot(&mut s.bob);
    // Alice goes offline and queues 50 operations: 40 renames of P-0..P-39, and on P-40..P-44
    // two chained edits each (rename, then a new count), each edit starting from the version
    // she last saw.
    let mut outbox = Outbox::open(&dir.path().join("outbox.sqlite")).unwrap();
    for i in 0..40 {
        let (fid, v, f) = a[&format!("P-{i}")].clone();
        outbox
            .enqueue(LAYER, &[Change::update(fid, v, edited(&f, "name", json!(format!("alice {i}"))))], "offline")
            .unwrap();
    }
    for i in 40..45 {
        let (fid, v, f) = a[&format!("P-{i}")].clone();
        let first = edited(&f, "name", json!(format!("alice {i}")));
        outbox.enqueue(LAYER, &[Change::update(fid, v, first.clone())], "offline 1").unwrap();
        outbox
            .enqueue(LAYER, &[Change::update(fid, v, edited(&first, "fatalities", json!(1000 + i)))], "offline 2")
            .unwrap();
    }
    assert_eq!(outbox.len().unwrap(), 50);
    drop(outbox);
    // Meanwhile Bob: renames P-0..P-4 (conflicts), retypes P-5..P-9 and P-40 (merges),
    // deletes P-10 and P-11 (update vs delete).
    let mut changes = Vec::new();
    for i in 0..5 {
        let (fid, v, f) = b[&format!("P-{i}")].clone();
        changes.push(Change::update(fid, v, edited(&f, "name", json!(format!("bob {i}")))));
    }
    for i in (5..10).chain([40]) {
        let (fid, v, f) = b[&format!("P-{i}")].clone();
        changes.push(Change::update(fid, v, edited(&f, "type", json!("Protests"))));
    }
    for i in 10..12 {
        let (fid, v, _) = b[&format!("P-{i}")].clone();
        changes.push(Change::delete(fid, v));
    }
    assert_eq!(push(&mut s.bob, &changes, "bob online").applied.len(), 13);
    // Alice reconnects (the outbox reopened, as after a restart) and drains.
    let mut outbox = Outbox::open(&dir.path().join("outbox.sqlite")).unwrap();
    let started = Instant::now();
    let report = outbox.drain(&mut s.alice).unwrap();
    eprintln!("drained 50 operations in {:?}", started.elapsed());
    assert_eq!(report.pushed.len(), 50);
    assert_eq!(report.remaining, 0);
    let sum = |f: fn(&PushReport) -> usize| report.pushed.iter().map(|(_, r)| f(r)).sum::<usize>();
    assert_eq!(sum(|r| r.conflicts.len()), 7, "5 renames + 2 deletes");
    assert_eq!(sum(|r| r.merged.len()), 5 + 2, "P-5..P-9 and both edits of P-40");
    assert_eq!(sum(|r| r.applied.len()), 50 - 7 - 7);
    let kept = outbox.conflicts().unwrap();
    assert_eq!(kept.len(), 7);
    assert!(kept.iter().any(|k| k.lines.ends_with("name: \"alice 0\" / \"bob 0\"")), "{kept:?}");
    assert!(outbox.is_empty().unwrap());
    let now = snapshot(&mut s.admin);
    for i in 0..5 {
        assert_eq!(now[&format!("P-{i}")].2.properties["name"], json!(format!("bob {i}")), "Bob's rename stands");
    }
    for i in 5..10 {
        let f = &now[&format!("P-{i}")].2;
        assert_eq!((&f.properties["name"], &f.properties["type"]), (&json!(format!("alice {i}")), &json!("Protests")));
    }
    assert!(!now.contains_key("P-10") && !now.contains_key("P-11"));
    for i in 12..40 {
        assert_eq!(now[&format!("P-{i}")].2.properties["name"], json!(format!("alice {i}")));
    }
    for i in 40..45 {
        let (fid, version, f) = &now[&format!("P-{i}")];
        assert_eq!(f.properties["name"], json!(format!("alice {i}")));
        assert_eq!(f.properties["fatalities"], json!(1000 + i), "the second chained edit landed");
        let want_type = if i == 40 { "Protests" } else { "Battles" };
        assert_eq!(f.properties["type"], json!(want_type));
        // Two offline edits = two new versions (three with Bob's).
        assert_eq!(*version, if i == 40 { 4 } else { 3 }, "P-{i}");
        assert_eq!(history(&mut s.admin, *fid).len() as i64, *version);
    }
}

/// The child of [`kill_9_in_the_middle_of_a_push_leaves_all_or_nothing`]: drains the outbox at
/// `FA_CHILD_OUTBOX` to `FA_CHILD_URL` (killed before it ends).
#[test]
#[ignore = "run as a child process by kill_9_in_the_middle_of_a_push_leaves_all_or_nothing"]
fn child_drains_outbox() {
    let path = std::env::var("FA_CHILD_OUTBOX").unwrap();
    let url = std::env::var("FA_CHILD_URL").unwrap();
    let mut outbox = Outbox::open(Path::new(&path)).unwrap();
    let mut c = db::connect(&url).unwrap();
    outbox.drain(&mut c).unwrap();
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn kill_9_in_the_middle_of_a_push_leaves_all_or_nothing() {
    const N: usize = 1500;
    let mut s = two("kill9", N);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.sqlite");
    let a = snapshot(&mut s.alice);
    let changes: Vec<Change> =
        a.values().map(|(fid, v, f)| Change::update(*fid, *v, edited(f, "fatalities", json!(-1)))).collect();
    let mut outbox = Outbox::open(&path).unwrap();
    let op = outbox.enqueue(LAYER, &changes, "big edit").unwrap();
    drop(outbox);
    // The child logs in as its own analyst, so its backend is told apart from ours.
    let carol = s.t.login_role("carol", "atlas_analyst");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "child_drains_outbox", "--ignored", "--nocapture", "--test-threads=1"])
        .env("FA_CHILD_OUTBOX", &path)
        .env("FA_CHILD_URL", s.t.url_as(&carol))
        .spawn()
        .unwrap();
    // Wait until Alice's push has written some rows inside its transaction, then kill -9.
    let deadline = Instant::now() + Duration::from_mins(2);
    loop {
        assert!(Instant::now() < deadline, "the child never started its push");
        assert!(child.try_wait().unwrap().is_none(), "the child finished before it could be killed: make N bigger");
        let in_tx: i64 = s
            .admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND xact_start IS NOT NULL \
                 AND backend_xid IS NOT NULL",
                &[&carol],
            )
            .unwrap()
            .get(0);
        if in_tx > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(30));
    let status = Command::new("kill").args(["-9", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(!exit.success(), "killed: {exit:?}");
    // The server notices the dead client and rolls its transaction back.
    let deadline = Instant::now() + Duration::from_mins(1);
    while s
        .admin
        .query_one("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", &[&carol])
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        assert!(Instant::now() < deadline, "the killed client's backend stays");
        std::thread::sleep(Duration::from_millis(20));
    }
    let table = db::schema::table_of(&mut s.admin, LAYER).unwrap();
    let count = |c: &mut postgres::Client| -> i64 {
        c.query_one(&format!("SELECT count(*) FROM {table} WHERE (props->>'fatalities')::int = -1"), &[])
            .unwrap()
            .get(0)
    };
    let written = count(&mut s.admin);
    let applied: i64 =
        s.admin.query_one("SELECT count(*) FROM atlas.applied_ops WHERE op_id = $1", &[&op]).unwrap().get(0);
    eprintln!("after kill -9: {written} of {N} rows written, operation recorded: {applied}");
    assert!(written == 0 || written == N as i64, "all or none, found {written}");
    assert_eq!(applied == 1, written == N as i64);
    // The outbox is whole and still holds the operation (its removal comes after the commit).
    let mut outbox = Outbox::open(&path).unwrap();
    let check: String =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let queued = outbox.queued().unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].op_id, queued[0].changes.len()), (op, N));
    // Draining again lands it exactly once.
    let report = outbox.drain(&mut s.alice).unwrap();
    assert_eq!(report.remaining, 0);
    assert_eq!(count(&mut s.admin), N as i64);
    let versions: i64 =
        s.admin.query_one("SELECT count(*) FROM atlas.history WHERE op_id = $1", &[&op]).unwrap().get(0);
    assert_eq!(versions, N as i64, "each feature updated once");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn the_backend_killed_mid_save_leaves_nothing_and_the_outbox_retries() {
    let mut s = two("killed_backend", 5);
    let dir = tempfile::tempdir().unwrap();
    let a = snapshot(&mut s.alice);
    let changes: Vec<Change> =
        a.values().map(|(fid, v, f)| Change::update(*fid, *v, edited(f, "name", json!("saved")))).collect();
    let path = dir.path().join("outbox.sqlite");
    let op = Outbox::open(&path).unwrap().enqueue(LAYER, &changes, "mid-save").unwrap();
    // Hold the layer table so Alice's push stops inside its transaction (after recording its
    // operation id and writing its settings), then kill her backend.
    let table = db::schema::table_of(&mut s.admin, LAYER).unwrap();
    let mut holder = s.t.client();
    let mut hold = holder.transaction().unwrap();
    hold.batch_execute(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE")).unwrap();
    let url = s.t.url_as(&s.alice_role);
    let pushing = std::thread::spawn(move || {
        let mut outbox = Outbox::open(&path).unwrap();
        let mut c = db::connect(&url).unwrap();
        (outbox.drain(&mut c).map(|r| r.remaining), outbox.len().unwrap())
    });
    let deadline = Instant::now() + Duration::from_mins(1);
    let pid: i32 = loop {
        assert!(Instant::now() < deadline, "Alice's push never waited on the lock");
        let row = s
            .admin
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'",
                &[&s.alice_role],
            )
            .unwrap();
        if let Some(row) = row {
            break row.get(0);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let killed: bool = s.admin.query_one("SELECT pg_terminate_backend($1)", &[&pid]).unwrap().get(0);
    assert!(killed);
    let (result, queued) = pushing.join().unwrap();
    let e = result.unwrap_err();
    eprintln!("the push met: {e}");
    assert_eq!(queued, 1, "the operation stays queued");
    hold.rollback().unwrap();
    let applied: i64 =
        s.admin.query_one("SELECT count(*) FROM atlas.applied_ops WHERE op_id = $1", &[&op]).unwrap().get(0);
    let versions: i64 = s.admin.query_one("SELECT count(*) FROM atlas.history WHERE version > 1", &[]).unwrap().get(0);
    assert_eq!((applied, versions), (0, 0), "nothing of the killed transaction stays");
    // Back online: the same operation lands, once.
    let mut outbox = Outbox::open(&dir.path().join("outbox.sqlite")).unwrap();
    let report = outbox.drain(&mut s.alice).unwrap();
    assert_eq!(report.pushed[0].1.applied.len(), 5);
    assert_eq!(report.pushed[0].0, op);
    assert!(snapshot(&mut s.admin).values().all(|(_, v, f)| *v == 2 && f.properties["name"] == json!("saved")));
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn live_changes_arrive_with_their_author_and_none_is_missed_after_a_disconnect() {
    let mut s = two("live", 4);
    let mut live = Live::connect(&s.t.url_as(&s.alice_role)).unwrap();
    let mut tracker = Tracker::after(live.latest_seq().unwrap());
    assert!(live.poll(&mut tracker, Duration::from_millis(50)).unwrap().is_empty());
    let b = snapshot(&mut s.bob);
    let (fid, v, f) = b["P-0"].clone();
    push(&mut s.bob, &[Change::update(fid, v, edited(&f, "name", json!("live")))], "");
    let got = live.poll(&mut tracker, Duration::from_secs(10)).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].fid, got[0].version, got[0].op.as_str(), got[0].author.as_str(), got[0].layer.as_str()),
        (fid, v + 1, "update", s.bob_role.as_str(), LAYER)
    );
    // Alice's connection drops; Bob saves twice meanwhile; Alice catches up both.
    s.admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
            &[&s.alice_role],
        )
        .unwrap();
    let (fid1, v1, _) = b["P-1"].clone();
    let (fid2, v2, f2) = b["P-2"].clone();
    push(&mut s.bob, &[Change::delete(fid1, v1)], "");
    push(&mut s.bob, &[Change::update(fid2, v2, edited(&f2, "type", json!("x")))], "");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.len() < 2 && Instant::now() < deadline {
        match live.poll(&mut tracker, Duration::from_millis(200)) {
            Ok(rows) => got.extend(rows),
            Err(e) => eprintln!("poll after the drop: {e}"),
        }
    }
    assert_eq!(got.iter().map(|r| (r.fid, r.op.as_str())).collect::<Vec<_>>(), [(fid1, "delete"), (fid2, "update")]);
    // A transaction that took a lower sequence number but commits later is not skipped.
    let table = db::schema::table_of(&mut s.admin, LAYER).unwrap();
    let (fid3, _, _) = b["P-3"].clone();
    let mut slow = s.t.client();
    let mut slow_tx = slow.transaction().unwrap();
    slow_tx.execute(&format!("UPDATE {table} SET props = '{{\"n\":1}}' WHERE fid = $1"), &[&fid3]).unwrap();
    let (fid0, v0, f0) = snapshot(&mut s.bob)["P-0"].clone();
    push(&mut s.bob, &[Change::update(fid0, v0, edited(&f0, "name", json!("after")))], "");
    let got = live.poll(&mut tracker, Duration::from_secs(5)).unwrap();
    assert_eq!(got.iter().map(|r| r.fid).collect::<Vec<_>>(), [fid0]);
    assert_eq!(tracker.gaps(), 1, "the slow transaction's number is waited for");
    slow_tx.commit().unwrap();
    let got = live.poll(&mut tracker, Duration::from_secs(5)).unwrap();
    assert_eq!(got.iter().map(|r| r.fid).collect::<Vec<_>>(), [fid3]);
    assert_eq!(tracker.gaps(), 0);
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn db_push_of_an_edited_export_lists_conflicts_and_exits_1() {
    let mut s = two("cli_push", 4);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("posts.geojson");
    db::export(&mut s.alice, LAYER, &file).unwrap();
    // Alice edits the file as text: P-0's count, P-1's name; removes P-3; adds a feature.
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let features = doc["features"].as_array_mut().unwrap();
    features[0]["properties"]["fatalities"] = json!(11);
    features[1]["properties"]["name"] = json!("edited in a text editor");
    features.retain(|f| f["id"] != json!("P-3"));
    features.push(json!({"type": "Feature", "id": "P-new", "geometry": {"type": "Point", "coordinates": [70.0, 38.0]},
        "properties": {"name": "new", "fatalities": 0, "type": "Battles"}}));
    std::fs::write(&file, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    // Bob meanwhile changes P-0's count.
    let (fid0, v0, f0) = snapshot(&mut s.bob)["P-0"].clone();
    push(&mut s.bob, &[Change::update(fid0, v0, edited(&f0, "fatalities", json!(22)))], "");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
            .args(["db", "push", &s.t.url_as(&s.alice_role), LAYER])
            .arg(&file)
            .args(["--note", "from QGIS"])
            .output()
            .unwrap()
    };
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{fid0}: fatalities: 11 / 22")), "{stdout}");
    assert!(
        stdout.contains("3 written") && stdout.contains("1 unchanged") && stdout.contains("1 in conflict"),
        "{stdout}"
    );
    let now = snapshot(&mut s.admin);
    assert_eq!(now["P-0"].2.properties["fatalities"], json!(22), "nothing conflicting written");
    assert_eq!(now["P-1"].2.properties["name"], json!("edited in a text editor"));
    assert!(!now.contains_key("P-3"), "removed from the file: deleted");
    assert!(now.contains_key("P-new"));
    assert!(now.contains_key("P-2"));
    // Pushing the same file again inserts nothing twice and writes nothing new.
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 written, 0 merged"), "{stdout}");
    assert_eq!(snapshot(&mut s.admin).len(), 4);
}

/// A throwaway server cluster of this test's own (`initdb` + `pg_ctl`, as the `postgres` OS
/// user when running as root), so the test may stop it hard. Stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

impl Cluster {
    fn as_postgres(cmd: &str) -> std::process::Output {
        let root =
            Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let out = if root {
            Command::new("su").args(["postgres", "-s", "/bin/sh", "-c", cmd]).output()
        } else {
            Command::new("sh").args(["-c", cmd]).output()
        };
        out.unwrap_or_else(|e| panic!("cannot run `{cmd}`: {e}"))
    }

    fn run(cmd: &str) {
        let out = Self::as_postgres(cmd);
        assert!(
            out.status.success(),
            "`{cmd}` failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn new() -> Self {
        assert!(Path::new(PG_BIN).join("initdb").exists(), "needs PostgreSQL 15 binaries in {PG_BIN}");
        let dir = tempfile::Builder::new().prefix("fa-pg-").tempdir_in("/tmp").unwrap();
        let status = Command::new("chmod").arg("777").arg(dir.path()).status().unwrap();
        assert!(status.success());
        let port = 56000 + (std::process::id() % 1000) as u16;
        let d = dir.path().display();
        Self::run(&format!("{PG_BIN}/initdb -D {d}/data -U postgres --auth=trust -E UTF8 --no-locale >/dev/null"));
        let c = Self { dir, port };
        c.start();
        c
    }

    fn start(&self) {
        let d = self.dir.path().display();
        Self::run(&format!(
            "{PG_BIN}/pg_ctl -D {d}/data -l {d}/pg.log -w -o '-c listen_addresses=127.0.0.1 -p {} -k {d}' start >/dev/null",
            self.port
        ));
    }

    fn stop_immediate(&self) {
        let d = self.dir.path().display();
        Self::run(&format!("{PG_BIN}/pg_ctl -D {d}/data -m immediate -w stop >/dev/null"));
    }

    fn url(&self, role: &str) -> String {
        format!("postgresql://{role}@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let d = self.dir.path().display();
        let _ = Self::as_postgres(&format!("{PG_BIN}/pg_ctl -D {d}/data -m immediate -w stop >/dev/null 2>&1"));
    }
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn the_server_stopped_hard_mid_save_keeps_nothing_of_it_and_the_outbox_lands_it_after_restart() {
    let cluster = Cluster::new();
    let mut admin = db::connect(&cluster.url("postgres")).unwrap();
    db::migrate(&mut admin).unwrap();
    let layer =
        Layer::new(LAYER, LayerKind::Generic, LayerSource::File("posts.geojson".into()), (0..5).map(point).collect());
    db::publish(&mut admin, &layer, LAYER).unwrap();
    admin.batch_execute("CREATE ROLE alice LOGIN; GRANT atlas_analyst TO alice").unwrap();
    let mut alice = db::connect(&cluster.url("alice")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.sqlite");
    let changes: Vec<Change> = snapshot(&mut alice)
        .values()
        .map(|(fid, v, f)| Change::update(*fid, *v, edited(f, "name", json!("saved"))))
        .collect();
    let op = Outbox::open(&path).unwrap().enqueue(LAYER, &changes, "mid-save").unwrap();
    // Hold the table so Alice's push waits inside its transaction, then stop the server hard.
    let table = db::schema::table_of(&mut admin, LAYER).unwrap();
    let mut holder = db::connect(&cluster.url("postgres")).unwrap();
    let mut hold = holder.transaction().unwrap();
    hold.batch_execute(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE")).unwrap();
    let url = cluster.url("alice");
    let outbox_path = path.clone();
    let pushing = std::thread::spawn(move || {
        let mut outbox = Outbox::open(&outbox_path).unwrap();
        let mut c = db::connect(&url).unwrap();
        (outbox.drain(&mut c).map(|r| r.remaining), outbox.len().unwrap())
    });
    let deadline = Instant::now() + Duration::from_mins(1);
    while admin
        .query_opt("SELECT 1 FROM pg_stat_activity WHERE usename = 'alice' AND wait_event_type = 'Lock'", &[])
        .unwrap()
        .is_none()
    {
        assert!(Instant::now() < deadline, "Alice's push never waited on the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    cluster.stop_immediate();
    let (result, queued) = pushing.join().unwrap();
    eprintln!("the push met: {}", result.unwrap_err());
    assert_eq!(queued, 1, "the operation stays queued");
    drop(hold);
    // Restart: crash recovery from the WAL; nothing of the open transaction survives.
    cluster.start();
    let mut admin = db::connect(&cluster.url("postgres")).unwrap();
    let applied: i64 = admin.query_one("SELECT count(*) FROM atlas.applied_ops", &[]).unwrap().get(0);
    let versions: i64 = admin.query_one("SELECT count(*) FROM atlas.history WHERE version > 1", &[]).unwrap().get(0);
    assert_eq!((applied, versions), (0, 0));
    assert!(snapshot(&mut admin).values().all(|(_, v, f)| *v == 1 && f.properties["name"] != json!("saved")));
    // Back online: the queued operation lands once.
    let mut alice = db::connect(&cluster.url("alice")).unwrap();
    let report = Outbox::open(&path).unwrap().drain(&mut alice).unwrap();
    assert_eq!((report.pushed.len(), report.pushed[0].0, report.pushed[0].1.applied.len()), (1, op, 5));
    assert!(snapshot(&mut admin).values().all(|(_, v, f)| *v == 2 && f.properties["name"] == json!("saved")));
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_geometry_with_a_bbox_compares_as_stored_and_merges() {
    let mut s = two("bbox", 1);
    let fid = Uuid::new_v4();
    let mut f = point(3);
    f.geometry = Some(json!({"type": "Point", "bbox": [68.03, 37.5, 68.03, 37.5], "coordinates": [68.03, 37.5]}));
    let v = push(&mut s.alice, &[Change::insert(fid, f.clone())], "").version_of(fid).unwrap();
    // The same feature pushed back (as the app or a file has it) is no change.
    assert_eq!(push(&mut s.alice, &[Change::update(fid, v, f.clone())], "").unchanged, [fid]);
    // Bob renames; Alice moves it from the same base: merged, the geometry's bbox kept.
    let (_, vb, fb) = snapshot(&mut s.bob)["P-3"].clone();
    assert_eq!(fb.geometry, f.geometry, "the bbox came back from the store");
    push(&mut s.bob, &[Change::update(fid, vb, edited(&fb, "name", json!("renamed")))], "");
    let mut moved = f.clone();
    moved.geometry = Some(json!({"type": "Point", "bbox": [68.5, 37.5, 68.5, 37.5], "coordinates": [68.5, 37.5]}));
    let r = push(&mut s.alice, &[Change::update(fid, v, moved.clone())], "");
    assert_eq!(r.merged.len(), 1, "{r:?}");
    let (_, now) = stored(&mut s.admin, "P-3").unwrap();
    assert_eq!((now.geometry, now.properties["name"].clone()), (moved.geometry, json!("renamed")));
}
