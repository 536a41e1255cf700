//! Opening a store layer, with the view's bounding box and the timeline's range pushed down to
//! SQL (`geom && envelope` on the `GiST` index, `date_start <= to AND date_end >= from` on the
//! date index), so a window of a million stored events reads only the rows it shows.

use chrono::NaiveDate;
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::types::ToSql;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::schema::{LayerInfo, layer_info, qualified};
use super::{DbError, ewkb};
use crate::model::{Feature, FeatureId, FeatureLayout, Layer, LayerSource, PropertiesForm};
use crate::spatial::Shape;

/// The store's identity of one opened feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreRow {
    /// The feature's id in the store.
    pub fid: Uuid,
    /// The version it was read at (the base of the next guarded write).
    pub version: i64,
}

/// A layer opened from the store: the app's [`Layer`] and, aligned with its features, each
/// feature's fid and version. The layer's features as opened are the base for merging.
#[derive(Debug, Clone)]
pub struct StoreLayer {
    /// The layer (source [`LayerSource::Store`]).
    pub layer: Layer,
    /// One entry per feature, in the layer's feature order.
    pub rows: Vec<StoreRow>,
    /// The catalogue entry.
    pub info: LayerInfo,
}

/// The columns read per feature, in [`feature_from_parts`] order after fid and version.
const SELECT: &str = "fid, version, ST_AsEWKB(geom), props::text, extra::text";

/// Opens layer `name`: only the features whose geometry's box meets `bbox` (`[lon_min,
/// lat_min, lon_max, lat_max]`) and whose date span meets `range` (both days inclusive;
/// undated features are left out when a range is given), in the order they were published.
pub fn open_layer(
    client: &mut Client,
    name: &str,
    bbox: Option<[f64; 4]>,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<StoreLayer, DbError> {
    read(client, name, bbox, range, false)
}

/// [`open_layer`]; with `tag`, each feature's properties end with `atlas_fid` and
/// `atlas_version` (for export).
pub(crate) fn read(
    client: &mut Client,
    name: &str,
    bbox: Option<[f64; 4]>,
    range: Option<(NaiveDate, NaiveDate)>,
    tag: bool,
) -> Result<StoreLayer, DbError> {
    let info = layer_info(client, name)?;
    let what = format!("opening “{name}”");
    let extra: Option<String> = client
        .query_one("SELECT collection_extra::text FROM atlas.layers WHERE name = $1", &[&name])
        .map_err(DbError::during(&what))?
        .get(0);
    let url = server_url(client)?;
    let mut sql = format!("SELECT {SELECT} FROM {}", qualified(&info.table));
    let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let mut conditions = Vec::new();
    if let Some([x0, y0, x1, y1]) = bbox {
        conditions.push("geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)".to_owned());
        params.extend([Box::new(x0) as Box<dyn ToSql + Sync>, Box::new(y0), Box::new(x1), Box::new(y1)]);
    }
    if let Some((from, to)) = range {
        let n = params.len();
        conditions.push(format!("date_start <= ${} AND date_end >= ${}", n + 2, n + 1));
        params.extend([Box::new(from) as Box<dyn ToSql + Sync>, Box::new(to)]);
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(" ORDER BY ord");
    let mut features = Vec::new();
    let mut layouts = Vec::new();
    let mut rows = Vec::new();
    let mut it =
        client.query_raw(&sql, params.iter().map(|p| &**p as &(dyn ToSql + Sync))).map_err(DbError::during(&what))?;
    while let Some(row) = it.next().map_err(DbError::during(&what))? {
        let fid: Uuid = row.get(0);
        let version: i64 = row.get(1);
        let geom: Option<&[u8]> = row.get(2);
        let props: Option<&str> = row.get(3);
        let extra: Option<&str> = row.get(4);
        let mut f =
            feature_from_parts(geom, props, extra).map_err(|e| DbError::Data(format!("{what}: fid {fid}: {e}")))?;
        let form = if props.is_none() { PropertiesForm::Null } else { PropertiesForm::Object };
        let keys: &[&str] = if f.id.is_some() {
            &["type", "id", "geometry", "properties"]
        } else {
            &["type", "geometry", "properties"]
        };
        layouts.push(FeatureLayout::from_keys(keys.iter().copied(), form));
        if tag {
            f.properties.insert(super::export::FID_KEY.to_owned(), Value::from(fid.to_string()));
            f.properties.insert(super::export::VERSION_KEY.to_owned(), Value::from(version));
        }
        features.push(f);
        rows.push(StoreRow { fid, version });
    }
    drop(it);
    let mut layer = Layer::new(name, info.kind, LayerSource::Store { url, layer: name.to_owned() }, features);
    if let Some(text) = extra {
        match serde_json::from_str(&text) {
            Ok(Value::Object(m)) => layer.foreign_members = m,
            _ => return Err(DbError::Data(format!("{what}: the stored collection members are not an object"))),
        }
    }
    layer.layout.features = layouts;
    if layer.features.iter().any(|f| f.properties.contains_key("shapeName")) {
        layer.label_field = Some("shapeName".to_owned());
    }
    let _ = crate::model::assign_spans(&mut layer);
    Ok(StoreLayer { layer, rows, info })
}

/// `postgresql://role@host:port/database` of the session (never a password), for the layer's
/// source.
fn server_url(client: &mut Client) -> Result<String, DbError> {
    let row = client.query_one(
        "SELECT session_user::text, coalesce(host(inet_server_addr()), 'localhost'), \
         coalesce(inet_server_port(), 5432), current_database()::text",
        &[],
    )?;
    let (user, host, port, db): (String, String, i32, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    Ok(format!("postgresql://{user}@{host}:{port}/{db}"))
}

/// A feature from its stored parts: EWKB geometry, properties text, `extra` text (id and
/// foreign members). The date span is left for [`crate::model::assign_spans`].
pub fn feature_from_parts(geom: Option<&[u8]>, props: Option<&str>, extra: Option<&str>) -> Result<Feature, String> {
    let geometry = match geom {
        Some(bytes) => ewkb::decode(bytes)?,
        None => None,
    };
    let shape = match &geometry {
        Some(g) => Shape::from_geo(Some(&crate::io::geojson::geo_from_json(g)?)),
        None => Shape::from_geo(None),
    };
    let properties = match props {
        None => Map::new(),
        Some(text) => match serde_json::from_str(text).map_err(|e| format!("properties: {e}"))? {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => return Err("properties are not an object".to_owned()),
        },
    };
    let mut foreign_members = match extra {
        None => Map::new(),
        Some(text) => match serde_json::from_str(text).map_err(|e| format!("extra: {e}"))? {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => return Err("extra is not an object".to_owned()),
        },
    };
    let id = match foreign_members.shift_remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(FeatureId::Str(s)),
        Some(Value::Number(n)) => Some(FeatureId::Num(n)),
        Some(_) => return Err("the stored id is neither a string nor a number".to_owned()),
    };
    let skeleton = foreign_members.shift_remove(super::publish::GEOMETRY_SKELETON_KEY);
    let geometry = match (geometry, skeleton) {
        (Some(Value::Object(g)), Some(Value::Object(mut sk))) if sk.get("type") == g.get("type") => {
            for (k, v) in g {
                if let Some(slot) = sk.get_mut(&k) {
                    *slot = v;
                } else {
                    sk.insert(k, v);
                }
            }
            Some(Value::Object(sk))
        }
        (g, _) => g,
    };
    Ok(Feature { id, geometry, properties, foreign_members, shape, time: None })
}
