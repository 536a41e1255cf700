//! The real app driven through `egui_kittest`: clicking, toggling layers, searching, the
//! timeline and opening files.

mod common;

use common::{click_at, harness, screen_of};
use egui::{Event, Modifiers, PointerButton, pos2};
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::model::{FeatureRef, LayerKind};
use frontier_atlas::ui::AtlasApp;

fn place(app: &AtlasApp, name: &str) -> FeatureRef {
    let (li, layer) = app.catalog.layer_of_kind(LayerKind::Places).expect("places layer");
    let fi = layer.features.iter().position(|f| f.prop_str("name") == Some(name)).expect("place exists");
    FeatureRef { layer: li, feature: fi }
}

fn selected_name(app: &AtlasApp) -> Option<String> {
    let sel = app.selection?;
    Some(app.catalog.feature(sel)?.display_name(None))
}

#[test]
fn clicking_a_place_selects_it_and_the_inspector_shows_its_name() {
    let mut h = harness();
    h.run_steps(3);
    let khorog = place(h.state(), "Khorog");
    let anchor = h.state().catalog.feature(khorog).and_then(|f| f.shape.anchor()).expect("anchor");
    let (lon, lat) = frontier_atlas::spatial::geo_from_world(anchor);
    let pos = screen_of(&h, lon, lat);
    click_at(&mut h, pos);
    assert_eq!(h.state().selection, Some(khorog));
    // The inspector shows the name as a label and its attributes.
    assert!(h.query_all_by_label("Khorog").count() >= 1, "inspector does not show Khorog");
    h.get_by_label("geo_precision");
    // Clicking empty map (far outside every layer is impossible here; use a spot in Pakistan
    // with no places) selects the country instead, and clicking the "Clear" button clears.
    h.get_by_label("Clear").click();
    h.run_steps(2);
    assert_eq!(h.state().selection, None);
}

#[test]
fn toggling_a_layer_off_hides_it_from_clicks_and_lists_its_count() {
    let mut h = harness();
    h.run_steps(3);
    let places_count = h.state().catalog.layer_of_kind(LayerKind::Places).expect("places").1.features.len();
    assert!(h.query_all_by_label(&places_count.to_string()).count() >= 1, "count {places_count} not listed");
    h.get_by_label("Places").click();
    h.run_steps(2);
    let (_, places) = h.state().catalog.layer_of_kind(LayerKind::Places).expect("places");
    assert!(!places.visible);
    let khorog = place(h.state(), "Khorog");
    let anchor = h.state().catalog.feature(khorog).and_then(|f| f.shape.anchor()).expect("anchor");
    let (lon, lat) = frontier_atlas::spatial::geo_from_world(anchor);
    let pos = screen_of(&h, lon, lat);
    click_at(&mut h, pos);
    assert_ne!(h.state().selection, Some(khorog), "a hidden layer must not be clickable");
}

#[test]
fn search_flies_to_shaymak_by_alternate_spelling() {
    let mut h = harness();
    h.run_steps(3);
    h.get_by_label("Search").click();
    h.run_steps(1);
    h.get_by_label("Search").type_text("shaim");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(8);
    let app = h.state();
    assert_eq!(selected_name(app).as_deref(), Some("Shaymak"));
    let shaymak = place(app, "Shaymak");
    let target = app.catalog.feature(shaymak).and_then(|f| f.shape.anchor()).expect("anchor");
    let c = app.map.viewport.center;
    assert!((c[0] - target[0]).abs() < 1e-4 && (c[1] - target[1]).abs() < 1e-4, "view not centred on Shaymak");
    assert!(app.map.viewport.zoom >= 9.0, "zoom {}", app.map.viewport.zoom);
}

