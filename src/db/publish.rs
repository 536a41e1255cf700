//! Publishing a layer to the store: one table per layer (see [`create_table_sql`]), its
//! features copied in one transaction, its catalogue entry, indexes and grants.
//!
//! Each feature becomes one [`Row`]: the geometry as EWKB, the properties object's exact text
//! (`json`, not `jsonb`: key order and number spelling kept), the id and foreign members
//! (`extra`), and typed columns the client fills from the properties for the events and aid
//! schemas and for the time push-down (`date_start`, `date_end`). The server sets `version`,
//! `updated_by` and `updated_at` (triggers). A feature carrying `atlas_fid` (a file exported
//! from the store) keeps that fid.

use std::path::Path;

use chrono::NaiveDate;
use postgres::Client;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::schema::{new_table_name, qualified, quote_ident, quote_literal};
use super::{DbError, ewkb};
use crate::model::{Feature, FeatureId, Layer, LayerKind, PropertiesForm};

/// The columns a [`Row`] writes, in [`Row::params`] order.
pub const ROW_COLUMNS: &str = "geom, props, extra, event_date, event_type, fatalities, donor, date_start, date_end";

/// The values of one feature as stored (everything but `fid`, `version` and the authorship
/// the server sets).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The geometry as EWKB (SRID 4326); `None` for a null geometry.
    pub geom: Option<Vec<u8>>,
    /// The properties object's text; `None` for `"properties": null` with no properties.
    pub props: Option<String>,
    /// `{"id": …, foreign members…}` as text; `None` when the feature has neither.
    pub extra: Option<String>,
    /// ACLED `event_date`, when it is an ISO date.
    pub event_date: Option<NaiveDate>,
    /// ACLED `event_type`.
    pub event_type: Option<String>,
    /// ACLED `fatalities`, when an integer.
    pub fatalities: Option<i32>,
    /// Aid `donor`.
    pub donor: Option<String>,
    /// First day of the feature's date span.
    pub date_start: Option<NaiveDate>,
    /// Last day of the feature's date span.
    pub date_end: Option<NaiveDate>,
}

impl Row {
    /// The row of `f` in a layer of `kind` (its date span computed from its properties when
    /// the feature has none yet). Empty properties are stored as `{}`.
    pub fn of(f: &Feature, kind: LayerKind) -> Result<Self, DbError> {
        Self::of_with(f, kind, PropertiesForm::Object)
    }

    /// Like [`Row::of`], keeping `"properties": null` when `form` says so.
    pub fn of_with(f: &Feature, kind: LayerKind, form: PropertiesForm) -> Result<Self, DbError> {
        let geom = match &f.geometry {
            Some(g) => Some(ewkb::encode(g).map_err(|e| DbError::Data(format!("{}: {e}", describe(f))))?),
            None => None,
        };
        let props = if f.properties.is_empty() && form != PropertiesForm::Object {
            None
        } else {
            Some(serde_json::to_string(&f.properties).map_err(|e| DbError::Data(e.to_string()))?)
        };
        let extra = extra_of(f).map(|m| Value::Object(m).to_string());
        let span = match f.time {
            Some(span) => Some(span),
            None if matches!(kind, LayerKind::Events | LayerKind::Aid) => span_of(f, kind),
            None => None,
        };
        Ok(Self {
            geom,
            props,
            extra,
            event_date: f.prop_str("event_date").and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()),
            event_type: f.prop_str("event_type").map(str::to_owned),
            fatalities: f.properties.get("fatalities").and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok()),
            donor: f.prop_str("donor").map(str::to_owned),
            date_start: span.map(|s| s.start),
            date_end: span.map(|s| s.end),
        })
    }

    /// SQL for the values in [`ROW_COLUMNS`] order, parameters numbered from `first`
    /// (`ST_GeomFromEWKB($3::bytea), $4::text::json, …`), to pair with [`Row::params`].
    pub fn values_sql(first: usize) -> String {
        let p = |i: usize| first + i;
        format!(
            "ST_GeomFromEWKB(${}::bytea), ${}::text::json, ${}::text::json, ${}::date, ${}::text, ${}::int4, \
             ${}::text, ${}::date, ${}::date",
            p(0),
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            p(8)
        )
    }

    /// The nine parameters in [`ROW_COLUMNS`] order.
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.geom,
            &self.props,
            &self.extra,
            &self.event_date,
            &self.event_type,
            &self.fatalities,
            &self.donor,
            &self.date_start,
            &self.date_end,
        ]
    }
}

