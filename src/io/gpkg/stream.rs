//! Writing a GeoPackage feature table from features read one at a time, in bounded memory.
//!
//! A table's columns are typed from all of its values and its feature ids decide whether they
//! are the `fid`s (see the module docs of [`super`]), so a table is planned before its first
//! row is written: a [`Planner`] is given every feature once (the first pass over the input),
//! keeping only what decides the table — property keys in first-seen order with their joined
//! types, whether the ids are unique integers, the geometry types, Z and the bounds — never the
//! features. [`write_streamed`] then creates the file with that plan and takes the features
//! again (the second pass), writing each row as it comes inside one transaction, into a
//! temporary file renamed over the target only when everything succeeded
//! ([`crate::io::atomic`]).
//!
//! The whole-layer writer ([`super::write_gpkg_tables`]) plans its layers with the same
//! [`Planner`] and writes rows with the same code, so both give the same file.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::raw::{Kind, RawFeature, plain_point, unquote};
use super::wkb::{self, Envelope};
use super::{ColType, GpkgError, IdPolicy, PlannedColumn, PlannedLayer, WGS84_SRS_ID, unique_name};
use crate::model::{Feature, FeatureId, Layer};

/// A feature's geometry, as [`Planner::add_raw`] takes it.
#[derive(Debug, Clone, Copy)]
pub enum Geometry<'g> {
    /// A GeoJSON geometry object.
    Json(&'g Value),
    /// A 2D point, its numbers finite and in the WGS84 ranges ([`super::raw::plain_point`]).
    Point(f64, f64),
}

/// How a table stores its features' ids ([`IdPolicy`] without the column's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ids {
    None,
    Fid,
    Column,
}

/// What a table's features decide about it, gathered one feature at a time.
#[derive(Debug, Default, Clone)]
#[expect(clippy::struct_excessive_bools, reason = "independent facts about the features, not states")]
pub struct Planner {
    name: String,
    attributes_only: bool,
    /// Property keys, first-seen order: the key, its joined type, whether any value is an
    /// integer.
    keys: Vec<(String, Option<ColType>, bool)>,
    index: HashMap<String, usize>,
    /// Features given.
    count: usize,
    /// Features with an id.
    with_id: usize,
    /// The integer ids, while every feature so far has one.
    integer_ids: Option<HashSet<i64>>,
    /// Some id is a number.
    numeric_id: bool,
    /// Geometry type names, upper case.
    types: HashSet<String>,
    any_z: bool,
    all_z: bool,
    bbox: Option<Envelope>,
    /// Features with foreign members.
    foreign: usize,
}

impl Planner {
    /// A planner for the table of layer `name`; `attributes_only` for a table without a
    /// geometry column.
    pub fn new(name: &str, attributes_only: bool) -> Self {
        Self {
            name: name.to_owned(),
            attributes_only,
            integer_ids: Some(HashSet::new()),
            all_z: true,
            ..Self::default()
        }
    }

    /// Takes the next feature into account; returns its geometry blob (for a writer that
    /// keeps them), or the error that writing it would give (`path` is the output, named in
    /// it).
    pub fn add(&mut self, path: &Path, f: &Feature) -> Result<Option<Vec<u8>>, GpkgError> {
        for (n, (k, v)) in f.properties.iter().enumerate() {
            self.property(n, k, ColType::of(v), v.as_i64().is_some());
        }
        self.rest(path, f.id.as_ref(), !f.foreign_members.is_empty(), f.geometry.as_ref().map(Geometry::Json))
    }

    /// [`Planner::add`] for a feature read from its text ([`RawFeature`]), `id` and
    /// `geometry` read from it; plans what [`Planner::add`] plans for the same feature.
    pub fn add_raw(
        &mut self,
        path: &Path,
        f: &RawFeature<'_>,
        id: Option<&FeatureId>,
        geometry: Option<Geometry<'_>>,
    ) -> Result<(), GpkgError> {
        for (n, (k, text)) in f.properties().enumerate() {
            let kind = Kind::of(text);
            self.property(n, k, kind.col_type(), kind == Kind::Integer);
        }
        self.rest(path, id, false, geometry).map(drop)
    }

    /// [`Planner::add`] for a feature whose properties are given as their keys and the
    /// kinds of their values (the kind of a `Value` tree's value, [`Kind`]), with its `id`
    /// and `geometry`; plans what [`Planner::add`] plans for the same feature.
    pub(crate) fn add_kinds<'k>(
        &mut self,
        path: &Path,
        properties: impl Iterator<Item = (&'k str, Kind)>,
        id: Option<&FeatureId>,
        geometry: Option<Geometry<'_>>,
    ) -> Result<(), GpkgError> {
        for (n, (k, kind)) in properties.enumerate() {
            self.property(n, k, kind.col_type(), kind == Kind::Integer);
        }
        self.rest(path, id, false, geometry).map(drop)
    }

