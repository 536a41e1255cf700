//! An ACLED export to a GeoPackage straight from its cells: both passes read the file on
//! every core ([`crate::io::acled_par::stream_made`]) and take each good row's values as the
//! importer makes them ([`crate::io::acled::cell_scalar`]) without writing the row as GeoJSON
//! text and parsing that back. Pass 1 plans the table from the values' kinds and reads each
//! row's date as the loader does; pass 2 encodes the rows on the task that read them
//! ([`RowEncoder::encode_scalars`]) and this thread inserts them; read once
//! ([`super::once`]), a piece's rows are planned and encoded together ([`BothMaker`]). The
//! table, the reports and the refusals are the ones the feature texts give
//! (`tests/convert_cells.rs` compares them).

use std::path::Path;

use serde_json::Map;

use super::{ConvertError, Format, Pass1, Read, Source, acled_root};
use crate::io::acled::{Header, RowCore, cell_scalar, cell_value};
use crate::io::acled_par::{BLOCK, Maker, Read as Parallel, stream_made};
use crate::io::gpkg::raw::Kind;
use crate::io::gpkg::stream::{EncodedRows, Planner, RowEncoder, Rows};
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
    pass1_read(&label, read)
}

/// What pass 1 found, from how the parallel read of the export labelled `label` ended.
fn pass1_read(label: &impl std::fmt::Display, read: Parallel) -> Result<Read, ConvertError> {
    match read {
        Parallel::Done(summary) => Ok(acled_root(label, &summary)),
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

/// Plans the table from the first `sample` rows of `input` (and the rest of the piece of
/// the file they end in; or every row), as pass 1 plans it from every row: `None` if the
/// parallel reader does not take them.
pub(super) fn first_rows(input: &Path, output: &Path, plan: &Pass1, sample: usize) -> Option<Planner> {
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
/// every row so far plans the table `early` planned ([`Planner::agrees_with`]), encoded and
/// inserted into `rows`. Gives what pass 1 gives ([`check`]) and whether every row was
/// inserted.
pub(super) fn read_and_write(
    input: &Path,
    output: &Path,
    plan: &mut Pass1,
    early: &Planner,
    rows: &mut Rows<'_>,
) -> (Result<Read, ConvertError>, bool) {
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
                    let agrees = plan.planner.as_ref().is_some_and(|p| p.agrees_with(early));
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
        (pass1_read(&label, read), writing.load(Relaxed))
    })
}

/// Pass 1's and pass 2's readings of a row at once ([`super::once`]); the row is encoded only
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
