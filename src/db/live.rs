//! Live changes (issue 12): other analysts' saves as they happen, with who changed what.
//!
//! `LISTEN atlas_changes` is only a wake-up; the truth is the change log `atlas.changes`,
//! read by sequence number, so nothing is missed while disconnected: a worker keeps the last
//! sequence it has seen and asks [`Live::changes_since`] (or loops on [`Live::poll`], which
//! waits for a notification and then catches up, reconnecting when the connection dropped).
//!
//! Sequence numbers are handed out when a transaction writes, not when it commits, so a
//! transaction still running can commit a *lower* number after a higher one was read. A plain
//! `seq > last` would skip it for good. [`Tracker`] therefore remembers every gap below the
//! highest number seen, with the server's next transaction id at the time, and asks for those
//! numbers again until every transaction that could hold them has finished (the snapshot's
//! `xmin` has passed): then a gap still empty was rolled back and is forgotten.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator as _;
use uuid::Uuid;

use super::DbError;

/// One row of the change log: who changed which feature, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    /// Its sequence number.
    pub seq: i64,
    /// The store layer.
    pub layer: String,
    /// The feature.
    pub fid: Uuid,
    /// The version written (for a delete, the version the delete is recorded under).
    pub version: i64,
    /// `insert`, `update` or `delete`.
    pub op: String,
    /// The role that saved it (set by the server).
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// How many rows one catch-up returns at most (the caller asks again for the rest).
pub const BATCH: i64 = 10_000;

/// What a worker keeps between catch-ups: the highest sequence seen and the gaps below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracker {
    /// The highest sequence number seen.
    pub last: i64,
    /// Sequence numbers below `last` not seen yet, each with the server's next transaction id
    /// when the gap was found.
    gaps: BTreeMap<i64, u64>,
}

impl Tracker {
    /// Starts after sequence number `last` (0: from the beginning).
    pub fn after(last: i64) -> Self {
        Self { last, gaps: BTreeMap::new() }
    }

    /// Gaps still waited for.
    pub fn gaps(&self) -> usize {
        self.gaps.len()
    }
}

/// A connection listening for the store's changes.
pub struct Live {
    url: String,
    /// `None` after a [`Live::poll`] was given up (reconnected on the next call).
    client: Option<Client>,
    /// How much longer than its wait a [`Live::poll`] may take.
    slack: Duration,
}

/// How much longer than its wait a [`Live::poll`] may take before it is given up (see
/// [`super::deadline`]): a server or network that stops answering mid-catch-up.
pub const POLL_SLACK: Duration = Duration::from_mins(1);

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live").field("url", &super::redact(&self.url)).finish_non_exhaustive()
    }
}

const ROW_SQL: &str = "SELECT seq, layer, fid, version, op, author, at FROM atlas.changes";

fn row_of(r: &postgres::Row) -> ChangeRow {
    ChangeRow {
        seq: r.get(0),
        layer: r.get(1),
        fid: r.get(2),
        version: r.get(3),
        op: r.get(4),
        author: r.get(5),
        at: r.get(6),
    }
}

