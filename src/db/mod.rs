//! Team store (issue 12): layers kept in PostgreSQL/PostGIS, edited by several analysts.
//!
//! Schema and migrations ([`migrate`]), publishing a file layer ([`publish`]), opening a stored
//! layer with the view's bbox and the timeline's range pushed down to SQL ([`open`]), exporting
//! back to a file ([`export`]), the EWKB geometry codec ([`ewkb`]) and plain-words errors
//! ([`error`]). Every call is synchronous: the app runs them on worker threads.

pub mod command;
pub mod deadline;
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
pub mod tls;

use std::fmt::Write as _;

pub use error::DbError;
pub use export::export;
pub use migrate::{init, migrate};
pub use open::{StoreLayer, StoreRow, open_layer};
pub use publish::{PublishReport, publish};
pub use push::{Change, PushReport, push};
pub use schema::{LayerInfo, can_edit, list_layers};

/// Connects to the store at `url` (a libpq URL or `key=value` string; the password comes from
/// the URL, `PGPASSWORD` or `~/.pgpass` as libpq would take it — not stored by the app). TLS
/// follows libpq's `sslmode`, `sslrootcert`, `sslcert` and `sslkey` (see [`tls`]): `prefer` (the
/// default) uses TLS when the server offers it and falls back to a plain connection when it does
/// not, or when the handshake fails, as libpq does. After the login, every session is bounded
/// on the socket and on the server (see [`deadline`]).
///
/// The whole login is bounded, as libpq's `connect_timeout` bounds it (the `postgres` crate's
/// bounds only the TCP connect): by `connect_timeout` when the URL gives one, else by
/// [`LOGIN_TIMEOUT`]. A server that accepts the connection and never answers is then
/// [`DbError::Unreachable`] (so a save goes to the offline outbox) instead of a worker waiting
/// forever; the abandoned attempt ends on its own thread when the socket does.
pub fn connect(url: &str) -> Result<postgres::Client, DbError> {
    let timeout = tls::split(url)
        .ok()
        .and_then(|(rest, _)| rest.parse::<postgres::Config>().ok())
        .and_then(|c| c.get_connect_timeout().copied())
        .unwrap_or(LOGIN_TIMEOUT);
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = url.to_owned();
    std::thread::Builder::new()
        .name("team-store-connect".to_owned())
        .spawn(move || {
            let _ = tx.send(connect_now(&owned));
        })
        .map_err(|e| DbError::Connect { url: redact(url), message: format!("cannot start connecting: {e}") })?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => Err(DbError::Unreachable(format!(
            "{}: the server did not complete the login within {} s",
            redact(url),
            timeout.as_secs_f64()
        ))),
    }
}

/// How long a login may take when the URL sets no `connect_timeout`.
pub const LOGIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// [`connect`] without the bound on the login.
fn connect_now(url: &str) -> Result<postgres::Client, DbError> {
    let fail = |message: String| DbError::Connect { url: redact(url), message };
    let (rest, options) = tls::split(url).map_err(&fail)?;
    let mut config: postgres::Config = rest.parse().map_err(|e| fail(format!("not a valid URL: {e}")))?;
    if config.get_password().is_none()
        && let Ok(pw) = std::env::var("PGPASSWORD")
        && !pw.is_empty()
    {
        config.password(pw);
    }
    if config.get_application_name().is_none() {
        config.application_name("frontier-atlas");
    }
    bound_the_session(&mut config);
    config.ssl_mode(options.mode.client_mode());
    let default_root = tls::default_root_file().filter(|p| p.is_file());
    let check = tls::check(&options, default_root.as_deref()).map_err(&fail)?;
    let identity = tls::client_identity(&options, tls::default_client_dir().as_deref()).map_err(&fail)?;
    let sent_cert = identity.as_ref().map(|id| id.cert_file.display().to_string());
    let connector = tls::connector(&check, identity).map_err(&fail)?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "the server".to_owned(),
    };
    match config.connect(connector) {
        Ok(client) => Ok(client),
        // libpq's prefer: a failed handshake is tried again without TLS.
        Err(e) if options.mode == tls::SslMode::Prefer && tls::rustls_error(&e).is_some() => {
            config.ssl_mode(postgres::config::SslMode::Disable);
            config
                .connect(postgres::NoTls)
                .map_err(|e| DbError::connecting(&redact(url), config.get_user(), connect_words(&e), &e))
        }
        Err(e) => {
            let mut words = tls::tls_words(&e, &options, &check, &host).unwrap_or_else(|| connect_words(&e));
            if e.as_db_error().is_some_and(|db| db.message().contains("certificate")) {
                match &sent_cert {
                    Some(file) => {
                        let _ = write!(words, " (the client certificate sent was {file})");
                    }
                    None => words.push_str(
                        " (no client certificate was sent: give one with sslcert=FILE and sslkey=FILE, or put it \
                         in ~/.postgresql/postgresql.crt and .key)",
                    ),
                }
            }
            Err(DbError::connecting(&redact(url), config.get_user(), words, &e))
        }
    }
}

