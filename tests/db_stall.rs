//! A team-store session that hangs or dies in the middle of a save (issue 12), at the db level
//! and in the app.
//!
//! The store is reached through a TCP proxy in the test that forwards faithfully until the
//! client sends a chosen statement (here the push's `set_config('atlas.note', …)`, sent inside the
//! save's transaction, after the login and the first writes). Then it either **stalls** that
//! connection (forwards nothing more either way and keeps both sockets open, as a wedged
//! middlebox or a stopped server does: the kernel still acknowledges every byte, so no socket
//! option notices) or **cuts** it (closes both sockets). Other connections pass. Defect: a stalled
//! session blocked the `frontier-team` worker forever; the save never ended and nothing went to
//! the outbox.
//!
//! The server comes from `FA_TEST_PG` (see `tests/common/pg.rs`).
#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

mod common;

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs as _};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::harness;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::db::{self, Change};
use frontier_atlas::edit::EditCommand;
use frontier_atlas::model::{Feature, FeatureId, Layer, LayerKind, LayerSource, LayerUid};
use frontier_atlas::spatial::Shape;
use frontier_atlas::ui::{AtlasApp, Command, EditIntent};
use serde_json::{Value, json};
use uuid::Uuid;

#[path = "common/pg.rs"]
mod pg;

const LAYER: &str = "posts";
/// Sent by `db::push` inside its transaction, after `atlas.applied_ops` got the operation id.
const MID_SAVE: &[u8] = b"atlas.note";

/// What the proxy does to a connection once the client sent the trigger.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing: forward everything.
    None = 0,
    /// Forward nothing more, either way, and keep the sockets open.
    Stall = 1,
    /// Close both sockets.
    Cut = 2,
}

/// A TCP proxy to the test server that applies a [`Fault`] to a connection in which the client
/// sends [`MID_SAVE`].
struct FaultyProxy {
    port: u16,
    fault: Arc<AtomicU8>,
    needle: Arc<Mutex<&'static [u8]>>,
    stop: Arc<AtomicBool>,
    hit: Arc<Mutex<usize>>,
}

