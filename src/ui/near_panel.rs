//! "Events near aid sites" in the app (issue 11): Query → Events near aid sites opens a
//! window to pick an aid layer (or only the selected site), an events layer, a radius in km
//! and whether each site's own active dates or the timeline range count. The result is a list
//! grouped by site (from [`crate::spatial::near::summary`]); the matched events are ringed on
//! the map with each site's radius drawn as a geodesic circle, a click on a row flies to the
//! site, and the result exports as CSV or as a GeoJSON layer (the `near` command's writers),
//! written on a worker.

use std::path::PathBuf;

use super::app::{AtlasApp, Level, Message};
use super::command::Command;
use super::file_choice::FilePurpose;
use super::jobs::{JobKind, Outcome};
use crate::model::{FeatureRef, Layer, LayerKind, LayerUid};
use crate::spatial::geo_from_world;
use crate::spatial::near::{
    NearMatch, When, events_near_sites, geodesic_circle, matches_csv, matches_geojson, summary,
};

/// Points of the drawn radius circle.
const CIRCLE_STEPS: usize = 96;

/// The query's settings and its last result.
#[derive(Debug, Clone)]
pub struct NearPanel {
    /// Whether the window is open.
    pub open: bool,
    /// The aid layer.
    pub sites: Option<LayerUid>,
    /// The events layer.
    pub events: Option<LayerUid>,
    /// Only the selected site (when the selection is in the aid layer).
    pub selected_only: bool,
    /// The radius, km.
    pub km: f64,
    /// Each site's own active dates (else the timeline range).
    pub during_site_dates: bool,
    /// The last result.
    pub result: Option<NearResult>,
}

impl Default for NearPanel {
    fn default() -> Self {
        Self {
            open: false,
            sites: None,
            events: None,
            selected_only: false,
            km: 25.0,
            during_site_dates: true,
            result: None,
        }
    }
}

/// One run of the query.
#[derive(Debug, Clone)]
pub struct NearResult {
    /// The aid layer queried.
    pub sites: LayerUid,
    /// The events layer queried.
    pub events: LayerUid,
    /// The radius, km.
    pub km: f64,
    /// What dates counted, in words.
    pub when: String,
    /// Site–event pairs, by site then distance.
    pub matches: Vec<NearMatch>,
    /// One row per site with matches: the site's index and its summary line.
    pub rows: Vec<(usize, String)>,
}

/// Runs the query: `only_site` restricts it to one site of `sites`.
pub fn run_query(sites: &Layer, events: &Layer, km: f64, when: When, only_site: Option<usize>) -> NearResult {
    let mut matches = events_near_sites(sites, events, km, when);
    if let Some(only) = only_site {
        matches.retain(|m| m.site == only);
    }
    let mut rows = Vec::new();
    let mut i = 0;
    while let Some(first) = matches.get(i) {
        let n = matches[i..].iter().take_while(|m| m.site == first.site).count();
        let group = &matches[i..i + n];
        if let Some(line) = summary(sites, events, group).into_iter().next() {
            rows.push((first.site, line));
        }
        i += n;
    }
    let when = match when {
        When::Always => "any date".to_owned(),
        When::DuringSiteDates => "each site's own active dates".to_owned(),
        When::Range(r) => format!("{} – {}", r.from, r.to),
    };
    NearResult { sites: sites.uid, events: events.uid, km, when, matches, rows }
}

impl AtlasApp {
    /// The Query menu entry.
    pub(crate) fn near_menu_ui(&mut self, ui: &mut egui::Ui) {
        if ui.button("Events near aid sites…").clicked() {
            self.near.open = true;
            ui.close();
        }
    }

    fn layer_choice(&self, ui: &mut egui::Ui, label: &str, kind: LayerKind, choice: &mut Option<LayerUid>) {
        let candidates: Vec<&Layer> = self.catalog.layers.iter().filter(|l| l.kind == kind).collect();
        if choice.is_none_or(|uid| !candidates.iter().any(|l| l.uid == uid)) {
            *choice = candidates.first().map(|l| l.uid);
        }
        let shown = candidates.iter().find(|l| Some(l.uid) == *choice).map_or("(none)", |l| l.name.as_str());
        egui::ComboBox::from_label(label).selected_text(shown).show_ui(ui, |ui| {
            for l in &candidates {
                ui.selectable_value(choice, Some(l.uid), &l.name);
            }
        });
    }

