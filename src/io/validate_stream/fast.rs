//! The quick check of one element of `features`: whether it is a Feature the full checks
//! ([`super::check_element`]: a `jsonc_parser` tree, then the value and structure checks of
//! [`crate::io::validate`]) would find nothing wrong with. One pass over the text, nothing
//! built, nothing allocated for the common feature.
//!
//! It is one-sided: `true` only when the element is strict JSON (RFC 8259, as the strict
//! parser reads it), has no repeated member names and no number outside the 64-bit float
//! range anywhere, and is a Feature whose members the structure checks pass as longitude /
//! latitude. Anything it is not sure of — a `crs` or `bbox` member, a `GeometryCollection`,
//! an escape in a member name, a `\u` escape naming a surrogate, a control character in a
//! string, deep nesting — gives `false`, and the full checks then run and name what they
//! find, exactly as before. So a file's problems, their positions and messages do not
//! depend on this check; only the time a clean file takes does.

use std::cell::RefCell;

/// Nesting deeper than this is left to the full checks.
const MAX_NESTING: usize = 48;

/// Whether `text` (one element of `features`) is a Feature the full checks find nothing
/// wrong with (see the module docs; `false` when unsure).
#[cfg(test)]
pub(super) fn clean_feature(text: &str) -> bool {
    outline(text).is_some()
}

/// The outline of `text` (one element of `features`) when it is a Feature the full checks
/// find nothing wrong with (see the module docs; `None` when unsure).
pub(super) fn outline(text: &str) -> Option<Outline> {
    let mut p = Parser { b: text.as_bytes(), i: 0, depth: 0 };
    let mut outline = Outline { properties: Vec::with_capacity(32), ..Outline::default() };
    p.ws();
    if !p.feature(&mut outline) {
        return None;
    }
    p.ws();
    (p.i == p.b.len()).then_some(outline)
}

/// Where the members of a clean Feature are in its text (byte ranges), for a reader that
/// would otherwise parse it again ([`crate::io::gpkg::raw::RawFeature::from_outline`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// The `id`'s value (a string or a number), when it has one.
    pub id: Option<(usize, usize)>,
    /// The `geometry`'s value, when it is not null.
    pub geometry: Option<(usize, usize)>,
    /// The members of `properties`: each name (between its quotes; no escapes) and value.
    pub properties: Vec<((usize, usize), (usize, usize))>,
    /// The Feature has members besides `type`, `id`, `geometry` and `properties`.
    pub foreign: bool,
}

/// A cursor over the element's bytes.
struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

/// The geometry types checked here (a `GeometryCollection` is left to the full checks).
#[derive(Clone, Copy, PartialEq, Eq)]
enum GeometryType {
    Point,
    MultiPoint,
    LineString,
    MultiLineString,
    Polygon,
    MultiPolygon,
}

/// A valid position: how many numbers, and their values (an unused slot is 0).
type Position = (usize, [f64; 3]);

