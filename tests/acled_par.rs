//! The parallel ACLED CSV reader (issue 8): whatever the block size and however a file's rows
//! fall across blocks and pieces, the layer is the one the serial reader makes — the same
//! features, dates, categories, skipped rows and `FILE:LINE:COL` problems — and a file it
//! cannot cut safely is handed to the serial reader.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

#[path = "common/acled_gen.rs"]
mod acled_gen;

use std::path::Path;

use frontier_atlas::io::acled_layer;
use frontier_atlas::io::acled_par::{self, Outcome};
use frontier_atlas::io::geojson::Loaded;
use frontier_atlas::io::progress::Progress;

/// The layer the value-tree reader makes of `path`.
fn serial(path: &Path) -> Loaded {
    acled_layer::load(path).expect("the serial reader loads it")
}

fn assert_same(path: &Path, block: usize) -> Loaded {
    let Outcome::Loaded(fast) = acled_par::load(path, &Progress::new(), block) else {
        panic!("{}: the parallel reader did not take it (block {block})", path.display())
    };
    let mut fast = *fast;
    let slow = serial(path);
    fast.layer.uid = slow.layer.uid;
    if fast.skipped != slow.skipped {
        let at = fast
            .skipped
            .iter()
            .zip(&slow.skipped)
            .position(|(a, b)| a != b)
            .unwrap_or(fast.skipped.len().min(slow.skipped.len()));
        panic!(
            "block {block}: {} vs {} problems; first difference at {at}:\nparallel {:?}\nserial   {:?}",
            fast.skipped.len(),
            slow.skipped.len(),
            fast.skipped.get(at.saturating_sub(1)..at + 2),
            slow.skipped.get(at.saturating_sub(1)..at + 2)
        );
    }
    assert_eq!(format!("{:?}", fast.layer), format!("{:?}", slow.layer), "block {block}");
    assert_eq!(fast.layer.categories, slow.layer.categories);
    assert_eq!(fast.layer.category_names, slow.layer.category_names);
    assert_eq!(fast.layer.layout, slow.layer.layout);
    let spans =
        |l: &frontier_atlas::model::Layer| (0..l.features.len()).map(|i| l.features.span(i)).collect::<Vec<_>>();
    assert_eq!(spans(&fast.layer), spans(&slow.layer));
    assert_eq!(fast.layer.features.packed_count(), fast.layer.features.len(), "every feature packed");
    // New ids continue the file's numbering without decoding a feature (the rows' ids were
    // tallied as they were read).
    for prefix in ["", "AFG", "TJK"] {
        assert_eq!(
            frontier_atlas::edit::new_feature_id(&fast.layer, prefix),
            frontier_atlas::edit::new_feature_id(&slow.layer, prefix),
            "prefix {prefix:?}"
        );
    }
    assert!(fast.layer.id_tally().is_some(), "the parallel reader tallies ids");
    fast
}