/// Found by a new user: of two "Fayzabad" districts the search listed both alike, a click on
/// either did nothing, and Down did not move through the list: the second could not be reached.
/// Matches of one name in one layer say where each is; a click flies to the one clicked; Down
/// then Enter to the one below.
#[test]
fn a_search_match_is_picked_by_a_click_or_by_down_and_enter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("districts.geojson");
    let point = |name: &str, lon: f64, lat: f64| {
        format!(
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon},{lat}]}},\"properties\":{{\"name\":\"{name}\"}}}}"
        )
    };
    std::fs::write(
        &path,
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{},{}]}}",
            point("Zebakistan", 70.6, 36.5),
            point("Zebakistan", 69.1, 35.0)
        ),
    )
    .expect("write");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let li = h.state().catalog.layers.iter().position(|l| l.name == "districts").expect("layer");
    let second = FeatureRef { layer: li, feature: 1 };
    h.get_by_label("Search").click();
    h.run_steps(1);
    h.get_by_label("Search").type_text("zebakist");
    h.run_steps(2);
    // Each says where it is.
    assert!(h.query_by_label("Zebakistan — districts (36.50° N, 70.60° E)").is_some());
    let entry = "Zebakistan — districts (35.00° N, 69.10° E)";
    h.get_by_label(entry).click();
    h.run_steps(8);
    assert_eq!(h.state().selection, Some(second), "a click on the second match");
    assert!(h.query_by_label(entry).is_none(), "the list closes");
    // Down, then Enter: the second again (the list holds the two).
    h.state_mut().selection = None;
    h.get_by_label("Search").click();
    h.run_steps(1);
    h.get_by_label("Search").type_text(" ");
    h.run_steps(1);
    h.key_press(egui::Key::ArrowDown);
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(8);
    assert_eq!(h.state().selection, Some(second), "Down and Enter");
}

#[test]
fn timeline_preset_changes_shown_counts_and_playback_moves_the_window() {
    let mut h = harness();
    h.run_steps(3);
    let (ei, events) = h.state().catalog.layer_of_kind(LayerKind::Events).expect("events");
    let total = events.features.len();
    assert_eq!(h.state().filter.counts(&h.state().catalog, ei), (total, total));
    h.get_by_label("2021").click();
    h.run_steps(2);
    let (shown_2021, _) = h.state().filter.counts(&h.state().catalog, ei);
    assert!(shown_2021 > 0 && shown_2021 < total, "2021 shows {shown_2021} of {total}");
    assert!(h.query_all_by_label_contains(&format!("shown {shown_2021} of {total}")).count() >= 1);

    h.get_by_label("Play").click();
    h.run_steps(2);
    let first = h.state().timeline.range.expect("playing sets a range");
    h.run_steps(6);
    let later = h.state().timeline.range.expect("range");
    assert!(later.from > first.from, "playback did not advance: {first:?} -> {later:?}");
    h.get_by_label("Pause").click();
    h.run_steps(2);
    assert!(!h.state().timeline.playback.playing);
}

#[test]
fn clicking_an_event_shows_its_source() {
    let mut h = harness();
    h.run_steps(3);
    let app = h.state();
    let (ei, events) = app.catalog.layer_of_kind(LayerKind::Events).expect("events");
    // An event alone at its place, so the click can only mean this one.
    let alone = |f: &frontier_atlas::model::Feature| {
        let here = f.shape.anchor();
        here.is_some() && events.features.iter().filter(|g| g.shape.anchor() == here).count() == 1
    };
    let (fi, f) = events.features.iter().enumerate().find(|(_, f)| alone(f)).expect("an event alone at its place");
    let source = f.prop_str("source").expect("source").to_owned();
    let anchor = f.shape.anchor().expect("anchor");
    let (lon, lat) = frontier_atlas::spatial::geo_from_world(anchor);
    let pos = screen_of(&h, lon, lat);
    click_at(&mut h, pos);
    let sel = h.state().selection.expect("something selected");
    assert_eq!(sel, FeatureRef { layer: ei, feature: fi }, "the clicked event is the one selected");
    assert!(h.query_all_by_label(&source).count() >= 1, "its source line is shown: {source}");
}