thread_local! {
    /// The member names of the last large object found free of repeats, one after the
    /// other, with where each ends: features mostly list the same properties in the same
    /// order, and a repeat of that list needs no sorting.
    static LAST_NAMES: RefCell<(Vec<u8>, Vec<usize>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips JSON white space (only the four bytes RFC 8259 allows).
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Takes `byte` (after white space).
    fn eat(&mut self, byte: u8) -> bool {
        self.ws();
        if self.peek() == Some(byte) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// A string at the cursor: its text between the quotes, and whether it has escapes.
    /// `None` for anything the strict parser might refuse or read otherwise.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            let rest = self.b.get(self.i..)?;
            let k = rest.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            self.i += k;
            match self.peek()? {
                b'"' => {
                    let inner = self.b.get(start..self.i)?;
                    self.i += 1;
                    return Some((inner, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                        b'u' => {
                            let hex = self.b.get(self.i + 1..self.i + 5)?;
                            let hex = std::str::from_utf8(hex).ok()?;
                            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                                return None;
                            }
                            let code = u32::from_str_radix(hex, 16).ok()?;
                            if (0xD800..=0xDFFF).contains(&code) {
                                // Surrogates: the full checks decide.
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                // A control character.
                _ => return None,
            }
        }
    }

    /// A number at the cursor, in the strict grammar, finite as a 64-bit float: its text.
    fn number(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let mut exponent = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            exponent = true;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let text = self.b.get(start..self.i)?;
        // Without an exponent, only hundreds of digits overflow.
        if (exponent || text.len() > 300) && !parse_f64(text).is_some_and(f64::is_finite) {
            return None;
        }
        Some(text)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }

    /// `word` (`true`, `false` or `null`) at the cursor.
    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// Any value at the cursor (after white space).
    fn value(&mut self) -> bool {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(|p, _, _| p.value()),
            Some(b'[') => self.array(Self::value),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().is_some(),
            _ => false,
        }
    }

    /// An object at the cursor, each member's value read by `member` (given the name and
    /// where it starts, the cursor before the value); `false` also when a member name repeats
    /// or has escapes.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a [u8], usize) -> bool) -> bool {
        if self.peek() != Some(b'{') || self.depth >= MAX_NESTING {
            return false;
        }
        self.i += 1;
        self.depth += 1;
        let mut names: smallvec::SmallVec<[&'a [u8]; 48]> = smallvec::SmallVec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return true;
        }
        loop {
            self.ws();
            let at = self.i + 1;
            let Some((name, escaped)) = self.string() else { return false };
            if escaped || !self.eat(b':') {
                return false;
            }
            self.ws();
            if !member(self, name, at) {
                return false;
            }
            names.push(name);
            match self.comma_or_close(b'}') {
                Some(true) => break,
                Some(false) => {}
                None => return false,
            }
        }
        self.depth -= 1;
        distinct(&names)
    }

    /// After a member or an element (and white space): `Some(false)` past a `,`, `Some(true)`
    /// past `close`, `None` at anything else.
    fn comma_or_close(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let closed = match self.peek() {
            Some(b',') => false,
            Some(c) if c == close => true,
            _ => return None,
        };
        self.i += 1;
        Some(closed)
    }

    /// An array at the cursor, each element read by `element` (the cursor before it).
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> bool) -> bool {
        if self.peek() != Some(b'[') || self.depth >= MAX_NESTING {
            return false;
        }
        self.i += 1;
        self.depth += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return true;
        }
        loop {
            self.ws();
            if !element(self) {
                return false;
            }
            match self.comma_or_close(b']') {
                Some(true) => break,
                Some(false) => {}
                None => return false,
            }
        }
        self.depth -= 1;
        true
    }

    /// A Feature object at the cursor: `type` exactly `"Feature"`, a `geometry` (null or
    /// a checked geometry), `properties` (null or an object), an `id` that is a string or a
    /// number; no member the structure checks look at further (`crs`, `bbox`) or refuse in
    /// a Feature (`features`, `coordinates`, `geometries`).
    fn feature(&mut self, outline: &mut Outline) -> bool {
        let (mut typed, mut geometry, mut properties) = (false, false, false);
        let ok = self.object(|p, name, _| match name {
            b"type" => {
                typed = true;
                p.literal(b"\"Feature\"")
            }
            b"geometry" => {
                geometry = true;
                let start = p.i;
                if p.literal(b"null") {
                    return true;
                }
                let ok = p.geometry();
                outline.geometry = Some((start, p.i));
                ok
            }
            b"properties" => {
                properties = true;
                p.literal(b"null")
                    || p.object(|p, name, at| {
                        let start = p.i;
                        let ok = p.value();
                        outline.properties.push(((at, at + name.len()), (start, p.i)));
                        ok
                    })
            }
            b"id" => {
                let start = p.i;
                let ok = match p.peek() {
                    Some(b'"') => p.string().is_some(),
                    Some(b'-' | b'0'..=b'9') => p.number().is_some(),
                    _ => false,
                };
                outline.id = Some((start, p.i));
                ok
            }
            b"crs" | b"bbox" | b"features" | b"coordinates" | b"geometries" => false,
            _ => {
                outline.foreign = true;
                p.value()
            }
        });
        ok && typed && geometry && properties
    }

    /// A geometry object at the cursor (not a `GeometryCollection`), its coordinates as the
    /// structure checks want them, every position in the longitude / latitude ranges.
    fn geometry(&mut self) -> bool {
        let mut kind = None;
        let mut coordinates = None;
        let ok = self.object(|p, name, _| match name {
            b"type" => {
                let Some((text, false)) = p.string() else { return false };
                kind = match text {
                    b"Point" => Some(GeometryType::Point),
                    b"MultiPoint" => Some(GeometryType::MultiPoint),
                    b"LineString" => Some(GeometryType::LineString),
                    b"MultiLineString" => Some(GeometryType::MultiLineString),
                    b"Polygon" => Some(GeometryType::Polygon),
                    b"MultiPolygon" => Some(GeometryType::MultiPolygon),
                    _ => None,
                };
                kind.is_some()
            }
            b"coordinates" => {
                let start = p.i;
                let ok = p.value();
                coordinates = Some((start, p.i));
                ok
            }
            b"crs" | b"bbox" | b"features" | b"geometry" | b"properties" | b"geometries" => false,
            _ => p.value(),
        });
        let (Some(kind), Some((a, b)), true) = (kind, coordinates, ok) else { return false };
        let Some(text) = self.b.get(..b) else { return false };
        let mut c = Parser { b: text, i: a, depth: 0 };
        let checked = match kind {
            GeometryType::Point => c.position().is_some(),
            GeometryType::MultiPoint => c.array(|p| p.position().is_some()),
            GeometryType::LineString => c.line_string(true),
            GeometryType::MultiLineString => c.array(|p| p.line_string(false)),
            GeometryType::Polygon => c.polygon(true),
            GeometryType::MultiPolygon => c.array(|p| p.polygon(false)),
        };
        checked && c.i == b
    }

    /// A position: 2 or 3 numbers, longitude and latitude in range.
    fn position(&mut self) -> Option<Position> {
        let mut values = [0.0; 3];
        let mut n = 0;
        let ok = self.array(|p| {
            let Some(text) = p.number() else { return false };
            let Some(slot) = values.get_mut(n) else { return false };
            let Some(v) = parse_f64(text).filter(|v| v.is_finite()) else { return false };
            *slot = v;
            n += 1;
            true
        });
        let [lon, lat, _] = values;
        (ok && n >= 2 && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)).then_some((n, values))
    }

    /// A line string: at least 2 positions (`may_be_empty`: or none, for a `LineString`'s own
    /// coordinates).
    fn line_string(&mut self, may_be_empty: bool) -> bool {
        let mut n = 0usize;
        let ok = self.array(|p| {
            n += 1;
            p.position().is_some()
        });
        ok && (n >= 2 || (may_be_empty && n == 0))
    }

    /// A polygon: at least one linear ring (`may_be_empty`: or none, for a `Polygon`'s own
    /// coordinates), each of at least 4 positions, closed.
    fn polygon(&mut self, may_be_empty: bool) -> bool {
        let mut rings = 0usize;
        let ok = self.array(|p| {
            rings += 1;
            p.ring()
        });
        ok && (rings > 0 || may_be_empty)
    }

    /// A linear ring: at least 4 positions, the first equal to the last.
    fn ring(&mut self) -> bool {
        let (mut first, mut last, mut n) = (None, None, 0usize);
        let ok = self.array(|p| {
            let Some(position) = p.position() else { return false };
            if n == 0 {
                first = Some(position);
            }
            last = Some(position);
            n += 1;
            true
        });
        ok && n >= 4 && first.is_some() && first == last
    }
}

