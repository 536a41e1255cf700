//! Project files (`*.fatlas.json`): which layers are open and how, the date range, the view
//! named bookmarks and briefing scenes, saved as versioned JSON (see `docs/PROJECT_FORMAT.md`).
//!
//! A project references layer files, it does not contain them: embedded layers by their
//! `geodata/` file name, user layers by a path stored relative to the project's folder when
//! possible. Everything here is pure except the explicit load/save functions,
//! [`catalog_from_project`] (which reads the layer files) and [`is_project_path`].
//! Members this version does not know are kept and written back unchanged.

pub(crate) mod paths;
mod recent;
mod scene;
mod wire;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::geodata::EMBEDDED;
use crate::model::{Catalog, Layer, LayerSource, assign_spans};
use crate::spatial::{Viewport, geo_from_world};
use crate::time::Range;

pub use recent::{MAX_RECENT, RecentProjects};
pub use scene::{ProjectScene, SceneLayer, parse_selection};

/// The value of the `format` member that marks a project file.
pub const FORMAT_TAG: &str = "frontier-atlas-project";

/// The project format version this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// The most layers a project may list. Each layer costs draw calls and memory every frame;
/// a project of thousands (10,000 overflowed the GPU's index buffer) is refused with a
/// message instead of crashing the app.
pub const MAX_PROJECT_LAYERS: usize = 256;

/// The file-name ending of project files.
pub const EXTENSION: &str = ".fatlas.json";

/// Why a project could not be read or written. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The file could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The project file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("{}:{line}:{col}: {message}", path.display())]
    Json {
        /// The project file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// The JSON is not a Frontier Atlas project (no or another `format` tag).
    #[error("{}: not a Frontier Atlas project: {message}", path.display())]
    NotAProject {
        /// The file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
    /// The project was written by a format version this build does not read.
    #[error("{}: project format version {found} is not supported (this build reads version {FORMAT_VERSION})", path.display())]
    Version {
        /// The project file.
        path: PathBuf,
        /// The `version` member as found (JSON text, or `missing`).
        found: String,
    },
    /// A member has the wrong type or an invalid value.
    #[error("{}: {at}: {message}", path.display())]
    Invalid {
        /// The project file.
        path: PathBuf,
        /// Where in the document, e.g. `layers[2].style.fill`.
        at: String,
        /// What is wrong.
        message: String,
    },
}

/// A whole project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Project {
    /// Layers in drawing order (first drawn first).
    pub layers: Vec<ProjectLayer>,
    /// The date range shown, inclusive; `None` shows all dates.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// The map view; `None` leaves the app's home view.
    pub view: Option<ProjectView>,
    /// Named views.
    pub bookmarks: Vec<Bookmark>,
    /// The briefing's scenes, in deck order.
    pub scenes: Vec<ProjectScene>,
    /// Top-level members this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}

impl Project {
    /// The date range as a [`Range`].
    pub fn time_range(&self) -> Option<Range> {
        self.range.map(|(a, b)| Range::new(a, b))
    }
}

/// Where a project layer's features come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerRef {
    /// An embedded layer, by its file name under `geodata/` (e.g. `countries.geojson`).
    Embedded(String),
    /// A layer file (absolute in memory; stored relative to the project when possible).
    Path(PathBuf),
}

/// One layer entry of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectLayer {
    /// The features' source.
    pub source: LayerRef,
    /// The name shown in the layers panel.
    pub name: String,
    /// Whether the layer is drawn.
    pub visible: bool,
    /// Opacity from 0 to 1.
    pub opacity: f32,
    /// Property used for labels and names.
    pub label_field: Option<String>,
    /// Start (and optional end) date fields of a layer made temporal by the user.
    pub date_fields: Option<(String, Option<String>)>,
    /// For a file that holds several layers (a GeoPackage), the table.
    pub table: Option<String>,
    /// Style overrides (recorded and round-tripped).
    pub style: Option<LayerStyleOverride>,
    /// Members of the layer entry this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}

pub use crate::model::{LayerStyleOverride, Rgba};

