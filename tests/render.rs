//! The default map rendered headless: not blank, countries told apart, labels placed.

use frontier_atlas::geodata::{HOME_BBOX, default_catalog};
use frontier_atlas::model::{LayerKind, TimeFilter};
use frontier_atlas::render::svg::{Furniture, scene_to_svg, svg_to_pdf, svg_to_png};
use frontier_atlas::render::{Color, Item, SceneOptions, build_scene};
use frontier_atlas::spatial::Viewport;

mod raster;
use raster::Raster;

fn render_default(size: [f32; 2]) -> (Viewport, Raster) {
    let (catalog, problems) = default_catalog();
    assert!(problems.is_empty(), "embedded data has problems: {problems:?}");
    let viewport = Viewport::fit_bbox(HOME_BBOX, size);
    let scene = build_scene(&catalog, &viewport, &SceneOptions::default());
    let svg = scene_to_svg(
        &scene,
        &Furniture {
            title: Some("Test".into()),
            date_range: None,
            legend: Some(frontier_atlas::render::LegendCorner::TopRight),
        },
    );
    (viewport, Raster::decode_png(&svg_to_png(&svg, 1.0).expect("png")).expect("decode"))
}

/// The most common colour in a 9×9 patch, so thin lines and labels do not decide the test.
fn patch_mode(png: &Raster, [x, y]: [f32; 2]) -> Color {
    let mut counts: Vec<(Color, u32)> = Vec::new();
    for dy in -4..=4 {
        for dx in -4..=4 {
            let c = png.pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32).expect("pixel inside image");
            match counts.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += 1,
                None => counts.push((c, 1)),
            }
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(c, _)| c).expect("non-empty patch")
}

#[test]
fn default_map_is_not_blank_and_tells_tajikistan_from_afghanistan() {
    let (viewport, png) = render_default([1600.0, 1000.0]);
    // Not blank: many distinct colours across a coarse grid.
    let mut colours = std::collections::HashSet::new();
    for y in (0..1000).step_by(25) {
        for x in (0..1600).step_by(25) {
            colours.insert(png.pixel(x, y).expect("pixel").0);
        }
    }
    assert!(colours.len() > 20, "only {} distinct colours: blank map?", colours.len());
    // Open ground in the Pamirs (Tajikistan) and in Samangan (Afghanistan).
    let tajikistan = patch_mode(&png, viewport.screen_from_geo(72.6, 38.55));
    let afghanistan = patch_mode(&png, viewport.screen_from_geo(68.3, 36.3));
    assert_ne!(tajikistan, afghanistan, "Tajikistan and Afghanistan must be filled differently");
    let close = |a: Color, b: Color| a.0.iter().zip(b.0).all(|(x, y)| x.abs_diff(y) <= 3);
    assert!(close(tajikistan, Color::hex(0xf3e3b5)), "Tajikistan fill {tajikistan:?}");
    assert!(close(afghanistan, Color::hex(0xdde8cc)), "Afghanistan fill {afghanistan:?}");
}

#[test]
fn border_is_drawn_and_labels_include_the_frontier_towns() {
    let (catalog, _) = default_catalog();
    let viewport = Viewport::fit_bbox(HOME_BBOX, [1600.0, 1000.0]);
    let scene = build_scene(&catalog, &viewport, &SceneOptions::default());
    let texts: Vec<&str> = scene.labels.iter().map(|l| l.text.as_str()).collect();
    for name in ["Khorog", "Dushanbe", "Ishkoshim", "Ayvoj", "Shaymak", "Wakhan Corridor", "TAJIKISTAN", "AFGHANISTAN"]
    {
        assert!(texts.contains(&name), "label {name} missing; have {texts:?}");
    }
    // The border is the most prominent line: its band is the widest stroke on the map, and
    // its dashed core is drawn above the rivers.
    let widest = scene
        .items
        .iter()
        .filter_map(|i| if let Item::Stroke { width, color, .. } = i { Some((*width, *color)) } else { None })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .expect("strokes");
    assert!(widest.0 >= 8.0, "widest line is {} pt", widest.0);
    assert_eq!(widest.1, frontier_atlas::render::BORDER_BAND, "the widest line is the border band");
    let last_core = scene
        .items
        .iter()
        .rposition(|i| matches!(i, Item::Stroke { color, .. } if *color == frontier_atlas::render::BORDER_LINE));
    let last_river =
        scene.items.iter().rposition(|i| matches!(i, Item::Stroke { width, .. } if (*width - 2.8).abs() < 1e-6));
    assert!(last_core > last_river, "border core must be drawn over the Panj");
    assert!(catalog.layer_of_kind(LayerKind::Border).is_some());
}

