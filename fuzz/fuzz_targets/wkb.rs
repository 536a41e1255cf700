//! The GeoPackage geometry blob (header + WKB) decoder on arbitrary bytes: never panics; a
//! decoded geometry encodes again, and from then on decoding and encoding are exact inverses
//! (the first encoding may normalise: mixed 2-D/3-D positions are written as XYZ with Z = 0).

#![no_main]

use frontier_atlas::io::gpkg::wkb::{decode_blob, encode_blob};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((Some(geometry), info)) = decode_blob(data) else { return };
    let Ok(encoded) = encode_blob(&geometry, info.srs_id) else { return };
    let again = match decode_blob(&encoded.blob) {
        Ok((Some(again), _)) => again,
        other => panic!("encoded geometry does not decode: {other:?}\nfrom {geometry}"),
    };
    let reencoded = encode_blob(&again, info.srs_id).expect("a decoded geometry encodes");
    assert!(reencoded.blob == encoded.blob, "decode/encode is not stable for {geometry}\nthen {again}");
});
