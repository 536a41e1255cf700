//! `convert` to a GeoPackage in one read of the input, where pass 1 and pass 2 (see the
//! module docs of [`super`]) read it twice: the table is planned from the input's first
//! features ([`SAMPLE`], a hundredth of a 1M-feature file), then the file is read once, each
//! feature planned as pass 1 plans it and, while the plan still gives the table the first
//! features gave, encoded and inserted as pass 2 does. The file is kept only when pass 1's
//! checks allow the conversion (the same refusals, from the same plan) and every feature
//! planned the table the first ones did ([`write_planned_early`]); otherwise it is deleted and
//! pass 2 writes the file from the whole plan, as before. Either way the file is the one the
//! two passes write (`tests/convert_cells.rs`, `tests/convert_stream.rs`).
//!
//! The one read spares pass 2's read, cut and parse of every feature (a GeoJSON feature is
//! encoded from the outline the validator made of it), and the rows are inserted while
//! the file is read.

use std::path::Path;

use super::{BadRows, Batch, ConvertError, Encoding, Format, Pass, Pass1, Read, Ready, Source, cells, read_batches};
use crate::io::gpkg::stream::{Early, Planner, Rows, write_planned_early};

/// Features the table is first planned from (at least; the rest of the batch or piece of
/// the file they end in too).
const SAMPLE: usize = 10_000;

/// How [`at_once`] ended.
pub(super) enum AtOnce {
    /// Converted, or refused: in one read, or in two passes when the table the features
    /// plan is not the one their first features planned.
    Done(
        Result<super::ConvertReport, ConvertError>,
        #[cfg_attr(not(test), expect(dead_code, reason = "the tests tell the two ways apart"))] Passes,
    ),
    /// The parallel ACLED reader does not take the file: `plan` took some of its rows.
    Irregular,
    /// The GeoJSON is not a `FeatureCollection` this streams: `plan` took some of it.
    Whole,
    /// Not tried (the first features could not be read, the input is not one this reads at
    /// once, or the output could not be created): `plan` is as it was.
    NotTaken,
}

/// How many times [`at_once`] read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Passes {
    One,
    Two,
}

/// Converts `input` (read as `source`) to the GeoPackage `output` in one read (see the
/// module docs), `plan` pass 1's plan.
pub(super) fn at_once(input: &Path, output: &Path, source: Source, plan: &mut Pass1, bad_rows: BadRows) -> AtOnce {
    at_once_sampling(input, output, source, plan, bad_rows, SAMPLE)
}