    /// Takes property `k`, the feature's `n`th, into account: its value's type (`None` for
    /// null) and whether it is an integer.
    fn property(&mut self, n: usize, k: &str, ty: Option<ColType>, integer: bool) {
        // Features mostly list their properties in the same order: the `n`th key first.
        let slot = if self.keys.get(n).is_some_and(|(key, _, _)| key == k) {
            n
        } else if let Some(&slot) = self.index.get(k) {
            slot
        } else {
            self.index.insert(k.to_owned(), self.keys.len());
            self.keys.push((k.to_owned(), None, false));
            self.keys.len() - 1
        };
        if let Some(entry) = self.keys.get_mut(slot) {
            if let Some(t) = ty {
                entry.1 = Some(ColType::join(entry.1, t));
            }
            entry.2 |= integer;
        }
    }

    /// Takes the id, foreign members and geometry of the next feature into account.
    fn rest(
        &mut self,
        path: &Path,
        id: Option<&FeatureId>,
        foreign: bool,
        geometry: Option<Geometry<'_>>,
    ) -> Result<Option<Vec<u8>>, GpkgError> {
        let i = self.count;
        self.count += 1;
        match id {
            Some(id) => {
                self.with_id += 1;
                self.numeric_id |= matches!(id, FeatureId::Num(_));
                let n = if let FeatureId::Num(n) = id { n.as_i64() } else { None };
                match (n, self.integer_ids.as_mut()) {
                    (Some(n), Some(set)) => {
                        set.insert(n);
                    }
                    _ => self.integer_ids = None,
                }
            }
            None => self.integer_ids = None,
        }
        if foreign {
            self.foreign += 1;
        }
        let Some(g) = geometry else { return Ok(None) };
        let feature_error = |message: String| GpkgError::Feature {
            path: path.to_owned(),
            layer: self.name.clone(),
            feature: id.map_or_else(|| format!("#{}", i + 1), ToString::to_string),
            message,
        };
        if self.attributes_only {
            return Err(feature_error("has a geometry, but an attributes table has no geometry column".to_owned()));
        }
        let (enc, ty) = match g {
            Geometry::Json(g) => (
                wkb::encode_blob(g, WGS84_SRS_ID).map_err(feature_error)?,
                g.get("type").and_then(Value::as_str).unwrap_or_default(),
            ),
            Geometry::Point(x, y) => (wkb::encode_point_blob(x, y, WGS84_SRS_ID), "Point"),
        };
        if !self.types.iter().any(|t| t.eq_ignore_ascii_case(ty)) {
            self.types.insert(ty.to_uppercase());
        }
        self.any_z |= enc.has_z;
        self.all_z &= enc.has_z;
        self.bbox = Envelope::merge(self.bbox, enc.envelope);
        Ok(Some(enc.blob))
    }

    /// Features given so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether the table planned so far may still be `early`'s, but for its bounds: `early`
    /// planned from the first features of the same input, so until as many were given here
    /// this plans a part of what it planned (found testing: a decimal at the 1,000th of a
    /// sample of 10,000 stopped the writing at the first batch); then the same columns (keys
    /// in the same order, each of the same type), ids and geometry type. While it is, a
    /// table planned from `early` may still be the one every feature plans
    /// ([`write_planned_early`]); once it is not, it never is again.
    pub fn agrees_with(&self, early: &Self) -> bool {
        if self.count < early.count {
            return true;
        }
        self.keys.len() == early.keys.len()
            && self.keys.iter().zip(&early.keys).all(|((k, t, _), (ek, et, _))| k == ek && t == et)
            && self.ids() == early.ids()
            && self.types == early.types
            && (self.any_z, self.all_z) == (early.any_z, early.all_z)
    }

    /// How the table's ids would be stored, were the features given so far all of them.
    fn ids(&self) -> Ids {
        if self.with_id == 0 {
            Ids::None
        } else if self.integer_ids.as_ref().is_some_and(|set| set.len() == self.count) {
            Ids::Fid
        } else {
            Ids::Column
        }
    }

