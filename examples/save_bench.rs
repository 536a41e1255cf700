//! Dev tool, not shipped: times saving a layer loaded from a big GeoJSON or ACLED CSV file,
//! the way the app saves it (`save::save_layer`: a temporary file, fsync, rename), either
//! straight from the packed texts (`fast`) or decoding every feature (`decoded`, the path
//! before issue 8's save work). Prints the load and save times, the features decoded, the
//! resident memory after the load and the peak resident memory during the save (the peak is
//! reset after the load through `/proc/self/clear_refs`, Linux only).
//!
//! `cargo run --release --example save_bench -- fast|decoded IN.geojson|IN.csv OUT.geojson`

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use frontier_atlas::io::progress::Progress;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(input), Some(output)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: save_bench fast|decoded IN.geojson|IN.csv OUT.geojson");
        return ExitCode::from(2);
    };
    match run(mode, Path::new(input), Path::new(output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("save_bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(mode: &str, input: &Path, output: &Path) -> Result<(), String> {
    let started = Instant::now();
    let layer = if input.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        frontier_atlas::io::acled_layer::load_packed(input, &Progress::new())?.layer
    } else {
        frontier_atlas::io::geojson_fast::load_file(input, &Progress::new()).map_err(|e| e.to_string())?.layer
    };
    let load = started.elapsed();
    let rss_loaded = status_kb("VmRSS:");
    // Peak memory from here on (Linux: 5 resets the peak resident set size).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    match mode {
        "fast" => frontier_atlas::io::save::save_layer(&layer, output).map_err(|e| e.to_string())?,
        "decoded" => frontier_atlas::io::atomic::write_atomic_with(output, |out| {
            frontier_atlas::io::save::write_layer_text_decoded(&layer, out).map_err(std::io::Error::other)
        })
        .map_err(|e| e.to_string())?,
        other => return Err(format!("unknown mode `{other}` (fast or decoded)")),
    }
    let save = started.elapsed();
    let save_cpu = cpu_seconds() - cpu_before;
    println!(
        "{mode}: {} features ({} packed), load {:.2} s, save {:.2} s ({:.2} s CPU), {} decoded, RSS after load {} MB, peak RSS during save {} MB, file {} MB",
        layer.features.len(),
        layer.features.packed_count(),
        load.as_secs_f64(),
        save.as_secs_f64(),
        save_cpu,
        layer.features.decodes(),
        rss_loaded / 1024,
        status_kb("VmHWM:") / 1024,
        std::fs::metadata(output).map_or(0, |m| m.len()) / 1_000_000,
    );
    Ok(())
}

/// A `/proc/self/status` figure in kB (0 where there is none).
fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.trim().trim_end_matches(" kB").parse().ok()))
        })
        .unwrap_or(0)
}

/// The process's user and system CPU time so far, in seconds (`/proc/self/stat`, Linux; 0
/// elsewhere), at the kernel's usual 100 ticks a second.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line: 11 and 12 counting from the state.
    (ticks(11) + ticks(12)) / 100.0
}
