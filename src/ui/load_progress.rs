//! One row per file loading (and per autosave being restored), over the bottom-left corner
//! of the map: the file, a progress bar with bytes, features and the time left, and a Cancel
//! button. The rows read the loads' [`crate::io::progress::Progress`] atomics and never wait
//! on a worker, so the map under them pans and zooms while a big file loads.

use super::jobs::Jobs;
use super::loader::BackgroundLoader;
use crate::io::progress::{Progress, Snapshot};

/// How often the rows are redrawn while something loads.
const REFRESH: std::time::Duration = std::time::Duration::from_millis(250);

/// One progress row.
struct Row<'a> {
    /// "Loading events.csv", "Restoring Security events".
    title: String,
    /// Shown on hovering the title (the file's path).
    hover: String,
    /// "Stop loading events.csv".
    stop: String,
    progress: &'a Progress,
    /// What Cancel does.
    cancel: Cancel,
}

#[derive(Debug, Clone, Copy)]
enum Cancel {
    Load(u64),
    Job(u64),
}

/// Draws the progress rows of `loader`'s pending loads and of `jobs` that report progress
/// (restores) over `ui`'s area (nothing when none). Cancels the loads whose Cancel was
/// clicked; returns the job whose Cancel was clicked, for the caller to cancel (a restore
/// cancelled is offered again).
/// The id of the loading rows' area (the message toasts keep clear of it).
pub(crate) fn area_id() -> egui::Id {
    egui::Id::unique("load-progress")
}

pub(crate) fn load_progress_ui(loader: &mut BackgroundLoader, jobs: &Jobs, ui: &egui::Ui) -> Option<u64> {
    let mut rows: Vec<Row<'_>> = loader
        .pending
        .iter()
        .map(|loading| {
            let name = loading
                .path
                .file_name()
                .map_or_else(|| loading.path.display().to_string(), |n| n.to_string_lossy().into_owned());
            Row {
                title: format!("Loading {name}"),
                hover: loading.path.display().to_string(),
                stop: format!("Stop loading {name}"),
                progress: &loading.progress,
                cancel: Cancel::Load(loading.id),
            }
        })
        .collect();
    rows.extend(jobs.running.iter().filter_map(|job| {
        let progress = job.progress.as_ref()?;
        // "restoring Security events" → "Restoring Security events".
        let mut chars = job.label.chars();
        let title: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        Some(Row {
            stop: format!("Stop {}", job.label),
            hover: title.clone(),
            title,
            progress,
            cancel: Cancel::Job(job.id),
        })
    }));
    if rows.is_empty() {
        return None;
    }
    ui.ctx().request_repaint_after(REFRESH);
    let mut cancel = None;
    let corner = ui.max_rect().left_bottom() + egui::vec2(12.0, -36.0);
    egui::Area::new(area_id()).pivot(egui::Align2::LEFT_BOTTOM).fixed_pos(corner).interactable(true).show(
        ui.ctx(),
        |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_width(440.0);
                for row in &rows {
                    let s = row.progress.snapshot();
                    ui.label(egui::RichText::new(&row.title).strong()).on_hover_text(&row.hover);
                    ui.horizontal(|ui| {
                        let bar = match s.fraction() {
                            Some(f) => egui::ProgressBar::new(f),
                            None => egui::ProgressBar::new(0.0).animate(true),
                        };
                        ui.add_sized([340.0, 18.0], bar.text(describe(&s)));
                        if ui.button("Cancel").on_hover_text(&row.stop).clicked() {
                            cancel = Some(row.cancel);
                        }
                    });
                }
            });
        },
    );
    match cancel? {
        Cancel::Load(id) => {
            loader.cancel(id);
            None
        }
        Cancel::Job(id) => Some(id),
    }
}

/// "120.5 of 320.0 MB · 376,000 features · about 4 s left".
pub fn describe(s: &Snapshot) -> String {
    let mut parts = Vec::new();
    if s.bytes_total > 0 {
        // The bytes read in the total's unit: "0.4 of 320.0 MB", never "400 kB of 320.0 MB".
        let unit = SizeUnit::of(s.bytes_total);
        parts.push(format!("{} of {}", unit.number(s.bytes_done.min(s.bytes_total)), unit.words(s.bytes_total)));
    } else if s.bytes_done > 0 {
        parts.push(size_words(s.bytes_done));
    }
    parts.push(format!("{} features", thousands(s.features)));
    if s.bytes_total > 0 && s.bytes_done >= s.bytes_total {
        parts.push("finishing".to_owned());
    } else if let Some(left) = s.time_left() {
        let secs = left.as_secs();
        parts.push(if secs >= 90 {
            format!("about {} min left", secs.div_ceil(60))
        } else {
            format!("about {} s left", secs.max(1))
        });
    } else if s.bytes_done == 0 {
        parts.push("reading".to_owned());
    }
    parts.join(" · ")
}

