//! `frontier-atlas db …`: the team store headless, with the same code the app uses.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

/// Team-store subcommands. URL is a libpq URL (`postgresql://alice@host:5432/atlas`); the
/// password comes from `PGPASSWORD` or `~/.pgpass`, never from a saved file.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create or migrate the store's schema, roles (`atlas_viewer`, `atlas_analyst`, `atlas_owner`),
    /// grants and triggers in the database at URL. Safe to run again.
    Init {
        /// The database.
        url: String,
    },
    /// Publish a file (any format the app opens) as a new store layer.
    Publish {
        /// The database.
        url: String,
        /// The file.
        file: PathBuf,
        /// The layer's name in the store (default: the file's layer name); for a GeoPackage
        /// with several tables, the table to publish.
        #[arg(long)]
        layer: Option<String>,
    },
    /// Export a store layer to GeoJSON (.geojson/.json) or GeoPackage (.gpkg); each feature
    /// carries its `atlas_fid` and `atlas_version` as its last two properties.
    Export {
        /// The database.
        url: String,
        /// The store layer.
        layer: String,
        /// The output file (replaced atomically).
        out: PathBuf,
    },
    /// Push the changes of a file exported with `db export` (edited in any tool) to a store
    /// layer: one transaction, guarded writes, per-field merge; conflicts are listed as
    /// `fid: field: mine / theirs`, not written, and the exit status is 1.
    Push {
        /// The database.
        url: String,
        /// The store layer.
        layer: String,
        /// The edited file.
        file: PathBuf,
        /// The journal note recorded with every version this push writes.
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// Runs a `db` subcommand; prints problems to stderr, exit 1 on failure.
pub fn run(command: DbCommand) -> ExitCode {
    let result = match command {
        DbCommand::Init { url } => super::init(&url).map(|applied| {
            if applied.is_empty() {
                println!(
                    "team store at {} is up to date (schema version {})",
                    super::redact(&url),
                    super::migrate::latest()
                );
            } else {
                let list: Vec<String> = applied.iter().map(ToString::to_string).collect();
                println!("team store at {}: applied migration {}", super::redact(&url), list.join(", "));
            }
        }),
        DbCommand::Publish { url, file, layer } => super::connect(&url)
            .and_then(|mut c| super::publish::publish_file(&mut c, &file, layer.as_deref()))
            .map(|(reports, notes)| {
                for n in notes {
                    eprintln!("{n}");
                }
                for r in reports {
                    println!("published “{}”: {} features (table atlas.{})", r.name, r.features, r.table);
                }
            }),
        DbCommand::Export { url, layer, out } => {
            super::connect(&url).and_then(|mut c| super::export(&mut c, &layer, &out)).map(|notes| {
                for n in notes {
                    eprintln!("{}: {n}", out.display());
                }
                println!("exported “{layer}” to {}", out.display());
            })
        }
        DbCommand::Push { url, layer, file, note } => {
            return super::connect(&url)
                .and_then(|mut c| super::push::push_file(&mut c, &layer, &file, &note))
                .map_or_else(
                    |e| {
                        eprintln!("{e}");
                        ExitCode::from(1)
                    },
                    |(report, notes)| {
                        for n in notes.lines {
                            eprintln!("{n}");
                        }
                        for line in super::push::report_lines(&report) {
                            println!("{line}");
                        }
                        if report.conflicts.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
                    },
                );
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