impl Live {
    /// Connects to the store at `url` and listens for changes.
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let mut client = super::connect(url)?;
        client.batch_execute("LISTEN atlas_changes").map_err(DbError::during("listening for changes"))?;
        Ok(Self { url: url.to_owned(), client: Some(client), slack: POLL_SLACK })
    }

    /// Changes how much longer than its wait a [`Live::poll`] may take (default [`POLL_SLACK`]).
    pub fn set_poll_slack(&mut self, slack: Duration) {
        self.slack = slack;
    }

    /// The session, reopened when it closed or was given up.
    fn client(&mut self) -> Result<&mut Client, DbError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            let slack = self.slack;
            *self = Self::connect(&self.url)?;
            self.slack = slack;
        }
        self.client.as_mut().ok_or_else(|| DbError::Unreachable("the live connection is closed".to_owned()))
    }

    /// The highest sequence number in the change log (0 when empty): where a client that has
    /// just opened its layers starts. Bounded by the slack ([`POLL_SLACK`]) as [`Live::poll`] is.
    pub fn latest_seq(&mut self) -> Result<i64, DbError> {
        self.bounded("reading the change log", self.slack, |live| {
            Ok(live.client()?.query_one("SELECT coalesce(max(seq), 0) FROM atlas.changes", &[])?.get(0))
        })
    }

    /// Runs `work` on this session on a thread of its own, given up after `bound` (see
    /// [`super::deadline`]): then the session is dropped and the next call opens a new one.
    fn bounded<R: Send + 'static>(
        &mut self,
        what: &str,
        bound: Duration,
        work: impl FnOnce(&mut Self) -> Result<R, DbError> + Send + 'static,
    ) -> Result<R, DbError> {
        self.client()?;
        let mut inner = Self { url: self.url.clone(), client: self.client.take(), slack: self.slack };
        let (client, result) = super::deadline::within(what, bound, move |_| {
            let result = work(&mut inner);
            Ok((inner.client, result))
        })?;
        self.client = client;
        result
    }

    /// Changes with a sequence number above `seq`, oldest first, at most [`BATCH`].
    pub fn changes_since(&mut self, seq: i64) -> Result<Vec<ChangeRow>, DbError> {
        let rows = self
            .client()?
            .query(&format!("{ROW_SQL} WHERE seq > $1 ORDER BY seq LIMIT {BATCH}"), &[&seq])
            .map_err(DbError::during("reading the change log"))?;
        Ok(rows.iter().map(row_of).collect())
    }

    /// Catches `tracker` up: the changes after its last sequence number and any of its gaps
    /// that have appeared, oldest first (see the module documentation).
    pub fn catch_up(&mut self, tracker: &mut Tracker) -> Result<Vec<ChangeRow>, DbError> {
        let gaps: Vec<i64> = tracker.gaps.keys().copied().collect();
        // One snapshot for the rows and the transaction horizon.
        let mut tx = self
            .client()?
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(DbError::during("reading the change log"))?;
        let horizon = tx.query_one(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text, pg_snapshot_xmax(pg_current_snapshot())::text",
            &[],
        )?;
        let parse = |t: String| t.parse::<u64>().map_err(|e| DbError::Sql(format!("transaction id `{t}`: {e}")));
        let (xmin, xmax) = (parse(horizon.get(0))?, parse(horizon.get(1))?);
        let rows = tx
            .query(
                &format!("{ROW_SQL} WHERE seq > $1 OR seq = ANY($2) ORDER BY seq LIMIT {BATCH}"),
                &[&tracker.last, &gaps],
            )
            .map_err(DbError::during("reading the change log"))?;
        tx.commit()?;
        let out: Vec<ChangeRow> = rows.iter().map(row_of).collect();
        for row in &out {
            tracker.gaps.remove(&row.seq);
            if row.seq > tracker.last {
                for missing in tracker.last + 1..row.seq {
                    tracker.gaps.insert(missing, xmax);
                }
                tracker.last = row.seq;
            }
        }
        // A gap found when the next transaction id was `x` is settled once every transaction
        // below `x` has ended: it was rolled back (or its row would be visible now).
        tracker.gaps.retain(|_, found_at| *found_at > xmin);
        Ok(out)
    }

    /// Waits up to `timeout` for a notification (returns at once when one is pending); whether
    /// one came.
    pub fn wait(&mut self, timeout: Duration) -> Result<bool, DbError> {
        let mut notes = self.client()?.notifications();
        let woke = notes.timeout_iter(timeout).next().map_err(DbError::during("waiting for changes"))?.is_some();
        if woke {
            // Those already arrived too: one catch-up answers them all (never blocks).
            let mut pending = notes.iter();
            while let Ok(Some(_)) = pending.next() {}
        }
        Ok(woke)
    }

    /// Catches up; when nothing is new, waits up to `timeout` for a wake-up and catches up
    /// again. A dropped connection is reopened on the next call (and nothing is missed: the
    /// tracker reads the log from where it was).
    ///
    /// Bounded: when the server stops answering, the call is given up after `timeout` and the
    /// slack ([`POLL_SLACK`]) as [`DbError::Unreachable`], the tracker unchanged, and the next
    /// call opens a new session.
    pub fn poll(&mut self, tracker: &mut Tracker, timeout: Duration) -> Result<Vec<ChangeRow>, DbError> {
        let mut moved = tracker.clone();
        let bound = timeout.saturating_add(self.slack);
        let (moved, changes) = self.bounded("following the store's changes", bound, move |live| {
            let changes = live.poll_now(&mut moved, timeout)?;
            Ok((moved, changes))
        })?;
        *tracker = moved;
        Ok(changes)
    }

    /// [`Live::poll`] without its bound.
    fn poll_now(&mut self, tracker: &mut Tracker, timeout: Duration) -> Result<Vec<ChangeRow>, DbError> {
        let now = self.catch_up(tracker)?;
        if !now.is_empty() {
            return Ok(now);
        }
        if self.wait(timeout)? { self.catch_up(tracker) } else { Ok(Vec::new()) }
    }
}