/// A size as the app writes it everywhere (file dialog, load progress): SI units, 1 kB =
/// 1,000 bytes and 1 MB = 1,000,000 bytes, as desktop file managers and the file-size limits
/// in the app's messages count them — never 1,048,576 bytes labelled "MB". `361_234_567`
/// is "361.2 MB", `1_048_576` is "1.0 MB".
pub(crate) fn size_words(bytes: u64) -> String {
    SizeUnit::of(bytes).words(bytes)
}

/// The unit a size is written in: the largest whose count is at least 1 once rounded as it is
/// shown (999,999 bytes is "1.0 MB", not "1000 kB").
#[derive(Debug, Clone, Copy)]
struct SizeUnit {
    bytes: u64,
    name: &'static str,
    decimals: usize,
}

impl SizeUnit {
    const ALL: [Self; 4] = [
        Self { bytes: 1, name: "B", decimals: 0 },
        Self { bytes: 1_000, name: "kB", decimals: 0 },
        Self { bytes: 1_000_000, name: "MB", decimals: 1 },
        Self { bytes: 1_000_000_000, name: "GB", decimals: 1 },
    ];

    fn of(bytes: u64) -> Self {
        let mut unit = Self::ALL[0];
        for next in Self::ALL.into_iter().skip(1) {
            // Rounded as `unit` shows it, the count reaches 1,000: write it in `next`.
            let half = unit.bytes / 2 / 10_u64.pow(unit.decimals as u32);
            if bytes.saturating_add(half) / unit.bytes < 1_000 {
                break;
            }
            unit = next;
        }
        unit
    }

    fn number(self, bytes: u64) -> String {
        format!("{:.*}", self.decimals, bytes as f64 / self.bytes as f64)
    }

    fn words(self, bytes: u64) -> String {
        format!("{} {}", self.number(bytes), self.name)
    }
}

/// `1250000` as "1,250,000" (feature counts in the progress rows, the Layers panel and the
/// "Opened" message).
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_row_says_bytes_features_and_time_left() {
        let s = Snapshot {
            bytes_done: 80_000_000,
            bytes_total: 320_000_000,
            features: 1_250_000,
            cancelled: false,
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(describe(&s), "80.0 of 320.0 MB · 1,250,000 features · about 6 s left");
        let done = Snapshot { bytes_done: 320_000_000, ..s };
        assert_eq!(describe(&done), "320.0 of 320.0 MB · 1,250,000 features · finishing");
        let start = Snapshot { bytes_done: 0, features: 0, elapsed: Duration::ZERO, ..s };
        assert_eq!(describe(&start), "0.0 of 320.0 MB · 0 features · reading");
        let slow = Snapshot { elapsed: Duration::from_secs(100), ..s };
        assert_eq!(describe(&slow), "80.0 of 320.0 MB · 1,250,000 features · about 5 min left");
        let small = Snapshot { bytes_done: 12_345, bytes_total: 640_000, ..s };
        assert!(describe(&small).starts_with("12 of 640 kB · "), "{}", describe(&small));
    }

    /// Regression: the file dialog divided by 1,048,576 and wrote "MB" while the progress bar
    /// divided by 1,000,000: the same 361 MB file read "344.5 MB" in one and "361.2 MB" in
    /// the other.
    #[test]
    fn sizes_are_si_units_everywhere() {
        assert_eq!(size_words(0), "0 B");
        assert_eq!(size_words(999), "999 B");
        assert_eq!(size_words(1_000), "1 kB");
        assert_eq!(size_words(1_024), "1 kB");
        assert_eq!(size_words(999_499), "999 kB");
        assert_eq!(size_words(999_500), "1.0 MB", "never \"1000 kB\"");
        assert_eq!(size_words(1_048_576), "1.0 MB");
        assert_eq!(size_words(361_234_567), "361.2 MB");
        assert_eq!(size_words(999_960_000), "1.0 GB", "never \"1000.0 MB\"");
        assert_eq!(size_words(2_147_483_648), "2.1 GB");
        let s = Snapshot {
            bytes_done: 1_048_576,
            bytes_total: 361_234_567,
            features: 0,
            cancelled: false,
            elapsed: Duration::ZERO,
        };
        assert!(describe(&s).starts_with("1.0 of 361.2 MB"), "{}", describe(&s));
    }
}
