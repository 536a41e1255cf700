//! An ACLED export to a GeoPackage straight from its cells: both passes read the file on
//! every core ([`crate::io::acled_par::stream_made`]) and take each good row's values as the
//! importer makes them ([`crate::io::acled::cell_scalar`]) without writing the row as GeoJSON
//! text and parsing that back. Pass 1 plans the table from the values' kinds and reads each
//! row's date as the loader does; pass 2 encodes the rows on the task that read them
//! ([`RowEncoder::encode_scalars`]) and this thread inserts them. The table, the reports and
//! the refusals are the ones the feature texts give (`tests/convert_cells.rs` compares them).

use std::path::Path;

use serde_json::Map;

use super::{BadRows, ConvertError, ConvertReport, Format, Pass1, Read, Ready, Source, acled_root};
use crate::io::acled::{Header, RowCore, cell_scalar, cell_value};
use crate::io::acled_par::{BLOCK, Maker, Read as Parallel, stream_made};
use crate::io::gpkg::raw::Kind;
use crate::io::gpkg::stream::{Early, EncodedRows, Planner, RowEncoder, Rows, write_planned_early};
use crate::io::progress::Progress;
use crate::model::{Feature, FeatureId, LayerKind};

/// Pass 1 over the ACLED export `input` into `plan` (see the module docs).
pub(super) fn check(input: &Path, output: &Path, plan: &mut Pass1) -> Result<Read, ConvertError> {
    let label = input.display();
    let maker = PlanMaker { zone: plan.zone };
    let read = stream_made(input, &Progress::new(), BLOCK, &maker, |header, made, kept| {
        plan_rows(plan, output, header, &made, kept);
        Ok(())
    });
    match read {
        Parallel::Done(summary) => Ok(acled_root(&label, &summary)),
        Parallel::Irregular => Ok(Read::Irregular),
        Parallel::Failed(message) => Err(ConvertError::Read(message)),
    }
}

/// Takes the rows `kept` of a piece [`PlanMaker`] read into `plan`.
fn plan_rows(plan: &mut Pass1, output: &Path, header: &Header, made: &PlanPiece, kept: &[usize]) {
    let width = header.order.len();
    let keys: Vec<&str> =
        header.order.iter().map(|&i| header.columns.get(i).map_or("", crate::io::acled::Column::key)).collect();
    let mut dates = made.dates.iter().peekable();
    for &r in kept {
        while dates.next_if(|d| d.0 < r).is_some() {}
        let date = dates.next_if(|d| d.0 == r).map(|d| d.1.as_str());
        let from = made.id_ends.get(r.wrapping_sub(1)).copied().unwrap_or(0);
        let id = made.ids.get(from..made.id_ends.get(r).copied().unwrap_or(from)).unwrap_or_default();
        let kinds = made.kinds.get(r * width..(r + 1) * width).unwrap_or_default();
        let point = made.points.get(r).copied().unwrap_or_default();
        plan.row_cells(output, id, keys.iter().copied().zip(kinds.iter().copied()), point, date);
    }
}

/// Rows the table is first planned from in [`at_once`] (at least; the rest of the piece of
/// the file they end in too): a hundredth of the reading of a 1M-row export.
const SAMPLE_ROWS: usize = 10_000;

/// How [`at_once`] ended.
pub(super) enum AtOnce {
    /// Converted, or refused: in one pass, or in two when the table the rows plan is not
    /// the one their first rows planned.
    Done(
        Result<ConvertReport, ConvertError>,
        #[cfg_attr(not(test), expect(dead_code, reason = "the tests tell the two ways apart"))] Passes,
    ),
    /// The parallel reader does not take the file: `plan` took some of its rows.
    Irregular,
    /// Not tried (the first rows could not be read, or the output could not be created):
    /// `plan` is as it was.
    NotTaken,
}

/// How many times [`at_once`] read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Passes {
    One,
    Two,
}

