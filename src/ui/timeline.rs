//! The timeline: a histogram of dated features with a two-handle range, typed dates,
//! presets and playback. The date logic lives in [`crate::time`]; this is only its UI.

use chrono::NaiveDate;
use egui::{Color32, Sense, Stroke, pos2, vec2};

use super::command::Command;
use crate::model::{Catalog, LayerKind, TimeFilter};
use crate::render::animate::AnimationSettings;
use crate::time::{Bin, DateSpan, Histogram, PlayMode, Playback, Range, Step, TimeIndex, histogram};

/// Timeline state kept between frames.
pub struct TimelineState {
    /// The range shown (`None`: everything).
    pub range: Option<Range>,
    /// First to last date of all dated features.
    pub extent: Option<Range>,
    /// The playback clock.
    pub playback: Playback,
    /// Text of the "From" field.
    pub from_text: String,
    /// Text of the "To" field.
    pub to_text: String,
    /// Why the typed date was refused.
    pub date_error: Option<String>,
    /// Playback jumps over steps in which nothing starts.
    pub skip_empty: bool,
    /// The range playback runs through: the one the analyst chose (a year clicked, dates
    /// typed) when Play was pressed on it, if it is longer than one frame and something
    /// happens in it; `None`: the whole extent. Found walking the app: "2021" then Play
    /// played November 2021 on, never January to October.
    play_within: Option<Range>,
    /// The days on which features of the shown dated layers start (of every dated layer
    /// when none is shown), ascending and distinct (playback looks for the next one): a few
    /// thousand days for a million events.
    starts: Vec<NaiveDate>,
    /// The bars: the features of the shown dated layers, stacked in catalog order.
    hist: Option<Histogram>,
    /// Whether each dated layer was shown when the bars and start days were counted: a
    /// hidden layer is not in them, and showing or hiding one (from the layer list, a scene,
    /// an undo) counts them again.
    shown: Vec<bool>,
    drag: Option<Drag>,
}

#[derive(Clone, Copy)]
enum Drag {
    From,
    To,
    New(NaiveDate),
}

/// Colour of the dated layer `li` in the histogram: the first events layer red and the first
/// aid layer blue, as the map draws them; every other dated layer one of its own. Found
/// walking the app: an opened ACLED export and the shipped events were both red, and the 35
/// shipped events could not be told from the 100,000 bars on top of them.
fn layer_color(catalog: &Catalog, li: usize) -> Color32 {
    const OTHERS: [Color32; 5] = [
        Color32::from_rgb(23, 165, 137),
        Color32::from_rgb(142, 68, 173),
        Color32::from_rgb(212, 172, 13),
        Color32::from_rgb(230, 126, 34),
        Color32::from_rgb(110, 80, 60),
    ];
    let (mut first_events, mut first_aid, mut others) = (None, None, 0);
    for (i, layer, _) in dated_layers(catalog) {
        let colour = match layer.kind {
            LayerKind::Events if first_events.is_none() => {
                first_events = Some(i);
                Color32::from_rgb(192, 57, 43)
            }
            LayerKind::Aid if first_aid.is_none() => {
                first_aid = Some(i);
                Color32::from_rgb(31, 78, 156)
            }
            _ => {
                others += 1;
                OTHERS[(others - 1) % OTHERS.len()]
            }
        };
        if i == li {
            return colour;
        }
    }
    OTHERS[0]
}

impl TimelineState {
    /// State for a catalog, showing everything.
    pub fn new(catalog: &Catalog) -> Self {
        let mut s = Self {
            range: None,
            extent: None,
            playback: Playback::new(PlayMode::MovingWindow { width_days: 90 }, Step::Month, 2.0),
            from_text: String::new(),
            to_text: String::new(),
            date_error: None,
            skip_empty: true,
            play_within: None,
            starts: Vec::new(),
            hist: None,
            shown: Vec::new(),
            drag: None,
        };
        s.catalog_changed(catalog);
        s
    }

    /// Recomputes the extent and histogram after layers were added, removed or re-dated,
    /// from the layers' time indices (built by the loaders' workers): a few binary searches
    /// per layer and bin, nothing per feature, so a million-event layer costs the UI thread
    /// next to nothing.
    ///
    /// The extent is every dated layer's, so hiding a layer does not move the axis under the
    /// analyst's range; the bars and the playback's start days are the shown layers'.
    pub fn catalog_changed(&mut self, catalog: &Catalog) {
        self.extent = data_extent(catalog);
        self.count_shown(catalog);
        self.sync_texts();
    }

