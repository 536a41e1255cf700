//! Pure time logic: date spans and their grammar, the visible date range, a per-layer time
//! index, the slider histogram and the playback clock. No egui, no I/O.

mod calendar;
pub mod histogram;
pub mod index;
pub mod playback;
pub mod range;
pub mod span;
pub mod zone;

pub use histogram::{Bin, Histogram, histogram};
pub use index::{SHORT_SPAN_MAX_DAYS, TimeIndex, Visible};
pub use playback::{PlayMode, Playback, Step};
pub use range::Range;
pub use span::{DateError, DateSpan, OPEN_END, Precision, aid_span};
