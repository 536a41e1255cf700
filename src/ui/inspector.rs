//! The inspector: every attribute of the selected feature, its sources, date and location
//! precision in words.

use serde_json::Value;

use super::attribute_form::FormState;
use super::command::Command;
use crate::model::{Catalog, FeatureRef, LayerKind};

/// Draws the inspector for `selection`.
pub fn inspector_ui(
    ui: &mut egui::Ui,
    catalog: &Catalog,
    selection: Option<FeatureRef>,
    here: &[FeatureRef],
    form: Option<&mut FormState>,
    (range, district): (Option<&crate::time::Range>, Option<&crate::geodata::DistrictSummary>),
) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading("Inspector");
    if here.len() > 1 {
        egui::CollapsingHeader::new(format!("{} features here", super::load_progress::thousands(here.len() as u64)))
            .default_open(true)
            .show(ui, |ui| {
                // Rows are laid out only where visible: a density bin can hold thousands.
                let row_height = ui.spacing().interact_size.y;
                egui::ScrollArea::vertical().id_salt("here").max_height(140.0).show_rows(
                    ui,
                    row_height,
                    here.len(),
                    |ui, rows| {
                        // Long rows are cut to the panel (whole on hover) rather than widening it.
                        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                        let several_layers = here.iter().any(|r| r.layer != here[0].layer);
                        for r in here.get(rows).unwrap_or_default() {
                            let (Some(layer), Some(f)) = (catalog.layers.get(r.layer), catalog.feature(*r)) else {
                                continue;
                            };
                            let date = f.time.map(|t| format!("{} · ", t.describe())).unwrap_or_default();
                            let name = match layer.kind {
                                LayerKind::Aid => {
                                    f.prop_str("title").map_or_else(|| f.display_name(None), str::to_owned)
                                }
                                _ => f.display_name(layer.label_field.as_deref()),
                            };
                            let text = if several_layers {
                                format!("{date}{name} ({})", layer.name)
                            } else {
                                format!("{date}{name}")
                            };
                            if ui.selectable_label(selection == Some(*r), &text).on_hover_text(&text).clicked() {
                                commands.push(Command::Select(Some(*r)));
                            }
                        }
                    },
                );
            });
        ui.separator();
    }
    let Some(sel) = selection else {
        ui.weak("Click a feature on the map to see its attributes and sources.");
        return commands;
    };
    let (Some(layer), Some(f)) = (catalog.layers.get(sel.layer), catalog.feature(sel)) else {
        ui.weak("The selected feature is no longer loaded.");
        return commands;
    };
    let name = f.display_name(layer.label_field.as_deref());
    let title = match layer.kind {
        LayerKind::Events => {
            let what = f.prop_str("sub_event_type").or_else(|| f.prop_str("event_type")).unwrap_or("Event");
            format!("{what} — {name}")
        }
        LayerKind::Aid => f.prop_str("title").map_or_else(|| name.clone(), str::to_owned),
        _ => name.clone(),
    };
    ui.label(egui::RichText::new(&title).strong().size(17.0));
    if title != name {
        ui.label(&name);
    }
    // Wrapped: a long layer name (as geoBoundaries names its files) in a plain row widened
    // the inspector and narrowed the map to half (found walking the app).
    ui.horizontal_wrapped(|ui| {
        ui.weak(format!("{} · {}", layer.name, layer.kind.label()));
        if ui.small_button("Zoom to").clicked() {
            commands.push(Command::FlyTo(sel));
        }
        if ui.small_button("Clear").clicked() {
            commands.push(Command::Select(None));
        }
    });
    if let Some(span) = f.time {
        ui.label(format!("Date: {}", date_words(&f, span)));
        if let Some(basis) = crate::geodata::date_basis(&f) {
            ui.colored_label(egui::Color32::from_rgb(190, 110, 0), basis);
        }
    }
    if layer.kind == LayerKind::Districts
        && let Some(summary) = district
    {
        district_section(ui, catalog, summary, range, &mut commands);
    }
    if let Some(p) = f.prop_f64("geo_precision") {
        // In the legend's words for the halo the map draws (`HALO_KM`): the precision says how
        // well the place is known, whatever admin columns are filled in. Found walking the
        // app: a precision-3 event with an `admin2` (as ACLED rows have) read "district level"
        // under a 40 km "province or country" halo.
        let text = match p as i64 {
            1 => "Location: exact place",
            2 => "Location approximate: known to about 10 km (near the named place, or its district)",
            _ => {
                "Location approximate: known only to the province or country (about 40 km); the point stands for the whole area"
            }
        };
        let color = if p >= 2.0 { egui::Color32::from_rgb(190, 110, 0) } else { ui.visuals().text_color() };
        ui.colored_label(color, text);
    }
    if layer.kind == LayerKind::Aid {
        let amount = f.prop_f64("amount_usd").map_or_else(|| "amount not reported".to_owned(), format_usd);
        ui.label(format!("Amount: {amount}"));
    }
    // While the form is open its own fields hold the source and notes: a block appearing
    // above the form as they are typed would move every row under the pointer.
    let editing = form.is_some();
    if let Some(source) = f.prop_text("source").filter(|t| !editing && !t.trim().is_empty()) {
        ui.separator();
        ui.label(egui::RichText::new("Source").strong());
        ui.label(source);
    }
    if let Some(notes) =
        ["notes", "note"].iter().filter_map(|k| f.prop_text(k)).find(|t| !editing && !t.trim().is_empty())
    {
        ui.separator();
        ui.label(egui::RichText::new("Notes").strong());
        ui.label(notes);
    }
    ui.separator();
    ui.label(egui::RichText::new("Attributes").strong());
    if let Some(form) = form {
        egui::ScrollArea::vertical().id_salt("form").show(ui, |ui| {
            commands.extend(super::attribute_form::attribute_form_ui(ui, form, layer, sel, &f));
        });
        return commands;
    }
    egui::ScrollArea::vertical().id_salt("attrs").show(ui, |ui| {
        // A grid per feature: one feature's column widths never lay out another's rows.
        egui::Grid::new(("attributes", sel.layer, sel.feature)).num_columns(2).striped(true).show(ui, |ui| {
            if let Some(id) = &f.id {
                ui.monospace("id");
                ui.label(id.to_string());
                ui.end_row();
            }
            // The feature id is shown once, above, even when the properties repeat it.
            for (k, v) in f.properties.iter().filter(|(k, _)| f.id.is_none() || k.as_str() != "id") {
                ui.monospace(k);
                ui.add(egui::Label::new(value_text(v)).wrap());
                ui.end_row();
            }
        });
    });
    commands
}

