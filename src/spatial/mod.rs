//! Projection, prepared shapes, the R-tree and hit-testing. Plain Rust, no egui.

mod hit;
mod index;
pub mod lod;
mod mercator;
pub mod near;
mod shape;
mod viewport;

pub(crate) use hit::polygon_contains;
pub use hit::{HitTolerance, Probe, ShapeHit};
pub use index::{FeatureIndex, Indexed, WorldRect};
pub use mercator::{MAX_LAT, geo_from_world, world_from_geo};
pub use shape::{Shape, Tessellation};
pub use viewport::Viewport;
