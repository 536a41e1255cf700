//! Per-field three-way merge of one feature (issue 12): base (the version the analyst started
//! from), mine (the analyst's edit) and theirs (what the store holds now).
//!
//! Each property is a field, the geometry is one field, each of the feature's other members
//! (its `id` and foreign members) is a field, and the feature's existence is a state (`None` =
//! deleted, or not yet inserted). For every field:
//! - changed on one side only → that side's value (a *merge*, reported by field);
//! - changed on both sides to the same value → that value, no conflict;
//! - changed on both sides differently → a *conflict* with base, mine and theirs.
//!
//! Whole features: update vs delete (either way round) is a conflict on every field the
//! updating side changed (a delete against a side that changed nothing simply deletes); delete
//! vs delete is fine; insert vs insert of the same fid conflicts on each field that differs,
//! and identical inserts merge to nothing.
//!
//! **Equality is the exact JSON text** (`serde_json` with `preserve_order` and
//! `arbitrary_precision`): `1.0` and `1` are different values, as are `{"a":1,"b":2}` and
//! `{"b":2,"a":1}`, because the store keeps every value's exact text and a rewrite of `1.0` as
//! `1` is a change someone made (by hand or by their tool). Strings compare by their characters
//! (`"\u00e9"` and `"é"` are one string). A missing key and a `null` value differ.
//! **Geometries** are compared as PostGIS keeps them: the same type and the same coordinates as
//! `f64` (so `30.50` and `30.5` are one coordinate), nested `geometries` likewise; other members
//! of a geometry object (`bbox`) do not count.
//!
//! Key order of the result: theirs' keys in their order, then mine's new keys in mine's order.

use std::fmt;

use serde_json::{Map, Value};

/// One version of a feature's content, as the merge sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Version {
    /// The GeoJSON geometry object (`None`: a null geometry).
    pub geometry: Option<Value>,
    /// The properties, in order.
    pub properties: Map<String, Value>,
    /// The feature's other members: `id` (when it has one) and foreign members, in order.
    pub extra: Map<String, Value>,
}

impl Version {
    /// Whether two versions hold the same content under this module's equality.
    pub fn same_as(&self, other: &Self) -> bool {
        geometry_eq_opt(self.geometry.as_ref(), other.geometry.as_ref())
            && map_eq(&self.properties, &other.properties)
            && map_eq(&self.extra, &other.extra)
    }
}

/// A field of a feature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// The geometry.
    Geometry,
    /// A property, by key.
    Property(String),
    /// A member of the feature other than its properties and geometry (`id`, foreign members).
    Extra(String),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Geometry => f.write_str("geometry"),
            Self::Property(key) => f.write_str(key),
            Self::Extra(key) => write!(f, "(member {key})"),
        }
    }
}

/// One side's value of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The feature does not exist on this side (deleted, or not inserted yet).
    Deleted,
    /// The feature exists but the field is missing (a key not present, a null geometry).
    Absent,
    /// The value (a GeoJSON geometry object for [`Field::Geometry`]).
    Value(Value),
}

impl fmt::Display for Cell {
    /// `(deleted)`, `(none)` or the value's compact JSON text (strings quoted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deleted => f.write_str("(deleted)"),
            Self::Absent => f.write_str("(none)"),
            Self::Value(v) => write!(f, "{v}"),
        }
    }
}

/// A field both sides changed differently.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldConflict {
    /// Which field.
    pub field: Field,
    /// Its value in the common base.
    pub base: Cell,
    /// The analyst's value.
    pub mine: Cell,
    /// The store's current value.
    pub theirs: Cell,
}

/// What a three-way merge found.
#[expect(clippy::large_enum_variant, reason = "one per feature in a push, never stored in bulk")]
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No conflict.
    Clean {
        /// The merged feature (`None`: deleted).
        result: Option<Version>,
        /// Fields whose value came from mine (mine changed them, theirs did not).
        mine: Vec<Field>,
        /// Fields whose value came from theirs (theirs changed them, mine did not).
        theirs: Vec<Field>,
        /// Whether the result differs from theirs, i.e. something must be written.
        write: bool,
    },
    /// Conflicts, one per field; nothing of mine may be written for this feature.
    Conflict(Vec<FieldConflict>),
}