/// A map view in geographic terms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectView {
    /// Longitude of the centre, degrees.
    pub center_lon: f64,
    /// Latitude of the centre, degrees.
    pub center_lat: f64,
    /// Zoom level (see [`Viewport::zoom`]).
    pub zoom: f64,
    /// Members this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}

impl ProjectView {
    /// The centre and zoom of a viewport (degrees rounded to 1e-7, zoom to 1e-4).
    pub fn from_viewport(view: &Viewport) -> Self {
        let (lon, lat) = geo_from_world(view.center);
        Self {
            center_lon: round(lon, 1e7),
            center_lat: round(lat, 1e7),
            zoom: round(view.zoom, 1e4),
            extra: Map::new(),
        }
    }

    /// The viewport showing this view on a screen area of `size_pts`.
    pub fn viewport(&self, size_pts: [f32; 2]) -> Viewport {
        Viewport::centered(self.center_lon, self.center_lat, self.zoom, size_pts)
    }
}

/// A named view, optionally with a date range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bookmark {
    /// The name shown in the bookmarks menu.
    pub name: String,
    /// The analyst's note about the place (optional).
    pub note: Option<String>,
    /// Longitude of the centre, degrees.
    pub center_lon: f64,
    /// Latitude of the centre, degrees.
    pub center_lat: f64,
    /// Zoom level.
    pub zoom: f64,
    /// The date range the bookmark restores, inclusive; `None` leaves the range alone.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// Members this version does not know, kept for saving.
    pub extra: Map<String, Value>,
}

impl Bookmark {
    /// A bookmark of a viewport and optional range.
    pub fn new(name: impl Into<String>, view: &Viewport, range: Option<Range>) -> Self {
        let v = ProjectView::from_viewport(view);
        Self {
            name: name.into(),
            note: None,
            center_lon: v.center_lon,
            center_lat: v.center_lat,
            zoom: v.zoom,
            range: range.map(|r| (r.from, r.to)),
            extra: Map::new(),
        }
    }

    /// The viewport showing the bookmark on a screen area of `size_pts`.
    pub fn viewport(&self, size_pts: [f32; 2]) -> Viewport {
        Viewport::centered(self.center_lon, self.center_lat, self.zoom, size_pts)
    }
}

