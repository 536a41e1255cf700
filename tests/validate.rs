//! Integration tests for the strict RFC 7946 validator (`frontier_atlas::io::validate`).
//!
//! A fixture table pins the exact line, column and a message fragment of each invalid
//! case; a list of valid oddities must give no problems at all.

use std::path::Path;
use std::time::Instant;

use frontier_atlas::io::validate::{
    Problem, Severity, has_errors, is_lon_lat_crs_name, line_col, validate_bytes, validate_str,
};

#[path = "common/shared_data.rs"]
mod shared_data;
use shared_data::shared_data;

/// Wrap a geometry JSON text into a one-Feature collection on a single line.
///
/// The geometry text starts at column 70.
fn in_feature(geometry: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","geometry":{geometry},"properties":null}}]}}"#
    )
}

/// Column where `in_feature` puts the geometry text.
const GEOMETRY_COL: usize = 70;

/// One invalid input with the expected first problem.
struct Case {
    /// Short name for failure messages.
    name: &'static str,
    /// Document text.
    text: String,
    /// Expected 1-based line.
    line: usize,
    /// Expected 1-based column.
    col: usize,
    /// Fragment the message must contain.
    message: &'static str,
}

/// Shorthand for building a [`Case`].
fn case(name: &'static str, text: impl Into<String>, line: usize, col: usize, message: &'static str) -> Case {
    Case { name, text: text.into(), line, col, message }
}