    /// The query window, when open.
    pub(crate) fn near_window_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if !self.near.open {
            return;
        }
        let mut open = true;
        let pos = self.window_pos();
        egui::Window::new("Events near aid sites").open(&mut open).default_width(460.0).default_pos(pos).show(
            ctx,
            |ui| {
                let (mut sites, mut events) = (self.near.sites, self.near.events);
                self.layer_choice(ui, "Aid sites", LayerKind::Aid, &mut sites);
                self.layer_choice(ui, "Events", LayerKind::Events, &mut events);
                (self.near.sites, self.near.events) = (sites, events);
                let selected_site = self.selected_site();
                ui.add_enabled_ui(selected_site.is_some(), |ui| {
                    ui.checkbox(&mut self.near.selected_only, "Only the selected site");
                });
                ui.horizontal(|ui| {
                    ui.label("Radius");
                    ui.add(egui::DragValue::new(&mut self.near.km).range(0.0..=2000.0).speed(0.5).suffix(" km"));
                });
                ui.radio_value(&mut self.near.during_site_dates, true, "Each site's own active dates");
                let range =
                    self.filter.range.map_or_else(|| "everything".to_owned(), |r| format!("{} – {}", r.from, r.to));
                ui.radio_value(&mut self.near.during_site_dates, false, format!("The timeline range ({range})"));
                ui.horizontal(|ui| {
                    if ui.button("Run").clicked() {
                        self.run_near(selected_site);
                    }
                    let has_result = self.near.result.is_some();
                    if ui.add_enabled(has_result, egui::Button::new("Export CSV…")).clicked() {
                        self.choose_file(FilePurpose::ExportNearCsv, Some("near.csv"), None);
                    }
                    if ui.add_enabled(has_result, egui::Button::new("Export GeoJSON…")).clicked() {
                        self.choose_file(FilePurpose::ExportNearGeojson, Some("near.geojson"), None);
                    }
                    if ui.add_enabled(has_result, egui::Button::new("Clear")).clicked() {
                        self.near.result = None;
                    }
                });
                let Some(result) = &self.near.result else { return };
                ui.separator();
                let approx = result.matches.iter().filter(|m| m.approximate).count();
                ui.label(format!(
                    "{} events within {} km of {} sites ({}); {} approximate (precision 3)",
                    super::load_progress::thousands(result.matches.len() as u64),
                    result.km,
                    super::load_progress::thousands(result.rows.len() as u64),
                    result.when,
                    super::load_progress::thousands(approx as u64)
                ));
                let Some(layer) = self.catalog.index_of(result.sites) else { return };
                egui::ScrollArea::vertical().max_height(280.0).show(ui, |ui| {
                    for (site, line) in &result.rows {
                        if ui.selectable_label(false, line).on_hover_text("Fly to the site").clicked() {
                            commands.push(Command::FlyTo(FeatureRef { layer, feature: *site }));
                        }
                    }
                });
            },
        );
        self.near.open = open;
    }

    /// The selected feature's index, when it is in the chosen aid layer.
    fn selected_site(&self) -> Option<usize> {
        let s = self.selection?;
        let layer = self.catalog.layers.get(s.layer)?;
        (Some(layer.uid) == self.near.sites).then_some(s.feature)
    }

    /// Runs the query with the window's settings.
    pub fn run_near(&mut self, selected_site: Option<usize>) {
        let layer =
            |uid: Option<LayerUid>| uid.and_then(|u| self.catalog.index_of(u)).and_then(|i| self.catalog.layers.get(i));
        let (Some(sites), Some(events)) = (layer(self.near.sites), layer(self.near.events)) else {
            self.messages.push(Message::new(Level::Warning, "Choose an aid layer and an events layer first"));
            return;
        };
        let when = match (self.near.during_site_dates, self.filter.range) {
            (true, _) => When::DuringSiteDates,
            (false, Some(r)) => When::Range(r),
            (false, None) => When::Always,
        };
        let only = if self.near.selected_only { selected_site } else { None };
        self.near.result = Some(run_query(sites, events, self.near.km, when, only));
    }

    /// The radius around each matched site and a ring on each matched event, over the map.
    pub(crate) fn near_overlay_ui(&self, ui: &egui::Ui) {
        let Some(result) = &self.near.result else { return };
        let layer = |uid| self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i));
        let (Some(sites), Some(events)) = (layer(result.sites), layer(result.events)) else { return };
        let [ox, oy] = self.map.screen_origin;
        let to_screen = |(lon, lat): (f64, f64)| {
            let [x, y] = self.map.viewport.screen_from_geo(lon, lat);
            egui::pos2(x + ox, y + oy)
        };
        let painter = ui.painter();
        let colour = egui::Color32::from_rgb(0x1f, 0x6f, 0xd1);
        for (site, _) in &result.rows {
            let Some(f) = sites.features.get(*site) else { continue };
            for &p in &f.shape.points {
                let ring: Vec<egui::Pos2> =
                    geodesic_circle(geo_from_world(p), result.km, CIRCLE_STEPS).into_iter().map(to_screen).collect();
                painter.add(egui::Shape::line(ring, egui::Stroke::new(2.0, colour)));
            }
        }
        for m in &result.matches {
            let Some(e) = events.features.get(m.event) else { continue };
            let stroke = egui::Stroke::new(2.5, if m.approximate { egui::Color32::GRAY } else { colour });
            for &p in &e.shape.points {
                painter.circle_stroke(to_screen(geo_from_world(p)), 7.0, stroke);
            }
        }
    }

    /// Writes the result to `path` on a worker: GeoJSON when `geojson`, else CSV.
    pub fn export_near_to(&mut self, path: PathBuf, geojson: bool) {
        let Some(result) = &self.near.result else { return };
        let layer = |uid| self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i));
        let (Some(sites), Some(events)) = (layer(result.sites), layer(result.events)) else {
            self.messages
                .push(Message::new(Level::Warning, "The queried layers are no longer open: run the query again"));
            return;
        };
        let text = if geojson {
            matches_geojson(sites, events, &result.matches)
        } else {
            matches_csv(sites, events, &result.matches)
        };
        let label = format!("exporting events near aid sites to {}", path.display());
        self.jobs.spawn(JobKind::Export, label, None, self.now_secs, move || {
            let result = crate::io::atomic::write_atomic(&path, text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()));
            Outcome::Exported { path, result }
        });
    }
}