    /// The table's plan for `layer` (whose features were given, or, for a writer that
    /// streams them, an empty stand-in), with the table name not among `tables` (lower
    /// case; the name is added) and one note per thing not kept exactly.
    pub(super) fn finish<'a>(
        self,
        layer: &'a Layer,
        blobs: Vec<Option<Vec<u8>>>,
        tables: &mut HashSet<String>,
        notes: &mut Vec<String>,
    ) -> PlannedLayer<'a> {
        let name = &self.name;
        let mut table = if name.trim().is_empty() { "layer".to_owned() } else { name.clone() };
        let lower = table.to_lowercase();
        if ["gpkg_", "rtree_", "sqlite_"].iter().any(|p| lower.starts_with(p)) {
            table = format!("layer_{table}");
        }
        let table = unique_name(&table, tables);
        tables.insert(table.to_lowercase());
        if table != *name {
            notes.push(format!("layer `{name}` written as table `{table}`"));
        }
        let key_names: HashSet<String> = self.keys.iter().map(|(k, _, _)| k.to_lowercase()).collect();
        let pick = |options: &[&str]| {
            options
                .iter()
                .find(|o| !key_names.contains(**o))
                .map_or_else(|| unique_name("fid", &key_names), |o| (*o).to_owned())
        };
        let fid = pick(&["fid", "ogc_fid", "gpkg_fid"]);
        let geom = pick(&["geom", "geometry", "the_geom"]);
        let mut used: HashSet<String> = [fid.to_lowercase(), geom.to_lowercase()].into();
        let ids = match self.ids() {
            Ids::None => IdPolicy::None,
            Ids::Fid => IdPolicy::Fid,
            Ids::Column => {
                let col = ["id", "feature_id", "geojson_id"]
                    .iter()
                    .find(|c| !key_names.contains(**c) && !used.contains(**c))
                    .map_or_else(|| unique_name("feature_id", &key_names), |c| (*c).to_owned());
                if self.numeric_id {
                    notes.push(format!("layer `{name}`: numeric feature ids stored as text in column `{col}`"));
                }
                used.insert(col.to_lowercase());
                IdPolicy::Column(col)
            }
        };
        let mut columns = Vec::with_capacity(self.keys.len());
        for (key, ty, has_integer) in self.keys {
            let wanted = if key.is_empty() { "field" } else { key.as_str() };
            let column = unique_name(wanted, &used);
            used.insert(column.to_lowercase());
            if column != key {
                notes.push(format!("layer `{name}`: property `{key}` written as column `{column}`"));
            }
            let ty = ty.unwrap_or(ColType::Text);
            if ty == ColType::Real && has_integer {
                notes.push(format!(
                    "layer `{name}`: `{key}` mixes integers and decimals; integers read back as decimals"
                ));
            }
            columns.push(PlannedColumn { key, column, ty });
        }
        let geometry_type = match self.types.iter().next() {
            Some(t) if self.types.len() == 1 => t.clone(),
            _ => "GEOMETRY".to_owned(),
        };
        let z = match (self.any_z, self.all_z) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        };
        PlannedLayer {
            layer,
            table,
            fid,
            geom,
            ids,
            columns,
            blobs,
            bbox: self.bbox,
            geometry_type,
            z,
            attributes_only: self.attributes_only,
        }
    }

    /// The notes about foreign members the table cannot keep (`collection_members`: the
    /// collection itself has some).
    pub fn foreign_notes(&self, collection_members: bool) -> Vec<String> {
        let mut notes = Vec::new();
        if collection_members {
            notes.push(format!("layer `{}`: FeatureCollection foreign members dropped", self.name));
        }
        if self.foreign > 0 {
            notes.push(format!("layer `{}`: foreign members of {} feature(s) dropped", self.name, self.foreign));
        }
        notes
    }
}

/// Rows inserted by one execution of [`Rows::insert_encoded`]'s statement for many rows.
/// One execution per row costs SQLite a statement start and end and, the `fid` being
/// AUTOINCREMENT, an update of `sqlite_sequence` per row; with more rows than this the bound
/// values outgrow the connection's small-allocation cache (lookaside) and cost more than the
/// executions saved (measured on a 1M-row ACLED export: 8 beat 4, 16 and 32).
const ROWS_PER_INSERT: usize = 8;

/// The most parameters a statement takes (`SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite).
const MAX_PARAMETERS: usize = 32_766;

/// Where [`write_streamed`]'s feed writes its rows, a batch at a time.
pub struct Rows<'t> {
    inserts: Inserts<'t>,
    plan: &'t PlannedLayer<'t>,
    path: &'t Path,
    /// Rows written.
    written: usize,
}

impl<'t> Rows<'t> {
    /// Rows written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// What encodes rows for this table, on any thread ([`RowEncoder::encode`]); its rows
    /// are then written in order by [`Rows::insert_encoded`].
    pub fn encoder(&self) -> RowEncoder<'t> {
        RowEncoder { plan: self.plan }
    }

    /// Writes the rows of `batch` in order (the rows the whole-layer writer writes for the
    /// same features); a feature whose geometry could not be encoded fails, named by its id
    /// or its place among the rows.
    pub fn insert_encoded(&mut self, batch: &EncodedRows) -> Result<(), GpkgError> {
        match self.inserts.insert(batch) {
            Ok(()) => {
                self.written += batch.len();
                Ok(())
            }
            Err(InsertError::Sql(e)) => Err(super::sql_err(self.path)(e)),
            Err(InsertError::Row { index, id, message }) => Err(GpkgError::Feature {
                path: self.path.to_owned(),
                layer: self.plan.layer.name.clone(),
                feature: id.unwrap_or_else(|| format!("#{}", self.written + index + 1)),
                message,
            }),
        }
    }
}

/// The insert statements of a table: one row, and [`ROWS_PER_INSERT`] rows when the table
/// has few enough columns for their parameters.
pub(super) struct Inserts<'t> {
    one: Insert<'t>,
    many: Option<Insert<'t>>,
}