/// The number spelled `text` (strict JSON, so ASCII).
fn parse_f64(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether no member name of an object repeats.
fn distinct(names: &[&[u8]]) -> bool {
    if names.len() <= 8 {
        return names.iter().enumerate().all(|(i, a)| names.iter().skip(i + 1).all(|b| a != b));
    }
    LAST_NAMES.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else { return sorted_distinct(names) };
        let (bytes, ends) = &mut *last;
        let same = ends.len() == names.len()
            && names
                .iter()
                .zip(ends.iter())
                .scan(0, |from, (name, &end)| {
                    let seen = bytes.get(*from..end);
                    *from = end;
                    Some(seen == Some(*name))
                })
                .all(|equal| equal);
        if same {
            return true;
        }
        if !sorted_distinct(names) {
            return false;
        }
        bytes.clear();
        ends.clear();
        for name in names {
            bytes.extend_from_slice(name);
            ends.push(bytes.len());
        }
        true
    })
}

/// Whether no name repeats, by sorting them.
fn sorted_distinct(names: &[&[u8]]) -> bool {
    let mut sorted: smallvec::SmallVec<[&[u8]; 48]> = names.iter().copied().collect();
    sorted.sort_unstable();
    sorted.windows(2).all(|w| w.first() != w.get(1))
}

#[cfg(test)]
mod tests {
    use super::super::{Pos, check_element};
    use super::*;

