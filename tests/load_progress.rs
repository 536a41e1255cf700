//! Issue 8, "the app never freezes": loads report their bytes and features through
//! `io::progress::Progress` and stop when cancelled, giving no layer; in the app a loading
//! file has a progress row with a Cancel button, and cancelling leaves the layers as they were.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

mod common;

#[path = "common/acled_gen.rs"]
mod acled_gen;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use egui_kittest::kittest::Queryable as _;
use frontier_atlas::io::open::{OpenError, open_layers_with};
use frontier_atlas::io::progress::{Progress, Snapshot};

/// A folder of its own under the system temp folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("fa-load-progress-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `n` dated points as a GeoJSON `FeatureCollection`.
fn points_geojson(n: usize) -> String {
    let mut s = String::with_capacity(n * 130);
    s.push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for i in 0..n {
        let (lon, lat) = (66.0 + (i % 1000) as f64 * 0.01, 35.0 + (i / 1000 % 500) as f64 * 0.01);
        let day = 1 + i % 28;
        writeln!(
            s,
            "{}{{\"type\":\"Feature\",\"id\":{i},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:.4},{lat:.4}]}},\
             \"properties\":{{\"event_type\":\"Battles\",\"event_date\":\"2020-03-{day:02}\",\"fatalities\":{}}}}}",
            if i == 0 { "" } else { "," },
            i % 7
        )
        .unwrap();
    }
    s.push_str("]}\n");
    s
}

/// `n` points as a CSV with longitude/latitude columns.
fn points_csv(n: usize) -> String {
    let mut s = String::from("id,name,longitude,latitude\n");
    for i in 0..n {
        writeln!(s, "{i},site {i},{:.4},{:.4}", 66.0 + (i % 1000) as f64 * 0.01, 35.0 + (i / 1000) as f64 * 0.001)
            .unwrap();
    }
    s
}

/// `n` Placemarks as KML.
fn points_kml(n: usize) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n");
    for i in 0..n {
        writeln!(
            s,
            "<Placemark id=\"p{i}\"><name>site {i}</name><Point><coordinates>{:.4},{:.4}</coordinates></Point></Placemark>",
            66.0 + (i % 1000) as f64 * 0.01,
            35.0 + (i / 1000) as f64 * 0.001
        )
        .unwrap();
    }
    s.push_str("</Document></kml>\n");
    s
}

fn acled_csv(path: &Path, rows: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    acled_gen::generate_acled_csv(rows, 7, &mut out).unwrap();
    std::io::Write::flush(&mut out).unwrap();
}

/// A GeoPackage of `n` points, written through the app's own writer.
fn points_gpkg(dir: &Scratch, n: usize) -> PathBuf {
    let json = dir.path("for-gpkg.geojson");
    std::fs::write(&json, points_geojson(n)).unwrap();
    let layer = open_layers_with(&json, &Progress::new()).unwrap().remove(0).layer;
    let gpkg = dir.path("points.gpkg");
    frontier_atlas::io::open::write_layer(&layer, &gpkg).unwrap();
    gpkg
}

fn assert_cancelled(result: Result<Vec<frontier_atlas::io::geojson::Loaded>, OpenError>, path: &Path) {
    match result {
        Err(e @ OpenError::Cancelled { .. }) => {
            assert_eq!(e.to_string(), format!("Loading {} cancelled", path.display()));
        }
        Err(other) => panic!("{}: expected a cancel, got the error {other}", path.display()),
        Ok(layers) => panic!("{}: cancelled, yet {} layer(s) came back", path.display(), layers.len()),
    }
}

/// A file dropped on the window, as the windowing layer hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut egui_kittest::Harness<'static, frontier_atlas::ui::AtlasApp>, path: &Path) {
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(path.to_owned())));
}

#[test]
fn a_load_cancelled_after_n_features_stops_there_and_returns_no_layer() {
    let dir = Scratch::new("cancel-n");
    let geojson = dir.path("big.geojson");
    std::fs::write(&geojson, points_geojson(100_000)).unwrap();
    let csv = dir.path("points.csv");
    std::fs::write(&csv, points_csv(100_000)).unwrap();
    let kml = dir.path("points.kml");
    std::fs::write(&kml, points_kml(30_000)).unwrap();
    let gpkg = points_gpkg(&dir, 30_000);
    for path in [&geojson, &csv, &kml, &gpkg] {
        let progress = Progress::cancel_after_features(10_000);
        let result = open_layers_with(path, &progress);
        assert_cancelled(result, path);
        let s = progress.snapshot();
        assert!(s.cancelled);
        // It stopped at the first check after 10,000 features, not at the end of the file.
        assert!(s.features < 20_000, "{}: went on to {} features after the cancel", path.display(), s.features);
        if path != &geojson {
            // (GeoJSON makes features once its text is parsed: the parse reads to the end.)
            assert!(s.bytes_done < s.bytes_total, "{}: read to the end ({} bytes)", path.display(), s.bytes_done);
        }
    }
}