/// Why [`Inserts::insert`] stopped.
pub(super) enum InsertError {
    /// SQLite refused a row.
    Sql(rusqlite::Error),
    /// The row at `index` of the batch could not be encoded: its feature's id and why.
    Row { index: usize, id: Option<String>, message: String },
}

impl<'t> Inserts<'t> {
    /// The statements inserting rows of `plan`'s table over `conn`.
    pub(super) fn prepare(conn: &'t rusqlite::Connection, plan: &PlannedLayer<'_>) -> rusqlite::Result<Self> {
        let prepare = |rows| conn.prepare(&super::insert_sql(plan, rows)).map(Insert::new);
        let many = if super::insert_columns(plan) * ROWS_PER_INSERT <= MAX_PARAMETERS {
            Some(prepare(ROWS_PER_INSERT)?)
        } else {
            None
        };
        Ok(Self { one: prepare(1)?, many })
    }

    /// Inserts the rows of `batch` in order, [`ROWS_PER_INSERT`] at a time where it can.
    pub(super) fn insert(&mut self, batch: &EncodedRows) -> Result<(), InsertError> {
        let (mut first, mut index) = (0, 0);
        let mut rows = batch.rows.as_slice();
        while !rows.is_empty() {
            let run = match (&self.many, rows.get(..ROWS_PER_INSERT)) {
                (Some(_), Some(run)) if run.iter().all(Result::is_ok) => run,
                _ => rows.get(..1).unwrap_or_default(),
            };
            let end = match run.last() {
                Some(Ok(end)) => *end,
                Some(Err((id, message))) => {
                    return Err(InsertError::Row { index, id: id.clone(), message: message.clone() });
                }
                None => break,
            };
            let insert = match &mut self.many {
                Some(many) if run.len() == ROWS_PER_INSERT => many,
                _ => &mut self.one,
            };
            insert.execute(batch.cells.get(first..end).unwrap_or_default(), batch).map_err(InsertError::Sql)?;
            first = end;
            index += run.len();
            rows = rows.get(run.len()..).unwrap_or_default();
        }
        Ok(())
    }
}

/// An insert statement with the values last bound to its parameters. SQLite keeps a
/// statement's bindings from one execution to the next, so a value equal to the one bound
/// before (an empty cell after an empty cell, the same country, event type or year as the
/// row before) is not bound again: binding is most of the cost of an insert of many short
/// values, each text copied into the statement.
struct Insert<'t> {
    stmt: rusqlite::Statement<'t>,
    bound: Vec<Bound>,
}

/// What a parameter of an [`Insert`] holds.
#[derive(Debug)]
enum Bound {
    /// Nothing known (not bound yet, or a blob, which is not compared).
    Unknown,
    Null,
    Integer(i64),
    /// A real, by its bits (exactly: `-0.0` is not `0.0`).
    Real(u64),
    Text(Vec<u8>),
}

impl<'t> Insert<'t> {
    fn new(stmt: rusqlite::Statement<'t>) -> Self {
        let bound = (0..stmt.parameter_count()).map(|_| Bound::Unknown).collect();
        Self { stmt, bound }
    }

    /// Executes the statement with `cells` (values of `batch`) as its parameters in order.
    fn execute(&mut self, cells: &[Cell], batch: &EncodedRows) -> rusqlite::Result<()> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        for (n, (cell, bound)) in cells.iter().zip(&mut self.bound).enumerate() {
            let value = match *cell {
                Cell::Null if matches!(bound, Bound::Null) => continue,
                Cell::Null => {
                    *bound = Bound::Null;
                    ValueRef::Null
                }
                Cell::Integer(v) if matches!(*bound, Bound::Integer(held) if held == v) => continue,
                Cell::Integer(v) => {
                    *bound = Bound::Integer(v);
                    ValueRef::Integer(v)
                }
                Cell::Real(v) if matches!(*bound, Bound::Real(held) if held == v.to_bits()) => continue,
                Cell::Real(v) => {
                    *bound = Bound::Real(v.to_bits());
                    ValueRef::Real(v)
                }
                Cell::Text(a, b) => {
                    let text = batch.bytes.get(a..b).unwrap_or_default();
                    match bound {
                        Bound::Text(held) if held.as_slice() == text => continue,
                        Bound::Text(held) => {
                            held.clear();
                            held.extend_from_slice(text);
                        }
                        _ => *bound = Bound::Text(text.to_vec()),
                    }
                    ValueRef::Text(text)
                }
                Cell::Blob(a, b) => {
                    *bound = Bound::Unknown;
                    ValueRef::Blob(batch.bytes.get(a..b).unwrap_or_default())
                }
            };
            if let Err(e) = self.stmt.raw_bind_parameter(n + 1, ToSqlOutput::Borrowed(value)) {
                // What the parameter now holds is not known.
                *bound = Bound::Unknown;
                return Err(e);
            }
        }
        self.stmt.raw_execute().map(|_| ())
    }
}

