//! The offline outbox (issue 12): edits made while the store is unreachable wait here and are
//! pushed on reconnect through the same guarded writes and merge as any push.
//!
//! A SQLite file in WAL mode with `synchronous=FULL`, so a committed enqueue survives `kill -9`
//! and a power cut. [`Outbox::enqueue`] writes, in ONE SQLite transaction, the operation (its
//! id, layer, journal note), its changes with their base versions, and the local copy of each
//! changed feature (`local`, what the analyst sees offline); [`Outbox::enqueue_with`] lets the
//! caller add its own local writes to that same transaction. Either all of it is on disk or
//! none of it.
//!
//! [`Outbox::drain`] pushes the queued operations in order, each as one [`push`] with its own
//! operation id, and removes each from the queue in one SQLite transaction after the server
//! committed it. If the process dies between the server's commit and that removal, the next
//! drain pushes the operation again and the server answers "already applied" (its id is in
//! `atlas.applied_ops`): applied once. Conflicts the server reports are kept in `conflicts`
//! for the analyst to resolve (a resolution is a new operation based on theirs' version).
//!
//! Chained offline edits of one feature all start from the last version the client saw. When
//! an earlier operation of the same drain wrote a feature exactly as sent, later operations on
//! that feature are rebased onto the version it wrote (their base is then exactly the previous
//! edit, so the merge sees only the later edit); after a merged write they keep their original
//! base, so the merge never takes the local copy's stale fields for edits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::DbError;
use super::merge::Version;
use super::push::{Change, PushReport, feature_from_version, push, version_of};
use crate::model::Feature;
use crate::spatial::Shape;

/// The outbox file's schema.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    layer TEXT NOT NULL,
    note TEXT NOT NULL,
    queued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS changes (
    op_seq INTEGER NOT NULL REFERENCES ops(seq) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    fid TEXT NOT NULL,
    base_version INTEGER,
    geometry TEXT,
    props TEXT,
    extra TEXT,
    deleted INTEGER NOT NULL,
    PRIMARY KEY (op_seq, n)
);
CREATE TABLE IF NOT EXISTS local (
    layer TEXT NOT NULL,
    fid TEXT NOT NULL,
    base_version INTEGER,
    geometry TEXT,
    props TEXT,
    extra TEXT,
    deleted INTEGER NOT NULL,
    PRIMARY KEY (layer, fid)
);
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL,
    layer TEXT NOT NULL,
    fid TEXT NOT NULL,
    theirs_version INTEGER,
    lines TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS synced (
    layer TEXT NOT NULL,
    fid TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (layer, fid)
);
";

/// A queued operation.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedOp {
    /// Its operation id (sent with the push).
    pub op_id: Uuid,
    /// The store layer.
    pub layer: String,
    /// The journal note.
    pub note: String,
    /// Its changes, in order.
    pub changes: Vec<Change>,
}

/// A conflict kept for the analyst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptConflict {
    /// The operation that met it.
    pub op_id: Uuid,
    /// The store layer.
    pub layer: String,
    /// The feature.
    pub fid: Uuid,
    /// The store's version when it was met (`None`: deleted there).
    pub theirs_version: Option<i64>,
    /// `fid: field: mine / theirs` lines.
    pub lines: String,
}

/// What a drain did.
#[derive(Debug, Default)]
pub struct DrainReport {
    /// Each pushed operation and the server's report, in order.
    pub pushed: Vec<(Uuid, PushReport)>,
    /// Operations still queued (the drain stopped at an error, or none).
    pub remaining: usize,
}

/// The outbox: one SQLite file.
#[derive(Debug)]
pub struct Outbox {
    conn: Connection,
    path: PathBuf,
}