/// Loads `path`, cancelling from another thread as soon as the first bytes are reported;
/// returns what the canceller saw then, and what the load saw at its end.
fn cancel_at_first_report(path: &Path) -> (Snapshot, Snapshot) {
    let progress = Progress::new();
    let watcher = {
        let progress = progress.clone();
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_mins(2);
            while progress.snapshot().bytes_done == 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            let seen = progress.snapshot();
            progress.cancel();
            seen
        })
    };
    let result = open_layers_with(path, &progress);
    let seen = watcher.join().unwrap();
    assert!(seen.bytes_done > 0, "no progress was reported before the load ended");
    assert!(seen.bytes_done < seen.bytes_total, "the first report was already the end: {seen:?}");
    assert_cancelled(result, path);
    (seen, progress.snapshot())
}

#[test]
fn cancelling_from_another_thread_after_the_first_report_stops_an_acled_import() {
    let dir = Scratch::new("cancel-thread");
    let path = dir.path("acled-100k.csv");
    acled_csv(&path, 100_000);
    let (seen, end) = cancel_at_first_report(&path);
    // The file is read a block (16 MB, some 46,000 rows here) at a time, its rows counted as
    // soon as it is parsed; Cancel is seen after the block at the latest.
    assert!(seen.features > 0, "the first report counts the first block's rows: {seen:?}");
    assert!(
        end.features <= seen.features + 50_000 && end.features < 100_000,
        "went on from {} to {} of 100,000 rows after the cancel",
        seen.features,
        end.features
    );
}

#[test]
fn a_geojson_load_stops_while_the_text_is_still_being_parsed() {
    let dir = Scratch::new("cancel-parse");
    let path = dir.path("big.geojson");
    std::fs::write(&path, points_geojson(100_000)).unwrap();
    let (_, end) = cancel_at_first_report(&path);
    // The columnar loader reads, packs and reports 4,096 features at a time and sees Cancel
    // between groups.
    assert!(end.features < 20_000, "went on to {} of 100,000 features after the cancel", end.features);
    assert!(end.bytes_done < end.bytes_total, "the parse read to the end: {end:?}");
}

#[test]
fn progress_reaches_the_file_size_when_a_load_succeeds() {
    let dir = Scratch::new("complete");
    let geojson = dir.path("points.geojson");
    std::fs::write(&geojson, points_geojson(10_000)).unwrap();
    let csv = dir.path("points.csv");
    std::fs::write(&csv, points_csv(10_000)).unwrap();
    let kml = dir.path("points.kml");
    std::fs::write(&kml, points_kml(5_000)).unwrap();
    let acled = dir.path("acled.csv");
    acled_csv(&acled, 10_000);
    let gpkg = points_gpkg(&dir, 10_000);
    for (path, n) in [(&geojson, 10_000), (&csv, 10_000), (&kml, 5_000), (&acled, 10_000), (&gpkg, 10_000)] {
        let progress = Progress::new();
        let layers = open_layers_with(path, &progress).unwrap_or_else(|e| panic!("{e}"));
        let s = progress.snapshot();
        let size = std::fs::metadata(path).unwrap().len();
        assert_eq!((s.bytes_done, s.bytes_total), (size, size), "{}", path.display());
        assert_eq!(s.features, n, "{}: features reported", path.display());
        assert_eq!(layers.iter().map(|l| l.layer.features.len() as u64).sum::<u64>(), n, "{}", path.display());
        assert!(!s.cancelled);
    }
}

#[test]
fn a_big_file_dropped_on_the_window_shows_a_progress_row_and_cancel_leaves_the_layers_alone() {
    let dir = Scratch::new("kittest");
    let path = dir.path("big-events.geojson");
    // Big enough that it is still loading over the few frames below (seconds, not frames).
    std::fs::write(&path, points_geojson(400_000)).unwrap();
    let mut h = common::harness();
    h.run_steps(3);
    let layers_before: Vec<_> = h.state().catalog.layers.iter().map(|l| (l.uid, l.name.clone())).collect();

    drop_file(&mut h, &path);
    h.run_steps(2);
    h.get_by_label("Loading big-events.geojson");
    // Said once besides the row: in the Layers panel, where the layer will appear (the status
    // bar said it a third time).
    assert_eq!(h.query_all_by_label("loading 1 file(s)…").count(), 1);
    h.get_by_label("Cancel").click();
    h.run_steps(3);

    assert!(h.query_by_label("Loading big-events.geojson").is_none(), "the row is still there after Cancel");
    h.get_by_label(&format!("Loading {} cancelled", path.display()));
    // The worker stops at its next check; whatever it sends later is dropped. Give it time.
    for _ in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        h.run_steps(1);
    }
    let layers_after: Vec<_> = h.state().catalog.layers.iter().map(|l| (l.uid, l.name.clone())).collect();
    assert_eq!(layers_after, layers_before, "a cancelled load changed the layers");
}

#[test]
fn a_small_file_dropped_on_the_window_loads_and_its_row_goes() {
    let dir = Scratch::new("kittest-small");
    let path = dir.path("few.geojson");
    std::fs::write(&path, points_geojson(50)).unwrap();
    let mut h = common::harness();
    h.run_steps(3);
    let before = h.state().catalog.layers.len();
    drop_file(&mut h, &path);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while h.state().catalog.layers.len() == before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
    assert_eq!(h.state().catalog.layers.len(), before + 1, "the dropped file did not load");
    h.run_steps(1);
    assert!(h.query_by_label("Loading few.geojson").is_none());
    assert!(h.state().catalog.layers.iter().any(|l| l.name == "few"));
}
