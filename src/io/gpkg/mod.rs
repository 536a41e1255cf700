//! GeoPackage (OGC 12-128r18) feature tables to [`Layer`]s and back.
//!
//! Reading takes every table `gpkg_contents` lists as `features`, in order. Geometries are
//! decoded from the GeoPackage blob ([`wkb`]); columns become properties in column order
//! (INTEGER and REAL → numbers, TEXT → strings, BOOLEAN → booleans, BLOB → base64 strings
//! with a note, NULL → null; DATE/DATETIME text stays text; columns that `gpkg_data_columns`
//! marks `application/json` are parsed back to JSON). The integer primary key becomes the
//! feature id. Only WGS 84 (`srs_id` 4326 or any EPSG:4326 entry) and the undefined systems
//! 0 and −1 are accepted: nothing is reprojected.
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

pub mod wkb;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params};
use serde_json::{Map, Value};

use super::geojson::{Loaded, geo_from_json, parse_layer};
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

/// Reads every feature table of a GeoPackage as a layer (named after the table), in
/// `gpkg_contents` order. Features whose geometry cannot be used are skipped and reported in
/// [`Loaded::skipped`].
pub fn read_gpkg(path: &Path) -> Result<Vec<Loaded>, GpkgError> {
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
    for required in ["gpkg_contents", "gpkg_geometry_columns"] {
        if !has_table(required)? {
            return Err(GpkgError::NotGeoPackage { path: path.to_owned(), why: format!("no `{required}` table") });
        }
    }
    let has_data_columns = has_table("gpkg_data_columns")?;
    let tables: Vec<(String, String, i64, String)> = conn
        .prepare(
            "SELECT c.table_name, g.column_name, g.srs_id, coalesce(c.description, '') \
             FROM gpkg_contents c JOIN gpkg_geometry_columns g ON lower(g.table_name) = lower(c.table_name) \
             WHERE c.data_type = 'features' ORDER BY c.rowid",
        )
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect())
        .map_err(sql_err(path))?;
    let mut out = Vec::with_capacity(tables.len());
    for (table, geom_col, srs_id, description) in tables {
        check_srs(&conn, path, &table, srs_id)?;
        let json_cols: HashSet<String> = if has_data_columns {
            conn.prepare(
                "SELECT lower(column_name) FROM gpkg_data_columns \
                 WHERE lower(table_name) = lower(?1) AND mime_type = 'application/json'",
            )
            .and_then(|mut st| st.query_map([&table], |r| r.get(0))?.collect())
            .map_err(sql_err(path))?
        } else {
            HashSet::new()
        };
        out.push(read_table(&conn, path, &table, &geom_col, &id_policy(&description), &json_cols)?);
    }
    Ok(out)
}