/// Converts the ACLED export `input` to the GeoPackage `output` in one read of the file,
/// where pass 1 and pass 2 take two (see the module docs of [`super`]). The table is planned
/// from the export's first rows ([`SAMPLE_ROWS`]); then each block of rows is read once on
/// every core, planned into `plan` as pass 1 plans it and, while the plan still gives the
/// same columns, encoded and inserted as pass 2 does. The file is kept only when pass 1
/// allows the conversion (the same refusals, from the same `plan`) and every row planned the
/// table the first rows did ([`write_planned_early`]); otherwise it is deleted and pass 2
/// writes the file from the whole plan, as before. Either way the file is the one the two
/// passes write (`tests/convert_cells.rs`). Measured on a 1M-row export: the one read
/// spares pass 1's parse of every row, and the rows are inserted while the file is read.
pub(super) fn at_once(input: &Path, output: &Path, plan: &mut Pass1, bad_rows: BadRows) -> AtOnce {
    at_once_sampling(input, output, plan, bad_rows, SAMPLE_ROWS)
}

/// [`at_once`] with the table first planned from `sample` rows of the file (at least).
fn at_once_sampling(input: &Path, output: &Path, plan: &mut Pass1, bad_rows: BadRows, sample: usize) -> AtOnce {
    let Some(early) = first_rows(input, output, plan, sample) else { return AtOnce::NotTaken };
    let label = input.display();
    let mut finished: Option<Result<Ready, ConvertError>> = None;
    let mut irregular = false;
    let written = write_planned_early(output, early.clone(), |rows| {
        let (read, writing) = read_and_write(input, output, plan, &early, rows);
        match read {
            Parallel::Done(summary) => {
                let Read::Root(root, problems) = acled_root(&label, &summary) else { return Ok(None) };
                let whole =
                    std::mem::replace(plan, Pass1::new(&plan.label, &plan.name, Source::Acled, Format::GeoPackage));
                let ready = whole.finish(input, output, root, problems, bad_rows);
                let every = match &ready {
                    Ok(ready) if writing => ready.planner.clone(),
                    _ => None,
                };
                finished = Some(ready);
                Ok::<_, ConvertError>(every)
            }
            Parallel::Irregular => {
                irregular = true;
                Ok(None)
            }
            Parallel::Failed(message) => {
                finished = Some(Err(ConvertError::Read(message)));
                Ok(None)
            }
        }
    });
    match (written, finished) {
        (Ok(Early::Written(notes)), Some(Ok(ready))) => {
            let mut report = ready.report;
            report.lossy = notes;
            AtOnce::Done(Ok(report), Passes::One)
        }
        // The table differs from the first rows' (or writing it failed: pass 2 tells why).
        (_, Some(Ok(ready))) => AtOnce::Done(ready.write(input, output, Source::Acled), Passes::Two),
        (_, Some(Err(e))) => AtOnce::Done(Err(e), Passes::One),
        (_, None) if irregular => AtOnce::Irregular,
        (_, None) => AtOnce::NotTaken,
    }
}

/// Plans the table from the first `sample` rows of `input` (and the rest of the piece of
/// the file they end in; or every row), as pass 1 plans it from every row: `None` if the
/// parallel reader does not take them.
fn first_rows(input: &Path, output: &Path, plan: &Pass1, sample: usize) -> Option<Planner> {
    /// Why the read stops once the first rows are planned.
    const SAMPLED: &str = "sampled";
    let mut first = Pass1::new(&plan.label, &plan.name, Source::Acled, Format::GeoPackage);
    let maker = PlanMaker { zone: plan.zone };
    let read = stream_made(input, &Progress::new(), WRITE_BLOCK, &maker, |header, made, kept| {
        plan_rows(&mut first, output, header, &made, kept);
        if first.kept >= sample { Err(SAMPLED.to_owned()) } else { Ok(()) }
    });
    match read {
        Parallel::Done(_) => first.planner,
        Parallel::Failed(message) if first.kept >= sample && message.ends_with(SAMPLED) => first.planner,
        Parallel::Irregular | Parallel::Failed(_) => None,
    }
}

