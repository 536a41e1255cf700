//! GDAL's command-line tools for tests that check our files against GDAL.
//!
//! Include with `#[path = "common/gdal.rs"] mod gdal;` and mark each such test
//! `#[cfg_attr(missing_gdal, ignore = "needs GDAL's ogrinfo/ogr2ogr (apt-get install gdal-bin)")]`:
//! `build.rs` sets `missing_gdal` when a tool is not on `PATH`, except under `CI=true`, where the
//! test runs and [`gdal`] fails it with this message.

use std::process::Command;

/// A command for the GDAL tool `tool` (`ogrinfo`, `ogr2ogr`); panics naming the tool and the
/// package to install when it does not run.
pub fn gdal(tool: &str) -> Command {
    let runs = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        runs,
        "`{tool}` is not on PATH (or does not run): install GDAL's command-line tools \
         (`apt-get install gdal-bin`); under CI this is required, elsewhere the test is ignored"
    );
    Command::new(tool)
}
