//! Team store: schema (work in progress).