/// Reads `input` once on every core: each block's rows are planned into `plan` and, while
/// every row so far plans the columns `early` planned, encoded and inserted into `rows`.
/// Gives how the read ended and whether every row was inserted.
fn read_and_write(
    input: &Path,
    output: &Path,
    plan: &mut Pass1,
    early: &Planner,
    rows: &mut Rows<'_>,
) -> (Parallel, bool) {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let label = input.display();
    let writing = AtomicBool::new(true);
    let maker = BothMaker {
        plan: PlanMaker { zone: plan.zone },
        encode: EncodeMaker { encoder: rows.encoder(), cells: std::sync::OnceLock::new() },
        writing: &writing,
    };
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<EncodedRows>(2);
        let (maker, writing) = (&maker, &writing);
        let reader = scope.spawn(move || {
            stream_made(input, &Progress::new(), WRITE_BLOCK, maker, |header, (planned, encoded), kept| {
                plan_rows(plan, output, header, &planned, kept);
                if writing.load(Relaxed) {
                    let agrees = plan.planner.as_ref().is_some_and(|p| p.columns_agree(early));
                    // The receiver is gone only when the inserting side stopped.
                    if !agrees || send.send(encoded.retain(kept)).is_err() {
                        writing.store(false, Relaxed);
                    }
                }
                Ok(())
            })
        });
        for encoded in &receive {
            if writing.load(Relaxed) && rows.insert_encoded(&encoded).is_err() {
                writing.store(false, Relaxed);
            }
        }
        let read = reader.join().unwrap_or_else(|_| Parallel::Failed(format!("{label}: the reader failed")));
        (read, writing.load(Relaxed))
    })
}

/// Pass 1's and pass 2's readings of a row at once ([`at_once`]); the row is encoded only
/// while `writing`.
struct BothMaker<'e> {
    plan: PlanMaker,
    encode: EncodeMaker<'e>,
    writing: &'e std::sync::atomic::AtomicBool,
}

impl Maker for BothMaker<'_> {
    type Made = (PlanPiece, EncodedRows);

    fn start(&self) -> Self::Made {
        (self.plan.start(), self.encode.start())
    }

    fn row(&self, made: &mut Self::Made, header: &Header, cells: &[&str], core: &RowCore<'_>) {
        self.plan.row(&mut made.0, header, cells, core);
        if self.writing.load(std::sync::atomic::Ordering::Relaxed) {
            self.encode.row(&mut made.1, header, cells, core);
        }
    }
}

