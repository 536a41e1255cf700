//! GeoPackage (OGC 12-128r18) feature tables to [`Layer`]s and back.
//!
//! Reading takes every table `gpkg_contents` lists, in order: `features` tables become layers,
//! `attributes` tables layers without geometries ([`read_gpkg_tables`]), and a table that
//! cannot be read (another coordinate system, no integer primary key, tiles…) is reported by
//! name without hiding the others. Geometries are
//! decoded from the GeoPackage blob ([`wkb`]); columns become properties in column order
//! (INTEGER and REAL → numbers, TEXT → strings, BOOLEAN → booleans, BLOB → base64 strings
//! with a note, NULL → null; DATE/DATETIME text stays text; columns that `gpkg_data_columns`
//! marks `application/json` are parsed back to JSON). The integer primary key becomes the
//! feature id. Only WGS 84 longitude/latitude (EPSG 4326, its 3-D form 4979 that GDAL writes
//! for layers with Z, or any entry whose definition is geographic WGS 84) and the undefined
//! systems 0 and −1 are accepted: nothing is reprojected. EMPTY parts of multi-geometries are
//! dropped (GeoJSON has no form for them).
//!
//! Writing makes one table per layer with `fid INTEGER PRIMARY KEY AUTOINCREMENT`, a `geom`
//! column and one column per property key (union over features, first-seen order) typed from
//! the values: all booleans → BOOLEAN, all integers → INTEGER, numbers → REAL, all strings →
//! TEXT, anything else (objects, arrays, mixed kinds) → TEXT holding JSON, registered as
//! `application/json` through the `gpkg_schema` extension so it reads back exactly.
//!
//! Feature ids: when every feature has a unique integer id, the ids are the `fid`s. Otherwise
//! the `fid` is a plain counter and a TEXT column `id` (or `feature_id` if a property already
//! uses `id`) holds the ids as text. The choice is recorded in the `gpkg_contents`
//! description (`Feature ids: fid.` / `column `id`.` / `none.`) so reading our own files
//! gives back the same ids; files from other tools use the `fid`.
//!
//! The file is written to a temporary file in the same folder, synced and renamed over the
//! target, so a failure leaves any previous file untouched.

pub mod raw;
pub mod stream;
pub mod wkb;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params};
use serde_json::{Map, Value};

use super::geojson::{Loaded, geo_from_json, parse_layer};
use super::progress::{Cancelled, Progress, REPORT_EVERY};
use crate::model::{FeatureId, Layer, LayerSource};
use wkb::Envelope;

/// The `srs_id` everything is written with: WGS 84 longitude/latitude.
pub const WGS84_SRS_ID: i32 = 4326;

/// `PRAGMA application_id` of a GeoPackage: ASCII `GPKG`.
pub const APPLICATION_ID: i32 = 0x4750_4B47;

/// `PRAGMA user_version` written: GeoPackage 1.3.0 (GDAL 3.6 warns about 1.4.0 files).
pub const USER_VERSION: i32 = 10300;

const WGS84_WKT: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,\
AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],\
UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],\
AUTHORITY[\"EPSG\",\"4326\"]]";

const IDS_MARKER: &str = "Feature ids: ";

/// Why a GeoPackage could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("{}: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The file is not a GeoPackage (no `gpkg_contents`).
    #[error("{}: not a GeoPackage: {why}", path.display())]
    NotGeoPackage {
        /// The file.
        path: PathBuf,
        /// What is missing.
        why: String,
    },
    /// A table uses a coordinate system other than WGS 84.
    #[error(
        "{}: table `{table}` uses srs_id {srs_id} ({srs_name}); only WGS 84 (EPSG:4326) is read, \
         reproject it first (e.g. `ogr2ogr -t_srs EPSG:4326 out.gpkg in.gpkg`)",
        path.display()
    )]
    UnsupportedSrs {
        /// The file.
        path: PathBuf,
        /// The feature table.
        table: String,
        /// Its `srs_id`.
        srs_id: i64,
        /// The SRS name from `gpkg_spatial_ref_sys`, if any.
        srs_name: String,
    },
    /// A table cannot be read as features.
    #[error("{}: table `{table}`: {message}", path.display())]
    Table {
        /// The file.
        path: PathBuf,
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// A feature cannot be written.
    #[error("{}: layer `{layer}`, feature {feature}: {message}", path.display())]
    Feature {
        /// The file.
        path: PathBuf,
        /// The layer name.
        layer: String,
        /// The feature id or `#n`.
        feature: String,
        /// What is wrong.
        message: String,
    },
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> GpkgError + '_ {
    move |source| GpkgError::Sqlite { path: path.to_owned(), source }
}

/// Double-quotes an SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One attribute column of a feature table.
struct Column {
    name: String,
    boolean: bool,
    json: bool,
}

/// How a table stores its feature ids.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IdPolicy {
    Fid,
    Column(String),
    None,
}

fn id_policy(description: &str) -> IdPolicy {
    let Some(rest) = description.find(IDS_MARKER).and_then(|i| description.get(i + IDS_MARKER.len()..)) else {
        return IdPolicy::Fid;
    };
    if rest.starts_with("none") {
        IdPolicy::None
    } else if let Some(col) = rest.strip_prefix("column `").and_then(|r| r.split_once('`')).map(|(c, _)| c) {
        IdPolicy::Column(col.to_owned())
    } else {
        IdPolicy::Fid
    }
}