/// A generated export with every kind of row the reader must get right, spread over the file:
/// CRLF and LF line ends, quoted notes with commas, quotes and newlines, blank and
/// whitespace-only lines, duplicate ids (near and far), bad dates and coordinates, a number
/// kept as text, a row of the wrong width, invalid UTF-8, and a last row without a newline.
fn nasty(n: usize) -> Vec<u8> {
    let mut plain = Vec::new();
    acled_gen::generate_acled_csv(n, 7, &mut plain).unwrap();
    let text = String::from_utf8(plain).unwrap();
    let mut lines = text.lines();
    let mut out: Vec<u8> = Vec::new();
    out.extend_from_slice(b"\xEF\xBB\xBF");
    out.extend_from_slice(lines.next().unwrap().as_bytes());
    out.extend_from_slice(b"\n");
    let rows: Vec<&str> = lines.collect();
    for (i, row) in rows.iter().enumerate() {
        let mut row = (*row).to_owned();
        match i % 97 {
            3 => row = row.replacen("Generated event", "Generated\nevent, with \"\"quotes\"\"\r\nand lines", 1),
            11 => row = row.replacen(",Generated source,", ",\"Generated, source\",", 1),
            17 => row = row.replacen(",2,Generated source", ",,Generated source", 1),
            23 => {
                // A duplicate of an earlier row's id (near), and one far back.
                let id = rows[i / 2].split(',').next().unwrap().to_owned();
                let own = row.split(',').next().unwrap().to_owned();
                row = row.replacen(&own, &id, 1);
            }
            29 => row = row.replacen(",1,", ",x1,", 1),
            31 => {
                let own = row.split(',').nth(1).unwrap().to_owned();
                row = row.replacen(&own, "2022-02-30", 1);
            }
            37 => row.push_str(",extra"),
            41 => {
                let lat = row.split(',').nth(22).unwrap().to_owned();
                row = row.replacen(&lat, "95.5", 1);
            }
            43 => row = row.replacen(",Generated source,", ",,", 1).replacen(",National,", ",National,,", 1),
            47 => row = row.replacen("10,", "ten,", 1),
            _ => {}
        }
        let mut bytes = row.into_bytes();
        if i % 97 == 53 {
            // Invalid UTF-8 in the notes.
            if let Some(at) = bytes.windows(9).position(|w| w == b"Generated") {
                bytes[at] = 0xFF;
            }
        }
        out.extend_from_slice(&bytes);
        if i + 1 < rows.len() {
            out.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
        }
        match i % 211 {
            7 => out.extend_from_slice(b"\n"),
            13 => out.extend_from_slice(b"   \n"),
            19 => out.extend_from_slice(b"\r\n\r\n"),
            _ => {}
        }
    }
    out
}

#[test]
fn every_block_size_gives_the_serial_readers_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nasty.csv");
    std::fs::write(&path, nasty(4_000)).unwrap();
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    let mut layer = None;
    for block in [1_000, 4_096, 65_536, size / 3, size * 2] {
        layer = Some(assert_same(&path, block));
    }
    let layer = layer.unwrap();
    // The file has every kind of problem, each with its line.
    let joined = layer.skipped.join("\n");
    for needle in
        ["duplicate id", "not a calendar date", "not valid UTF-8", "fields, expected 31", "kept as text", "latitude"]
    {
        assert!(joined.contains(needle), "no `{needle}` in:\n{joined}");
    }
    assert!(layer.layer.features.len() > 3_000, "{}", layer.layer.features.len());
}

#[test]
fn a_file_cut_into_many_pieces_per_block_gives_the_same_layer() {
    // Large enough for several pieces per block on any number of cores.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, nasty(40_000)).unwrap();
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    assert!(size > 8 * 1024 * 1024, "{size}");
    assert_same(&path, 4 * 1024 * 1024);
    assert_same(&path, size + 1);
}

#[test]
fn the_fixture_and_stray_quotes_are_read_alike_whichever_reader_takes_them() {
    let fixture = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/acled/hostile.csv"));
    // A stray quote inside an unquoted field upsets quote parity: the parallel reader hands
    // such a file to the serial one (or reads it right); File → Open gives the same layer.
    let dir = tempfile::tempdir().unwrap();
    let stray = dir.path().join("stray.csv");
    let mut bytes = nasty(3_000);
    let at = bytes.windows(10).position(|w| w == b"Place AFG1").unwrap_or(100);
    bytes.insert(at + 5, b'"');
    std::fs::write(&stray, &bytes).unwrap();
    for path in [fixture, stray.as_path()] {
        for block in [512, 1 << 20] {
            match acled_par::load(path, &Progress::new(), block) {
                Outcome::Loaded(_) => {
                    assert_same(path, block);
                }
                Outcome::Irregular => {}
                Outcome::Failed(e) => panic!("{e}"),
            }
        }
        let mut open = acled_layer::load_packed(path, &Progress::new()).unwrap();
        let slow = serial(path);
        open.layer.uid = slow.layer.uid;
        assert_eq!(open.skipped, slow.skipped);
        assert_eq!(format!("{:?}", open.layer), format!("{:?}", slow.layer));
    }
}

#[test]
fn a_cancelled_parallel_load_returns_no_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, nasty(3_000)).unwrap();
    match acled_par::load(&path, &Progress::cancel_after_features(1), 4_096) {
        Outcome::Failed(e) => assert!(e.contains("cancelled") && e.contains("events.csv"), "{e}"),
        _ => panic!("not cancelled"),
    }
}

