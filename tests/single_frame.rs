//! Headless commands draw each view once (issue 8): a big point layer's density is counted
//! straight from the layer, with no bin index, build or point column kept for frames that never
//! come (they pushed `render --add` of a 1M-row ACLED CSV above the file's size), and what is
//! drawn is what the app draws with its indexes. One process-wide switch, so this file holds
//! one test.

#[path = "common/point_event.rs"]
mod point_event;

use frontier_atlas::model::{Feature, Layer, LayerKind, LayerSource, assign_spans};
use frontier_atlas::render::density::{
    HexGrid, count_bins, density_view, draw_single_frames, drawn_as_density, holds_anything_for, prepare,
};
use frontier_atlas::spatial::Viewport;

/// `n` dated events spread over the frontier (deterministic).
fn layer(n: usize) -> Layer {
    let mut state = 7_u64;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1_u64 << 53) as f64
    };
    let features: Vec<Feature> = (0..n)
        .map(|i| {
            let (lon, lat) = (67.0 + next() * 8.0, 35.5 + next() * 4.0);
            let mut properties = serde_json::Map::new();
            properties.insert("event_date".into(), format!("202{}-0{}-1{}", i % 3, 1 + i % 9, i % 10).into());
            point_event::point_event(lon, lat, properties)
        })
        .collect();
    let mut layer = Layer::new("events", LayerKind::Events, LayerSource::Embedded("test"), features);
    assign_spans(&mut layer);
    layer
}

#[test]
fn single_frames_count_directly_keep_nothing_and_draw_what_the_app_draws() {
    let viewport = Viewport::fit_bbox([66.5, 35.0, 75.5, 40.0], [800.0, 500.0]);
    let view = viewport.world_rect();
    let grid = HexGrid::for_view(&viewport);

    // The app: an index is asked for (and, here, built) for the frames to come.
    let app = layer(30_000);
    assert!(drawn_as_density(&app, 0, None, &view), "30k events in view are drawn as a density");
    let _ = density_view(&app, 0, None, &viewport);
    assert!(holds_anything_for(&app), "the app keeps an index or its build for the next frames");
    prepare(&app, grid);
    let indexed = count_bins(&app, 0, None, &grid, &view);
    let app_view = density_view(&app, 0, None, &viewport);

    // A headless command: the same features, drawn once.
    draw_single_frames();
    let headless = layer(30_000);
    assert!(drawn_as_density(&headless, 0, None, &view));
    let once = density_view(&headless, 0, None, &viewport);
    assert!(!holds_anything_for(&headless), "nothing is built or kept for a single frame");
    assert_eq!(count_bins(&headless, 0, None, &grid, &view), indexed);
    assert_eq!(once.record.bins, app_view.record.bins);
    assert_eq!(once.legend, app_view.legend);
    assert!(!holds_anything_for(&headless));
}
