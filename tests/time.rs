//! Time logic: date grammar, precision, overlap semantics, the index, histogram and playback.

use chrono::NaiveDate;
use frontier_atlas::time::{
    Bin, DateError, DateSpan, OPEN_END, PlayMode, Playback, Precision, Range, Step, TimeIndex, aid_span, histogram,
};

#[path = "common/acled_gen.rs"]
mod acled_gen;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_else(|| panic!("bad test date {y}-{m}-{day}"))
}

fn p(s: &str) -> DateSpan {
    DateSpan::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn r(a: NaiveDate, b: NaiveDate) -> Range {
    Range { from: a, to: b }
}

// ---------------------------------------------------------------- parsing

#[test]
fn parse_day_month_year() {
    assert_eq!(p("2022-05-18"), DateSpan { start: d(2022, 5, 18), end: d(2022, 5, 18), precision: Precision::Day });
    assert_eq!(p("2022-05"), DateSpan { start: d(2022, 5, 1), end: d(2022, 5, 31), precision: Precision::Month });
    assert_eq!(p("2022"), DateSpan { start: d(2022, 1, 1), end: d(2022, 12, 31), precision: Precision::Year });
}

#[test]
fn parse_acled_export_forms() {
    let day = DateSpan::day(d(2022, 5, 18));
    for s in [
        "18 May 2022",
        "18-May-2022",
        "18 may 2022",
        "18-MAY-2022",
        "18 May  2022",
        "2022-05-18T00:00:00",
        "2022-05-18T13:45:00Z",
        "2022-05-18 00:00:00",
        "2022-05-18T00:00:00+04:30",
        "  2022-05-18\t",
        "5/18/2022",
        "18/5/2022",
        "05/18/2022",
    ] {
        assert_eq!(p(s), day, "{s}");
    }
    assert_eq!(p("3 September 2021"), DateSpan::day(d(2021, 9, 3)));
    assert_eq!(p("3 Sept 2021"), DateSpan::day(d(2021, 9, 3)));
    assert_eq!(p("May 2022"), p("2022-05"));
    assert_eq!(p("7/7/2022"), DateSpan::day(d(2022, 7, 7)));
}

#[test]
fn slash_dates_only_when_unambiguous() {
    let e = DateSpan::parse("5/6/2022").unwrap_err();
    assert_eq!(e, DateError::Ambiguous { text: "5/6/2022".into(), first: d(2022, 5, 6), second: d(2022, 6, 5) });
    assert!(e.to_string().contains("`5/6/2022` is ambiguous"));
    assert!(matches!(
        DateSpan::parse("31/31/2022"),
        Err(DateError::Unrecognised { .. } | DateError::NotACalendarDate { .. })
    ));
    assert!(matches!(DateSpan::parse("2/30/2022"), Err(DateError::NotACalendarDate { .. })));
    assert!(DateSpan::parse("5/18/22").is_err());
}

#[test]
fn parse_intervals() {
    let s = p("2022-05-01/2022-05-10");
    assert_eq!((s.start, s.end, s.precision), (d(2022, 5, 1), d(2022, 5, 10), Precision::Days));
    let s = p("2021-06/2021-08");
    assert_eq!((s.start, s.end, s.precision), (d(2021, 6, 1), d(2021, 8, 31), Precision::Months));
    let s = p("2022-05-01/2022-05-31");
    assert_eq!(s.precision, Precision::Month);
    assert_eq!(s, p("2022-05"));
    let s = p("2022-05-01 / 2022-06-20");
    assert_eq!((s.end, s.precision), (d(2022, 6, 20), Precision::Months));
    assert_eq!(p("2020/2021").precision, Precision::Months);
    assert_eq!(p("2022-01-01/2022-12-31").precision, Precision::Year);
    // A 15-day interval is still Days, 16 days is Months.
    assert_eq!(p("2022-05-01/2022-05-15").precision, Precision::Days);
    assert_eq!(p("2022-05-01/2022-05-16").precision, Precision::Months);
    assert!(matches!(DateSpan::parse("2022-05-10/2022-05-01"), Err(DateError::Reversed { .. })));
    assert!(DateSpan::parse("2022-05-10/").is_err());
    assert!(DateSpan::parse("/2022-05-10").is_err());
    assert!(DateSpan::parse("2022/05/10/11").is_err());
}

#[test]
fn parse_open_interval() {
    let s = p("2021-03-01/..");
    assert_eq!(s, DateSpan::open_from(d(2021, 3, 1)));
    assert!(s.is_open_ended());
    assert_eq!(s.end, OPEN_END);
    assert!(DateSpan::parse("../2021-03-01").is_err());
}

#[test]
fn bad_dates() {
    let cases: [(&str, &str); 11] = [
        ("2022-02-30", "`2022-02-30` is not a calendar date"),
        ("2021-02-29", "`2021-02-29` is not a calendar date"),
        ("2022-13-01", "`2022-13-01`: month 13 is not between 01 and 12"),
        ("2022-13", "`2022-13`: month 13 is not between 01 and 12"),
        ("2022-00", "month 0"),
        ("", "the date is empty"),
        ("   ", "the date is empty"),
        ("2022-5-1", "`2022-5-1`: month and day need two digits (write `2022-05-01`)"),
        ("18 Mai 2022", "`Mai` is not a month name"),
        ("yesterday", "`yesterday` is not a date"),
        ("2022-05-18Tnoon", "is not a date"),
    ];
    for (text, msg) in cases {
        let e = DateSpan::parse(text).expect_err(text);
        assert!(e.to_string().contains(msg), "{text}: {e}");
    }
    assert!(DateSpan::parse("31 Apr 2022").is_err());
    assert!(DateSpan::parse("2022-05-18-01").is_err());
    assert!(DateSpan::parse("22-05-18").is_err());
}

#[test]
fn leap_years() {
    assert_eq!(p("2024-02-29"), DateSpan::day(d(2024, 2, 29)));
    assert_eq!(p("2000-02-29").start, d(2000, 2, 29));
    assert!(DateSpan::parse("1900-02-29").is_err());
    assert_eq!(p("2024-02").end, d(2024, 2, 29));
    assert_eq!(p("2023-02").end, d(2023, 2, 28));
    assert_eq!(p("2024").len_days(), 366);
    assert_eq!(p("29 Feb 2024"), DateSpan::day(d(2024, 2, 29)));
}

#[test]
fn display_round_trips() {
    for s in [
        "2022-05-18",
        "2022-05",
        "2022",
        "2022-05-01/2022-05-10",
        "2021-06/2021-08",
        "2021-11/2022-02",
        "2020-01/2021-12",
        "2021-12-28/2022-01-03",
        "2021-03-01/..",
        "0999-01-05",
    ] {
        let span = p(s);
        assert_eq!(span.to_string(), s);
        assert_eq!(p(&span.to_string()), span);
    }
    // Non-canonical input round-trips by value.
    for s in ["18 May 2022", "2022-05-01/2022-05-31", "2022-01/2022-12", "5/18/2022", "2022-05/2022-06-10"] {
        let span = p(s);
        assert_eq!(p(&span.to_string()), span, "{s} -> {span}");
    }
    assert_eq!(p("2022-01/2022-12").to_string(), "2022");
    assert_eq!(p("2022-05-01/2022-05-31").to_string(), "2022-05");
    assert_eq!("2022-05".parse::<DateSpan>().unwrap(), p("2022-05"));
}

#[test]
fn describe_texts() {
    assert_eq!(p("2022-05-18").describe(), "18 May 2022");
    assert_eq!(p("2022-09-03").describe(), "3 September 2022");
    assert_eq!(p("2022-05").describe(), "May 2022");
    assert_eq!(p("2022-05-01/2022-05-10").describe(), "1–10 May 2022");
    assert_eq!(p("2022").describe(), "2022");
    assert_eq!(p("2021-06/2021-08").describe(), "Jun–Aug 2021");
    assert_eq!(p("2021-11/2022-02").describe(), "Nov 2021 – Feb 2022");
    assert_eq!(p("2022-04-28/2022-05-03").describe(), "28 Apr – 3 May 2022");
    assert_eq!(p("2021-12-28/2022-01-03").describe(), "28 Dec 2021 – 3 Jan 2022");
    assert_eq!(p("2020/2022").describe(), "2020–2022");
    assert_eq!(p("2021-03-01/..").describe(), "from 1 Mar 2021");
}

// ---------------------------------------------------------------- ACLED precision, aid

#[test]
fn from_acled_precisions() {
    assert_eq!(DateSpan::from_acled("2022-05-18", Some(1)).unwrap(), DateSpan::day(d(2022, 5, 18)));
    assert_eq!(DateSpan::from_acled("2022-05-18", None).unwrap(), DateSpan::day(d(2022, 5, 18)));
    // 2022-05-18 is a Wednesday: week Mon 16 – Sun 22.
    let w = DateSpan::from_acled("2022-05-18", Some(2)).unwrap();
    assert_eq!((w.start, w.end, w.precision), (d(2022, 5, 16), d(2022, 5, 22), Precision::Days));
    // A week crossing a year boundary is not clipped.
    let w = DateSpan::from_acled("2022-01-01", Some(2)).unwrap();
    assert_eq!((w.start, w.end), (d(2021, 12, 27), d(2022, 1, 2)));
    let m = DateSpan::from_acled("18 May 2022", Some(3)).unwrap();
    assert_eq!(m, p("2022-05"));
    assert_eq!(DateSpan::from_acled("2024-02-10", Some(3)).unwrap().end, d(2024, 2, 29));
    assert!(matches!(DateSpan::from_acled("2022-05-18", Some(4)), Err(DateError::AcledPrecision { precision: 4 })));
    assert!(DateSpan::from_acled("2022-02-30", Some(1)).is_err());
}

#[test]
fn aid_spans() {
    let s = aid_span(Some(p("2021-03")), Some(p("2021-06-15")), Some(p("2023-12"))).unwrap();
    assert_eq!((s.start, s.end), (d(2021, 3, 1), d(2023, 12, 31)));
    let s = aid_span(Some(p("2021-07-01")), Some(p("2021-06-15")), None).unwrap();
    assert_eq!(s.start, d(2021, 6, 15));
    assert!(s.is_open_ended());
    assert!(s.overlaps(&r(d(2030, 1, 1), d(2030, 1, 1))));
    assert!(!s.overlaps(&r(d(2021, 6, 1), d(2021, 6, 14))));
    assert!(s.overlaps(&r(d(2021, 6, 14), d(2021, 6, 15))));
    assert_eq!(aid_span(None, Some(p("2022")), None).unwrap().start, d(2022, 1, 1));
    assert_eq!(aid_span(None, None, Some(p("2022"))), None);
    assert_eq!(aid_span(Some(p("2022-05")), None, Some(p("2021"))), None);
}

// ---------------------------------------------------------------- overlap, ranges

#[test]
fn inclusive_ends() {
    let range = r(d(2022, 5, 1), d(2022, 5, 31));
    assert!(DateSpan::day(d(2022, 5, 31)).overlaps(&range));
    assert!(DateSpan::day(d(2022, 5, 1)).overlaps(&range));
    assert!(!DateSpan::day(d(2022, 6, 1)).overlaps(&range));
    assert!(!DateSpan::day(d(2022, 4, 30)).overlaps(&range));
    let one_day = Range::day(d(2022, 5, 18));
    assert!(DateSpan::day(d(2022, 5, 18)).overlaps(&one_day));
}

#[test]
fn month_precision_overlap() {
    let may = p("2022-05");
    assert!(may.overlaps(&Range::day(d(2022, 5, 31))));
    assert!(may.overlaps(&r(d(2022, 4, 1), d(2022, 5, 1))));
    assert!(may.overlaps(&r(d(2022, 5, 31), d(2022, 7, 1))));
    assert!(!may.overlaps(&r(d(2022, 6, 1), d(2022, 7, 1))));
    assert!(!may.overlaps(&r(d(2022, 3, 1), d(2022, 4, 30))));
}

#[test]
fn range_presets() {
    let extent = r(d(2016, 1, 1), d(2024, 12, 31));
    assert_eq!(Range::all(&extent), extent);
    assert_eq!(Range::year(2021).unwrap(), r(d(2021, 1, 1), d(2021, 12, 31)));
    let last = Range::last_days(&extent, 30);
    assert_eq!(last, r(d(2024, 12, 2), d(2024, 12, 31)));
    assert_eq!(last.len_days(), 30);
    let short = r(d(2024, 12, 20), d(2024, 12, 31));
    assert_eq!(Range::last_days(&short, 30), short);
    assert_eq!(Range::last_days(&extent, 0), Range::day(d(2024, 12, 31)));
    assert_eq!(Range::new(d(2022, 2, 1), d(2022, 1, 1)), r(d(2022, 1, 1), d(2022, 2, 1)));
    assert_eq!(Range::year(2024).unwrap().len_days(), 366);
    assert_eq!(extent.years(), 2016..=2024);
    assert_eq!(
        r(d(2022, 1, 1), d(2022, 3, 1)).intersect(&r(d(2022, 2, 1), d(2022, 5, 1))),
        Some(r(d(2022, 2, 1), d(2022, 3, 1)))
    );
    assert_eq!(r(d(2022, 1, 1), d(2022, 1, 2)).intersect(&r(d(2022, 2, 1), d(2022, 5, 1))), None);
}

// ---------------------------------------------------------------- index

fn sample_spans() -> Vec<(usize, DateSpan)> {
    vec![
        (0, p("2022-05-18")),
        (1, p("2022-05")),
        (2, p("2022-05-16/2022-05-22")),
        (3, p("2021")),
        (4, DateSpan::open_from(d(2020, 3, 1))),
        (5, p("2022-06-01")),
        (6, p("2022-04-30")),
        (7, p("2019-06/2019-08")),
        (8, p("2022-05-31")),
    ]
}

fn brute(spans: &[(usize, DateSpan)], range: Range) -> Vec<usize> {
    let mut v: Vec<usize> = spans.iter().filter(|(_, s)| s.overlaps(&range)).map(|(i, _)| *i).collect();
    v.sort_unstable();
    v
}

fn visible_sorted(index: &TimeIndex, range: Range) -> Vec<usize> {
    let mut v: Vec<usize> = index.visible(&range).collect();
    v.sort_unstable();
    v
}

#[test]
fn index_matches_brute_force_on_sample() {
    let spans = sample_spans();
    let index = TimeIndex::new(&spans);
    assert_eq!(index.len(), 9);
    let ranges = [
        Range::day(d(2022, 5, 31)),
        Range::day(d(2022, 6, 1)),
        Range::day(d(2022, 6, 2)),
        r(d(2022, 5, 19), d(2022, 5, 25)),
        r(d(2021, 12, 31), d(2022, 1, 1)),
        r(d(2019, 1, 1), d(2019, 12, 31)),
        r(d(2010, 1, 1), d(2010, 12, 31)),
        r(d(2030, 1, 1), d(2031, 1, 1)),
        r(d(2000, 1, 1), d(2040, 1, 1)),
    ];
    for range in ranges {
        let expected = brute(&spans, range);
        assert_eq!(visible_sorted(&index, range), expected, "{range:?}");
        assert_eq!(index.count(&range), expected.len(), "{range:?}");
    }
    assert_eq!(visible_sorted(&index, Range::day(d(2022, 5, 31))), [1, 4, 8]);
    assert_eq!(visible_sorted(&index, Range::day(d(2022, 6, 1))), [4, 5]);
    // Reversed range: nothing.
    assert_eq!(index.count(&r(d(2022, 6, 1), d(2022, 5, 1))), 0);
    assert_eq!(index.visible(&r(d(2022, 6, 1), d(2022, 5, 1))).count(), 0);
    assert_eq!(index.extent(), Some(r(d(2019, 6, 1), d(2022, 6, 1))));
}

#[test]
fn index_matches_brute_force_on_generated() {
    let spans: Vec<(usize, DateSpan)> = acled_gen::generate_features(20_000, 3)
        .into_iter()
        .enumerate()
        .map(|(i, (_, _, s))| (i, s))
        .chain([(20_000, p("2018-03/2019-02")), (20_001, DateSpan::open_from(d(2023, 1, 1)))])
        .collect();
    let index = TimeIndex::new(&spans);
    let mut mask = Vec::new();
    for (a, b) in [
        (d(2016, 1, 1), d(2016, 1, 1)),
        (d(2018, 6, 3), d(2018, 6, 3)),
        (d(2020, 2, 10), d(2020, 3, 9)),
        (d(2023, 12, 31), d(2024, 1, 1)),
        (d(2015, 1, 1), d(2025, 1, 1)),
        (d(2025, 1, 5), d(2025, 2, 1)),
    ] {
        let range = r(a, b);
        let expected = brute(&spans, range);
        assert_eq!(index.count(&range), expected.len());
        assert_eq!(visible_sorted(&index, range), expected);
        index.fill_mask(&range, &mut mask);
        let from_mask: Vec<usize> = mask.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i).collect();
        assert_eq!(from_mask, expected);
    }
}

