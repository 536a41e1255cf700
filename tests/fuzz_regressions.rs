//! Inputs the fuzz targets in `fuzz/` (run by `scripts/fuzz.sh`) found, kept as tests: each
//! names its target, the input (inline or in `tests/fixtures/fuzz/`) and what went wrong.

use std::path::{Path, PathBuf};

use frontier_atlas::io::gpkg::wkb::{decode_blob, encode_blob};
use frontier_atlas::project::{parse_project, project_to_json};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz").join(name)
}

/// Target `project`: `"from": "-023-01-01"` was read as the year −23 and written back as
/// `"-0023-01-01"`, which the reader refuses, so a saved project did not open again. A date
/// that is not `YYYY-MM-DD` is refused when read, naming the file and the member.
#[test]
fn project_date_with_a_sign_is_refused() {
    let path = Path::new("/briefings/frontier.fatlas.json");
    for date in ["-023-01-01", "+023-01-01"] {
        let text =
            json!({"format": "frontier-atlas-project", "version": 1, "from": date, "to": "2023-12-31", "layers": []})
                .to_string();
        let err = parse_project(&text, path).expect_err(date).to_string();
        assert!(err.contains("frontier.fatlas.json") && err.contains("from"), "{err}");
        assert!(err.contains("YYYY-MM-DD"), "{err}");
    }
    let text = std::fs::read_to_string(fixture("project-signed-year.fatlas.json")).unwrap();
    assert!(parse_project(&text, path).is_err(), "the fuzzed file (a damaged example project) is refused");
}

/// Target `project`: whatever the reader accepts, the writer writes text the reader accepts
/// again (checked on the shipped example and the format document's example).
#[test]
fn projects_that_open_save_to_text_that_opens() {
    let path = Path::new("/briefings/frontier.fatlas.json");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project/example.fatlas.json");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/project/format-doc.fatlas.json");
    for file in [example, seed] {
        let text = std::fs::read_to_string(&file).unwrap();
        let project = parse_project(&text, path).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let written = project_to_json(&project, path);
        let again = parse_project(&written, path).unwrap_or_else(|e| panic!("{}: rewritten: {e}", file.display()));
        assert_eq!(project_to_json(&again, path), written, "{}: writing is stable", file.display());
    }
}

/// Target `wkb`: a 2-D `GeometryCollection` holding a 2-D and a 3-D point decodes as mixed
/// dimensions; writing it gives every position a Z (0 where there was none, as documented in
/// `wkb::encode_blob`), and from then on decoding and encoding are exact inverses.
#[test]
fn wkb_mixed_dimensions_are_written_as_xyz_then_stable() {
    let blob = std::fs::read(fixture("wkb-mixed-dimensions.bin")).unwrap();
    let (Some(geometry), info) = decode_blob(&blob).unwrap() else { panic!("not empty") };
    assert_eq!(geometry["type"], "GeometryCollection");
    assert_eq!(geometry["geometries"][0]["coordinates"], json!([70.0, 37.0]));
    assert_eq!(geometry["geometries"][1]["coordinates"].as_array().unwrap().len(), 3);
    let encoded = encode_blob(&geometry, info.srs_id).unwrap();
    assert!(encoded.has_z);
    let (Some(again), _) = decode_blob(&encoded.blob).unwrap() else { panic!("not empty") };
    assert_eq!(again["geometries"][0]["coordinates"], json!([70.0, 37.0, 0.0]));
    assert_eq!(again["geometries"][1], geometry["geometries"][1]);
    assert!(encode_blob(&again, info.srs_id).unwrap().blob == encoded.blob, "stable after the first write");
}