fn round(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

/// Parses project text. Relative layer paths are resolved against `project_path`'s folder;
/// `project_path` also names the file in errors.
pub fn parse_project(text: &str, project_path: &Path) -> Result<Project, ProjectError> {
    wire::parse(text, project_path)
}

/// The project as pretty JSON (with a final newline), layer paths relative to
/// `project_path`'s folder when possible.
pub fn project_to_json(project: &Project, project_path: &Path) -> String {
    wire::write(project, project_path)
}

/// Writes the project to `path` atomically (the old file survives a failed write).
pub fn save_project(project: &Project, path: &Path) -> Result<(), ProjectError> {
    let text = project_to_json(project, path);
    crate::io::atomic::write_atomic(path, text.as_bytes())
        .map_err(|source| ProjectError::Io { path: path.to_owned(), source })
}

/// Reads and parses a project file (read once; a FIFO or device is handled as
/// [`crate::io::read`] says).
pub fn load_project(path: &Path) -> Result<Project, ProjectError> {
    let bytes = crate::io::read::read_input(path).map_err(|e| match e {
        crate::io::read::ReadError::Io { source, .. } => ProjectError::Io { path: path.to_owned(), source },
        other => ProjectError::NotAProject { path: path.to_owned(), message: other.to_string() },
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = before.split(|&b| b == b'\n').count();
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        ProjectError::Json { path: path.to_owned(), line, col, message: "invalid UTF-8".to_owned() }
    })?;
    parse_project(text, path)
}

/// The project describing a catalog, a date range, a view and bookmarks. Layer style
/// overrides and every member the project the catalog came from had but this version does
/// not know are carried over.
pub fn project_from_catalog(
    catalog: &Catalog,
    range: Option<Range>,
    view: &Viewport,
    bookmarks: &[Bookmark],
) -> Project {
    let mut view = ProjectView::from_viewport(view);
    view.extra.clone_from(&catalog.view_extra);
    Project {
        layers: catalog.layers.iter().filter_map(project_layer).collect(),
        range: range.map(|r| (r.from, r.to)),
        view: Some(view),
        bookmarks: bookmarks.to_vec(),
        scenes: Vec::new(),
        extra: catalog.project_extra.clone(),
    }
}

/// The project entry of a layer; `None` for a team store layer (the store is its home).
fn project_layer(layer: &Layer) -> Option<ProjectLayer> {
    let source = match &layer.source {
        LayerSource::Embedded(file) => LayerRef::Embedded((*file).to_owned()),
        LayerSource::File(path) => LayerRef::Path(paths::absolute(path)),
        LayerSource::Store { .. } => return None,
    };
    Some(ProjectLayer {
        source,
        name: layer.name.clone(),
        visible: layer.visible,
        opacity: layer.opacity,
        label_field: layer.label_field.clone(),
        date_fields: layer.date_fields.clone(),
        table: layer.source_table.clone(),
        style: layer.style.clone(),
        extra: layer.project_extra.clone(),
    })
}

/// Builds the catalog a project describes, in the project's layer order: embedded layers
/// from [`EMBEDDED`], files through the one dispatcher [`crate::io::open::open_layer`]
/// (GeoJSON, GeoPackage table, ACLED or point CSV); then applies name, visibility, opacity,
/// label field, date fields and style, and keeps the members this version does not know.
/// A missing or broken layer file does not fail the project: it is skipped and reported in
/// the returned problems (naming the file), as are skipped features and unreadable dates.
pub fn catalog_from_project(project: &Project) -> (Catalog, Vec<String>) {
    let mut catalog = Catalog::default();
    let mut problems = Vec::new();
    for entry in &project.layers {
        let loaded = match &entry.source {
            LayerRef::Embedded(file) => load_embedded(file),
            LayerRef::Path(path) => {
                crate::io::open::open_layer(path, entry.table.as_deref()).map_err(|e| e.to_string())
            }
        };
        let mut loaded = match loaded {
            Ok(loaded) => loaded,
            Err(why) => {
                problems.push(format!("layer “{}” skipped: {why}", entry.name));
                continue;
            }
        };
        problems.append(&mut loaded.skipped);
        let mut layer = loaded.layer;
        layer.name.clone_from(&entry.name);
        layer.visible = entry.visible;
        layer.opacity = if entry.opacity.is_finite() { entry.opacity.clamp(0.0, 1.0) } else { 1.0 };
        if entry.label_field.is_some() {
            layer.label_field.clone_from(&entry.label_field);
        }
        layer.style.clone_from(&entry.style);
        layer.project_extra.clone_from(&entry.extra);
        if entry.date_fields.is_some() {
            layer.date_fields.clone_from(&entry.date_fields);
            let label = layer.source.to_string();
            problems.extend(assign_spans(&mut layer).into_iter().map(|p| format!("{label}: {p}")));
        }
        catalog.layers.push(layer);
    }
    catalog.project_extra.clone_from(&project.extra);
    catalog.view_extra = project.view.as_ref().map(|v| v.extra.clone()).unwrap_or_default();
    (catalog, problems)
}

fn load_embedded(file: &str) -> Result<crate::io::geojson::Loaded, String> {
    let e = EMBEDDED.iter().find(|e| e.file == file).ok_or_else(|| format!("no embedded layer geodata/{file}"))?;
    let label = format!("geodata/{}", e.file);
    crate::io::geojson::parse_layer(e.text, &label, e.name, Some(e.kind), LayerSource::Embedded(e.file))
        .map_err(|err| err.to_string())
}

/// Whether `path` looks like a project: its name ends with [`EXTENSION`] (any case), or it
/// is a `.json` file whose first 4 KB contain [`FORMAT_TAG`].
pub fn is_project_path(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()) else { return false };
    if name.ends_with(EXTENSION) {
        return true;
    }
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        return false;
    }
    let mut head = Vec::with_capacity(4096);
    let Ok(file) = std::fs::File::open(path) else { return false };
    if file.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    let tag = FORMAT_TAG.as_bytes();
    head.windows(tag.len()).any(|w| w == tag)
}
