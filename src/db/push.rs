//! Pushing an analyst's changes to a store layer (issue 12): one transaction, guarded writes,
//! a per-field merge when someone else saved first, conflicts listed and never written.
//!
//! [`push`] works like this, all in ONE transaction:
//! 1. The operation id goes into `atlas.applied_ops` first (`ON CONFLICT DO NOTHING`): when it
//!    is already there the push was applied before (a retry after a lost answer) and nothing is
//!    done again; a concurrent push of the same id waits on that row and then finds it.
//! 2. The journal note and the operation id become transaction-local settings
//!    (`set_config('atlas.note', …, true)`, `atlas.op_id`) that the layer's trigger writes into
//!    `atlas.history`; authorship is the session's role, set by the server.
//! 3. The stored rows the push touches are read and locked (`FOR UPDATE`, in fid order so two
//!    pushes cannot deadlock). A change whose base version is still current is written as sent
//!    with a guarded `UPDATE … WHERE fid = $1 AND version = $2` (or `DELETE`); a change equal to
//!    what is stored writes nothing (a file pushed back with most features untouched makes no
//!    new versions).
//! 4. When the stored version is newer than the base, the base is read from `atlas.history` at
//!    the base version and [`merge`](super::merge::merge)d with mine and theirs: a clean merge is
//!    written (guarded again, at theirs' version) and reported with the fields taken from each
//!    side; a conflict is reported with base / mine / theirs per field and **nothing of that
//!    feature is written**. A guarded write that still misses re-reads the row and merges again.
//!
//! **The rest of a push with conflicts is applied** (decision): changes to other features, and
//! merged ones, are committed with the operation id; only the conflicting features are left as
//! the store has them. So 50 queued offline edits with one conflict still land 49, and the
//! conflict stays with the analyst to resolve — the resolution is a new push (a new operation)
//! based on theirs' version. Pushing the same content again is harmless: every change already
//! stored merges to "nothing to write".

use std::collections::HashMap;
use std::fmt;

use postgres::Transaction;
use serde_json::Value;
use uuid::Uuid;

use super::DbError;
use super::merge::{self, FieldConflict, Outcome, Version};
use super::publish::{GEOMETRY_SKELETON_KEY, ROW_COLUMNS, Row, extra_of};
use super::schema::{can_edit, layer_info, qualified};
use crate::model::{Feature, FeatureId, LayerKind};
use crate::spatial::Shape;

/// One change of a feature, as the analyst made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The feature's id in the store (client-generated for a new feature).
    pub fid: Uuid,
    /// The store version the edit started from; `None` for a new feature (an insert).
    pub base_version: Option<i64>,
    /// The feature as the analyst left it; `None` deletes it.
    pub feature: Option<Feature>,
}

impl Change {
    /// A new feature.
    pub fn insert(fid: Uuid, feature: Feature) -> Self {
        Self { fid, base_version: None, feature: Some(feature) }
    }

    /// A changed feature, edited from store version `base`.
    pub fn update(fid: Uuid, base: i64, feature: Feature) -> Self {
        Self { fid, base_version: Some(base), feature: Some(feature) }
    }

    /// A deleted feature, deleted at store version `base`.
    pub fn delete(fid: Uuid, base: i64) -> Self {
        Self { fid, base_version: Some(base), feature: None }
    }
}

/// A change written as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The feature.
    pub fid: Uuid,
    /// Its new version (for a delete, the version the history records the delete under).
    pub version: i64,
    /// Whether the change deleted the feature.
    pub deleted: bool,
}

/// A change merged with someone else's newer version of the same feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The feature.
    pub fid: Uuid,
    /// Its new version.
    pub version: i64,
    /// Fields the analyst changed, written on top of theirs.
    pub mine: Vec<merge::Field>,
    /// Fields the other side changed, kept.
    pub theirs: Vec<merge::Field>,
}