/// Everything a GeoPackage holds, table by table, so nothing is dropped without being named.
#[derive(Debug, Default)]
pub struct GpkgTables {
    /// Feature tables (`gpkg_contents.data_type = 'features'`) read as layers, in
    /// `gpkg_contents` order.
    pub layers: Vec<Loaded>,
    /// Attributes-only tables (`data_type = 'attributes'`: no geometry column) read as layers
    /// whose features have no geometry, in `gpkg_contents` order.
    pub attributes: Vec<Loaded>,
    /// Tables that could not be read (a coordinate system other than WGS 84, no integer
    /// primary key, tiles or other kinds of data…), each error naming the file and the table.
    pub unreadable: Vec<GpkgError>,
}

impl GpkgTables {
    /// The error of the unreadable table called `name` (case-insensitive, as SQLite compares
    /// table names), if it is one.
    pub fn unreadable_table(&self, name: &str) -> Option<&GpkgError> {
        self.unreadable.iter().find(|e| e.table().is_some_and(|t| t.eq_ignore_ascii_case(name)))
    }
}

impl GpkgError {
    /// The table this error is about, if it is about one table.
    pub fn table(&self) -> Option<&str> {
        match self {
            Self::UnsupportedSrs { table, .. } | Self::Table { table, .. } => Some(table),
            Self::Feature { layer, .. } => Some(layer),
            Self::Io { .. } | Self::Sqlite { .. } | Self::NotGeoPackage { .. } => None,
        }
    }
}

/// Reads every feature table of a GeoPackage as a layer (named after the table), in
/// `gpkg_contents` order. Features whose geometry cannot be used are skipped and reported in
/// [`Loaded::skipped`]; a table that cannot be read at all does not stop the others: it is
/// reported in the first layer's [`Loaded::skipped`], and is the error only when no feature
/// table can be read. Attributes-only tables are not map layers and are not returned here:
/// [`read_gpkg_tables`] has them, and the unreadable tables, separately.
pub fn read_gpkg(path: &Path) -> Result<Vec<Loaded>, GpkgError> {
    read_gpkg_with(path, &Progress::new())
}

/// [`read_gpkg`] reporting rows read to `progress` (the file's bytes spread over its
/// tables and their rows); once `progress` is cancelled the table being read stops with an
/// error.
pub fn read_gpkg_with(path: &Path, progress: &Progress) -> Result<Vec<Loaded>, GpkgError> {
    let GpkgTables { mut layers, attributes: _, unreadable } = read_gpkg_tables_with(path, progress)?;
    let mut unreadable = unreadable.into_iter();
    match layers.first_mut() {
        Some(first) => first.skipped.extend(unreadable.map(|e| format!("{e} (table not read)"))),
        None => {
            if let Some(e) = unreadable.next() {
                return Err(e);
            }
        }
    }
    Ok(layers)
}

/// The names of every table (and view) of the GeoPackage that holds data: everything but the
/// `gpkg_*` metadata, the `rtree_*` spatial indexes and SQLite's own tables, whether or not
/// it can be read. Writing a GeoPackage replaces the file, so these are what a write of
/// other layers would drop.
pub fn table_names(path: &Path) -> Result<Vec<String>, GpkgError> {
    std::fs::metadata(path).map_err(|source| GpkgError::Io { path: path.to_owned(), source })?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql_err(path))?;
    conn.prepare(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
         AND name NOT LIKE 'gpkg\\_%' ESCAPE '\\' AND name NOT LIKE 'rtree\\_%' ESCAPE '\\' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )
    .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            GpkgError::NotGeoPackage { path: path.to_owned(), why: "the file is not an SQLite database".to_owned() }
        }
        other => GpkgError::Sqlite { path: path.to_owned(), source: other },
    })
}

/// Reads every table `gpkg_contents` lists: feature tables and attributes-only tables as
/// layers, and the tables that cannot be read as errors, so one bad table never hides the
/// others (see [`GpkgTables`]).
pub fn read_gpkg_tables(path: &Path) -> Result<GpkgTables, GpkgError> {
    read_gpkg_tables_with(path, &Progress::new())
}

