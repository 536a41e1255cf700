//! Saving packed features without decoding them (issue 8).
//!
//! A save writes each feature as `serde_json` writes [`crate::io::geojson::feature_to_json`]
//! of the decoded feature, in the layer's layout for it ([`crate::io::save`]). A packed
//! feature read from GeoJSON is decoded by `serde_json::from_str::<Value>` of its exact
//! source text (with this crate's `preserve_order` and `arbitrary_precision` features). For
//! such a text in its own member layout, that decode-and-write changes exactly these things,
//! and nothing else:
//! - whitespace between tokens is dropped (the compact writer writes none);
//! - every string, keys included, is written the way `serde_json` escapes: `"` and `\` with a
//!   backslash, the control characters as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx` (lower-case
//!   hex), everything else as UTF-8 (so `\/` becomes `/` and `\u00e9` becomes `é`);
//! - a number keeps its exact spelling (`arbitrary_precision`) except its exponent, which the
//!   parser writes with a lower-case `e` and an explicit sign (`1E5` becomes `1e+5`);
//! - an object with the same key twice keeps the first place and the last value, and a key
//!   that is one of `serde_json`'s private tokens (`$serde_json::private::Number`) changes
//!   what the object means.
//!
//! [`canonical_feature`] makes the first three changes in one pass over the bytes, with no
//! value tree, and declines the fourth (and anything that is not valid JSON, a lone
//! surrogate escape, nesting deeper than `serde_json`'s limit, a Feature the decoder would
//! refuse): the save then decodes that feature the old way. It also gives the member layout
//! the decoder would find, which the save compares with the layer's: only a feature saved in
//! its own layout is written from its text.

use crate::model::{FeatureLayout, PropertiesForm};

/// `serde_json`'s nesting limit: deeper text does not decode, so it is left to the decoder.
const MAX_DEPTH: usize = 120;

/// More top-level members than a [`FeatureLayout`] counts exactly.
const MAX_MEMBERS: usize = 60_000;

/// The prefix of the keys `serde_json` reads as its own tokens (arbitrary-precision numbers,
/// raw values).
const PRIVATE_KEY: &[u8] = b"$serde_json::private::";

/// Writes the GeoJSON Feature object `text` to `out` exactly as a save writes the decoded
/// feature in its own layout (see the module documentation), and gives that layout; `None`
/// when this cannot be vouched for (the caller decodes the feature). `out` may have been
/// written to when `None` is returned.
pub fn canonical_feature(text: &str, out: &mut Vec<u8>) -> Option<FeatureLayout> {
    let mut c = Canon { src: text.as_bytes(), pos: 0, out, keys: Vec::new(), top: Vec::new() };
    c.ws();
    if c.peek()? != b'{' {
        return None;
    }
    c.value(0)?;
    c.ws();
    if c.pos != c.src.len() || c.top.len() > MAX_MEMBERS {
        return None;
    }
    let out = &*c.out;
    let slice = |(from, to): (usize, usize)| out.get(from..to);
    let mut form = PropertiesForm::Absent;
    let mut keys = Vec::with_capacity(c.top.len());
    for &(key, value) in &c.top {
        let key = std::str::from_utf8(slice(key)?).ok()?;
        let value = slice(value)?;
        match key {
            "type" if value != b"\"Feature\"" => return None,
            "id" if !(value == b"null" || matches!(value.first(), Some(b'"' | b'-' | b'0'..=b'9'))) => return None,
            "properties" => {
                form = match value.first() {
                    Some(b'n') => PropertiesForm::Null,
                    Some(b'{') => PropertiesForm::Object,
                    _ => return None,
                };
            }
            _ => {}
        }
        keys.push(key);
    }
    if !keys.contains(&"type") {
        return None;
    }
    Some(FeatureLayout::from_keys(keys, form))
}

/// The canonical writer's state.
struct Canon<'a> {
    src: &'a [u8],
    pos: usize,
    out: &'a mut Vec<u8>,
    /// The keys of the objects being written, as ranges of `out` (between the quotes).
    keys: Vec<(usize, usize)>,
    /// The top-level object's members: key and value ranges of `out`.
    top: Vec<((usize, usize), (usize, usize))>,
}