/// Encodes the rows of a table planned for [`write_streamed`] (shared by the threads that
/// encode a batch of features each; see [`Rows::encoder`]).
#[derive(Clone, Copy)]
pub struct RowEncoder<'t> {
    plan: &'t PlannedLayer<'t>,
}

impl RowEncoder<'_> {
    /// Adds `f`'s row (the values the whole-layer writer writes for it) to `out`.
    pub fn encode(&self, f: &Feature, out: &mut EncodedRows) {
        let blob = match &f.geometry {
            Some(g) if !self.plan.attributes_only => match wkb::encode_blob(g, WGS84_SRS_ID) {
                Ok(e) => Some(e.blob),
                Err(message) => {
                    out.rows.push(Err((f.id.as_ref().map(ToString::to_string), message)));
                    return;
                }
            },
            _ => None,
        };
        out.push_row(super::row_values(self.plan, f, blob));
    }
}

impl RowEncoder<'_> {
    /// Adds the row of a feature read from its text to `out`: the row [`RowEncoder::encode`]
    /// adds for the same feature loaded as a `Value` tree, its cells written from the text
    /// (numbers parsed from their spelling, strings unescaped once; nested values, and
    /// values in a column of mixed types, through the `Value` tree as before).
    pub fn encode_raw(&self, f: &RawFeature<'_>, out: &mut EncodedRows) {
        let plan = self.plan;
        let blob = if plan.attributes_only {
            None
        } else {
            let encoded = match f.geometry_text().and_then(plain_point) {
                Some((x, y)) => Ok(Some(wkb::encode_point_blob(x, y, WGS84_SRS_ID))),
                None => f.geometry().and_then(|g| g.map(|g| wkb::encode_blob(&g, WGS84_SRS_ID)).transpose()),
            };
            match encoded {
                Ok(e) => e.map(|e| e.blob),
                Err(message) => {
                    let id = f.id().ok().flatten().map(|id| id.to_string());
                    out.rows.push(Err((id, message)));
                    return;
                }
            }
        };
        let id = f.id_text();
        out.cells.push(match (&plan.ids, id) {
            (IdPolicy::Fid, Some(text)) if !text.starts_with('"') => text.parse().map_or(Cell::Null, Cell::Integer),
            _ => Cell::Null,
        });
        if !plan.attributes_only {
            let cell = blob.map_or(Cell::Null, |b| out.blob(&b));
            out.cells.push(cell);
        }
        if let IdPolicy::Column(_) = &plan.ids {
            let cell = match id {
                None => Cell::Null,
                Some(text) if text.starts_with('"') => out.text(&unquote(text)),
                Some(text) => match serde_json::from_str::<serde_json::Number>(text) {
                    Ok(n) => out.text(&n.to_string()),
                    Err(_) => Cell::Null,
                },
            };
            out.cells.push(cell);
        }
        for (n, c) in plan.columns.iter().enumerate() {
            // Features mostly list their properties in the columns' order.
            let text = match f.property_at(n) {
                Some((k, v)) if k == c.key => Some(v),
                _ => f.property(&c.key),
            };
            let cell = match text.map(|t| (Kind::of(t), t)) {
                None | Some((Kind::Null, _)) => Cell::Null,
                Some((Kind::Bool, t)) if c.ty == ColType::Boolean => Cell::Integer(i64::from(t == "true")),
                Some((Kind::Integer | Kind::Real, t)) if c.ty == ColType::Integer => {
                    t.parse().map_or(Cell::Null, Cell::Integer)
                }
                Some((Kind::Integer | Kind::Real, t)) if c.ty == ColType::Real => {
                    t.parse::<f64>().ok().filter(|v| v.is_finite()).map_or(Cell::Null, Cell::Real)
                }
                Some((Kind::String, t)) if c.ty == ColType::Text => out.text(&unquote(t)),
                Some((_, t)) => match serde_json::from_str::<Value>(t) {
                    Ok(v) => out.text(&v.to_string()),
                    Err(_) => Cell::Null,
                },
            };
            out.cells.push(cell);
        }
        out.rows.push(Ok(out.cells.len()));
    }
}

/// A property value of a feature made without a `Value` tree (an ACLED row's cell,
/// [`crate::io::acled::cell_scalar`]): what [`RowEncoder::encode_scalars`] writes as the
/// same value in a `Value` tree is written.
pub(crate) use crate::io::acled::CellScalar as Scalar;

impl Scalar<'_> {
    /// The kind of the value (as [`Kind::of`] tells it from the value's JSON text).
    pub(crate) fn kind(self) -> Kind {
        match self {
            Self::Null => Kind::Null,
            Self::Int(_) => Kind::Integer,
            Self::Float(_) => Kind::Real,
            Self::Str(_) => Kind::String,
        }
    }
}