/// A change that conflicts with the store: nothing of it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The feature.
    pub fid: Uuid,
    /// The store's version of it now (`None`: the store has deleted it); a resolution is
    /// pushed with this as its base.
    pub theirs_version: Option<i64>,
    /// Base / mine / theirs of each conflicting field.
    pub fields: Vec<FieldConflict>,
}

impl fmt::Display for Conflict {
    /// One line per field: `fid: field: mine / theirs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.fields.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}: {} / {}", self.fid, c.field, c.mine, c.theirs)?;
        }
        Ok(())
    }
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushReport {
    /// The operation had been applied before: nothing was done this time.
    pub already_applied: bool,
    /// Changes written as sent.
    pub applied: Vec<Written>,
    /// Changes merged with newer versions and written.
    pub merged: Vec<Merged>,
    /// Changes the store already held (nothing written).
    pub unchanged: Vec<Uuid>,
    /// Conflicting changes, not written.
    pub conflicts: Vec<Conflict>,
}

impl PushReport {
    /// The new version of `fid` this push wrote (`None` when it wrote nothing for it).
    pub fn version_of(&self, fid: Uuid) -> Option<i64> {
        self.applied
            .iter()
            .rev()
            .find(|w| w.fid == fid)
            .map(|w| w.version)
            .or_else(|| self.merged.iter().rev().find(|m| m.fid == fid).map(|m| m.version))
    }
}

impl fmt::Display for PushReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_applied {
            return f.write_str("already applied earlier: nothing done again");
        }
        write!(
            f,
            "{} written, {} merged, {} unchanged, {} in conflict (not written)",
            self.applied.len(),
            self.merged.len(),
            self.unchanged.len(),
            self.conflicts.len()
        )
    }
}

/// The store's current row of a feature.
#[derive(Debug, Clone)]
struct Current {
    version: i64,
    content: Version,
}

/// How many times a guarded write that misses is retried (after re-reading the row) before
/// the push gives up; rows are locked, so a miss is rare.
const MAX_ATTEMPTS: usize = 5;

/// Pushes `changes` to store layer `layer` in one transaction as operation `op_id` with the
/// journal `note` (see the module documentation). A role that may not edit the layer is
/// refused with [`DbError::Denied`] before anything is written.
pub fn push(
    client: &mut postgres::Client,
    layer: &str,
    changes: &[Change],
    op_id: Uuid,
    note: &str,
) -> Result<PushReport, DbError> {
    let info = layer_info(client, layer)?;
    if let Some(why) = can_edit(client, layer)? {
        return Err(DbError::Denied(why));
    }
    let what = format!("pushing to “{layer}”");
    let ctx = Ctx { table: qualified(&info.table), layer: layer.to_owned(), kind: info.kind, what };
    let during = |e: postgres::Error| DbError::during(&ctx.what)(e);
    let mut tx = client.transaction().map_err(during)?;
    let fresh = tx
        .query_opt(
            "INSERT INTO atlas.applied_ops (op_id, layer) VALUES ($1, $2) ON CONFLICT (op_id) DO NOTHING RETURNING op_id",
            &[&op_id, &layer],
        )
        .map_err(during)?
        .is_some();
    if !fresh {
        // Rolled back on drop: nothing of this attempt stays.
        return Ok(PushReport { already_applied: true, ..PushReport::default() });
    }
    tx.execute(
        "SELECT set_config('atlas.note', $1, true), set_config('atlas.op_id', $2, true)",
        &[&note, &op_id.to_string()],
    )
    .map_err(during)?;
    let mut fids: Vec<Uuid> = changes.iter().map(|c| c.fid).collect();
    fids.sort_unstable();
    fids.dedup();
    let mut current = ctx.lock_rows(&mut tx, &fids)?;
    let mut report = PushReport::default();
    for change in changes {
        ctx.apply(&mut tx, change, &mut current, &mut report)?;
    }
    tx.commit().map_err(during)?;
    Ok(report)
}

