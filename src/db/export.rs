//! Team store: export (work in progress).
