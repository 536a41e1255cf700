//! Team store: migrate (work in progress).
