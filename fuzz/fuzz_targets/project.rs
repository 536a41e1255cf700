//! The project file reader on arbitrary bytes: never panics; a project it accepts writes text
//! that it accepts again.

#![no_main]

use std::path::Path;

use frontier_atlas::project::{parse_project, project_to_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("/fuzz/briefing.fatlas.json");
    let Ok(project) = parse_project(text, path) else { return };
    let written = project_to_json(&project, path);
    if let Err(e) = parse_project(&written, path) {
        panic!("written project does not parse again: {e}\n--- written:\n{written}");
    }
});
