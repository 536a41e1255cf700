//! Team store (issue 12): layers kept in PostgreSQL/PostGIS, edited by several analysts.
//!
//! Schema and migrations ([`migrate`]), publishing a file layer ([`publish`]), opening a stored
//! layer with the view's bbox and the timeline's range pushed down to SQL ([`open`]), exporting
//! back to a file ([`export`]), the EWKB geometry codec ([`ewkb`]) and plain-words errors
//! ([`error`]). Every call is synchronous: the app runs them on worker threads.

pub mod command;
pub mod error;
pub mod ewkb;
pub mod export;
pub mod live;
pub mod merge;
pub mod migrate;
pub mod open;
pub mod outbox;
pub mod publish;
pub mod push;
pub mod schema;

pub use error::DbError;
pub use export::export;
pub use migrate::{init, migrate};
pub use open::{StoreLayer, StoreRow, open_layer};
pub use publish::{PublishReport, publish};
pub use push::{Change, PushReport, push};
pub use schema::{LayerInfo, can_edit, list_layers};

/// Connects to the store at `url` (a libpq URL or `key=value` string; the password comes from
/// the URL, `PGPASSWORD` or `~/.pgpass` as libpq would take it — not stored by the app).
pub fn connect(url: &str) -> Result<postgres::Client, DbError> {
    let mut config: postgres::Config =
        url.parse().map_err(|e| DbError::Connect { url: redact(url), message: format!("not a valid URL: {e}") })?;
    if config.get_password().is_none()
        && let Ok(pw) = std::env::var("PGPASSWORD")
        && !pw.is_empty()
    {
        config.password(pw);
    }
    if config.get_application_name().is_none() {
        config.application_name("frontier-atlas");
    }
    config.connect(postgres::NoTls).map_err(|e| DbError::Connect { url: redact(url), message: connect_words(&e) })
}

/// The server's words for a failed connection (the client's `Display` alone says only "db error").
fn connect_words(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_owned();
    }
    let text = e.to_string();
    match std::error::Error::source(e) {
        Some(src) if !text.contains(&src.to_string()) => format!("{text}: {src}"),
        _ => text,
    }
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_owned() };
    let rest = &url[scheme_end..];
    let Some(at) = rest.find('@') else { return url.to_owned() };
    let userinfo = &rest[..at];
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end], &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgresql://alice:s3cret@db:5432/atlas"), "postgresql://alice:***@db:5432/atlas");
        assert_eq!(redact("postgresql://alice@db/atlas"), "postgresql://alice@db/atlas");
        let Err(e) = connect("postgresql://alice:s3cret@127.0.0.1:1/atlas") else { panic!("port 1 answered") };
        let e = e.to_string();
        assert!(!e.contains("s3cret") && e.contains("alice:***"), "{e}");
    }
}
