//! The streaming validator (`frontier_atlas::io::validate_stream`) and `validate` on big and
//! piped input: the same problems as the whole-document validator, read once.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use frontier_atlas::io::validate::{Problem, validate_bytes};
use frontier_atlas::io::validate_stream::{STREAM_THRESHOLD, validate_reader_with};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
}

/// A `FeatureCollection` of `n` ACLED-like point features, one per line; every 997th feature
/// has problems of several kinds (out-of-range and non-finite numbers, repeated names, a
/// missing member, a wrong type, a short line).
fn generated(n: usize, crs_at_end: bool) -> String {
    let mut out = String::from("{\"type\": \"FeatureCollection\", \"name\": \"events\",\n\"features\": [\n");
    for i in 0..n {
        let lon = 66.0 + (i % 1000) as f64 / 100.0;
        let lat = 35.0 + (i % 500) as f64 / 100.0;
        if i > 0 {
            out.push_str(",\n");
        }
        match (i % 997, i % 5) {
            (500, 0) => {
                write!(out, "{{\"type\": \"Feature\", \"id\": \"E{i}\", \"geometry\": {{\"type\": \"Point\", \"coordinates\": [{}, {lat}]}}, \"properties\": {{\"fatalities\": 1e999, \"fatalities\": 2}}}}", lon + 200.0).expect("writing to a String");
            }
            (500, 1) => write!(out, "{{\"type\": \"Feature\", \"id\": [{i}], \"geometry\": {{\"type\": \"LineString\", \"coordinates\": [[{lon}, {lat}]]}}}}").expect("writing to a String"),
            (500, 2) => write!(out, "{{\"type\": \"feature\", \"geometry\": null, \"properties\": {{\"a\": \"Qalʿa-i-Naw\"}}, \"bbox\": [0, 95, 1, 96]}}").expect("writing to a String"),
            (500, _) => write!(out, "{{\"type\": \"Point\", \"coordinates\": [{lat}, {lon}]}}").expect("writing to a String"),
            _ => write!(
                out,
                "{{\"type\": \"Feature\", \"id\": \"AFG{i:06}\", \"geometry\": {{\"type\": \"Point\", \"coordinates\": [{lon}, {lat}]}}, \"properties\": {{\"event_date\": \"2021-06-{:02}\", \"event_type\": \"Battles\", \"fatalities\": {}, \"notes\": \"Generated event {i}, \\\"quoted\\\"; not a real report.\"}}}}",
                i % 28 + 1,
                i % 7
            )
            .expect("writing to a String"),
        }
    }
    out.push_str("\n]");
    if crs_at_end {
        out.push_str(", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:OGC:1.3:CRS84\"}}");
    }
    out.push_str("}\n");
    out
}

/// A generated file that `validate` streams.
fn bigger_than_the_threshold() -> String {
    let text = generated(100_000, false);
    assert!(text.len() > STREAM_THRESHOLD, "the file is streamed");
    text
}

fn streamed(bytes: &[u8]) -> Vec<Problem> {
    validate_reader_with(bytes, 0, u64::MAX).expect("streaming from memory")
}

#[test]
fn a_generated_50k_feature_file_streams_to_the_same_problems() {
    for crs_at_end in [false, true] {
        let text = generated(50_000, crs_at_end);
        let whole = validate_bytes(text.as_bytes());
        assert!(whole.len() > 100, "the generated file has problems: {}", whole.len());
        assert_eq!(streamed(text.as_bytes()), whole);
    }
}

#[test]
fn past_the_cap_the_same_problems_are_kept_and_counted() {
    // 20% of the features have problems: far more than the 1000 reported.
    let text = generated(12_000, false).replace("\"event_type\": \"Battles\"", "\"event_type\": 1e999");
    let whole = validate_bytes(text.as_bytes());
    assert_eq!(whole.len(), 1001);
    assert!(whole.last().unwrap().message.starts_with("… "), "{:?}", whole.last());
    assert_eq!(streamed(text.as_bytes()), whole);
}

#[test]
fn a_syntax_error_deep_in_a_big_file_is_reported_as_the_parser_reports_it() {
    let text = generated(20_000, false);
    for (from, to) in [
        ("\"AFG012345\", \"geometry\"", "\"AFG012345\" \"geometry\""),
        ("\"AFG012345\", \"geometry\"", "\"AFG012345\",, \"geometry\""),
        ("\"AFG012345\", \"geometry\"", "\"AFG012345\", \u{a0}\"geometry\""),
        ("AFG012345", "AFG\u{1}012345"),
        ("},\n{\"type\": \"Feature\", \"id\": \"AFG012345\"", "}\n{\"type\": \"Feature\", \"id\": \"AFG012345\""),
        ("},\n{\"type\": \"Feature\", \"id\": \"AFG012345\"", "},\n,{\"type\": \"Feature\", \"id\": \"AFG012345\""),
    ] {
        let broken = text.replacen(from, to, 1);
        assert_ne!(broken, text);
        let whole = validate_bytes(broken.as_bytes());
        assert_eq!(whole.len(), 1, "{to}: {whole:?}");
        assert_eq!(streamed(broken.as_bytes()), whole, "{to}");
    }
    // Cut off in the middle of a feature.
    let cut = text.get(..text.len() / 2).unwrap();
    assert_eq!(streamed(cut.as_bytes()), validate_bytes(cut.as_bytes()));
}

#[test]
fn validate_on_a_big_file_prints_the_same_lines_as_the_whole_validator() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.geojson");
    let text = bigger_than_the_threshold();
    std::fs::write(&path, &text).unwrap();
    let out = bin().arg("validate").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let expected: String = validate_bytes(text.as_bytes())
        .iter()
        .map(|p| format!("{}:{p}\n", path.display()))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[cfg(unix)]
#[test]
fn validate_reads_a_fifo_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.geojson");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let text = bigger_than_the_threshold();
    let mut child = bin().arg("validate").arg(&fifo).stdout(std::process::Stdio::piped()).spawn().expect("run");
    // Written once: a second open by the reader would wait for a writer forever.
    let writer = {
        let fifo = fifo.clone();
        let text = text.clone();
        std::thread::spawn(move || std::fs::write(&fifo, text))
    };
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_mins(2) {
            child.kill().unwrap();
            panic!("validate did not finish: it waits on the FIFO");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.join().unwrap().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let expected: String = validate_bytes(text.as_bytes())
        .iter()
        .map(|p| format!("{}:{p}\n", fifo.display()))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
