//! The shared data folder (`../shared/data`, beside the repository; never copied into it).
//!
//! Include with `#[path = "common/shared_data.rs"] mod shared_data;` and mark each test that reads
//! it `#[cfg_attr(missing_shared_data, ignore = "needs ../shared/data (see README)")]`: `build.rs`
//! sets `missing_shared_data` when the folder is absent, except under `CI=true`, where the test
//! runs and [`shared_data`] fails it naming the missing file.

use std::path::PathBuf;

/// The shared data folder: `../shared/data` from the crate root.
pub const SHARED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// The path of `relative` under the shared data folder; panics naming it when it is absent.
pub fn shared_data(relative: &str) -> PathBuf {
    let path = PathBuf::from(SHARED_DATA).join(relative);
    assert!(
        path.exists(),
        "{} is missing: the real-file tests read the shared data folder (../shared/data beside the \
         repository); under CI it is required, elsewhere these tests are ignored when it is absent",
        path.display()
    );
    path
}
