//! The edit journal of a layer: who changed what and when, one JSON object per line in
//! `<layer file name>.journal.jsonl` beside the layer (`events.geojson` →
//! `events.geojson.journal.jsonl`).
//!
//! The file is append-only and fsynced after each append. A crash mid-append can leave a
//! torn last line; reading skips it and reports it, and the next append starts on a new line.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// When, RFC 3339 in UTC (`2024-05-01T09:30:00Z`).
    pub when: String,
    /// Who (see [`default_user`]).
    pub who: String,
    /// What kind of change (`"Move feature"`, `"Set attribute"`…).
    pub action: String,
    /// The feature's id, when it has one.
    pub feature_id: Option<String>,
    /// A human-readable detail (`"event_date: 2021-06 → 2021-07"`).
    pub detail: String,
    /// The publication the change is based on, if the analyst gave one.
    pub source_note: Option<String>,
}

impl JournalEntry {
    /// An entry stamped now by [`default_user`].
    pub fn now(action: impl Into<String>, feature_id: Option<String>, detail: impl Into<String>) -> Self {
        Self {
            when: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            who: default_user(),
            action: action.into(),
            feature_id,
            detail: detail.into(),
            source_note: None,
        }
    }
}

/// Why the journal could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The journal file could not be written or read.
    #[error("edit journal: {source}: {}", path.display())]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// An entry could not be serialised.
    #[error("edit journal: cannot serialise an entry ({message}): {}", path.display())]
    Serialize {
        /// The journal file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// What a journal holds, and the lines that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalRead {
    /// The entries, oldest first.
    pub entries: Vec<JournalEntry>,
    /// One message per skipped line (a torn last line, a malformed line), naming the line.
    pub problems: Vec<String>,
}

/// The user name for journal entries: `$USER`, then `$USERNAME`, else `"analyst"`.
pub fn default_user() -> String {
    ["USER", "USERNAME"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "analyst".to_owned())
}

/// The journal file of a layer file.
pub fn journal_path(layer_path: &Path) -> PathBuf {
    let mut name = layer_path.file_name().map_or_else(|| "layer".into(), std::ffi::OsStr::to_os_string);
    name.push(".journal.jsonl");
    layer_path.with_file_name(name)
}

/// Appends entries to the layer's journal (creating it), then fsyncs. Returns the journal's
/// path.
pub fn append_journal(layer_path: &Path, entries: &[JournalEntry]) -> Result<PathBuf, JournalError> {
    let path = journal_path(layer_path);
    let io = |source| JournalError::Io { path: path.clone(), source };
    let mut text = Vec::new();
    // A torn last line (crash mid-append) must not swallow the first new entry.
    if std::fs::read(&path).is_ok_and(|old| old.last().is_some_and(|&b| b != b'\n')) {
        text.push(b'\n');
    }
    text.extend(to_jsonl(entries).map_err(|e| JournalError::Serialize { path: path.clone(), message: e.to_string() })?);
    let existed = path.exists();
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
    file.write_all(&text).map_err(io)?;
    file.sync_all().map_err(io)?;
    if !existed && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the new directory entry durable; best effort, as in `atomic`.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(path)
}

/// Entries as JSON lines, each ending with a newline (the journal's format; recovery
/// autosaves keep pending entries in it too, privately).
pub fn to_jsonl(entries: &[JournalEntry]) -> Result<Vec<u8>, serde_json::Error> {
    let mut text = Vec::new();
    for e in entries {
        serde_json::to_writer(&mut text, e)?;
        text.push(b'\n');
    }
    Ok(text)
}

/// Reads a journal file. A missing file is an empty journal. Lines that do not parse are
/// skipped and reported (a torn last line says so), never fatal.
pub fn read_journal(path: &Path) -> Result<JournalRead, JournalError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(JournalRead::default()),
        Err(source) => return Err(JournalError::Io { path: path.to_owned(), source }),
    };
    let text = String::from_utf8_lossy(&bytes);
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut read = JournalRead::default();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JournalEntry>(line) {
            Ok(e) => read.entries.push(e),
            Err(e) if i + 1 == lines.len() && !complete => read.problems.push(format!(
                "{}:{}: torn last line skipped (an interrupted write): {e}",
                path.display(),
                i + 1
            )),
            Err(e) => read.problems.push(format!("{}:{}: unreadable line skipped: {e}", path.display(), i + 1)),
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, id: &str) -> JournalEntry {
        JournalEntry {
            when: "2024-05-01T09:30:00Z".to_owned(),
            who: "tester".to_owned(),
            action: action.to_owned(),
            feature_id: Some(id.to_owned()),
            detail: "event_date: 2021-06 → 2021-07".to_owned(),
            source_note: Some("RFE/RL, 2021-07-05".to_owned()),
        }
    }

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let layer = dir.path().join("events.geojson");
        let path = append_journal(&layer, &[entry("Set attribute", "TJK-FA-001")]).unwrap();
        append_journal(&layer, &[entry("Move feature", "TJK-FA-002"), entry("Delete", "TJK-FA-003")]).unwrap();
        assert_eq!(path, dir.path().join("events.geojson.journal.jsonl"));
        let read = read_journal(&path).unwrap();
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let actions: Vec<&str> = read.entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["Set attribute", "Move feature", "Delete"]);
        assert_eq!(read.entries[0], entry("Set attribute", "TJK-FA-001"));
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn torn_last_line_is_reported_and_the_next_append_starts_clean() {
        let dir = tempfile::tempdir().unwrap();
        let layer = dir.path().join("aid.geojson");
        let path = append_journal(&layer, &[entry("Add feature", "AID-1")]).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"when":"2024-05-01T09:3"#).unwrap();
        drop(f);
        let read = read_journal(&path).unwrap();
        assert_eq!(read.entries.len(), 1);
        assert_eq!(read.problems.len(), 1);
        assert!(read.problems[0].contains("torn last line"), "{}", read.problems[0]);
        append_journal(&layer, &[entry("Add feature", "AID-2")]).unwrap();
        let read = read_journal(&path).unwrap();
        assert_eq!(read.entries.len(), 2, "{:?}", read.problems);
        assert_eq!(read.problems.len(), 1);
        assert!(read.problems[0].contains("unreadable line"), "{}", read.problems[0]);
    }

    #[test]
    fn missing_journal_is_empty_and_user_has_a_name() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_journal(&dir.path().join("none.jsonl")).unwrap(), JournalRead::default());
        assert!(!default_user().is_empty());
        let e = JournalEntry::now("Add feature", None, "");
        assert!(chrono::DateTime::parse_from_rfc3339(&e.when).is_ok(), "{}", e.when);
        assert!(e.when.ends_with('Z'), "{}", e.when);
    }

    #[test]
    fn unwritable_journal_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        std::fs::write(&file, "x").unwrap();
        let e = append_journal(&file.join("layer.geojson"), &[entry("x", "y")]).unwrap_err();
        assert!(e.to_string().ends_with("layer.geojson.journal.jsonl"), "{e}");
    }
}
