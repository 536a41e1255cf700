//! Build script: validates every `geodata/*.geojson` at compile time.
//!
//! Each file must be strict RFC 7946 GeoJSON (checked by `src/io/validate.rs`, compiled
//! here standalone), every Feature must have a string `id` unique within its file, and the
//! known layers must carry their required properties (ACLED keys for events, the aid
//! schema for aid, names for the base layers). Any problem fails the build with a list of
//! `geodata/FILE:LINE:COL: message` lines. Files that do not exist yet are skipped.

#[path = "src/io/validate.rs"]
mod validate;

#[path = "src/io/geodata_check.rs"]
mod geodata_check;

use std::fs;
use std::path::Path;

/// Directory holding the embedded layers, relative to the crate root.
const GEODATA: &str = "geodata";

#[path = "src/model/schema.rs"]
mod schema;

// The app's date grammar (with the calendar helpers and the range type it uses), so shipped
// dates are checked by exactly the parser the app reads them with.
#[path = "src/time/calendar.rs"]
#[expect(dead_code, reason = "the build script uses only the date parser")]
mod calendar;
#[path = "src/time/range.rs"]
#[expect(
    dead_code,
    clippy::trivially_copy_pass_by_ref,
    reason = "the build script uses only the date parser; the library keeps its API"
)]
mod range;
#[path = "src/time/span.rs"]
#[expect(
    dead_code,
    clippy::trivially_copy_pass_by_ref,
    reason = "the build script uses only the date parser; the library keeps its API"
)]
mod span;
use range::Range;

/// Entry point: validate all layers, fail the build listing every problem.
fn main() {
    gate_tests();
    println!("cargo::rerun-if-changed={GEODATA}");
    println!("cargo::rerun-if-changed=src/io/validate.rs");
    println!("cargo::rerun-if-changed=src/model/schema.rs");
    println!("cargo::rerun-if-changed=src/io/geodata_check.rs");
    for file in ["calendar", "range", "span"] {
        println!("cargo::rerun-if-changed=src/time/{file}.rs");
    }
    let mut errors = Vec::new();
    for file in geojson_files(Path::new(GEODATA), &mut errors) {
        println!("cargo::rerun-if-changed={GEODATA}/{file}");
        check_file(&file, &mut errors);
    }
    if !errors.is_empty() {
        eprintln!("error: geodata validation failed ({} problems):", errors.len());
        for e in &errors {
            eprintln!("  {e}");
        }
        std::process::exit(1);
    }
}

/// Sorted names of the `*.geojson` files in `dir` (none if the directory is missing).
fn geojson_files(dir: &Path, errors: &mut Vec<String>) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".geojson") {
                    names.push(name);
                }
            }
            Err(err) => errors.push(format!("{}: cannot list: {err}", dir.display())),
        }
    }
    names.sort();
    names
}

/// Reads and checks one file; a file removed between listing and reading is skipped.
fn check_file(file: &str, errors: &mut Vec<String>) {
    let path = format!("{GEODATA}/{file}");
    match fs::read(&path) {
        Ok(bytes) => errors.extend(geodata_check::check_layer_file(file, &path, &bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => errors.push(format!("{path}: cannot read: {err}")),
    }
}

// ---- Test gating (issue 7) ------------------------------------------------------------------
// Tests that need GDAL's command-line tools or the shared data folder carry
// `#[cfg_attr(missing_gdal, ignore = "…")]` / `#[cfg_attr(missing_shared_data, ignore = "…")]`.
// Under CI nothing is ignored, so a missing tool or file fails its test instead of passing.

/// The shared (never copied) data folder the real-file tests read, relative to the crate root.
const SHARED_DATA: &str = "../shared/data";

/// Emits the `missing_gdal` / `missing_shared_data` cfgs for what is absent, unless `CI` is set
/// (to anything but empty, `0` or `false`). Reruns when `CI` or `PATH` change or the shared
/// folder changes; after creating `../shared/data` where it was missing, `touch build.rs`.
fn gate_tests() {
    println!(
        "cargo::rustc-check-cfg=cfg(missing_gdal, missing_shared_data, missing_poppler, missing_pg, missing_pg_tls, missing_pg_cert)"
    );
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=FA_TEST_PG");
    println!("cargo::rerun-if-env-changed=FA_TEST_PG_CA");
    println!("cargo::rerun-if-env-changed=FA_TEST_PG_CLIENT_DIR");
    let shared = Path::new(SHARED_DATA).is_dir();
    if shared {
        println!("cargo::rerun-if-changed={SHARED_DATA}");
    }
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
    if ci {
        return;
    }
    if !["ogrinfo", "ogr2ogr"].into_iter().all(on_path) {
        println!("cargo::rustc-cfg=missing_gdal");
    }
    if !shared {
        println!("cargo::rustc-cfg=missing_shared_data");
    }
    // The team-store tests (issue 12) find their PostgreSQL/PostGIS server through FA_TEST_PG.
    if std::env::var_os("FA_TEST_PG").is_none_or(|v| v.is_empty()) {
        println!("cargo::rustc-cfg=missing_pg");
    }
    // The TLS tests (tests/db_tls.rs) also need the CA that signed that server's certificate.
    if ["FA_TEST_PG", "FA_TEST_PG_CA"].into_iter().any(|v| std::env::var_os(v).is_none_or(|v| v.is_empty())) {
        println!("cargo::rustc-cfg=missing_pg_tls");
    }
    // The client-certificate tests also need the role fa_cert's certificate and key (.ci/run).
    if std::env::var_os("FA_TEST_PG_CLIENT_DIR").is_none_or(|v| v.is_empty()) {
        println!("cargo::rustc-cfg=missing_pg_cert");
    }
    if !["pdfinfo", "pdftoppm", "pdftotext", "pdffonts", "pdfimages"].into_iter().all(on_path) {
        println!("cargo::rustc-cfg=missing_poppler");
    }
}

/// Whether an executable file named `tool` (`tool.exe` on Windows) is in a `PATH` folder.
fn on_path(tool: &str) -> bool {
    let name = format!("{tool}{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let file = dir.join(&name);
            fs::metadata(&file).is_ok_and(|m| m.is_file() && is_executable(&m))
        })
    })
}

/// Whether the file's mode lets someone execute it (always true off Unix).
fn is_executable(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}
