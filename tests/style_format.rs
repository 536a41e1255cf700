//! The project's layer `style` members (issue 9) and bookmark `note`: read, written back
//! unchanged with unknown members kept, bad values named by their place in the document.

use std::path::Path;

use frontier_atlas::model::PointShape;
use frontier_atlas::project::{parse_project, project_to_json};

const STYLED: &str = r##"{
  "format": "frontier-atlas-project",
  "version": 1,
  "layers": [
    {
      "embedded": "events.geojson",
      "name": "Security events",
      "visible": true,
      "opacity": 1.0,
      "style": {
        "fill": "#377eb8",
        "stroke": "#ffffff",
        "stroke_width": 1.5,
        "point_size": 7,
        "point_shape": "square",
        "categories": {"property": "event_type", "colours": [{"value": "Battles", "colour": "#e41a1c"}, {"value": "Protests", "colour": "#4daf4a80"}]},
        "label": "location",
        "glow": {"radius": 3}
      }
    }
  ],
  "bookmarks": [
    {"name": "Khorog", "note": "Bridge to Afghanistan", "center_lon": 71.55, "center_lat": 37.49, "zoom": 10, "tag": "kept"},
    {"name": "Old", "center_lon": 71.0, "center_lat": 37.0, "zoom": 8}
  ]
}"##;

#[test]
fn every_style_member_and_the_bookmark_note_survive_a_round_trip() {
    let path = Path::new("/tmp/styled.fatlas.json");
    let p = parse_project(STYLED, path).expect("parses");
    let style = p.layers[0].style.clone().expect("style");
    assert_eq!(style.fill, Some([55, 126, 184, 255]));
    assert_eq!(style.point_size, Some(7.0));
    assert_eq!(style.point_shape, Some(PointShape::Square));
    let cats = style.categories.clone().expect("categories");
    assert_eq!(cats.property, "event_type");
    assert_eq!(
        cats.colours,
        vec![("Battles".to_owned(), [228, 26, 28, 255]), ("Protests".to_owned(), [77, 175, 74, 128])]
    );
    assert_eq!(style.label.as_deref(), Some("location"));
    assert!(style.extra.contains_key("glow"), "unknown style member dropped");
    assert_eq!(p.bookmarks[0].note.as_deref(), Some("Bridge to Afghanistan"));
    assert_eq!(p.bookmarks[1].note, None, "a bookmark without a note (older projects) opens");

    let text = project_to_json(&p, path);
    let again = parse_project(&text, path).expect("written text parses");
    assert_eq!(again.layers[0].style, p.layers[0].style);
    assert_eq!(again.bookmarks, p.bookmarks);
    assert!(text.contains("\"note\": \"Bridge to Afghanistan\""), "{text}");
    assert!(text.contains("\"glow\""), "{text}");
    assert_eq!(project_to_json(&again, path), text, "not a fixed point");
}

#[test]
fn a_bad_style_value_is_named_with_its_place_and_the_file() {
    let path = Path::new("/tmp/bad.fatlas.json");
    for (from, to, place) in [
        ("\"point_shape\": \"square\"", "\"point_shape\": \"star\"", "layers[0].style.point_shape"),
        ("\"colour\": \"#e41a1c\"", "\"colour\": \"red\"", "layers[0].style.categories.colours[0].colour"),
        ("\"property\": \"event_type\", ", "", "layers[0].style.categories"),
        ("\"point_size\": 7", "\"point_size\": \"big\"", "layers[0].style.point_size"),
    ] {
        let text = STYLED.replacen(from, to, 1);
        assert_ne!(text, STYLED);
        let e = parse_project(&text, path).expect_err("refused").to_string();
        assert!(e.contains("bad.fatlas.json"), "{e}");
        assert!(e.contains(place), "{place} not named: {e}");
    }
}
