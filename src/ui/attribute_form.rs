//! The attribute form of a feature in a layer being edited: typed by the layer's schema
//! (ACLED events, aid), validated before anything is committed, unknown properties as text.

use std::collections::HashMap;

use serde_json::Value;

use super::command::{Command, EditIntent};
use crate::edit::EditCommand;
use crate::model::schema::{ACLED_TYPES, AID_STATUSES, AID_TYPES, DISORDER_TYPES, sub_event_types};
use crate::model::{Feature, FeatureRef, Layer, LayerKind};
use crate::time::DateSpan;

/// Text being typed into the form, kept between frames.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    feature: Option<(u64, usize)>,
    /// Per property: the text in its field, and the value it was typed over (as text). A
    /// field is committed only over the value it was typed over: when the layer changed under
    /// it (Undo, Redo, another edit) the typing is dropped, never applied over the change.
    buffers: HashMap<String, Buffer>,
    errors: HashMap<String, String>,
    new_key: String,
    new_value: String,
}

/// A field's text and the value (as text) it was typed over.
#[derive(Debug, Default, Clone)]
struct Buffer {
    text: String,
    base: String,
}

impl FormState {
    /// Drops what is typed in every field: the fields show the layer's values again (after
    /// Undo or Redo, which change the feature under the form).
    pub fn forget_typing(&mut self) {
        self.buffers.clear();
        self.errors.clear();
    }
}

/// How a property is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Choice(&'static [&'static str]),
    Date { optional: bool },
    Integer { min: i64, max: i64 },
    Number { optional: bool },
    Text,
    ReadOnly,
}

fn field_for(kind: LayerKind, key: &str, feature: &Feature) -> Field {
    match (kind, key) {
        (LayerKind::Events, "event_type") => Field::Choice(&EVENT_TYPE_NAMES),
        (LayerKind::Events, "sub_event_type") => {
            Field::Choice(sub_event_types(feature.prop_str("event_type").unwrap_or_default()))
        }
        (LayerKind::Events, "disorder_type") => Field::Choice(&DISORDER_TYPES),
        (LayerKind::Events, "event_date") => Field::Date { optional: false },
        (LayerKind::Events, "time_precision")
        | (LayerKind::Events | LayerKind::Aid | LayerKind::Places, "geo_precision") => {
            Field::Integer { min: 1, max: 3 }
        }
        (LayerKind::Events, "fatalities") => Field::Integer { min: 0, max: 1_000_000 },
        (LayerKind::Events, "latitude" | "longitude" | "event_id_cnty") | (LayerKind::Aid, "id") => Field::ReadOnly,
        (LayerKind::Aid, "aid_type") => Field::Choice(&AID_TYPES),
        (LayerKind::Aid, "status") => Field::Choice(&AID_STATUSES),
        (LayerKind::Aid, "announced" | "start" | "end") => Field::Date { optional: true },
        (LayerKind::Aid, "amount_usd") => Field::Number { optional: true },
        _ => match feature.properties.get(key) {
            Some(Value::Number(_)) => Field::Number { optional: false },
            _ => Field::Text,
        },
    }
}

const EVENT_TYPE_NAMES: [&str; 6] =
    [ACLED_TYPES[0].0, ACLED_TYPES[1].0, ACLED_TYPES[2].0, ACLED_TYPES[3].0, ACLED_TYPES[4].0, ACLED_TYPES[5].0];

