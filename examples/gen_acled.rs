//! Dev tool, not shipped: writes generated ACLED-like events (`tests/common/acled_gen.rs`) as
//! an ACLED CSV and, given a second path, the same events as GeoJSON — what `import acled`
//! writes for that CSV. Used by `scripts/bench-vs-gdal.sh`.
//!
//! `cargo run --release --example gen_acled -- ROWS OUT.csv [OUT.geojson] [SEED]`

#[path = "../tests/common/acled_gen.rs"]
mod acled_gen;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use frontier_atlas::io::acled::{GeoJsonWriter, open_acled};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rows), Some(csv)) = (args.first().and_then(|n| n.parse::<usize>().ok()), args.get(1)) else {
        eprintln!("usage: gen_acled ROWS OUT.csv [OUT.geojson] [SEED]");
        return ExitCode::from(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    match write(rows, Path::new(csv), args.get(2).map(Path::new), seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_acled: {e}");
            ExitCode::from(1)
        }
    }
}

fn write(rows: usize, csv: &Path, geojson: Option<&Path>, seed: u64) -> Result<(), String> {
    let file = std::fs::File::create(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    acled_gen::generate_acled_csv(rows, seed, &mut out).map_err(|e| format!("{}: {e}", csv.display()))?;
    out.flush().map_err(|e| format!("{}: {e}", csv.display()))?;
    drop(out);
    if let Some(path) = geojson {
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut writer = GeoJsonWriter::new(std::io::BufWriter::with_capacity(1 << 20, file))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let summary = open_acled(csv)
            .map_err(|e| e.to_string())?
            .stream_rows(|row| writer.row(&row))
            .map_err(|e| e.to_string())?;
        writer.finish().and_then(|mut w| w.flush()).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("{} rows, {} events", summary.rows_read, summary.features);
    }
    Ok(())
}