impl RowEncoder<'_> {
    /// The property keys of the table's columns, in column order: what the `value` of
    /// [`RowEncoder::encode_scalars`] is asked for.
    pub(crate) fn column_keys(&self) -> impl Iterator<Item = &str> {
        self.plan.columns.iter().map(|c| c.key.as_str())
    }

    /// Adds the row of a feature with a string `id`, a point at `(x, y)` (finite, in the
    /// WGS84 ranges) and the property `value(n)` of each column `n` (in the order of
    /// [`RowEncoder::column_keys`]; `None` when the feature has no such property) to `out`:
    /// the row [`RowEncoder::encode`] adds for the same feature as a `Value` tree.
    pub(crate) fn encode_scalars<'v>(
        self,
        id: &str,
        (x, y): (f64, f64),
        mut value: impl FnMut(usize) -> Option<Scalar<'v>>,
        out: &mut EncodedRows,
    ) {
        let plan = self.plan;
        // A string id is never a `fid`.
        out.cells.push(Cell::Null);
        if !plan.attributes_only {
            let blob = wkb::encode_point_blob(x, y, WGS84_SRS_ID).blob;
            let cell = out.blob(&blob);
            out.cells.push(cell);
        }
        if let IdPolicy::Column(_) = &plan.ids {
            let cell = out.text(id);
            out.cells.push(cell);
        }
        for (n, c) in plan.columns.iter().enumerate() {
            // As `super::sql_value` writes the same value.
            let cell = match (value(n), c.ty) {
                // A decimal in an integer column: `Number::as_i64` gives nothing.
                (None | Some(Scalar::Null), _) | (Some(Scalar::Float(_)), ColType::Integer) => Cell::Null,
                (Some(Scalar::Int(v)), ColType::Integer) => Cell::Integer(v),
                #[expect(clippy::cast_precision_loss, reason = "as `serde_json::Number::as_f64` casts it")]
                (Some(Scalar::Int(v)), ColType::Real) => Cell::Real(v as f64),
                (Some(Scalar::Float(v)), ColType::Real) => Cell::Real(v),
                (Some(Scalar::Str(v)), ColType::Text) => out.text(v),
                (Some(Scalar::Int(v)), _) => out.text(&v.to_string()),
                (Some(Scalar::Float(v)), _) => match serde_json::Number::from_f64(v) {
                    Some(n) => out.text(&n.to_string()),
                    None => Cell::Null,
                },
                (Some(Scalar::Str(v)), _) => out.text(&Value::String(v.to_owned()).to_string()),
            };
            out.cells.push(cell);
        }
        out.rows.push(Ok(out.cells.len()));
    }
}

/// Rows encoded by [`RowEncoder::encode`], to be written by [`Rows::insert_encoded`]: their
/// values in one buffer (a batch is a few allocations however many rows it holds, freed by
/// whichever thread writes them).
#[derive(Debug, Default)]
pub struct EncodedRows {
    bytes: Vec<u8>,
    cells: Vec<Cell>,
    /// Each row: the end of its cells, or its feature's id and why its geometry could not be
    /// encoded.
    rows: Vec<Result<usize, (Option<String>, String)>>,
}

impl EncodedRows {
    /// A text cell holding `text`.
    fn text(&mut self, text: &str) -> Cell {
        let a = self.bytes.len();
        self.bytes.extend_from_slice(text.as_bytes());
        Cell::Text(a, self.bytes.len())
    }

    /// A blob cell holding `blob`.
    fn blob(&mut self, blob: &[u8]) -> Cell {
        let a = self.bytes.len();
        self.bytes.extend_from_slice(blob);
        Cell::Blob(a, self.bytes.len())
    }

    /// Adds a row of `values`.
    pub(super) fn push_row(&mut self, values: Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value as S;
        for value in values {
            let cell = match value {
                S::Null => Cell::Null,
                S::Integer(v) => Cell::Integer(v),
                S::Real(v) => Cell::Real(v),
                S::Text(t) => self.text(&t),
                S::Blob(v) => self.blob(&v),
            };
            self.cells.push(cell);
        }
        self.rows.push(Ok(self.cells.len()));
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it holds no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Only the rows whose indices are in `keep` (ascending), in order.
    #[must_use]
    pub fn retain(self, keep: &[usize]) -> Self {
        if keep.len() == self.rows.len() {
            return self;
        }
        let Self { bytes, cells, rows } = self;
        let mut out = Self { bytes, cells: Vec::with_capacity(cells.len()), rows: Vec::with_capacity(keep.len()) };
        let mut keep = keep.iter().copied().peekable();
        let mut first = 0;
        for (i, row) in rows.into_iter().enumerate() {
            let end = *row.as_ref().unwrap_or(&first);
            if keep.next_if_eq(&i).is_some() {
                out.cells.extend_from_slice(cells.get(first..end).unwrap_or_default());
                out.rows.push(row.map(|_| out.cells.len()));
            }
            first = end;
        }
        out
    }
}

/// One value of an encoded row; text and blobs are spans of [`EncodedRows::bytes`].
#[derive(Debug, Clone, Copy)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(usize, usize),
    Blob(usize, usize),
}