/// [`read_gpkg_tables`] reporting to `progress` (see [`read_gpkg_with`]).
pub fn read_gpkg_tables_with(path: &Path, progress: &Progress) -> Result<GpkgTables, GpkgError> {
    std::fs::metadata(path).map_err(|source| GpkgError::Io { path: path.to_owned(), source })?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql_err(path))?;
    let has_table = |name: &str| -> Result<bool, GpkgError> {
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = ?1", [name], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n > 0)
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                GpkgError::NotGeoPackage { path: path.to_owned(), why: "the file is not an SQLite database".to_owned() }
            }
            other => GpkgError::Sqlite { path: path.to_owned(), source: other },
        })
    };
    if !has_table("gpkg_contents")? {
        return Err(GpkgError::NotGeoPackage { path: path.to_owned(), why: "no `gpkg_contents` table".to_owned() });
    }
    let has_geometry_columns = has_table("gpkg_geometry_columns")?;
    let has_data_columns = has_table("gpkg_data_columns")?;
    let geometry_join = if has_geometry_columns {
        "LEFT JOIN gpkg_geometry_columns g ON lower(g.table_name) = lower(c.table_name)"
    } else {
        "LEFT JOIN (SELECT NULL AS table_name, NULL AS column_name, NULL AS srs_id) g ON 0"
    };
    // Every table in gpkg_contents: name, data type, geometry column and srs_id (NULL when
    // the table has no gpkg_geometry_columns row), description.
    let tables: Vec<ContentsRow> = conn
        .prepare(&format!(
            "SELECT c.table_name, c.data_type, g.column_name, g.srs_id, coalesce(c.description, '') \
             FROM gpkg_contents c {geometry_join} ORDER BY c.rowid"
        ))
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?.collect())
        .map_err(sql_err(path))?;
    let mut out = GpkgTables::default();
    let table_bytes = std::fs::metadata(path).map_or(0, |m| m.len()) / tables.len().max(1) as u64;
    for (table, data_type, geom_col, srs_id, description) in tables {
        let table_err = |message: String| GpkgError::Table { path: path.to_owned(), table: table.clone(), message };
        let read = |geom_col: Option<&str>| -> Result<Loaded, GpkgError> {
            let json_cols = if has_data_columns { json_columns(&conn, path, &table)? } else { HashSet::new() };
            let reporting = (progress, table_bytes);
            read_table(&conn, path, &table, geom_col, &id_policy(&description), &json_cols, reporting)
        };
        match (data_type.as_str(), geom_col, srs_id) {
            ("features", Some(geom_col), Some(srs_id)) => {
                match check_srs(&conn, path, &table, srs_id).and_then(|()| read(Some(&geom_col))) {
                    Ok(loaded) => out.layers.push(loaded),
                    Err(e) => out.unreadable.push(e),
                }
            }
            ("features", _, _) => {
                out.unreadable.push(table_err("listed as features but has no `gpkg_geometry_columns` row".to_owned()));
            }
            ("attributes", _, _) => match read(None) {
                Ok(loaded) => out.attributes.push(loaded),
                Err(e) => out.unreadable.push(e),
            },
            (other, _, _) => {
                out.unreadable.push(table_err(format!("holds `{other}` data, which this app does not read")));
            }
        }
    }
    Ok(out)
}

/// A `gpkg_contents` row with its geometry column: table name, data type, geometry column and
/// `srs_id` (`None` without a `gpkg_geometry_columns` row), description.
type ContentsRow = (String, String, Option<String>, Option<i64>, String);

/// Lower-case names of the columns of `table` that `gpkg_data_columns` marks as JSON.
fn json_columns(conn: &Connection, path: &Path, table: &str) -> Result<HashSet<String>, GpkgError> {
    conn.prepare(
        "SELECT lower(column_name) FROM gpkg_data_columns \
         WHERE lower(table_name) = lower(?1) AND mime_type = 'application/json'",
    )
    .and_then(|mut st| st.query_map([table], |r| r.get(0))?.collect())
    .map_err(sql_err(path))
}

/// Accepts the systems whose coordinates are WGS 84 longitude/latitude (see
/// [`is_wgs84_lon_lat`]) and the undefined systems 0 and −1; anything else is refused.
fn check_srs(conn: &Connection, path: &Path, table: &str, srs_id: i64) -> Result<(), GpkgError> {
    if matches!(srs_id, 0 | -1) {
        return Ok(());
    }
    let row: Option<(String, String, i64, String)> = conn
        .query_row(
            "SELECT srs_name, organization, organization_coordsys_id, definition \
             FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map(Some)
        .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
        .map_err(sql_err(path))?;
    let ok = match &row {
        // No definition to go by: the id itself is the only hint.
        None => srs_id == i64::from(WGS84_SRS_ID),
        Some((_, org, code, definition)) => is_wgs84_lon_lat(org, *code, definition),
    };
    if ok {
        return Ok(());
    }
    Err(GpkgError::UnsupportedSrs {
        path: path.to_owned(),
        table: table.to_owned(),
        srs_id,
        srs_name: row.map_or_else(
            || "not in gpkg_spatial_ref_sys".to_owned(),
            |(name, org, code, _)| format!("{name}, {org}:{code}"),
        ),
    })
}

/// Whether a `gpkg_spatial_ref_sys` entry is WGS 84 longitude/latitude: EPSG 4326, or its 3-D
/// form EPSG 4979 (what GDAL writes for any layer with Z), or, whatever its id, a definition
/// that is a geographic (not projected) system on the WGS 84 datum — WKT 1 (`GEOGCS["WGS 84",
/// DATUM["WGS_1984", …`) or WKT 2 (`GEOGCRS[…"World Geodetic System 1984"…`).
pub fn is_wgs84_lon_lat(organization: &str, code: i64, definition: &str) -> bool {
    if organization.eq_ignore_ascii_case("EPSG") && matches!(code, 4326 | 4979) {
        return true;
    }
    let wkt = definition.trim_start().to_ascii_uppercase();
    let geographic =
        ["GEOGCS[", "GEOGCRS[", "GEOGRAPHICCRS[", "GEODCRS[", "GEODETICCRS["].iter().any(|k| wkt.starts_with(k));
    let projected = ["PROJCS[", "PROJCRS[", "CONVERSION[", "CS[CARTESIAN"].iter().any(|k| wkt.contains(k));
    let wgs84_datum =
        ["DATUM[\"WGS_1984\"", "DATUM[\"WORLD GEODETIC SYSTEM 1984\"", "ENSEMBLE[\"WORLD GEODETIC SYSTEM 1984"]
            .iter()
            .any(|k| wkt.contains(k));
    geographic && !projected && wgs84_datum
}

/// Standard base64 with padding, for BLOB attributes.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk.first().copied(), chunk.get(1).copied(), chunk.get(2).copied()];
        let n =
            (u32::from(b[0].unwrap_or(0)) << 16) | (u32::from(b[1].unwrap_or(0)) << 8) | u32::from(b[2].unwrap_or(0));
        let sym = |shift: u32| char::from(ABC.get(((n >> shift) & 63) as usize).copied().unwrap_or(b'A'));
        out.push(sym(18));
        out.push(sym(12));
        out.push(if b[1].is_some() { sym(6) } else { '=' });
        out.push(if b[2].is_some() { sym(0) } else { '=' });
    }
    out
}

