//! Time-index benchmarks over 1,000,000 generated ACLED-like spans: building the index, and what
//! a time-slider change costs (count, visible slices, iterating the visible set, histogram).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use frontier_atlas::time::{Bin, DateSpan, Range, TimeIndex, histogram};

#[path = "../tests/common/acled_gen.rs"]
mod acled_gen;
use acled_gen::generate_features;

const N: usize = 1_000_000;

fn spans() -> Vec<(usize, DateSpan)> {
    generate_features(N, 2024).into_iter().enumerate().map(|(i, (_, _, span))| (i, span)).collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn bench_time(c: &mut Criterion) {
    let spans = spans();
    c.bench_function("time_index_build_1m", |b| b.iter(|| TimeIndex::new(black_box(&spans))));
    let index = TimeIndex::new(&spans);
    // A sequence of slider positions: 30-day windows moving through 2016–2024.
    let ranges: Vec<Range> = (0..100)
        .map(|i| {
            let from = date(2016, 1, 1) + chrono::Days::new(i * 30);
            Range { from, to: from + chrono::Days::new(29) }
        })
        .collect();
    let mut i = 0usize;
    c.bench_function("time_index_count_30d_1m", |b| {
        b.iter(|| {
            i = (i + 1) % ranges.len();
            index.count(black_box(&ranges[i]))
        });
    });
    c.bench_function("time_index_visible_parts_30d_1m", |b| {
        b.iter(|| {
            i = (i + 1) % ranges.len();
            let v = index.visible_parts(black_box(&ranges[i]));
            (v.core.len(), v.edge.len())
        });
    });
    c.bench_function("time_index_iterate_visible_30d_1m", |b| {
        b.iter(|| {
            i = (i + 1) % ranges.len();
            index.visible(black_box(&ranges[i])).fold(0usize, |acc, id| acc ^ id)
        });
    });
    let all = Range { from: date(2016, 1, 1), to: date(2024, 12, 31) };
    c.bench_function("time_index_count_all_1m", |b| b.iter(|| index.count(black_box(&all))));
    c.bench_function("histogram_months_9y_1m", |b| b.iter(|| histogram(&[&index], black_box(&all), Bin::Month)));
    let mut mask = vec![false; N];
    c.bench_function("time_index_fill_mask_30d_1m", |b| {
        b.iter(|| {
            i = (i + 1) % ranges.len();
            index.fill_mask(black_box(&ranges[i]), &mut mask);
        });
    });
}

criterion_group!(benches, bench_time);
criterion_main!(benches);
