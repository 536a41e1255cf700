//! Team store: ewkb (work in progress).