#[test]
fn opening_a_broken_file_reports_it_and_keeps_everything_loaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.geojson");
    std::fs::write(&bad, "{\"type\":\"FeatureCollection\",\n\"features\":[{]}").expect("write");
    let mut h = harness();
    h.run_steps(2);
    let before = h.state().catalog.layers.len();
    h.state_mut().open_file_now(&bad);
    h.run_steps(2);
    assert_eq!(h.state().catalog.layers.len(), before);
    let msg = h.state().messages.last().expect("a message").text.clone();
    assert!(msg.contains("bad.geojson") && msg.contains(":2:"), "{msg}");

    let good = dir.path().join("districts.geojson");
    std::fs::write(
        &good,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"shapeName":"Warduj\n","shapeType":"ADM2"},"geometry":{"type":"Polygon","coordinates":[[[70.9,36.6],[71.2,36.6],[71.2,36.9],[70.9,36.9],[70.9,36.6]]]}}]}"#,
    )
    .expect("write");
    h.state_mut().open_file_now(&good);
    h.run_steps(2);
    // Named after the file; the shipped district layer is another one.
    let opened = h.state().catalog.layers.iter().find(|l| l.name == "districts").expect("the opened layer");
    assert_eq!(opened.kind, LayerKind::Districts, "recognised as a geoBoundaries district file");
    assert_eq!(opened.feature_name(0).as_deref(), Some("Warduj"));
}

#[test]
fn dragging_on_the_histogram_selects_a_range_and_filters() {
    let mut h = harness();
    h.run_steps(3);
    let rect = h.get_by_label("Timeline histogram").rect();
    let (ei, _) = h.state().catalog.layer_of_kind(LayerKind::Events).expect("events");
    let (before, total) = h.state().filter.counts(&h.state().catalog, ei);
    assert_eq!(before, total);
    let y = rect.center().y;
    let (x0, x1) = (rect.left() + rect.width() * 0.80, rect.left() + rect.width() * 0.98);
    h.hover_at(pos2(x0, y));
    h.step();
    h.event(Event::PointerButton {
        pos: pos2(x0, y),
        button: PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    h.step();
    for i in 1..=6 {
        h.hover_at(pos2(x0 + (x1 - x0) * i as f32 / 6.0, y));
        h.step();
    }
    h.event(Event::PointerButton {
        pos: pos2(x1, y),
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(2);
    let range = h.state().timeline.range.expect("dragging sets a range");
    let extent = h.state().timeline.extent.expect("extent");
    assert!(range.from > extent.from && range.to <= extent.to, "{range:?} within {extent:?}");
    let (after, _) = h.state().filter.counts(&h.state().catalog, ei);
    assert!(after < total, "the drawn range must filter events: {after} of {total}");
    // The typed fields follow the drag.
    assert_eq!(h.state().timeline.from_text, range.from.to_string());
}

#[test]
fn an_acled_export_opens_as_an_events_layer_with_its_bad_rows_reported() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acled/hostile.csv");
    let mut h = harness();
    h.run_steps(2);
    let before = h.state().catalog.layers.iter().filter(|l| l.kind == LayerKind::Events).count();
    h.state_mut().open_file_now(&fixture);
    h.run_steps(2);
    let app = h.state();
    let events: Vec<_> = app.catalog.layers.iter().filter(|l| l.kind == LayerKind::Events).collect();
    assert_eq!(events.len(), before + 1, "the CSV must become an events layer");
    let layer = events.iter().find(|l| l.name == "hostile").expect("layer named after the file");
    assert_eq!(layer.features.len(), 5);
    assert!(layer.time_index.is_some(), "imported events are dated");
    let msg = app.messages.last().expect("a message");
    assert!(
        msg.details.iter().any(|d| d.contains("hostile.csv:7:")),
        "bad rows listed with line numbers: {:?}",
        msg.details
    );
    // Opened, the details read at the body size (found walking the app: they were small).
    let detail = msg.details.iter().find(|d| d.contains("hostile.csv:7:")).expect("the row's detail").clone();
    let msg = msg.clone();
    let header = format!("{} details", msg.details.len());
    h.get_by_label(&header).click();
    h.run_steps(2);
    let line = h.get_by_label(&detail).rect().height();
    let title = h.get_by_label(&msg.text).rect().height();
    assert!(line >= 14.0, "a detail line is {line} high, the message's lines {title}");
}

#[test]
fn a_plain_layer_with_a_date_property_can_be_put_on_the_timeline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("visits.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"Visit A","when":"2021-07-20"},"geometry":{"type":"Point","coordinates":[68.78,38.54]}},
{"type":"Feature","properties":{"name":"Visit B","when":"2022-03"},"geometry":{"type":"Point","coordinates":[71.55,37.49]}},
{"type":"Feature","properties":{"name":"Visit C","when":"soon"},"geometry":{"type":"Point","coordinates":[69.0,37.0]}}]}"#,
    )
    .expect("write");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let li = h.state().catalog.layers.iter().position(|l| l.name == "visits").expect("layer");
    assert!(h.state().catalog.layers[li].time_index.is_none(), "undated until a field is chosen");
    assert_eq!(frontier_atlas::model::date_fields_of(&h.state().catalog.layers[li]), vec!["when".to_owned()]);
    let uid = h.state().catalog.layers[li].uid;
    h.state_mut().apply(frontier_atlas::ui::Command::SetDateFields(uid, Some(("when".to_owned(), None))));
    h.run_steps(2);
    // The unreadable date is reported, not dropped silently.
    let msg = h.state().messages.last().expect("message");
    assert!(msg.details.iter().any(|d| d.contains("soon")), "{:?}", msg.details);
    h.get_by_label("2021").click();
    h.run_steps(2);
    let li = h.state().catalog.layers.iter().position(|l| l.name == "visits").expect("layer");
    // Visit A is in 2021; Visit B (March 2022) is not; Visit C has no usable date and stays shown.
    assert_eq!(h.state().filter.counts(&h.state().catalog, li), (2, 3));
    assert!(h.state().filter.is_shown(li, 0) && !h.state().filter.is_shown(li, 1) && h.state().filter.is_shown(li, 2));
}