fn cell_to_json(v: ValueRef<'_>, col: &Column, notes: &mut Vec<String>, label: &str) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) if col.boolean => Value::Bool(i != 0),
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => {
            let text = String::from_utf8_lossy(t);
            if col.json
                && let Ok(parsed) = serde_json::from_str::<Value>(&text)
            {
                return parsed;
            }
            Value::String(text.into_owned())
        }
        ValueRef::Blob(b) => {
            let note = format!("{label}: BLOB column `{}` read as base64 text", col.name);
            if !notes.contains(&note) {
                notes.push(note);
            }
            Value::String(base64(b))
        }
    }
}

/// Writes `value` as `serde_json` writes it (into a `Vec`, which cannot fail).
fn write_json(out: &mut Vec<u8>, value: &Value) {
    let _ = serde_json::to_writer(out, value);
}

/// Writes a cell as `serde_json` writes [`cell_to_json`]'s value for it: the usual cells (null,
/// whole numbers, booleans and text) without making the value, the others through it.
fn write_cell(out: &mut Vec<u8>, v: ValueRef<'_>, col: &Column, notes: &mut Vec<String>, label: &str) {
    match v {
        ValueRef::Null => out.extend_from_slice(b"null"),
        ValueRef::Integer(i) if col.boolean => out.extend_from_slice(if i != 0 { &b"true"[..] } else { &b"false"[..] }),
        ValueRef::Integer(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
        ValueRef::Text(t) if !col.json => {
            let _ = serde_json::to_writer(&mut *out, &*String::from_utf8_lossy(t));
        }
        other => write_json(out, &cell_to_json(other, col, notes, label)),
    }
}

fn read_table(
    conn: &Connection,
    path: &Path,
    table: &str,
    geom_col: Option<&str>,
    policy: &IdPolicy,
    json_cols: &HashSet<String>,
    (progress, table_bytes): (&Progress, u64),
) -> Result<Loaded, GpkgError> {
    let label = format!("{} table `{table}`", path.display());
    let table_err = |message: String| GpkgError::Table { path: path.to_owned(), table: table.to_owned(), message };
    let info: Vec<(String, String, i64)> = conn
        .prepare(&format!("PRAGMA table_info({})", quote(table)))
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(5)?)))?.collect())
        .map_err(sql_err(path))?;
    if info.is_empty() {
        return Err(table_err("the table does not exist".to_owned()));
    }
    let pk = info
        .iter()
        .find(|(_, ty, pk)| *pk == 1 && ty.eq_ignore_ascii_case("INTEGER"))
        .map(|(name, _, _)| name.clone())
        .ok_or_else(|| table_err("no INTEGER PRIMARY KEY column".to_owned()))?;
    let id_column = match policy {
        IdPolicy::Column(c) => Some(c.to_lowercase()),
        _ => None,
    };
    let columns: Vec<Column> = info
        .iter()
        .filter(|(name, _, _)| {
            let lower = name.to_lowercase();
            lower != pk.to_lowercase()
                && geom_col.is_none_or(|g| lower != g.to_lowercase())
                && Some(&lower) != id_column.as_ref()
        })
        .map(|(name, ty, _)| Column {
            name: name.clone(),
            boolean: ty.eq_ignore_ascii_case("BOOLEAN"),
            json: json_cols.contains(&name.to_lowercase()),
        })
        .collect();
    let mut select = vec![quote(&pk), geom_col.map_or_else(|| "NULL".to_owned(), quote)];
    select.push(id_column.as_deref().map_or_else(|| "NULL".to_owned(), quote));
    select.extend(columns.iter().map(|c| quote(&c.name)));
    let sql = format!("SELECT {} FROM {} ORDER BY {}", select.join(", "), quote(table), quote(&pk));
    let mut stmt = conn.prepare(&sql).map_err(sql_err(path))?;
    // For progress: the table's bytes spread over its rows.
    let row_count: u64 = conn
        .query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| r.get::<_, i64>(0))
        .map_or(0, |n| n.max(0) as u64);
    let mut rows = stmt.query([]).map_err(sql_err(path))?;
    let mut notes = Vec::new();
    // Each feature's GeoJSON text, packed into the layer's store a batch at a time as a GeoJSON
    // file's features are (found by a new user: every feature held as a `Value` tree, then the
    // whole collection's text parsed into another, made a 100,000-row GeoPackage take 1.2 GB
    // and 4.4 s).
    let mut packer = crate::io::geojson_fast::FeaturePacker::new(&label, None);
    let mut batch: Vec<String> = Vec::with_capacity(PACK_BATCH);
    let pack = |packer: &mut crate::io::geojson_fast::FeaturePacker, batch: &mut Vec<String>| {
        let texts: Vec<&str> = batch.iter().map(String::as_str).collect();
        let packed = packer.pack(&texts);
        batch.clear();
        // Written by serde_json, every text is JSON.
        if packed { Ok(()) } else { Err(table_err("cannot build the layer: a feature is not JSON".to_owned())) }
    };
    let mut had_m = false;
    // What goes before each property's value: its key as JSON and a colon, after a comma but
    // for the first.
    let heads: Vec<Vec<u8>> = columns
        .iter()
        .enumerate()
        .map(|(k, col)| {
            let mut head = if k == 0 { Vec::new() } else { b",".to_vec() };
            write_json(&mut head, &Value::String(col.name.clone()));
            head.push(b':');
            head
        })
        .collect();
    let (mut read, mut bytes_told) = (0_u64, 0_u64);
    while let Some(row) = rows.next().map_err(sql_err(path))? {
        read += 1;
        if read.is_multiple_of(REPORT_EVERY as u64) {
            let bytes = table_bytes.saturating_mul(read) / row_count.max(read);
            progress.add_bytes(bytes - bytes_told);
            bytes_told = bytes;
            progress.add_features(REPORT_EVERY as u64);
            if progress.cancelled() {
                return Err(table_err(Cancelled.to_string()));
            }
        }
        let fid: i64 = row.get(0).map_err(sql_err(path))?;
        let geometry = match row.get_ref(1).map_err(sql_err(path))? {
            ValueRef::Null => None,
            ValueRef::Blob(blob) => match wkb::decode_blob(blob) {
                Ok((g, info)) => {
                    had_m |= info.had_m;
                    g
                }
                Err(why) => {
                    notes.push(format!("{label}: fid {fid} skipped: {why}"));
                    continue;
                }
            },
            _ => {
                notes.push(format!("{label}: fid {fid} skipped: geometry column does not hold a blob"));
                continue;
            }
        };
        if let Some(g) = &geometry
            && let Err(why) = geo_from_json(g)
        {
            notes.push(format!("{label}: fid {fid} skipped: {why}"));
            continue;
        }
        let id = match policy {
            IdPolicy::Fid => Value::from(fid),
            IdPolicy::None => Value::Null,
            IdPolicy::Column(_) => match row.get_ref(2).map_err(sql_err(path))? {
                ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Integer(i) => Value::from(i),
                _ => Value::Null,
            },
        };
        // The text `serde_json` writes for the feature's object, written without making it
        // (the values, maps and key strings of a `Value` tree were most of a read).
        let mut text = Vec::with_capacity(512);
        text.extend_from_slice(b"{\"type\":\"Feature\",");
        if !id.is_null() {
            text.extend_from_slice(b"\"id\":");
            write_json(&mut text, &id);
            text.push(b',');
        }
        text.extend_from_slice(b"\"geometry\":");
        write_json(&mut text, geometry.as_ref().unwrap_or(&Value::Null));
        text.extend_from_slice(b",\"properties\":{");
        for (i, (col, head)) in columns.iter().zip(&heads).enumerate() {
            text.extend_from_slice(head);
            let v = row.get_ref(i + 3).map_err(sql_err(path))?;
            write_cell(&mut text, v, col, &mut notes, &label);
        }
        text.extend_from_slice(b"}}");
        batch.push(String::from_utf8(text).map_err(|e| table_err(format!("fid {fid}: {e}")))?);
        if batch.len() == PACK_BATCH {
            pack(&mut packer, &mut batch)?;
        }
    }
    pack(&mut packer, &mut batch)?;
    progress.add_bytes(table_bytes - bytes_told);
    progress.add_features(read % REPORT_EVERY as u64);
    if had_m {
        notes.push(format!("{label}: M (measure) values dropped: GeoJSON has no measures"));
    }
    let mut root = Map::new();
    root.insert("type".to_owned(), Value::from("FeatureCollection"));
    root.insert("features".to_owned(), Value::Array(Vec::new()));
    let mut loaded = packer
        .finish(root, table, LayerSource::File(path.to_owned()))
        .map_err(|e| table_err(format!("cannot build the layer: {e}")))?;
    notes.append(&mut loaded.skipped);
    loaded.skipped = notes;
    Ok(loaded)
}