#[test]
fn date_filter_hides_events_outside_the_range() {
    let (catalog, _) = default_catalog();
    let viewport = Viewport::fit_bbox(HOME_BBOX, [1600.0, 1000.0]);
    let (events_idx, events) = catalog.layer_of_kind(LayerKind::Events).expect("events layer");
    let all = TimeFilter::new(&catalog, None);
    let range = frontier_atlas::cli::date_range(Some("2030-01-01"), Some("2030-12-31")).expect("range");
    let none = TimeFilter::new(&catalog, range);
    assert_eq!(all.counts(&catalog, events_idx), (events.features.len(), events.features.len()));
    assert_eq!(none.counts(&catalog, events_idx).0, 0);
    let count_markers = |filter: &TimeFilter| {
        let scene = build_scene(&catalog, &viewport, &SceneOptions { filter: Some(filter), ..SceneOptions::default() });
        scene.items.iter().filter(|i| matches!(i, Item::Marker { .. })).count()
    };
    assert!(count_markers(&all) > count_markers(&none), "filtering must remove event markers");
}

/// Every character XML 1.0 forbids: C0 controls other than tab, line feed and carriage return.
fn forbidden_in_xml(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

#[test]
fn control_characters_in_names_and_titles_do_not_break_png_or_pdf() {
    let (mut catalog, _) = default_catalog();
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Ay\u0001voj \u0008\u001f\uffff"},"geometry":{"type":"Polygon","coordinates":[[[66.5,35.5],[70.5,35.5],[70.5,38.8],[66.5,38.8],[66.5,35.5]]]}}]}"#;
    let loaded = frontier_atlas::io::geojson::parse_layer(
        text,
        "ctrl.geojson",
        "Layer \u{1}with\u{7f} controls\u{0}",
        Some(LayerKind::Regions),
        frontier_atlas::model::LayerSource::File("ctrl.geojson".into()),
    )
    .expect("layer");
    catalog.layers.push(loaded.layer);
    let viewport = Viewport::fit_bbox(HOME_BBOX, [800.0, 500.0]);
    let scene = build_scene(&catalog, &viewport, &SceneOptions::default());
    assert!(scene.labels.iter().any(|l| l.text.contains('\u{1}')), "the control character reaches the label");
    let furniture = Furniture {
        title: Some("Brief\u{1}ing <1> & \"2\"\u{b}".into()),
        date_range: Some("2021\u{0}–2022".into()),
        legend: Some(frontier_atlas::render::LegendCorner::TopRight),
    };
    let svg = scene_to_svg(&scene, &furniture);
    assert!(!svg.chars().any(forbidden_in_xml), "the SVG holds a character XML forbids");
    assert!(svg.contains("Briefing &lt;1&gt; &amp; &quot;2&quot;"), "title kept, escaped");
    assert!(svg.contains("Ayvoj"), "label kept without the control character");
    let png = svg_to_png(&svg, 1.0).expect("PNG export");
    assert!(Raster::decode_png(&png).is_some_and(|r| r.width == 800), "a decodable PNG");
    let pdf = svg_to_pdf(&svg).expect("PDF export");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
}

/// Found walking the app: the style editor's "Fill colour" swatch of an opened districts file
/// was blue (the point colour) while its districts are drawn outlined and clear. The swatch's
/// default is the fill the map draws: an area layer's area fill, a point layer's point colour.
#[test]
fn the_fill_swatch_default_is_what_the_map_draws() {
    use frontier_atlas::model::LayerSource;
    let load = |text: &str, kind| {
        frontier_atlas::io::geojson::parse_layer(
            text,
            "t.geojson",
            "t",
            Some(kind),
            LayerSource::File("t.geojson".into()),
        )
        .unwrap()
        .layer
    };
    let area = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"shapeName":"Murghob"},
        "geometry":{"type":"Polygon","coordinates":[[[73,38],[74,38],[74,39],[73,38]]]}}]}"#;
    let districts = load(area, LayerKind::Districts);
    let fill = frontier_atlas::render::default_fill_of(&districts);
    assert_eq!(fill, frontier_atlas::render::default_style_of(&districts).fill);
    assert_eq!(fill.0[3], 0, "districts are outlined, not tinted: the swatch is clear");
    let lakes = load(area, LayerKind::Lakes);
    assert_eq!(
        frontier_atlas::render::default_fill_of(&lakes),
        frontier_atlas::render::layer_style(LayerKind::Lakes).fill
    );
    let point = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
        "geometry":{"type":"Point","coordinates":[73,38]}}]}"#;
    let places = load(point, LayerKind::Generic);
    assert_eq!(
        frontier_atlas::render::default_fill_of(&places),
        frontier_atlas::render::default_style_of(&places).marker_fill
    );
}

