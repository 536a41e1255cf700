//! The in-memory map: a [`Catalog`] of [`Layer`]s of [`Feature`]s.
//!
//! Features keep their GeoJSON losslessly (id, properties in order, foreign members, the
//! original geometry) next to the derived forms used for drawing and hit-testing.

mod catalog;
mod dated;
mod feature;
mod filter;
mod hit;
pub mod ids;
mod layer;
mod layer_style;
mod layout;
pub mod schema;
pub mod store;
pub mod templates;

pub use catalog::{Catalog, FeatureRef, LayerId};
pub use dated::{assign_spans, assign_spans_in, date_fields_of, feature_span, index_spans, refresh_span};
pub use feature::{Feature, FeatureId};
pub use filter::TimeFilter;
pub use hit::{hit_test, hit_test_all};
pub use layer::{Change, Layer, LayerKind, LayerSource, LayerUid, category_key};
pub use layer_style::{Categories, LayerStyleOverride, PALETTE, PointShape, PointView, Rgba};
pub use layout::{FeatureLayout, Member, PropertiesForm, RootKind, RootLayout, SourceLayout};
pub use store::{FeatureStore, FeatureView};
