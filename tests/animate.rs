//! Timeline playback exported as GIF, APNG and numbered PNG frames (issue 11).

#[cfg(feature = "gui")]
mod common;

use std::path::Path;
use std::process::Command;

use frontier_atlas::geodata::{HOME_BBOX, default_catalog};
use frontier_atlas::model::{LayerKind, TimeFilter};
use frontier_atlas::render::animate::{AnimationSettings, catalog_frames, export_animation, frame_path};
use frontier_atlas::spatial::Viewport;
use frontier_atlas::time::{PlayMode, Range, Step};

fn year_2021() -> Option<Range> {
    Range::year(2021)
}

fn settings(skip_empty: bool) -> AnimationSettings {
    AnimationSettings {
        mode: PlayMode::MovingWindow { width_days: 30 },
        step: Step::Month,
        range: year_2021(),
        skip_empty,
        fps: 4.0,
        title: Some("Playback".to_owned()),
        legend: None,
    }
}

fn viewport() -> Viewport {
    Viewport::fit_bbox(HOME_BBOX, [240.0, 150.0])
}

#[test]
fn gif_decodes_with_one_frame_per_step() {
    let (catalog, _) = default_catalog();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("play.gif");
    let s = settings(false);
    let expected = catalog_frames(&catalog, &s, 1000).len();
    assert_eq!(expected, 12, "twelve monthly steps in 2021");
    let mut calls = 0;
    let n = export_animation(&catalog, &viewport(), &s, &out, &mut |done, total| {
        calls += 1;
        assert_eq!(total, expected);
        assert_eq!(done, calls);
    })
    .unwrap();
    assert_eq!(n, expected);
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!((decoder.width(), decoder.height()), (240, 150));
    let mut frames = 0;
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        assert_eq!(frame.delay, 25, "4 fps is 25 hundredths");
        frames += 1;
    }
    assert_eq!(frames, expected);
}

#[test]
fn apng_decodes_with_the_expected_frame_count_and_skip_empty_drops_frames() {
    let (catalog, _) = default_catalog();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("play.apng");
    // A weekly step leaves weeks without events in the shipped record.
    let s = AnimationSettings { step: Step::Week, mode: PlayMode::MovingWindow { width_days: 7 }, ..settings(true) };
    let all = catalog_frames(&catalog, &AnimationSettings { skip_empty: false, ..s.clone() }, 1000).len();
    let n = export_animation(&catalog, &viewport(), &s, &out, &mut |_, _| {}).unwrap();
    assert!(n < all, "skip-empty kept {n} of {all} weekly frames");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let actl = reader.info().animation_control().copied().expect("an APNG has acTL");
    assert_eq!(actl.num_frames as usize, n);
    let mut buf = vec![0; reader.output_buffer_size()];
    let mut frames = 0;
    while reader.next_frame(&mut buf).is_ok() {
        frames += 1;
        if frames == n {
            break;
        }
    }
    assert_eq!(frames, n);
}

fn rgba(path: &Path) -> Vec<u8> {
    let mut reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("a PNG frame")))
        .read_info()
        .expect("a PNG frame");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    buf.truncate(info.buffer_size());
    buf
}

#[test]
fn numbered_frames_differ_where_events_differ() {
    let (catalog, _) = default_catalog();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frame.png");
    let s = AnimationSettings { title: None, ..settings(false) };
    let ranges = catalog_frames(&catalog, &s, 1000);
    let n = export_animation(&catalog, &viewport(), &s, &out, &mut |_, _| {}).unwrap();
    assert_eq!(n, ranges.len());
    for i in 0..n {
        assert!(frame_path(&out, i).is_file(), "{}", frame_path(&out, i).display());
    }
    assert!(!frame_path(&out, n).exists());
    // Events shown per frame.
    let events = catalog.layers.iter().position(|l| l.kind == LayerKind::Events).unwrap();
    let shown: Vec<usize> =
        ranges.iter().map(|r| TimeFilter::new(&catalog, Some(*r)).counts(&catalog, events).0).collect();
    let (a, b) = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .find(|&(i, j)| shown[i] != shown[j])
        .expect("months with different numbers of events");
    // Compare the map part only (the date line differs in every frame anyway): the lower half.
    let (pa, pb) = (rgba(&frame_path(&out, a)), rgba(&frame_path(&out, b)));
    let half = pa.len() / 2;
    assert_ne!(pa[half..], pb[half..], "frames {a} ({} events) and {b} ({} events)", shown[a], shown[b]);
}

#[test]
fn cli_writes_a_gif_and_names_the_file_on_bad_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cli.gif");
    let exe = env!("CARGO_BIN_EXE_frontier-atlas");
    let run = |args: &[&str]| Command::new(exe).arg("animate").args(args).output().unwrap();
    let ok = run(&["--out", out.to_str().unwrap(), "--from", "2021-01", "--to", "2021-03", "--size", "160x100"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let decoder = gif::DecodeOptions::new().read_info(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!((decoder.width(), decoder.height()), (160, 100));
    let bad = dir.path().join("cli.mp4");
    let r = run(&["--out", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("cli.mp4") && err.contains(".gif"), "{err}");
    assert!(!bad.exists());
    let r = run(&["--out", out.to_str().unwrap(), "--from", "1990", "--to", "1991"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("nothing to animate"));
    let r = run(&["--out", out.to_str().unwrap(), "--window", "sometimes"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("accumulate or a window in days"));
}

/// The app: the timeline's "Export animation…" asks for a file with the animation formats;
/// the export runs on a worker with the timeline's playback settings.
#[cfg(feature = "gui")]
#[test]
fn timeline_button_asks_for_a_file_and_the_app_exports_the_playback() {
    use egui_kittest::kittest::Queryable as _;
    use frontier_atlas::ui::file_choice::FilePurpose;
    let mut h = common::harness();
    h.state_mut().state.builtin_file_dialog = true;
    h.run();
    h.get_by_label("Export animation…").click();
    h.run();
    assert!(matches!(h.state().files.dialog, Some((_, FilePurpose::ExportAnimation))));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("app.gif");
    let app = h.state_mut();
    app.files.dialog = None;
    app.timeline.playback.step = Step::Month;
    app.timeline.playback.mode = PlayMode::Accumulate;
    app.timeline.skip_empty = true;
    let expected = catalog_frames(
        &app.catalog,
        &AnimationSettings {
            mode: PlayMode::Accumulate,
            step: Step::Month,
            range: app.timeline.extent,
            skip_empty: true,
            ..AnimationSettings::default()
        },
        1000,
    )
    .len();
    assert!(expected > 1);
    app.map.viewport = viewport();
    app.export_animation_to(out.clone());
    app.finish_jobs();
    let decoder = gif::DecodeOptions::new().read_info(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!((decoder.width(), decoder.height()), (240, 150));
    let mut decoder = decoder;
    let mut frames = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, expected);
    assert!(app.messages.iter().all(|m| !m.text.contains("cannot")), "{:?}", app.messages);
}