fn as_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Parses what was typed into the value to store, or says why it is refused.
fn parse_input(field: Field, text: &str, old: Option<&Value>) -> Result<Option<Value>, String> {
    let t = text.trim();
    match field {
        Field::Date { optional } => {
            if t.is_empty() {
                return if optional { Ok(Some(Value::Null)) } else { Err("a date is required".to_owned()) };
            }
            DateSpan::parse(t).map(|span| Some(Value::String(span.to_string()))).map_err(|e| e.to_string())
        }
        Field::Integer { min, max } => {
            let n: i64 = t.parse().map_err(|e| format!("`{t}` is not a whole number ({e})"))?;
            if (min..=max).contains(&n) {
                Ok(Some(Value::from(n)))
            } else {
                Err(format!("must be between {min} and {max}"))
            }
        }
        Field::Number { optional } => {
            if t.is_empty() {
                return if optional { Ok(None) } else { Err("a number is required".to_owned()) };
            }
            let t = t.replace([',', '_'], "");
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(Value::from(i)));
            }
            let f: f64 = t.parse().map_err(|e| format!("`{t}` is not a number ({e})"))?;
            serde_json::Number::from_f64(f)
                .map(|n| Some(Value::Number(n)))
                .ok_or_else(|| "not a finite number".to_owned())
        }
        Field::Text => match old {
            // Nested values stay JSON: they must parse back to JSON.
            Some(Value::Array(_) | Value::Object(_)) => {
                serde_json::from_str(t).map(Some).map_err(|e| format!("not valid JSON: {e}"))
            }
            Some(Value::Bool(_)) => match t {
                "true" => Ok(Some(Value::Bool(true))),
                "false" => Ok(Some(Value::Bool(false))),
                _ => Err("write true or false".to_owned()),
            },
            _ => Ok(Some(Value::String(text.to_owned()))),
        },
        Field::Choice(_) | Field::ReadOnly => Ok(old.cloned()),
    }
}

