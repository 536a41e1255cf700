//! Projection, prepared shapes, the R-tree and hit-testing. Plain Rust, no egui.

mod hit;
mod index;
mod mercator;
pub mod near;
mod shape;
mod viewport;

pub(crate) use hit::polygon_contains;
pub use hit::{HitTolerance, hit_test, hit_test_all};
pub use index::{FeatureIndex, WorldRect};
pub use mercator::{MAX_LAT, geo_from_world, world_from_geo};
pub use shape::{Shape, Tessellation};
pub use viewport::Viewport;
