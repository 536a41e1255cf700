//! The command line: no subcommand opens the app; subcommands work headless with the same
//! code the app uses. Exit 0 on success, 1 on bad input (`FILE:LINE:COL: message` lines).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::geodata::{HOME_BBOX, default_catalog};
use crate::model::TimeFilter;
use crate::render::export::export_view;
use crate::render::svg::Furniture;
use crate::spatial::Viewport;
use crate::time::{DateSpan, Range};

/// Frontier Atlas: a map of the Tajikistan–Afghanistan frontier.
#[derive(Debug, Parser)]
#[command(name = "frontier-atlas", version, about)]
pub struct Cli {
    /// GeoJSON files (or ACLED CSV exports) to open as extra layers, or a project file
    /// (`*.fatlas.json`) to open.
    pub files: Vec<PathBuf>,
    /// Open the app connected to this team store (a `PostgreSQL` URL such as
    /// `postgresql://alice@db.example:5432/atlas`; the password from `PGPASSWORD` or `~/.pgpass`).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// What to do headless.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the map (default view or a bounding box) to a PNG, SVG or PDF briefing.
    Render(RenderArgs),
    /// Export a project's scenes as a briefing deck: one multi-page PDF, or a PNG or SVG per
    /// scene (`deck.png` → `deck-1.png`, …).
    Brief(BriefArgs),
    /// Events within a distance of aid sites (geodesic km), as CSV, with a summary per site.
    Near(NearArgs),
    /// Export the timeline's playback as an animated GIF (.gif), APNG (.apng) or numbered PNG
    /// frames (`frames.png` → `frames-0001.png`, …).
    Animate(AnimateArgs),
    /// Check GeoJSON files strictly against RFC 7946, and CSV files (ACLED exports, point tables) row by row as the app reads them.
    Validate {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Import data from other formats.
    Import {
        /// What to import.
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// The team store (PostgreSQL/PostGIS): init, publish, export.
    Db {
        /// What to do.
        #[command(subcommand)]
        what: crate::db::command::DbCommand,
    },
    /// Convert between GeoJSON (.geojson/.json), GeoPackage (.gpkg), point CSV (.csv) and KML
    /// (.kml, zipped .kmz).
    Convert {
        /// The input file.
        input: PathBuf,
        /// The output file (replaced atomically; never the input itself).
        output: PathBuf,
        /// The layer to take from a multi-layer GeoPackage.
        #[arg(long)]
        layer: Option<String>,
        /// Write the usable rows when some cannot be used (default: write nothing, exit 1).
        #[arg(long)]
        skip_bad: bool,
    },
}

/// Import subcommands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Convert an ACLED CSV export to an events layer (.geojson, .gpkg or .csv by the
    /// output's extension).
    Acled {
        /// The ACLED CSV file.
        input: PathBuf,
        /// Where to write the layer (replaced atomically; never the input itself).
        #[arg(long)]
        out: PathBuf,
        /// Write the usable rows when some cannot be used (default: write nothing, exit 1).
        #[arg(long)]
        skip_bad: bool,
    },
}

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Output file (.png, .svg or .pdf).
    #[arg(long)]
    pub out: PathBuf,
    /// Bounding box `W,S,E,N` in degrees (default: the frontier).
    #[arg(long, value_parser = parse_bbox, allow_hyphen_values = true)]
    pub bbox: Option<[f64; 4]>,
    /// Image size `WIDTHxHEIGHT` in pixels.
    #[arg(long, default_value = "1600x1000", value_parser = parse_size)]
    pub size: [f32; 2],
    /// Extra layers to draw (GeoJSON, GeoPackage, CSV).
    #[arg(long = "add")]
    pub add: Vec<PathBuf>,
    /// Draw the usable rows of an `--add` file some of whose rows cannot be used (default:
    /// write nothing, exit 1).
    #[arg(long)]
    pub skip_bad: bool,
    /// First day shown of dated layers (YYYY-MM-DD, YYYY-MM or YYYY).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day shown of dated layers (inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Title printed on the map.
    #[arg(long)]
    pub title: Option<String>,
    /// Leave out the legend.
    #[arg(long)]
    pub no_legend: bool,
    /// The corner of the map the legend goes in.
    #[arg(long, value_enum, default_value = "top-right")]
    pub legend_corner: crate::render::LegendCorner,
    /// Page size instead of `--size`: a4, letter, or `WIDTHxHEIGHT` with mm, in or pt.
    #[arg(long)]
    pub page: Option<String>,
    /// Orientation of a named `--page` size.
    #[arg(long, value_enum, default_value = "landscape")]
    pub orientation: OrientationArg,
}