    /// How many features the histogram's bars count (of the layers shown when they were
    /// last counted).
    pub fn counted_in_bars(&self) -> u64 {
        self.hist.as_ref().map_or(0, |h| h.counts.iter().flatten().map(|&n| u64::from(n)).sum())
    }

    /// Counts the bars and start days of the dated layers shown now.
    fn count_shown(&mut self, catalog: &Catalog) {
        self.shown = dated_layers(catalog).map(|(_, l, _)| l.visible).collect();
        let any_shown = self.shown.contains(&true);
        let starting = dated_layers(catalog).filter(|(_, l, _)| l.visible || !any_shown).map(|(_, _, idx)| idx);
        self.starts = start_days(starting);
        let indices: Vec<&TimeIndex> = shown_dated_layers(catalog).map(|(_, _, idx)| idx).collect();
        self.hist = self.extent.map(|e| histogram(&indices, &e, Bin::auto(&e)));
    }

    /// Shows `range` (set elsewhere: a project, a bookmark, the app) in the panel, the typed
    /// From/To fields included.
    pub fn show_range(&mut self, range: Option<Range>) {
        // A range outside the one played was set elsewhere (playback's own frames, and the
        // panel's, come back here too, some a frame late).
        if !range.is_some_and(|r| self.play_within.is_some_and(|w| w.from <= r.from && r.to <= w.to)) {
            self.play_within = None;
        }
        self.range = range;
        self.date_error = None;
        self.sync_texts();
    }

    fn sync_texts(&mut self) {
        let r = self.range.or(self.extent);
        self.from_text = r.map(|r| r.from.to_string()).unwrap_or_default();
        self.to_text = r.map(|r| r.to.to_string()).unwrap_or_default();
    }

    /// Advances playback; returns the new range when it moved.
    pub fn tick(&mut self, ctx: &egui::Context) -> Option<Range> {
        if !self.playback.playing {
            return None;
        }
        let bounds = self.play_within.or(self.extent)?;
        ctx.request_repaint();
        let dt = f64::from(ctx.input(|i| i.stable_dt)).min(0.25);
        let before = self.range.unwrap_or_else(|| self.playback.first_frame(&bounds));
        let mut range = before;
        let mut changed = self.playback.tick(&mut range, &bounds, dt);
        if changed && self.skip_empty {
            if let Some(r) = self.next_with_data(range).filter(|r| r.from <= bounds.to) {
                // The last frame ends with the range played, as a step's does.
                let r = Range::new(r.from, r.to.min(bounds.to));
                range = r;
            } else {
                // Nothing starts after this: stop on the last frame that showed something.
                self.playback.pause();
                range = before;
            }
        }
        changed = self.range != Some(range);
        changed.then(|| {
            self.range = Some(range);
            self.sync_texts();
            range
        })
    }

