//! Errors of the team store, in plain words.

/// What went wrong talking to the team store.
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
    /// A statement failed.
    #[error("{0}")]
    Sql(String),
}
