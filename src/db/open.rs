//! Team store: open (work in progress).
