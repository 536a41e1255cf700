//! Pass 2's reading side for GeoJSON: cuts the elements of the root's `features` array out of
//! a file pass 1 has validated, without the validator's checks and position tracking
//! ([`crate::io::validate_stream::stream_elements`] does both, and is pass 1's reader).
//!
//! Only the structure is followed: strings (skipped to their closing quote with `memchr`),
//! the nesting depth, the root's member names. A file that changed since pass 1 is still
//! cut safely (an element that does not parse is reported by the caller, a different number
//! of features refuses the conversion); what this cannot follow (no `features` array at the
//! root, bytes that are not UTF-8) is an error.

use std::io::Read;

/// Bytes read at a time.
const CHUNK: usize = 1 << 20;

/// Where the cutter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Before the root object.
    Start,
    /// Among the root's members (depth 1 outside the features array).
    Root,
    /// In the features array, between elements.
    Between,
    /// In an element.
    Element,
    /// After the features array.
    After,
}

/// Why the elements could not be cut.
#[derive(Debug, thiserror::Error)]
pub(super) enum CutError<E> {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is not a collection with a `features` array any more.
    #[error("{0}")]
    Shape(&'static str),
    /// `each` failed.
    #[error("stopped")]
    Stopped(E),
}

/// Hands each element of the root's `features` array of the document `reader` gives (its
/// index, its text) to `each`; the number of elements.
pub(super) fn cut_features<E>(
    mut reader: impl Read,
    mut each: impl FnMut(usize, &str) -> Result<(), E>,
) -> Result<usize, CutError<E>> {
    let mut cutter = Cutter::default();
    let mut chunk = vec![0u8; CHUNK];
    let mut first = true;
    crate::io::read::for_each_chunk(&mut reader, &mut chunk, |mut data| {
        if first {
            data = data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data);
            first = false;
        }
        cutter.feed(data, &mut each)
    })?;
    if cutter.at != At::After {
        return Err(CutError::Shape("the features array is not closed"));
    }
    Ok(cutter.count)
}

/// The cutter's state between chunks.
#[derive(Debug)]
struct Cutter {
    at: At,
    /// Nesting depth: 1 in the root object, 2 in the features array.
    depth: usize,
    in_string: bool,
    /// The byte after a backslash in a string is next.
    escaped: bool,
    /// The last string read among the root's members (a member name when `:` follows).
    name: Vec<u8>,
    /// The value being read at the root is the `features` member's.
    features_value: bool,
    /// The current element's bytes.
    element: Vec<u8>,
    /// Elements handed over.
    count: usize,
}

impl Default for Cutter {
    fn default() -> Self {
        Self {
            at: At::Start,
            depth: 0,
            in_string: false,
            escaped: false,
            name: Vec::new(),
            features_value: false,
            element: Vec::with_capacity(4096),
            count: 0,
        }
    }
}