impl Canon<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Consumes `byte` (after whitespace) and writes it.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek()? == byte).then(|| {
            self.pos += 1;
            self.out.push(byte);
        })
    }

    /// One value at nesting `depth` (0 for the top level).
    fn value(&mut self, depth: usize) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.src.get(self.pos..end)? == word).then(|| {
            self.pos = end;
            self.out.extend_from_slice(word);
        })
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.expect(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            self.out.push(b']');
            return Some(());
        }
        loop {
            self.value(depth)?;
            self.ws();
            let b = self.peek()?;
            self.pos += 1;
            self.out.push(b);
            match b {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.expect(b'{')?;
        let first_key = self.keys.len();
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            self.out.push(b'}');
            return Some(());
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key_start = self.out.len() + 1;
            self.string()?;
            let key = (key_start, self.out.len() - 1);
            if self.out.get(key.0..key.1)?.starts_with(PRIVATE_KEY) {
                return None;
            }
            self.keys.push(key);
            self.expect(b':')?;
            self.ws();
            let value_start = self.out.len();
            self.value(depth)?;
            if depth == 1 {
                self.top.push((key, (value_start, self.out.len())));
            }
            self.ws();
            let b = self.peek()?;
            self.pos += 1;
            self.out.push(b);
            match b {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
        let unique = self.keys.get(first_key..).is_some_and(|keys| distinct(self.out, keys));
        self.keys.truncate(first_key);
        unique.then_some(())
    }

    /// A string (the source at its opening quote), written as `serde_json` escapes it.
    fn string(&mut self) -> Option<()> {
        self.pos += 1;
        self.out.push(b'"');
        loop {
            let rest = self.src.get(self.pos..)?;
            let run = memchr::memchr2(b'"', b'\\', rest)?;
            let plain = rest.get(..run)?;
            // A raw control character is not JSON.
            if plain.iter().any(|&b| b < 0x20) {
                return None;
            }
            self.out.extend_from_slice(plain);
            self.pos += run;
            if self.peek()? == b'"' {
                self.pos += 1;
                self.out.push(b'"');
                return Some(());
            }
            self.escape()?;
        }
    }

    /// One escape (the source at its backslash), written as `serde_json` writes the character.
    fn escape(&mut self) -> Option<()> {
        let kind = *self.src.get(self.pos + 1)?;
        self.pos += 2;
        let c = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xD800..=0xDBFF => {
                        // Only a following low surrogate makes a character.
                        if self.src.get(self.pos..self.pos + 2)? != b"\\u" {
                            return None;
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => char::from_u32(unit)?,
                }
            }
            _ => return None,
        };
        write_char(self.out, c);
        Some(())
    }

    /// Four hex digits (either case).
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.src.get(self.pos..self.pos + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16)?;
        }
        self.pos += 4;
        Some(n)
    }

    /// A number as the `arbitrary_precision` parser keeps it: its spelling, with the exponent
    /// as `e` and a sign.
    fn number(&mut self) -> Option<()> {
        if self.peek()? == b'-' {
            self.pos += 1;
            self.out.push(b'-');
        }
        match self.peek()? {
            b'0' => {
                self.pos += 1;
                self.out.push(b'0');
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return None;
                }
            }
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.out.push(b'.');
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return None;
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            self.out.push(b'e');
            match self.peek()? {
                sign @ (b'+' | b'-') => {
                    self.pos += 1;
                    self.out.push(sign);
                }
                _ => self.out.push(b'+'),
            }
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return None;
            }
            self.digits();
        }
        Some(())
    }

    fn digits(&mut self) {
        let rest = self.src.get(self.pos..).unwrap_or_default();
        let n = rest.iter().position(|b| !b.is_ascii_digit()).unwrap_or(rest.len());
        self.out.extend_from_slice(rest.get(..n).unwrap_or_default());
        self.pos += n;
    }
}

/// Writes `c` inside a string as `serde_json` does.
fn write_char(out: &mut Vec<u8>, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        '"' => out.extend_from_slice(b"\\\""),
        '\\' => out.extend_from_slice(b"\\\\"),
        '\u{8}' => out.extend_from_slice(b"\\b"),
        '\t' => out.extend_from_slice(b"\\t"),
        '\n' => out.extend_from_slice(b"\\n"),
        '\u{c}' => out.extend_from_slice(b"\\f"),
        '\r' => out.extend_from_slice(b"\\r"),
        c if u32::from(c) < 0x20 => {
            let b = u32::from(c) as usize;
            out.extend_from_slice(b"\\u00");
            out.push(HEX.get(b >> 4).copied().unwrap_or(b'0'));
            out.push(HEX.get(b & 0xF).copied().unwrap_or(b'0'));
        }
        c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
    }
}