#[test]
fn visible_core_is_contiguous_slice() {
    let spans: Vec<(usize, DateSpan)> = (0..10).map(|i| (i, DateSpan::day(d(2022, 1, 1 + i as u32)))).collect();
    let index = TimeIndex::new(&spans);
    let parts = index.visible_parts(&r(d(2022, 1, 3), d(2022, 1, 5)));
    assert_eq!(parts.core, [2, 3, 4]);
    assert!(parts.edge.is_empty());
}

#[test]
fn empty_index() {
    let index = TimeIndex::new(&[]);
    assert!(index.is_empty());
    assert_eq!(index.count(&Range::day(d(2022, 1, 1))), 0);
    assert_eq!(index.extent(), None);
    let h = histogram(&[&index], &r(d(2022, 1, 1), d(2022, 1, 31)), Bin::Week);
    assert_eq!(h.stacked_max(), 0);
}

// ---------------------------------------------------------------- histogram

#[test]
fn histogram_weeks_clipped_and_counted_by_start() {
    let a = TimeIndex::new(&[
        (0, p("2022-05-02")), // Monday, week 1
        (1, p("2022-05-08")), // Sunday, week 1
        (2, p("2022-05-09")), // week 2
        (3, p("2022-05")),    // starts 1 May (Sunday) → first (partial) bin
        (4, p("2022-04-30")), // before extent: not counted
        (5, DateSpan::open_from(d(2022, 5, 20))),
    ]);
    let b = TimeIndex::new(&[(0, p("2022-05-09")), (1, p("2022-05-31"))]);
    let extent = r(d(2022, 5, 1), d(2022, 5, 31));
    assert_eq!(Bin::auto(&extent), Bin::Week);
    let h = histogram(&[&a, &b], &extent, Bin::Week);
    assert_eq!(
        h.bins,
        [
            (d(2022, 5, 1), d(2022, 5, 1)),
            (d(2022, 5, 2), d(2022, 5, 8)),
            (d(2022, 5, 9), d(2022, 5, 15)),
            (d(2022, 5, 16), d(2022, 5, 22)),
            (d(2022, 5, 23), d(2022, 5, 29)),
            (d(2022, 5, 30), d(2022, 5, 31)),
        ]
    );
    assert_eq!(h.counts, [vec![1, 2, 1, 1, 0, 0], vec![0, 0, 1, 0, 0, 1]]);
    assert_eq!(h.stacked(2), 2);
    assert_eq!(h.stacked_max(), 2);
    assert_eq!(h.bin_of(d(2022, 5, 10)), Some(2));
    assert_eq!(h.bin_of(d(2022, 6, 1)), None);
}