impl Cutter {
    fn feed<E>(&mut self, data: &[u8], each: &mut impl FnMut(usize, &str) -> Result<(), E>) -> Result<(), CutError<E>> {
        let mut i = 0;
        // Where the bytes of the current element start in `data`.
        let mut from = 0;
        while i < data.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                let rest = data.get(i..).unwrap_or_default();
                let Some(k) = memchr::memchr2(b'"', b'\\', rest) else {
                    if self.at == At::Root {
                        self.name.extend_from_slice(rest);
                    }
                    break;
                };
                if self.at == At::Root {
                    self.name.extend_from_slice(rest.get(..k).unwrap_or_default());
                }
                i += k;
                if data.get(i) == Some(&b'\\') {
                    self.escaped = true;
                    if self.at == At::Root {
                        // A name with an escape is not spelled `features`.
                        self.name.push(b'\\');
                    }
                } else {
                    self.in_string = false;
                }
                i += 1;
                continue;
            }
            let b = data.get(i).copied().unwrap_or_default();
            match (self.at, b) {
                (_, b' ' | b'\t' | b'\n' | b'\r') | (At::Between, b',') => {}
                (At::Start, b'{') => {
                    self.at = At::Root;
                    self.depth = 1;
                }
                (At::Start, _) => return Err(CutError::Shape("the root is not an object")),
                (At::Root | At::After, b'"') => {
                    self.in_string = true;
                    self.name.clear();
                }
                (At::Root, b':') if self.depth == 1 => self.features_value = self.name == b"features",
                (At::Root, b'[') if self.depth == 1 && self.features_value => {
                    self.at = At::Between;
                    self.depth = 2;
                }
                (At::Root | At::After | At::Element, b'{' | b'[') => self.depth += 1,
                (At::Root | At::After, b'}' | b']') => self.depth = self.depth.saturating_sub(1),
                (At::Between, b']') => {
                    self.at = At::After;
                    self.depth = 1;
                }
                (At::Between, _) => {
                    self.at = At::Element;
                    from = i;
                    self.element.clear();
                    // Re-read this byte as the element's first.
                    continue;
                }
                (At::Element, b'"') => self.in_string = true,
                (At::Element, b'}' | b']') if self.depth > 2 => self.depth -= 1,
                (At::Element, b',' | b']' | b'}') if self.depth == 2 => {
                    // The element ends before this byte (a scalar element, or a stray
                    // closer the validator refused): hand it over, then read this byte
                    // between elements.
                    self.element.extend_from_slice(data.get(from..i).unwrap_or_default());
                    self.hand_over(each)?;
                    self.at = At::Between;
                    continue;
                }
                (At::Root | At::After | At::Element, _) => {}
            }
            if self.at == At::Element && self.depth == 2 && matches!(b, b'}' | b']') {
                // A container element closed.
                self.element.extend_from_slice(data.get(from..=i).unwrap_or_default());
                self.hand_over(each)?;
                self.at = At::Between;
            }
            i += 1;
        }
        if self.at == At::Element {
            self.element.extend_from_slice(data.get(from..).unwrap_or_default());
        }
        Ok(())
    }

    /// Hands the current element over.
    fn hand_over<E>(&mut self, each: &mut impl FnMut(usize, &str) -> Result<(), E>) -> Result<(), CutError<E>> {
        let end = self.element.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
        let text = std::str::from_utf8(self.element.get(..end).unwrap_or_default())
            .map_err(|_not_utf8| CutError::Shape("a feature is not UTF-8"))?;
        each(self.count, text).map_err(CutError::Stopped)?;
        self.count += 1;
        self.element.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str, chunk: usize) -> Result<Vec<String>, String> {
        let mut cutter = Cutter::default();
        let mut out = Vec::new();
        let mut each = |i: usize, t: &str| {
            assert_eq!(i, out.len());
            out.push(t.to_owned());
            Ok::<(), ()>(())
        };
        let bytes = text.as_bytes();
        for part in bytes.chunks(chunk) {
            cutter.feed(part, &mut each).map_err(|e| e.to_string())?;
        }
        if cutter.at != At::After {
            return Err("not closed".to_owned());
        }
        Ok(out)
    }

    #[test]
    fn elements_are_cut_whatever_the_chunks() {
        let text = "{\"a\":{\"features\":[1]},\"f\\\"eatures\":[2],\"features\" : [ {\"x\":\"]},\\\"\"} ,\n\
                    {\"y\":[{}]},3 , \"s]\" ,null,[1,[2]]],\"z\":[\"features\"]}";
        let want = vec!["{\"x\":\"]},\\\"\"}", "{\"y\":[{}]}", "3", "\"s]\"", "null", "[1,[2]]"];
        for chunk in [1, 2, 3, 5, 7, 64, 4096] {
            assert_eq!(cut(text, chunk).unwrap(), want, "chunk {chunk}");
        }
        assert_eq!(cut("{\"features\":[]}", 1).unwrap(), Vec::<String>::new());
        assert!(cut("{\"features\":{}}", 4).is_err());
        assert!(cut("[1]", 4).is_err());
    }
}