fn check_srs(conn: &Connection, path: &Path, table: &str, srs_id: i64) -> Result<(), GpkgError> {
    if matches!(srs_id, 4326 | 0 | -1) {
        return Ok(());
    }
    let row: Option<(String, String, i64)> = conn
        .query_row(
            "SELECT srs_name, organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map(Some)
        .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
        .map_err(sql_err(path))?;
    match row {
        Some((_, org, 4326)) if org.eq_ignore_ascii_case("EPSG") => Ok(()),
        other => Err(GpkgError::UnsupportedSrs {
            path: path.to_owned(),
            table: table.to_owned(),
            srs_id,
            srs_name: other.map_or_else(
                || "not in gpkg_spatial_ref_sys".to_owned(),
                |(name, org, code)| format!("{name}, {org}:{code}"),
            ),
        }),
    }
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

fn read_table(
    conn: &Connection,
    path: &Path,
    table: &str,
    geom_col: &str,
    policy: &IdPolicy,
    json_cols: &HashSet<String>,
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
            lower != pk.to_lowercase() && lower != geom_col.to_lowercase() && Some(&lower) != id_column.as_ref()
        })
        .map(|(name, ty, _)| Column {
            name: name.clone(),
            boolean: ty.eq_ignore_ascii_case("BOOLEAN"),
            json: json_cols.contains(&name.to_lowercase()),
        })
        .collect();
    let mut select = vec![quote(&pk), quote(geom_col)];
    select.push(id_column.as_deref().map_or_else(|| "NULL".to_owned(), quote));
    select.extend(columns.iter().map(|c| quote(&c.name)));
    let sql = format!("SELECT {} FROM {} ORDER BY {}", select.join(", "), quote(table), quote(&pk));
    let mut stmt = conn.prepare(&sql).map_err(sql_err(path))?;
    let mut rows = stmt.query([]).map_err(sql_err(path))?;
    let mut notes = Vec::new();
    let mut features = Vec::new();
    let mut had_m = false;
    while let Some(row) = rows.next().map_err(sql_err(path))? {
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
        let mut properties = Map::new();
        for (i, col) in columns.iter().enumerate() {
            let v = row.get_ref(i + 3).map_err(sql_err(path))?;
            properties.insert(col.name.clone(), cell_to_json(v, col, &mut notes, &label));
        }
        let mut feature = Map::new();
        feature.insert("type".to_owned(), Value::from("Feature"));
        if !id.is_null() {
            feature.insert("id".to_owned(), id);
        }
        feature.insert("geometry".to_owned(), geometry.unwrap_or(Value::Null));
        feature.insert("properties".to_owned(), Value::Object(properties));
        features.push(Value::Object(feature));
    }
    if had_m {
        notes.push(format!("{label}: M (measure) values dropped: GeoJSON has no measures"));
    }
    let mut loaded = loaded_from_features(features, &label, table, path)
        .map_err(|e| table_err(format!("cannot build the layer: {e}")))?;
    notes.append(&mut loaded.skipped);
    loaded.skipped = notes;
    Ok(loaded)
}

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

fn feature_label(layer: &Layer, i: usize) -> String {
    layer.features.get(i).and_then(|f| f.id.as_ref()).map_or_else(|| format!("#{}", i + 1), ToString::to_string)
}