impl Outbox {
    /// Opens (creating if needed) the outbox at `path`: WAL journal, `synchronous=FULL`,
    /// foreign keys on.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let err = |e: rusqlite::Error| DbError::File(format!("outbox {}: {e}", path.display()));
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(err)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError::File(format!("outbox {}: cannot use WAL mode (got {mode})", path.display())));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;").map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Self { conn, path: path.to_owned() })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> DbError + '_ {
        move |e| DbError::File(format!("outbox {}: {e}", self.path.display()))
    }

    /// Queues `changes` to `layer` with the journal `note` as one operation, and the local copy
    /// of each changed feature, in one SQLite transaction. Returns the operation id.
    pub fn enqueue(&mut self, layer: &str, changes: &[Change], note: &str) -> Result<Uuid, DbError> {
        self.enqueue_with(layer, changes, note, |_| Ok(()))
    }

    /// [`Outbox::enqueue`], running `local` inside the same SQLite transaction (for the
    /// caller's own local writes); an error from `local` queues nothing.
    pub fn enqueue_with(
        &mut self,
        layer: &str,
        changes: &[Change],
        note: &str,
        local: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<Uuid, DbError> {
        self.enqueue_as(Uuid::new_v4(), layer, changes, note, local)
    }

    /// [`Outbox::enqueue_with`] under a given operation id: a push whose connection closed
    /// before its answer is queued with the id it was sent with, so if the server did commit
    /// it, the drain finds it already applied.
    pub fn enqueue_as(
        &mut self,
        op_id: Uuid,
        layer: &str,
        changes: &[Change],
        note: &str,
        local: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<Uuid, DbError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| DbError::File(format!("outbox {}: {e}", path.display()));
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("INSERT INTO ops (op_id, layer, note) VALUES (?1, ?2, ?3)", params![op_id.to_string(), layer, note])
            .map_err(err)?;
        let seq = tx.last_insert_rowid();
        for (n, c) in changes.iter().enumerate() {
            let parts = Parts::of(c.feature.as_ref());
            tx.execute(
                "INSERT INTO changes (op_seq, n, fid, base_version, geometry, props, extra, deleted) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    seq,
                    n as i64,
                    c.fid.to_string(),
                    c.base_version,
                    parts.geometry,
                    parts.props,
                    parts.extra,
                    parts.deleted
                ],
            )
            .map_err(err)?;
            tx.execute(
                "INSERT INTO local (layer, fid, base_version, geometry, props, extra, deleted) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (layer, fid) DO UPDATE SET \
                 geometry = excluded.geometry, props = excluded.props, extra = excluded.extra, \
                 deleted = excluded.deleted",
                params![
                    layer,
                    c.fid.to_string(),
                    c.base_version,
                    parts.geometry,
                    parts.props,
                    parts.extra,
                    parts.deleted
                ],
            )
            .map_err(err)?;
        }
        local(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(op_id)
    }

    /// The queued operations, oldest first.
    pub fn queued(&self) -> Result<Vec<QueuedOp>, DbError> {
        let mut stmt = self.conn.prepare("SELECT seq, op_id, layer, note FROM ops ORDER BY seq").map_err(self.err())?;
        let ops: Vec<(i64, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        let mut out = Vec::with_capacity(ops.len());
        for (seq, op_id, layer, note) in ops {
            let op_id = self.uuid(&op_id)?;
            out.push(QueuedOp { op_id, layer, note, changes: self.changes_of(seq)? });
        }
        Ok(out)
    }

    /// What is still waiting for `layer`, per feature in the order first queued: the content
    /// of its last queued change (`None`: deleted) with the base version of its first (the
    /// version its offline edits started from; `None`: inserted offline). This is what an
    /// analyst reopening the layer must see over the store's rows until the outbox is pushed.
    pub fn pending(&self, layer: &str) -> Result<Vec<Change>, DbError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.fid, c.base_version, c.geometry, c.props, c.extra, c.deleted \
                 FROM changes c JOIN ops o ON o.seq = c.op_seq WHERE o.layer = ?1 ORDER BY o.seq, c.n",
            )
            .map_err(self.err())?;
        let rows: Vec<(String, Option<i64>, Parts)> = stmt
            .query_map([layer], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    Parts { geometry: r.get(2)?, props: r.get(3)?, extra: r.get(4)?, deleted: r.get(5)? },
                ))
            })
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        let mut out: Vec<Change> = Vec::new();
        let mut at: HashMap<Uuid, usize> = HashMap::new();
        for (fid, base_version, parts) in rows {
            let fid = self.uuid(&fid)?;
            let feature = parts.feature().map_err(|e| DbError::Data(format!("outbox: feature {fid}: {e}")))?;
            if let Some(&i) = at.get(&fid) {
                out[i].feature = feature;
            } else {
                at.insert(fid, out.len());
                out.push(Change { fid, base_version, feature });
            }
        }
        Ok(out)
    }

    /// How many operations are queued.
    pub fn len(&self) -> Result<usize, DbError> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM ops", [], |r| r.get(0)).map_err(self.err())?;
        Ok(n as usize)
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> Result<bool, DbError> {
        self.len().map(|n| n == 0)
    }

    /// The local copy of a feature (`Some(None)`: deleted locally; `None`: never changed here).
    pub fn local(&self, layer: &str, fid: Uuid) -> Result<Option<Option<Feature>>, DbError> {
        let row = self
            .conn
            .query_row(
                "SELECT geometry, props, extra, deleted FROM local WHERE layer = ?1 AND fid = ?2",
                params![layer, fid.to_string()],
                |r| Ok(Parts { geometry: r.get(0)?, props: r.get(1)?, extra: r.get(2)?, deleted: r.get(3)? }),
            )
            .optional()
            .map_err(self.err())?;
        row.map(|p| p.feature().map_err(|e| DbError::Data(format!("outbox: feature {fid}: {e}")))).transpose()
    }

    /// Conflicts met while draining, oldest first.
    pub fn conflicts(&self) -> Result<Vec<KeptConflict>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT op_id, layer, fid, theirs_version, lines FROM conflicts ORDER BY id")
            .map_err(self.err())?;
        let rows: Vec<(String, String, String, Option<i64>, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        rows.into_iter()
            .map(|(op, layer, fid, theirs_version, lines)| {
                Ok(KeptConflict { op_id: self.uuid(&op)?, layer, fid: self.uuid(&fid)?, theirs_version, lines })
            })
            .collect()
    }

    /// Forgets a resolved conflict.
    pub fn resolve(&mut self, layer: &str, fid: Uuid) -> Result<(), DbError> {
        self.conn
            .execute("DELETE FROM conflicts WHERE layer = ?1 AND fid = ?2", params![layer, fid.to_string()])
            .map_err(self.err())?;
        Ok(())
    }

    fn uuid(&self, text: &str) -> Result<Uuid, DbError> {
        Uuid::parse_str(text)
            .map_err(|e| DbError::Data(format!("outbox {}: bad id `{text}`: {e}", self.path.display())))
    }

    fn changes_of(&self, seq: i64) -> Result<Vec<Change>, DbError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT fid, base_version, geometry, props, extra, deleted FROM changes WHERE op_seq = ?1 ORDER BY n",
            )
            .map_err(self.err())?;
        let rows: Vec<(String, Option<i64>, Parts)> = stmt
            .query_map([seq], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    Parts { geometry: r.get(2)?, props: r.get(3)?, extra: r.get(4)?, deleted: r.get(5)? },
                ))
            })
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        rows.into_iter()
            .map(|(fid, base_version, parts)| {
                let fid = self.uuid(&fid)?;
                let feature = parts.feature().map_err(|e| DbError::Data(format!("outbox: feature {fid}: {e}")))?;
                Ok(Change { fid, base_version, feature })
            })
            .collect()
    }

    /// Pushes every queued operation in order through [`push`] on `client`, removing each
    /// once the server has it. Stops at the first error (the operation stays queued; a lost
    /// connection is retried by the next drain).
    pub fn drain(&mut self, client: &mut postgres::Client) -> Result<DrainReport, DbError> {
        let mut report = DrainReport::default();
        let ops = self.queued()?;
        let mut synced = self.synced()?;
        for op in ops {
            let changes: Vec<Change> = op.changes.iter().map(|c| rebase(c, &op.layer, &synced)).collect();
            let pushed = push(client, &op.layer, &changes, op.op_id, &op.note)?;
            self.done(&op, &pushed, &mut synced)?;
            report.pushed.push((op.op_id, pushed));
        }
        report.remaining = self.len()?;
        Ok(report)
    }

    fn synced(&self) -> Result<HashMap<(String, Uuid), i64>, DbError> {
        let mut stmt = self.conn.prepare("SELECT layer, fid, version FROM synced").map_err(self.err())?;
        let rows: Vec<(String, String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        rows.into_iter().map(|(l, f, v)| Ok(((l, self.uuid(&f)?), v))).collect()
    }

    /// Removes a pushed operation, keeps its conflicts and the versions it wrote as sent, in
    /// one SQLite transaction.
    fn done(
        &mut self,
        op: &QueuedOp,
        pushed: &PushReport,
        synced: &mut HashMap<(String, Uuid), i64>,
    ) -> Result<(), DbError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| DbError::File(format!("outbox {}: {e}", path.display()));
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM ops WHERE op_id = ?1", [op.op_id.to_string()]).map_err(err)?;
        for c in &pushed.conflicts {
            tx.execute(
                "INSERT INTO conflicts (op_id, layer, fid, theirs_version, lines) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![op.op_id.to_string(), op.layer, c.fid.to_string(), c.theirs_version, c.to_string()],
            )
            .map_err(err)?;
        }
        for w in &pushed.applied {
            let key = (op.layer.clone(), w.fid);
            if w.deleted {
                tx.execute("DELETE FROM synced WHERE layer = ?1 AND fid = ?2", params![op.layer, w.fid.to_string()])
                    .map_err(err)?;
                synced.remove(&key);
            } else {
                tx.execute(
                    "INSERT INTO synced (layer, fid, version) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (layer, fid) DO UPDATE SET version = excluded.version",
                    params![op.layer, w.fid.to_string(), w.version],
                )
                .map_err(err)?;
                synced.insert(key, w.version);
            }
        }
        // A feature merged or in conflict is no longer exactly as this client sent it.
        for fid in pushed.merged.iter().map(|m| m.fid).chain(pushed.conflicts.iter().map(|c| c.fid)) {
            tx.execute("DELETE FROM synced WHERE layer = ?1 AND fid = ?2", params![op.layer, fid.to_string()])
                .map_err(err)?;
            synced.remove(&(op.layer.clone(), fid));
        }
        tx.commit().map_err(err)?;
        Ok(())
    }
}

