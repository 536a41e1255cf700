//! Deadlines for work against the team store (issue 12): a session that stops answering in the
//! middle of a save or an open must not hold its worker forever.
//!
//! The login is bounded by [`super::connect`]. After it, a server or a network that stops
//! answering leaves a blocking `postgres` call waiting for a reply that never comes, and the
//! synchronous client offers no way to interrupt it from another thread. Three layers bound it:
//!
//! 1. **The client gives up** ([`within`]): the work runs on a thread of its own and the caller
//!    waits for it at most the deadline. When it passes, the caller gets
//!    [`DbError::Unreachable`] (so a save goes to the offline outbox under its operation id) and
//!    the stuck thread is abandoned: it ends when its socket does.
//! 2. **The server lets go**: on giving up, each session the work opened through
//!    [`Watch::connect`] is ended from a fresh connection (`pg_terminate_backend`), which rolls its
//!    open transaction back and frees its row locks at once when the server can still be reached
//!    another way. When it cannot, every session carries `idle_in_transaction_session_timeout`
//!    (set by [`super::connect`]), so the server rolls back a transaction whose client went silent.
//!    A save is one transaction, so the server holds all of it or none of it; should a stuck
//!    commit still land later, the outbox's retry under the same operation id is recognised and not
//!    applied twice.
//! 3. **The socket dies**: TCP keepalives and `tcp_user_timeout` (also set by [`super::connect`])
//!    close a connection whose peer stopped acknowledging, which ends the abandoned thread.
//!
//! Socket options alone do not suffice: a proxy or a stopped server process still acknowledges
//! the bytes, and `statement_timeout` alone bounds only the server's work, not a reply lost on the
//! way. Cancel requests (`Client::cancel_token`) do not end a session idle in a transaction.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::DbError;

/// How long a save (push, outbox drain and the read-back) or a connection (login, layer list and
/// the outbox's drain) may take, unless changed with [`set_save_deadline`].
pub const SAVE_DEADLINE: Duration = Duration::from_mins(2);

/// How long opening a store layer may take (a whole 1M-event layer takes tens of seconds).
pub const OPEN_DEADLINE: Duration = Duration::from_mins(10);

/// The server's `idle_in_transaction_session_timeout` for the app's sessions: a transaction
/// whose client sent nothing for this long is rolled back and its locks freed.
pub const IDLE_IN_TRANSACTION: Duration = Duration::from_mins(1);

/// The save deadline in milliseconds (0: [`SAVE_DEADLINE`]).
static SAVE_MS: AtomicU64 = AtomicU64::new(0);

/// The deadline of a save.
pub fn save_deadline() -> Duration {
    match SAVE_MS.load(Ordering::Relaxed) {
        0 => SAVE_DEADLINE,
        ms => Duration::from_millis(ms),
    }
}

/// Changes the deadline of a save for this process (tests shorten it).
pub fn set_save_deadline(deadline: Duration) {
    SAVE_MS.store(u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX).max(1), Ordering::Relaxed);
}

/// The sessions one piece of work opened, so that they can be ended when it is given up.
#[derive(Debug, Default)]
pub struct Watch {
    /// Each session's URL and server process id.
    sessions: Mutex<Vec<(String, i32)>>,
    /// Set when the caller gave up: no new session is opened.
    given_up: AtomicBool,
}

impl Watch {
    /// Connects as [`super::connect`] does and remembers the session, so giving up ends it.
    pub fn connect(&self, url: &str) -> Result<postgres::Client, DbError> {
        self.check()?;
        let mut client = super::connect(url)?;
        let pid: i32 =
            client.query_one("SELECT pg_backend_pid()", &[]).map_err(DbError::during("starting the session"))?.get(0);
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).push((url.to_owned(), pid));
        self.check()?;
        Ok(client)
    }

    /// `Err(Unreachable)` once the caller gave up on this work.
    pub fn check(&self) -> Result<(), DbError> {
        if self.given_up.load(Ordering::SeqCst) {
            return Err(DbError::Unreachable("the work was given up after its deadline".to_owned()));
        }
        Ok(())
    }

    /// Gives up: ends every session opened so far, each from a fresh connection on a thread of
    /// its own (bounded by the login's deadline; nothing waits for them).
    fn give_up(&self) {
        self.given_up.store(true, Ordering::SeqCst);
        let sessions = std::mem::take(&mut *self.sessions.lock().unwrap_or_else(PoisonError::into_inner));
        for (url, pid) in sessions {
            let _ = std::thread::Builder::new().name("team-store-end-session".to_owned()).spawn(move || {
                if let Ok(mut c) = super::connect(&url) {
                    let _ = c.execute("SELECT pg_terminate_backend($1)", &[&pid]);
                }
            });
        }
    }
}

/// Runs `work` on a thread of its own and waits for it at most `deadline`. Past the deadline
/// the work is given up (see the module documentation) and the answer is
/// [`DbError::Unreachable`] naming `what`. `work` opens its sessions through the [`Watch`] it is
/// given.
pub fn within<R: Send + 'static>(
    what: &str,
    deadline: Duration,
    work: impl FnOnce(&Watch) -> Result<R, DbError> + Send + 'static,
) -> Result<R, DbError> {
    let watch = Arc::new(Watch::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let w = Arc::clone(&watch);
    std::thread::Builder::new()
        .name("team-store-work".to_owned())
        .spawn(move || {
            let _ = tx.send(work(&w));
        })
        .map_err(|e| DbError::Sql(format!("{what}: cannot start a thread: {e}")))?;
    match rx.recv_timeout(deadline) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            watch.give_up();
            Err(DbError::Unreachable(format!(
                "the server stopped answering while {what}: no reply within {} s (the server keeps none of \
                 the unfinished transaction)",
                deadline.as_secs_f64()
            )))
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err(DbError::Sql(format!("{what}: the work stopped without an answer")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_past_its_deadline_is_unreachable_and_in_time_work_answers() {
        let started = std::time::Instant::now();
        let e = within("saving “posts”", Duration::from_millis(200), |w| {
            std::thread::sleep(Duration::from_secs(3));
            w.check()
        })
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(e.is_unreachable(), "{e}");
        assert!(e.to_string().contains("while saving “posts”") && e.to_string().contains("0.2 s"), "{e}");
        assert_eq!(within("x", Duration::from_secs(5), |_| Ok(7)).unwrap(), 7);
        let e = within::<()>("x", Duration::from_secs(5), |_| Err(DbError::Sql("boom".into()))).unwrap_err();
        assert_eq!(e.to_string(), "team store: boom");
    }

    #[test]
    fn a_watch_given_up_opens_no_new_session() {
        let w = Watch::default();
        w.give_up();
        let Err(e) = w.connect("postgresql://alice@127.0.0.1:1/atlas") else { panic!("connected") };
        assert!(e.is_unreachable() && e.to_string().contains("given up"), "{e}");
    }
}
