//! Running one `#[ignore]`d helper test of the current test binary as a child process, under a
//! constraint a test cannot put on itself (and that binds root too, as CI runs as root).
//!
//! Include with `#[path = "common/child.rs"] mod child;`. Unix only.

use std::ffi::OsStr;
use std::process::{Command, Output};

/// A `sh` prefix that runs its arguments with files capped at `kib` KiB and `SIGXFSZ` ignored:
/// a write past the cap fails with `EFBIG` ("File too large"), as a write to a full disk fails
/// with `ENOSPC`. `RLIMIT_FSIZE` applies to root as well; the ignored signal survives `exec`.
pub fn with_file_size_limit(kib: u64) -> Command {
    let mut sh = Command::new("sh");
    // `ulimit -f` counts 512-byte blocks (POSIX; dash and bash --posix).
    sh.args(["-c", "trap '' XFSZ; ulimit -f \"$1\" || exit 97; shift; exec \"$@\"", "sh"]).arg((kib * 2).to_string());
    sh
}

/// Runs the ignored test `test` of this binary through `wrapper` (for example
/// [`with_file_size_limit`]) with `envs` set, and returns its output after checking that it
/// passed (the child's own assertions are the test).
pub fn run_child_test(mut wrapper: Command, test: &str, envs: &[(&str, &OsStr)]) -> Output {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("the test binary's path: {e}"));
    wrapper.arg(exe).args(["--exact", test, "--ignored", "--nocapture", "--test-threads=1"]);
    for (key, value) in envs {
        wrapper.env(key, value);
    }
    let output = wrapper.output().unwrap_or_else(|e| panic!("cannot start {wrapper:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child test `{test}` failed ({}):\n{stdout}\n{stderr}", output.status);
    // A filter that matches nothing also exits 0: make sure the child test really ran.
    assert!(stdout.contains("1 passed"), "child test `{test}` did not run:\n{stdout}\n{stderr}");
    output
}
