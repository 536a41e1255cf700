//! Frontier Atlas: a desktop map of the Tajikistan–Afghanistan frontier.
//!
//! The crate is a library with a thin binary (`src/main.rs`). Dependencies point one way:
//! [`ui`] → [`render`] → [`model`], [`spatial`], [`time`], [`io`]. Only [`ui`] knows egui;
//! everything below it is plain Rust, tested without a window.

pub mod cli;
pub mod db;
pub mod edit;
pub mod geodata;
pub mod io;
pub mod model;
pub mod project;
pub mod render;
pub mod spatial;
pub mod time;
#[cfg(feature = "gui")]
pub mod ui;
