//! The "recent projects" list, kept as a small JSON file (`{"recent": ["/abs/path", …]}`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{ProjectError, paths};

/// The most projects the list keeps.
pub const MAX_RECENT: usize = 10;

/// Recently opened or saved projects, most recent first: at most [`MAX_RECENT`], no
/// duplicates, absolute paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentProjects {
    entries: Vec<PathBuf>,
}

impl RecentProjects {
    /// Reads the list from `path`. A missing or unreadable list is empty (it is a
    /// convenience, never a reason to fail); projects that no longer exist are dropped.
    pub fn load(path: &Path) -> Self {
        let value: Value =
            std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
        let mut list = Self::default();
        let items = value.get("recent").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for p in items.iter().filter_map(Value::as_str).map(PathBuf::from) {
            let p = paths::absolute(&p);
            if list.entries.len() < MAX_RECENT && p.is_file() && !list.entries.contains(&p) {
                list.entries.push(p);
            }
        }
        list
    }

    /// Puts `project_path` first (moving it up if it was already listed) and drops the
    /// oldest entries beyond [`MAX_RECENT`].
    pub fn push(&mut self, project_path: &Path) {
        let p = paths::absolute(project_path);
        self.entries.retain(|e| *e != p);
        self.entries.insert(0, p);
        self.entries.truncate(MAX_RECENT);
    }

    /// Removes a project (e.g. one that failed to open).
    pub fn remove(&mut self, project_path: &Path) {
        let p = paths::absolute(project_path);
        self.entries.retain(|e| *e != p);
    }

    /// Writes the list to `path` atomically and privately (`0600` in a `0700` folder on
    /// Unix, see [`crate::io::private`]), creating its folder if needed.
    pub fn save(&self, path: &Path) -> Result<(), ProjectError> {
        let io = |source| ProjectError::Io { path: path.to_owned(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::io::private::create_private_dir(dir).map_err(io)?;
        }
        let list: Vec<String> = self.entries.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        let text = format!("{:#}\n", json!({ "recent": list }));
        crate::io::private::write_private(path, text.as_bytes()).map_err(io)
    }

    /// The projects, most recent first.
    pub fn entries(&self) -> &[PathBuf] {
        &self.entries
    }
}