/// A district: its province and the events and aid inside it in the current date range.
/// A property's value as the inspector shows it: text as it is, null as a dash, a list of
/// plain values one per line (found walking the app: a district's other names read as
/// `["Nooristan","Nuristan, Wilayat-e",…]`), anything else as its JSON.
fn value_text(v: &Value) -> String {
    let plain = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some("—".to_owned()),
        Value::Bool(_) | Value::Number(_) => Some(v.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    };
    match v {
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(plain).collect::<Option<Vec<_>>>().map_or_else(|| v.to_string(), |lines| lines.join("\n"))
        }
        _ => plain(v).unwrap_or_else(|| v.to_string()),
    }
}

fn district_section(
    ui: &mut egui::Ui,
    catalog: &Catalog,
    summary: &crate::geodata::DistrictSummary,
    range: Option<&crate::time::Range>,
    commands: &mut Vec<Command>,
) {
    if !summary.province.is_empty() {
        ui.label(format!("District of {}", summary.province));
    }
    let scope = if range.is_some() { "in the date range" } else { "in all dates" };
    for (what, refs) in [("Events", &summary.events), ("Aid", &summary.aid)] {
        let count = super::load_progress::thousands(refs.len() as u64);
        ui.label(egui::RichText::new(format!("{what} inside it {scope}: {count}")).strong());
        if refs.len() > 6 {
            // Found walking the app: with five rows in view and the scroll bar hidden until
            // hovered, 136 events read as five.
            ui.weak("Newest first; scroll the list for the rest");
        }
        // Found walking the app with a 100k-event layer: a district listed its 883 events
        // one under the other, pushing its attributes out of the panel. The list scrolls in
        // a few rows, laid out only where visible, as the list of features at a click does.
        let row_height = ui.spacing().interact_size.y;
        egui::ScrollArea::vertical()
            .id_salt(("district", what))
            .max_height(6.0 * row_height)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
            .show_rows(ui, row_height, refs.len(), |ui, rows| {
                // Found walking the app: a district's long event names widened the inspector,
                // narrowing the map. They are cut to the panel, whole on hover.
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                for r in refs.get(rows).unwrap_or_default() {
                    let (Some(layer), Some(g)) = (catalog.layers.get(r.layer), catalog.feature(*r)) else { continue };
                    let date = g.time.map(|t| format!("{} · ", t.describe())).unwrap_or_default();
                    let name =
                        g.prop_str("title").map_or_else(|| g.display_name(layer.label_field.as_deref()), str::to_owned);
                    let text = format!("{date}{name}");
                    if ui.selectable_label(false, &text).on_hover_text(&text).clicked() {
                        commands.push(Command::Select(Some(*r)));
                    }
                }
            });
    }
}