#[test]
fn a_saved_parallel_load_is_byte_identical_to_a_saved_serial_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, nasty(2_000)).unwrap();
    let fast = assert_same(&path, 8_192);
    let slow = serial(&path);
    let a = dir.path().join("a.geojson");
    let b = dir.path().join("b.geojson");
    frontier_atlas::io::save::save_layer(&fast.layer, &a).unwrap();
    frontier_atlas::io::save::save_layer(&slow.layer, &b).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn import_acled_writes_the_serial_readers_bytes_and_problems() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nasty.csv");
    let bytes = nasty(6_000);
    std::fs::write(&path, &bytes).unwrap();
    let out = dir.path().join("out.geojson");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .args(["import", "acled"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .arg("--skip-bad")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let label = path.display().to_string();
    let import = frontier_atlas::io::acled::parse_acled(bytes.as_slice(), &label).unwrap();
    let expected = frontier_atlas::io::acled::write_geojson(&import);
    assert!(std::fs::read_to_string(&out).unwrap() == expected, "the written GeoJSON differs");
    let stderr = String::from_utf8(run.stderr).unwrap();
    // Each message says whether its row was skipped or kept, once.
    let expected_problems: Vec<String> = import.problems.iter().map(|p| p.located(&label)).collect();
    assert!(expected_problems.iter().all(|p| p.ends_with(')') && !p.contains(") (")), "{expected_problems:?}");
    let problems: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&label)).collect();
    assert_eq!(problems, expected_problems);
    // Without --skip-bad nothing is written.
    std::fs::remove_file(&out).unwrap();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .args(["import", "acled"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(!out.exists());
}

#[test]
fn a_district_lists_the_packed_events_inside_it_without_decoding_them() {
    use frontier_atlas::geodata::{default_catalog, district_summary};
    use frontier_atlas::model::{FeatureRef, LayerKind};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, nasty(20_000)).unwrap();
    let Outcome::Loaded(loaded) = acled_par::load(&path, &Progress::new(), acled_par::BLOCK) else {
        panic!("not loaded")
    };
    let (mut catalog, _) = default_catalog();
    catalog.insert(loaded.layer);
    let li = catalog.layers.len() - 1;
    let (di, districts) = catalog.layer_of_kind(LayerKind::Districts).expect("districts");
    let range = frontier_atlas::time::Range::year(2021).expect("range");
    let mut found = 0;
    for fi in 0..districts.features.len() {
        let district = districts.features.get(fi).unwrap();
        for r in [None, Some(&range)] {
            let summary = district_summary(&catalog, FeatureRef { layer: di, feature: fi }, r).unwrap();
            let mut listed: Vec<usize> = summary.events.iter().filter(|e| e.layer == li).map(|e| e.feature).collect();
            // Brute force over every event's point and span.
            let events = &catalog.layers[li].features;
            // Listed newest first, undated last (found walking the app: in the index's order).
            let days: Vec<_> = listed.iter().map(|&i| events.span(i).map(|s| s.start)).collect();
            assert!(days.windows(2).all(|w| w[0] >= w[1]), "district #{fi}: not newest first: {days:?}");
            listed.sort_unstable();
            let expected: Vec<usize> = (0..events.len())
                .filter(|&i| {
                    let inside = events.shape(i).unwrap().points.iter().any(|p| {
                        district.shape.polygons().iter().any(|rings| {
                            use geo::Contains as _;
                            let ring = |r: &Vec<[f64; 2]>| {
                                geo::LineString::from(r.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>())
                            };
                            let polygon = geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect());
                            polygon.contains(&geo::Point::new(p[0], p[1]))
                        })
                    });
                    let dated = match (r, events.span(i)) {
                        (Some(r), Some(t)) => t.overlaps(r),
                        _ => true,
                    };
                    inside && dated
                })
                .collect();
            assert_eq!(listed, expected, "district #{fi}");
            found += listed.len();
        }
    }
    assert!(found > 0, "some generated events fall in a district");
    assert_eq!(catalog.layers[li].features.decodes(), 0, "the summary read only the columns");
}
