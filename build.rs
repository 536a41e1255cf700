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

/// Entry point: validate all layers, fail the build listing every problem.
fn main() {
    println!("cargo::rerun-if-changed={GEODATA}");
    println!("cargo::rerun-if-changed=src/io/validate.rs");
    println!("cargo::rerun-if-changed=src/model/schema.rs");
    println!("cargo::rerun-if-changed=src/io/geodata_check.rs");
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
