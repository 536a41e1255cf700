//! Features read straight from their JSON text, for the streamed conversion to a GeoPackage
//! ([`super::stream`]): the members are borrowed from the text (each property value as its
//! raw JSON text, [`RawValue`]) instead of being built into a [`serde_json::Value`] tree, and
//! a row's cells are written from that text — numbers parsed as their spelling, strings
//! unescaped once.
//!
//! Only the common shape is read this way: an object whose `type` is spelled `"Feature"`,
//! whose `id` is a string, a number or null, whose `properties` are an object or null, and
//! that has no other members. Anything else ([`RawFeature::parse`] gives `None`) is read as
//! before, through the `Value` tree, so its messages and notes stay the same. The cells and
//! the planner's column types are the ones the `Value` path gives for the same text
//! (`tests` compare them).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::ColType;
use crate::io::validate_stream::Outline;
use crate::model::FeatureId;

/// A GeoJSON feature borrowed from its text (see the module docs).
#[derive(Debug)]
pub struct RawFeature<'a> {
    /// The `id`'s text; `None` when absent or null.
    id: Option<&'a str>,
    /// The geometry's text; `None` when absent or null.
    geometry: Option<&'a str>,
    /// The properties, in their order, each value as its text.
    properties: Vec<(Cow<'a, str>, &'a str)>,
}

/// What a property value is, told from its first byte (the text is valid JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Integer,
    Real,
    String,
    Nested,
}

impl Kind {
    /// The kind of the JSON value spelled `text`; a number is an integer when it parses as
    /// an `i64`, as [`serde_json::Number::is_i64`] decides.
    pub(super) fn of(text: &str) -> Self {
        match text.as_bytes().first() {
            Some(b'n') => Self::Null,
            Some(b't' | b'f') => Self::Bool,
            Some(b'"') => Self::String,
            Some(b'{' | b'[') => Self::Nested,
            _ if text.parse::<i64>().is_ok() => Self::Integer,
            _ => Self::Real,
        }
    }

    /// The column type this value asks for, as [`ColType::of`] gives it.
    pub(super) fn col_type(self) -> Option<ColType> {
        Some(match self {
            Self::Null => return None,
            Self::Bool => ColType::Boolean,
            Self::Integer => ColType::Integer,
            Self::Real => ColType::Real,
            Self::String => ColType::Text,
            Self::Nested => ColType::Json,
        })
    }
}

impl<'a> RawFeature<'a> {
    /// Reads `text` as a feature of the common shape; `None` when it is not one (or is not
    /// JSON): such a feature is read through the `Value` tree.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut de = serde_json::Deserializer::from_str(text);
        let feature = Self::deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(feature)
    }

    /// The feature `text` whose members the validator's quick check found where `outline`
    /// says ([`crate::io::validate_stream::stream_elements`]): what [`RawFeature::parse`]
    /// reads from the same text, without parsing it again; `None` when the feature has other
    /// members (which [`RawFeature::parse`] does not take either).
    pub fn from_outline(text: &'a str, outline: &Outline) -> Option<Self> {
        if outline.foreign {
            return None;
        }
        let span = |(a, b): (usize, usize)| text.get(a..b);
        let id = match outline.id {
            Some(at) => Some(span(at)?),
            None => None,
        };
        let geometry = match outline.geometry {
            Some(at) => Some(span(at)?),
            None => None,
        };
        let properties = outline
            .properties
            .iter()
            .map(|&(k, v)| Some((Cow::Borrowed(span(k)?), span(v)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(Self { id, geometry, properties })
    }

    /// Whether the feature has no properties (absent, null or `{}`).
    pub fn properties_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// The properties, each with its value's text.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &'a str)> + '_ {
        self.properties.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    /// The geometry's text, when it has one.
    pub fn geometry_text(&self) -> Option<&'a str> {
        self.geometry
    }

    /// The geometry as a JSON value (what the encoders of [`super::wkb`] read).
    pub fn geometry(&self) -> Result<Option<Value>, String> {
        self.geometry.map(|g| serde_json::from_str::<Value>(g).map_err(|e| e.to_string())).transpose()
    }

    /// The feature's id, as the `Value` loader reads it.
    pub fn id(&self) -> Result<Option<FeatureId>, String> {
        let Some(text) = self.id else { return Ok(None) };
        if text.starts_with('"') {
            serde_json::from_str::<String>(text).map(|s| Some(FeatureId::Str(s))).map_err(|e| e.to_string())
        } else {
            serde_json::from_str::<serde_json::Number>(text).map(|n| Some(FeatureId::Num(n))).map_err(|e| e.to_string())
        }
    }

    /// The id's text, when it has one.
    pub(super) fn id_text(&self) -> Option<&'a str> {
        self.id
    }

    /// The `n`th property and its value's text.
    pub(super) fn property_at(&self, n: usize) -> Option<(&str, &'a str)> {
        self.properties.get(n).map(|(k, v)| (k.as_ref(), *v))
    }

    /// The property `key`'s value text (the last one when the key repeats, as the `Value`
    /// loader keeps it).
    pub(crate) fn property(&self, key: &str) -> Option<&'a str> {
        self.properties.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// The position of a geometry spelled exactly `{"type":"Point","coordinates":[X,Y]}` (how
/// writers, this one's included, write a 2D point), when both numbers are finite and in the
/// WGS84 ranges (the loader's check of a point, [`crate::io::geojson::geo_from_json`]); any
/// other geometry is read as JSON.
pub fn plain_point(text: &str) -> Option<(f64, f64)> {
    let inner = text.strip_prefix(r#"{"type":"Point","coordinates":["#)?.strip_suffix("]}")?;
    let (x, y) = inner.split_once(',')?;
    // The text is valid JSON (pass 1 validated it), so these are JSON numbers.
    let number = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite());
    let (x, y) = (number(x)?, number(y)?);
    ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).then_some((x, y))
}

