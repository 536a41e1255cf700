//! Saving is atomic: a process killed with SIGKILL in the middle of saving leaves either the
//! old or the new complete file, never a partial one; an unwritable location (a file where a
//! folder should be, a read-only folder, a full disk) fails with a message naming the file and
//! changes nothing. The read-only and full-disk cases run the save in a child process, so that
//! they also fail writes for root (CI runs as root): see `tests/common/child.rs`.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use frontier_atlas::io::geojson::{layer_to_geojson, load_file};
use frontier_atlas::io::save::{SaveError, layer_to_text, save_layer};
use frontier_atlas::model::{Feature, FeatureId, Layer, LayerKind, LayerSource};
use frontier_atlas::spatial::Shape;
use serde_json::{Map, Value, json};

#[cfg(unix)]
#[path = "common/child.rs"]
mod child;

const TARGET_VAR: &str = "FRONTIER_ATLAS_CRASH_TARGET";
/// The file the read-only-folder and full-disk children save over.
const FAIL_TARGET_VAR: &str = "FRONTIER_ATLAS_FAILING_SAVE_TARGET";
const FEATURES: usize = 10_000;
const ROUNDS: u64 = 12;

/// A layer of about 1.5 MB whose every feature carries its generation, so a file mixing two
/// generations (or cut short) cannot pass for a complete one.
fn big_layer(generation: u64) -> Layer {
    let features = (0..FEATURES)
        .map(|i| {
            let mut properties = Map::new();
            properties.insert("generation".to_owned(), json!(generation));
            properties.insert("name".to_owned(), json!(format!("Пункт {i} — نقطه {generation}")));
            properties.insert("notes".to_owned(), json!("x".repeat(40 + (i + generation as usize) % 30)));
            Feature {
                id: Some(FeatureId::Str(format!("f-{i}"))),
                geometry: Some(json!({"type": "Point", "coordinates": [67.0 + (i % 900) as f64 * 0.01, 35.0 + (i / 900) as f64 * 0.01]})),
                properties,
                foreign_members: Map::new(),
                shape: Shape::default(),
                time: None,
            }
        })
        .collect();
    let mut layer = Layer::new("crash", LayerKind::Generic, LayerSource::Embedded("crash"), features);
    layer.foreign_members.insert("generation".to_owned(), json!(generation));
    layer
}

/// Not a real test: the child process of `kill_during_save_never_leaves_a_partial_file`.
/// Saves new generations to the target in a loop until killed.
#[test]
#[ignore = "child process helper; run by kill_during_save_never_leaves_a_partial_file"]
fn crash_child_saver() {
    let Some(target) = std::env::var_os(TARGET_VAR) else { return };
    let target = PathBuf::from(target);
    let start: u64 = std::env::var("FRONTIER_ATLAS_CRASH_START").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    // The first save goes through `save_layer`; then two prepared texts are written
    // alternately through the same atomic writer, so that most of the time goes to writing
    // and many kills land mid-write.
    save_layer(&big_layer(start), &target).unwrap();
    let texts = [layer_to_text(&big_layer(start + 1)).unwrap(), layer_to_text(&big_layer(start)).unwrap()];
    for text in texts.iter().cycle() {
        frontier_atlas::io::atomic::write_atomic(&target, text).unwrap();
    }
}

/// The generation of the file at `path`, after checking it is exactly a complete save.
fn check_complete(path: &Path) -> u64 {
    let text = std::fs::read(path).unwrap();
    let value: Value = serde_json::from_slice(&text).unwrap_or_else(|e| panic!("partial or corrupt file ({e})"));
    let generation = value["generation"].as_u64().expect("generation member");
    let expected = layer_to_text(&big_layer(generation)).unwrap();
    assert!(text == expected, "file of generation {generation} is not exactly what that save writes");
    let loaded = load_file(path).unwrap();
    assert!(loaded.skipped.is_empty());
    assert_eq!(loaded.layer.features.len(), FEATURES);
    generation
}

/// The generation from the first line of the file (cheap; for polling).
fn peek_generation(path: &Path) -> Option<u64> {
    use std::io::Read as _;
    let mut head = [0_u8; 80];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let head = std::str::from_utf8(head.get(..n)?).ok()?;
    let rest = head.split("\"generation\":").nth(1)?;
    rest.split(',').next()?.parse().ok()
}