/// What pass 1 keeps of each row of a piece.
#[derive(Default)]
struct PlanPiece {
    /// The kinds of each row's properties, in property order, one row after the other.
    kinds: Vec<Kind>,
    /// The rows' ids, end to end, and where each ends.
    ids: String,
    id_ends: Vec<usize>,
    /// Each row's point.
    points: Vec<(f64, f64)>,
    /// Why a row's date cannot be read (the row's index, the reason), in row order.
    dates: Vec<(usize, String)>,
    /// The columns of the properties a layer's dates are read from
    /// ([`super::DATED_KEYS`]), and whether they are only ACLED's own, once the first row
    /// was seen.
    dated: Option<(Vec<(&'static str, usize)>, bool)>,
}

/// Pass 1's reading of a row.
struct PlanMaker {
    zone: Option<chrono_tz::Tz>,
}

impl Maker for PlanMaker {
    type Made = PlanPiece;

    fn start(&self) -> PlanPiece {
        PlanPiece::default()
    }

    fn row(&self, made: &mut PlanPiece, header: &Header, cells: &[&str], core: &RowCore<'_>) {
        let (columns, req) = (&header.columns, &header.required);
        let n = made.id_ends.len();
        for &i in &header.order {
            made.kinds.push(cell_scalar(cells, columns, req, core, i).kind());
        }
        made.ids.push_str(core.id);
        made.id_ends.push(made.ids.len());
        made.points.push((core.lon, core.lat));
        // The feature as `Pass1::feature_raw` loads it: its id and the properties its date
        // is read from.
        let (dated, acled_only) = made.dated.get_or_insert_with(|| {
            let dated: Vec<_> = super::DATED_KEYS
                .iter()
                .filter_map(|&key| columns.iter().position(|c| c.key() == key).map(|i| (key, i)))
                .collect();
            let acled_only =
                dated.iter().all(|(key, _)| matches!(*key, "event_date" | "event_type" | "time_precision"));
            (dated, acled_only)
        });
        // An event read from ACLED's own date columns, on a day of the years `YYYY-MM-DD`
        // spells, always has a span (as the loader reads it, `acled_par`'s `row_span`): no
        // feature is made to find that out (that was a fifth of the convert's CPU).
        if *acled_only && (1..=9999).contains(&chrono::Datelike::year(&core.day)) {
            return;
        }
        let mut properties = Map::new();
        for &(key, i) in dated.iter() {
            properties.insert(key.to_owned(), cell_value(cells, columns, req, core, i));
        }
        let f = Feature {
            id: Some(FeatureId::Str(core.id.to_owned())),
            geometry: None,
            properties,
            foreign_members: Map::new(),
            shape: crate::spatial::Shape::from_geo(None),
            time: None,
        };
        if let Err(why) = crate::model::feature_span(LayerKind::Events, None, &f, self.zone) {
            made.dates.push((n, why));
        }
    }
}

/// Bytes of the file read at a time in pass 2: a block's rows are held encoded (about three
/// times the bytes of their text) while the block before is inserted.
const WRITE_BLOCK: usize = BLOCK / 4;

/// Pass 2: the rows of the ACLED export `input` encoded on every core and inserted into
/// `rows` in file order.
pub(super) fn write(input: &Path, rows: &mut Rows<'_>) -> Result<(), ConvertError> {
    let label = input.display();
    let maker = EncodeMaker { encoder: rows.encoder(), cells: std::sync::OnceLock::new() };
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<EncodedRows>(2);
        let maker = &maker;
        let reader = scope.spawn(move || {
            stream_made(input, &Progress::new(), WRITE_BLOCK, maker, |_, made, kept| {
                // The receiver is gone only when an insert failed: its error is the one told.
                send.send(made.retain(kept)).map_err(|_gone| "stopped".to_owned())
            })
        });
        let mut failed = None;
        for encoded in &receive {
            if let Err(e) = rows.insert_encoded(&encoded) {
                failed = Some(ConvertError::from(e));
                break;
            }
        }
        drop(receive);
        let read = reader.join().unwrap_or_else(|_| Parallel::Failed(format!("{label}: the reader failed")));
        if let Some(e) = failed {
            return Err(e);
        }
        match read {
            Parallel::Done(_) => Ok(()),
            Parallel::Irregular => Err(ConvertError::Read(format!("{label}: the file changed while it was converted"))),
            Parallel::Failed(message) => Err(ConvertError::Read(message)),
        }
    })
}

/// Pass 2's encoding of a row.
struct EncodeMaker<'e> {
    encoder: RowEncoder<'e>,
    /// The cell each of the table's columns is read from (the column of the header whose
    /// property has the column's key), found at the first row: every row has the same header.
    cells: std::sync::OnceLock<Vec<Option<usize>>>,
}

