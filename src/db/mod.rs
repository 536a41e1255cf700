//! Team store (issue 12): layers kept in PostgreSQL/PostGIS, edited by several analysts.
//!
//! Schema and migrations ([`migrate`]), publishing a file layer ([`publish`]), opening a stored
//! layer with the view's bbox and the timeline's range pushed down to SQL ([`open`]), exporting
//! back to a file ([`export`]), the EWKB geometry codec ([`ewkb`]) and plain-words errors
//! ([`error`]). Every call is synchronous: the app runs them on worker threads.

pub mod error;
pub mod ewkb;
pub mod export;
pub mod migrate;
pub mod open;
pub mod publish;
pub mod schema;

pub use error::DbError;