#[test]
fn kill_during_save_never_leaves_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.geojson");
    save_layer(&big_layer(0), &target).unwrap();
    assert_eq!(check_complete(&target), 0);
    let exe = std::env::current_exe().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut torn_writes = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child_saver", "--ignored", "--nocapture", "--test-threads=1"])
            .env(TARGET_VAR, &target)
            .env("FRONTIER_ATLAS_CRASH_START", (1 + round * 1000).to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child is in its write loop, so the kill lands while it is busy
        // writing; different delays land it at different points of a write.
        let start = 1 + round * 1000;
        let deadline = std::time::Instant::now() + Duration::from_mins(2);
        while peek_generation(&target) != Some(start + 1) {
            assert!(std::time::Instant::now() < deadline, "the child made no save in 2 min");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(round * 3));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        seen.insert(check_complete(&target));
        // A temporary file left behind means the kill landed mid-write.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path != target {
                torn_writes += 1;
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    eprintln!("{torn_writes} of {ROUNDS} kills landed mid-write; the target was complete every time");
    assert!(seen.len() > 1, "the child never completed a save: {seen:?}");
}

#[test]
fn saving_under_a_file_fails_naming_the_file_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_folder = dir.path().join("not-a-folder");
    std::fs::write(&not_a_folder, "old content").unwrap();
    let path = not_a_folder.join("events.geojson");
    let layer = big_layer(3);
    let before = layer_to_geojson(&layer);
    let err = save_layer(&layer, &path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.ends_with(&path.display().to_string()), "{msg}");
    assert!(msg.contains("not a folder"), "{msg}");
    assert!(matches!(err, SaveError::Io { .. }));
    assert_eq!(std::fs::read_to_string(&not_a_folder).unwrap(), "old content");
    assert_eq!(layer_to_geojson(&layer), before);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no stray files");
}

/// Not a real test: the child of the read-only-folder and full-disk tests. Saves generation 2
/// over the target, which must fail naming the file, and prints the message for the parent.
#[test]
#[ignore = "child process helper; run by the read-only-folder and full-disk tests"]
fn failing_child_saver() {
    let Some(target) = std::env::var_os(FAIL_TARGET_VAR) else { return };
    let path = PathBuf::from(target);
    let err = save_layer(&big_layer(2), &path).expect_err("this save must fail");
    let msg = err.to_string();
    assert!(msg.ends_with(&path.display().to_string()), "the message names the file: {msg}");
    assert!(matches!(err, SaveError::Io { .. }), "{err:?}");
    println!("child error: {msg}");
}

/// Runs [`failing_child_saver`] through `wrapper` over `path` (a complete save of generation
/// 1), then checks that the file is unchanged and that its folder holds nothing else. Returns
/// the child's error message.
#[cfg(unix)]
fn failing_save_changes_nothing(wrapper: Command, path: &Path) -> String {
    let old = std::fs::read(path).unwrap();
    let out = child::run_child_test(wrapper, "failing_child_saver", &[(FAIL_TARGET_VAR, path.as_os_str())]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let msg = stdout.lines().find_map(|l| l.split_once("child error: ")).map(|(_, m)| m.to_owned());
    let msg = msg.unwrap_or_else(|| panic!("the child did not try the save:\n{stdout}"));
    assert!(std::fs::read(path).unwrap() == old, "the old file changed");
    assert_eq!(check_complete(path), 1);
    let folder = path.parent().unwrap();
    let names: Vec<_> = std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, [path.file_name().unwrap()], "files left behind");
    msg
}

/// A read-only folder: the save fails with a permission message and the old file stays. Root
/// writes through folder permissions, so when this process can, the save runs in a child
/// without the capabilities that override them (`setpriv` from util-linux drops
/// `CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH` and `CAP_FOWNER`).
#[cfg(unix)]
#[test]
fn saving_into_a_read_only_folder_fails_and_keeps_the_old_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    let path = folder.join("aid.geojson");
    save_layer(&big_layer(1), &path).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = folder.join("probe");
    let privileged = std::fs::write(&probe, "x").is_ok();
    let wrapper = if privileged {
        std::fs::remove_file(&probe).unwrap();
        let mut setpriv = Command::new("setpriv");
        setpriv.args(["--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]);
        setpriv
    } else {
        Command::new("env")
    };
    let msg = failing_save_changes_nothing(wrapper, &path);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(msg.contains("permission"), "{msg}");
}

/// A full disk (a 512 KiB file-size cap in the child, which binds root too; the new file is
/// about 1.5 MB): the save fails part-way, naming the file, and the old file stays.
#[cfg(unix)]
#[test]
fn saving_onto_a_full_disk_fails_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.geojson");
    save_layer(&big_layer(1), &path).unwrap();
    let msg = failing_save_changes_nothing(child::with_file_size_limit(512), &path);
    assert!(msg.contains("too large") || msg.contains("full"), "{msg}");
}