    /// Draws the timeline panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog, filter: &TimeFilter) -> Vec<Command> {
        let mut commands = Vec::new();
        let Some(extent) = self.extent else {
            ui.weak("No dated layer is loaded.");
            return commands;
        };
        if !dated_layers(catalog).map(|(_, l, _)| l.visible).eq(self.shown.iter().copied()) {
            self.count_shown(catalog);
        }
        if !ui.ctx().egui_wants_keyboard_input() && ui.input(|i| i.key_pressed(egui::Key::Space)) {
            self.toggle_play(&mut commands, extent);
        }
        // Wrapped: with the zone beside the dates the row is wider than a 1400-px window.
        ui.horizontal_wrapped(|ui| {
            self.date_fields_ui(ui, &mut commands, extent);
            ui.separator();
            for (label, range) in [
                ("All", None),
                ("2021", Range::year(2021)),
                ("2022", Range::year(2022)),
                ("Last 30 days", Some(Range::last_days(&extent, 30))),
            ] {
                if ui.button(label).on_hover_text("Preset date range").clicked() {
                    self.set_range(range, &mut commands);
                }
            }
            ui.separator();
            self.playback_ui(ui, &mut commands, extent);
        });
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Export animation…")
                .on_hover_text("Save this playback as an animated GIF, an APNG or numbered PNG frames")
                .clicked()
            {
                commands.push(Command::ExportAnimation);
            }
            for (li, layer, _) in dated_layers(catalog) {
                let (shown, total) = filter.counts(catalog, li);
                let (swatch, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), Sense::hover());
                let (shown, total) =
                    (super::load_progress::thousands(shown as u64), super::load_progress::thousands(total as u64));
                if layer.visible {
                    ui.painter().rect_filled(swatch, 1.0, layer_color(catalog, li));
                    ui.label(format!("{}: shown {shown} of {total}", layer.name));
                } else {
                    // Not in the bars: its swatch is an outline, and it says why.
                    ui.painter().rect_stroke(
                        swatch,
                        1.0,
                        Stroke::new(1.0, layer_color(catalog, li)),
                        egui::StrokeKind::Inside,
                    );
                    ui.weak(format!("{}: hidden ({shown} of {total} in the range)", layer.name))
                        .on_hover_text("A hidden layer is not counted in the histogram");
                }
            }
            if let Some(e) = &self.date_error {
                ui.colored_label(Color32::from_rgb(190, 30, 30), e);
            }
        });
        self.histogram_ui(ui, catalog, &mut commands, extent);
        commands
    }

    fn set_range(&mut self, range: Option<Range>, commands: &mut Vec<Command>) {
        self.range = range;
        self.play_within = None;
        self.date_error = None;
        self.sync_texts();
        commands.push(Command::SetRange(range));
    }

    fn toggle_play(&mut self, commands: &mut Vec<Command>, extent: Range) {
        if self.playback.playing {
            self.playback.pause();
        } else {
            // A range longer than one frame is what the analyst chose to watch: playback runs
            // through it from its start, if something happens in it. A range of one frame
            // (playback paused) plays on through the range played before, else the extent.
            let chosen = self.range.filter(|r| self.playback.first_frame(r).to < r.to);
            let within = self.play_within;
            let (start, within) = if let Some(c) = chosen {
                let first = self.playback.first_frame(&c);
                (first, self.next_with_data(first).is_some_and(|r| r.from <= c.to).then_some(c))
            } else {
                let range = self.range.unwrap_or_else(|| self.playback.first_frame(&extent));
                (range, within.filter(|w| w.from <= range.from && range.to <= w.to))
            };
            let bounds = within.unwrap_or(extent);
            let mut range = start;
            self.playback.play(&mut range, &bounds);
            // Start where there is something to see, not on months of empty map.
            let range = self.jump_to_data(range);
            let range = Range::new(range.from, range.to.min(bounds.to).max(range.from));
            self.set_range(Some(range), commands);
            self.play_within = within;
        }
    }

    /// `range` when something starts in it; otherwise the same window moved (accumulate:
    /// extended) to the next date on which something starts, if any.
    pub fn jump_to_data(&self, range: Range) -> Range {
        self.next_with_data(range).unwrap_or(range)
    }

    /// Like [`TimelineState::jump_to_data`], `None` when nothing starts on or after
    /// `range.from`.
    fn next_with_data(&self, range: Range) -> Option<Range> {
        let first = self.starts.partition_point(|d| *d < range.from);
        let next = *self.starts.get(first)?;
        if next <= range.to {
            return Some(range);
        }
        Some(match self.playback.mode {
            PlayMode::MovingWindow { .. } => {
                let width = range.to.signed_duration_since(range.from);
                Range::new(next, next.checked_add_signed(width).unwrap_or(next))
            }
            PlayMode::Accumulate => Range::new(range.from, next),
        })
    }

    fn date_fields_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>, extent: Range) {
        let from_label = ui.label("From");
        let from =
            ui.add(egui::TextEdit::singleline(&mut self.from_text).desired_width(84.0)).labelled_by(from_label.id);
        let to_label = ui.label("To");
        let to = ui.add(egui::TextEdit::singleline(&mut self.to_text).desired_width(84.0)).labelled_by(to_label.id);
        super::zone_menu::zone_label_ui(ui, extent.from);
        if from.lost_focus() || to.lost_focus() {
            let parse = |t: &str, start: bool| -> Result<NaiveDate, String> {
                DateSpan::parse(t).map(|s| if start { s.start } else { s.end }).map_err(|e| e.to_string())
            };
            match (parse(&self.from_text, true), parse(&self.to_text, false)) {
                (Ok(a), Ok(b)) if a <= b => {
                    let r = Range::new(a, b);
                    if Some(r) != self.range {
                        let full = r.from <= extent.from && r.to >= extent.to;
                        self.set_range(if full { None } else { Some(r) }, commands);
                    }
                }
                (Ok(_), Ok(_)) => self.date_error = Some("“From” is after “To”".to_owned()),
                (Err(e), _) | (_, Err(e)) => self.date_error = Some(e),
            }
        }
    }

    fn playback_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>, extent: Range) {
        let label = if self.playback.playing { "Pause" } else { "Play" };
        if ui.button(label).on_hover_text("Play or pause (Space)").clicked() {
            self.toggle_play(commands, extent);
        }
        let mode_text = match self.playback.mode {
            PlayMode::MovingWindow { .. } => "Moving window",
            PlayMode::Accumulate => "Accumulate",
        };
        // Each chooser's label before it, as "window" is (egui puts a combo box's own label
        // after it: the row read "Moving window ▼ mode window 90 days month ▼ step").
        let mode_label = ui.label("mode");
        let mode = egui::ComboBox::from_id_salt("play-mode").selected_text(mode_text).show_ui(ui, |ui| {
            let width = match self.playback.mode {
                PlayMode::MovingWindow { width_days } => width_days,
                PlayMode::Accumulate => 90,
            };
            ui.selectable_value(&mut self.playback.mode, PlayMode::MovingWindow { width_days: width }, "Moving window");
            ui.selectable_value(&mut self.playback.mode, PlayMode::Accumulate, "Accumulate");
        });
        mode.response.labelled_by(mode_label.id);
        if let PlayMode::MovingWindow { width_days } = &mut self.playback.mode {
            let label = ui.label("window");
            ui.add(egui::DragValue::new(width_days).range(1..=3650).suffix(" days")).labelled_by(label.id);
        }
        let step_text = match self.playback.step {
            Step::Week => "week".to_owned(),
            Step::Month => "month".to_owned(),
            Step::Days(n) => format!("{n} days"),
        };
        let step_label = ui.label("step");
        egui::ComboBox::from_id_salt("play-step")
            .selected_text(step_text)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.playback.step, Step::Week, "week");
                ui.selectable_value(&mut self.playback.step, Step::Month, "month");
            })
            .response
            .labelled_by(step_label.id);
        ui.add(
            egui::Slider::new(&mut self.playback.speed_steps_per_sec, 0.25..=10.0).text("steps/s").logarithmic(true),
        );
        ui.checkbox(&mut self.playback.looping, "Loop");
        ui.checkbox(&mut self.skip_empty, "Skip empty")
            .on_hover_text("Playback jumps over steps in which nothing starts");
    }

    fn histogram_ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog, commands: &mut Vec<Command>, extent: Range) {
        let height = 70.0;
        let (rect, response) = ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Timeline histogram"));
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let days = (extent.to - extent.from).num_days().max(1) as f32;
        let x_of =
            |d: NaiveDate| rect.left() + ((d - extent.from).num_days() as f32 / days).clamp(0.0, 1.0) * rect.width();
        let date_of = |x: f32| {
            let t = ((x - rect.left()) / rect.width()).clamp(0.0, 1.0);
            extent.from + chrono::Duration::days((t * days).round() as i64)
        };
        if let Some(h) = &self.hist {
            let max = h.stacked_max().max(1) as f32;
            let colours: Vec<Color32> = shown_dated_layers(catalog).map(|(i, _, _)| layer_color(catalog, i)).collect();
            for (b, (start, end)) in h.bins.iter().enumerate() {
                let (x0, x1) = (x_of(*start), x_of(*end + chrono::Duration::days(1)));
                let mut y = rect.bottom() - 14.0;
                for (layer_pos, counts) in h.counts.iter().enumerate() {
                    let n = counts.get(b).copied().unwrap_or(0);
                    if n == 0 {
                        continue;
                    }
                    let bar_h = n as f32 / max * (height - 20.0);
                    let r = egui::Rect::from_min_max(pos2(x0 + 0.5, y - bar_h), pos2((x1 - 0.5).max(x0 + 1.5), y));
                    painter.rect_filled(r, 0.0, colours.get(layer_pos).copied().unwrap_or(Color32::GRAY));
                    y -= bar_h;
                }
            }
        }
        // Year ticks.
        let text_color = ui.visuals().weak_text_color();
        for year in extent.from.format("%Y").to_string().parse::<i32>().unwrap_or(2000)
            ..=extent.to.format("%Y").to_string().parse::<i32>().unwrap_or(2000)
        {
            if let Some(d) = NaiveDate::from_ymd_opt(year, 1, 1).filter(|d| *d >= extent.from) {
                let x = x_of(d);
                painter.line_segment(
                    [pos2(x, rect.bottom() - 14.0), pos2(x, rect.bottom() - 10.0)],
                    Stroke::new(1.0, text_color),
                );
                painter.text(
                    pos2(x + 2.0, rect.bottom() - 1.0),
                    egui::Align2::LEFT_BOTTOM,
                    year.to_string(),
                    egui::FontId::proportional(10.0),
                    text_color,
                );
            }
        }
        // Selected range.
        let sel = self.range.unwrap_or(extent);
        let (sx0, sx1) = (x_of(sel.from), x_of(sel.to + chrono::Duration::days(1)));
        let sel_rect = egui::Rect::from_min_max(pos2(sx0, rect.top()), pos2(sx1.max(sx0 + 2.0), rect.bottom() - 14.0));
        painter.rect_filled(sel_rect, 0.0, Color32::from_rgba_unmultiplied(0, 150, 255, 40));
        for x in [sx0, sx1] {
            painter.line_segment(
                [pos2(x, rect.top()), pos2(x, rect.bottom() - 14.0)],
                Stroke::new(2.5, Color32::from_rgb(0, 110, 200)),
            );
        }
        // Dragging: near a handle moves it, elsewhere draws a new range.
        if response.drag_started()
            && let Some(p) = response.interact_pointer_pos()
        {
            self.drag = Some(if (p.x - sx0).abs() < 7.0 {
                Drag::From
            } else if (p.x - sx1).abs() < 7.0 {
                Drag::To
            } else {
                Drag::New(date_of(p.x))
            });
        }
        if let (Some(drag), Some(p)) = (self.drag, response.interact_pointer_pos())
            && response.dragged()
        {
            let d = date_of(p.x);
            let r = match drag {
                Drag::From => Range::new(d.min(sel.to), sel.to),
                Drag::To => Range::new(sel.from, d.max(sel.from)),
                Drag::New(start) => Range::new(start.min(d), start.max(d)),
            };
            if Some(r) != self.range {
                self.set_range(Some(r), commands);
            }
        }
        if response.drag_stopped() {
            self.drag = None;
        }
    }
}

