//! Benchmark (issue 12): open a window of stored events from the team store — the frontier's
//! bbox and one year pushed down to SQL — against opening the same events from their GeoJSON
//! file (which reads every event). Not a criterion bench: one publish, then timed rounds.
//!
//! ```text
//! cargo run --release --example gen_acled -- 1000000 /tmp/ev.csv /tmp/ev.geojson
//! FA_BENCH_PG=postgresql://postgres@127.0.0.1:55432/postgres FA_BENCH_GEOJSON=/tmp/ev.geojson \
//!     cargo bench --bench db_open
//! ```
//!
//! `FA_BENCH_PG` is a superuser URL: the bench makes (and drops first) the database
//! `fa_bench_open`. `FA_BENCH_ROUNDS` (default 3) rounds; the median is printed.

#![expect(clippy::unwrap_used, reason = "a benchmark: any failure should stop it loudly")]

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use frontier_atlas::db;
use frontier_atlas::geodata::HOME_BBOX;

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
    let (Ok(url), Ok(path)) = (std::env::var("FA_BENCH_PG"), std::env::var("FA_BENCH_GEOJSON")) else {
        eprintln!("db_open: set FA_BENCH_PG (a superuser URL) and FA_BENCH_GEOJSON (see the file's header); skipped");
        return;
    };
    let path = PathBuf::from(path);
    let rounds: usize = std::env::var("FA_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let (from, to) = (NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2022, 12, 31).unwrap());
    let bbox = HOME_BBOX;
    let size_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);

    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect to FA_BENCH_PG");
    // One statement each: DROP/CREATE DATABASE cannot run in the implicit transaction of a batch.
    admin.batch_execute("DROP DATABASE IF EXISTS fa_bench_open WITH (FORCE)").unwrap();
    admin.batch_execute("CREATE DATABASE fa_bench_open").unwrap();
    let store_url = with_database(&url, "fa_bench_open");
    let mut c = db::connect(&store_url).unwrap();
    db::migrate(&mut c).unwrap();

    let t = Instant::now();
    let layer = frontier_atlas::io::open::open_layer(&path, None).expect("open the GeoJSON").layer;
    let first_file = t.elapsed().as_secs_f64();
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
    let t = Instant::now();
    db::publish(&mut c, &layer, "events").unwrap();
    let publish = t.elapsed().as_secs_f64();
    drop(layer);
    println!("db_open: {n} events, GeoJSON {size_mb:.0} MB; published in {publish:.1} s");
    println!("db_open: window bbox {bbox:?}, {from}..{to}: {want} events");

    let mut file = vec![first_file];
    let mut store = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let s = db::open_layer(&mut c, "events", Some(bbox), Some((from, to))).unwrap();
        store.push(t.elapsed().as_secs_f64());
        assert_eq!(s.layer.features.len(), want, "the store returns exactly the window");
        drop(s);
        if file.len() < rounds {
            let t = Instant::now();
            let l = frontier_atlas::io::open::open_layer(&path, None).unwrap();
            file.push(t.elapsed().as_secs_f64());
            drop(l);
        }
    }
    let t = Instant::now();
    let all = db::open_layer(&mut c, "events", None, None).unwrap();
    let whole = t.elapsed().as_secs_f64();
    assert_eq!(all.layer.features.len(), n);
    drop(all);
    let (f, s) = (median(file), median(store));
    println!("db_open: open the GeoJSON file (all {n}):            median {f:.3} s over {rounds} rounds");
    println!(
        "db_open: open from the store (bbox + 1 year, {want}): median {s:.3} s over {rounds} rounds ({:.1}x faster)",
        f / s
    );
    println!("db_open: open from the store (whole layer, {n}, once): {whole:.3} s");
    drop(c);
    let _ = admin.batch_execute("DROP DATABASE IF EXISTS fa_bench_open WITH (FORCE)");
}
