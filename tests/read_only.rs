//! Writes that would replace a read-only file (`chmod 444`) are refused with a message naming
//! the file, and the file is left as it was: `convert` (GeoJSON, GeoPackage, CSV outputs),
//! `import acled --out` and `render --out` alike (one check, in `io::atomic`). The check reads
//! the permission bits, so it holds when the tests run as root (CI), who may write anything.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

/// A read-only file holding `old`.
fn frozen(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, "old").expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod 444");
    path
}

fn assert_refused(out: &Output, path: &Path) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must fail; stderr: {stderr}");
    assert!(stderr.contains(&path.display().to_string()) && stderr.contains("read-only"), "{stderr}");
    assert_eq!(std::fs::read_to_string(path).expect("read"), "old", "the read-only file is untouched");
    let left: Vec<_> = std::fs::read_dir(path.parent().expect("a folder"))
        .expect("list the folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "no temporary file left: {left:?}");
}

#[test]
fn convert_refuses_to_replace_a_read_only_output() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("gpkg/places.geojson");
    for name in ["out.geojson", "out.gpkg", "out.csv"] {
        let out_path = frozen(dir.path(), name);
        let out = bin().arg("convert").arg(&src).arg(&out_path).output().unwrap();
        assert_refused(&out, &out_path);
    }
}

#[test]
fn import_acled_refuses_to_replace_a_read_only_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = frozen(dir.path(), "events.geojson");
    let out =
        bin().args(["import", "acled"]).arg(fixture("acled/hostile.csv")).arg("--out").arg(&out_path).output().unwrap();
    assert_refused(&out, &out_path);
}

#[test]
fn render_refuses_to_replace_a_read_only_png() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = frozen(dir.path(), "brief.png");
    let out = bin().args(["render", "--out"]).arg(&out_path).args(["--size", "200x120"]).output().unwrap();
    assert_refused(&out, &out_path);
}
