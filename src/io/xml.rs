//! Text for XML documents we write (SVG, KML): one escaping rule for all of them.

/// Text as XML character data or a double-quoted attribute value: markup characters escaped,
/// and characters XML 1.0 forbids (control characters other than tab, line feed and carriage
/// return; U+FFFE and U+FFFF) dropped, since a single one makes the whole document unreadable
/// (and the PNG/PDF export from SVG fail). Names and titles come from users' files, so they
/// may hold any character.
///
/// ```
/// assert_eq!(frontier_atlas::io::xml::escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}