    /// Whether the full checks find nothing wrong with `text`.
    fn full_clean(text: &str) -> bool {
        check_element(text, 0, Pos::START).is_some_and(|c| c.every.is_empty() && c.structure.is_none())
    }

    const FEATURES: [&str; 8] = [
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[72.5732,37.4498]},"id":"TJK000001","properties":{"event_id_cnty":"TJK000001","event_date":"2017-07-24","year":2017,"time_precision":2,"notes":"a \"b\" \u00e9 \/","fatalities":0,"latitude":37.4498,"longitude":72.5732,"geo_precision":2,"source":"x","tags":"","timestamp":1700000205}}"#,
        r#" { "type" : "Feature" , "id" : -1.5e2 , "geometry" : null , "properties" : null } "#,
        r#"{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[]},"properties":{"a":[1,{"b":[true,false,null]}],"c":{}}}"#,
        r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1,5]]},"properties":{},"x":{"type":"nonsense"}}"#,
        r#"{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]},"properties":{}}"#,
        r#"{"type":"Feature","geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon"},"properties":{}}"#,
        r#"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]},"properties":{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9}}"#,
        r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]},"properties":{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9}}"#,
    ];

    #[test]
    fn clean_features_are_told_clean() {
        for text in FEATURES {
            assert!(full_clean(text), "{text}");
            assert!(clean_feature(text), "{text}");
        }
    }

    #[test]
    fn what_the_full_checks_would_name_is_left_to_them() {
        for text in [
            r#"{"type":"Feature","geometry":null,"properties":{"a":1,"a":2}}"#,
            r#"{"type":"Feature","geometry":null,"properties":{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k1":9}}"#,
            r#"{"type":"Feature","geometry":null,"properties":{"a":1e400}}"#,
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[200,0]},"properties":null}"#,
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[0,95]},"properties":null}"#,
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[0]},"properties":null}"#,
            r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,2]]]},"properties":null}"#,
            r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0]]},"properties":null}"#,
            r#"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[]]},"properties":null}"#,
            r#"{"type":"Feature","geometry":null}"#,
            r#"{"type":"Feature","properties":null}"#,
            r#"{"type":"feature","geometry":null,"properties":null}"#,
            r#"{"type":"Feature","geometry":null,"properties":null,"bbox":[0,0,1,1]}"#,
            r#"{"type":"Feature","geometry":null,"properties":null,"crs":null}"#,
            r#"{"type":"Feature","geometry":null,"properties":null,"id":true}"#,
            r#"{"type":"Feature","geometry":null,"properties":[]}"#,
            r#"{"type":"Feature","geometry":null,"properties":{"a":"\ud800"}}"#,
            "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":\"\u{1}\"}}",
            r#"{"type":"Feature","geometry":null,"properties":{"a":01}}"#,
            r#"{"type":"Feature","geometry":null,"properties":{"a":1.}}"#,
            r#"{"type":"Feature","geometry":null,"properties":{"a":nul}}"#,
            r#"{"type":"Feature","geometry":null,"properties":{"a":1,}}"#,
            r#"{"type":"Feature","geometry":null,"properties":null} x"#,
            r"[1]",
            "5",
        ] {
            assert!(!clean_feature(text), "{text}");
        }
    }

    /// Every mutation of the clean features: whatever this check calls clean, the full
    /// checks find nothing wrong with either.
    #[test]
    fn no_mutation_is_called_clean_that_the_full_checks_fault() {
        let pieces: [&str; 22] = [
            ",", "]", "}", "[", "{", "\"", "x", "\n", "\u{1}", "\u{a0}", "\\", ":", "1e999", "null", " ", "-", ".",
            "0", "e", "\\u", "\\ud800", "\"type\"",
        ];
        for text in FEATURES {
            let bytes = text.as_bytes();
            for i in 0..=bytes.len() {
                let (head, tail) = bytes.split_at(i);
                let mut docs = vec![head.to_vec()];
                if let Some(rest) = tail.get(1..) {
                    docs.push([head, rest].concat());
                }
                for piece in pieces {
                    docs.push([head, piece.as_bytes(), tail].concat());
                }
                for doc in docs {
                    let Ok(doc) = String::from_utf8(doc) else { continue };
                    if clean_feature(&doc) {
                        assert!(full_clean(&doc), "called clean: {doc}");
                    }
                }
            }
        }
    }
}
