//! The GeoPackage geometry blob (header + WKB) decoder on arbitrary bytes: never panics; a
//! decoded geometry encodes again and decodes to the same geometry.

#![no_main]

use frontier_atlas::io::gpkg::wkb::{decode_blob, encode_blob};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((Some(geometry), info)) = decode_blob(data) else { return };
    let Ok(encoded) = encode_blob(&geometry, info.srs_id) else { return };
    match decode_blob(&encoded.blob) {
        Ok((Some(again), _)) => assert_eq!(again, geometry, "re-encoded geometry differs"),
        other => panic!("re-encoded geometry does not decode: {other:?}\nfrom {geometry}"),
    }
});
