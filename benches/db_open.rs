//! Benchmark (issue 12): open a window of stored events from the team store — the frontier's
//! bbox and one year pushed down to SQL — against opening the same events from their GeoJSON
//! file with the app's own open path (`io::open`, the chunked `geojson_fast` loader into the
//! columnar store), which reads every event. Not a criterion bench: one publish, then timed
//! rounds.
//!
//! ```text
//! FA_BENCH_PG=postgresql://postgres@127.0.0.1:55432/postgres FA_BENCH_EVENTS=1000000 \
//!     CARGO_TARGET_DIR=/work/rel-target cargo bench --bench db_open
//! ```
//!
//! `FA_BENCH_PG` is a superuser URL: the bench makes (and drops first) the database
//! `fa_bench_open`. The events are generated (`tests/common/acled_gen.rs`, as ACLED CSV and
//! then the GeoJSON `import acled` writes for it) in a temporary directory, `FA_BENCH_EVENTS`
//! of them (default 100,000), unless `FA_BENCH_GEOJSON` names a file to use instead.
//! `FA_BENCH_ROUNDS` (default 3) rounds; the median is printed, with the resident memory each
//! opened layer holds (RSS growth while it is held, from `/proc/self/statm`).
//!
//! Then the whole layer is opened as the app opens it (each feature tagged with its fid) and a
//! one-feature save is timed the app's way: the changes found from the layer's state
//! (`ui::team_store::changes_of`) and the guarded push of that one change.
//!
//! `FA_BENCH_REUSE=1` keeps the database: when `fa_bench_open` already holds layer `events`
//! with as many features as the file, it is not published again (publishing 1M events takes
//! about 100 s); the database is then left in place for the next run. The generated events are
//! the same for the same `FA_BENCH_EVENTS` (a fixed seed).

#![expect(clippy::unwrap_used, reason = "a benchmark: any failure should stop it loudly")]

#[path = "../tests/common/acled_gen.rs"]
mod acled_gen;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use frontier_atlas::db;
use frontier_atlas::geodata::HOME_BBOX;
use frontier_atlas::io::acled::{GeoJsonWriter, open_acled};

/// Resident memory of this process, MB (0 where `/proc` is missing).
fn rss_mb() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<f64>().ok()))
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

/// Writes `n` generated events as GeoJSON to `out` (through their ACLED CSV in `dir`).
fn generate(n: usize, dir: &Path, out: &Path) {
    let csv = dir.join("events.csv");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv).unwrap());
    acled_gen::generate_acled_csv(n, 1, &mut w).unwrap();
    w.flush().unwrap();
    drop(w);
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out).unwrap());
    let mut writer = GeoJsonWriter::new(file).unwrap();
    open_acled(&csv).unwrap().stream_rows(|row| writer.row(&row)).unwrap();
    writer.finish().unwrap().flush().unwrap();
    std::fs::remove_file(&csv).unwrap();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, String::new()), |(b, q)| (b, format!("?{q}")));
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let cut = base[host_end..].find('/').map_or(base.len(), |i| host_end + i);
    format!("{}/{name}{query}", &base[..cut])
}