/// Bounds a session after its login (see [`deadline`]), where the URL does not say otherwise:
/// TCP keepalives after 30 s idle (every 10 s, 3 tries) and `tcp_user_timeout` of 60 s, so a
/// peer that stopped acknowledging ends the socket; and the server's
/// `idle_in_transaction_session_timeout`, so a transaction whose client went silent is rolled back.
fn bound_the_session(config: &mut postgres::Config) {
    const DEFAULT_KEEPALIVES_IDLE: std::time::Duration = std::time::Duration::from_hours(2);
    if config.get_keepalives() && config.get_keepalives_idle() == DEFAULT_KEEPALIVES_IDLE {
        config.keepalives_idle(std::time::Duration::from_secs(30));
    }
    if config.get_keepalives_interval().is_none() {
        config.keepalives_interval(std::time::Duration::from_secs(10));
    }
    if config.get_keepalives_retries().is_none() {
        config.keepalives_retries(3);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(std::time::Duration::from_mins(1));
    }
    let options = config.get_options().unwrap_or_default();
    if !options.contains("idle_in_transaction_session_timeout") {
        let ms = deadline::IDLE_IN_TRANSACTION.as_millis();
        let joined = format!("{options} -c idle_in_transaction_session_timeout={ms}");
        config.options(joined.trim_start());
    }
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

/// `url` with any password replaced by `***`, for messages: the URL's `user:password@`, and a
/// `password=…` query parameter or `key=value` pair.
pub fn redact(url: &str) -> String {
    redact_password_pairs(&redact_userinfo(url))
}

fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_owned() };
    let rest = &url[scheme_end..];
    let Some(at) = rest.find('@') else { return url.to_owned() };
    let userinfo = &rest[..at];
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end], &rest[at..]),
        None => url.to_owned(),
    }
}

/// `password=VALUE` (a query parameter, or a `key=value` pair, quoted or not) → `password=***`.
fn redact_password_pairs(text: &str) -> String {
    const KEY: &str = "password";
    let mut out = text.to_owned();
    let mut from = 0;
    while let Some(at) = out.get(from..).and_then(|t| t.find(KEY)).map(|i| i + from) {
        let bytes = out.as_bytes();
        let is_key = at
            .checked_sub(1)
            .and_then(|i| bytes.get(i))
            .is_none_or(|b| matches!(b, b'?' | b'&') || b.is_ascii_whitespace());
        let mut at_eq = at + KEY.len();
        while bytes.get(at_eq).is_some_and(u8::is_ascii_whitespace) {
            at_eq += 1;
        }
        if !is_key || bytes.get(at_eq) != Some(&b'=') {
            from = at + KEY.len();
            continue;
        }
        let mut start = at_eq + 1;
        while bytes.get(start).is_some_and(u8::is_ascii_whitespace) {
            start += 1;
        }
        let mut end = start;
        if bytes.get(start) == Some(&b'\'') {
            end += 1;
            while let Some(&b) = bytes.get(end) {
                end += if b == b'\\' { 2 } else { 1 };
                if b == b'\'' {
                    break;
                }
            }
        } else {
            while bytes.get(end).is_some_and(|b| *b != b'&' && !b.is_ascii_whitespace()) {
                end += 1;
            }
        }
        let mut end = end.min(out.len());
        while !out.is_char_boundary(end) {
            end += 1;
        }
        out.replace_range(start..end, "***");
        from = start + 3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_never_answers_the_login_is_unreachable_after_connect_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepts and holds the connection, never saying a word.
        let held = std::thread::spawn(move || listener.accept().map(|(socket, _)| socket));
        let started = std::time::Instant::now();
        let url = format!("postgresql://alice@127.0.0.1:{port}/atlas?sslmode=disable&connect_timeout=1");
        let Err(e) = connect(&url) else { panic!("a silent server let alice in") };
        let waited = started.elapsed();
        assert!(e.is_unreachable(), "{e}");
        assert!(e.to_string().contains("did not complete the login"), "{e}");
        assert!(waited < std::time::Duration::from_secs(10), "{waited:?}");
        drop(held);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgresql://alice:s3cret@db:5432/atlas"), "postgresql://alice:***@db:5432/atlas");
        assert_eq!(redact("postgresql://alice@db/atlas"), "postgresql://alice@db/atlas");
        assert_eq!(
            redact("postgresql://alice@db/atlas?password=s3cret&sslmode=require"),
            "postgresql://alice@db/atlas?password=***&sslmode=require"
        );
        assert_eq!(
            redact("host=db password = 's3 \\'cret' user=alice passwordless=x"),
            "host=db password = *** user=alice passwordless=x"
        );
        assert_eq!(redact("password=s3cret"), "password=***");
        assert_eq!(redact("password='\\é"), "password=***");
        let Err(e) = connect("postgresql://alice:s3cret@127.0.0.1:1/atlas") else { panic!("port 1 answered") };
        let e = e.to_string();
        assert!(!e.contains("s3cret") && e.contains("alice:***"), "{e}");
    }
}