/// Features of a GeoPackage table packed into the layer at a time (on every core).
const PACK_BATCH: usize = 4096;

/// Builds a layer from GeoJSON Feature objects exactly as loading a GeoJSON file would (kind
/// inference, label field, date spans), so every format loads the same way.
pub(crate) fn loaded_from_features(
    features: Vec<Value>,
    label: &str,
    name: &str,
    path: &Path,
) -> Result<Loaded, super::geojson::GeoJsonError> {
    let mut root = Map::new();
    root.insert("type".to_owned(), Value::from("FeatureCollection"));
    root.insert("features".to_owned(), Value::Array(features));
    let text = Value::Object(root).to_string();
    parse_layer(&text, label, name, None, LayerSource::File(path.to_owned()))
}

// ---------------------------------------------------------------------------------------------
// Writing

/// The SQL type chosen for a property column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColType {
    Boolean,
    Integer,
    Real,
    Text,
    Json,
}

impl ColType {
    fn sql(self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::Integer => "INTEGER",
            Self::Real => "REAL",
            Self::Text | Self::Json => "TEXT",
        }
    }

    fn of(v: &Value) -> Option<Self> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(_) => Self::Boolean,
            Value::Number(n) if n.is_i64() => Self::Integer,
            Value::Number(_) => Self::Real,
            Value::String(_) => Self::Text,
            Value::Array(_) | Value::Object(_) => Self::Json,
        })
    }

    fn join(a: Option<Self>, b: Self) -> Self {
        match (a, b) {
            (None, b) => b,
            (Some(a), b) if a == b => a,
            (Some(Self::Integer | Self::Real), Self::Integer | Self::Real) => Self::Real,
            _ => Self::Json,
        }
    }
}

