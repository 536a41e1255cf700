//! Exporting a view to a file (PNG, SVG or PDF by extension): used by the app and the CLI.

use std::path::{Path, PathBuf};

use super::svg::{Furniture, RasterError, scene_to_svg, svg_to_pdf, svg_to_png};
use super::{SceneOptions, build_scene};
use crate::model::{Catalog, TimeFilter};
use crate::spatial::Viewport;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The extension is not one we write.
    #[error("{}: unknown output format (use .png, .svg or .pdf)", path.display())]
    Format {
        /// The output path.
        path: PathBuf,
    },
    /// Rasterising failed.
    #[error("{}: {source}", path.display())]
    Raster {
        /// The output path.
        path: PathBuf,
        /// The cause.
        source: RasterError,
    },
    /// Writing failed (permissions, full disk, missing folder).
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The output path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Renders `catalog` through `viewport` with the date filter and writes it to `path`.
/// The file is written atomically: a temporary file in the same folder, then a rename.
pub fn export_view(
    catalog: &Catalog,
    viewport: &Viewport,
    filter: &TimeFilter,
    furniture: &Furniture,
    path: &Path,
) -> Result<(), ExportError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("kml") || e.eq_ignore_ascii_case("kmz")) {
        // The visible map for Google Earth: visible layers, the features the date range shows.
        let layers: Vec<_> =
            catalog.layers.iter().enumerate().filter(|(_, l)| l.visible).map(|(i, l)| (l, Some((filter, i)))).collect();
        return crate::io::kml::write_kml_file(&layers, path)
            .map_err(|source| ExportError::Io { path: path.to_owned(), source });
    }
    let options = SceneOptions { filter: Some(filter), ..SceneOptions::default() };
    let scene = build_scene(catalog, viewport, &options);
    export_scene(&scene, furniture, path)
}

/// Writes an already built scene to `path` (the app builds the scene on its own thread and
/// leaves this slow part, rasterising and writing, to a worker).
pub fn export_scene(scene: &super::Scene, furniture: &Furniture, path: &Path) -> Result<(), ExportError> {
    let svg = scene_to_svg(scene, furniture);
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let bytes = match ext.as_str() {
        "svg" => svg.into_bytes(),
        "png" => svg_to_png(&svg, 1.0).map_err(|source| ExportError::Raster { path: path.to_owned(), source })?,
        "pdf" => svg_to_pdf(&svg).map_err(|source| ExportError::Raster { path: path.to_owned(), source })?,
        _ => return Err(ExportError::Format { path: path.to_owned() }),
    };
    crate::io::atomic::write_atomic(path, &bytes).map_err(|source| ExportError::Io { path: path.to_owned(), source })
}