fn parse_bbox(text: &str) -> Result<[f64; 4], String> {
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|e| format!("`{p}` is not a number ({e})")))
        .collect::<Result<_, _>>()?;
    let [w, s, e, n] = parts.as_slice() else {
        return Err(format!("expected W,S,E,N (4 numbers), got {}", parts.len()));
    };
    if !(-180.0..=180.0).contains(w)
        || !(-180.0..=180.0).contains(e)
        || !(-85.0..=85.0).contains(s)
        || !(-85.0..=85.0).contains(n)
    {
        return Err("longitudes must be within −180..180 and latitudes within −85..85".to_owned());
    }
    if w >= e || s >= n {
        return Err("west must be less than east and south less than north".to_owned());
    }
    Ok([*w, *s, *e, *n])
}

fn parse_size(text: &str) -> Result<[f32; 2], String> {
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(|| format!("expected WIDTHxHEIGHT, got `{text}`"))?;
    let w: u32 = w.trim().parse().map_err(|e| format!("`{w}` is not a whole number ({e})"))?;
    let h: u32 = h.trim().parse().map_err(|e| format!("`{h}` is not a whole number ({e})"))?;
    if !(16..=10_000).contains(&w) || !(16..=10_000).contains(&h) {
        return Err("width and height must be between 16 and 10000 pixels".to_owned());
    }
    Ok([w as f32, h as f32])
}

/// Parses `--from`/`--to` into an inclusive range (`--from 2021` means 1 Jan 2021, `--to 2021`
/// means 31 Dec 2021).
pub fn date_range(from: Option<&str>, to: Option<&str>) -> Result<Option<Range>, String> {
    let from = from.map(|t| DateSpan::parse(t).map(|s| s.start).map_err(|e| format!("--from: {e}"))).transpose()?;
    let to = to.map(|t| DateSpan::parse(t).map(|s| s.end).map_err(|e| format!("--to: {e}"))).transpose()?;
    Ok(match (from, to) {
        (None, None) => None,
        (Some(a), None) => Some(Range::new(a, chrono::NaiveDate::MAX)),
        (None, Some(b)) => Some(Range::new(chrono::NaiveDate::MIN, b)),
        (Some(a), Some(b)) if a <= b => Some(Range::new(a, b)),
        (Some(_), Some(_)) => return Err("--from is after --to".to_owned()),
    })
}

/// Runs a headless command; prints problems to stderr.
pub fn run(command: Command) -> ExitCode {
    // Each view is drawn once here: no density indexes for frames to come.
    crate::render::density::draw_single_frames();
    match command {
        Command::Render(args) => render(&args),
        Command::Brief(args) => brief(&args),
        Command::Near(args) => near(&args),
        Command::Animate(args) => animate(&args),
        Command::Validate { files } => validate(&files),
        Command::Import { what: ImportCommand::Acled { input, out, skip_bad } } => {
            import_acled(&input, &out, bad_rows(skip_bad))
        }
        Command::Db { what } => crate::db::command::run(what),
        Command::Convert { input, output, layer, skip_bad } => {
            convert(&input, &output, layer.as_deref(), bad_rows(skip_bad))
        }
    }
}