/// The text of the JSON string `text` (quotes included), unescaped only when it has escapes.
pub(super) fn unquote(text: &str) -> Cow<'_, str> {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
        _ => serde_json::from_str::<String>(text).map_or(Cow::Borrowed(""), Cow::Owned),
    }
}

/// A member name, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The properties member: an object (each value as its text) or null.
struct Properties<'a>(Vec<(Cow<'a, str>, &'a str)>);

impl<'de> Deserialize<'de> for Properties<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PropertiesVisitor;
        impl<'de> Visitor<'de> for PropertiesVisitor {
            type Value = Properties<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Properties(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    members.push((k, map.next_value::<&'de RawValue>()?.get()));
                }
                Ok(Properties(members))
            }
        }
        deserializer.deserialize_any(PropertiesVisitor)
    }
}

impl<'de> Deserialize<'de> for RawFeature<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FeatureVisitor;
        impl<'de> Visitor<'de> for FeatureVisitor {
            type Value = RawFeature<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a GeoJSON Feature")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut feature = RawFeature { id: None, geometry: None, properties: Vec::new() };
                let mut typed = false;
                let null = |v: &RawValue| v.get() == "null";
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    match k.as_ref() {
                        "type" => {
                            let v = map.next_value::<&'de RawValue>()?;
                            if v.get() != "\"Feature\"" {
                                return Err(de::Error::custom("not a Feature"));
                            }
                            typed = true;
                        }
                        "id" => {
                            let v = map.next_value::<&'de RawValue>()?;
                            feature.id = match Kind::of(v.get()) {
                                Kind::Null => None,
                                Kind::String | Kind::Integer | Kind::Real => Some(v.get()),
                                Kind::Bool | Kind::Nested => return Err(de::Error::custom("an id of another kind")),
                            };
                        }
                        "geometry" => {
                            let v = map.next_value::<&'de RawValue>()?;
                            feature.geometry = (!null(v)).then_some(v.get());
                        }
                        "properties" => feature.properties = map.next_value::<Properties<'de>>()?.0,
                        _ => {
                            // Foreign members: read through the `Value` tree, which keeps them.
                            map.next_value::<IgnoredAny>()?;
                            return Err(de::Error::custom("foreign members"));
                        }
                    }
                }
                if !typed {
                    return Err(de::Error::custom("no type"));
                }
                Ok(feature)
            }
        }
        deserializer.deserialize_map(FeatureVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_match_the_value_tree() {
        for text in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "12",
            "-7",
            "1.5",
            "1e5",
            "1E-2",
            "9223372036854775808",
            "-9223372036854775809",
            "1e400",
            "\"a\"",
            "\"\\u00e9\"",
            "[1]",
            "{\"a\":1}",
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(Kind::of(text).col_type(), ColType::of(&value), "{text}");
        }
    }

    #[test]
    fn only_the_common_shape_is_read_raw() {
        let ok = r#"{"type":"Feature","id":"x","geometry":null,"properties":{"a":1,"b\u00e9":"t"}}"#;
        let f = RawFeature::parse(ok).unwrap();
        assert_eq!(f.properties().collect::<Vec<_>>(), vec![("a", "1"), ("bé", "\"t\"")]);
        assert_eq!(f.id().unwrap(), Some(FeatureId::Str("x".to_owned())));
        assert!(f.geometry_text().is_none());
        for other in [
            r#"{"type":"Feature","properties":null,"crs":{}}"#,
            r#"{"type":"feature","properties":null}"#,
            r#"{"type":"Fe\u0061ture","properties":null}"#,
            r#"{"type":"Feature","id":true}"#,
            r#"{"type":"Feature","properties":[1]}"#,
            r#"{"type":"Feature","properties":3}"#,
            r#"{"properties":{}}"#,
            r"[1]",
            r#"{"type":"Feature"} x"#,
        ] {
            assert!(RawFeature::parse(other).is_none(), "{other}");
        }
    }

    /// A feature read from the validator's outline is the one parsed from its text.
    #[test]
    fn an_outline_reads_as_the_text_parses() {
        for text in [
            r#"{"type":"Feature","id":"x","geometry":null,"properties":{"a":1,"b":"t","c":[1,{"d":null}]}}"#,
            r#" { "id" : -1.5e2 , "type" : "Feature" , "geometry" : {"type":"Point","coordinates":[1,2]} , "properties" : null } "#,
            r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]},"properties":{}}"#,
            r#"{"properties":{"z":true,"y":false},"geometry":null,"type":"Feature","id":7}"#,
        ] {
            let outline = crate::io::validate_stream::outline_of(text).unwrap();
            let (a, b) = (RawFeature::from_outline(text, &outline).unwrap(), RawFeature::parse(text).unwrap());
            assert_eq!(a.properties().collect::<Vec<_>>(), b.properties().collect::<Vec<_>>(), "{text}");
            assert_eq!((a.id_text(), a.geometry_text()), (b.id_text(), b.geometry_text()), "{text}");
        }
        let foreign = r#"{"type":"Feature","geometry":null,"properties":null,"x":1}"#;
        let outline = crate::io::validate_stream::outline_of(foreign).unwrap();
        assert!(RawFeature::from_outline(foreign, &outline).is_none());
        assert!(RawFeature::parse(foreign).is_none());
    }

    #[test]
    fn only_plain_points_in_range_are_read_as_text() {
        assert_eq!(plain_point(r#"{"type":"Point","coordinates":[69.5,-37.25]}"#), Some((69.5, -37.25)));
        assert_eq!(plain_point(r#"{"type":"Point","coordinates":[1E2,0]}"#), Some((100.0, 0.0)));
        for other in [
            r#"{"type":"Point","coordinates":[69.5,37.25,1]}"#,
            r#"{"type":"Point","coordinates":[190,37]}"#,
            r#"{"type":"Point","coordinates":[69,91]}"#,
            r#"{"type":"Point","coordinates":[1e400,0]}"#,
            r#"{"type":"Point","coordinates":[]}"#,
            r#"{"type": "Point","coordinates":[69,37]}"#,
            r#"{"coordinates":[69,37],"type":"Point"}"#,
            r#"{"type":"Point","coordinates":[[69,37]]}"#,
        ] {
            assert_eq!(plain_point(other), None, "{other}");
        }
    }

    #[test]
    fn strings_are_unescaped_only_when_they_have_escapes() {
        assert!(matches!(unquote("\"plain\""), Cow::Borrowed("plain")));
        assert_eq!(unquote(r#""a\"b\u00e9\n""#), "a\"bé\n");
    }
}
