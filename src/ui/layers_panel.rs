//! The layers panel: every layer with its visibility, feature count, opacity and date fields.

use super::command::Command;
use crate::model::{Catalog, LayerKind, LayerSource, LayerUid, TimeFilter, date_fields_of};

/// What the layers panel needs to know about editing.
pub struct EditingInfo<'a> {
    /// The layer being edited.
    pub layer: Option<LayerUid>,
    /// Whether a layer has unsaved edits.
    pub dirty: &'a dyn Fn(LayerUid) -> bool,
}

/// Draws the layer list, top layer first.
pub fn layers_ui(
    ui: &mut egui::Ui,
    catalog: &Catalog,
    filter: &TimeFilter,
    loading: usize,
    editing: &EditingInfo<'_>,
) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading("Layers");
    if loading > 0 {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("loading {loading} file(s)…"));
        });
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for (i, layer) in catalog.layers.iter().enumerate().rev() {
            ui.push_id(("layer", i), |ui| {
                let (shown, total) = filter.counts(catalog, i);
                ui.horizontal(|ui| {
                    let mut visible = layer.visible;
                    if ui.checkbox(&mut visible, &layer.name).changed() {
                        commands.push(Command::SetVisible(i, visible));
                    }
                    let count = if layer.time_index.is_some() && filter.range.is_some() {
                        format!("{shown} of {total}")
                    } else {
                        format!("{total}")
                    };
                    ui.weak(count).on_hover_text(format!("{} · {}", layer.kind.label(), layer.source));
                    if (editing.dirty)(layer.uid) {
                        ui.colored_label(egui::Color32::from_rgb(200, 110, 0), "unsaved");
                    }
                });
                egui::CollapsingHeader::new("settings").id_salt(("settings", i)).show(ui, |ui| {
                    let mut opacity = layer.opacity;
                    if ui.add(egui::Slider::new(&mut opacity, 0.0..=1.0).text("opacity")).changed() {
                        commands.push(Command::SetOpacity(i, opacity));
                    }
                    ui.small(format!("source: {}", layer.source));
                    if !matches!(layer.kind, LayerKind::Events | LayerKind::Aid) {
                        date_fields_ui(ui, i, layer, &mut commands);
                    }
                    ui.horizontal(|ui| {
                        if editing.layer == Some(layer.uid) {
                            if ui.button("Stop editing").clicked() {
                                commands.push(Command::StopEditing);
                            }
                        } else if ui
                            .button("Edit layer")
                            .on_hover_text(
                                "Shipped layers are edited as a user copy; the originals are never overwritten",
                            )
                            .clicked()
                        {
                            commands.push(Command::StartEditing(i));
                        }
                        if matches!(layer.source, LayerSource::File(_)) && ui.button("Remove layer").clicked() {
                            commands.push(Command::RemoveLayer(i));
                        }
                    });
                });
            });
        }
    });
    commands
}

/// Lets the analyst make a layer temporal by choosing its date field(s).
fn date_fields_ui(ui: &mut egui::Ui, i: usize, layer: &crate::model::Layer, commands: &mut Vec<Command>) {
    let candidates = date_fields_of(layer);
    if candidates.is_empty() {
        return;
    }
    let current = layer.date_fields.clone();
    let start_text = current.as_ref().map_or_else(|| "not dated".to_owned(), |(s, _)| s.clone());
    egui::ComboBox::from_label("date field").selected_text(start_text).show_ui(ui, |ui| {
        if ui.selectable_label(current.is_none(), "not dated").clicked() {
            commands.push(Command::SetDateFields(i, None));
        }
        for c in &candidates {
            let selected = current.as_ref().is_some_and(|(s, _)| s == c);
            if ui.selectable_label(selected, c).clicked() {
                commands.push(Command::SetDateFields(i, Some((c.clone(), None))));
            }
        }
    });
    if let Some((start, end)) = &current {
        let end_text = end.clone().unwrap_or_else(|| "none".to_owned());
        egui::ComboBox::from_label("end field").selected_text(end_text).show_ui(ui, |ui| {
            if ui.selectable_label(end.is_none(), "none").clicked() {
                commands.push(Command::SetDateFields(i, Some((start.clone(), None))));
            }
            for c in candidates.iter().filter(|c| *c != start) {
                if ui.selectable_label(end.as_ref() == Some(c), c).clicked() {
                    commands.push(Command::SetDateFields(i, Some((start.clone(), Some(c.clone())))));
                }
            }
        });
    }
}