/// Three-way merge of one feature. `None` means the feature does not exist on that side: a
/// `None` base is an insert, a `None` mine a delete, a `None` theirs a feature the store no
/// longer (or not yet) has.
pub fn merge(base: Option<&Version>, mine: Option<&Version>, theirs: Option<&Version>) -> Outcome {
    match (mine, theirs) {
        // Both sides deleted it (or neither has it): nothing to do.
        (None, None) => clean(None, Vec::new(), Vec::new(), false),
        // Mine deletes; theirs may have changed it since.
        (None, Some(t)) => {
            let changed = base.map_or_else(|| fields_of(t), |b| changed_fields(b, t));
            if changed.is_empty() {
                clean(None, Vec::new(), Vec::new(), true)
            } else {
                let b = base.cloned().unwrap_or_default();
                let fields = changed
                    .into_iter()
                    .map(|field| FieldConflict {
                        base: if base.is_some() { cell(&b, &field) } else { Cell::Deleted },
                        mine: Cell::Deleted,
                        theirs: cell(t, &field),
                        field,
                    })
                    .collect();
                Outcome::Conflict(fields)
            }
        }
        // Theirs deleted it (or never had it); mine has it.
        (Some(m), None) => match base {
            // A plain insert.
            None => clean(Some(m.clone()), fields_of(m), Vec::new(), true),
            Some(b) => {
                let changed = changed_fields(b, m);
                if changed.is_empty() {
                    // Mine changed nothing: their delete stands.
                    clean(None, Vec::new(), Vec::new(), false)
                } else {
                    Outcome::Conflict(
                        changed
                            .into_iter()
                            .map(|field| FieldConflict {
                                base: cell(b, &field),
                                mine: cell(m, &field),
                                theirs: Cell::Deleted,
                                field,
                            })
                            .collect(),
                    )
                }
            }
        },
        (Some(m), Some(t)) => match base {
            // Insert vs insert of the same fid: identical or a conflict on each differing field.
            None => {
                let differing = changed_fields(t, m);
                if differing.is_empty() {
                    clean(Some(t.clone()), Vec::new(), Vec::new(), false)
                } else {
                    Outcome::Conflict(
                        differing
                            .into_iter()
                            .map(|field| FieldConflict {
                                base: Cell::Deleted,
                                mine: cell(m, &field),
                                theirs: cell(t, &field),
                                field,
                            })
                            .collect(),
                    )
                }
            }
            Some(b) => merge_fields(b, m, t),
        },
    }
}

fn clean(result: Option<Version>, mine: Vec<Field>, theirs: Vec<Field>, write: bool) -> Outcome {
    Outcome::Clean { result, mine, theirs, write }
}

/// Both sides hold the feature: merge field by field.
fn merge_fields(b: &Version, m: &Version, t: &Version) -> Outcome {
    let mut conflicts = Vec::new();
    let mut from_mine = Vec::new();
    let mut from_theirs = Vec::new();

    let (gb, gm, gt) = (b.geometry.as_ref(), m.geometry.as_ref(), t.geometry.as_ref());
    let geometry = match pick(gb, gm, gt, geometry_eq) {
        Pick::Conflict => {
            conflicts.push(FieldConflict {
                field: Field::Geometry,
                base: opt_cell(gb),
                mine: opt_cell(gm),
                theirs: opt_cell(gt),
            });
            None
        }
        Pick::Mine => {
            from_mine.push(Field::Geometry);
            m.geometry.clone()
        }
        Pick::Theirs(changed) => {
            if changed {
                from_theirs.push(Field::Geometry);
            }
            t.geometry.clone()
        }
    };
    let mut sides = Sides { conflicts: &mut conflicts, mine: &mut from_mine, theirs: &mut from_theirs };
    let properties = merge_map(&b.properties, &m.properties, &t.properties, Field::Property, &mut sides);
    let extra = merge_map(&b.extra, &m.extra, &t.extra, Field::Extra, &mut sides);
    if !conflicts.is_empty() {
        return Outcome::Conflict(conflicts);
    }
    let write = !from_mine.is_empty();
    clean(Some(Version { geometry, properties, extra }), from_mine, from_theirs, write)
}