#[test]
fn loading_a_layer_keeps_the_selection_and_the_features_here_list_on_the_same_features() {
    let mut h = harness();
    h.run_steps(3);
    let (ei, events) = h.state().catalog.layer_of_kind(LayerKind::Events).expect("events");
    let f = events.features.iter().find(|f| f.prop_str("location") == Some("Dushanbe")).expect("event");
    let (lon, lat) = frontier_atlas::spatial::geo_from_world(f.shape.anchor().expect("anchor"));
    let pos = screen_of(&h, lon, lat);
    click_at(&mut h, pos);
    let before: Vec<String> = h
        .state()
        .hits_here
        .iter()
        .filter_map(|r| h.state().catalog.feature(*r))
        .map(|f| format!("{:?}", f.id))
        .collect();
    assert!(before.len() > 1 && h.state().selection.is_some_and(|s| s.layer == ei), "a cluster was hit");
    // A district layer goes below the events layer, shifting its index.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("districts.geojson");
    std::fs::write(&path, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"shapeName":"X","shapeType":"ADM2"},"geometry":{"type":"Polygon","coordinates":[[[70,36],[71,36],[71,37],[70,37],[70,36]]]}}]}"#).expect("write");
    h.state_mut().open_file_now(&path);
    h.run_steps(2);
    let app = h.state();
    let after: Vec<String> =
        app.hits_here.iter().filter_map(|r| app.catalog.feature(*r)).map(|f| format!("{:?}", f.id)).collect();
    assert_eq!(after, before, "the list still names the same features");
    let sel = app.selection.expect("still selected");
    assert_eq!(app.catalog.layers[sel.layer].kind, LayerKind::Events);
}