/// `feature #id` or `a feature without id`, for messages.
fn describe(f: &Feature) -> String {
    f.id.as_ref().map_or_else(|| "a feature without id".to_owned(), |id| format!("feature {id}"))
}

/// The member of `extra` keeping a geometry object's own layout when PostGIS cannot: its
/// members other than `type` and `coordinates`/`geometries` (a `bbox`, foreign members) and
/// their order, as the geometry object with its coordinates replaced by `null`.
pub const GEOMETRY_SKELETON_KEY: &str = "atlas:geometry";

/// The geometry object with `coordinates`/`geometries` nulled, when it has more than `type`
/// and those (in that order); `None` for a plain geometry.
pub fn geometry_skeleton(g: &Value) -> Option<Value> {
    let Value::Object(o) = g else { return None };
    let plain = o.len() == 2
        && o.keys().next().is_some_and(|k| k == "type")
        && (o.contains_key("coordinates") || o.contains_key("geometries"));
    if plain {
        return None;
    }
    let mut skeleton = o.clone();
    for key in ["coordinates", "geometries"] {
        if let Some(v) = skeleton.get_mut(key) {
            *v = Value::Null;
        }
    }
    Some(Value::Object(skeleton))
}

/// The feature's id, foreign members and geometry layout ([`GEOMETRY_SKELETON_KEY`]) as one
/// object (`None` when it has none of them).
pub fn extra_of(f: &Feature) -> Option<Map<String, Value>> {
    let skeleton = f.geometry.as_ref().and_then(geometry_skeleton);
    if f.id.is_none() && f.foreign_members.is_empty() && skeleton.is_none() {
        return None;
    }
    let mut m = Map::new();
    match &f.id {
        Some(FeatureId::Str(s)) => {
            m.insert("id".to_owned(), Value::from(s.clone()));
        }
        Some(FeatureId::Num(n)) => {
            m.insert("id".to_owned(), Value::Number(n.clone()));
        }
        None => {}
    }
    for (k, v) in &f.foreign_members {
        m.insert(k.clone(), v.clone());
    }
    if let Some(sk) = skeleton {
        m.insert(GEOMETRY_SKELETON_KEY.to_owned(), sk);
    }
    Some(m)
}

/// The date span the app would give `f` in a layer of `kind`.
fn span_of(f: &Feature, kind: LayerKind) -> Option<crate::time::DateSpan> {
    let mut one = Layer::new("", kind, crate::model::LayerSource::Embedded(""), vec![f.clone()]);
    let _ = crate::model::assign_spans(&mut one);
    one.features.first().and_then(|g| g.time)
}

