//! Exporting a store layer to a file (GeoJSON or GeoPackage, by extension, through
//! [`crate::io::open::write_layer`]).
//!
//! Each feature carries its store identity so the file can be edited in any tool and pushed
//! back (`db push`): as the last two **properties**, `atlas_fid` (the UUID as text) and
//! `atlas_version` (an integer). Properties, not foreign members, because QGIS/OGR keep
//! attributes but drop unknown members of a GeoJSON Feature, and a GeoPackage has only columns.
//! The feature's own `id` and (in GeoJSON) foreign members are written as they were published.

use std::path::Path;

use postgres::Client;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::DbError;

/// The property holding a feature's store id in exported files.
pub const FID_KEY: &str = "atlas_fid";
/// The property holding the version a feature was exported at.
pub const VERSION_KEY: &str = "atlas_version";

/// The collection member of an exported GeoJSON file naming the layer and the change-log
/// position it was read at: `"atlas_export": {"layer": NAME, "seq": N}` (`db push` tells a
/// feature deleted in the file from one added to the store since by it).
pub const EXPORT_KEY: &str = "atlas_export";

/// Exports layer `name` to `out` (atomic write), read in one snapshot together with the
/// change log's last `seq` ([`EXPORT_KEY`]). Returns what the format could not keep.
pub fn export(client: &mut Client, name: &str, out: &Path) -> Result<Vec<String>, DbError> {
    let what = format!("exporting “{name}”");
    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").map_err(DbError::during(&what))?;
    let read = (|| {
        let seq: i64 = client
            .query_one("SELECT coalesce(max(seq), 0) FROM atlas.changes", &[])
            .map_err(DbError::during(&what))?
            .get(0);
        let store = super::open::read(client, name, None, None, super::open::Tag::Export)?;
        Ok::<_, DbError>((seq, store))
    })();
    let end = client.batch_execute(if read.is_ok() { "COMMIT" } else { "ROLLBACK" });
    let (seq, mut store) = read?;
    end.map_err(DbError::during(&what))?;
    let mut stamp = Map::new();
    stamp.insert("layer".to_owned(), Value::from(name));
    stamp.insert("seq".to_owned(), Value::from(seq));
    store.layer.foreign_members.insert(EXPORT_KEY.to_owned(), Value::Object(stamp));
    crate::io::open::write_layer(&store.layer, out).map_err(DbError::File)
}

/// Removes [`FID_KEY`] and [`VERSION_KEY`] from `props`, returning their values (`None` when
/// absent); a malformed value is an error naming it.
pub fn take_store_keys(props: &mut Map<String, Value>) -> Result<(Option<Uuid>, Option<i64>), String> {
    let fid = match props.shift_remove(FID_KEY) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(Uuid::parse_str(s.trim()).map_err(|e| format!("{FID_KEY} `{s}` is not a UUID: {e}"))?)
        }
        Some(other) => return Err(format!("{FID_KEY} must be a UUID string, found {other}")),
    };
    let version = match props.shift_remove(VERSION_KEY) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => {
            Some(n.as_i64().ok_or_else(|| format!("{VERSION_KEY} must be a whole number, found {n}"))?)
        }
        Some(Value::String(s)) => {
            Some(s.trim().parse().map_err(|e| format!("{VERSION_KEY} must be a whole number, found `{s}` ({e})"))?)
        }
        Some(other) => return Err(format!("{VERSION_KEY} must be a whole number, found {other}")),
    };
    Ok((fid, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn store_keys_come_off_and_bad_ones_are_named() {
        let Value::Object(mut m) =
            json!({"a": 1, "atlas_fid": "67e55044-10b1-426f-9247-bb680e5fe0c8", "atlas_version": 3})
        else {
            unreachable!()
        };
        let (fid, v) = take_store_keys(&mut m).unwrap();
        assert_eq!(fid.unwrap().to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(v, Some(3));
        assert_eq!(Value::Object(m).to_string(), r#"{"a":1}"#);
        let Value::Object(mut bad) = json!({"atlas_fid": "nope"}) else { unreachable!() };
        assert!(take_store_keys(&mut bad).unwrap_err().contains("`nope` is not a UUID"));
    }
}
