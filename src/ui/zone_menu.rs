//! View → Time zone (issue 11, "Time zones, stated"): the analyst chooses the zone timestamps
//! are filtered in — UTC, Asia/Dushanbe, Asia/Kabul or any IANA name — and the zone is shown
//! beside the timeline's date fields. Dates without a time of day stay the days they name.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::app::{AtlasApp, Level, Message};
use crate::time::zone::{COMMON_ZONES, current, describe, parse_zone, set_current};

/// The zone beside the timeline's From/To fields, with what it means on hover.
pub(crate) fn zone_label_ui(ui: &mut egui::Ui, on: NaiveDate) {
    ui.label(describe(current(), on)).on_hover_text(
        "Timestamps fall on their calendar day in this zone (View → Time zone); \
         dates without a time of day stay the days they name",
    );
}

impl AtlasApp {
    /// The View menu's Time zone submenu.
    pub(crate) fn zone_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Time zone", |ui| {
            let now = current();
            for zone in COMMON_ZONES {
                if ui.radio(now == zone, zone.name()).clicked() {
                    self.set_time_zone(zone);
                    ui.close();
                }
            }
            ui.separator();
            ui.horizontal(|ui| {
                let label = ui.label("Other (IANA)");
                ui.add(egui::TextEdit::singleline(&mut self.zone_text).hint_text("Europe/Moscow").desired_width(130.0))
                    .labelled_by(label.id);
                if ui.button("Use").clicked() {
                    match parse_zone(&self.zone_text) {
                        Ok(zone) => {
                            self.set_time_zone(zone);
                            ui.close();
                        }
                        Err(e) => self.messages.push(Message::new(Level::Error, e)),
                    }
                }
            });
        });
    }

    /// Filters timestamps in `zone` from now on: every dated layer is re-dated and the
    /// timeline and map follow.
    pub fn set_time_zone(&mut self, zone: Tz) {
        set_current(zone);
        zone.name().clone_into(&mut self.state.time_zone);
        for layer in &mut self.catalog.layers {
            if layer.time_index.is_some() {
                // Problems were reported when the layer was opened; a zone does not add any.
                let _problems = crate::model::assign_spans(layer);
            }
        }
        self.filter.update(&self.catalog);
        self.timeline.catalog_changed(&self.catalog);
        self.map.invalidate();
    }
}