/// The animation the timeline's playback settings describe: its mode, step, "Skip empty"
/// and speed, over the whole extent of the data, titled like a view export.
pub fn animation_settings(
    timeline: &TimelineState,
    title: Option<String>,
    legend: Option<crate::render::LegendCorner>,
) -> AnimationSettings {
    AnimationSettings {
        mode: timeline.playback.mode,
        step: timeline.playback.step,
        range: timeline.extent,
        skip_empty: timeline.skip_empty,
        fps: timeline.playback.speed_steps_per_sec,
        title,
        legend,
    }
}

impl super::AtlasApp {
    /// Exports the timeline's playback through the current view to `path` (GIF, APNG, or
    /// numbered PNG frames by extension) on a worker; a message reports the outcome.
    pub fn export_animation_to(&mut self, path: std::path::PathBuf) {
        let title = Some(self.scenes_ui.export_title.trim().to_owned()).filter(|t| !t.is_empty());
        let settings =
            animation_settings(&self.timeline, title, self.state.show_legend.then_some(self.state.legend_corner));
        let (catalog, viewport) = (self.catalog.clone(), self.map.viewport);
        let label = format!("exporting {}", path.display());
        self.jobs.spawn(super::jobs::JobKind::Export, label, None, self.now_secs, move || {
            let result =
                crate::render::animate::export_animation(&catalog, &viewport, &settings, &path, &mut |_, _| {})
                    .map(|_frames| ())
                    .map_err(|e| e.to_string());
            super::jobs::Outcome::Exported { path, result }
        });
    }
}

