//! Deterministic generator of ACLED-like data for benchmarks and tests: a CSV in ACLED's
//! 31-column layout, or the same events in memory. Invented data (notes say "Generated event");
//! events fall between 2016-01-01 and 2024-12-31, longitude 66–76, latitude 35–40.
//!
//! Not part of the library (the app never generates data): benches and tests include this file
//! with `#[path = "…/tests/common/acled_gen.rs"] mod acled_gen;`.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};

use frontier_atlas::io::acled::ACLED_COLUMNS;
use frontier_atlas::time::DateSpan;

/// Event types with their sub-event types, as ACLED names them.
const EVENT_TYPES: [(&str, &[&str]); 6] = [
    ("Battles", &["Armed clash", "Government regains territory", "Non-state actor overtakes territory"]),
    (
        "Explosions/Remote violence",
        &["Shelling/artillery/missile attack", "Remote explosive/landmine/IED", "Air/drone strike"],
    ),
    ("Violence against civilians", &["Attack", "Abduction/forced disappearance"]),
    ("Protests", &["Peaceful protest", "Protest with intervention"]),
    ("Riots", &["Violent demonstration", "Mob violence"]),
    ("Strategic developments", &["Arrests", "Change to group/activity", "Disrupted weapons use", "Other"]),
];

/// `(country, ISO 3166 numeric, admin1 names)`.
const COUNTRIES: [(&str, u16, &[&str]); 2] = [
    ("Afghanistan", 4, &["Badakhshan", "Takhar", "Kunduz", "Balkh"]),
    ("Tajikistan", 762, &["Gorno-Badakhshan", "Khatlon", "Districts of Republican Subordination"]),
];

/// One generated event.
#[derive(Debug, Clone, PartialEq)]
pub struct GenEvent {
    /// `event_id_cnty`, e.g. `AFG000017`.
    pub id: String,
    /// Event day.
    pub date: NaiveDate,
    /// ACLED time precision (1, 2 or 3).
    pub time_precision: u8,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Index into the event-type table.
    event_type: usize,
    /// Index into that type's sub-types.
    sub_event_type: usize,
    /// Index into [`COUNTRIES`].
    country: usize,
    /// Index into that country's admin1 list.
    admin1: usize,
    /// Fatalities.
    pub fatalities: u32,
}

impl GenEvent {
    /// The event's span per ACLED semantics ([`DateSpan::from_acled`]).
    pub fn span(&self) -> DateSpan {
        match self.time_precision {
            2 => DateSpan::iso_week_of(self.date),
            3 => DateSpan::month_of(self.date),
            _ => DateSpan::day(self.date),
        }
    }
}

/// xorshift64* PRNG: tiny, deterministic, good enough for synthetic data.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        // Scramble the seed so 0 and small seeds work.
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }
}

/// Generates `n` events from `seed`; the same arguments always give the same events.
pub fn generate_events(n: usize, seed: u64) -> impl Iterator<Item = GenEvent> {
    let mut rng = XorShift::new(seed);
    let first = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap_or(NaiveDate::MIN);
    let days = 3288; // 2016-01-01 ..= 2024-12-31
    let mut counters = [0usize; 2];
    (0..n).map(move |_| {
        let date = first.checked_add_days(chrono::Days::new(rng.below(days) as u64)).unwrap_or(first);
        let roll = rng.below(100);
        let time_precision = match roll {
            0..=84 => 1,
            85..=95 => 2,
            _ => 3,
        };
        let lon = 66.0 + 10.0 * rng.unit_f64();
        let lat = 35.0 + 5.0 * rng.unit_f64();
        let country = usize::from(lat > 37.0 && lon > 68.0);
        let event_type = rng.below(EVENT_TYPES.len());
        let subs = EVENT_TYPES.get(event_type).map_or(1, |t| t.1.len());
        let sub_event_type = rng.below(subs);
        let admins = COUNTRIES.get(country).map_or(1, |c| c.2.len());
        let admin1 = rng.below(admins);
        let fatalities = if event_type <= 2 { rng.below(12) as u32 } else { 0 };
        let counter = counters.get_mut(country).map_or(0, |c| {
            *c += 1;
            *c
        });
        let prefix = if country == 0 { "AFG" } else { "TJK" };
        GenEvent {
            id: format!("{prefix}{counter:06}"),
            date,
            time_precision,
            lon,
            lat,
            event_type,
            sub_event_type,
            country,
            admin1,
            fatalities,
        }
    })
}

/// `(longitude, latitude, span)` of `n` generated events, for in-memory benches.
pub fn generate_features(n: usize, seed: u64) -> Vec<(f64, f64, DateSpan)> {
    generate_events(n, seed).map(|e| (e.lon, e.lat, e.span())).collect()
}

/// Writes `n` generated events as an ACLED CSV (31 columns, header first, `\n` line ends).
pub fn generate_acled_csv(n: usize, seed: u64, out: &mut impl Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(ACLED_COLUMNS).map_err(io::Error::other)?;
    for e in generate_events(n, seed) {
        let (etype, subs) = EVENT_TYPES.get(e.event_type).copied().unwrap_or(("Other", &[]));
        let sub = subs.get(e.sub_event_type).copied().unwrap_or("Other");
        let (country, iso, admins) = COUNTRIES.get(e.country).copied().unwrap_or(("", 0, &[]));
        let admin1 = admins.get(e.admin1).copied().unwrap_or("");
        let disorder = if etype == "Protests" || etype == "Riots" { "Demonstrations" } else { "Political violence" };
        let actor1 = if e.country == 0 {
            "Military Forces of Afghanistan (2021-)"
        } else {
            "Military Forces of Tajikistan (1994-)"
        };
        let notes = format!("Generated event {} in {admin1}, \"{sub}\"; fixture data, not a real report.", e.id);
        let record = [
            e.id.clone(),
            e.date.format("%Y-%m-%d").to_string(),
            e.date.year().to_string(),
            e.time_precision.to_string(),
            disorder.to_owned(),
            etype.to_owned(),
            sub.to_owned(),
            actor1.to_owned(),
            String::new(),
            "1".to_owned(),
            String::new(),
            String::new(),
            "0".to_owned(),
            "10".to_owned(),
            String::new(),
            iso.to_string(),
            if e.country == 0 { "South Asia" } else { "Caucasus and Central Asia" }.to_owned(),
            country.to_owned(),
            admin1.to_owned(),
            String::new(),
            String::new(),
            format!("Place {}", e.id),
            format!("{:.4}", e.lat),
            format!("{:.4}", e.lon),
            "2".to_owned(),
            "Generated source".to_owned(),
            "National".to_owned(),
            notes,
            e.fatalities.to_string(),
            String::new(),
            (1_700_000_000 + u64::from(e.date.ordinal())).to_string(),
        ];
        w.write_record(&record).map_err(io::Error::other)?;
    }
    w.flush()
}

// Each suite or bench that includes this file uses part of it: naming the entry points here
// keeps `dead_code` quiet in every includer without an `#[expect]` in each.
const _: () = {
    let _ = (generate_features, GenEvent::span);
    let _ = |out: &mut Vec<u8>| generate_acled_csv(1, 1, out);
};