struct Sides<'a> {
    conflicts: &'a mut Vec<FieldConflict>,
    mine: &'a mut Vec<Field>,
    theirs: &'a mut Vec<Field>,
}

/// Merges one map key by key: theirs' keys in order, then mine's keys theirs lacks.
fn merge_map(
    b: &Map<String, Value>,
    m: &Map<String, Value>,
    t: &Map<String, Value>,
    field: fn(String) -> Field,
    sides: &mut Sides<'_>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let keys = t.keys().chain(m.keys().filter(|k| !t.contains_key(*k))).chain(
        // Keys only in base (both removed them, or one removed and the other kept) are decided
        // too, so a removal on one side against a change on the other is a conflict.
        b.keys().filter(|k| !t.contains_key(*k) && !m.contains_key(*k)),
    );
    for key in keys {
        let (vb, vm, vt) = (b.get(key), m.get(key), t.get(key));
        match pick(vb, vm, vt, value_eq) {
            Pick::Conflict => sides.conflicts.push(FieldConflict {
                field: field(key.clone()),
                base: opt_cell(vb),
                mine: opt_cell(vm),
                theirs: opt_cell(vt),
            }),
            Pick::Mine => {
                sides.mine.push(field(key.clone()));
                if let Some(v) = vm {
                    out.insert(key.clone(), v.clone());
                }
            }
            Pick::Theirs(changed) => {
                if changed {
                    sides.theirs.push(field(key.clone()));
                }
                if let Some(v) = vt {
                    out.insert(key.clone(), v.clone());
                }
            }
        }
    }
    out
}

enum Pick {
    Conflict,
    /// Mine changed it and theirs did not.
    Mine,
    /// Theirs' value stands; `true` when theirs changed it (and mine did not, or the same way).
    Theirs(bool),
}

fn pick<T: ?Sized>(b: Option<&T>, m: Option<&T>, t: Option<&T>, eq: impl Fn(&T, &T) -> bool) -> Pick {
    let same = |x: Option<&T>, y: Option<&T>| match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => eq(x, y),
        _ => false,
    };
    let mine_changed = !same(b, m);
    let theirs_changed = !same(b, t);
    match (mine_changed, theirs_changed) {
        (false, changed) => Pick::Theirs(changed),
        (true, false) => Pick::Mine,
        (true, true) if same(m, t) => Pick::Theirs(false),
        (true, true) => Pick::Conflict,
    }
}

/// Every field of `v` that differs from `base` (geometry first, then properties, then members).
fn changed_fields(base: &Version, v: &Version) -> Vec<Field> {
    let mut out = Vec::new();
    if !geometry_eq_opt(base.geometry.as_ref(), v.geometry.as_ref()) {
        out.push(Field::Geometry);
    }
    for (map_b, map_v, field) in [
        (&base.properties, &v.properties, Field::Property as fn(String) -> Field),
        (&base.extra, &v.extra, Field::Extra),
    ] {
        for key in map_v.keys().chain(map_b.keys().filter(|k| !map_v.contains_key(*k))) {
            let same = match (map_b.get(key), map_v.get(key)) {
                (Some(x), Some(y)) => value_eq(x, y),
                (None, None) => true,
                _ => false,
            };
            if !same {
                out.push(field(key.clone()));
            }
        }
    }
    out
}

/// Every field a version has (for a side against a missing base).
fn fields_of(v: &Version) -> Vec<Field> {
    changed_fields(&Version::default(), v)
}

/// The cell of `field` in `v`.
fn cell(v: &Version, field: &Field) -> Cell {
    match field {
        Field::Geometry => opt_cell(v.geometry.as_ref()),
        Field::Property(key) => opt_cell(v.properties.get(key)),
        Field::Extra(key) => opt_cell(v.extra.get(key)),
    }
}