/// Writes a new GeoPackage at `path` (replacing it atomically) holding one feature table,
/// planned by `planner` from the features of layer `name` (its `foreign_members` only name
/// what is dropped), and filled by `feed`, which must give [`Rows::insert`] the same
/// features in the same order. Nothing is written at `path` if `feed` fails, or gives
/// another number of features than the planner saw. Returns the notes of what could not be
/// kept, as [`super::write_gpkg_with_notes`] does.
pub fn write_streamed<E: From<GpkgError>>(
    path: &Path,
    planner: Planner,
    collection_members: bool,
    feed: impl FnOnce(&mut Rows<'_>) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let stand_in = Layer::new(
        planner.name.clone(),
        crate::model::LayerKind::Generic,
        crate::model::LayerSource::File(path.to_owned()),
        Vec::new(),
    );
    let expected = planner.count;
    let mut notes = Vec::new();
    let foreign = planner.foreign_notes(collection_members);
    let plan = planner.finish(&stand_in, Vec::new(), &mut HashSet::new(), &mut notes);
    notes.extend(foreign);
    let plans = [plan];
    super::write_staged(path, &plans, |tx, plans| {
        let Some(plan) = plans.first() else { return Ok(()) };
        let inserts = Inserts::prepare(tx, plan).map_err(|e| E::from(super::sql_err(path)(e)))?;
        let mut rows = Rows { inserts, plan, path, written: 0 };
        feed(&mut rows)?;
        if rows.written != expected {
            return Err(E::from(GpkgError::Table {
                path: path.to_owned(),
                table: plan.table.clone(),
                message: format!(
                    "the input changed while it was converted ({expected} features planned, {} given)",
                    rows.written
                ),
            }));
        }
        Ok(())
    })?;
    Ok(notes)
}

/// How [`write_planned_early`] ended without an error.
#[derive(Debug)]
pub enum Early {
    /// The table planned from the first features is the one every feature plans: the file is
    /// written, with these notes of what could not be kept.
    Written(Vec<String>),
    /// Nothing was written: the feed stopped writing (`None`), or the features planned
    /// another table than the first ones did. The caller writes it with the whole plan.
    NotWritten,
}

/// Why [`write_planned_early`]'s transaction ends without being committed.
enum Stop<E> {
    Failed(E),
    NotWritten,
}

impl<E: From<GpkgError>> From<GpkgError> for Stop<E> {
    fn from(e: GpkgError) -> Self {
        Self::Failed(E::from(e))
    }
}