fn plan_layer<'a>(
    path: &Path,
    layer: &'a Layer,
    tables: &mut HashSet<String>,
    notes: &mut Vec<String>,
) -> Result<PlannedLayer<'a>, GpkgError> {
    let mut table = if layer.name.trim().is_empty() { "layer".to_owned() } else { layer.name.clone() };
    let lower = table.to_lowercase();
    if ["gpkg_", "rtree_", "sqlite_"].iter().any(|p| lower.starts_with(p)) {
        table = format!("layer_{table}");
    }
    let table = unique_name(&table, tables);
    tables.insert(table.to_lowercase());
    if table != layer.name {
        notes.push(format!("layer `{}` written as table `{table}`", layer.name));
    }

    // Property keys, first-seen order, with their types.
    let mut keys: Vec<(String, Option<ColType>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for f in &layer.features {
        for (k, v) in &f.properties {
            let slot = *index.entry(k.clone()).or_insert_with(|| {
                keys.push((k.clone(), None));
                keys.len() - 1
            });
            if let (Some(t), Some(entry)) = (ColType::of(v), keys.get_mut(slot)) {
                entry.1 = Some(ColType::join(entry.1, t));
            }
        }
    }
    let key_names: HashSet<String> = keys.iter().map(|(k, _)| k.to_lowercase()).collect();
    let pick = |options: &[&str]| {
        options
            .iter()
            .find(|o| !key_names.contains(**o))
            .map_or_else(|| unique_name("fid", &key_names), |o| (*o).to_owned())
    };
    let fid = pick(&["fid", "ogc_fid", "gpkg_fid"]);
    let geom = pick(&["geom", "geometry", "the_geom"]);

    let ids: Vec<&FeatureId> = layer.features.iter().filter_map(|f| f.id.as_ref()).collect();
    let integer_ids: Option<HashSet<i64>> = (ids.len() == layer.features.len())
        .then(|| ids.iter().map(|id| if let FeatureId::Num(n) = id { n.as_i64() } else { None }).collect())
        .flatten();
    let mut used: HashSet<String> = [fid.to_lowercase(), geom.to_lowercase()].into();
    let id_policy = if ids.is_empty() {
        IdPolicy::None
    } else if integer_ids.is_some_and(|set| set.len() == layer.features.len()) {
        IdPolicy::Fid
    } else {
        let col = ["id", "feature_id", "geojson_id"]
            .iter()
            .find(|c| !key_names.contains(**c) && !used.contains(**c))
            .map_or_else(|| unique_name("feature_id", &key_names), |c| (*c).to_owned());
        if ids.iter().any(|id| matches!(id, FeatureId::Num(_))) {
            notes.push(format!("layer `{}`: numeric feature ids stored as text in column `{col}`", layer.name));
        }
        used.insert(col.to_lowercase());
        IdPolicy::Column(col)
    };

    let mut columns = Vec::with_capacity(keys.len());
    for (key, ty) in keys {
        let wanted = if key.is_empty() { "field" } else { key.as_str() };
        let column = unique_name(wanted, &used);
        used.insert(column.to_lowercase());
        if column != key {
            notes.push(format!("layer `{}`: property `{key}` written as column `{column}`", layer.name));
        }
        let ty = ty.unwrap_or(ColType::Text);
        if ty == ColType::Real
            && layer.features.iter().any(|f| f.properties.get(&key).is_some_and(|v| v.as_i64().is_some()))
        {
            notes.push(format!(
                "layer `{}`: `{key}` mixes integers and decimals; integers read back as decimals",
                layer.name
            ));
        }
        columns.push(PlannedColumn { key, column, ty });
    }

    let mut blobs = Vec::with_capacity(layer.features.len());
    let mut bbox = None;
    let mut types = HashSet::new();
    let (mut any_z, mut all_z) = (false, true);
    for (i, f) in layer.features.iter().enumerate() {
        let Some(g) = &f.geometry else {
            blobs.push(None);
            continue;
        };
        let enc = wkb::encode_blob(g, WGS84_SRS_ID).map_err(|message| GpkgError::Feature {
            path: path.to_owned(),
            layer: layer.name.clone(),
            feature: feature_label(layer, i),
            message,
        })?;
        types.insert(g.get("type").and_then(Value::as_str).unwrap_or_default().to_uppercase());
        any_z |= enc.has_z;
        all_z &= enc.has_z;
        bbox = Envelope::merge(bbox, enc.envelope);
        blobs.push(Some(enc.blob));
    }
    let geometry_type = match types.iter().next() {
        Some(t) if types.len() == 1 => t.clone(),
        _ => "GEOMETRY".to_owned(),
    };
    let z = match (any_z, all_z) {
        (false, _) => 0,
        (true, true) => 1,
        (true, false) => 2,
    };
    Ok(PlannedLayer { layer, table, fid, geom, ids: id_policy, columns, blobs, bbox, geometry_type, z })
}

/// Writes layers to a new GeoPackage at `path` (replacing it atomically). See the module docs
/// for the table layout and how ids and property types are kept.
pub fn write_gpkg(path: &Path, layers: &[&Layer]) -> Result<(), GpkgError> {
    write_gpkg_with_notes(path, layers).map(|_| ())
}