struct Ctx {
    table: String,
    layer: String,
    kind: LayerKind,
    what: String,
}

impl Ctx {
    fn err(&self) -> impl Fn(postgres::Error) -> DbError + '_ {
        DbError::during(&self.what)
    }

    fn data(&self, fid: Uuid, text: impl fmt::Display) -> DbError {
        DbError::Data(format!("{}: feature {fid}: {text}", self.what))
    }

    /// Reads and locks the stored rows of `fids` (sorted), in fid order.
    fn lock_rows(&self, tx: &mut Transaction<'_>, fids: &[Uuid]) -> Result<HashMap<Uuid, Current>, DbError> {
        let sql = format!(
            "SELECT fid, version, ST_AsEWKB(geom), props::text, extra::text FROM {} WHERE fid = ANY($1) \
             ORDER BY fid FOR UPDATE",
            self.table
        );
        let mut out = HashMap::with_capacity(fids.len());
        for row in tx.query(&sql, &[&fids]).map_err(self.err())? {
            let fid: Uuid = row.get(0);
            let content = self.content(fid, row.get(2), row.get(3), row.get(4))?;
            out.insert(fid, Current { version: row.get(1), content });
        }
        Ok(out)
    }

    /// Re-reads (and locks) one row after a guarded write missed.
    fn reread(&self, tx: &mut Transaction<'_>, fid: Uuid) -> Result<Option<Current>, DbError> {
        Ok(self.lock_rows(tx, &[fid])?.remove(&fid))
    }

    /// The base: the history's row of `fid` at `version` (`None` when that version is a delete).
    fn base(&self, tx: &mut Transaction<'_>, fid: Uuid, version: i64) -> Result<Option<Version>, DbError> {
        let row = tx
            .query_opt(
                "SELECT op, ST_AsEWKB(geom), props::text, extra::text FROM atlas.history \
                 WHERE layer = $1 AND fid = $2 AND version = $3 LIMIT 1",
                &[&self.layer, &fid, &version],
            )
            .map_err(self.err())?;
        let Some(row) = row else {
            return Err(self.data(
                fid,
                format_args!("the store has no version {version} of it (was the file's atlas_version edited?)"),
            ));
        };
        let op: String = row.get(0);
        if op == "delete" {
            return Ok(None);
        }
        self.content(fid, row.get(1), row.get(2), row.get(3)).map(Some)
    }

    fn content(
        &self,
        fid: Uuid,
        geom: Option<&[u8]>,
        props: Option<&str>,
        extra: Option<&str>,
    ) -> Result<Version, DbError> {
        // Read back as `open` reads it (geometry members restored from the stored layout), then
        // seen as mine is: both sides compare alike.
        let f = super::open::feature_from_parts(geom, props, extra)
            .map_err(|e| self.data(fid, format_args!("the stored row: {e}")))?;
        Ok(version_of(&f))
    }

    /// Applies one change, merging when the store moved on.
    fn apply(
        &self,
        tx: &mut Transaction<'_>,
        change: &Change,
        current: &mut HashMap<Uuid, Current>,
        report: &mut PushReport,
    ) -> Result<(), DbError> {
        let fid = change.fid;
        let mine = change.feature.as_ref().map(version_of);
        for _ in 0..MAX_ATTEMPTS {
            let theirs = current.get(&fid).cloned();
            // Fast path: the store still holds the base version.
            if let (Some(base), Some(t)) = (change.base_version, &theirs)
                && t.version == base
            {
                let done = match (&change.feature, &mine) {
                    (Some(_), Some(m)) if m.same_as(&t.content) => {
                        report.unchanged.push(fid);
                        return Ok(());
                    }
                    (Some(f), Some(m)) => self.update(tx, fid, base, f)?.map(|v| (v, Some(m.clone()))),
                    _ => self.delete(tx, fid, base)?.map(|v| (v, None)),
                };
                let Some((version, content)) = done else {
                    self.refresh(tx, fid, current)?;
                    continue;
                };
                let deleted = content.is_none();
                record(current, fid, version, content);
                report.applied.push(Written { fid, version, deleted });
                return Ok(());
            }
            // A plain insert of a new fid.
            if change.base_version.is_none()
                && theirs.is_none()
                && let Some(f) = &change.feature
            {
                let Some(version) = self.insert(tx, fid, f)? else {
                    // Someone inserted the same fid meanwhile: merge as insert vs insert.
                    self.refresh(tx, fid, current)?;
                    continue;
                };
                record(current, fid, version, mine.clone());
                report.applied.push(Written { fid, version, deleted: false });
                return Ok(());
            }
            // The store moved on (or the feature is gone): three-way merge against the base.
            let base = match change.base_version {
                Some(v) => self.base(tx, fid, v)?,
                None => None,
            };
            match merge::merge(base.as_ref(), mine.as_ref(), theirs.as_ref().map(|t| &t.content)) {
                Outcome::Conflict(fields) => {
                    report.conflicts.push(Conflict { fid, theirs_version: theirs.map(|t| t.version), fields });
                    return Ok(());
                }
                Outcome::Clean { write: false, .. } => {
                    report.unchanged.push(fid);
                    return Ok(());
                }
                Outcome::Clean { result, mine: from_mine, theirs: from_theirs, write: true } => {
                    let written = match (&result, &theirs) {
                        (Some(r), Some(t)) => {
                            let f = feature_of(r, change.feature.as_ref(), mine.as_ref());
                            self.update(tx, fid, t.version, &f)?
                        }
                        (Some(r), None) => {
                            let f = feature_of(r, change.feature.as_ref(), mine.as_ref());
                            self.insert(tx, fid, &f)?
                        }
                        (None, Some(t)) => self.delete(tx, fid, t.version)?,
                        (None, None) => {
                            report.unchanged.push(fid);
                            return Ok(());
                        }
                    };
                    let Some(version) = written else {
                        self.refresh(tx, fid, current)?;
                        continue;
                    };
                    let deleted = result.is_none();
                    record(current, fid, version, result);
                    if from_theirs.is_empty() {
                        report.applied.push(Written { fid, version, deleted });
                    } else {
                        report.merged.push(Merged { fid, version, mine: from_mine, theirs: from_theirs });
                    }
                    return Ok(());
                }
            }
        }
        Err(self.data(fid, format_args!("the stored row kept changing; tried {MAX_ATTEMPTS} times")))
    }

    fn refresh(
        &self,
        tx: &mut Transaction<'_>,
        fid: Uuid,
        current: &mut HashMap<Uuid, Current>,
    ) -> Result<(), DbError> {
        match self.reread(tx, fid)? {
            Some(c) => current.insert(fid, c),
            None => current.remove(&fid),
        };
        Ok(())
    }

    /// `INSERT` of a new fid; `None` when the fid exists.
    fn insert(&self, tx: &mut Transaction<'_>, fid: Uuid, f: &Feature) -> Result<Option<i64>, DbError> {
        let row = Row::of(f, self.kind).map_err(|e| self.data(fid, e))?;
        let sql = format!(
            "INSERT INTO {} (fid, {ROW_COLUMNS}) VALUES ($1, {}) ON CONFLICT (fid) DO NOTHING RETURNING version",
            self.table,
            Row::values_sql(2)
        );
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&fid];
        params.extend(row.params());
        Ok(tx.query_opt(&sql, &params).map_err(self.err())?.map(|r| r.get(0)))
    }

    /// Guarded `UPDATE`; the new version, or `None` when the stored version is not `base`.
    fn update(&self, tx: &mut Transaction<'_>, fid: Uuid, base: i64, f: &Feature) -> Result<Option<i64>, DbError> {
        let row = Row::of(f, self.kind).map_err(|e| self.data(fid, e))?;
        let sql = format!(
            "UPDATE {} SET ({ROW_COLUMNS}) = ({}) WHERE fid = $1 AND version = $2 RETURNING version",
            self.table,
            Row::values_sql(3)
        );
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&fid, &base];
        params.extend(row.params());
        Ok(tx.query_opt(&sql, &params).map_err(self.err())?.map(|r| r.get(0)))
    }

    /// Guarded `DELETE`; the version the history records the delete under, or `None` when the
    /// stored version is not `base`.
    fn delete(&self, tx: &mut Transaction<'_>, fid: Uuid, base: i64) -> Result<Option<i64>, DbError> {
        let sql = format!("DELETE FROM {} WHERE fid = $1 AND version = $2 RETURNING version", self.table);
        Ok(tx.query_opt(&sql, &[&fid, &base]).map_err(self.err())?.map(|r| r.get::<_, i64>(0) + 1))
    }
}

