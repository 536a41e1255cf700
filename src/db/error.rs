//! Errors of the team store, in plain words.

/// What went wrong talking to the team store. Every message says what was being done.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to the team store {url}: {message}")]
    Connect {
        /// The URL without its password.
        url: String,
        /// The server's or the network's words.
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
                } else if *db.code() == postgres::error::SqlState::INVALID_SCHEMA_NAME
                    || (*db.code() == postgres::error::SqlState::UNDEFINED_TABLE && text.contains("atlas."))
                {
                    Self::NotInitialised
                } else {
                    Self::Sql(text)
                }
            }
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