/// `create table` and triggers for a new layer table `table` of layer `name`. The triggers
/// pass the layer's name to the shared functions as a literal.
pub fn create_table_sql(table: &str, name: &str) -> String {
    let t = qualified(table);
    let lit = quote_literal(name);
    let stamp = quote_ident(&format!("{table}_stamp"));
    let record = quote_ident(&format!("{table}_record"));
    format!(
        "SET LOCAL standard_conforming_strings = on;
         CREATE TABLE {t} (
             fid uuid PRIMARY KEY,
             version bigint NOT NULL DEFAULT 1,
             geom geometry CHECK (geom IS NULL OR ST_SRID(geom) = 4326),
             props json,
             extra json,
             event_date date,
             event_type text,
             fatalities int,
             donor text,
             date_start date,
             date_end date,
             updated_by text,
             updated_at timestamptz,
             ord bigint GENERATED BY DEFAULT AS IDENTITY
         );
         CREATE TRIGGER {stamp} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION atlas.stamp({lit});
         CREATE TRIGGER {record} AFTER INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION atlas.record({lit});"
    )
}

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReport {
    /// The layer's name in the store.
    pub name: String,
    /// Its table (unquoted, in schema `atlas`).
    pub table: String,
    /// Features written.
    pub features: usize,
}

/// Publishes `layer` as a new store layer `name`, in one transaction: the table, its rows, the
/// catalogue entry, indexes and grants (viewers read, analysts edit, owners own). Refused when
/// the name is taken or the role may not create layers.
pub fn publish(client: &mut Client, layer: &Layer, name: &str) -> Result<PublishReport, DbError> {
    if name.trim().is_empty() || name.contains('\0') {
        return Err(DbError::Data("a store layer needs a name (without NUL characters)".to_owned()));
    }
    let what = format!("publishing “{name}”");
    let mut tx = client.transaction().map_err(DbError::during(&what))?;
    let initialised: bool = tx.query_one("SELECT to_regclass('atlas.layers') IS NOT NULL", &[])?.get(0);
    if !initialised {
        return Err(DbError::NotInitialised);
    }
    let row = tx.query_one("SELECT session_user::text, has_schema_privilege('atlas', 'CREATE')", &[])?;
    let (who, may): (String, bool) = (row.get(0), row.get(1));
    if !may {
        return Err(DbError::Denied(format!(
            "your role “{who}” may not publish layers (publishing needs the atlas_owner role)"
        )));
    }
    if tx.query_opt("SELECT 1 FROM atlas.layers WHERE name = $1", &[&name])?.is_some() {
        return Err(DbError::Exists(name.to_owned()));
    }
    let table = new_table_name(name);
    tx.batch_execute(&create_table_sql(&table, name)).map_err(DbError::during(&what))?;
    let (has_z, geometry_type) = geometry_summary(layer);
    let mut collection = layer.foreign_members.clone();
    collection.shift_remove(super::export::EXPORT_KEY);
    tx.execute(
        "INSERT INTO atlas.layers (name, table_name, kind, has_z, geometry_type, collection_extra) \
         VALUES ($1, $2, $3, $4, $5, $6::text::json)",
        &[
            &name,
            &table,
            &layer.kind.label(),
            &has_z,
            &geometry_type,
            &(!collection.is_empty()).then(|| Value::Object(collection).to_string()),
        ],
    )
    .map_err(DbError::during(&what))?;
    let features = copy_rows(&mut tx, &table, layer).map_err(|e| match e {
        DbError::Sql(t) => DbError::Sql(format!("{what}: {t}")),
        other => other,
    })?;
    let t = qualified(&table);
    tx.batch_execute(&format!(
        "CREATE INDEX ON {t} USING gist (geom);
         CREATE INDEX ON {t} (date_start, date_end);
         CREATE INDEX ON {t} (ord);
         ALTER TABLE {t} OWNER TO atlas_owner;
         GRANT SELECT ON {t} TO atlas_viewer;
         GRANT INSERT, UPDATE, DELETE ON {t} TO atlas_analyst;
         ANALYZE {t};"
    ))
    .map_err(DbError::during(&what))?;
    tx.commit().map_err(DbError::during(&what))?;
    Ok(PublishReport { name: name.to_owned(), table, features })
}