impl FaultyProxy {
    fn to_url(url: &str) -> Self {
        let config: postgres::Config = url.parse().unwrap();
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let target = (host.as_str(), port).to_socket_addrs().unwrap().next().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let p = Self {
            port: listener.local_addr().unwrap().port(),
            fault: Arc::new(AtomicU8::new(Fault::None as u8)),
            needle: Arc::new(Mutex::new(MID_SAVE)),
            stop: Arc::new(AtomicBool::new(false)),
            hit: Arc::new(Mutex::new(0)),
        };
        let (fault, stop, hit, needle) =
            (Arc::clone(&p.fault), Arc::clone(&p.stop), Arc::clone(&p.hit), Arc::clone(&p.needle));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(target) else { continue };
                let stalled = Arc::new(AtomicBool::new(false));
                // Client → server, watching for the trigger.
                let (mut from, mut to) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (fault, halt, hit, st, needle) = (
                    Arc::clone(&fault),
                    Arc::clone(&stop),
                    Arc::clone(&hit),
                    Arc::clone(&stalled),
                    Arc::clone(&needle),
                );
                std::thread::spawn(move || {
                    from.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                    let mut buf = vec![0; 64 * 1024];
                    while !halt.load(Ordering::SeqCst) {
                        if st.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        }
                        let n = match from.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => n,
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) =>
                            {
                                continue;
                            }
                            Err(_) => break,
                        };
                        let chunk = &buf[..n];
                        let how = fault.load(Ordering::SeqCst);
                        let needle: &[u8] = &needle.lock().unwrap();
                        if how != Fault::None as u8 && chunk.windows(needle.len()).any(|w| w == needle) {
                            *hit.lock().unwrap() += 1;
                            if how == Fault::Stall as u8 {
                                st.store(true, Ordering::SeqCst);
                                continue;
                            }
                            let _ = from.shutdown(Shutdown::Both);
                            let _ = to.shutdown(Shutdown::Both);
                            break;
                        }
                        if to.write_all(chunk).is_err() {
                            break;
                        }
                    }
                    // A stalled connection stays open (until the proxy drops).
                    while st.load(Ordering::SeqCst) && !halt.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    let _ = to.shutdown(Shutdown::Both);
                    let _ = from.shutdown(Shutdown::Both);
                });
                // Server → client.
                let (mut from, mut to) = (server, client);
                let (halt2, st) = (Arc::clone(&stop), stalled);
                std::thread::spawn(move || {
                    from.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                    let mut buf = vec![0; 64 * 1024];
                    while !halt2.load(Ordering::SeqCst) {
                        if st.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        }
                        match from.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                if to.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) => {}
                            Err(_) => break,
                        }
                    }
                    let _ = to.shutdown(Shutdown::Both);
                });
            }
        });
        p
    }

    /// `url` with its host and port replaced by the proxy's, without TLS (so the proxy can see
    /// the statements).
    fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (user, rest) = rest.split_once('@').map_or((None, rest), |(u, r)| (Some(u), r));
        let tail = rest.find(['/', '?']).map_or("", |i| &rest[i..]);
        let user = user.map(|u| format!("{u}@")).unwrap_or_default();
        let sep = if tail.contains('?') { '&' } else { '?' };
        format!("{scheme}://{user}127.0.0.1:{}{tail}{sep}sslmode=disable", self.port)
    }

    /// From now on, apply `fault` to a connection that sends the trigger.
    fn arm(&self, fault: Fault) {
        self.fault.store(fault as u8, Ordering::SeqCst);
    }

    /// From now on, the trigger is `needle`.
    fn trigger(&self, needle: &'static [u8]) {
        *self.needle.lock().unwrap() = needle;
    }

    /// How many connections met the fault.
    fn hits(&self) -> usize {
        *self.hit.lock().unwrap()
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn point(i: usize) -> Feature {
    let geometry = json!({"type": "Point", "coordinates": [68.5 + i as f64 / 10.0, 37.5]});
    let geo = frontier_atlas::io::geojson::geo_from_json(&geometry).unwrap();
    Feature {
        id: Some(FeatureId::Str(format!("P-{i}"))),
        geometry: Some(geometry),
        properties: json!({"name": format!("post {i}"), "fatalities": i}).as_object().unwrap().clone(),
        foreign_members: serde_json::Map::new(),
        shape: Shape::from_geo(Some(&geo)),
        time: None,
    }
}

/// A store with layer `posts` of three points.
fn store(prefix: &str) -> pg::TestDb {
    let t = pg::TestDb::new(prefix);
    let mut admin = db::connect(&t.url).unwrap();
    db::migrate(&mut admin).unwrap();
    let layer =
        Layer::new(LAYER, LayerKind::Generic, LayerSource::File("posts.geojson".into()), (0..3).map(point).collect());
    db::publish(&mut admin, &layer, LAYER).unwrap();
    t
}

/// The stored feature `id`: its fid, version and feature.
fn stored(c: &mut postgres::Client, id: &str) -> (Uuid, i64, Feature) {
    let s = db::open_layer(c, LAYER, None, None).unwrap();
    let i = s.layer.features.iter().position(|f| f.id.as_ref().is_some_and(|x| x.to_string() == id)).unwrap();
    let f: Feature = (*s.layer.features.get(i).unwrap()).clone();
    (s.rows[i].fid, s.rows[i].version, f)
}

fn count(c: &mut postgres::Client, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> i64 {
    c.query_one(sql, params).unwrap().get(0)
}

/// Sessions of `role` still open on the server.
fn sessions_of(c: &mut postgres::Client, role: &str) -> i64 {
    count(c, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", &[&role])
}

/// Waits up to `limit` for `done`.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_push_whose_session_stalls_mid_transaction_ends_within_its_deadline_and_the_server_keeps_nothing() {
    let t = store("stall_db");
    let alice = t.login_role("alice", "atlas_analyst");
    let proxy = FaultyProxy::to_url(&t.url);
    let url = proxy.url(&t.url_as(&alice));
    let mut admin = db::connect(&t.url).unwrap();
    let (fid, v, f) = stored(&mut admin, "P-1");
    let mut edited = f.clone();
    edited.properties.insert("fatalities".into(), json!(42));
    let changes = vec![Change { fid, base_version: Some(v), feature: Some(edited) }];
    let op_id = Uuid::new_v4();
    proxy.arm(Fault::Stall);

    let started = Instant::now();
    let work = {
        let (url, changes) = (url.clone(), changes.clone());
        move |w: &db::deadline::Watch| {
            let mut c = w.connect(&url)?;
            db::push(&mut c, LAYER, &changes, op_id, "stalled save")
        }
    };
    let Err(e) = db::deadline::within("saving “posts”", Duration::from_secs(3), work) else {
        panic!("the push went through a stalled connection")
    };
    let waited = started.elapsed();
    assert!(e.is_unreachable(), "{e}");
    assert!(e.to_string().contains("stopped answering while saving “posts”"), "{e}");
    assert!(waited < Duration::from_secs(8), "the stalled push took {waited:?}");
    assert_eq!(proxy.hits(), 1, "the stall was met mid-save");

    // The server let go of the stuck session (its transaction rolled back) and kept nothing.
    assert!(eventually(Duration::from_secs(10), || sessions_of(&mut admin, &alice) == 0), "alice's session stayed");
    assert_eq!(count(&mut admin, "SELECT count(*) FROM atlas.applied_ops WHERE op_id = $1", &[&op_id]), 0);
    assert_eq!(stored(&mut admin, "P-1").1, v);

    // The retry under the same op id is not blocked by a leftover lock and applies once.
    proxy.arm(Fault::None);
    let started = Instant::now();
    let mut c = db::connect(&url).unwrap();
    let report = db::push(&mut c, LAYER, &changes, op_id, "retried").unwrap();
    assert!(!report.already_applied && started.elapsed() < Duration::from_secs(10));
    let again = db::push(&mut c, LAYER, &changes, op_id, "retried").unwrap();
    assert!(again.already_applied);
    let (_, v_now, f_now) = stored(&mut admin, "P-1");
    assert_eq!((v_now, &f_now.properties["fatalities"]), (v + 1, &json!(42)));
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn sessions_are_bounded_on_the_server_and_on_the_socket() {
    let t = store("stall_settings");
    let mut c = db::connect(&t.url).unwrap();
    let idle: String = c.query_one("SHOW idle_in_transaction_session_timeout", &[]).unwrap().get(0);
    assert_eq!(idle, "1min");
    // A URL that says otherwise wins.
    let own = format!("{}?options=-c%20idle_in_transaction_session_timeout%3D5s", t.url);
    let mut c = db::connect(&own).unwrap();
    let idle: String = c.query_one("SHOW idle_in_transaction_session_timeout", &[]).unwrap().get(0);
    assert_eq!(idle, "5s");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_live_catch_up_whose_session_stalls_is_given_up_and_the_next_poll_reconnects() {
    let t = store("stall_live");
    let proxy = FaultyProxy::to_url(&t.url);
    let mut live = db::live::Live::connect(&proxy.url(&t.url)).unwrap();
    live.set_poll_slack(Duration::from_secs(2));
    let mut tracker = db::live::Tracker::after(live.latest_seq().unwrap());
    // Another analyst saves; the catch-up's snapshot query stalls.
    let mut admin = db::connect(&t.url).unwrap();
    let (fid, v, f) = stored(&mut admin, "P-0");
    let mut edited = f;
    edited.properties.insert("name".into(), json!("moved"));
    db::push(&mut admin, LAYER, &[Change { fid, base_version: Some(v), feature: Some(edited) }], Uuid::new_v4(), "")
        .unwrap();
    proxy.trigger(b"pg_snapshot_xmin");
    proxy.arm(Fault::Stall);
    let before = tracker.clone();
    let started = Instant::now();
    let e = live.poll(&mut tracker, Duration::from_millis(500)).unwrap_err();
    assert!(e.is_unreachable() && e.to_string().contains("following the store's changes"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert_eq!(tracker, before, "a given-up catch-up moves the tracker not");
    assert_eq!(proxy.hits(), 1);
    // The network is back: the next poll opens a new session and misses nothing.
    proxy.arm(Fault::None);
    let changes = live.poll(&mut tracker, Duration::from_millis(500)).unwrap();
    assert_eq!(changes.iter().map(|c| (c.fid, c.op.as_str())).collect::<Vec<_>>(), [(fid, "update")]);
    // Where a new follower starts is bounded too.
    proxy.trigger(b"coalesce(max(seq)");
    proxy.arm(Fault::Stall);
    let started = Instant::now();
    let e = live.latest_seq().unwrap_err();
    assert!(e.is_unreachable() && started.elapsed() < Duration::from_secs(8), "{e} {:?}", started.elapsed());
    proxy.arm(Fault::None);
    assert_eq!(live.latest_seq().unwrap(), tracker.last);
}

// ---- In the app -----------------------------------------------------------------------------

type H = egui_kittest::Harness<'static, AtlasApp>;

fn settle(h: &mut H, limit: Duration) {
    h.state_mut().finish_team_jobs(limit);
    h.run_steps(3);
}

fn connect_and_open(h: &mut H, url: &str) -> LayerUid {
    h.state_mut().connect_team_store_url(url);
    settle(h, Duration::from_mins(1));
    assert!(h.state().team.session.is_some(), "not connected: {:?}", h.state().team.problem);
    h.get_by_label("Only the current view").click();
    h.run_steps(1);
    h.get_by_label_contains("Only the timeline's range").click();
    h.run_steps(1);
    h.get_by_label("Open “posts”").click();
    h.run_steps(1);
    settle(h, Duration::from_mins(1));
    let (uid, _) = h.state().team.stores.iter().find(|(_, s)| s.name == LAYER).expect("the store layer is open");
    *uid
}

fn messages(app: &AtlasApp) -> String {
    app.messages.iter().fold(String::new(), |mut out, m| {
        let _ = writeln!(out, "{} {}", m.text, m.details.join(" | "));
        out
    })
}

fn layer_of(app: &AtlasApp, uid: LayerUid) -> &Layer {
    app.catalog.layers.iter().find(|l| l.uid == uid).unwrap()
}

fn value_in_layer(app: &AtlasApp, uid: LayerUid, id: &str, key: &str) -> Value {
    let layer = layer_of(app, uid);
    let f = layer.features.iter().find(|f| f.id.as_ref().is_some_and(|i| i.to_string() == id)).unwrap();
    f.properties.get(key).cloned().unwrap_or(Value::Null)
}

/// The app's save meets `fault` mid-save: the analyst is told it is queued offline, the layer
/// keeps the edit, the outbox holds the operation and the server none of it; the next save
/// pushes it exactly once.
fn a_save_meeting(fault: Fault, prefix: &str) {
    // A stall is given up after this long (the app's default is minutes).
    db::deadline::set_save_deadline(Duration::from_secs(3));
    let t = store(prefix);
    let alice = t.login_role("alice", "atlas_analyst");
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    h.state_mut().team.live_enabled = false;
    h.state_mut().team.outbox_dir = Some(dir.path().join("outbox"));
    let proxy = FaultyProxy::to_url(&t.url);
    let url = proxy.url(&t.url_as(&alice));
    let uid = connect_and_open(&mut h, &url);
    let mut admin = db::connect(&t.url).unwrap();
    let (fid, v1, _) = stored(&mut admin, "P-1");
    let i1 = layer_of(h.state(), uid)
        .features
        .iter()
        .position(|f| f.id.as_ref().is_some_and(|i| i.to_string() == "P-1"))
        .unwrap();
    h.state_mut().apply(Command::Edit(EditIntent::StartEditing(uid)));
    h.state_mut().apply(Command::Edit(EditIntent::Apply(
        EditCommand::SetProperty { layer: uid, index: i1, key: "fatalities".into(), value: Some(json!(9)) },
        "Set attribute".into(),
    )));

    proxy.arm(fault);
    let started = Instant::now();
    h.state_mut().apply(Command::Edit(EditIntent::Save(uid)));
    h.run_steps(1);
    settle(&mut h, Duration::from_secs(30));
    let took = started.elapsed();
    let text = messages(h.state());
    assert_eq!(proxy.hits(), 1, "the fault was met mid-save");
    assert!(text.contains("offline outbox"), "the save did not end as queued offline after {took:?}: {text}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(!h.state().team.connecting() || h.state().team.session.is_some());
    // The layer keeps the edit.
    assert_eq!(value_in_layer(h.state(), uid, "P-1", "fatalities"), json!(9));
    // The outbox holds the operation.
    let outbox_file = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sqlite"))
        .expect("an outbox file");
    let queued = db::outbox::Outbox::open(&outbox_file).unwrap().queued().unwrap();
    assert_eq!(queued.len(), 1, "one operation queued");
    let op_id = queued[0].op_id;
    // The server holds none of it, and let go of the broken session.
    assert!(eventually(Duration::from_secs(10), || sessions_of(&mut admin, &alice) == 0), "alice's session stayed");
    assert_eq!(count(&mut admin, "SELECT count(*) FROM atlas.applied_ops WHERE op_id = $1", &[&op_id]), 0);
    let (_, v_now, f) = stored(&mut admin, "P-1");
    assert_eq!((v_now, &f.properties["fatalities"]), (v1, &json!(1)));

    if fault == Fault::Stall {
        // Connecting drains the outbox: that push stalls too, and the attempt ends in words
        // instead of "Connecting…" for ever; the operation stays queued.
        let started = Instant::now();
        h.state_mut().connect_team_store_url(&url);
        settle(&mut h, Duration::from_secs(30));
        let problem = h.state().team.problem.clone().unwrap_or_default();
        assert!(problem.contains("stopped answering while connecting"), "{problem} after {:?}", started.elapsed());
        assert!(!h.state().team.connecting() && started.elapsed() < Duration::from_secs(20));
        assert_eq!(proxy.hits(), 2, "the drain met the stall");
        assert_eq!(db::outbox::Outbox::open(&outbox_file).unwrap().queued().unwrap().len(), 1);
        assert!(eventually(Duration::from_secs(10), || sessions_of(&mut admin, &alice) == 0));
        assert_eq!(count(&mut admin, "SELECT count(*) FROM atlas.applied_ops WHERE op_id = $1", &[&op_id]), 0);
    }

    // Back: the next save pushes the queued operation, once.
    proxy.arm(Fault::None);
    h.state_mut().apply(Command::Edit(EditIntent::Save(uid)));
    h.run_steps(1);
    settle(&mut h, Duration::from_mins(1));
    let text = messages(h.state());
    assert!(text.contains("Pushed 1 operation(s) saved offline"), "{text}");
    let (_, v_now, f) = stored(&mut admin, "P-1");
    assert_eq!((v_now, &f.properties["fatalities"]), (v1 + 1, &json!(9)));
    assert_eq!(count(&mut admin, "SELECT count(*) FROM atlas.applied_ops WHERE op_id = $1", &[&op_id]), 1);
    assert_eq!(count(&mut admin, "SELECT count(*) FROM atlas.history WHERE fid = $1", &[&fid]), 2, "published + once");
    assert!(db::outbox::Outbox::open(&outbox_file).unwrap().queued().unwrap().is_empty());
    h.state_mut().apply(Command::Edit(EditIntent::Save(uid)));
    assert!(messages(h.state()).contains("nothing to push"), "{}", messages(h.state()));
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_save_in_the_app_whose_session_stalls_is_queued_offline_within_the_deadline() {
    a_save_meeting(Fault::Stall, "stall_ui");
}

#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_save_in_the_app_whose_connection_closes_mid_save_is_queued_and_pushed_once_on_reconnect() {
    a_save_meeting(Fault::Cut, "cut_ui");
}

/// The live worker's read of the changed rows stalls: the analyst is told live updates paused,
/// and once the network is back the same change arrives (none is skipped).
#[test]
#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG (see .ci/run)")]
fn a_live_read_that_stalls_pauses_live_updates_and_the_change_still_arrives() {
    db::deadline::set_save_deadline(Duration::from_secs(3));
    let t = store("stall_live_ui");
    let alice = t.login_role("alice", "atlas_analyst");
    let bob = t.login_role("bob", "atlas_analyst");
    let proxy = FaultyProxy::to_url(&t.url);
    let mut h = harness();
    let uid = connect_and_open(&mut h, &proxy.url(&t.url_as(&alice)));
    std::thread::sleep(Duration::from_millis(500));
    proxy.trigger(b"props::text, extra::text FROM");
    proxy.arm(Fault::Stall);
    let mut bob_c = db::connect(&t.url_as(&bob)).unwrap();
    let (fid, v, f) = stored(&mut bob_c, "P-0");
    let mut g = f;
    g.properties.insert("name".into(), json!("post zero, moved"));
    db::push(&mut bob_c, LAYER, &[Change { fid, base_version: Some(v), feature: Some(g) }], Uuid::new_v4(), "")
        .unwrap();
    let paused = eventually(Duration::from_secs(30), || {
        h.run_steps(1);
        h.state().team.problem.as_deref().is_some_and(|p| p.contains("live updates paused"))
    });
    assert!(paused, "no pause said: {:?} {}", h.state().team.problem, messages(h.state()));
    let problem = h.state().team.problem.clone().unwrap_or_default();
    assert!(problem.contains("stopped answering while reading other analysts' saves"), "{problem}");
    assert_eq!(value_in_layer(h.state(), uid, "P-0", "name"), json!("post 0"));
    // Back: the live worker reconnects and the change it could not read arrives.
    proxy.arm(Fault::None);
    let arrived = eventually(Duration::from_secs(30), || {
        h.run_steps(1);
        value_in_layer(h.state(), uid, "P-0", "name") == json!("post zero, moved")
    });
    assert!(arrived, "the change was lost: {}", messages(h.state()));
    assert!(proxy.hits() >= 1);
}