fn record(current: &mut HashMap<Uuid, Current>, fid: Uuid, version: i64, content: Option<Version>) {
    match content {
        Some(content) => current.insert(fid, Current { version, content }),
        None => current.remove(&fid),
    };
}

/// A feature's content as the merge sees it.
pub fn version_of(f: &Feature) -> Version {
    Version { geometry: f.geometry.clone(), properties: f.properties.clone(), extra: extra_of(f).unwrap_or_default() }
}

/// The feature to write for merged content `v`: the id and foreign members out of `extra`; the
/// date span of mine when the merged properties are mine's (else left for the layer kind's
/// rules to derive from the properties).
fn feature_of(v: &Version, mine_feature: Option<&Feature>, mine: Option<&Version>) -> Feature {
    let same_props =
        mine.is_some_and(|m| serde_json::to_string(&m.properties).ok() == serde_json::to_string(&v.properties).ok());
    Feature { time: if same_props { mine_feature.and_then(|f| f.time) } else { None }, ..feature_from_version(v) }
}

/// A feature holding content `v`: its `id` and foreign members out of `extra`, without the
/// geometry layout member ([`GEOMETRY_SKELETON_KEY`], derived from the geometry again when
/// written). Its shape is empty and it has no date span.
pub fn feature_from_version(v: &Version) -> Feature {
    let mut foreign_members = v.extra.clone();
    foreign_members.shift_remove(GEOMETRY_SKELETON_KEY);
    let id = match foreign_members.get("id") {
        Some(Value::String(s)) => Some(FeatureId::Str(s.clone())),
        Some(Value::Number(n)) => Some(FeatureId::Num(n.clone())),
        _ => None,
    };
    if id.is_some() {
        foreign_members.shift_remove("id");
    }
    Feature {
        id,
        geometry: v.geometry.clone(),
        properties: v.properties.clone(),
        foreign_members,
        shape: Shape::from_geo(None),
        time: None,
    }
}