#[test]
fn histogram_months_and_auto_bin() {
    let extent = r(d(2016, 1, 15), d(2024, 12, 31));
    assert_eq!(Bin::auto(&extent), Bin::Month);
    assert_eq!(Bin::auto(&r(d(2022, 1, 1), d(2023, 6, 30))), Bin::Week);
    assert_eq!(Bin::auto(&r(d(2022, 1, 1), d(2023, 7, 1))), Bin::Month);
    let index =
        TimeIndex::new(&[(0, p("2016-01-15")), (1, p("2016-01-31")), (2, p("2016-02-01")), (3, p("2024-12-31"))]);
    let h = histogram(&[&index], &extent, Bin::Month);
    assert_eq!(h.bins.len(), 108);
    assert_eq!(h.bins[0], (d(2016, 1, 15), d(2016, 1, 31)));
    assert_eq!(h.bins[1], (d(2016, 2, 1), d(2016, 2, 29)));
    assert_eq!(h.counts[0][0], 2);
    assert_eq!(h.counts[0][1], 1);
    assert_eq!(h.counts[0][107], 1);
    assert_eq!(h.counts[0].iter().sum::<u32>(), 4);
}

// ---------------------------------------------------------------- playback

#[test]
fn playback_moving_window_steps_and_stops() {
    let extent = r(d(2022, 1, 1), d(2022, 1, 31));
    let mut pb = Playback::new(PlayMode::MovingWindow { width_days: 7 }, Step::Week, 2.0);
    let mut range = pb.first_frame(&extent);
    assert_eq!(range, r(d(2022, 1, 1), d(2022, 1, 7)));
    // Not playing: nothing moves.
    assert!(!pb.tick(&mut range, &extent, 1.0));
    pb.play(&mut range, &extent);
    // 0.25 s at 2 steps/s = half a step: no change yet; the fraction is carried.
    assert!(!pb.tick(&mut range, &extent, 0.25));
    assert!(pb.tick(&mut range, &extent, 0.25));
    assert_eq!(range, r(d(2022, 1, 8), d(2022, 1, 14)));
    assert!(pb.tick(&mut range, &extent, 1.0)); // two steps
    assert_eq!(range, r(d(2022, 1, 22), d(2022, 1, 28)));
    assert!(pb.tick(&mut range, &extent, 0.5)); // clamped to the extent end
    assert_eq!(range, r(d(2022, 1, 25), d(2022, 1, 31)));
    assert!(pb.playing);
    assert!(!pb.tick(&mut range, &extent, 0.5)); // at the end: stop
    assert!(!pb.playing);
    assert_eq!(range, r(d(2022, 1, 25), d(2022, 1, 31)));
    // Play again from the end rewinds.
    pb.play(&mut range, &extent);
    assert_eq!(range, r(d(2022, 1, 1), d(2022, 1, 7)));
}