/// `c` rebased onto the version an earlier operation wrote exactly as sent (see the module
/// documentation); unchanged otherwise.
fn rebase(c: &Change, layer: &str, synced: &HashMap<(String, Uuid), i64>) -> Change {
    match synced.get(&(layer.to_owned(), c.fid)) {
        Some(&v) if c.base_version.is_none_or(|b| b < v) => Change { base_version: Some(v), ..c.clone() },
        _ => c.clone(),
    }
}

/// A feature as stored in the outbox: GeoJSON geometry, properties and members as text.
struct Parts {
    geometry: Option<String>,
    props: Option<String>,
    extra: Option<String>,
    deleted: bool,
}

impl Parts {
    fn of(f: Option<&Feature>) -> Self {
        match f {
            None => Self { geometry: None, props: None, extra: None, deleted: true },
            Some(f) => {
                let v = version_of(f);
                Self {
                    geometry: v.geometry.as_ref().map(Value::to_string),
                    props: Some(Value::Object(v.properties).to_string()),
                    extra: Some(Value::Object(v.extra).to_string()),
                    deleted: false,
                }
            }
        }
    }

    fn feature(&self) -> Result<Option<Feature>, String> {
        if self.deleted {
            return Ok(None);
        }
        let parse = |t: &Option<String>| -> Result<Option<Value>, String> {
            t.as_deref().map(serde_json::from_str).transpose().map_err(|e| e.to_string())
        };
        let geometry = parse(&self.geometry)?;
        let map = |v: Option<Value>| match v {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let v = Version { geometry, properties: map(parse(&self.props)?), extra: map(parse(&self.extra)?) };
        let shape = match &v.geometry {
            Some(g) => Shape::from_geo(Some(&crate::io::geojson::geo_from_json(g)?)),
            None => Shape::from_geo(None),
        };
        Ok(Some(Feature { shape, ..feature_from_version(&v) }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::FeatureId;

    fn feature(name: &str) -> Feature {
        let geometry = json!({"type": "Point", "coordinates": [68.5, 37.25]});
        Feature {
            id: Some(FeatureId::Num(serde_json::Number::from(7))),
            shape: Shape::from_geo(Some(&crate::io::geojson::geo_from_json(&geometry).unwrap())),
            geometry: Some(geometry),
            properties: serde_json::from_str(&format!(r#"{{"name": "{name}", "x": 1.50}}"#)).unwrap(),
            foreign_members: serde_json::from_str(r#"{"note": "kept"}"#).unwrap(),
            time: None,
        }
    }

    #[test]
    fn queued_operations_survive_reopening_with_exact_text_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.sqlite");
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut outbox = Outbox::open(&path).unwrap();
        let first =
            outbox.enqueue("posts", &[Change::update(a, 3, feature("one")), Change::delete(b, 2)], "n1").unwrap();
        let second = outbox.enqueue("posts", &[Change::insert(b, feature("two"))], "n2").unwrap();
        drop(outbox);
        let outbox = Outbox::open(&path).unwrap();
        let mode: String = outbox.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        let sync: i64 = outbox.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL and synchronous=FULL");
        let q = outbox.queued().unwrap();
        assert_eq!(q.iter().map(|o| (o.op_id, o.note.as_str())).collect::<Vec<_>>(), [(first, "n1"), (second, "n2")]);
        assert_eq!(q[0].changes, [Change::update(a, 3, feature("one")), Change::delete(b, 2)]);
        let back = q[1].changes[0].feature.as_ref().unwrap();
        assert_eq!(serde_json::to_string(&back.properties).unwrap(), r#"{"name":"two","x":1.50}"#);
        assert_eq!(
            (back.id.clone(), back.foreign_members.clone()),
            (feature("two").id, feature("two").foreign_members)
        );
        // The local copy follows the last change of each feature.
        assert_eq!(outbox.local("posts", a).unwrap(), Some(Some(feature("one"))));
        assert_eq!(outbox.local("posts", b).unwrap(), Some(Some(feature("two"))));
        assert_eq!(outbox.local("posts", Uuid::nil()).unwrap(), None);
    }

    #[test]
    fn a_failing_local_write_queues_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut outbox = Outbox::open(&dir.path().join("o.sqlite")).unwrap();
        let fid = Uuid::new_v4();
        let e = outbox.enqueue_with("posts", &[Change::insert(fid, feature("x"))], "", |tx| {
            tx.execute_batch("INSERT INTO no_such_table VALUES (1)")
        });
        assert!(e.unwrap_err().to_string().contains("no_such_table"));
        assert!(outbox.is_empty().unwrap());
        assert_eq!(outbox.local("posts", fid).unwrap(), None);
    }

    #[test]
    fn chained_edits_rebase_onto_a_version_written_as_sent() {
        let fid = Uuid::new_v4();
        let mut synced = HashMap::new();
        let c = Change::update(fid, 3, feature("a"));
        assert_eq!(rebase(&c, "posts", &synced), c);
        synced.insert(("posts".to_owned(), fid), 4);
        assert_eq!(rebase(&c, "posts", &synced).base_version, Some(4));
        assert_eq!(rebase(&c, "other", &synced).base_version, Some(3));
        // An insert queued after an earlier insert of the same fid landed becomes an update.
        assert_eq!(rebase(&Change::insert(fid, feature("a")), "posts", &synced).base_version, Some(4));
        // A newer base (the client reopened the layer) is kept.
        assert_eq!(rebase(&Change::update(fid, 6, feature("a")), "posts", &synced).base_version, Some(6));
    }
}
