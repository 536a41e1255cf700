//! `convert` of an ACLED CSV larger than one block of the parallel reader
//! (`io::acled_par::BLOCK`) to a GeoPackage finishes (issue 8): the reader's task that hands
//! rows over waits for the writer, which must not wait for the same thread pool.

#[path = "common/acled_gen.rs"]
mod acled_gen;

use std::time::Duration;

use frontier_atlas::io::convert::{BadRows, convert_layer};

#[test]
fn an_export_of_several_blocks_converts_to_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("big.csv");
    let mut text = Vec::new();
    let mut rows = 0;
    // Enough rows for three blocks of the parallel reader.
    while text.len() <= 3 * frontier_atlas::io::acled_par::BLOCK {
        rows += 20_000;
        text.clear();
        acled_gen::generate_acled_csv(rows, 8, &mut text).unwrap();
    }
    std::fs::write(&csv, &text).unwrap();
    drop(text);
    let out = dir.path().join("big.gpkg");
    let (send, receive) = std::sync::mpsc::channel();
    let (input, output) = (csv.clone(), out.clone());
    std::thread::spawn(move || {
        send.send(convert_layer(&input, &output, None, BadRows::Fail).map(|r| r.layers)).ok();
    });
    let layers = receive.recv_timeout(Duration::from_mins(20)).expect("the conversion hung").unwrap();
    assert_eq!(layers, vec![("big".to_owned(), rows)]);
    assert!(out.exists());
}