struct PlannedColumn {
    key: String,
    column: String,
    ty: ColType,
}

struct PlannedLayer<'a> {
    layer: &'a Layer,
    table: String,
    fid: String,
    geom: String,
    ids: IdPolicy,
    columns: Vec<PlannedColumn>,
    blobs: Vec<Option<Vec<u8>>>,
    bbox: Option<Envelope>,
    geometry_type: String,
    z: u8,
    /// An attributes-only table: no geometry column.
    attributes_only: bool,
}

/// Picks the first of `candidates`, then `candidates[0]_2`, `_3`… not in `used` (lower case).
fn unique_name(wanted: &str, used: &HashSet<String>) -> String {
    if !used.contains(&wanted.to_lowercase()) {
        return wanted.to_owned();
    }
    // `used` is finite, so one of the first `used.len() + 1` suffixes is free.
    (2..used.len() + 3)
        .map(|n| format!("{wanted}_{n}"))
        .find(|c| !used.contains(&c.to_lowercase()))
        .unwrap_or_else(|| format!("{wanted}_{}", used.len() + 3))
}

fn plan_layer<'a>(
    path: &Path,
    layer: &'a Layer,
    attributes_only: bool,
    tables: &mut HashSet<String>,
    notes: &mut Vec<String>,
    foreign: &mut Vec<String>,
) -> Result<PlannedLayer<'a>, GpkgError> {
    let mut planner = stream::Planner::new(&layer.name, attributes_only);
    let blobs = layer.features.iter().map(|f| planner.add(path, &f)).collect::<Result<Vec<_>, _>>()?;
    // Counted as the features were planned: a layer's features may be decoded on each pass.
    foreign.extend(planner.foreign_notes(!layer.foreign_members.is_empty()));
    Ok(planner.finish(layer, blobs, tables, notes))
}

/// Writes layers to a new GeoPackage at `path` (replacing it atomically). See the module docs
/// for the table layout and how ids and property types are kept.
pub fn write_gpkg(path: &Path, layers: &[&Layer]) -> Result<(), GpkgError> {
    write_gpkg_with_notes(path, layers).map(|_| ())
}

/// Like [`write_gpkg`], returning one line per thing that could not be kept exactly
/// (renamed tables or columns, foreign members, numeric ids stored as text…).
pub fn write_gpkg_with_notes(path: &Path, layers: &[&Layer]) -> Result<Vec<String>, GpkgError> {
    write_gpkg_tables(path, layers, &[])
}

/// Like [`write_gpkg_with_notes`], also writing `attributes` as attributes-only tables (no
/// geometry column, `gpkg_contents.data_type = 'attributes'`), such as those
/// [`read_gpkg_tables`] returns, so a GeoPackage converted to a GeoPackage keeps every table.
/// A feature with a geometry in an attributes table is an error.
pub fn write_gpkg_tables(path: &Path, layers: &[&Layer], attributes: &[&Layer]) -> Result<Vec<String>, GpkgError> {
    let mut notes = Vec::new();
    let mut tables = HashSet::new();
    let kinds = layers.iter().map(|l| (*l, false)).chain(attributes.iter().map(|l| (*l, true)));
    let mut foreign = Vec::new();
    let plans = kinds
        .map(|(l, attributes_only)| plan_layer(path, l, attributes_only, &mut tables, &mut notes, &mut foreign))
        .collect::<Result<Vec<_>, _>>()?;
    notes.extend(foreign);

    write_staged(path, &plans, |tx, plans| {
        for plan in plans {
            let mut inserts = stream::Inserts::prepare(tx, plan).map_err(sql_err(path))?;
            let mut rows = plan.layer.features.iter().zip(&plan.blobs).peekable();
            while rows.peek().is_some() {
                let mut batch = stream::EncodedRows::default();
                for (f, blob) in rows.by_ref().take(WHOLE_BATCH) {
                    batch.push_row(row_values(plan, &f, blob.clone()));
                }
                inserts.insert(&batch).map_err(|e| match e {
                    stream::InsertError::Sql(e) => sql_err(path)(e),
                    // Every row of `plan` has its geometry encoded already.
                    stream::InsertError::Row { message, .. } => {
                        GpkgError::Table { path: path.to_owned(), table: plan.table.clone(), message }
                    }
                })?;
            }
        }
        Ok(())
    })?;
    Ok(notes)
}

/// Rows the whole-layer writer encodes before inserting them ([`stream::Inserts`]).
const WHOLE_BATCH: usize = 4096;

/// Writes a new GeoPackage with the tables of `plans` at `path`, atomically: one way for
/// every format (see `crate::io::atomic`), SQLite writes the staged temporary file, which is
/// then synced and renamed over the target. `rows` fills the tables (created empty, with
/// their metadata) inside the one transaction; if it fails, nothing is written.
fn write_staged<E: From<GpkgError>>(
    path: &Path,
    plans: &[PlannedLayer<'_>],
    rows: impl FnOnce(&rusqlite::Transaction<'_>, &[PlannedLayer<'_>]) -> Result<(), E>,
) -> Result<(), E> {
    let io = |source| GpkgError::Io { path: path.to_owned(), source };
    let staged = crate::io::atomic::Staged::new(path).map_err(io)?;
    let journal = PathBuf::from(format!("{}-journal", staged.path().display()));
    let result = write_file(staged.path(), path, plans, rows);
    std::fs::remove_file(&journal).ok();
    result?;
    staged.commit().map_err(io)?;
    Ok(())
}