/// Draws the form for `feature` and returns the attribute edits to apply.
pub fn attribute_form_ui(
    ui: &mut egui::Ui,
    state: &mut FormState,
    layer: &Layer,
    sel: FeatureRef,
    feature: &Feature,
) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.feature != Some((layer.uid, sel.feature)) {
        *state = FormState { feature: Some((layer.uid, sel.feature)), ..FormState::default() };
    }
    let set_property = |key: &str, value: Option<Value>| EditCommand::SetProperty {
        layer: layer.uid,
        index: sel.feature,
        key: key.to_owned(),
        value,
    };
    let set = |key: &str, value: Option<Value>| {
        let what = if value.is_some() { format!("Set {key}") } else { format!("Remove {key}") };
        Command::Edit(EditIntent::Apply(set_property(key, value), what))
    };
    let keys: Vec<String> = feature.properties.keys().cloned().collect();
    egui::Grid::new(("form", layer.uid, sel.feature)).num_columns(2).striped(true).show(ui, |ui| {
        for key in keys {
            let field = field_for(layer.kind, &key, feature);
            let current = feature.properties.get(&key);
            let label = ui.monospace(&key);
            match field {
                Field::ReadOnly => {
                    ui.label(as_text(current)).on_hover_text("Follows the geometry or the id; not edited here");
                }
                Field::Choice(options) => {
                    let now = as_text(current);
                    let mut chosen = now.clone();
                    egui::ComboBox::from_id_salt(("choice", &key)).selected_text(&chosen).width(200.0).show_ui(
                        ui,
                        |ui| {
                            for o in options {
                                ui.selectable_value(&mut chosen, (*o).to_owned(), *o);
                            }
                        },
                    );
                    if chosen != now {
                        // Changing the event type resets an incompatible sub-type, in the same
                        // undo step: one Undo gives back both (not a new type with its old
                        // sub-type).
                        if key == "event_type"
                            && !sub_event_types(&chosen)
                                .contains(&feature.prop_str("sub_event_type").unwrap_or_default())
                        {
                            let first = sub_event_types(&chosen).first().copied().unwrap_or_default();
                            commands.push(Command::Edit(EditIntent::ApplyGroup(
                                vec![
                                    set_property(&key, Some(Value::String(chosen.clone()))),
                                    set_property("sub_event_type", Some(Value::String(first.to_owned()))),
                                ],
                                format!("Set {key}"),
                            )));
                        } else {
                            commands.push(set(&key, Some(Value::String(chosen.clone()))));
                        }
                    }
                }
                _ => {
                    let now = as_text(current);
                    let buffer = state
                        .buffers
                        .entry(key.clone())
                        .or_insert_with(|| Buffer { text: now.clone(), base: now.clone() });
                    let response =
                        ui.add(egui::TextEdit::singleline(&mut buffer.text).desired_width(200.0)).labelled_by(label.id);
                    // egui reports a lost focus on two frames: the text is committed on the
                    // first, then the field follows the layer again.
                    if response.lost_focus() && buffer.text != buffer.base {
                        if buffer.base == now {
                            match parse_input(field, &buffer.text, current) {
                                Ok(value) if value.as_ref() != current => {
                                    state.errors.remove(&key);
                                    commands.push(set(&key, value));
                                    state.buffers.remove(&key);
                                }
                                Ok(_) => {
                                    state.errors.remove(&key);
                                    state.buffers.remove(&key);
                                }
                                Err(e) => {
                                    state.errors.insert(key.clone(), e);
                                }
                            }
                        } else {
                            // The value changed under the typing (Undo, Redo): it wins.
                            state.errors.remove(&key);
                            state.buffers.remove(&key);
                        }
                    } else if !response.has_focus() && !state.errors.contains_key(&key) {
                        *buffer = Buffer { text: now.clone(), base: now };
                    }
                }
            }
            ui.end_row();
            if let Some(e) = state.errors.get(&key) {
                ui.label("");
                ui.colored_label(egui::Color32::from_rgb(200, 40, 40), e);
                ui.end_row();
            }
        }
    });
    // Wrapped, so that a narrow inspector keeps "Add" in view; Enter in the value adds it too
    // (found walking the app: the button was cut off, and Enter did nothing).
    ui.horizontal_wrapped(|ui| {
        let k = ui.label("new property");
        ui.add(egui::TextEdit::singleline(&mut state.new_key).hint_text("name").desired_width(90.0)).labelled_by(k.id);
        let v = ui.label("value");
        let value = ui
            .add(egui::TextEdit::singleline(&mut state.new_value).hint_text("value").desired_width(110.0))
            .labelled_by(v.id);
        let key = state.new_key.trim().to_owned();
        let can_add = !key.is_empty() && !feature.properties.contains_key(&key);
        let entered = value.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.add_enabled(can_add, egui::Button::new("Add")).clicked() || (can_add && entered) {
            commands.push(set(&key, Some(Value::String(state.new_value.clone()))));
            state.new_key.clear();
            state.new_value.clear();
        }
    });
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_validated_and_normalised() {
        let f = Field::Date { optional: false };
        assert_eq!(parse_input(f, "2022-05-18", None), Ok(Some(Value::from("2022-05-18"))));
        assert_eq!(parse_input(f, " 2021-07 ", None), Ok(Some(Value::from("2021-07"))));
        assert!(parse_input(f, "2022-02-30", None).is_err());
        assert!(parse_input(f, "", None).is_err());
        assert_eq!(parse_input(Field::Date { optional: true }, "", None), Ok(Some(Value::Null)));
    }

    #[test]
    fn numbers_stay_numbers_and_bounds_hold() {
        assert_eq!(parse_input(Field::Number { optional: true }, "1,100,000", None), Ok(Some(Value::from(1_100_000))));
        assert_eq!(parse_input(Field::Number { optional: true }, "", None), Ok(None));
        assert!(parse_input(Field::Integer { min: 1, max: 3 }, "4", None).is_err());
        assert_eq!(parse_input(Field::Integer { min: 0, max: 9 }, "2", None), Ok(Some(Value::from(2))));
    }

    #[test]
    fn nested_values_must_stay_json() {
        let old = serde_json::json!({"a": 1});
        assert!(parse_input(Field::Text, "{not json", Some(&old)).is_err());
        assert_eq!(parse_input(Field::Text, "{\"a\": 2}", Some(&old)), Ok(Some(serde_json::json!({"a": 2}))));
    }
}