#[test]
fn the_from_and_to_fields_follow_a_bookmark_and_a_project() {
    let mut h = harness();
    h.run_steps(3);
    let from = chrono::NaiveDate::from_ymd_opt(2021, 6, 1).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(2022, 6, 30).expect("date");
    let range = frontier_atlas::time::Range::new(from, to);
    let b = frontier_atlas::project::Bookmark::new("Briefing", &h.state().map.viewport, Some(range));
    h.state_mut().bookmarks.push(b);
    h.get_by_label("Bookmarks").click();
    h.run_steps(2);
    h.get_by_label("Briefing").click();
    h.run_steps(3);
    let app = h.state();
    assert_eq!(app.filter.range.map(|r| (r.from, r.to)), Some((from, to)));
    assert_eq!((app.timeline.from_text.as_str(), app.timeline.to_text.as_str()), ("2021-06-01", "2022-06-30"));
    assert_eq!(h.get_by_label("From").value().as_deref(), Some("2021-06-01"), "the From field shows the bookmark's");
    assert_eq!(h.get_by_label("To").value().as_deref(), Some("2022-06-30"));

    // A project with another range.
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("p.fatlas.json");
    std::fs::write(
        &project,
        r#"{"format":"frontier-atlas-project","version":1,"from":"2023-01-01","to":"2023-03-31","layers":[{"embedded":"events.geojson","name":"Security events","visible":true,"opacity":1.0}]}"#,
    )
    .expect("write");
    h.state_mut().user_dir = dir.path().join("user");
    h.state_mut().open_project(&project);
    h.state_mut().finish_jobs();
    h.run_steps(3);
    assert_eq!(h.get_by_label("From").value().as_deref(), Some("2023-01-01"), "{:?}", h.state().messages);
    assert_eq!(h.get_by_label("To").value().as_deref(), Some("2023-03-31"));
}