/// What `db push FILE` found besides the push itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileNotes {
    /// Lines about the file (features the reader skipped, new features, rows left alone).
    pub lines: Vec<String>,
}

/// Deletes for the features that existed in `layer` at change-log position `seq` (when the
/// file was exported) and are not among `changes`: each at the version it had then.
fn removed_since_export(
    client: &mut postgres::Client,
    layer: &str,
    seq: i64,
    changes: &[Change],
) -> Result<Vec<Change>, DbError> {
    let in_file: std::collections::HashSet<Uuid> = changes.iter().map(|c| c.fid).collect();
    let rows = client
        .query(
            "SELECT DISTINCT ON (fid) fid, version, op FROM atlas.changes WHERE layer = $1 AND seq <= $2 \
             ORDER BY fid, seq DESC",
            &[&layer, &seq],
        )
        .map_err(DbError::during("reading the layer as exported"))?;
    Ok(rows
        .iter()
        .filter(|r| r.get::<_, &str>(2) != "delete")
        .map(|r| (r.get::<_, Uuid>(0), r.get::<_, i64>(1)))
        .filter(|(fid, _)| !in_file.contains(fid))
        .map(|(fid, version)| Change::delete(fid, version))
        .collect())
}

/// `frontier-atlas db push URL LAYER FILE`: the changes of a file exported from store layer
/// `layer` (`db export`, edited in any tool) pushed as one operation. A feature with
/// `atlas_fid` and `atlas_version` is an update from that version (unchanged ones write
/// nothing); one without `atlas_fid` is new and gets a fid derived from the layer, its position
/// among the new features and its content, so pushing the same file again inserts it once.
/// A stored feature missing from the file is deleted when it existed at the export (the
/// file's `atlas_export` stamp gives the change-log position), from the version it had then
/// (so a delete of a feature someone changed since is a conflict); features added by others
/// after the export are left alone. Without the stamp, missing features are left alone.
pub fn push_file(
    client: &mut postgres::Client,
    layer: &str,
    path: &std::path::Path,
    note: &str,
) -> Result<(PushReport, FileNotes), DbError> {
    let loaded = crate::io::open::open_layers(path).map_err(|e| DbError::File(e.to_string()))?;
    let mut notes = FileNotes::default();
    let [one] = <[_; 1]>::try_from(loaded).map_err(|many: Vec<_>| {
        DbError::File(format!("{}: {} layers; push one layer per file", path.display(), many.len()))
    })?;
    notes.lines.extend(one.skipped);
    let mut changes = Vec::with_capacity(one.layer.features.len());
    let mut fresh = 0usize;
    for (i, f) in one.layer.features.iter().enumerate() {
        let mut f: Feature = (*f).clone();
        let (fid, version) = super::export::take_store_keys(&mut f.properties)
            .map_err(|e| DbError::File(format!("{}: feature {}: {e}", path.display(), i + 1)))?;
        changes.push(match (fid, version) {
            (Some(fid), Some(v)) => Change::update(fid, v, f),
            (Some(fid), None) => Change::insert(fid, f),
            (None, _) => {
                fresh += 1;
                Change::insert(derived_fid(layer, fresh, &f), f)
            }
        });
    }
    match one.layer.foreign_members.get(super::export::EXPORT_KEY) {
        Some(stamp) => {
            if let Some(from) = stamp.get("layer").and_then(Value::as_str)
                && from != layer
            {
                return Err(DbError::File(format!(
                    "{}: exported from store layer “{from}”, not “{layer}”",
                    path.display()
                )));
            }
            let seq = stamp.get("seq").and_then(Value::as_i64).ok_or_else(|| {
                DbError::File(format!("{}: {} has no whole-number `seq`", path.display(), super::export::EXPORT_KEY))
            })?;
            let deletes = removed_since_export(client, layer, seq, &changes)?;
            if !deletes.is_empty() {
                notes.lines.push(format!("{}: {} stored feature(s) removed from the file: deleted", path.display(), deletes.len()));
            }
            changes.extend(deletes);
        }
        None => notes.lines.push(format!(
            "{}: no {} stamp (not exported by `db export`?): stored features missing from the file are left as they are",
            path.display(),
            super::export::EXPORT_KEY
        )),
    }
    if fresh > 0 {
        notes.lines.push(format!(
            "{}: {fresh} new feature(s) without atlas_fid: inserted; export again before editing them further",
            path.display()
        ));
    }
    let report = push(client, layer, &changes, Uuid::new_v4(), note)?;
    Ok((report, notes))
}