/// [`at_once`] with the table first planned from `sample` features (at least).
fn at_once_sampling(
    input: &Path,
    output: &Path,
    source: Source,
    plan: &mut Pass1,
    bad_rows: BadRows,
    sample: usize,
) -> AtOnce {
    let early = match source {
        Source::Acled => cells::first_rows(input, output, plan, sample),
        Source::GeoJson => first_features(input, output, plan, sample),
        Source::AcledSerial => None,
    };
    let Some(early) = early else { return AtOnce::NotTaken };
    let mut finished: Option<Result<Ready, ConvertError>> = None;
    let mut other = None;
    let written = write_planned_early(output, early.clone(), |rows| {
        let (read, writing) = match source {
            Source::Acled => cells::read_and_write(input, output, plan, &early, rows),
            Source::GeoJson | Source::AcledSerial => read_and_write(input, output, plan, &early, rows),
        };
        match read {
            Ok(Read::Root(root, problems)) => {
                let whole = std::mem::replace(plan, Pass1::new(&plan.label, &plan.name, source, Format::GeoPackage));
                let ready = whole.finish(input, output, root, problems, bad_rows);
                let every = match &ready {
                    Ok(ready) if writing => {
                        let members = !ready.stand_in.foreign_members.is_empty();
                        ready.planner.clone().map(|p| (p, members))
                    }
                    _ => None,
                };
                finished = Some(ready);
                Ok::<_, ConvertError>(every)
            }
            Ok(read) => {
                other = Some(read);
                Ok(None)
            }
            Err(e) => {
                finished = Some(Err(e));
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
        // The table differs from the first features' (or writing it failed: pass 2 tells why).
        (_, Some(Ok(ready))) => AtOnce::Done(ready.write(input, output, source), Passes::Two),
        (_, Some(Err(e))) => AtOnce::Done(Err(e), Passes::One),
        (_, None) => match other {
            Some(Read::Irregular) => AtOnce::Irregular,
            Some(Read::Whole) => AtOnce::Whole,
            Some(Read::Root(..)) | None => AtOnce::NotTaken,
        },
    }
}

/// Plans the table from the first `sample` features of the GeoJSON `input` (and the rest of
/// their batch; or every feature), as pass 1 plans it from every feature: `None` if they do
/// not read (pass 1 then tells why).
fn first_features(input: &Path, output: &Path, plan: &Pass1, sample: usize) -> Option<Planner> {
    /// Why the read stops once the first features are planned.
    const SAMPLED: &str = "sampled";
    let mut first = Pass1::new(&plan.label, &plan.name, Source::GeoJson, Format::GeoPackage);
    let read = read_batches(input, Source::GeoJson, Pass::Check, |batch| {
        first.batch(output, &batch)?;
        let seen = first.kept + first.skipped_at.len();
        if seen >= sample { Err(ConvertError::Read(SAMPLED.to_owned())) } else { Ok(()) }
    });
    match read {
        Ok(Read::Root(..)) => first.planner,
        Err(ConvertError::Read(why)) if why == SAMPLED => first.planner,
        Ok(Read::Whole | Read::Irregular) | Err(_) => None,
    }
}

/// Reads the GeoJSON `input` once, validating it as pass 1 does: each batch of features is
/// planned into `plan` and, while every feature so far plans the table `early` planned
/// ([`Planner::agrees_with`]), encoded on the other cores and inserted into `rows`. Gives
/// what pass 1 gives and whether every feature was inserted.
fn read_and_write(
    input: &Path,
    output: &Path,
    plan: &mut Pass1,
    early: &Planner,
    rows: &mut Rows<'_>,
) -> (Result<Read, ConvertError>, bool) {
    let mut encoding = Encoding::new(input, rows.encoder()).ok();
    let read = read_batches(input, Source::GeoJson, Pass::Check, |batch: Batch| {
        plan.batch(output, &batch)?;
        if let Some(e) = encoding.as_mut() {
            let agrees = plan.planner.as_ref().is_some_and(|p| p.agrees_with(early));
            if !agrees || e.batch(rows, &batch, &plan.skipped_at).is_err() {
                encoding = None;
            }
        }
        Ok(())
    });
    let writing = encoding.is_some_and(|mut e| e.finish(rows).is_ok());
    (read, writing)
}

#[cfg(test)]
mod tests {
    use super::super::check;
    use super::*;
    use crate::io::convert::ConvertReport;

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

    /// `input` (read as `source`) converted to `output` by the two passes.
    fn two_passes(input: &Path, output: &Path, source: Source) -> ConvertReport {
        let mut plan = Pass1::new(&input.display().to_string(), "export", source, Format::GeoPackage);
        let Ok(Read::Root(root, rows)) = check(input, output, source, &mut plan) else { panic!("pass 1") };
        plan.finish(input, output, root, rows, BadRows::Fail).unwrap().write(input, output, source).unwrap()
    }

    /// Converts `input` (read as `source`) to `output` with [`at_once`], the table first
    /// planned from 100 features.
    fn once_as(
        input: &Path,
        output: &Path,
        source: Source,
        bad_rows: BadRows,
    ) -> (Result<ConvertReport, ConvertError>, Passes) {
        let mut plan = Pass1::new(&input.display().to_string(), "export", source, Format::GeoPackage);
        match at_once_sampling(input, output, source, &mut plan, bad_rows, 100) {
            AtOnce::Done(result, passes) => (result, passes),
            AtOnce::Irregular | AtOnce::Whole | AtOnce::NotTaken => panic!("not converted at once"),
        }
    }

    /// A change after the first batch but among the features the table is first planned
    /// from is in that plan: the file is still read once.
    #[test]
    fn a_change_among_the_first_features_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let point = |i: usize| format!("{{\"type\":\"Point\",\"coordinates\":[71.5,{}]}}", 36.0 + i as f64 / 10_000.0);
        let input = features(dir.path(), 5_000, |i| {
            let n = if i == 999 { "2.5".to_owned() } else { (i % 7).to_string() };
            let late = if i == 1_500 { ",\"late\":null" } else { "" };
            format!(
                "{{\"type\":\"Feature\",\"id\":\"E{i}\",\"geometry\":{},\"properties\":{{\"n\":{n}{late}}}}}",
                point(i)
            )
        });
        let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
        let mut plan = Pass1::new(&input.display().to_string(), "export", Source::GeoJson, Format::GeoPackage);
        let AtOnce::Done(report, passes) =
            at_once_sampling(&input, &a, Source::GeoJson, &mut plan, BadRows::Fail, 2_000)
        else {
            panic!("not converted at once")
        };
        report.unwrap();
        assert_eq!(passes, Passes::One);
        two_passes(&input, &b, Source::GeoJson);
        let dumped = dump(&a);
        assert!(dumped.iter().any(|r| r.contains("\"n\" REAL")), "{:?}", &dumped[..12]);
        assert_eq!(dumped, dump(&b));
    }

    fn once(input: &Path, output: &Path, bad_rows: BadRows) -> (Result<ConvertReport, ConvertError>, Passes) {
        once_as(input, output, Source::Acled, bad_rows)
    }

    /// A `FeatureCollection` of `n` events (a collection member of its own), the
    /// `fatalities` of the last one `last`.
    fn collection(dir: &Path, n: usize, last: &str) -> std::path::PathBuf {
        use std::fmt::Write as _;
        let mut text = "{\"type\":\"FeatureCollection\",\"name\":\"events\",\"features\":[\n".to_owned();
        for i in 0..n {
            let fatalities = if i + 1 == n { last.to_owned() } else { (i % 7).to_string() };
            let lat = 36.0 + (i % 1000) as f64 / 1000.0;
            let sep = if i + 1 == n { "" } else { "," };
            writeln!(
                text,
                "{{\"type\":\"Feature\",\"id\":\"E{i}\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[71.5,{lat}]}},\
                 \"properties\":{{\"event_date\":\"2021-01-{:02}\",\"event_type\":\"Battles\",\"fatalities\":{fatalities}}}}}{sep}",
                1 + i % 28
            )
            .unwrap();
        }
        text.push_str("]}\n");
        let path = dir.join("events.geojson");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_collection_whose_first_features_plan_its_table_is_written_in_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let input = collection(dir.path(), 5_000, "3");
        let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
        let (report, passes) = once_as(&input, &a, Source::GeoJson, BadRows::Fail);
        let report = report.unwrap();
        assert_eq!(passes, Passes::One);
        assert_eq!(report.layers, vec![("export".to_owned(), 5_000)]);
        let before = two_passes(&input, &b, Source::GeoJson);
        // The collection's member is named as dropped, as before.
        assert_eq!((&report.problems, &report.lossy), (&before.problems, &before.lossy));
        assert!(report.lossy.iter().any(|n| n.contains("FeatureCollection foreign members dropped")), "{report:?}");
        let dumped = dump(&a);
        assert_eq!(dumped, dump(&b));
        assert!(dumped.iter().any(|r| r.contains("Real(36.999)")), "{:?}", &dumped[..12]);
    }

    #[test]
    fn a_property_whose_type_changes_after_the_first_features_is_written_from_the_whole_plan() {
        let dir = tempfile::tempdir().unwrap();
        let input = collection(dir.path(), 5_000, "\"many\"");
        let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
        let (report, passes) = once_as(&input, &a, Source::GeoJson, BadRows::Fail);
        report.unwrap();
        assert_eq!(passes, Passes::Two);
        let dumped = dump(&a);
        assert!(dumped.iter().any(|r| r.contains("\"fatalities\" TEXT")), "{:?}", &dumped[..12]);
        two_passes(&input, &b, Source::GeoJson);
        assert_eq!(dumped, dump(&b));
    }

    /// A collection whose later features the validator refuses, read once, leaves the
    /// output as it was, and names the problems where they are.
    /// A `FeatureCollection` of the `n` features `feature(i)` gives.
    fn features(dir: &Path, n: usize, feature: impl Fn(usize) -> String) -> std::path::PathBuf {
        let features: Vec<String> = (0..n).map(feature).collect();
        let path = dir.join("features.geojson");
        std::fs::write(
            &path,
            format!("{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n", features.join(",\n")),
        )
        .unwrap();
        path
    }

    /// What the first features plan but their bounds can change after them, each alone:
    /// the ids (unique integers, then a duplicate, a string, a missing one), the geometry
    /// type, a third coordinate, a new property. Each is written from the whole plan, as the
    /// two passes write it.
    #[test]
    fn ids_geometries_and_keys_that_change_after_the_first_features_are_written_from_the_whole_plan() {
        let point = |i: usize| format!("{{\"type\":\"Point\",\"coordinates\":[71.5,{}]}}", 36.0 + i as f64 / 10_000.0);
        let changes: [(&str, &dyn Fn(usize) -> String); 5] = [
            ("a duplicate id", &|i| format!("\"id\":{}", i.min(2_998))),
            ("a string id", &|i| if i < 2_999 { format!("\"id\":{i}") } else { "\"id\":\"x\"".to_owned() }),
            ("a missing id", &|i| if i < 2_999 { format!("\"id\":{i}") } else { "\"no_id\":1".to_owned() }),
            ("a line", &|i| {
                let g = if i < 2_999 {
                    point(i)
                } else {
                    "{\"type\":\"LineString\",\"coordinates\":[[71,36],[72,37]]}".to_owned()
                };
                format!("\"id\":{i},\"geometry\":{g}")
            }),
            ("a third coordinate", &|i| {
                let g =
                    if i < 2_999 { point(i) } else { "{\"type\":\"Point\",\"coordinates\":[71,36,1200]}".to_owned() };
                format!("\"id\":{i},\"geometry\":{g}")
            }),
        ];
        for (what, member) in changes {
            let dir = tempfile::tempdir().unwrap();
            let input = features(dir.path(), 3_000, |i| {
                let member = member(i);
                let geometry =
                    if member.contains("geometry") { String::new() } else { format!(",\"geometry\":{}", point(i)) };
                format!("{{\"type\":\"Feature\",{member}{geometry},\"properties\":{{\"n\":{i}}}}}")
            });
            let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
            let (report, passes) = once_as(&input, &a, Source::GeoJson, BadRows::Fail);
            report.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(passes, Passes::Two, "{what}");
            let before = two_passes(&input, &b, Source::GeoJson);
            assert_eq!(dump(&a), dump(&b), "{what}");
            assert!(before.layers[0].1 == 3_000, "{what}");
        }
        // A property seen first after the first features.
        let dir = tempfile::tempdir().unwrap();
        let input = features(dir.path(), 3_000, |i| {
            let late = if i == 2_999 { ",\"late\":\"yes\"" } else { "" };
            format!("{{\"type\":\"Feature\",\"id\":{i},\"geometry\":{},\"properties\":{{\"n\":{i}{late}}}}}", point(i))
        });
        let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
        let (report, passes) = once_as(&input, &a, Source::GeoJson, BadRows::Fail);
        report.unwrap();
        assert_eq!(passes, Passes::Two);
        two_passes(&input, &b, Source::GeoJson);
        assert_eq!(dump(&a), dump(&b));
        // Unchanged, the same features are written in one read.
        let input = features(dir.path(), 3_000, |i| {
            format!("{{\"type\":\"Feature\",\"id\":{i},\"geometry\":{},\"properties\":{{\"n\":{i}}}}}", point(i))
        });
        let (report, passes) = once_as(&input, &a, Source::GeoJson, BadRows::Fail);
        report.unwrap();
        assert_eq!(passes, Passes::One);
        two_passes(&input, &b, Source::GeoJson);
        assert_eq!(dump(&a), dump(&b));
    }

    #[test]
    fn an_invalid_collection_read_once_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let input = collection(dir.path(), 5_000, "3");
        let text = std::fs::read_to_string(&input).unwrap().replace("[71.5,36.999]", "[71.5,96.999]");
        std::fs::write(&input, text).unwrap();
        let a = dir.path().join("a.gpkg");
        std::fs::write(&a, "the analyst's file").unwrap();
        let (report, passes) = once_as(&input, &a, Source::GeoJson, BadRows::Fail);
        let Err(ConvertError::Invalid { problems }) = report else { panic!("{report:?}") };
        assert_eq!(passes, Passes::One);
        // The features 1,000 on, every thousandth: long after the first ones.
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].contains("events.geojson:1001:78: latitude 96.999 outside"), "{problems:?}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "the analyst's file");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
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
        let before = two_passes(&input, &b, Source::Acled);
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
        two_passes(&input, &b, Source::Acled);
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
}