/// Whether any geometry has Z, and the one geometry type of all (else `Geometry`).
#[expect(clippy::explicit_iter_loop, reason = "features are reached through `iter()` only (columnar store, issue 8)")]
fn geometry_summary(layer: &Layer) -> (bool, String) {
    let mut has_z = false;
    let mut kind: Option<String> = None;
    let mut mixed = false;
    for f in layer.features.iter() {
        let Some(g) = &f.geometry else { continue };
        has_z |= ewkb::encode(g).is_ok_and(|b| b.get(4).is_some_and(|flags| flags & 0x80 != 0));
        let t = g.get("type").and_then(Value::as_str).unwrap_or("Geometry");
        match &kind {
            None => kind = Some(t.to_owned()),
            Some(k) if k != t => mixed = true,
            Some(_) => {}
        }
    }
    (has_z, if mixed { "Geometry".to_owned() } else { kind.unwrap_or_else(|| "Geometry".to_owned()) })
}

/// Copies the layer's features into `table` (binary COPY, in file order). A feature whose
/// properties carry `atlas_fid` (exported from the store) keeps that fid; the keys
/// `atlas_fid` / `atlas_version` themselves are not stored.
fn copy_rows(tx: &mut postgres::Transaction<'_>, table: &str, layer: &Layer) -> Result<usize, DbError> {
    let sql = format!("COPY {} (fid, {ROW_COLUMNS}) FROM STDIN (FORMAT binary)", qualified(table));
    let sink = tx.copy_in(&sql)?;
    // The server reads each value with its column's binary input: EWKB for geometry, the text
    // itself for json, so the bytes are sent as bytea / text.
    let types = [
        Type::UUID,
        Type::BYTEA,
        Type::TEXT,
        Type::TEXT,
        Type::DATE,
        Type::TEXT,
        Type::INT4,
        Type::TEXT,
        Type::DATE,
        Type::DATE,
    ];
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    let count = layer.features.len();
    let mut seen = std::collections::HashSet::new();
    for (i, f) in layer.features.iter().enumerate() {
        let form = layer.layout.feature(i, count).properties;
        let (fid, row) = if f.properties.contains_key(super::export::FID_KEY) {
            let mut g: Feature = (*f).clone();
            let (fid, _) = super::export::take_store_keys(&mut g.properties)
                .map_err(|e| DbError::Data(format!("{}: {e}", describe(&g))))?;
            (fid.unwrap_or_else(Uuid::new_v4), Row::of_with(&g, layer.kind, form)?)
        } else {
            (Uuid::new_v4(), Row::of_with(&f, layer.kind, form)?)
        };
        if !seen.insert(fid) {
            return Err(DbError::Data(format!("{}: atlas_fid {fid} appears twice in the layer", describe(&f))));
        }
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![&fid];
        values.extend(row.params());
        writer.write(&values)?;
    }
    writer.finish()?;
    Ok(count)
}

/// Opens `path` (any format the app opens) and publishes it. A single-layer file is published
/// as `name` (default: the layer's own name); for a GeoPackage with several tables `name`
/// picks the table, and without it every table is published under its own name. Returns the
/// reports and the lines about features the reader skipped.
pub fn publish_file(
    client: &mut Client,
    path: &Path,
    name: Option<&str>,
) -> Result<(Vec<PublishReport>, Vec<String>), DbError> {
    let loaded = crate::io::open::open_layers(path).map_err(|e| DbError::File(e.to_string()))?;
    let mut notes = Vec::new();
    let mut reports = Vec::new();
    let single = loaded.len() == 1;
    for l in loaded {
        let table = l.layer.source_table.clone().unwrap_or_else(|| l.layer.name.clone());
        let store_name = match name {
            Some(n) if single => n.to_owned(),
            Some(n) if n != table => continue,
            _ => l.layer.name.clone(),
        };
        notes.extend(l.skipped);
        reports.push(publish(client, &l.layer, &store_name)?);
    }
    if reports.is_empty() {
        return Err(DbError::File(format!("{}: no layer `{}`", path.display(), name.unwrap_or_default())));
    }
    Ok((reports, notes))
}