/// A stable fid for the `n`th new feature of a file pushed to `layer` (a version-8 UUID from
/// two FNV-1a hashes of the layer, `n` and the feature's text).
fn derived_fid(layer: &str, n: usize, f: &Feature) -> Uuid {
    let text = crate::io::geojson::feature_to_json(f, crate::model::FeatureLayout::default()).to_string();
    let fnv = |seed: u64| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for b in layer.bytes().chain([0]).chain(n.to_le_bytes()).chain([0]).chain(text.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv(0).to_le_bytes());
    bytes[8..].copy_from_slice(&fnv(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The lines `db push` prints: the summary, merged features with their fields, and each
/// conflict as `fid: field: mine / theirs`.
pub fn report_lines(report: &PushReport) -> Vec<String> {
    let mut out = vec![report.to_string()];
    let names = |fields: &[merge::Field]| fields.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    for m in &report.merged {
        out.push(format!(
            "merged {} (version {}): yours: {}; kept theirs: {}",
            m.fid,
            m.version,
            names(&m.mine),
            names(&m.theirs)
        ));
    }
    for c in &report.conflicts {
        out.extend(c.to_string().lines().map(str::to_owned));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::FeatureId;

    fn feature(props: &Value) -> Feature {
        Feature {
            id: Some(FeatureId::Str("A-1".into())),
            geometry: Some(json!({"type": "Point", "coordinates": [68.5, 37.5]})),
            properties: props.as_object().cloned().unwrap_or_default(),
            foreign_members: serde_json::Map::new(),
            shape: Shape::from_geo(None),
            time: None,
        }
    }

    #[test]
    fn derived_fids_are_stable_and_differ_by_position_and_content() {
        let f = feature(&json!({"name": "Khorog"}));
        let a = derived_fid("posts", 1, &f);
        assert_eq!(a, derived_fid("posts", 1, &f));
        assert_ne!(a, derived_fid("posts", 2, &f));
        assert_ne!(a, derived_fid("roads", 1, &f));
        assert_ne!(a, derived_fid("posts", 1, &feature(&json!({"name": "Rushan"}))));
        assert_eq!(a.get_version_num(), 8);
    }

    #[test]
    fn merged_content_becomes_a_feature_with_its_id_back() {
        let mine = feature(&json!({"name": "Khorog"}));
        let v = version_of(&mine);
        assert_eq!(v.extra.get("id"), Some(&json!("A-1")));
        let back = feature_of(&v, Some(&mine), Some(&v));
        assert_eq!(back.id, mine.id);
        assert!(back.foreign_members.is_empty());
        assert_eq!(version_of(&back), v);
        // A geometry with a bbox: its layout travels as a member and comes back once.
        let mut boxed = mine.clone();
        boxed.geometry = Some(json!({"type": "Point", "bbox": [68.5, 37.5, 68.5, 37.5], "coordinates": [68.5, 37.5]}));
        let v = version_of(&boxed);
        assert!(v.extra.contains_key(GEOMETRY_SKELETON_KEY));
        let back = feature_of(&v, Some(&boxed), Some(&v));
        assert!(back.foreign_members.is_empty());
        assert_eq!(version_of(&back), v);
    }

    #[test]
    fn conflicts_print_as_fid_field_mine_theirs() {
        let fid = Uuid::nil();
        let c = Conflict {
            fid,
            theirs_version: Some(3),
            fields: vec![
                FieldConflict {
                    field: merge::Field::Property("fatalities".into()),
                    base: merge::Cell::Value(json!(1)),
                    mine: merge::Cell::Value(json!(2)),
                    theirs: merge::Cell::Value(json!(5)),
                },
                FieldConflict {
                    field: merge::Field::Property("name".into()),
                    base: merge::Cell::Value(json!("a")),
                    mine: merge::Cell::Deleted,
                    theirs: merge::Cell::Value(json!("b")),
                },
            ],
        };
        let report = PushReport { conflicts: vec![c], ..PushReport::default() };
        assert_eq!(
            report_lines(&report),
            [
                "0 written, 0 merged, 0 unchanged, 1 in conflict (not written)".to_owned(),
                format!("{fid}: fatalities: 2 / 5"),
                format!("{fid}: name: (deleted) / \"b\""),
            ]
        );
    }
}