impl Maker for EncodeMaker<'_> {
    type Made = EncodedRows;

    fn start(&self) -> EncodedRows {
        EncodedRows::default()
    }

    fn row(&self, made: &mut EncodedRows, header: &Header, cells: &[&str], core: &RowCore<'_>) {
        let (columns, req) = (&header.columns, &header.required);
        let sources = self.cells.get_or_init(|| {
            let key = |i: usize| columns.get(i).map_or("", crate::io::acled::Column::key);
            self.encoder.column_keys().map(|k| header.order.iter().copied().find(|&i| key(i) == k)).collect()
        });
        let value = |n: usize| sources.get(n).copied().flatten().map(|i| cell_scalar(cells, columns, req, core, i));
        self.encoder.encode_scalars(core.id, (core.lon, core.lat), value, made);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ACLED export of `rows` rows (about 80 bytes each: 40,000 make several pieces of
    /// the parallel reader), the `fatalities` of the last one `last`.
    fn export(dir: &Path, rows: usize, last: &str) -> std::path::PathBuf {
        use std::fmt::Write as _;
        let mut text = "event_id_cnty,event_date,year,event_type,fatalities,latitude,longitude,notes\n".to_owned();
        for i in 0..rows {
            let fatalities = if i + 1 == rows { last.to_owned() } else { (i % 7).to_string() };
            let lat = 36.0 + (i % 1000) as f64 / 1000.0;
            writeln!(text, "TJK{i},2021-01-{:02},2021,Battles,{fatalities},{lat},71.5,\"a, b\"", 1 + i % 28).unwrap();
        }
        let path = dir.join("export.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Every row of every table of the GeoPackage at `path`, and each table's SQL (the time
    /// of writing left out).
    fn dump(path: &Path) -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let tables: Vec<(String, String)> = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut out = Vec::new();
        for (table, sql) in tables {
            out.push(sql);
            let mut st = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid")).unwrap();
            let names: Vec<String> = st.column_names().iter().map(|s| (*s).to_owned()).collect();
            let mut rows = st.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let cells = (0..names.len()).filter(|&i| names[i] != "last_change");
                out.push(cells.map(|i| format!("{:?}", row.get_ref(i).unwrap())).collect::<Vec<_>>().join(" | "));
            }
        }
        out
    }

    /// `input` converted to `output` by the two passes, as before [`at_once`].
    fn two_passes(input: &Path, output: &Path) -> ConvertReport {
        let mut plan = Pass1::new(&input.display().to_string(), "export", Source::Acled, Format::GeoPackage);
        let Ok(Read::Root(root, rows)) = check(input, output, &mut plan) else { panic!("pass 1") };
        plan.finish(input, output, root, rows, BadRows::Fail).unwrap().write(input, output, Source::Acled).unwrap()
    }

    /// Converts `input` to `output` with [`at_once`], the table first planned from 100 rows.
    fn once(input: &Path, output: &Path, bad_rows: BadRows) -> (Result<ConvertReport, ConvertError>, Passes) {
        let mut plan = Pass1::new(&input.display().to_string(), "export", Source::Acled, Format::GeoPackage);
        match at_once_sampling(input, output, &mut plan, bad_rows, 100) {
            AtOnce::Done(result, passes) => (result, passes),
            AtOnce::Irregular | AtOnce::NotTaken => panic!("not converted at once"),
        }
    }

    #[test]
    fn an_export_whose_first_rows_plan_its_table_is_written_in_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let input = export(dir.path(), 40_000, "3");
        let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
        let (report, passes) = once(&input, &a, BadRows::Fail);
        let report = report.unwrap();
        assert_eq!(passes, Passes::One);
        assert_eq!(report.layers, vec![("export".to_owned(), 40_000)]);
        let before = two_passes(&input, &b);
        assert_eq!((&report.problems, &report.lossy), (&before.problems, &before.lossy));
        let dumped = dump(&a);
        assert_eq!(dumped, dump(&b));
        // The bounds are those of every row, not of the first ones.
        assert!(dumped.iter().any(|r| r.contains("Real(36.999)")), "{:?}", &dumped[..12]);
        // Nothing but the output is left in the folder.
        let mut names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["a.gpkg", "b.gpkg", "export.csv"]);
    }

    /// A column the first rows plan as integers meets a decimal in the last row: the table
    /// written while reading is not the one every row plans, and is written again.
    #[test]
    fn a_column_whose_type_changes_after_the_first_rows_is_written_from_the_whole_plan() {
        let dir = tempfile::tempdir().unwrap();
        let input = export(dir.path(), 40_000, "2.5");
        let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
        let (report, passes) = once(&input, &a, BadRows::Fail);
        report.unwrap();
        assert_eq!(passes, Passes::Two);
        let dumped = dump(&a);
        assert!(dumped.iter().any(|r| r.contains("\"fatalities\" REAL")), "{:?}", &dumped[..12]);
        two_passes(&input, &b);
        assert_eq!(dumped, dump(&b));
    }

    /// A conversion pass 1 refuses, read once, leaves the output as it was.
    #[test]
    fn a_refused_conversion_read_once_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let input = export(dir.path(), 40_000, "3");
        let text = std::fs::read_to_string(&input).unwrap().replace("TJK39000,2021-01-", "TJK39000,2021-13-");
        std::fs::write(&input, text).unwrap();
        let a = dir.path().join("a.gpkg");
        std::fs::write(&a, "the analyst's file").unwrap();
        let (report, passes) = once(&input, &a, BadRows::Fail);
        assert!(matches!(report, Err(ConvertError::Skipped { ref problems, .. }) if problems.len() == 1), "{report:?}");
        assert_eq!(passes, Passes::One);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "the analyst's file");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        // With bad rows allowed, the row is left out and the rest written in one read.
        let (report, passes) = once(&input, &a, BadRows::Skip);
        assert_eq!((report.unwrap().layers[0].1, passes), (39_999, Passes::One));
    }

    /// What pass 1 takes as read without making the feature is what making it finds: an
    /// event from ACLED's date columns on a day of the years 1 to 9999 has a span, whatever
    /// its `time_precision` says.
    #[test]
    fn an_acled_day_of_the_years_one_to_9999_always_has_a_span() {
        let head = "event_id_cnty,event_date,year,time_precision,event_type,latitude,longitude";
        let header = Header::read(&csv::StringRecord::from(head.split(',').collect::<Vec<_>>()), "t.csv").unwrap();
        let dates = ["0001-01-01", "0001-01-07", "1969-12-31", "2024-02-29", "2020-12-31", "9999-12-31", "9999-12-27"];
        let precisions = ["", "1", "2", "3", "x1", "2.5", "3.9", "-1", "1e3", "NaN", "inf", " 2 ", "0"];
        for date in dates {
            for precision in precisions {
                let row = ["TJK1", date, "2024", precision, "Battles", "37.5", "71.5"];
                let core = header.check(&row, 2, &mut Vec::new()).unwrap();
                assert!((1..=9999).contains(&chrono::Datelike::year(&core.day)), "{date}");
                let properties = ["event_date", "event_type", "time_precision"]
                    .iter()
                    .filter_map(|key| {
                        let i = header.columns.iter().position(|c| c.key() == *key)?;
                        Some(((*key).to_owned(), cell_value(&row, &header.columns, &header.required, &core, i)))
                    })
                    .collect();
                let f = Feature {
                    id: Some(FeatureId::Str("TJK1".into())),
                    geometry: None,
                    properties,
                    foreign_members: Map::new(),
                    shape: crate::spatial::Shape::from_geo(None),
                    time: None,
                };
                for zone in [None, Some(chrono_tz::Asia::Dushanbe), Some(chrono_tz::Pacific::Kiritimati)] {
                    let span = crate::model::feature_span(LayerKind::Events, None, &f, zone);
                    assert!(span.is_ok(), "{date} {precision:?} {zone:?}: {span:?}");
                }
            }
        }
    }
}