#[test]
fn playback_loops() {
    let extent = r(d(2022, 1, 1), d(2022, 1, 31));
    let mut pb = Playback::new(PlayMode::MovingWindow { width_days: 10 }, Step::Days(10), 1.0);
    pb.looping = true;
    let mut range = pb.first_frame(&extent);
    pb.play(&mut range, &extent);
    let mut seen = vec![range];
    for _ in 0..5 {
        assert!(pb.tick(&mut range, &extent, 1.0));
        seen.push(range);
    }
    assert_eq!(
        seen,
        [
            r(d(2022, 1, 1), d(2022, 1, 10)),
            r(d(2022, 1, 11), d(2022, 1, 20)),
            r(d(2022, 1, 21), d(2022, 1, 30)),
            r(d(2022, 1, 22), d(2022, 1, 31)),
            r(d(2022, 1, 1), d(2022, 1, 10)),
            r(d(2022, 1, 11), d(2022, 1, 20)),
        ]
    );
    assert!(pb.playing);
}

#[test]
fn playback_accumulate_months() {
    let extent = r(d(2022, 1, 1), d(2022, 4, 15));
    let mut pb = Playback::new(PlayMode::Accumulate, Step::Month, 1.0);
    let mut range = pb.first_frame(&extent);
    assert_eq!(range, r(d(2022, 1, 1), d(2022, 1, 31)));
    pb.play(&mut range, &extent);
    pb.tick(&mut range, &extent, 1.0);
    assert_eq!(range, r(d(2022, 1, 1), d(2022, 2, 28)));
    pb.tick(&mut range, &extent, 1.0);
    assert_eq!(range, r(d(2022, 1, 1), d(2022, 3, 31)));
    pb.tick(&mut range, &extent, 1.0);
    assert_eq!(range, r(d(2022, 1, 1), d(2022, 4, 15)));
    assert!(!pb.tick(&mut range, &extent, 1.0));
    assert!(!pb.playing);
    // Looping accumulate rewinds to the first month.
    pb.looping = true;
    pb.playing = true;
    assert!(pb.tick(&mut range, &extent, 1.0));
    assert_eq!(range, r(d(2022, 1, 1), d(2022, 1, 31)));
}