/// The embedded catalog plus the `--add` files (opened through [`crate::io::open`]); problems
/// go to stderr, and `None` when a file could not be opened at all, or some of its rows or
/// features could not be used and `skip_bad` is not given (found trying the command: a CSV cut
/// short drew a map without its last rows and exited 0, where `import`, `convert` and
/// `validate` refuse it).
fn catalog_with(add: &[PathBuf], skip_bad: bool) -> Option<crate::model::Catalog> {
    // The embedded layers are read while the files are opened (they do not depend on each
    // other); messages come out in the same order as reading them one after the other.
    let ((mut catalog, problems), opened) =
        rayon::join(default_catalog, || add.iter().map(|path| crate::io::open::open_layers(path)).collect::<Vec<_>>());
    for p in problems {
        eprintln!("{p}");
    }
    let mut failed = false;
    for (path, opened) in add.iter().zip(opened) {
        match opened {
            Ok(layers) => {
                for loaded in layers {
                    for s in &loaded.skipped {
                        eprintln!("{s}");
                    }
                    let left_out = loaded.skipped.iter().filter(|s| left_out(s)).count();
                    if left_out > 0 && !skip_bad {
                        eprintln!(
                            "{}: nothing written: {left_out} row(s) or feature(s) could not be used; fix them, or pass --skip-bad to draw the rest",
                            path.display()
                        );
                        failed = true;
                    }
                    catalog.insert(loaded.layer);
                }
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    (!failed).then_some(catalog)
}

fn render(args: &RenderArgs) -> ExitCode {
    let Some(catalog) = catalog_with(&args.add, args.skip_bad) else { return ExitCode::from(1) };
    let range = match date_range(args.from.as_deref(), args.to.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let size = match &args.page {
        None => args.size,
        Some(page) => match crate::render::deck::PageSize::parse(page, args.orientation.into()) {
            Ok(p) => [p.width_pts, p.height_pts],
            Err(e) => {
                eprintln!("--page: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let viewport = Viewport::fit_bbox(args.bbox.unwrap_or(HOME_BBOX), size);
    let filter = TimeFilter::new(&catalog, range);
    let furniture = Furniture {
        title: args.title.clone(),
        date_range: range.map(|r| describe_range(&r)),
        legend: (!args.no_legend).then_some(args.legend_corner),
    };
    let written = export_view(&catalog, &viewport, &filter, &furniture, &args.out);
    // The process ends here: its memory goes back with it, without freeing a million-feature
    // layer piece by piece first.
    drop(filter);
    std::mem::forget(catalog);
    match written {
        Ok(()) => {
            println!("wrote {}", args.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// "1 Jun 2021 – 30 Jun 2022 · times in UTC (UTC+00:00)": the range in words (open ends
/// written as "…", see [`crate::render::deck::range_in_words`]) and the zone timestamps were
/// read in, as every export prints it.
pub fn describe_range(r: &Range) -> String {
    crate::render::deck::range_stated(Some((r.from, r.to)))
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let mut bad = false;
    for path in files {
        let label = path.display();
        match crate::io::open::Format::from_extension(path) {
            Some(crate::io::open::Format::Csv) => {
                bad |= validate_csv(path);
                continue;
            }
            Some(format @ (crate::io::open::Format::GeoPackage | crate::io::open::Format::Kml)) if path.exists() => {
                // Found trying the command: a GeoPackage was "1:1: JSON syntax error".
                let what = if format == crate::io::open::Format::Kml { "KML" } else { "GeoPackage" };
                println!(
                    "{label}:1:1: a {what} file: `validate` checks GeoJSON and CSV files; open it, or `convert` it to GeoJSON and check that"
                );
                bad = true;
                continue;
            }
            _ => {}
        }
        // Read once (a FIFO too), streamed: memory stays bounded for a FeatureCollection.
        match crate::io::validate_stream::validate_path(path) {
            Err(e) => {
                // The reason names the path itself ("PATH: is a folder, not a file"): said once.
                let text = e.to_string();
                let reason = text.strip_prefix(&format!("{label}: ")).unwrap_or(&text);
                println!("{label}:1:1: {reason}");
                bad = true;
            }
            Ok(problems) => {
                for p in &problems {
                    println!("{label}:{p}");
                }
                bad |= crate::io::validate::has_errors(&problems);
            }
        }
    }
    if bad { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// `validate` of a CSV (an ACLED export or points with longitude/latitude columns): read as
/// the app reads it, each row left out printed as an error and each row kept with a remark
/// as a note (`FILE:LINE:COL: note: …`, as GeoJSON notes are). True when the file cannot be
/// read or a row was left out. Found trying the command: a CSV was "1:1: JSON syntax error".
fn validate_csv(path: &Path) -> bool {
    let label = path.display().to_string();
    if crate::io::read::is_regular_file(path) && crate::io::acled::is_acled_file(path) {
        // An ACLED export is streamed, as `import acled` reads it: memory stays bounded.
        let summary = match crate::io::acled::open_acled(path) {
            Ok(input) => input.stream_rows(|_| Ok(())),
            Err(e) => Err(e.into()),
        };
        return match summary {
            Ok(summary) => {
                for p in &summary.problems {
                    let note = if p.skipped { "" } else { "note: " };
                    println!("{label}:{}:{}: {note}{}", p.line, p.col.max(1), p.message);
                }
                summary.rows_skipped() > 0
            }
            Err(e) => {
                let text = e.to_string();
                println!("{label}:1:1: {}", text.strip_prefix(&format!("{label}: ")).unwrap_or(&text));
                true
            }
        };
    }
    let loaded = match crate::io::open::open_layers(path) {
        Ok(mut layers) if !layers.is_empty() => layers.swap_remove(0),
        Ok(_) => {
            println!("{label}:1:1: no layer in this file");
            return true;
        }
        Err(e) => {
            let text = e.to_string();
            // A message that already gives the place ("FILE:LINE:…") is printed as it is.
            let placed = text
                .strip_prefix(&format!("{label}:"))
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
            if placed {
                println!("{text}");
            } else {
                println!("{label}:1:1: {}", text.strip_prefix(&format!("{label}: ")).unwrap_or(&text));
            }
            return true;
        }
    };
    let mut bad = false;
    for line in &loaded.skipped {
        let skipped = left_out(line);
        bad |= skipped;
        // "FILE:LINE:COL: message": a kept row's remark is a note.
        let place_and_message = line.strip_prefix(&format!("{label}:")).and_then(|rest| {
            let (line_no, rest) = rest.split_once(':')?;
            let (col, message) = rest.split_once(": ")?;
            Some((line_no, col, message))
        });
        match place_and_message {
            Some((line_no, col, message)) if !skipped => println!("{label}:{line_no}:{col}: note: {message}"),
            Some(_) => println!("{line}"),
            None => println!("{label}:1:1: {}", line.strip_prefix(&format!("{label}: ")).unwrap_or(line)),
        }
    }
    bad
}

/// Whether a line of a loaded layer's problems tells a row or feature left out (the others
/// are remarks on rows kept).
fn left_out(line: &str) -> bool {
    line.contains("skipped")
}

fn bad_rows(skip_bad: bool) -> crate::io::convert::BadRows {
    if skip_bad { crate::io::convert::BadRows::Skip } else { crate::io::convert::BadRows::Fail }
}

/// The `convert` subcommand: prints what was written and lost to stdout and problems to
/// stderr. Exit 0 on success, 1 on bad input or a write failure (then nothing is written).
fn convert(input: &Path, output: &Path, layer: Option<&str>, bad_rows: crate::io::convert::BadRows) -> ExitCode {
    run_convert(input, output, layer, bad_rows, |report| {
        for (name, n) in &report.layers {
            println!("{}: layer `{name}`: {n} features written to {}", input.display(), output.display());
        }
    })
}

/// Converts `input` to `output` and prints what the conversion reports: its problems to stderr
/// as they are (each says whether its row or feature was skipped or kept), what was written
/// (`written`) and what the output cannot keep to stdout.
fn run_convert(
    input: &Path,
    output: &Path,
    layer: Option<&str>,
    bad_rows: crate::io::convert::BadRows,
    written: impl FnOnce(&crate::io::convert::ConvertReport),
) -> ExitCode {
    match crate::io::convert::convert_layer(input, output, layer, bad_rows) {
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
        Ok(report) => {
            for p in &report.problems {
                eprintln!("{p}");
            }
            written(&report);
            for l in &report.lossy {
                println!("{}: not kept: {l}", output.display());
            }
            ExitCode::SUCCESS
        }
    }
}

/// `import acled`: read once, refuse to write onto the input, write nothing when rows
/// cannot be used (unless `--skip-bad`), write the output by its extension. A GeoJSON output is
/// streamed: each row's feature is written to the staged output as it is read, and the output
/// is committed only when the whole input was good (or `--skip-bad` was given).
fn import_acled(input: &Path, out: &Path, bad_rows: crate::io::convert::BadRows) -> ExitCode {
    use crate::io::acled::{AcledStreamError, AcledSummary, GeoJsonWriter};
    /// Why the streamed GeoJSON import wrote nothing.
    enum Failed {
        Input(AcledStreamError),
        Refused(String),
        Write(std::io::Error),
        /// The parallel reader does not take the file: the serial one does.
        Irregular,
    }
    impl From<std::io::Error> for Failed {
        fn from(e: std::io::Error) -> Self {
            Self::Write(e)
        }
    }
    let fail = |message: String| {
        eprintln!("{message}");
        ExitCode::from(1)
    };
    let format = match crate::io::open::Format::of_output(out) {
        Ok(f) => f,
        Err(e) => return fail(e.to_string()),
    };
    if crate::io::open::same_file(input, out) {
        return fail(format!("{}: the output is the input file; write to another file", out.display()));
    }
    let source = match crate::io::acled::open_acled(input) {
        Ok(source) => source,
        Err(e) => return fail(e.to_string()),
    };
    if format == crate::io::open::Format::GeoPackage {
        drop(source);
        return import_acled_to_gpkg(input, out, bad_rows);
    }
    let cannot_write = |e: &std::io::Error| format!("cannot write {}: {e}", out.display());
    // Reports the problems; the message refusing to write, if it must.
    let check = |summary: &AcledSummary| {
        for p in &summary.problems {
            // Each message says whether its row was skipped or kept.
            eprintln!("{}", p.located(&input.display()));
        }
        (summary.rows_skipped() > 0 && bad_rows == crate::io::convert::BadRows::Fail).then(|| {
            format!(
                "{}: nothing written: {} row(s) of {} could not be used; fix them, or pass --skip-bad to write the rest",
                out.display(),
                summary.rows_skipped(),
                input.display()
            )
        })
    };
    // A regular file is read on every core; one the parallel reader does not take (see
    // io::acled_par) is read again by the serial reader below, into a fresh temporary file.
    let parallel = format == crate::io::open::Format::GeoJson && std::fs::metadata(input).is_ok_and(|m| m.is_file());
    let mut done = None;
    let written = if parallel {
        use crate::io::acled_par::{BLOCK, Read};
        let mut write_error = None;
        crate::io::atomic::write_atomic_with(out, |w| {
            // The disk writes the features while the rest are read (the commit syncs).
            let _ahead = crate::io::sync_ahead::SyncAhead::start(w.get_ref()).ok();
            let mut writer = GeoJsonWriter::new(w)?;
            let progress = crate::io::progress::Progress::new();
            // Runs of rows, each written as one row (they come joined as rows are).
            let read = crate::io::acled_par::stream_json_runs(input, &progress, BLOCK, |json| {
                writer.raw_row(json).inspect_err(|e| write_error = Some(std::io::Error::new(e.kind(), e.to_string())))
            });
            let summary = match read {
                Read::Done(summary) => summary,
                Read::Irregular => return Err(Failed::Irregular),
                Read::Failed(message) => {
                    return Err(match write_error.take() {
                        Some(e) => Failed::Write(e),
                        None => Failed::Refused(message),
                    });
                }
            };
            writer.finish()?;
            if let Some(refusal) = check(&summary) {
                return Err(Failed::Refused(refusal));
            }
            done = Some(summary);
            Ok(())
        })
    } else {
        Err(Failed::Irregular)
    };
    let summary = if let (Ok(()), Some(summary)) = (&written, done.take()) {
        summary
    } else if let Err(Failed::Write(e)) = written {
        return fail(cannot_write(&e));
    } else if let Err(Failed::Refused(message)) = written {
        return fail(message);
    } else if format == crate::io::open::Format::GeoJson {
        let mut done = None;
        let written = crate::io::atomic::write_atomic_with(out, |w| {
            let mut writer = GeoJsonWriter::new(w)?;
            let summary = source.stream_rows(|row| writer.row(&row)).map_err(Failed::Input)?;
            writer.finish()?;
            if let Some(refusal) = check(&summary) {
                return Err(Failed::Refused(refusal));
            }
            done = Some(summary);
            Ok(())
        });
        match (written, done) {
            (Ok(()), Some(summary)) => summary,
            (Err(Failed::Input(AcledStreamError::Output(e)) | Failed::Write(e)), _) => return fail(cannot_write(&e)),
            (Err(Failed::Input(e)), _) => return fail(e.to_string()),
            (Err(Failed::Refused(message)), _) => return fail(message),
            // Not reachable: the serial reader takes every file, and a successful write
            // records its summary.
            (Err(Failed::Irregular) | Ok(()), _) => return fail(format!("{}: nothing imported", input.display())),
        }
    } else {
        // The layer is parsed from the GeoJSON text `import acled` would write (streamed into
        // memory), so every output format carries the same features.
        let mut writer = match GeoJsonWriter::new(Vec::new()) {
            Ok(writer) => writer,
            Err(e) => return fail(e.to_string()),
        };
        let summary = match source.stream_rows(|row| writer.row(&row)) {
            Ok(summary) => summary,
            Err(e) => return fail(e.to_string()),
        };
        if let Some(refusal) = check(&summary) {
            return fail(refusal);
        }
        let text = match writer.finish().map_err(|e| e.to_string()).and_then(|bytes| {
            // Serialised from strings and finite numbers: always UTF-8.
            String::from_utf8(bytes).map_err(|e| format!("{}: {e}", input.display()))
        }) {
            Ok(text) => text,
            Err(e) => return fail(e),
        };
        let label = input.display().to_string();
        let name = input.file_stem().map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
        let written = crate::io::geojson::parse_layer(
            &text,
            &label,
            &name,
            Some(crate::model::LayerKind::Events),
            crate::model::LayerSource::File(input.to_owned()),
        )
        .map_err(|e| e.to_string())
        .and_then(|loaded| crate::io::open::write_layer(&loaded.layer, out))
        .map(|lossy| {
            for l in lossy {
                println!("{}: not kept: {l}", out.display());
            }
        });
        if let Err(e) = written {
            return fail(e);
        }
        summary
    };
    println!(
        "{}: {} events written to {} ({} rows skipped)",
        input.display(),
        summary.features,
        out.display(),
        summary.rows_skipped()
    );
    ExitCode::SUCCESS
}

/// `import acled` to a GeoPackage: written as `convert` writes an export, streamed (the same
/// table the whole layer gave: found by a new user, the whole layer took 5.3 s and 1.2 GB for
/// 100,000 rows where `convert` took 0.4 s and 118 MB).
fn import_acled_to_gpkg(input: &Path, out: &Path, bad_rows: crate::io::convert::BadRows) -> ExitCode {
    run_convert(input, out, None, bad_rows, |report| {
        let events: usize = report.layers.iter().map(|(_, n)| n).sum();
        let skipped = report.problems.iter().filter(|p| left_out(p)).count();
        println!("{}: {events} events written to {} ({skipped} rows skipped)", input.display(), out.display());
    })
}

/// Page orientation on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OrientationArg {
    /// Wider than tall.
    Landscape,
    /// Taller than wide.
    Portrait,
}

impl From<OrientationArg> for crate::render::deck::Orientation {
    fn from(o: OrientationArg) -> Self {
        match o {
            OrientationArg::Landscape => Self::Landscape,
            OrientationArg::Portrait => Self::Portrait,
        }
    }
}

/// Arguments of `brief`.
#[derive(Debug, clap::Args)]
pub struct BriefArgs {
    /// The project file (`*.fatlas.json`) holding the scenes.
    pub project: PathBuf,
    /// Output: `.pdf` (one multi-page deck), `.png` or `.svg` (one file per scene, numbered).
    #[arg(long)]
    pub out: PathBuf,
    /// Page size: a4, letter, or `WIDTHxHEIGHT` with mm, in or pt (e.g. `297x210mm`).
    #[arg(long, default_value = "a4")]
    pub page: String,
    /// Orientation of a named page size.
    #[arg(long, value_enum, default_value = "landscape")]
    pub orientation: OrientationArg,
    /// Which scenes, 1-based, in this order: e.g. `1,3-5` (default: all).
    #[arg(long)]
    pub scenes: Option<String>,
    /// Pixels per inch of PNG pages.
    #[arg(long, default_value_t = 150.0)]
    pub dpi: f32,
}

/// The `brief` subcommand: the project's scenes as a deck. Exit 1 when the project cannot be
/// read, has no scenes, the selection or page is wrong, or the output cannot be written.
fn brief(args: &BriefArgs) -> ExitCode {
    use crate::render::deck::{DeckOptions, PageSize, write_deck};
    let fail = |message: String| {
        eprintln!("{message}");
        ExitCode::from(1)
    };
    let project = match crate::project::load_project(&args.project) {
        Ok(p) => p,
        Err(e) => return fail(e.to_string()),
    };
    if project.scenes.is_empty() {
        return fail(format!(
            "{}: the project has no scenes (add \"scenes\"; see docs/PROJECT_FORMAT.md)",
            args.project.display()
        ));
    }
    let picked = match &args.scenes {
        None => (0..project.scenes.len()).collect(),
        Some(text) => match crate::project::parse_selection(text, project.scenes.len()) {
            Ok(p) => p,
            Err(e) => return fail(format!("--scenes: {e}")),
        },
    };
    let page = match PageSize::parse(&args.page, args.orientation.into()) {
        Ok(p) => p,
        Err(e) => return fail(format!("--page: {e}")),
    };
    if !(36.0..=1200.0).contains(&args.dpi) {
        return fail("--dpi: expected 36 to 1200".to_owned());
    }
    let (catalog, problems) = crate::project::catalog_from_project(&project);
    for p in problems {
        eprintln!("{}: {p}", args.project.display());
    }
    let scenes: Vec<&crate::project::ProjectScene> = picked.iter().filter_map(|&i| project.scenes.get(i)).collect();
    match write_deck(&catalog, &scenes, &DeckOptions { page, dpi: args.dpi }, &args.out) {
        Ok(report) => {
            for p in &report.problems {
                eprintln!("{}: {p}", args.project.display());
            }
            for f in &report.files {
                println!("wrote {}", f.display());
            }
            println!("{} page(s)", report.pages);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}

/// Arguments of `near`.
#[derive(Debug, clap::Args)]
pub struct NearArgs {
    /// The aid sites (any layer file).
    #[arg(long)]
    pub sites: PathBuf,
    /// The events (any layer file).
    #[arg(long)]
    pub events: PathBuf,
    /// The radius in km (geodesic, WGS84).
    #[arg(long)]
    pub km: f64,
    /// Count only events whose dates overlap each site's own active dates.
    #[arg(long)]
    pub during_site_dates: bool,
    /// First day of events counted (YYYY-MM-DD, YYYY-MM or YYYY).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of events counted (inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// The CSV to write (one row per site–event pair), or a `.geojson` layer of the matched
    /// events (with the site, distance and approximate flag as properties).
    #[arg(long)]
    pub out: PathBuf,
}

/// The `near` subcommand: prints a line per site and writes the pairs as CSV.
fn near(args: &NearArgs) -> ExitCode {
    use crate::spatial::near::{When, events_near_sites, matches_csv, summary};
    let fail = |message: String| {
        eprintln!("{message}");
        ExitCode::from(1)
    };
    if !(args.km.is_finite() && args.km >= 0.0 && args.km <= 20_000.0) {
        return fail(format!("--km: expected a distance from 0 to 20000 km, got {}", args.km));
    }
    let open = |path: &Path| crate::io::open::open_layer(path, None).map_err(|e| e.to_string());
    let (sites, events) = match (open(&args.sites), open(&args.events)) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    for p in sites.skipped.iter().chain(&events.skipped) {
        eprintln!("{p}");
    }
    let range = match date_range(args.from.as_deref(), args.to.as_deref()) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let when = match (args.during_site_dates, range) {
        (true, Some(_)) => return fail("--during-site-dates and --from/--to: choose one".to_owned()),
        (true, None) => When::DuringSiteDates,
        (false, Some(r)) => When::Range(r),
        (false, None) => When::Always,
    };
    let matches = events_near_sites(&sites.layer, &events.layer, args.km, when);
    let geojson =
        args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("geojson") || e.eq_ignore_ascii_case("json"));
    let text = if geojson {
        crate::spatial::near::matches_geojson(&sites.layer, &events.layer, &matches)
    } else {
        matches_csv(&sites.layer, &events.layer, &matches)
    };
    if let Err(e) = crate::io::atomic::write_atomic(&args.out, text.as_bytes()) {
        return fail(format!("cannot write {}: {e}", args.out.display()));
    }
    for line in summary(&sites.layer, &events.layer, &matches) {
        println!("{line}");
    }
    println!("{} site–event pairs within {} km written to {}", matches.len(), args.km, args.out.display());
    ExitCode::SUCCESS
}

/// Arguments of `animate`.
#[derive(Debug, clap::Args)]
pub struct AnimateArgs {
    /// Output: `.gif`, `.apng`, or `.png` for numbered frames (`NAME-0001.png`, …).
    #[arg(long)]
    pub out: PathBuf,
    /// First day of the playback (default: the first dated feature).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of the playback (default: the last dated feature).
    #[arg(long)]
    pub to: Option<String>,
    /// Step between frames: `week`, `month` or `Nd` (N days).
    #[arg(long, default_value = "month", value_parser = parse_step)]
    pub step: crate::time::Step,
    /// Window: `Nd` (a moving window of N days) or `accumulate`.
    #[arg(long, default_value = "90d", value_parser = parse_window)]
    pub window: crate::time::PlayMode,
    /// Leave out steps in which nothing starts.
    #[arg(long)]
    pub skip_empty: bool,
    /// Bounding box `W,S,E,N` in degrees (default: the frontier).
    #[arg(long, value_parser = parse_bbox, allow_hyphen_values = true)]
    pub bbox: Option<[f64; 4]>,
    /// Frame size `WIDTHxHEIGHT` in pixels.
    #[arg(long, default_value = "800x500", value_parser = parse_size)]
    pub size: [f32; 2],
    /// Frames per second.
    #[arg(long, default_value_t = 2.0, value_parser = parse_fps)]
    pub fps: f64,
    /// Title printed on every frame.
    #[arg(long)]
    pub title: Option<String>,
    /// Leave out the legend.
    #[arg(long)]
    pub no_legend: bool,
    /// The corner of the map the legend goes in.
    #[arg(long, value_enum, default_value = "top-right")]
    pub legend_corner: crate::render::LegendCorner,
    /// Extra layers to draw (GeoJSON, GeoPackage, CSV).
    #[arg(long = "add")]
    pub add: Vec<PathBuf>,
    /// Draw the usable rows of an `--add` file some of whose rows cannot be used (default:
    /// write nothing, exit 1).
    #[arg(long)]
    pub skip_bad: bool,
}

fn parse_days(text: &str) -> Option<u32> {
    text.strip_suffix(['d', 'D']).and_then(|n| n.trim().parse::<u32>().ok()).filter(|n| (1..=3650).contains(n))
}

fn parse_step(text: &str) -> Result<crate::time::Step, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "week" => Ok(crate::time::Step::Week),
        "month" => Ok(crate::time::Step::Month),
        t => parse_days(t)
            .map(crate::time::Step::Days)
            .ok_or_else(|| format!("expected week, month or a number of days like 14d (1–3650), got `{text}`")),
    }
}

fn parse_window(text: &str) -> Result<crate::time::PlayMode, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "accumulate" => Ok(crate::time::PlayMode::Accumulate),
        t => parse_days(t)
            .map(|width_days| crate::time::PlayMode::MovingWindow { width_days })
            .ok_or_else(|| format!("expected accumulate or a window in days like 90d (1–3650), got `{text}`")),
    }
}

fn parse_fps(text: &str) -> Result<f64, String> {
    let fps: f64 = text.trim().parse().map_err(|e| format!("`{text}` is not a number ({e})"))?;
    if (0.1..=50.0).contains(&fps) { Ok(fps) } else { Err("frames per second must be between 0.1 and 50".to_owned()) }
}

fn animate(args: &AnimateArgs) -> ExitCode {
    use crate::render::animate::{AnimationSettings, export_animation};
    let Some(catalog) = catalog_with(&args.add, args.skip_bad) else { return ExitCode::from(1) };
    let range = match date_range(args.from.as_deref(), args.to.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let viewport = Viewport::fit_bbox(args.bbox.unwrap_or(HOME_BBOX), args.size);
    let settings = AnimationSettings {
        mode: args.window,
        step: args.step,
        range,
        skip_empty: args.skip_empty,
        fps: args.fps,
        title: args.title.clone(),
        legend: (!args.no_legend).then_some(args.legend_corner),
    };
    match export_animation(&catalog, &viewport, &settings, &args.out, &mut |_, _| {}) {
        Ok(frames) => {
            println!("wrote {} ({frames} frames)", args.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