/// View → Legend position and `--legend-corner` put the export's legend in the corner chosen,
/// clear of the title block (top left), the scale bar, the north arrow and the attribution
/// (bottom); the default is the top right, as before.
#[test]
fn the_export_legend_goes_in_the_corner_chosen() {
    use frontier_atlas::render::LegendCorner;
    let (catalog, _) = default_catalog();
    let viewport = Viewport::fit_bbox(HOME_BBOX, [1200.0, 800.0]);
    let scene = build_scene(&catalog, &viewport, &SceneOptions::default());
    // The legend box: the first rect after the "Legend." comment's place, read from the SVG.
    let legend_box = |corner| {
        let furniture =
            Furniture { title: Some("Brief".into()), date_range: Some("2022".into()), legend: Some(corner) };
        let svg = scene_to_svg(&scene, &furniture);
        let at = svg.find(">Legend<").expect("a legend");
        let rect = svg[..at].rfind("<rect ").expect("its box");
        let number = |name: &str| -> f32 {
            let from = svg[rect..].find(&format!("{name}=\"")).expect(name) + rect + name.len() + 2;
            svg[from..].split('"').next().and_then(|v| v.parse().ok()).expect("a number")
        };
        (number("x"), number("y"), number("width"), number("height"))
    };
    let (x, y, w, _) = legend_box(LegendCorner::TopRight);
    assert!((x + w - 1190.0).abs() < 0.5 && (y - 10.0).abs() < 0.5, "top right by default: {x} {y}");
    let (x, y, _, _) = legend_box(LegendCorner::TopLeft);
    assert!((x - 10.0).abs() < 0.5 && y >= 10.0 + 54.0, "under the title block: {x} {y}");
    for corner in [LegendCorner::BottomLeft, LegendCorner::BottomRight] {
        let (x, y, w, h) = legend_box(corner);
        assert!(y + h <= 800.0 - 84.0 + 0.5, "{corner:?} ends at {} over the scale bar or the north arrow", y + h);
        assert!(x >= 10.0 - 0.5 && x + w <= 1190.0 + 0.5, "{corner:?} inside the picture");
        assert_eq!(corner == LegendCorner::BottomLeft, x < 600.0, "{corner:?} at x {x}");
    }
    // The CLI takes the corner too.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("map.svg");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_frontier-atlas"))
        .args(["render", "--legend-corner", "bottom-left", "--size", "1200x800", "--out"])
        .arg(&out)
        .output()
        .expect("render runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let svg = std::fs::read_to_string(&out).expect("the SVG");
    let at = svg.find(">Legend<").expect("a legend");
    let rect = &svg[svg[..at].rfind("<rect ").expect("its box")..at];
    assert!(rect.contains(r#"x="10.0""#), "bottom left from the CLI: {rect}");
}