#[test]
fn playback_is_deterministic_and_ignores_bad_dt() {
    let extent = r(d(2016, 1, 1), d(2024, 12, 31));
    let run = |dts: &[f64]| {
        let mut pb = Playback::new(PlayMode::MovingWindow { width_days: 30 }, Step::Week, 3.0);
        pb.looping = true;
        let mut range = pb.first_frame(&extent);
        pb.play(&mut range, &extent);
        for &dt in dts {
            pb.tick(&mut range, &extent, dt);
        }
        range
    };
    let dts: Vec<f64> = (0..500).map(|i| 0.016 + f64::from(i % 7) * 0.001).collect();
    assert_eq!(run(&dts), run(&dts));
    let mut pb = Playback::new(PlayMode::Accumulate, Step::Week, 1.0);
    let mut range = pb.first_frame(&extent);
    pb.play(&mut range, &extent);
    for dt in [f64::NAN, -1.0, 0.0, f64::INFINITY] {
        assert!(!pb.tick(&mut range, &extent, dt));
    }
    pb.speed_steps_per_sec = 0.0;
    assert!(!pb.tick(&mut range, &extent, 1.0));
    // A huge dt is capped and does not hang.
    pb.speed_steps_per_sec = 1e12;
    pb.tick(&mut range, &extent, 1e6);
    assert!(!pb.playing);
    assert_eq!(range.to, extent.to);
}

#[test]
fn step_month_keeps_month_ends() {
    assert_eq!(Step::Month.advance(d(2022, 1, 31)), d(2022, 2, 28));
    assert_eq!(Step::Month.advance(d(2022, 2, 28)), d(2022, 3, 31));
    assert_eq!(Step::Month.advance(d(2024, 1, 31)), d(2024, 2, 29));
    assert_eq!(Step::Month.advance(d(2022, 1, 15)), d(2022, 2, 15));
    assert_eq!(Step::Days(0).advance(d(2022, 1, 15)), d(2022, 1, 16));
}