const SCHEMA: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
";

const SCHEMA_EXTENSION: &str = "
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
  mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name));
CREATE TABLE gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC,
  min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
INSERT INTO gpkg_extensions VALUES
  ('gpkg_data_columns', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write'),
  ('gpkg_data_column_constraints', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write');
";

fn write_file<E: From<GpkgError>>(
    tmp: &Path,
    path: &Path,
    plans: &[PlannedLayer<'_>],
    rows: impl FnOnce(&rusqlite::Transaction<'_>, &[PlannedLayer<'_>]) -> Result<(), E>,
) -> Result<(), E> {
    let sql = |e| E::from(sql_err(path)(e));
    let mut conn = Connection::open(tmp).map_err(sql)?;
    // `tmp` is the staged temporary file: a failed write is deleted, not rolled back, and a
    // finished one is synced before it is renamed (`crate::io::atomic`), so SQLite keeps no
    // rollback journal and does not sync; none of these settings is stored in the file.
    conn.pragma_update_and_check(None, "journal_mode", "OFF", |_| Ok(())).map_err(sql)?;
    conn.execute_batch("PRAGMA page_size = 16384; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;")
        .map_err(sql)?;
    let tx = create_tables(&mut conn, plans).map_err(sql)?;
    rows(&tx, plans)?;
    tx.commit().map_err(sql)?;
    conn.close().map_err(|(_, e)| sql(e))
}

/// The GeoPackage metadata and the empty tables of `plans`, in a transaction left open.
fn create_tables<'c>(
    conn: &'c mut Connection,
    plans: &[PlannedLayer<'_>],
) -> Result<rusqlite::Transaction<'c>, rusqlite::Error> {
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    conn.pragma_update(None, "user_version", USER_VERSION)?;
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES
          ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
          ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
          ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1,
           'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        [WGS84_WKT],
    )?;
    if plans.iter().any(|p| p.columns.iter().any(|c| c.ty == ColType::Json)) {
        tx.execute_batch(SCHEMA_EXTENSION)?;
    }
    for plan in plans {
        create_table(&tx, plan)?;
    }
    Ok(tx)
}

fn create_table(tx: &rusqlite::Transaction<'_>, plan: &PlannedLayer<'_>) -> Result<(), rusqlite::Error> {
    let ids_text = match &plan.ids {
        IdPolicy::Fid => "fid.".to_owned(),
        IdPolicy::Column(c) => format!("column `{c}`."),
        IdPolicy::None => "none.".to_owned(),
    };
    let description = format!("Written by Frontier Atlas. {IDS_MARKER}{ids_text}");
    let mut defs = vec![format!("{} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", quote(&plan.fid))];
    if !plan.attributes_only {
        defs.push(format!("{} {}", quote(&plan.geom), plan.geometry_type));
    }
    if let IdPolicy::Column(c) = &plan.ids {
        defs.push(format!("{} TEXT", quote(c)));
    }
    defs.extend(plan.columns.iter().map(|c| format!("{} {}", quote(&c.column), c.ty.sql())));
    tx.execute_batch(&format!("CREATE TABLE {} ({})", quote(&plan.table), defs.join(", ")))?;
    let b = plan.bbox;
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            plan.table,
            if plan.attributes_only { "attributes" } else { "features" },
            description,
            b.map(|e| e.min_x),
            b.map(|e| e.min_y),
            b.map(|e| e.max_x),
            b.map(|e| e.max_y),
            (!plan.attributes_only).then_some(WGS84_SRS_ID)
        ],
    )?;
    if !plan.attributes_only {
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            params![plan.table, plan.geom, plan.geometry_type, WGS84_SRS_ID, plan.z],
        )?;
    }
    for c in plan.columns.iter().filter(|c| c.ty == ColType::Json) {
        tx.execute(
            "INSERT INTO gpkg_data_columns (table_name, column_name, mime_type) VALUES (?1, ?2, 'application/json')",
            params![plan.table, c.column],
        )?;
    }
    Ok(())
}

/// The number of columns [`insert_sql`] fills.
fn insert_columns(plan: &PlannedLayer<'_>) -> usize {
    1 + usize::from(!plan.attributes_only) + usize::from(matches!(plan.ids, IdPolicy::Column(_))) + plan.columns.len()
}

/// The statement inserting `rows` rows of `plan`'s table ([`row_values`] each).
fn insert_sql(plan: &PlannedLayer<'_>, rows: usize) -> String {
    let mut names = vec![quote(&plan.fid)];
    if !plan.attributes_only {
        names.push(quote(&plan.geom));
    }
    if let IdPolicy::Column(c) = &plan.ids {
        names.push(quote(c));
    }
    names.extend(plan.columns.iter().map(|c| quote(&c.column)));
    let row = format!("({})", vec!["?"; names.len()].join(", "));
    format!("INSERT INTO {} ({}) VALUES {}", quote(&plan.table), names.join(", "), vec![row; rows].join(", "))
}