#[test]
fn a_project_of_ten_thousand_layers_is_refused_with_a_message_and_the_app_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("huge.fatlas.json");
    let layer = r#"{"embedded":"events.geojson","name":"Security events","visible":true,"opacity":1.0}"#;
    let layers = vec![layer; 10_000].join(",");
    std::fs::write(&project, format!(r#"{{"format":"frontier-atlas-project","version":1,"layers":[{layers}]}}"#))
        .expect("write");
    let mut h = harness();
    h.run_steps(2);
    let before: Vec<String> = h.state().catalog.layers.iter().map(|l| l.name.clone()).collect();
    h.state_mut().user_dir = dir.path().join("user");
    h.state_mut().open_project(&project);
    h.state_mut().finish_jobs();
    h.run_steps(3);
    let app = h.state();
    let msg = app.messages.last().expect("a message");
    assert_eq!(msg.level, frontier_atlas::ui::Level::Error);
    assert!(msg.text.contains("huge.fatlas.json") && msg.text.contains("10000 layers"), "{}", msg.text);
    let after: Vec<String> = app.catalog.layers.iter().map(|l| l.name.clone()).collect();
    assert_eq!(after, before, "what was loaded is untouched");
    assert!(h.query_all_by_label_contains("10000 layers").count() >= 1, "the message is on screen");
}

/// Found walking the app: "2021" then Play played from November 2021 on into 2023, never
/// January to October. A year chosen is played through, from its start to its end.
#[test]
fn playback_of_a_chosen_year_runs_through_that_year() {
    let mut h = harness();
    h.run_steps(3);
    h.get_by_label("2021").click();
    h.run_steps(2);
    let year = h.state().timeline.range.expect("2021 sets a range");
    h.state_mut().timeline.playback.speed_steps_per_sec = 10.0;
    h.get_by_label("Play").click();
    let mut frames = Vec::new();
    for _ in 0..600 {
        h.run_steps(1);
        let timeline = &h.state().timeline;
        let range = timeline.range.expect("range");
        if frames.last() != Some(&range) {
            frames.push(range);
        }
        if !timeline.playback.playing {
            break;
        }
    }
    assert!(!h.state().timeline.playback.playing, "playback did not end: {frames:?}");
    assert!(frames.len() >= 3, "{frames:?}");
    // From the year's first months with data (empty ones are skipped) on.
    assert!(frames[0].from < year.from + chrono::Duration::days(183), "started late: {frames:?}");
    for r in &frames {
        assert!(year.from <= r.from && r.to <= year.to, "a frame outside {year:?}: {r:?} in {frames:?}");
    }
}

/// Found walking the app: the selection's ring was painted over the legend, crossing its
/// text. The legend is painted after the selection (and hover) rings.
#[test]
fn the_legend_is_painted_over_the_selection_ring() {
    let mut h = harness();
    h.run_steps(3);
    let shaymak = place(h.state(), "Shaymak");
    h.state_mut().selection = Some(shaymak);
    h.run_steps(2);
    let ring = egui::Color32::from_rgb(0, 200, 255);
    let legend_fill = egui::Color32::from_white_alpha(225);
    let shapes = &h.output().shapes;
    let ring_at = shapes.iter().rposition(|s| matches!(&s.shape, egui::Shape::Circle(c) if c.stroke.color == ring));
    let legend_at = shapes.iter().position(|s| matches!(&s.shape, egui::Shape::Rect(r) if r.fill == legend_fill));
    let (Some(ring_at), Some(legend_at)) = (ring_at, legend_at) else {
        panic!("ring {ring_at:?}, legend {legend_at:?} among {} shapes", shapes.len())
    };
    assert!(ring_at < legend_at, "the ring ({ring_at}) is painted after the legend ({legend_at})");
}

/// Found walking the app: the Layers panel widened (158 → 208 px) when a range made the
/// counts read "12 of 35", and its width followed the counts through playback, so the map
/// shifted at every step. A dated layer's count keeps the room of its widest form.
#[test]
fn choosing_a_range_and_playing_it_do_not_move_the_map() {
    let mut h = harness();
    h.run_steps(3);
    let bits = |[w, hgt]: [f32; 2]| (w.to_bits(), hgt.to_bits());
    let size = bits(h.state().map.viewport.size_pts);
    h.get_by_label("2021").click();
    h.run_steps(3);
    assert!(h.state().timeline.range.is_some(), "2021 sets a range");
    assert_eq!(bits(h.state().map.viewport.size_pts), size, "the map's size changed with the range");
    h.state_mut().timeline.playback.speed_steps_per_sec = 10.0;
    h.get_by_label("Play").click();
    let mut sizes = std::collections::BTreeSet::new();
    for _ in 0..300 {
        h.run_steps(1);
        sizes.insert(bits(h.state().map.viewport.size_pts));
        if !h.state().timeline.playback.playing {
            break;
        }
    }
    assert_eq!(sizes.len(), 1, "the map's size changed during playback: {sizes:?}");
    assert_eq!(bits(h.state().map.viewport.size_pts), size);
}

/// Found walking the app: a click on the count badge of a group of events selected the
/// province under it (the badge lies beyond the symbol a click is tested against). A click on
/// the badge, even on its far side, is a click on the group.
#[test]
fn clicking_a_groups_count_badge_selects_the_group() {
    let mut h = harness();
    h.run_steps(3);
    let scene = h.state().map.scene().expect("a scene");
    let badge = *scene.badges.iter().max_by(|a, b| a.radius.total_cmp(&b.radius)).expect("a group with a count");
    let [ox, oy] = h.state().map.screen_origin;
    // The badge's far side from its symbol.
    let (dx, dy) = (badge.center[0] - badge.symbol[0], badge.center[1] - badge.symbol[1]);
    let away = badge.radius * 0.7 / dx.hypot(dy).max(1e-3);
    click_at(&mut h, pos2(ox + badge.center[0] + dx * away, oy + badge.center[1] + dy * away));
    let selected = h.state().selection.expect("something selected");
    let kind = h.state().catalog.layers[selected.layer].kind;
    assert!(matches!(kind, LayerKind::Events | LayerKind::Aid), "selected a {kind:?} feature, not the group");
    let grouped = h
        .state()
        .hits_here
        .iter()
        .filter(|r| matches!(h.state().catalog.layers[r.layer].kind, LayerKind::Events | LayerKind::Aid))
        .count();
    assert!(grouped >= 2, "the features here list the group: {:?}", h.state().hits_here);
}

/// Found walking the app: a CSV row written with its latitude and longitude swapped (Khorog at
/// 71.5° N, in the Barents Sea) was taken without a word, and the map zoomed out to fit it.
/// The row is kept as written (coordinates are facts), with a note that names its place in
/// the file; the message counts it as a note, not as skipped. The same for an ACLED export,
/// told by its `country` column.
#[test]
fn a_row_with_swapped_coordinates_is_kept_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let points = dir.path().join("towns.csv");
    std::fs::write(&points, "name,lat,lon\nKhorog,37.489,71.553\nIshkashim,71.618,36.727\nDelhi,28.6,77.2\n")
        .expect("write");
    let acled = dir.path().join("export.csv");
    std::fs::write(
        &acled,
        "event_id_cnty,event_date,event_type,country,latitude,longitude\n\
         AFG1,2021-06-01,Battles,Afghanistan,36.727,71.618\n\
         AFG2,2021-06-02,Battles,Afghanistan,68.9,36.7\n\
         RUS1,2021-06-03,Protests,Russia,68.97,33.09\n",
    )
    .expect("write");
    let mut h = harness();
    h.run_steps(2);
    for (path, line, col) in [(&points, 3, 2), (&acled, 3, 5)] {
        h.state_mut().open_file_now(path);
        h.run_steps(2);
        let msg = h.state().messages.last().expect("a message").clone();
        assert!(msg.text.ends_with("(3 features); 1 note"), "{}", msg.text);
        assert_eq!(msg.details.len(), 1, "{:?}", msg.details);
        let where_ = format!("{}:{line}:{col}: latitude ", path.display());
        assert!(msg.details[0].starts_with(&where_), "{:?}", msg.details);
        assert!(msg.details[0].contains("look swapped"), "{:?}", msg.details);
    }
}

