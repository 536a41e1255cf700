//! Team store: publish (work in progress).