/// The invalid fixture table.
fn invalid_cases() -> Vec<Case> {
    let g = GEOMETRY_COL;
    vec![
        case("wrong case type name", r#"{"type": "point", "coordinates": [1, 2]}"#, 1, 10, "expected \"Point\""),
        case(
            "wrong case feature",
            "{\"type\": \"FeatureCollection\",\n \"features\": [{\"type\": \"feature\", \"geometry\": null, \"properties\": null}]}",
            2,
            24,
            "expected \"Feature\"",
        ),
        case("unknown type", r#"{"type": "Circle", "coordinates": [1, 2]}"#, 1, 10, "unknown type \"Circle\""),
        case(
            "position with 1 element",
            in_feature(r#"{"type":"Point","coordinates":[1]}"#),
            1,
            g + 30,
            "position has 1 element; RFC 7946 allows 2 or 3",
        ),
        case(
            "position with 4 elements",
            in_feature(r#"{"type":"Point","coordinates":[1,2,3,4]}"#),
            1,
            g + 30,
            "position has 4 elements; RFC 7946 allows 2 or 3",
        ),
        case(
            "huge exponent is not finite",
            in_feature(r#"{"type":"Point","coordinates":[1e400,2]}"#),
            1,
            g + 31,
            "1e400 is not finite",
        ),
        case(
            "latitude out of range with swap hint",
            in_feature(r#"{"type":"Point","coordinates":[37.5,95.2]}"#),
            1,
            g + 36,
            "latitude 95.2 outside −90..90 (are longitude and latitude swapped?)",
        ),
        case(
            "longitude out of range",
            in_feature(r#"{"type":"Point","coordinates":[200,45]}"#),
            1,
            g + 31,
            "longitude 200 outside −180..180",
        ),
        case(
            "position element not a number",
            in_feature(r#"{"type":"Point","coordinates":["68",38]}"#),
            1,
            g + 31,
            "position element must be a number, found a string",
        ),
        case(
            "unclosed ring",
            in_feature(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#),
            1,
            g + 33,
            "linear ring is not closed",
        ),
        case(
            "ring of 3",
            in_feature(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#),
            1,
            g + 33,
            "linear ring has 3 positions; needs at least 4",
        ),
        case(
            "LineString of 1",
            in_feature(r#"{"type":"LineString","coordinates":[[0,0]]}"#),
            1,
            g + 35,
            "LineString has 1 position; needs at least 2",
        ),
        case(
            "bbox of odd length",
            r#"{"type": "Point", "bbox": [1, 2, 3], "coordinates": [1, 2]}"#,
            1,
            27,
            "`bbox` has 3 elements",
        ),
        case(
            "bbox south above north",
            r#"{"type": "Point", "bbox": [1, 20, 3, 10], "coordinates": [1, 2]}"#,
            1,
            27,
            "south 20 is greater than north 10",
        ),
        case(
            "id as object",
            r#"{"type": "Feature", "id": {"a": 1}, "geometry": null, "properties": null}"#,
            1,
            27,
            "`id` must be a string or number, found an object",
        ),
        case(
            "id as bool",
            r#"{"type": "Feature", "id": true, "geometry": null, "properties": null}"#,
            1,
            27,
            "`id` must be a string or number, found a boolean",
        ),
        case(
            "missing geometry member",
            "{\"type\": \"FeatureCollection\", \"features\": [\n  {\"type\": \"Feature\", \"properties\": {}}\n]}",
            2,
            3,
            "missing the `geometry` member",
        ),
        case(
            "missing properties member",
            r#"{"type": "Feature", "geometry": null}"#,
            1,
            1,
            "missing the `properties` member",
        ),
        case(
            "features not an array",
            r#"{"type": "FeatureCollection", "features": {"type": "Feature"}}"#,
            1,
            43,
            "`features` must be an array, found an object",
        ),
        case(
            "geometry member holding a Feature",
            in_feature(r#"{"type":"Feature","geometry":null,"properties":null}"#),
            1,
            g + 8,
            "expected a geometry object, found type \"Feature\"",
        ),
        case(
            "missing coordinates",
            in_feature(r#"{"type":"Polygon"}"#),
            1,
            g,
            "Polygon is missing the `coordinates` member",
        ),
        case(
            "GeometryCollection with coordinates",
            r#"{"type": "GeometryCollection", "coordinates": [], "geometries": []}"#,
            1,
            32,
            "must not have a `coordinates` member",
        ),
        case("missing type", r#"{"coordinates": [1, 2]}"#, 1, 1, "missing the `type` member"),
        case("root is an array", "[1, 2]", 1, 1, "root must be a GeoJSON object, found an array"),
        case(
            "trailing comma",
            "{\"type\": \"Point\",\n \"coordinates\": [1, 2],\n}",
            2,
            23,
            "Trailing commas are not allowed",
        ),
        case(
            "comment",
            "{\"type\": \"Point\", // a point\n \"coordinates\": [1, 2]}",
            1,
            19,
            "Comments are not allowed",
        ),
        case("unquoted member name", "{type: \"Point\", \"coordinates\": [1, 2]}", 1, 2, "JSON syntax error"),
        case(
            "duplicate key",
            "{\"type\": \"Point\",\n \"coordinates\": [1, 2],\n \"type\": \"Point\"}",
            3,
            2,
            "duplicate member name \"type\"",
        ),
        case(
            "tab inside a string",
            "{\"type\": \"Po\tint\", \"coordinates\": [1, 2]}",
            1,
            13,
            "control character U+0009",
        ),
        case("truncated file", "{\"type\": \"Point\",\n \"coordinates\": [1, 2", 2, 22, "unexpected end of file"),
        // Found trying the command: a file cut at a decimal point was "Leading or trailing
        // decimal points", where File → Open said it was cut short.
        case("cut at a decimal point", "{\"type\": \"Point\",\n \"coordinates\": [1, 2.", 2, 21, "cut short?"),
        case("empty file", "", 1, 1, "empty document"),
        case("whitespace only", "  \n ", 2, 2, "empty document"),
        case(
            "crs member naming no system",
            r#"{"type": "Point", "crs": {"type": "name"}, "coordinates": [1, 2]}"#,
            1,
            19,
            "`crs` of type \"name\" has no `properties.name`: coordinates are not WGS 84 longitude/latitude",
        ),
        case(
            "column counts characters, not bytes",
            "{\"name\": \"Душанбе\", \"type\": \"Point\", \"coordinates\": [1, 100]}",
            1,
            57,
            "latitude 100 outside",
        ),
    ]
}

#[test]
fn invalid_fixture_table() {
    let mut failures = Vec::new();
    for c in invalid_cases() {
        let problems = validate_str(&c.text);
        match problems.first() {
            Some(p) if p.line == c.line && p.col == c.col && p.message.contains(c.message) => {}
            _ => failures.push(format!(
                "{}: expected {}:{} containing {:?}, got {problems:?}",
                c.name, c.line, c.col, c.message
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Valid oddities: each must give zero problems.
const VALID_ODDITIES: &[&str] = &[
    r#"{"type":"Feature","geometry":null,"properties":null}"#,
    r#"{"type":"Feature","id":7,"geometry":null,"properties":{"a":{"b":[1,{"c":null}]}}}"#,
    r#"{"type":"Feature","id":-1.5e3,"geometry":null,"properties":{}}"#,
    r#"{"type":"Point","coordinates":[69.5,37.5,1200.25]}"#,
    r#"{"type":"Point","coordinates":[-180,-90]}"#,
    r#"{"type":"Point","coordinates":[180,90]}"#,
    r#"{"type":"MultiPoint","coordinates":[]}"#,
    r#"{"type":"FeatureCollection","features":[]}"#,
    r#"{"type":"FeatureCollection","features":[],"bbox":[170,-10,-170,10],"name":"x"}"#,
    r#"{"type":"FeatureCollection","features":[],"bbox":[0,0,-5,1,1,10]}"#,
    r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"GeometryCollection","geometries":[]}]}"#,
    r#"{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}"#,
    r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]]}"#,
    r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0.0,0.0]]]}"#,
    r#"{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3,4]]]}"#,
    r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2],"foreign":{"type":"bogus"}},"properties":null,"extra":[1,2,3]}"#,
    "\u{FEFF}{\"type\":\"Point\",\"coordinates\":[1,2]}",
    "\r\n{\"type\" : \"Point\",\t\"coordinates\" : [ 1 , 2 ] }\r\n",
    r#"{"type":"Feature","geometry":null,"properties":{"name":"Хорог \"Khorog\" \u0425"}}"#,
];

#[test]
fn valid_oddities_give_no_problems() {
    for text in VALID_ODDITIES {
        assert_eq!(validate_str(text), Vec::<Problem>::new(), "for {text}");
    }
}

/// Path of a fixture file.
fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate").join(name)
}

#[test]
fn valid_fixture_files() {
    for name in ["valid_oddities.geojson", "bare_point.geojson"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        assert_eq!(validate_bytes(&bytes), Vec::<Problem>::new(), "for {name}");
    }
}

#[test]
fn geoboundaries_crs_gives_exactly_one_note_at_the_member() {
    let bytes = std::fs::read(fixture("geoboundaries_crs.geojson")).unwrap();
    let problems = validate_bytes(&bytes);
    assert_eq!(
        problems,
        vec![Problem {
            line: 4,
            col: 1,
            message: "`crs` member (urn:ogc:def:crs:OGC:1.3:CRS84) is not part of RFC 7946; coordinates are \
                      WGS 84 longitude/latitude as RFC 7946 requires"
                .to_string(),
            severity: Severity::Note,
        }]
    );
    assert!(!has_errors(&problems), "a CRS84 `crs` leaves the file valid");
    assert_eq!(problems[0].to_string(), format!("4:1: note: {}", problems[0].message));
}

/// A one-point collection carrying `crs` (JSON text of the member's value).
fn with_crs(crs: &str, coordinates: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","crs":{crs},"features":[{{"type":"Feature","properties":null,"geometry":{{"type":"Point","coordinates":{coordinates}}}}}]}}"#
    )
}

#[test]
fn crs_naming_wgs84_lon_lat_is_a_note_in_every_spelling() {
    for name in [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "OGC:CRS84",
        "CRS84",
        "EPSG:4326",
        "epsg:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:EPSG:6.6:4326",
        "urn:x-ogc:def:crs:EPSG:4326",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "http://www.opengis.net/gml/srs/epsg.xml#4326",
        "urn:ogc:def:crs:EPSG::4979",
        "http://www.opengis.net/def/crs/OGC/0/CRS84h",
    ] {
        assert!(is_lon_lat_crs_name(name), "{name}");
        let text = with_crs(&format!(r#"{{"type":"name","properties":{{"name":"{name}"}}}}"#), "[69.5,37.5]");
        let problems = validate_str(&text);
        assert_eq!(problems.len(), 1, "{name}: {problems:?}");
        assert_eq!((problems[0].severity, problems[0].col), (Severity::Note, 29), "{name}: {problems:?}");
    }
    // The GeoJSON 2008 `EPSG` form and a null `crs`.
    for crs in [r#"{"type":"EPSG","properties":{"code":4326}}"#, "null"] {
        let problems = validate_str(&with_crs(crs, "[69.5,37.5]"));
        assert!(!has_errors(&problems), "{crs}: {problems:?}");
    }
}

#[test]
fn crs_naming_another_system_is_an_error_saying_the_coordinates_are_not_lon_lat() {
    for (crs, shown) in [
        (r#"{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}}"#, "EPSG::3857"),
        (r#"{"type":"name","properties":{"name":"EPSG:32642"}}"#, "EPSG:32642"),
        (r#"{"type":"name","properties":{"name":"EPSG:43260"}}"#, "EPSG:43260"),
        (r#"{"type":"EPSG","properties":{"code":3857}}"#, "EPSG:3857"),
        (r#"{"type":"link","properties":{"href":"http://example.com/crs/42","type":"proj4"}}"#, "\"link\""),
        (r#"{"type":"name","properties":{}}"#, "no `properties.name`"),
        (r#""EPSG:4326""#, "a string"),
    ] {
        // Web-Mercator metres: out of degree ranges, yet reported once, at the `crs` member.
        let problems = validate_str(&with_crs(crs, "[7800000.5,4500000.25]"));
        assert_eq!(problems.len(), 1, "{crs}: {problems:?}");
        let p = &problems[0];
        assert_eq!((p.line, p.col, p.severity), (1, 29, Severity::Error), "{crs}: {p:?}");
        assert!(p.message.contains("not WGS 84 longitude/latitude"), "{crs}: {}", p.message);
        assert!(p.message.contains(shown), "{crs}: {}", p.message);
    }
}

/// 1-based column of the first `needle` in a one-line `text`.
fn col_of(text: &str, needle: &str) -> usize {
    text.find(needle).expect("needle in text") + 1
}

#[test]
fn rfc7946_section_7_1_members_in_the_wrong_object_are_errors() {
    let cases = [
        (
            r#"{"type":"Point","coordinates":[1,2],"features":[]}"#,
            "\"features",
            "a geometry object must not have a `features`",
        ),
        (r#"{"type":"Point","coordinates":[1,2],"geometry":null}"#, "\"geometry", "must not have a `geometry`"),
        (r#"{"type":"Point","coordinates":[1,2],"properties":{}}"#, "\"properties", "must not have a `properties`"),
        (
            r#"{"type":"GeometryCollection","geometries":[],"properties":null}"#,
            "\"properties",
            "a geometry object must not have a `properties`",
        ),
        (
            r#"{"type":"Feature","geometry":null,"properties":null,"features":[]}"#,
            "\"features",
            "a Feature must not have a `features`",
        ),
        (
            r#"{"type":"Feature","geometry":null,"properties":null,"coordinates":[1,2]}"#,
            "\"coordinates",
            "a Feature must not have a `coordinates`",
        ),
        (
            r#"{"type":"Feature","geometry":null,"properties":null,"geometries":[]}"#,
            "\"geometries",
            "a Feature must not have a `geometries`",
        ),
        (
            r#"{"type":"FeatureCollection","features":[],"geometry":null}"#,
            "\"geometry",
            "a FeatureCollection must not have a `geometry`",
        ),
        (
            r#"{"type":"FeatureCollection","features":[],"properties":{}}"#,
            "\"properties",
            "must not have a `properties`",
        ),
        (
            r#"{"type":"FeatureCollection","features":[],"coordinates":[]}"#,
            "\"coordinates",
            "must not have a `coordinates`",
        ),
        (
            r#"{"type":"FeatureCollection","features":[],"geometries":[]}"#,
            "\"geometries",
            "must not have a `geometries`",
        ),
    ];
    for (text, member, message) in cases {
        let problems = validate_str(text);
        assert_eq!(problems.len(), 1, "{text}: {problems:?}");
        let p = &problems[0];
        assert!(p.is_error() && p.line == 1 && p.col == col_of(text, member), "{text}: {p:?}");
        assert!(p.message.contains(message) && p.message.contains("RFC 7946 §7.1"), "{text}: {p:?}");
    }
    // Inside a foreign member, the names mean nothing (RFC 7946 §6.1).
    let foreign = r#"{"type":"Point","coordinates":[1,2],"extra":{"features":[],"geometry":null}}"#;
    assert_eq!(validate_str(foreign), Vec::<Problem>::new());
}

#[test]
fn a_number_out_of_the_double_range_is_an_error_anywhere() {
    for (text, number) in [
        (r#"{"type":"Feature","geometry":null,"properties":{"n":1e400}}"#, "1e400"),
        (r#"{"type":"Feature","geometry":null,"properties":null,"extra":[-1e400]}"#, "-1e400"),
        (r#"{"type":"Feature","id":1e999,"geometry":null,"properties":null}"#, "1e999"),
        (r#"{"type":"FeatureCollection","features":[],"bbox":[1e400,0,1,1]}"#, "1e400"),
    ] {
        let problems = validate_str(text);
        assert_eq!(problems.len(), 1, "{text}: {problems:?}");
        assert_eq!((problems[0].line, problems[0].col), (1, col_of(text, number)), "{text}: {problems:?}");
        assert!(problems[0].message.contains("is not finite"), "{text}: {problems:?}");
    }
}

#[test]
fn common_mistakes_fixture_lists_every_problem_in_order() {
    let bytes = std::fs::read(fixture("common_mistakes.geojson")).unwrap();
    let got: Vec<(usize, usize)> = validate_bytes(&bytes).iter().map(|p| (p.line, p.col)).collect();
    assert_eq!(got, vec![(5, 15), (7, 59), (13, 55), (16, 5), (18, 13)]);
    let messages: Vec<String> = validate_bytes(&bytes).into_iter().map(|p| p.message).collect();
    assert!(messages[0].contains("expected \"Feature\""));
    assert!(messages[1].contains("swapped?"));
    assert!(messages[2].contains("not closed"));
    assert!(messages[3].contains("`geometry`"));
    assert!(messages[4].contains("`id` must be a string or number"));
}

#[test]
fn invalid_utf8_reports_the_first_bad_byte() {
    let mut bytes = b"{\"type\": \"Feature\",\n \"properties\": {\"name\": \"Ab".to_vec();
    bytes.push(0xFF);
    bytes.extend_from_slice(b"\"}, \"geometry\": null}");
    let problems = validate_bytes(&bytes);
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].line, problems[0].col), (2, 28));
    assert!(problems[0].message.contains("invalid UTF-8"), "{problems:?}");
    assert!(problems[0].message.contains("0xFF"), "{problems:?}");
}

#[test]
fn invalid_utf8_after_multibyte_characters_counts_characters() {
    let mut bytes = "{\"name\": \"Душ".as_bytes().to_vec();
    bytes.extend_from_slice(&[0xD0]); // truncated 2-byte sequence
    let problems = validate_bytes(&bytes);
    assert_eq!((problems[0].line, problems[0].col), (1, 14));
}

#[test]
fn deeply_nested_input_does_not_overflow() {
    let text = "[".repeat(100_000);
    let problems = validate_str(&text);
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].line, problems[0].col), (1, 65));
    assert!(problems[0].message.contains("nesting too deep"));

    let objects = "{\"a\":".repeat(100_000);
    let problems = validate_str(&objects);
    assert!(problems[0].message.contains("nesting too deep"));

    // A quote inside a comment or a single-quoted string cannot hide the nesting: the
    // parser rejects the comment or quote before it recurses.
    for prefix in ["// \"\n", "'\"'", "/* \" */"] {
        let text = format!("{prefix}{}", "[".repeat(100_000));
        assert!(!validate_str(&text).is_empty());
    }

    // Brackets inside strings do not count.
    let in_string =
        format!("{{\"type\":\"Feature\",\"geometry\":null,\"properties\":{{\"s\":\"{}\"}}}}", "[".repeat(1000));
    assert_eq!(validate_str(&in_string), Vec::<Problem>::new());
}

#[test]
fn sixty_four_levels_are_accepted() {
    let text = format!(
        "{{\"type\":\"Feature\",\"geometry\":null,\"properties\":{{\"deep\":{}{}}}}}",
        "[".repeat(62),
        "]".repeat(62)
    );
    assert_eq!(validate_str(&text), Vec::<Problem>::new());
}

#[test]
fn problems_are_capped_at_1000() {
    let points: Vec<String> = (0..1500).map(|_| "[500,0]".to_string()).collect();
    let text = format!("{{\"type\":\"MultiPoint\",\"coordinates\":[{}]}}", points.join(","));
    let problems = validate_str(&text);
    assert_eq!(problems.len(), 1001);
    assert_eq!(problems[1000].message, "… 500 more problems");
    // The summary sits at the first problem left out.
    assert_eq!(problems[1000].col, 37 + 1000 * 8 + 1);
}

#[test]
fn never_panics_on_garbage() {
    let samples: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"}".to_vec(),
        b"\"".to_vec(),
        b"{\"type\":".to_vec(),
        b"{\"type\":\"Point\",\"coordinates\":[1,2]} {}".to_vec(),
        b"nul".to_vec(),
        b"{\"type\":\"Polygon\",\"coordinates\":[[],[[]],[[[]]],1,null]}".to_vec(),
        b"{\"type\":\"MultiPolygon\",\"coordinates\":[1,[1],[[1]],[[[1]]]]}".to_vec(),
        b"{\"type\":\"Feature\",\"geometry\":{\"type\":5},\"properties\":[]}".to_vec(),
        b"{\"type\":\"Point\",\"coordinates\":[-0,1E2],\"bbox\":[\"a\",null,{},[]]}".to_vec(),
        b"{\"type\":\"Point\",\"coordinates\":[0x10,+1]}".to_vec(),
        vec![0xEF, 0xBB, 0xBF],
        vec![0xC3],
        vec![0xFF, 0xFE, 0x00, 0x7B],
        "{\"type\u{00A0}\":1}".as_bytes().to_vec(),
        "\u{00A0}{}".as_bytes().to_vec(),
    ];
    for bytes in samples {
        let problems = validate_bytes(&bytes);
        assert!(!problems.is_empty(), "{:?} should have problems", String::from_utf8_lossy(&bytes));
        for p in problems {
            assert!(p.line >= 1 && p.col >= 1);
        }
    }
}

#[test]
fn leading_bom_is_ignored_but_non_json_whitespace_is_not() {
    assert_eq!(validate_str("\u{FEFF}{\"type\":\"Point\",\"coordinates\":[1,2]}"), vec![]);
    let problems = validate_str("{\"type\":\"Point\",\u{00A0}\"coordinates\":[1,2]}");
    assert_eq!((problems[0].line, problems[0].col), (1, 17));
    assert!(problems[0].message.contains("U+00A0"));
}

#[test]
fn line_col_counts_lines_and_characters() {
    let text = "ab\ncд\r\ne\rf";
    assert_eq!(line_col(text, 0), (1, 1));
    assert_eq!(line_col(text, 3), (2, 1));
    assert_eq!(line_col(text, 6), (2, 3)); // after "cд" (д is two bytes)
    assert_eq!(line_col(text, 8), (3, 1));
    assert_eq!(line_col(text, 10), (4, 1));
    assert_eq!(line_col(text, 5), (2, 2)); // inside "д": floored to its start
    assert_eq!(line_col(text, 999), (4, 2));
}

/// The official district files GDAL wrote (with a `crs` member), in the shared data folder.
const GEOBOUNDARIES: [&str; 3] = [
    "geoboundaries/geoBoundaries-AFG-ADM2_simplified.geojson",
    "geoboundaries/geoBoundaries-TJK-ADM1.geojson",
    "geoboundaries/geoBoundaries-TJK-ADM2.geojson",
];

#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn real_geoboundaries_files_are_valid_with_one_crs_note() {
    for file in GEOBOUNDARIES {
        let problems = validate_bytes(&std::fs::read(shared_data(file)).unwrap());
        assert!(!has_errors(&problems), "{file}: {problems:?}");
        assert_eq!(problems.len(), 1, "{file}: {problems:?}");
        assert!(problems[0].message.contains("CRS84"), "{file}: {problems:?}");
    }
}

#[test]
#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]
fn real_geoboundaries_file_is_fast() {
    // Read from the shared data directory; never copied into the repository.
    let path = shared_data("geoboundaries/geoBoundaries-AFG-ADM2_simplified.geojson");
    let bytes = std::fs::read(&path).unwrap();
    let start = Instant::now();
    let problems = validate_bytes(&bytes);
    let elapsed = start.elapsed();
    eprintln!("validated {} bytes in {elapsed:?}: {} problems", bytes.len(), problems.len());
    for p in problems.iter().take(5) {
        eprintln!("  {}:{}: {}", p.line, p.col, p.message);
    }
    assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");
    assert!(problems.iter().all(|p| p.line >= 1));
}