/// Found walking the app: opening a Badakhshan export with one row whose latitude and
/// longitude were swapped (kept, with a note) zoomed the view out to the Arctic, where the
/// region was a few pixels. The view frames where the features are and the message says one
/// is left out.
#[test]
fn a_far_off_row_does_not_take_the_view_of_a_layer_just_opened() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let acled = dir.path().join("badakhshan.csv");
    let mut text = "event_id_cnty,event_date,event_type,country,latitude,longitude\n".to_owned();
    for i in 0..40 {
        let (lat, lon) = (36.5 + f64::from(i % 8) * 0.12, 70.6 + f64::from(i / 8) * 0.2);
        writeln!(text, "AFG{i},2021-06-{:02},Battles,Afghanistan,{lat:.3},{lon:.3}", 1 + i % 28).expect("text");
    }
    text.push_str("AFG99,2021-06-30,Battles,Afghanistan,71.2,36.9\n");
    std::fs::write(&acled, text).expect("write");
    let mut h = harness();
    h.run_steps(2);
    h.state_mut().open_file_now(&acled);
    h.run_steps(2);
    let msg = h.state().messages.last().expect("a message").clone();
    assert!(msg.text.contains("(41 features); 1 note"), "{}", msg.text);
    assert!(msg.text.contains("one feature far from the rest is left out of the view"), "{}", msg.text);
    let target = h.state().map.flying_to().expect("the map flies to the layer");
    let (lon, lat) = frontier_atlas::spatial::geo_from_world(target.center);
    assert!((70.5..71.6).contains(&lon) && (36.4..37.5).contains(&lat), "centre {lon}, {lat}");
    assert!(target.zoom > 7.0, "zoomed out to {}", target.zoom);
    // A layer with nothing far off is framed whole, and the message says nothing of it.
    let towns = dir.path().join("towns.csv");
    std::fs::write(&towns, "name,lat,lon\nKhorog,37.489,71.553\nIshkashim,36.727,71.618\n").expect("write");
    h.state_mut().open_file_now(&towns);
    h.run_steps(2);
    let msg = h.state().messages.last().expect("a message").clone();
    assert!(msg.text.ends_with("(2 features)"), "{}", msg.text);
}