/// The values of `f`'s row in `plan`'s table, `blob` its encoded geometry.
fn row_values(
    plan: &PlannedLayer<'_>,
    f: &crate::model::Feature,
    blob: Option<Vec<u8>>,
) -> Vec<rusqlite::types::Value> {
    let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(plan.columns.len() + 3);
    values.push(match (&plan.ids, &f.id) {
        (IdPolicy::Fid, Some(FeatureId::Num(n))) => n.as_i64().map_or(rusqlite::types::Value::Null, Into::into),
        _ => rusqlite::types::Value::Null,
    });
    if !plan.attributes_only {
        values.push(blob.map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Blob));
    }
    if let IdPolicy::Column(_) = &plan.ids {
        values.push(f.id.as_ref().map_or(rusqlite::types::Value::Null, |id| id.to_string().into()));
    }
    for c in &plan.columns {
        values.push(sql_value(f.properties.get(&c.key), c.ty));
    }
    values
}

fn sql_value(v: Option<&Value>, ty: ColType) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match (v, ty) {
        (None | Some(Value::Null), _) => S::Null,
        (Some(Value::Bool(b)), ColType::Boolean) => S::Integer(i64::from(*b)),
        (Some(Value::Number(n)), ColType::Integer) => n.as_i64().map_or(S::Null, S::Integer),
        (Some(Value::Number(n)), ColType::Real) => n.as_f64().map_or(S::Null, S::Real),
        (Some(Value::String(s)), ColType::Text) => S::Text(s.clone()),
        (Some(other), _) => S::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell written straight as text is what `serde_json` writes of the value
    /// `cell_to_json` makes of it, for every kind of cell and column.
    #[test]
    fn a_cell_is_written_as_its_value_is() {
        let texts: [&[u8]; 7] = [
            b"",
            b"Warduj\n",
            b"a \"quoted\" \\ word",
            b"\x01\x1f\x7f",
            "Qal\u{02bf}a-ye Panja".as_bytes(),
            b"\xff bad",
            b"{\"a\": [1, 2.50]}",
        ];
        let mut cells: Vec<ValueRef<'_>> = vec![
            ValueRef::Null,
            ValueRef::Integer(0),
            ValueRef::Integer(-7),
            ValueRef::Integer(i64::MIN),
            ValueRef::Real(0.5),
            ValueRef::Real(-0.0),
            ValueRef::Real(1e300),
            ValueRef::Real(f64::NAN),
            ValueRef::Blob(b"\x00\xffblob"),
        ];
        cells.extend(texts.iter().map(|t| ValueRef::Text(t)));
        for boolean in [false, true] {
            for json in [false, true] {
                let col = Column { name: "c".to_owned(), boolean, json };
                for &cell in &cells {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    write_cell(&mut a, cell, &col, &mut Vec::new(), "t");
                    write_json(&mut b, &cell_to_json(cell, &col, &mut Vec::new(), "t"));
                    assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "{cell:?} {boolean} {json}");
                }
            }
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, want) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    /// A written GeoPackage has 16 KiB pages (a million rows are fewer page writes).
    #[test]
    fn written_files_have_16_kib_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        stream::write_streamed(&path, stream::Planner::new("p", false), false, |_| Ok::<(), GpkgError>(())).unwrap();
        let conn = Connection::open(&path).unwrap();
        let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        assert_eq!(size, 16384);
    }

    /// Defect (issue 8): the whole-layer writer decoded every feature of a packed layer a
    /// third time only to count its foreign members (a CSV-loaded layer's 100k features
    /// took 12 s to write). Now each is decoded once to plan the table and once to write it.
    #[test]
    fn a_packed_layer_written_whole_decodes_each_feature_twice() {
        let n = 50;
        let texts: Vec<String> = (0..n)
            .map(|i| {
                let extra = if i % 10 == 0 { r#","note":"kept?""# } else { "" };
                format!(
                    r#"{{"type":"Feature","id":"E{i}","geometry":{{"type":"Point","coordinates":[71.{i},37.5]}},"properties":{{"name":"e{i}","n":{i}}}{extra}}}"#
                )
            })
            .collect();
        let mut packer = crate::io::geojson_fast::FeaturePacker::new("t", Some(crate::model::LayerKind::Generic));
        assert!(packer.pack(&texts.iter().map(String::as_str).collect::<Vec<_>>()));
        let mut root = serde_json::Map::new();
        root.insert("type".into(), Value::from("FeatureCollection"));
        root.insert("features".into(), Value::Null);
        let layer = packer.finish(root, "t", crate::model::LayerSource::Embedded("t")).unwrap().layer;
        assert_eq!(layer.features.packed_count(), n);
        let dir = tempfile::tempdir().unwrap();
        let notes = write_gpkg_with_notes(&dir.path().join("t.gpkg"), &[&layer]).unwrap();
        assert_eq!(layer.features.decodes(), 2 * n);
        assert!(notes.iter().any(|m| m == "layer `t`: foreign members of 5 feature(s) dropped"), "{notes:?}");
    }

    #[test]
    fn id_policy_is_read_from_the_description() {
        assert_eq!(id_policy("whatever"), IdPolicy::Fid);
        assert_eq!(id_policy("Written by Frontier Atlas. Feature ids: none."), IdPolicy::None);
        assert_eq!(id_policy("Feature ids: column `id`."), IdPolicy::Column("id".to_owned()));
    }
}