/// [`write_streamed`] in one pass over the input: the table is planned from the first
/// features only (`early`, a sample), and `feed` plans every feature while it writes their
/// rows. `feed` gives the planner of every feature and whether the collection has foreign
/// members, or `None` when it stopped writing (the plan left `early`'s, or a row could not
/// be inserted). The file is then written (its bounds those of every feature) only if every
/// feature plans the same table as `early`: the same name, columns and their types, ids and
/// geometry type, so the same file as [`write_streamed`] with the whole plan. Otherwise
/// nothing is written ([`Early::NotWritten`]). Errors are those of creating the file.
pub fn write_planned_early<E: From<GpkgError>>(
    path: &Path,
    early: Planner,
    feed: impl FnOnce(&mut Rows<'_>) -> Result<Option<(Planner, bool)>, E>,
) -> Result<Early, E> {
    let stand_in = Layer::new(
        early.name.clone(),
        crate::model::LayerKind::Generic,
        crate::model::LayerSource::File(path.to_owned()),
        Vec::new(),
    );
    let plans = [early.finish(&stand_in, Vec::new(), &mut HashSet::new(), &mut Vec::new())];
    let mut notes = Vec::new();
    let written = super::write_staged(path, &plans, |tx, plans| {
        let Some(plan) = plans.first() else { return Err(Stop::NotWritten) };
        let inserts = Inserts::prepare(tx, plan).map_err(|e| Stop::from(super::sql_err(path)(e)))?;
        let mut rows = Rows { inserts, plan, path, written: 0 };
        let Some((every, members)) = feed(&mut rows).map_err(Stop::Failed)? else { return Err(Stop::NotWritten) };
        if rows.written != every.count {
            return Err(Stop::NotWritten);
        }
        let foreign = every.foreign_notes(members);
        let whole = every.finish(&stand_in, Vec::new(), &mut HashSet::new(), &mut notes);
        notes.extend(foreign);
        if !same_table(plan, &whole) {
            return Err(Stop::NotWritten);
        }
        let b = whole.bbox;
        tx.execute(
            "UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4 WHERE table_name = ?5",
            rusqlite::params![
                b.map(|e| e.min_x),
                b.map(|e| e.min_y),
                b.map(|e| e.max_x),
                b.map(|e| e.max_y),
                plan.table
            ],
        )
        .map_err(|e| Stop::from(super::sql_err(path)(e)))?;
        Ok(())
    });
    match written {
        Ok(()) => Ok(Early::Written(notes)),
        Err(Stop::NotWritten) => Ok(Early::NotWritten),
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// Whether `a` and `b` create the same table (all but its bounds, which are written last).
fn same_table(a: &PlannedLayer<'_>, b: &PlannedLayer<'_>) -> bool {
    a.table == b.table
        && a.fid == b.fid
        && a.geom == b.geom
        && a.ids == b.ids
        && a.geometry_type == b.geometry_type
        && a.z == b.z
        && a.attributes_only == b.attributes_only
        && a.columns.len() == b.columns.len()
        && a.columns.iter().zip(&b.columns).all(|(x, y)| x.key == y.key && x.column == y.column && x.ty == y.ty)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{LayerKind, LayerSource};

    /// Every cell of `path`'s table `table` with its SQLite type, in `fid` order, and
    /// `sqlite_sequence`.
    fn cells(path: &Path, table: &str) -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut st = conn.prepare(&format!("SELECT * FROM {} ORDER BY 1", super::super::quote(table))).unwrap();
        let n = st.column_count();
        let mut out: Vec<String> = st
            .query_map([], |r| {
                Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push(
            conn.query_row("SELECT name, seq FROM sqlite_sequence", [], |r| {
                Ok(format!("{:?} {:?}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .unwrap(),
        );
        out
    }

    /// `features` written by the whole-layer writer and by [`write_streamed`] (in batches of
    /// `batch` rows): the same cells, types and sequence.
    fn same_both_ways(features: &[Value], batch: usize) {
        let dir = tempfile::tempdir().unwrap();
        let loaded: Vec<Feature> =
            features.iter().map(|f| crate::io::geojson::feature_from_json(f.clone()).unwrap().0).collect();
        let whole = dir.path().join("whole.gpkg");
        let layer = Layer::new("t", LayerKind::Generic, LayerSource::File(whole.clone()), loaded.clone());
        super::super::write_gpkg(&whole, &[&layer]).unwrap();
        let streamed = dir.path().join("streamed.gpkg");
        let mut planner = Planner::new("t", false);
        for f in &loaded {
            planner.add(&streamed, f).unwrap();
        }
        write_streamed(&streamed, planner, false, |rows| {
            let encoder = rows.encoder();
            for part in loaded.chunks(batch) {
                let mut encoded = EncodedRows::default();
                for f in part {
                    encoder.encode(f, &mut encoded);
                }
                rows.insert_encoded(&encoded)?;
            }
            Ok::<(), GpkgError>(())
        })
        .unwrap();
        assert_eq!(cells(&streamed, "t"), cells(&whole, "t"));
    }

    /// Rows go in eight at a time, and a parameter is bound only when its value differs
    /// from the row before's: whatever follows what (an empty cell after a value and a value
    /// after an empty cell, the same text, a text of the same length, `0.0` after `-0.0`,
    /// an integer after the same number as a decimal, another type in a mixed column), every
    /// cell is the one the whole-layer writer gives, in any batch size.
    #[test]
    fn rows_written_in_runs_with_unchanged_values_kept_bound_are_the_rows_written_one_by_one() {
        let texts = ["Khorog", "Khorog", "Ishkash", "Ishkash", "Shaymak", "", "Ayvoj", "Ayvoj", "Wakhan"];
        let reals = [-0.0, 0.0, 0.0, 1.5, 1.5, 2.0, -0.0, 2.5, 2.5];
        let mut features = Vec::new();
        for i in 0..27_usize {
            let mut properties = serde_json::Map::new();
            // Present or missing (an empty cell) in runs of two and three.
            if i % 5 < 3 {
                properties.insert("name".into(), json!(texts[i % texts.len()]));
            }
            properties.insert("real".into(), json!(reals[i % reals.len()]));
            properties.insert("count".into(), if i % 4 == 0 { json!(null) } else { json!(i / 3) });
            // Integers and decimals of the same value, then a string: a text column.
            let mixed = match i % 6 {
                0 | 1 => json!(7),
                2 => json!(7.0),
                3 => json!("7"),
                _ => json!(true),
            };
            properties.insert("mixed".into(), mixed);
            properties.insert("nested".into(), json!({"n": i % 2}));
            features.push(json!({
                "type": "Feature",
                "id": format!("e{}", i % 13),
                "geometry": {"type": "Point", "coordinates": [71.5 + (i % 3) as f64, 37.5]},
                "properties": properties,
            }));
        }
        for batch in [1, 3, 8, 10, 27] {
            same_both_ways(&features, batch);
        }
        // Integer ids are the `fid`s: given, not numbered.
        for (i, f) in features.iter_mut().enumerate() {
            f["id"] = json!(100 - i as i64 * 3);
        }
        same_both_ways(&features, 8);
    }
}
