//! Errors of the team store, in plain words.

/// What went wrong talking to the team store. Every message says what was being done.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Connecting failed for another reason than the network or a refused login: a bad URL,
    /// TLS (see [`DbError::Unreachable`] and [`DbError::Refused`] for those two).
    #[error("cannot connect to the team store {url}: {message}")]
    Connect {
        /// The URL without its password.
        url: String,
        /// The server's or the network's words.
        message: String,
    },
    /// The server could not be reached: connection refused, timed out, host or network
    /// unreachable, or the connection closed in the middle of the work. The only failure
    /// after which edits may wait in the offline outbox.
    #[error("the team store cannot be reached: {0}")]
    Unreachable(String),
    /// The server answered and refused the login: wrong password, unknown role, a role that
    /// may not log in, no such database, no permission to connect. Never queued offline.
    #[error("the server refused {who}'s login at {url}: {message}")]
    Refused {
        /// The role that tried (`the user` when the URL named none).
        who: String,
        /// The URL without its password.
        url: String,
        /// The server's words.
        message: String,
    },
    /// The session's role lacks a privilege.
    #[error("not allowed: {0}")]
    Denied(String),
    /// No layer of that name in the store.
    #[error("no layer “{name}” in the team store; layers: {}", if layers.is_empty() { "none".to_owned() } else { layers.join(", ") })]
    NoSuchLayer {
        /// The name asked for.
        name: String,
        /// The layers there are.
        layers: Vec<String>,
    },
    /// Publishing under a name the store already has.
    #[error("the team store already has a layer “{0}”; choose another name (--layer NAME)")]
    Exists(String),
    /// The store has not been initialised (`frontier-atlas db init URL`).
    #[error("the database has no team store yet: run `frontier-atlas db init URL` first")]
    NotInitialised,
    /// A feature or a stored row that cannot be converted.
    #[error("{0}")]
    Data(String),
    /// Reading or writing a file.
    #[error("{0}")]
    File(String),
    /// A statement failed.
    #[error("team store: {0}")]
    Sql(String),
}

impl DbError {
    /// Classifies a failed connection attempt to `url` (already without its password) as
    /// `user`: [`DbError::Unreachable`] when the network or the server's state is the cause,
    /// [`DbError::Refused`] when the server refused the login, [`DbError::Connect`] otherwise
    /// (a TLS or configuration problem). Decided on the error's SQLSTATE, whether the
    /// connection closed, and the kind of I/O error — never on message text.
    /// `message` is what to say (the server's or the network's words).
    pub fn connecting(url: &str, user: Option<&str>, message: String, err: &postgres::Error) -> Self {
        match classify(err) {
            Cause::Unreachable => Self::Unreachable(format!("{url}: {message}")),
            Cause::Refused => Self::Refused {
                who: user.map_or_else(|| "the user".to_owned(), ToOwned::to_owned),
                url: url.to_owned(),
                message,
            },
            Cause::Other => Self::Connect { url: url.to_owned(), message },
        }
    }

    /// Whether this error means the server could not be reached (so edits may be queued in the
    /// offline outbox), as opposed to a refusal or a failed statement.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }

    /// Converts a client error, naming a missing privilege as [`DbError::Denied`].
    pub fn from_pg(err: &postgres::Error) -> Self {
        match err.as_db_error() {
            Some(db) => {
                let mut text = db.message().to_owned();
                if let Some(detail) = db.detail() {
                    text.push_str(" (");
                    text.push_str(detail);
                    text.push(')');
                }
                if *db.code() == postgres::error::SqlState::INSUFFICIENT_PRIVILEGE {
                    Self::Denied(text)
                } else if classify(err) == Cause::Unreachable {
                    Self::Unreachable(text)
                } else if *db.code() == postgres::error::SqlState::INVALID_SCHEMA_NAME
                    || (*db.code() == postgres::error::SqlState::UNDEFINED_TABLE && text.contains("atlas."))
                {
                    Self::NotInitialised
                } else {
                    Self::Sql(text)
                }
            }
            None if classify(err) == Cause::Unreachable => Self::Unreachable(words(err)),
            None => Self::Sql(err.to_string()),
        }
    }

    /// [`DbError::from_pg`] with what was being done in front (`publishing “x”: …`).
    pub fn during(what: &str) -> impl Fn(postgres::Error) -> Self + '_ {
        move |err| match Self::from_pg(&err) {
            Self::Denied(text) => Self::Denied(format!("{what}: {text}")),
            Self::Sql(text) => Self::Sql(format!("{what}: {text}")),
            other => other,
        }
    }
}

impl From<postgres::Error> for DbError {
    fn from(err: postgres::Error) -> Self {
        Self::from_pg(&err)
    }
}

/// What a client error says about the server, for [`DbError::connecting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// The network or the server's state: try again later (the outbox may hold the edits).
    Unreachable,
    /// The server refused the login (authentication or authorisation).
    Refused,
    /// Anything else: TLS, configuration, a failed statement.
    Other,
}

/// Classifies `err` on its SQLSTATE, [`postgres::Error::is_closed`] and the kind of the I/O
/// error in its source chain.
fn classify(err: &postgres::Error) -> Cause {
    use postgres::error::SqlState;
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        // Class 28 (invalid authorisation: wrong password, unknown role, NOLOGIN), no such
        // database, no CONNECT privilege: the server answered and said no.
        if code.code().starts_with("28")
            || *code == SqlState::INVALID_CATALOG_NAME
            || *code == SqlState::INSUFFICIENT_PRIVILEGE
        {
            return Cause::Refused;
        }
        // Class 08 (connection exception), the server starting up or shutting down, out of
        // connection slots, the session terminated by the administrator or a crash.
        if code.code().starts_with("08")
            || [
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
            ]
            .contains(code)
        {
            return Cause::Unreachable;
        }
        return Cause::Other;
    }
    if err.is_closed() {
        return Cause::Unreachable;
    }
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return if network_kind(io.kind()) { Cause::Unreachable } else { Cause::Other };
        }
        source = e.source();
    }
    Cause::Other
}

/// Whether an I/O error of `kind` while talking to the server means it cannot be reached.
/// Kinds that name a local mistake (bad input, a permission on a socket file, unsupported)
/// do not; the rest — refused, reset, aborted, timed out, host or network unreachable, end
/// of stream, and the uncategorised kind name resolution fails with — do.
fn network_kind(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind;
    !matches!(
        kind,
        ErrorKind::PermissionDenied
            | ErrorKind::InvalidInput
            | ErrorKind::InvalidData
            | ErrorKind::Unsupported
            | ErrorKind::OutOfMemory
    )
}

/// The client's words for an error without a server message, with its I/O cause.
fn words(e: &postgres::Error) -> String {
    let text = e.to_string();
    match std::error::Error::source(e) {
        Some(src) if !text.contains(&src.to_string()) => format!("{text}: {src}"),
        _ => text,
    }
}