/// Like [`write_gpkg`], returning one line per thing that could not be kept exactly
/// (renamed tables or columns, foreign members, numeric ids stored as text…).
pub fn write_gpkg_with_notes(path: &Path, layers: &[&Layer]) -> Result<Vec<String>, GpkgError> {
    let mut notes = Vec::new();
    let mut tables = HashSet::new();
    let plans = layers.iter().map(|l| plan_layer(path, l, &mut tables, &mut notes)).collect::<Result<Vec<_>, _>>()?;
    for l in layers {
        if !l.foreign_members.is_empty() {
            notes.push(format!("layer `{}`: FeatureCollection foreign members dropped", l.name));
        }
        let n = l.features.iter().filter(|f| !f.foreign_members.is_empty()).count();
        if n > 0 {
            notes.push(format!("layer `{}`: foreign members of {n} feature(s) dropped", l.name));
        }
    }

    // One way to write atomically for every format (see `crate::io::atomic`): SQLite writes
    // the staged temporary file, which is then synced and renamed over the target.
    let io = |source| GpkgError::Io { path: path.to_owned(), source };
    let staged = crate::io::atomic::Staged::new(path).map_err(io)?;
    let journal = PathBuf::from(format!("{}-journal", staged.path().display()));
    let result = write_file(staged.path(), &plans).map_err(sql_err(path));
    std::fs::remove_file(&journal).ok();
    result?;
    staged.commit().map_err(io)?;
    Ok(notes)
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

fn write_file(tmp: &Path, plans: &[PlannedLayer<'_>]) -> Result<(), rusqlite::Error> {
    let mut conn = Connection::open(tmp)?;
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
        write_layer(&tx, plan)?;
    }
    tx.commit()?;
    conn.close().map_err(|(_, e)| e)
}

fn write_layer(tx: &rusqlite::Transaction<'_>, plan: &PlannedLayer<'_>) -> Result<(), rusqlite::Error> {
    let ids_text = match &plan.ids {
        IdPolicy::Fid => "fid.".to_owned(),
        IdPolicy::Column(c) => format!("column `{c}`."),
        IdPolicy::None => "none.".to_owned(),
    };
    let description = format!("Written by Frontier Atlas. {IDS_MARKER}{ids_text}");
    let mut defs = vec![
        format!("{} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", quote(&plan.fid)),
        format!("{} {}", quote(&plan.geom), plan.geometry_type),
    ];
    if let IdPolicy::Column(c) = &plan.ids {
        defs.push(format!("{} TEXT", quote(c)));
    }
    defs.extend(plan.columns.iter().map(|c| format!("{} {}", quote(&c.column), c.ty.sql())));
    tx.execute_batch(&format!("CREATE TABLE {} ({})", quote(&plan.table), defs.join(", ")))?;
    let b = plan.bbox;
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            plan.table,
            plan.table,
            description,
            b.map(|e| e.min_x),
            b.map(|e| e.min_y),
            b.map(|e| e.max_x),
            b.map(|e| e.max_y),
            WGS84_SRS_ID
        ],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, ?3, ?4, ?5, 0)",
        params![plan.table, plan.geom, plan.geometry_type, WGS84_SRS_ID, plan.z],
    )?;
    for c in plan.columns.iter().filter(|c| c.ty == ColType::Json) {
        tx.execute(
            "INSERT INTO gpkg_data_columns (table_name, column_name, mime_type) VALUES (?1, ?2, 'application/json')",
            params![plan.table, c.column],
        )?;
    }

    let mut names = vec![quote(&plan.fid), quote(&plan.geom)];
    if let IdPolicy::Column(c) = &plan.ids {
        names.push(quote(c));
    }
    names.extend(plan.columns.iter().map(|c| quote(&c.column)));
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    let mut stmt = tx.prepare(&format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(&plan.table),
        names.join(", "),
        marks.join(", ")
    ))?;
    for (f, blob) in plan.layer.features.iter().zip(&plan.blobs) {
        let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(names.len());
        values.push(match (&plan.ids, &f.id) {
            (IdPolicy::Fid, Some(FeatureId::Num(n))) => n.as_i64().map_or(rusqlite::types::Value::Null, Into::into),
            _ => rusqlite::types::Value::Null,
        });
        values.push(blob.clone().map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Blob));
        if let IdPolicy::Column(_) = &plan.ids {
            values.push(f.id.as_ref().map_or(rusqlite::types::Value::Null, |id| id.to_string().into()));
        }
        for c in &plan.columns {
            values.push(sql_value(f.properties.get(&c.key), c.ty));
        }
        stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
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

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, want) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn id_policy_is_read_from_the_description() {
        assert_eq!(id_policy("whatever"), IdPolicy::Fid);
        assert_eq!(id_policy("Written by Frontier Atlas. Feature ids: none."), IdPolicy::None);
        assert_eq!(id_policy("Feature ids: column `id`."), IdPolicy::Column("id".to_owned()));
    }
}