fn opt_cell(v: Option<&Value>) -> Cell {
    v.map_or(Cell::Absent, |v| Cell::Value(v.clone()))
}

/// Two JSON values with the same exact text (number spelling and key order count).
pub fn value_eq(a: &Value, b: &Value) -> bool {
    // Serialising a Value cannot fail (its keys are strings); an error would compare unequal.
    match (serde_json::to_string(a), serde_json::to_string(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn map_eq(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && value_eq(va, vb))
}

fn geometry_eq_opt(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => geometry_eq(a, b),
        _ => false,
    }
}

/// Two GeoJSON geometry objects with the same type and the same coordinates as `f64` (what
/// PostGIS keeps). Anything that is not a geometry object falls back to exact text.
pub fn geometry_eq(a: &Value, b: &Value) -> bool {
    let (Some(oa), Some(ob)) = (a.as_object(), b.as_object()) else {
        return value_eq(a, b);
    };
    if oa.get("type") != ob.get("type") {
        return false;
    }
    match (oa.get("geometries"), ob.get("geometries")) {
        (Some(Value::Array(ga)), Some(Value::Array(gb))) => {
            ga.len() == gb.len() && ga.iter().zip(gb).all(|(x, y)| geometry_eq(x, y))
        }
        (None, None) => match (oa.get("coordinates"), ob.get("coordinates")) {
            (Some(ca), Some(cb)) => coords_eq(ca, cb),
            (None, None) => true,
            _ => false,
        },
        _ => false,
    }
}

fn coords_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(xa), Value::Array(xb)) => xa.len() == xb.len() && xa.iter().zip(xb).all(|(x, y)| coords_eq(x, y)),
        (Value::Number(na), Value::Number(nb)) => match (na.as_f64(), nb.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        _ => value_eq(a, b),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn v(geometry: Value, properties: &Value) -> Version {
        Version {
            geometry: if geometry.is_null() { None } else { Some(geometry) },
            properties: properties.as_object().unwrap().clone(),
            extra: Map::new(),
        }
    }

    fn pt(x: f64, y: f64) -> Value {
        json!({"type": "Point", "coordinates": [x, y]})
    }

    fn base() -> Version {
        v(pt(68.0, 37.0), &json!({"name": "Khorog", "fatalities": 1, "type": "Battles"}))
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn different_fields_merge_and_are_reported() {
        let b = base();
        let mut m = b.clone();
        m.properties.insert("name".into(), json!("Khorugh"));
        let mut t = b.clone();
        t.properties.insert("fatalities".into(), json!(3));
        t.geometry = Some(pt(68.5, 37.5));
        let Outcome::Clean { result, mine, theirs, write } = merge(Some(&b), Some(&m), Some(&t)) else {
            panic!("expected a clean merge")
        };
        let r = result.unwrap();
        assert_eq!(r.properties["name"], json!("Khorugh"));
        assert_eq!(r.properties["fatalities"], json!(3));
        assert_eq!(r.geometry, Some(pt(68.5, 37.5)));
        assert_eq!(mine, vec![Field::Property("name".into())]);
        assert_eq!(theirs, vec![Field::Geometry, Field::Property("fatalities".into())]);
        assert!(write);
    }

    #[test]
    fn same_field_changed_differently_conflicts_with_all_three_values() {
        let b = base();
        let mut m = b.clone();
        m.properties.insert("fatalities".into(), json!(2));
        m.properties.insert("name".into(), json!("Khorugh"));
        let mut t = b.clone();
        t.properties.insert("fatalities".into(), json!(5));
        let Outcome::Conflict(c) = merge(Some(&b), Some(&m), Some(&t)) else { panic!("expected a conflict") };
        assert_eq!(
            c,
            vec![FieldConflict {
                field: Field::Property("fatalities".into()),
                base: Cell::Value(json!(1)),
                mine: Cell::Value(json!(2)),
                theirs: Cell::Value(json!(5)),
            }]
        );
        assert_eq!(format!("{}: {} / {}", c[0].field, c[0].mine, c[0].theirs), "fatalities: 2 / 5");
    }

    #[test]
    fn geometry_is_one_field() {
        let b = base();
        let mut m = b.clone();
        m.geometry = Some(pt(1.0, 2.0));
        let mut t = b.clone();
        t.geometry = Some(pt(3.0, 4.0));
        let Outcome::Conflict(c) = merge(Some(&b), Some(&m), Some(&t)) else { panic!() };
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, Field::Geometry);
        assert_eq!(c[0].clone().theirs, Cell::Value(pt(3.0, 4.0)));
        // The same coordinates spelled differently are the same geometry (PostGIS keeps doubles).
        let mut t2 = b.clone();
        t2.geometry = Some(parse(r#"{"type":"Point","coordinates":[1.000,2.0]}"#));
        assert!(matches!(merge(Some(&b), Some(&m), Some(&t2)), Outcome::Clean { write: false, .. }));
    }

    #[test]
    fn same_change_on_both_sides_is_no_conflict_and_nothing_to_write() {
        let b = base();
        let mut m = b.clone();
        m.properties.insert("name".into(), json!("Ishkashim"));
        let t = m.clone();
        assert_eq!(
            merge(Some(&b), Some(&m), Some(&t)),
            Outcome::Clean { result: Some(t), mine: vec![], theirs: vec![], write: false }
        );
    }

    #[test]
    fn number_spelling_counts_one_point_zero_is_not_one() {
        let b = v(Value::Null, &parse(r#"{"x": 1}"#));
        let m = v(Value::Null, &parse(r#"{"x": 1.0}"#));
        let t = v(Value::Null, &parse(r#"{"x": 2}"#));
        assert!(matches!(merge(Some(&b), Some(&m), Some(&t)), Outcome::Conflict(_)));
        let t_same = v(Value::Null, &parse(r#"{"x": 1}"#));
        let Outcome::Clean { result, write, .. } = merge(Some(&b), Some(&m), Some(&t_same)) else { panic!() };
        assert!(write);
        assert_eq!(serde_json::to_string(&result.unwrap().properties).unwrap(), r#"{"x":1.0}"#);
        assert!(!value_eq(&parse("1.0"), &parse("1")));
        assert!(value_eq(&parse(r#""\u00e9""#), &parse(r#""é""#)));
        assert!(!value_eq(&parse(r#"{"a":1,"b":2}"#), &parse(r#"{"b":2,"a":1}"#)));
    }

    #[test]
    fn update_vs_delete_conflicts_either_way() {
        let b = base();
        let mut m = b.clone();
        m.properties.insert("name".into(), json!("Rushan"));
        let Outcome::Conflict(c) = merge(Some(&b), Some(&m), None) else { panic!() };
        assert_eq!(c[0].field, Field::Property("name".into()));
        assert_eq!((c[0].mine.to_string(), c[0].theirs.to_string()), ("\"Rushan\"".into(), "(deleted)".into()));
        let Outcome::Conflict(c) = merge(Some(&b), None, Some(&m)) else { panic!() };
        assert_eq!((c[0].mine.clone(), c[0].theirs.clone()), (Cell::Deleted, Cell::Value(json!("Rushan"))));
        assert_eq!(c[0].base, Cell::Value(json!("Khorog")));
    }

    #[test]
    fn delete_against_an_unchanged_side_wins_and_delete_vs_delete_is_fine() {
        let b = base();
        // Theirs bumped the version without changing anything: my delete goes through.
        assert_eq!(merge(Some(&b), None, Some(&b)), clean(None, vec![], vec![], true));
        // Mine changed nothing, theirs deleted: stays deleted, nothing to write.
        assert_eq!(merge(Some(&b), Some(&b), None), clean(None, vec![], vec![], false));
        assert_eq!(merge(Some(&b), None, None), clean(None, vec![], vec![], false));
    }

    #[test]
    fn insert_vs_insert_same_fid() {
        let a = base();
        assert!(matches!(merge(None, Some(&a), Some(&a)), Outcome::Clean { write: false, .. }));
        let mut other = a.clone();
        other.properties.insert("type".into(), json!("Riots"));
        let Outcome::Conflict(c) = merge(None, Some(&a), Some(&other)) else { panic!() };
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].base, Cell::Deleted);
        assert_eq!(c[0].mine, Cell::Value(json!("Battles")));
        // A plain insert (theirs has none).
        assert!(matches!(merge(None, Some(&a), None), Outcome::Clean { write: true, .. }));
    }

    #[test]
    fn key_order_is_theirs_then_mines_new_keys_and_removals_merge() {
        let b = v(Value::Null, &json!({"a": 1, "b": 2, "c": 3}));
        // Mine: removes b, adds z. Theirs: reorders to c, a, b and adds y.
        let m = v(Value::Null, &parse(r#"{"a": 1, "c": 3, "z": 26}"#));
        let t = v(Value::Null, &parse(r#"{"c": 3, "y": 25, "a": 1, "b": 2}"#));
        let Outcome::Clean { result, mine, theirs, .. } = merge(Some(&b), Some(&m), Some(&t)) else { panic!() };
        let keys: Vec<_> = result.unwrap().properties.keys().cloned().collect();
        assert_eq!(keys, ["c", "y", "a", "z"]);
        assert_eq!(mine, [Field::Property("b".into()), Field::Property("z".into())]);
        assert_eq!(theirs, [Field::Property("y".into())]);
    }

    #[test]
    fn removal_vs_change_of_one_key_conflicts() {
        let b = v(Value::Null, &json!({"a": 1}));
        let m = v(Value::Null, &json!({}));
        let t = v(Value::Null, &json!({"a": 2}));
        let Outcome::Conflict(c) = merge(Some(&b), Some(&m), Some(&t)) else { panic!() };
        assert_eq!((c[0].mine.clone(), c[0].theirs.clone()), (Cell::Absent, Cell::Value(json!(2))));
        // Both removed it: fine.
        let Outcome::Clean { result, .. } = merge(Some(&b), Some(&m), Some(&m)) else { panic!() };
        assert!(result.unwrap().properties.is_empty());
        // A null value is not a missing key.
        let n = v(Value::Null, &json!({"a": null}));
        assert!(matches!(merge(Some(&b), Some(&m), Some(&n)), Outcome::Conflict(_)));
    }

    #[test]
    fn members_merge_like_properties() {
        let mut b = base();
        b.extra.insert("id".into(), json!("TJK-1"));
        let mut m = b.clone();
        m.extra.insert("id".into(), json!("TJK-2"));
        let mut t = b.clone();
        t.extra.insert("id".into(), json!("TJK-3"));
        let Outcome::Conflict(c) = merge(Some(&b), Some(&m), Some(&t)) else { panic!() };
        assert_eq!(c[0].field.to_string(), "(member id)");
        // A property called "geometry" is a property, not the geometry.
        assert_ne!(Field::Property("geometry".into()), Field::Geometry);
    }

    #[test]
    fn null_geometry_and_collections() {
        let b = v(Value::Null, &json!({}));
        let g = json!({"type": "GeometryCollection", "geometries": [pt(1.0, 2.0)]});
        let m = v(g.clone(), &json!({}));
        let Outcome::Conflict(c) = merge(Some(&b), Some(&m), Some(&v(pt(0.0, 0.0), &json!({})))) else { panic!() };
        assert_eq!(c[0].base, Cell::Absent);
        assert!(geometry_eq(
            &g,
            &parse(r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1.0,2.00]}]}"#)
        ));
        assert!(!geometry_eq(&pt(1.0, 2.0), &parse(r#"{"type":"Point","coordinates":[1,2,0]}"#)));
        assert!(Version { geometry: Some(pt(1.0, 2.0)), ..Version::default() }.same_as(&Version {
            geometry: Some(parse(r#"{"type":"Point","coordinates":[1,2],"bbox":[1,2,1,2]}"#)),
            ..Version::default()
        }));
    }
}
