//! The playback clock: advances the visible [`Range`] step by step while "play" is on.
//!
//! Deterministic: no wall clock inside. The UI calls [`Playback::tick`] every frame with the
//! frame's `dt` in seconds; fractional progress is carried between ticks, so the same sequence of
//! `dt`s always gives the same ranges.
//!
//! * [`PlayMode::MovingWindow`]: a window of `width_days` days whose end moves by one step per
//!   step; the first frame is the window starting on `extent.from`.
//! * [`PlayMode::Accumulate`]: `from` stays on `extent.from` and `to` moves by one step; the first
//!   frame ends one step after `extent.from` (minus a day).
//!
//! At the extent end the window is first clamped so the last frame ends exactly on `extent.to`;
//! the step after that rewinds to the first frame (`looping`) or stops (`playing = false`).

use chrono::{Months, NaiveDate};

use super::Range;
use super::calendar::{add_days, last_of_month};

/// How the range moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayMode {
    /// A fixed-width window slides forward.
    MovingWindow {
        /// Window width in days (0 is treated as 1).
        width_days: u32,
    },
    /// The start stays at the extent start and the end moves forward.
    Accumulate,
}

/// The size of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Seven days.
    Week,
    /// One calendar month (an end on a month's last day stays on month ends).
    Month,
    /// `n` days (0 is treated as 1).
    Days(u32),
}

impl Step {
    /// `date` moved forward by one step, saturating at chrono's last date.
    pub fn advance(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Week => add_days(date, 7),
            Self::Days(n) => add_days(date, i64::from(n.max(1))),
            Self::Month => {
                let was_month_end = date == last_of_month(date);
                match date.checked_add_months(Months::new(1)) {
                    Some(next) if was_month_end => last_of_month(next),
                    Some(next) => next,
                    None => NaiveDate::MAX,
                }
            }
        }
    }
}

/// Playback state, kept by the UI between frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Playback {
    /// Whether the clock runs.
    pub playing: bool,
    /// Moving window or accumulate.
    pub mode: PlayMode,
    /// Step size.
    pub step: Step,
    /// Steps per second (≤ 0 or non-finite: the clock does not move).
    pub speed_steps_per_sec: f64,
    /// Rewind at the end instead of stopping.
    pub looping: bool,
    /// Fractional steps carried to the next tick.
    pending_steps: f64,
}

impl Default for Playback {
    fn default() -> Self {
        Self::new(PlayMode::MovingWindow { width_days: 30 }, Step::Week, 2.0)
    }
}

/// Most steps one tick may take (a huge `dt` after a stall must not loop for long).
const MAX_STEPS_PER_TICK: u32 = 10_000;

impl Playback {
    /// A stopped, non-looping clock.
    pub fn new(mode: PlayMode, step: Step, speed_steps_per_sec: f64) -> Self {
        Self { playing: false, mode, step, speed_steps_per_sec, looping: false, pending_steps: 0.0 }
    }

    /// The first frame of playback over `extent` (see the module docs).
    pub fn first_frame(&self, extent: &Range) -> Range {
        let to = match self.mode {
            PlayMode::MovingWindow { width_days } => add_days(extent.from, i64::from(width_days.max(1)) - 1),
            PlayMode::Accumulate => add_days(self.step.advance(extent.from), -1),
        };
        Range { from: extent.from, to: to.min(extent.to).max(extent.from) }
    }

    /// Starts playing; rewinds `range` to the first frame if it already ends at (or after)
    /// the extent end, or lies outside it.
    pub fn play(&mut self, range: &mut Range, extent: &Range) {
        self.playing = true;
        self.pending_steps = 0.0;
        if range.to >= extent.to || range.to < extent.from {
            *range = self.first_frame(extent);
        }
    }

    /// Stops playing (the range stays where it is).
    pub fn pause(&mut self) {
        self.playing = false;
        self.pending_steps = 0.0;
    }

    /// Advances the clock by `dt_secs` seconds; returns whether `range` changed. Stops
    /// (`playing = false`) at the end when not looping.
    pub fn tick(&mut self, range: &mut Range, extent: &Range, dt_secs: f64) -> bool {
        if !self.playing
            || !dt_secs.is_finite()
            || dt_secs <= 0.0
            || !self.speed_steps_per_sec.is_finite()
            || self.speed_steps_per_sec <= 0.0
        {
            return false;
        }
        self.pending_steps += dt_secs * self.speed_steps_per_sec;
        let whole = self.pending_steps.floor();
        self.pending_steps -= whole;
        let steps = whole.min(f64::from(MAX_STEPS_PER_TICK)) as u32;
        let before = *range;
        for _ in 0..steps {
            if !self.step_once(range, *extent) {
                break;
            }
        }
        *range != before
    }

    /// One step; returns `false` when playback stopped.
    fn step_once(&mut self, range: &mut Range, extent: Range) -> bool {
        if range.to >= extent.to {
            if self.looping {
                *range = self.first_frame(&extent);
                return true;
            }
            self.playing = false;
            self.pending_steps = 0.0;
            return false;
        }
        let to = self.step.advance(range.to).min(extent.to);
        let from = match self.mode {
            PlayMode::MovingWindow { width_days } => add_days(to, 1 - i64::from(width_days.max(1))).max(extent.from),
            PlayMode::Accumulate => extent.from,
        };
        *range = Range { from, to };
        true
    }
}
