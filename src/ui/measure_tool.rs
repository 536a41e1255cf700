//! The measure tool (issue 11): click points on the map for a path; each leg and the total
//! are geodesic km on WGS84 (not Mercator), and three or more points also give the enclosed
//! area in km². Esc clears; View → Measure distance turns it on and off.

use super::app::AtlasApp;
use super::command::Command;
use crate::spatial::near::measure;

/// The measure tool's state.
#[derive(Debug, Clone, Default)]
pub struct MeasureTool {
    /// Whether clicks on the map add points (instead of selecting features).
    pub active: bool,
    /// The clicked points, `(lon, lat)`.
    pub points: Vec<(f64, f64)>,
}

impl AtlasApp {
    /// While measuring, a click on the map adds the point under the cursor instead of
    /// selecting what is there.
    pub(crate) fn measure_clicks(&mut self, commands: &mut Vec<Command>) {
        if !self.measure.active {
            return;
        }
        let clicks = commands.iter().filter(|c| matches!(c, Command::SelectHits(_))).count();
        commands.retain(|c| !matches!(c, Command::SelectHits(_)));
        if clicks > 0
            && let Some(p) = self.map.cursor_geo
        {
            self.measure.points.push(p);
        }
    }

    /// The View menu entry.
    pub(crate) fn measure_menu_ui(&mut self, ui: &mut egui::Ui) {
        if ui.checkbox(&mut self.measure.active, "Measure distance").clicked() {
            self.measure.points.clear();
            ui.close();
        }
    }

    /// The measured path over the map, with each leg, the total and the area.
    pub(crate) fn measure_overlay_ui(&mut self, ui: &egui::Ui) {
        if !self.measure.active {
            return;
        }
        if !self.measure.points.is_empty() && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
        {
            self.measure.points.clear();
        }
        let [ox, oy] = self.map.screen_origin;
        let to_screen = |&(lon, lat): &(f64, f64)| {
            let [x, y] = self.map.viewport.screen_from_geo(lon, lat);
            egui::pos2(x + ox, y + oy)
        };
        let screen: Vec<egui::Pos2> = self.measure.points.iter().map(to_screen).collect();
        let m = measure(&self.measure.points);
        let painter = ui.painter();
        let colour = egui::Color32::from_rgb(0xe0, 0x11, 0x5f);
        painter.add(egui::Shape::line(screen.clone(), egui::Stroke::new(2.5, colour)));
        for (i, p) in screen.iter().enumerate() {
            painter.circle_filled(*p, 4.0, colour);
            if let (Some(next), Some(km)) = (screen.get(i + 1), m.legs_km.get(i)) {
                let mid = egui::pos2(f32::midpoint(p.x, next.x), f32::midpoint(p.y, next.y));
                painter.text(
                    mid,
                    egui::Align2::CENTER_BOTTOM,
                    format!("{km:.2} km"),
                    egui::FontId::proportional(13.0),
                    colour,
                );
            }
        }
        let area = m.area_km2.map(|a| format!("; area if closed {a:.1} km²")).unwrap_or_default();
        let text = format!(
            "Measure: {} legs, total {:.2} km{area} (geodesic, WGS84; Esc clears)",
            m.legs_km.len(),
            m.total_km
        );
        egui::Window::new("Measure")
            .title_bar(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -40.0])
            .show(ui.ctx(), |ui| ui.label(text));
    }
}