/// Layers with a time index, with their catalog positions.
fn dated_layers(catalog: &Catalog) -> impl Iterator<Item = (usize, &crate::model::Layer, &TimeIndex)> {
    catalog.layers.iter().enumerate().filter_map(|(i, l)| l.time_index.as_ref().map(|idx| (i, l, idx)))
}

/// The dated layers that are shown, in catalog order: the histogram's bars.
fn shown_dated_layers(catalog: &Catalog) -> impl Iterator<Item = (usize, &crate::model::Layer, &TimeIndex)> {
    dated_layers(catalog).filter(|(_, l, _)| l.visible)
}

/// First to last date of the dated features. Open-ended spans (an aid programme running since
/// 1991) do not stretch the start, or the record of recent years would be squeezed into a
/// sliver; they still show in every range after their start. Only when every span is open
/// do their starts set the extent.
///
/// Read from the layers' time indices (which hold exactly the features' spans): `O(log n)`
/// per layer.
pub fn data_extent(catalog: &Catalog) -> Option<Range> {
    let indices = || dated_layers(catalog).map(|(_, _, idx)| idx);
    let lo = indices()
        .filter_map(TimeIndex::first_closed_start)
        .min()
        .or_else(|| indices().filter_map(|idx| idx.extent().map(|e| e.from)).min())?;
    let hi = indices().filter_map(|idx| idx.extent().map(|e| e.to)).max()?;
    Some(Range::new(lo, hi.max(lo)))
}