/// A feature's date in words at its real precision: an aid project that started in "1991"
/// reads "from 1991 (year only), no end reported", not "from 1 Jan 1991".
pub fn date_words(f: &crate::model::Feature, span: crate::time::DateSpan) -> String {
    use crate::time::DateSpan;
    let parsed = |key: &str| f.prop_text(key).and_then(|t| DateSpan::parse(t.trim()).ok());
    // The typed date the span starts from (aid: the earlier of announced and start).
    let first =
        ["start", "announced", "event_date", "date"].iter().filter_map(|k| parsed(k)).find(|s| s.start == span.start);
    if span.is_open_ended() {
        return match first {
            Some(s) => format!("from {} ({}), no end reported", s.describe(), precision_words(s.precision)),
            None => format!("{}, no end reported", span.describe()),
        };
    }
    match (first, parsed("end").filter(|e| e.end == span.end)) {
        (Some(s), Some(e)) if s != span => format!(
            "{} ({}) to {} ({})",
            s.describe(),
            precision_words(s.precision),
            e.describe(),
            precision_words(e.precision)
        ),
        _ => format!("{} ({})", span.describe(), precision_words(span.precision)),
    }
}

fn precision_words(p: crate::time::Precision) -> &'static str {
    use crate::time::Precision;
    match p {
        Precision::Day => "exact day",
        Precision::Days => "within a few days",
        Precision::Month => "month only",
        Precision::Months => "season or several months",
        Precision::Year => "year only",
    }
}

/// `$1,100,000` style with thousands separators.
pub fn format_usd(amount: f64) -> String {
    let whole = amount.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}US${out}", if whole < 0 { "−" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_of_plain_values_are_shown_one_per_line() {
        use serde_json::json;
        assert_eq!(
            value_text(&json!(["Nooristan", "Nuristan, Wilayat-e", 3, null])),
            "Nooristan\nNuristan, Wilayat-e\n3\n—"
        );
        assert_eq!(value_text(&json!("Khorog")), "Khorog");
        assert_eq!(value_text(&json!(null)), "—");
        assert_eq!(value_text(&json!(12.5)), "12.5");
        assert_eq!(value_text(&json!([])), "[]");
        assert_eq!(value_text(&json!([[1, 2], "x"])), "[[1,2],\"x\"]");
        assert_eq!(value_text(&json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn usd_has_thousands_separators() {
        assert_eq!(format_usd(1_100_000.0), "US$1,100,000");
        assert_eq!(format_usd(300_000_000.0), "US$300,000,000");
        assert_eq!(format_usd(950.0), "US$950");
    }
}