fn main() {
    let Ok(url) = std::env::var("FA_BENCH_PG") else {
        eprintln!("db_open: set FA_BENCH_PG (a superuser URL; see the file's header); skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = if let Ok(p) = std::env::var("FA_BENCH_GEOJSON") {
        PathBuf::from(p)
    } else {
        let n: usize = std::env::var("FA_BENCH_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
        let p = tmp.path().join("events.geojson");
        let t = Instant::now();
        generate(n, tmp.path(), &p);
        println!("db_open: generated {n} events in {:.1} s", t.elapsed().as_secs_f64());
        p
    };
    let rounds: usize = std::env::var("FA_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let (from, to) = (NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2022, 12, 31).unwrap());
    let bbox = HOME_BBOX;
    let size_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);

    let reuse = std::env::var("FA_BENCH_REUSE").is_ok_and(|v| v == "1");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect to FA_BENCH_PG");
    let exists = admin.query_opt("SELECT 1 FROM pg_database WHERE datname = 'fa_bench_open'", &[]).unwrap().is_some();
    if !(reuse && exists) {
        // One statement each: DROP/CREATE DATABASE cannot run in the implicit transaction of a batch.
        admin.batch_execute("DROP DATABASE IF EXISTS fa_bench_open WITH (FORCE)").unwrap();
        admin.batch_execute("CREATE DATABASE fa_bench_open").unwrap();
    }
    let store_url = with_database(&url, "fa_bench_open");
    let mut c = db::connect(&store_url).unwrap();
    db::migrate(&mut c).unwrap();

    let rss0 = rss_mb();
    let t = Instant::now();
    let layer = frontier_atlas::io::open::open_layer(&path, None).expect("open the GeoJSON").layer;
    let first_file = t.elapsed().as_secs_f64();
    let file_rss = rss_mb() - rss0;
    let n = layer.features.len();
    let want = layer
        .features
        .iter()
        .filter(|f| {
            let in_box = f.geometry.as_ref().and_then(|g| g.get("coordinates")).and_then(|c| {
                let (x, y) = (c.get(0)?.as_f64()?, c.get(1)?.as_f64()?);
                Some(x >= bbox[0] && x <= bbox[2] && y >= bbox[1] && y <= bbox[3])
            });
            in_box == Some(true) && f.time.is_some_and(|s| s.start <= to && s.end >= from)
        })
        .count();
    let stored: Option<i64> = db::list_layers(&mut c).unwrap().iter().any(|l| l.name == "events").then(|| {
        let table = db::schema::table_of(&mut c, "events").unwrap();
        c.query_one(&format!("SELECT count(*) FROM {table}"), &[]).unwrap().get(0)
    });
    if reuse && stored == Some(n as i64) {
        drop(layer);
        println!("db_open: {n} events, GeoJSON {size_mb:.0} MB; already published (FA_BENCH_REUSE=1)");
    } else {
        if stored.is_some() {
            c.batch_execute("DROP SCHEMA IF EXISTS atlas CASCADE").unwrap();
            db::migrate(&mut c).unwrap();
        }
        let t = Instant::now();
        db::publish(&mut c, &layer, "events").unwrap();
        let publish = t.elapsed().as_secs_f64();
        drop(layer);
        println!("db_open: {n} events, GeoJSON {size_mb:.0} MB; published in {publish:.1} s");
    }
    println!("db_open: window bbox {bbox:?}, {from}..{to}: {want} events");

    let mut file = vec![first_file];
    let mut store = Vec::new();
    let mut store_rss = 0.0_f64;
    for _ in 0..rounds {
        let rss0 = rss_mb();
        let t = Instant::now();
        let s = db::open_layer(&mut c, "events", Some(bbox), Some((from, to))).unwrap();
        store.push(t.elapsed().as_secs_f64());
        store_rss = store_rss.max(rss_mb() - rss0);
        assert_eq!(s.layer.features.len(), want, "the store returns exactly the window");
        drop(s);
        if file.len() < rounds {
            let t = Instant::now();
            let l = frontier_atlas::io::open::open_layer(&path, None).unwrap();
            file.push(t.elapsed().as_secs_f64());
            drop(l);
        }
    }
    // The server's part of the window: the same query as `db::open_layer`, rows fetched and
    // not decoded.
    let table = db::schema::table_of(&mut c, "events").unwrap();
    let sql = format!(
        "SELECT fid, version, ST_AsEWKB(geom), props::text, extra::text FROM {table} \
         WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) AND date_start <= $6 AND date_end >= $5 ORDER BY ord"
    );
    let t = Instant::now();
    let rows = c.query(&sql, &[&bbox[0], &bbox[1], &bbox[2], &bbox[3], &from, &to]).unwrap();
    let fetch = t.elapsed().as_secs_f64();
    let bytes: usize = rows
        .iter()
        .map(|r| r.get::<_, Option<&[u8]>>(2).map_or(0, <[u8]>::len) + r.get::<_, Option<&str>>(3).map_or(0, str::len))
        .sum();
    assert_eq!(rows.len(), want);
    drop(rows);
    let rss0 = rss_mb();
    let t = Instant::now();
    let all = db::open_layer(&mut c, "events", None, None).unwrap();
    let whole = t.elapsed().as_secs_f64();
    let whole_rss = rss_mb() - rss0;
    assert_eq!(all.layer.features.len(), n);
    drop(all);
    one_feature_save(&mut c, n);
    let (f, s) = (median(file), median(store));
    println!(
        "db_open: open the GeoJSON file (all {n}):            median {f:.3} s over {rounds} rounds; +{file_rss:.0} MB RSS"
    );
    println!(
        "db_open: open from the store (bbox + 1 year, {want}): median {s:.3} s over {rounds} rounds ({:.1}x faster); +{store_rss:.0} MB RSS",
        f / s
    );
    println!(
        "db_open:   of which the server's query and transfer ({:.0} MB of geometry and properties): {fetch:.3} s",
        bytes as f64 / 1e6
    );
    println!("db_open: open from the store (whole layer, {n}, once): {whole:.3} s; +{whole_rss:.0} MB RSS");
    drop(c);
    if !reuse {
        let _ = admin.batch_execute("DROP DATABASE IF EXISTS fa_bench_open WITH (FORCE)");
    }
}

/// Opens the whole layer as the app does, edits one feature and saves it the app's way.
fn one_feature_save(c: &mut postgres::Client, n: usize) {
    use frontier_atlas::ui::team_conflicts::FID_MEMBER;
    use frontier_atlas::ui::team_store::{StoreState, changes_of};
    let rss0 = rss_mb();
    let t = Instant::now();
    let opened = db::open::open_layer_with_fids(c, "events", None, None, FID_MEMBER).unwrap();
    let mut layer = opened.layer;
    let state = StoreState::opened("events", &layer.features, &opened.rows, None);
    let open = t.elapsed().as_secs_f64();
    let open_rss = rss_mb() - rss0;
    assert_eq!(layer.features.len(), n);
    let i = n / 2;
    if let Some(f) = layer.features.get_mut(i) {
        f.properties.insert(
            "notes".to_owned(),
            serde_json::Value::from(format!("edited by the benchmark ({})", uuid::Uuid::new_v4())),
        );
    }
    layer.refresh_after(frontier_atlas::model::Change::Changed(i));
    let decodes = layer.features.decodes();
    let t = Instant::now();
    let changes = changes_of(&layer, &state);
    let find = t.elapsed().as_secs_f64();
    assert_eq!(changes.len(), 1, "one feature changed");
    let decoded = layer.features.decodes() - decodes;
    let sent: Vec<db::Change> = changes
        .into_iter()
        .map(|(o, _)| db::Change { fid: o.fid, base_version: o.base_version, feature: o.feature })
        .collect();
    let t = Instant::now();
    let report = db::push(c, "events", &sent, uuid::Uuid::new_v4(), "benchmark edit").unwrap();
    let push = t.elapsed().as_secs_f64();
    assert_eq!(report.applied.len(), 1);
    let held = rss_mb() - rss0;
    // Finding one feature by fid (a live change, a label): a pass over the fid column.
    let fid = opened.rows[n / 3].fid;
    let t = Instant::now();
    let found = state.find(&layer.features, &std::iter::once(fid).collect());
    let locate = t.elapsed().as_secs_f64();
    assert_eq!(found.get(&fid), Some(&(n / 3)));
    println!(
        "db_open: the app's open of the whole layer ({n}, fids tagged, merge base built): {open:.3} s; +{open_rss:.0} MB RSS"
    );
    println!(
        "db_open: one-feature save: changes found in {find:.3} s ({decoded} feature(s) decoded), pushed in {push:.3} s; +{held:.0} MB RSS with the layer held; one feature found by fid in {locate:.3} s"
    );
}
