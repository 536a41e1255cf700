//! Dev tool, not shipped: writes a big "full-resolution" district boundary set as GeoJSON —
//! the official Tajik and Afghan ADM2 districts from `../shared/data` with every segment split
//! into wiggling pieces (`tests/common/boundary_gen.rs`) — for trying the map's levels of
//! detail on a boundary layer of hundreds of MB. Never commit its output.
//!
//! `cargo run --release --example gen_boundaries -- OUT.geojson [MB (default 200)] [DATA_DIR]`

#[path = "../tests/common/boundary_gen.rs"]
mod boundary_gen;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: gen_boundaries OUT.geojson [MB (default 200)] [DATA_DIR (default ../shared/data)]");
        return ExitCode::from(2);
    };
    let mb = match args.get(1).map(|s| s.parse::<usize>()) {
        None => 200,
        Some(Ok(mb)) if mb > 0 => mb,
        Some(_) => {
            eprintln!("gen_boundaries: MB must be a positive whole number, not {:?}", args[1]);
            return ExitCode::from(2);
        }
    };
    let data = args
        .get(2)
        .map_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")), PathBuf::from);
    match write(Path::new(out), mb, &data) {
        Ok(bytes) => {
            eprintln!("wrote {out}: {:.1} MB", bytes as f64 / 1e6);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_boundaries: {e}");
            ExitCode::from(1)
        }
    }
}

fn write(out: &Path, mb: usize, data: &Path) -> Result<u64, String> {
    let districts = boundary_gen::source_districts(data)?;
    let k = boundary_gen::pieces_for(&districts, mb * 1_000_000);
    let dense: Vec<_> = districts.iter().map(|(n, g)| (n.clone(), boundary_gen::densify(g, k))).collect();
    let file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let bytes = boundary_gen::write_geojson(&dense, &mut w).map_err(|e| format!("{}: {e}", out.display()))?;
    w.flush().map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(bytes)
}