/// Found walking the app: a precision-3 event (known only to the country, placed at the
/// capital) with an `admin2` filled in read "Location approximate: district level" under the
/// 40 km halo the legend calls "province or country". The inspector says what the precision
/// says, in the legend's words.
#[test]
fn the_inspector_tells_a_locations_precision_as_the_legend_does() {
    let mut h = harness();
    h.run_steps(2);
    let (li, layer) = h.state().catalog.layer_of_kind(LayerKind::Events).expect("events");
    let fi = layer
        .features
        .iter()
        .position(|f| f.prop_f64("geo_precision") == Some(3.0) && f.prop_str("admin2").is_some_and(|a| !a.is_empty()))
        .expect("a precision-3 event with an admin2");
    h.state_mut().selection = Some(FeatureRef { layer: li, feature: fi });
    h.run_steps(2);
    assert!(h.query_all_by_label_contains("known only to the province or country").count() == 1);
    assert!(h.query_all_by_label_contains("district level").next().is_none());
}

/// Found walking the app: with the Scenes window where it first opens (the map's top left,
/// under the menu bar), File did not open; View did. File opens whatever window is open.
#[test]
fn the_file_menu_opens_with_the_scenes_window_open() {
    let mut h = harness();
    h.run_steps(2);
    h.get_by_label("Scenes").click();
    h.run_steps(2);
    h.get_by_label("Scenes panel").click();
    h.run_steps(3);
    assert!(h.query_by_label("Add current view").is_some(), "the Scenes window is open");
    h.get_by_label("File").click();
    h.run_steps(3);
    assert!(h.query_by_label("Open project…").is_some(), "File did not open");
}

/// Found walking the app: four error messages stacked over the map hid a FIFO's loading row
/// but for "Ca" of its Cancel button. The messages stand above the loading rows.
#[cfg(unix)]
#[test]
fn messages_keep_clear_of_a_loading_rows_cancel_button() {
    use frontier_atlas::ui::{Level, Message};
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("waiting.geojson");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1100.0, 800.0))
        .with_max_steps(12)
        .build_ui_state(|ui, app: &mut AtlasApp| app.ui(ui), AtlasApp::new(None));
    h.run_steps(2);
    h.state_mut().open_file_in_background(fifo.clone());
    for i in 0..4 {
        let text = format!("/data/broken-{i}.geojson:1:1: the file ends before the document does (cut short?)");
        h.state_mut().messages.push(Message::new(Level::Error, text));
    }
    h.run_steps(4);
    let cancel = h.get_by_label("Cancel").rect();
    for i in 0..4 {
        for node in h.query_all_by_label_contains(&format!("broken-{i}")) {
            assert!(!node.rect().intersects(cancel), "message {i} at {:?} covers Cancel at {cancel:?}", node.rect());
        }
    }
    for dismiss in h.query_all_by_label("Dismiss") {
        assert!(!dismiss.rect().intersects(cancel), "a Dismiss button covers Cancel");
    }
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label("Cancel").is_none(), "the load was cancelled");
}
