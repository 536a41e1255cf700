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
use crate::io::geojson_fast::FeaturePacker;
use crate::model::{Feature, FeatureId, Layer, LayerSource};
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

/// Rows packed per batch (each batch is packed on every core while the next is read).
const BATCH: usize = 16 * 1024;

/// What each opened feature carries of its store identity.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tag<'a> {
    /// Nothing: the features as published.
    None,
    /// `atlas_fid` and `atlas_version` as the last properties (for export).
    Export,
    /// The fid as the last foreign member of this name (the app's store layers).
    Member(&'a str),
}

/// Opens layer `name`: only the features whose geometry's box meets `bbox` (`[lon_min,
/// lat_min, lon_max, lat_max]`) and whose date span meets `range` (both days inclusive;
/// undated features are left out when a range is given), in the order they were published.
///
/// The rows are streamed from the server and packed into the columnar store as the file
/// loaders pack a GeoJSON file ([`crate::io::geojson_fast::FeaturePacker`]): each row becomes
/// its Feature object's text (kept LZ4-packed and decoded only when asked for) with its shape,
/// date span and category in columns, so a whole million-event layer opens at file speed.
pub fn open_layer(
    client: &mut Client,
    name: &str,
    bbox: Option<[f64; 4]>,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<StoreLayer, DbError> {
    read(client, name, bbox, range, Tag::None)
}

/// [`open_layer`], each feature carrying its fid as its last foreign member `member` (the
/// app's store layers find a feature's fid there, packed or not).
pub fn open_layer_with_fids(
    client: &mut Client,
    name: &str,
    bbox: Option<[f64; 4]>,
    range: Option<(NaiveDate, NaiveDate)>,
    member: &str,
) -> Result<StoreLayer, DbError> {
    read(client, name, bbox, range, Tag::Member(member))
}

/// [`open_layer`] with each feature tagged as `tag` says.
pub(crate) fn read(
    client: &mut Client,
    name: &str,
    bbox: Option<[f64; 4]>,
    range: Option<(NaiveDate, NaiveDate)>,
    tag: Tag<'_>,
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
    let label = format!("store layer “{name}”");
    let mut rows = Vec::new();
    // The rows are read and turned into texts here while a second thread packs the previous
    // batch on every core.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<String>>(2);
    let packed = std::thread::scope(|scope| {
        let packer = scope.spawn(|| {
            let mut packer = FeaturePacker::new(&label, Some(info.kind));
            let mut ok = true;
            for batch in rx {
                if ok {
                    let texts: Vec<&str> = batch.iter().map(String::as_str).collect();
                    ok = packer.pack(&texts);
                }
            }
            ok.then_some(packer)
        });
        let streamed = (|| {
            let mut it = client
                .query_raw(&sql, params.iter().map(|p| &**p as &(dyn ToSql + Sync)))
                .map_err(DbError::during(&what))?;
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(row) = it.next().map_err(DbError::during(&what))? {
                let fid: Uuid = row.get(0);
                let version: i64 = row.get(1);
                let mut text = String::with_capacity(256);
                feature_text(&mut text, row.get(2), row.get(3), row.get(4), tag, fid, version)
                    .map_err(|e| DbError::Data(format!("{what}: fid {fid}: {e}")))?;
                batch.push(text);
                rows.push(StoreRow { fid, version });
                if batch.len() == BATCH && tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err() {
                    break;
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            Ok::<_, DbError>(())
        })();
        drop(tx);
        let packer = packer.join();
        streamed.map(|()| packer)
    })?;
    let Ok(Some(packer)) = packed else {
        return Err(DbError::Data(format!("{what}: a stored row does not make a readable feature")));
    };
    let mut root = Map::new();
    root.insert("type".to_owned(), Value::from("FeatureCollection"));
    root.insert("features".to_owned(), Value::Null);
    let loaded = packer
        .finish(root, name, LayerSource::Store { url, layer: name.to_owned() })
        .map_err(|e| DbError::Data(format!("{what}: {e}")))?;
    let mut layer = loaded.layer;
    if layer.features.len() != rows.len() {
        return Err(DbError::Data(format!(
            "{what}: {} of {} stored rows do not make features: {}",
            rows.len().saturating_sub(layer.features.len()),
            rows.len(),
            loaded.skipped.join("; ")
        )));
    }
    layer.layout.root = crate::model::SourceLayout::default().root;
    if let Some(text) = extra {
        match serde_json::from_str(&text) {
            Ok(Value::Object(m)) => layer.foreign_members = m,
            _ => return Err(DbError::Data(format!("{what}: the stored collection members are not an object"))),
        }
    }
    Ok(StoreLayer { layer, rows, info })
}

/// Writes the GeoJSON Feature object text of a stored row to `out`: its `id`, geometry (with
/// its stored layout, [`super::publish::GEOMETRY_SKELETON_KEY`]), properties text as stored and
/// foreign members, in the order [`feature_from_parts`] gives them, and the store identity as
/// `tag` says. The text decodes to the feature [`feature_from_parts`] builds.
fn feature_text(
    out: &mut String,
    geom: Option<&[u8]>,
    props: Option<&str>,
    extra: Option<&str>,
    tag: Tag<'_>,
    fid: Uuid,
    version: i64,
) -> Result<(), String> {
    let mut members = match extra {
        None => Map::new(),
        Some(text) => match serde_json::from_str(text).map_err(|e| format!("extra: {e}"))? {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => return Err("extra is not an object".to_owned()),
        },
    };
    let id = members.shift_remove("id");
    if !matches!(id, None | Some(Value::Null | Value::String(_) | Value::Number(_))) {
        return Err("the stored id is neither a string nor a number".to_owned());
    }
    let skeleton = members.shift_remove(super::publish::GEOMETRY_SKELETON_KEY);
    out.push_str("{\"type\":\"Feature\"");
    if let Some(id @ (Value::String(_) | Value::Number(_))) = &id {
        out.push_str(",\"id\":");
        out.push_str(&id.to_string());
    }
    out.push_str(",\"geometry\":");
    match (geom, skeleton) {
        (None, _) => out.push_str("null"),
        (Some(bytes), None) if point_text(bytes, out) => {}
        (Some(bytes), skeleton) => {
            let geometry = ewkb::decode(bytes)?;
            if let Some(g) = &geometry {
                crate::io::geojson::geo_from_json(g)?;
            }
            let geometry = with_skeleton(geometry, skeleton);
            out.push_str(&geometry.unwrap_or(Value::Null).to_string());
        }
    }
    out.push_str(",\"properties\":");
    match (props.map(str::trim), tag) {
        (props, Tag::Export) => {
            let mut map = match props.map(serde_json::from_str).transpose().map_err(|e| format!("properties: {e}"))? {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m,
                Some(_) => return Err("properties are not an object".to_owned()),
            };
            map.insert(super::export::FID_KEY.to_owned(), Value::from(fid.to_string()));
            map.insert(super::export::VERSION_KEY.to_owned(), Value::from(version));
            out.push_str(&Value::Object(map).to_string());
        }
        (None, _) => out.push_str("null"),
        (Some(text), _) if text.starts_with('{') || text == "null" => out.push_str(text),
        (Some(_), _) => return Err("properties are not an object".to_owned()),
    }
    for (k, v) in &members {
        out.push(',');
        out.push_str(&Value::from(k.as_str()).to_string());
        out.push(':');
        out.push_str(&v.to_string());
    }
    if let Tag::Member(member) = tag {
        out.push(',');
        out.push_str(&Value::from(member).to_string());
        out.push_str(":\"");
        out.push_str(&fid.to_string());
        out.push('"');
    }
    out.push('}');
    Ok(())
}

/// A 2-D or 3-D EWKB point (little-endian, as PostGIS writes it) as GeoJSON text, with the
/// numbers spelled as [`ewkb::decode`] spells them; false (nothing written) for anything
/// else, which takes the general path.
fn point_text(b: &[u8], out: &mut String) -> bool {
    const Z_FLAG: u32 = 0x8000_0000;
    const M_FLAG: u32 = 0x4000_0000;
    const SRID_FLAG: u32 = 0x2000_0000;
    let word = |at: usize| b.get(at..at + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()).map(u32::from_le_bytes);
    let num = |at: usize| b.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map(f64::from_le_bytes);
    if b.first() != Some(&1) {
        return false;
    }
    let Some(ty) = word(1) else { return false };
    if ty & !(Z_FLAG | SRID_FLAG) != 1 || ty & M_FLAG != 0 {
        return false;
    }
    let at = if ty & SRID_FLAG == 0 { 5 } else { 9 };
    let dims = if ty & Z_FLAG == 0 { 2 } else { 3 };
    if b.len() != at + 8 * dims {
        return false;
    }
    let coords: Vec<serde_json::Number> =
        (0..dims).filter_map(|k| num(at + 8 * k).and_then(serde_json::Number::from_f64)).collect();
    if coords.len() != dims {
        // An empty point (NaNs) or a non-finite one: the general path says which.
        return false;
    }
    out.push_str("{\"type\":\"Point\",\"coordinates\":[");
    for (k, c) in coords.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(&c.to_string());
    }
    out.push_str("]}");
    true
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
    let geometry = with_skeleton(geometry, skeleton);
    Ok(Feature { id, geometry, properties, foreign_members, shape, time: None })
}

/// The stored geometry with the members and order of the published one's skeleton (its
/// foreign members and member order), when both are of the same type.
fn with_skeleton(geometry: Option<Value>, skeleton: Option<Value>) -> Option<Value> {
    match (geometry, skeleton) {
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
    }
}
