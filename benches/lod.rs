//! A 200 MB boundary layer (the Tajik and Afghan ADM2 districts densified to full-resolution
//! size, `tests/common/boundary_gen.rs`, built in memory) on top of the embedded map: the time
//! of one frame — scene build plus the egui paint preparation of its fills and strokes
//! (meshes and tessellated lines, as `ui::painter` hands them to egui) — at several zooms, with
//! the levels of detail and, for comparison, at full detail. Target: ≤ 33 ms (30 fps) in
//! release. `LOD_BENCH_MB` sets another size (e.g. 20 for a quick debug run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui::epaint::{self, Color32, Mesh, Stroke, TessellationOptions, Tessellator, pos2};
use frontier_atlas::geodata::{HOME_BBOX, default_catalog};
use frontier_atlas::model::{Catalog, Feature, Layer, LayerKind, LayerSource};
use frontier_atlas::render::{Item, SceneOptions, build_scene};
use frontier_atlas::spatial::lod::LodSet;
use frontier_atlas::spatial::{Shape, Viewport};

#[path = "../tests/common/boundary_gen.rs"]
mod boundary_gen;

const SIZE: [f32; 2] = [1600.0, 1000.0];

/// The densified districts as a layer, and the GeoJSON bytes they stand for.
fn big_districts() -> (Layer, usize) {
    let mb: usize = std::env::var("LOD_BENCH_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data"));
    let districts = boundary_gen::source_districts(dir).unwrap_or_else(|e| {
        eprintln!("{e}; using a synthetic grid of districts instead");
        boundary_gen::synthetic_districts(20)
    });
    let k = boundary_gen::pieces_for(&districts, mb * 1_000_000);
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = districts.len().div_ceil(threads).max(1);
    let features: Vec<Feature> = std::thread::scope(|s| {
        let parts: Vec<_> = districts
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(name, g)| {
                            let dense = boundary_gen::densify(g, k);
                            let mut properties = serde_json::Map::new();
                            properties.insert("shapeName".into(), name.clone().into());
                            Feature {
                                id: None,
                                geometry: None,
                                properties,
                                foreign_members: serde_json::Map::new(),
                                shape: Shape::from_geo(Some(&dense)),
                                time: None,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts.into_iter().flat_map(|p| p.join().expect("densify worker")).collect()
    });
    let positions: usize =
        features.iter().map(|f| f.shape.polygons().iter().flatten().map(Vec::len).sum::<usize>()).sum();
    let bytes = positions * boundary_gen::BYTES_PER_POSITION;
    eprintln!(
        "{} districts, {positions} positions (≈ {:.0} MB of GeoJSON), {k} pieces per segment, prepared in {:.1} s",
        features.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let mut layer = Layer::new("districts (dense)", LayerKind::Districts, LayerSource::Embedded("bench"), features);
    layer.label_field = Some("shapeName".into());
    (layer, bytes)
}

/// One frame: the scene, then its fills gathered into meshes and its strokes tessellated as
/// egui does it. Returns the tessellated vertex count (so nothing is optimised away).
fn frame(catalog: &Catalog, viewport: &Viewport, options: &SceneOptions<'_>, tess: &mut Tessellator) -> usize {
    let scene = build_scene(catalog, viewport, options);
    let c32 = |c: frontier_atlas::render::Color| {
        let [r, g, b, a] = c.0;
        Color32::from_rgba_unmultiplied(r, g, b, a)
    };
    let mut out = Mesh::default();
    let mut fill = Mesh::default();
    for item in &scene.items {
        match item {
            Item::Fill { mesh, color, .. } => {
                let base = fill.vertices.len() as u32;
                for v in &mesh.vertices {
                    fill.colored_vertex(pos2(v[0], v[1]), c32(*color));
                }
                fill.indices.extend(mesh.indices.iter().map(|i| base + i));
            }
            Item::Stroke { points, width, color, dash } => {
                let pts: Vec<_> = points.iter().map(|p| pos2(p[0], p[1])).collect();
                let stroke = Stroke::new(*width, c32(*color));
                match dash {
                    Some([d, g]) => {
                        for s in epaint::Shape::dashed_line(&pts, stroke, *d, *g) {
                            tess.tessellate_shape(s, &mut out);
                        }
                    }
                    None => tess.tessellate_shape(epaint::Shape::line(pts, stroke), &mut out),
                }
            }
            _ => {}
        }
    }
    tess.tessellate_shape(epaint::Shape::mesh(fill), &mut out);
    out.vertices.len() + scene.labels.len()
}

fn lod(c: &mut Criterion) {
    let (layer, bytes) = big_districts();
    let started = Instant::now();
    let features: Vec<_> = layer.features.iter().collect();
    let set = Arc::new(LodSet::build(features.iter().map(|f| &f.shape)));
    drop(features);
    let bands = set.ready().map(|b| b.bands().to_vec()).unwrap_or_default();
    eprintln!(
        "levels of detail built in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        bands.iter().map(|b| format!("z{} {} pts", b.zoom, b.vertex_count())).collect::<Vec<_>>().join(", ")
    );
    let (mut catalog, _) = default_catalog();
    catalog.insert(layer);
    let li = catalog.layers.iter().position(|l| l.name == "districts (dense)").expect("the dense layer");
    let options = SceneOptions::default();
    let mut tess = Tessellator::new(1.0, TessellationOptions::default(), [1, 1], Vec::new());
    tess.set_clip_rect(epaint::Rect::from_min_size(pos2(0.0, 0.0), epaint::vec2(SIZE[0], SIZE[1])));
    let views = [
        ("whole frontier", Viewport::fit_bbox(HOME_BBOX, SIZE)),
        ("zoom 5 (Afghanistan and Tajikistan)", Viewport::centered(68.5, 36.0, 5.0, SIZE)),
        ("zoom 8 (Badakhshan)", Viewport::centered(71.0, 37.5, 8.0, SIZE)),
        ("zoom 11 (Khorog)", Viewport::centered(71.55, 37.49, 11.0, SIZE)),
    ];
    let mut group = c.benchmark_group(format!("frame with a {:.0} MB boundary layer", bytes as f64 / 1e6));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for (name, view) in &views {
        catalog.layers[li].lod = None;
        group.bench_function(format!("{name}, full detail"), |b| {
            b.iter(|| frame(&catalog, view, &options, &mut tess));
        });
        catalog.layers[li].lod = Some(Arc::clone(&set));
        group.bench_function(format!("{name}, levels of detail"), |b| {
            b.iter(|| frame(&catalog, view, &options, &mut tess));
        });
    }
    group.finish();
}

criterion_group!(benches, lod);
criterion_main!(benches);
