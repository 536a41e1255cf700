//! Names in the store: quoting identifiers and literals, the catalogue of layers
//! (`atlas.layers`), and whether the session may edit a layer.

use postgres::Client;

use super::DbError;
use crate::model::LayerKind;

/// The schema holding everything of the store.
pub const SCHEMA: &str = "atlas";

/// `name` as an SQL identifier in double quotes (inner quotes doubled), safe for any text
/// without NUL.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as an SQL string literal (quotes doubled). Backslashes stay literal under
/// `standard_conforming_strings`, the default since `PostgreSQL` 9.1; statements built with it
/// set that on in the same transaction.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `atlas."table"`, quoted.
pub fn qualified(table: &str) -> String {
    format!("{}.{}", quote_ident(SCHEMA), quote_ident(table))
}

/// Every layer kind, for reading back its stored label.
const KINDS: [LayerKind; 11] = [
    LayerKind::Countries,
    LayerKind::Provinces,
    LayerKind::Districts,
    LayerKind::Regions,
    LayerKind::Lakes,
    LayerKind::Rivers,
    LayerKind::Border,
    LayerKind::Places,
    LayerKind::Events,
    LayerKind::Aid,
    LayerKind::Generic,
];

/// The kind whose [`LayerKind::label`] is `label` (generic for anything else).
pub fn kind_from_label(label: &str) -> LayerKind {
    KINDS.into_iter().find(|k| k.label() == label).unwrap_or(LayerKind::Generic)
}

/// A table name for a new layer: a readable slug of the name plus a random suffix, so any
/// layer name (quotes, semicolons, 200 characters) gives a short, unique, harmless table name.
pub fn new_table_name(layer: &str) -> String {
    let mut slug: String =
        layer.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(40).collect();
    if slug.trim_matches('_').is_empty() {
        "layer".clone_into(&mut slug);
    }
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("l_{}_{}", slug.trim_matches('_'), &suffix[..8])
}

/// One stored layer as the catalogue lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    /// The layer's name (any text).
    pub name: String,
    /// Its table in schema `atlas` (unquoted).
    pub table: String,
    /// What the layer is.
    pub kind: LayerKind,
    /// Whether some geometry has Z values.
    pub has_z: bool,
    /// The geometry type all features share, or `Geometry` when mixed.
    pub geometry_type: String,
    /// The role that published it.
    pub created_by: String,
}

const INFO_SQL: &str = "SELECT name, table_name, coalesce(kind, ''), coalesce(has_z, false), \
     coalesce(geometry_type, 'Geometry'), coalesce(created_by, '') FROM atlas.layers";

fn info_of(row: &postgres::Row) -> LayerInfo {
    LayerInfo {
        name: row.get(0),
        table: row.get(1),
        kind: kind_from_label(row.get(2)),
        has_z: row.get(3),
        geometry_type: row.get(4),
        created_by: row.get(5),
    }
}

/// The layers in the store, by name.
pub fn list_layers(client: &mut Client) -> Result<Vec<LayerInfo>, DbError> {
    let rows = client.query(&format!("{INFO_SQL} ORDER BY name"), &[]).map_err(DbError::during("listing layers"))?;
    Ok(rows.iter().map(info_of).collect())
}

/// The catalogue entry of layer `name`, or [`DbError::NoSuchLayer`] listing those there are.
pub fn layer_info(client: &mut Client, name: &str) -> Result<LayerInfo, DbError> {
    let row = client
        .query_opt(&format!("{INFO_SQL} WHERE name = $1"), &[&name])
        .map_err(DbError::during("looking up the layer"))?;
    match row {
        Some(row) => Ok(info_of(&row)),
        None => Err(DbError::NoSuchLayer {
            name: name.to_owned(),
            layers: list_layers(client)?.into_iter().map(|l| l.name).collect(),
        }),
    }
}

/// The quoted, schema-qualified table of layer `name` (`"atlas"."l_posts_1a2b3c4d"`).
pub fn table_of(client: &mut Client, name: &str) -> Result<String, DbError> {
    layer_info(client, name).map(|info| qualified(&info.table))
}

/// Whether the session's role may edit layer `name`: `None` if it may, otherwise why not, in
/// words for the layers panel (asked of the server, `has_table_privilege`).
pub fn can_edit(client: &mut Client, name: &str) -> Result<Option<String>, DbError> {
    let info = layer_info(client, name)?;
    let table = qualified(&info.table);
    let row = client
        .query_one(
            "SELECT session_user::text, has_table_privilege($1, 'INSERT'), has_table_privilege($1, 'UPDATE'), \
             has_table_privilege($1, 'DELETE')",
            &[&table],
        )
        .map_err(DbError::during("checking privileges"))?;
    let (who, ins, upd, del): (String, bool, bool, bool) = (row.get(0), row.get(1), row.get(2), row.get(3));
    if ins && upd && del {
        return Ok(None);
    }
    let missing: Vec<&str> =
        [("add", ins), ("change", upd), ("delete", del)].into_iter().filter(|(_, ok)| !ok).map(|(w, _)| w).collect();
    Ok(Some(format!(
        "read-only: your role “{who}” may not {} features of “{name}” (ask an owner to grant it atlas_analyst)",
        missing.join(" or ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident(r#"posts"; DROP TABLE x; --"#), r#""posts""; DROP TABLE x; --""#);
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(qualified("t"), "\"atlas\".\"t\"");
    }

    #[test]
    fn table_names_are_short_safe_and_unique() {
        let a = new_table_name(r#"posts"; DROP TABLE x; --"#);
        assert!(a.starts_with("l_posts___drop_table_x_"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert_ne!(a, new_table_name(r#"posts"; DROP TABLE x; --"#));
        assert!(new_table_name(&"é".repeat(300)).len() < 63);
        assert!(new_table_name("Ω").starts_with("l_layer_"));
    }

    #[test]
    fn kinds_read_back_from_their_labels() {
        for k in KINDS {
            assert_eq!(kind_from_label(k.label()), k);
        }
        assert_eq!(kind_from_label("nonsense"), LayerKind::Generic);
    }
}