/// The distinct days on which the indexed spans start, ascending.
fn start_days<'a>(indices: impl Iterator<Item = &'a TimeIndex>) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = indices.flat_map(TimeIndex::start_days).collect();
    days.sort_unstable();
    days.dedup();
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Feature, Layer, LayerSource, index_spans};
    use crate::spatial::Shape;

    fn layer(kind: LayerKind, spans: &[&str]) -> Layer {
        let features = spans
            .iter()
            .map(|s| Feature {
                id: None,
                geometry: None,
                properties: serde_json::Map::new(),
                foreign_members: serde_json::Map::new(),
                shape: Shape::default(),
                time: Some(DateSpan::parse(s).expect("a span")),
            })
            .collect();
        let mut layer = Layer::new("l", kind, LayerSource::Embedded("t"), features);
        index_spans(&mut layer);
        layer
    }

    /// What `data_extent` and the playback's start days were, computed from every span.
    fn brute_force(catalog: &Catalog) -> (Option<Range>, Vec<NaiveDate>) {
        let spans: Vec<DateSpan> = catalog
            .layers
            .iter()
            .filter(|l| l.time_index.is_some())
            .flat_map(|l| l.features.spans().flatten())
            .collect();
        let closed = spans.iter().filter(|s| !s.is_open_ended());
        let lo = closed.map(|s| s.start).min().or_else(|| spans.iter().map(|s| s.start).min());
        let hi = spans.iter().map(|s| if s.is_open_ended() { s.start } else { s.end }).max();
        let mut starts: Vec<NaiveDate> = spans.iter().map(|s| s.start).collect();
        starts.sort_unstable();
        starts.dedup();
        (lo.zip(hi).map(|(lo, hi)| Range::new(lo, hi.max(lo))), starts)
    }

    /// Every dated layer has its own colour in the histogram: two events layers (the shipped
    /// ones and an opened export) are not both red.
    #[test]
    fn each_dated_layer_has_its_own_histogram_colour() {
        let mut catalog = Catalog::default();
        catalog.insert(layer(LayerKind::Events, &["2021-06-01"]));
        catalog.insert(layer(LayerKind::Aid, &["2021-06-01"]));
        catalog.insert(layer(LayerKind::Events, &["2021-06-02"]));
        catalog.insert(layer(LayerKind::Aid, &["2021-06-03"]));
        catalog.insert(layer(LayerKind::Generic, &["2021-06-04"]));
        let colours: Vec<Color32> = (0..catalog.layers.len()).map(|li| layer_color(&catalog, li)).collect();
        let first_events = catalog.layers.iter().position(|l| l.kind == LayerKind::Events).expect("events");
        assert_eq!(colours[first_events], Color32::from_rgb(192, 57, 43), "the first events layer is red");
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                assert_ne!(a, b, "{colours:?}");
            }
        }
    }

    #[test]
    fn extent_and_start_days_from_the_indices_equal_reading_every_span() {
        let mut catalog = Catalog::default();
        assert_eq!(data_extent(&catalog), None);
        catalog.insert(layer(LayerKind::Aid, &["1991-01-01/..", "2019-05-01/..", "2023-02-01/.."]));
        // Only open-ended spans: their starts set the extent.
        let state = TimelineState::new(&catalog);
        assert_eq!((state.extent, state.starts.clone()), brute_force(&catalog));
        catalog.insert(layer(LayerKind::Events, &["2021-06-01", "2021-07", "2020-01-03", "2021-06-01", "2022"]));
        catalog.insert(layer(LayerKind::Generic, &["2018-02-02"]));
        let mut state = TimelineState::new(&catalog);
        state.catalog_changed(&catalog);
        assert_eq!((state.extent, state.starts.clone()), brute_force(&catalog));
        assert_eq!(state.extent.map(|e| e.from), NaiveDate::from_ymd_opt(2018, 2, 2), "open ends do not stretch it");
        let from = NaiveDate::from_ymd_opt(2021, 6, 2).expect("a date");
        let next = state.next_with_data(Range::new(from, from)).map(|r| r.from);
        assert_eq!(next, NaiveDate::from_ymd_opt(2021, 7, 1));
    }
}