/// Whether the keys (ranges of `out`, in canonical form, so equal text means equal keys)
/// are all different.
fn distinct(out: &[u8], keys: &[(usize, usize)]) -> bool {
    let text = |&(from, to): &(usize, usize)| out.get(from..to).unwrap_or_default();
    if keys.len() <= 12 {
        return keys.iter().enumerate().all(|(n, a)| keys.iter().skip(n + 1).all(|b| text(a) != text(b)));
    }
    let mut sorted: Vec<&[u8]> = keys.iter().map(text).collect();
    sorted.sort_unstable();
    sorted.windows(2).all(|w| w.first() != w.get(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the decode-and-write path gives for a feature text.
    fn reference(text: &str) -> Option<(String, FeatureLayout)> {
        let (f, layout) = crate::io::geojson_fast::decode_feature(text).ok()?;
        let json = crate::io::geojson::feature_to_json(&f, layout);
        Some((serde_json::to_string(&json).unwrap(), layout))
    }

    fn fast(text: &str) -> Option<(String, FeatureLayout)> {
        let mut out = Vec::new();
        let layout = canonical_feature(text, &mut out)?;
        Some((String::from_utf8(out).unwrap(), layout))
    }

    #[test]
    fn hard_texts_are_written_as_the_decoder_writes_them() {
        let cases = [
            r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[70.0,37.5]},"properties":{"n":1}}"#,
            "{ \"type\" : \"Feature\" ,\r\n \"properties\" : { \"n\" : 1.50 , \"m\" : -0 , \"e\" : 1E5 , \"f\" : 2.5e-3 , \"g\": 7e+2 } ,\n\t\"geometry\" : null }",
            r#"{"geometry":{"type":"Point","coordinates":[70.1,37.2,1200.50]},"type":"Feature","bbox":[1,2,3,4],"x":{"y":[true,false,null]}}"#,
            r#"{"type":"Feature","id":12345678901234567890123,"properties":null,"geometry":null}"#,
            r#"{"type":"Feature","properties":{"s":"caf\u00e9 \/ \"q\" \\ \n \u0001 \u001F \u007f \ud83d\ude00 é 😀 \b\f\r\t"}}"#,
            r#"{"type":"Feature","properties":{"k\u0065y":1,"\u0000":2}}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}"#,
            r#"{"id":null,"type":"Feature","foo":1,"properties":{"a":[],"b":{}},"bar":"x","geometry":null,"baz":[[]]}"#,
            r#"{"type":"Feature","id":-12,"properties":{"big":-9223372036854775809,"u":18446744073709551616,"z":0.0,"zz":-0.0}}"#,
        ];
        for text in cases {
            let want = reference(text).unwrap_or_else(|| panic!("reference failed on {text}"));
            assert_eq!(fast(text), Some(want), "{text}");
        }
    }

    #[test]
    fn texts_a_value_tree_changes_are_declined() {
        let cases = [
            // Nested duplicate key: a value tree keeps the first place and the last value.
            r#"{"type":"Feature","properties":{"a":1,"b":2,"a":3}}"#,
            r#"{"type":"Feature","properties":{"a":1,"\u0061":3}}"#,
            r#"{"type":"Feature","properties":{"$serde_json::private::Number":"1"}}"#,
            r#"{"type":"Feature","properties":{"x":{"$serde_json::private::RawValue":"1"}}}"#,
            // Lone surrogates, bad escapes, not JSON.
            r#"{"type":"Feature","properties":{"s":"\ud83d"}}"#,
            r#"{"type":"Feature","properties":{"s":"\ude00"}}"#,
            r#"{"type":"Feature","properties":{"s":"\x"}}"#,
            r#"{"type":"Feature","properties":{"n":01}}"#,
            r#"{"type":"Feature","properties":{"n":1.}}"#,
            r#"{"type":"Feature","properties":{"n":1e}}"#,
            r#"{"type":"Feature","properties":{"n":1} x"#,
            "{\"type\":\"Feature\",\"properties\":{\"s\":\"a\tb\"}}",
            // Features the decoder refuses.
            r#"{"type":"feature"}"#,
            r#"{"id":true,"type":"Feature"}"#,
            r#"{"type":"Feature","properties":[]}"#,
            r#"{"geometry":null}"#,
            "[1]",
        ];
        for text in cases {
            assert_eq!(fast(text), None, "{text}");
        }
    }

    #[test]
    fn many_keys_are_checked_for_duplicates_too() {
        let keys: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let text = format!(r#"{{"type":"Feature","properties":{{{}}}}}"#, keys.join(","));
        assert_eq!(fast(&text), reference(&text));
        let dup = format!(r#"{{"type":"Feature","properties":{{{},"k7":0}}}}"#, keys.join(","));
        assert_eq!(fast(&dup), None);
    }

    #[test]
    fn nesting_past_the_limit_is_left_to_the_decoder() {
        let deep = format!(r#"{{"type":"Feature","x":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
        assert_eq!(fast(&deep), None);
        let ok = format!(r#"{{"type":"Feature","x":{}1{}}}"#, "[".repeat(100), "]".repeat(100));
        assert_eq!(fast(&ok), reference(&ok));
    }
}
