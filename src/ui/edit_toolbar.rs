//! The edit toolbar over the map (tools, undo and redo, save, journal) and the editing
//! keyboard shortcuts.

use super::app::AtlasApp;
use super::command::{Command, EditIntent};
use super::editor::Tool;
use super::jobs::JobKind;

impl AtlasApp {
    /// The edit toolbar, a strip across the window under the menu bar while a layer is being
    /// edited.
    ///
    /// Its layout never moves under the pointer: it spans the window rather than the map, so
    /// opening, closing or resizing the side panels leaves every button where it was; the
    /// layer's name and the save state have slots of fixed width, and buttons that do not apply
    /// are disabled, never hidden, so an edit, a save or a selection changes no position. Only
    /// the window's width chooses the layout: when the name, the state and the tools do not fit
    /// on one row, the name and the state take a row of their own above the tools, so no button
    /// is cut off at the window's edge. "Delete feature", the one destructive
    /// button, sits alone at the end of the second row, after a gap and in red, away from Undo,
    /// Redo and the save buttons a quick click aims at (and Ctrl+Z brings a deleted feature back).
    pub(crate) fn edit_toolbar_ui(&self, ui: &mut egui::Ui) -> Vec<Command> {
        let mut commands = Vec::new();
        let Some(uid) = self.editor.layer else { return commands };
        let Some(layer) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else { return commands };
        let row_height = ui.spacing().interact_size.y;
        let fixed = |ui: &mut egui::Ui, width: f32, add: &mut dyn FnMut(&mut egui::Ui)| {
            ui.allocate_ui_with_layout(
                egui::vec2(width, row_height),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_min_size(egui::vec2(width, row_height));
                    ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
                    add(ui);
                },
            );
        };
        // Not in a scroll area: that would take its height from the frame before, and the first
        // frame after Edit layer would show only the first row.
        let spacing = ui.spacing().item_spacing.x;
        #[expect(clippy::cast_precision_loss, reason = "seven tools")]
        let tools_width = Tool::ALL.len() as f32 * (TOOL_WIDTH + spacing);
        let one_row = ui.available_width() >= NAME_WIDTH + STATE_WIDTH + 4.0 * spacing + SEPARATOR_WIDTH + tools_width;
        ui.vertical(|ui| {
            let head = |ui: &mut egui::Ui| {
                fixed(ui, NAME_WIDTH, &mut |ui| {
                    ui.add(
                        egui::Label::new(egui::RichText::new(format!("Editing {}", layer.name)).strong()).truncate(),
                    )
                    .on_hover_text(&layer.name);
                });
                fixed(ui, STATE_WIDTH, &mut |ui| {
                    if self.jobs.busy(JobKind::Save, Some(uid)) {
                        ui.spinner();
                        ui.weak("saving…");
                    } else if self.history.is_dirty(uid) {
                        ui.colored_label(egui::Color32::from_rgb(200, 110, 0), "unsaved changes");
                    } else {
                        ui.weak("saved");
                    }
                });
            };
            let mut tools = |ui: &mut egui::Ui| {
                for tool in Tool::ALL {
                    if ui
                        .add_sized(
                            [TOOL_WIDTH, row_height],
                            egui::Button::selectable(self.editor.tool == tool, tool.label()),
                        )
                        .on_hover_text(tool_hint(tool))
                        .clicked()
                    {
                        commands.push(Command::Edit(EditIntent::SetTool(tool)));
                    }
                }
            };
            if one_row {
                ui.horizontal(|ui| {
                    head(ui);
                    ui.separator();
                    tools(ui);
                });
            } else {
                ui.horizontal(head);
                ui.horizontal(&mut tools);
            }
            ui.horizontal(|ui| {
                let button = |ui: &mut egui::Ui, enabled: bool, text: egui::WidgetText| {
                    ui.add_enabled(enabled, egui::Button::new(text).min_size(egui::vec2(BUTTON_WIDTH, row_height)))
                };
                let undo = self
                    .history
                    .undo_description_for(uid)
                    .map_or_else(|| "Nothing to undo in this layer".to_owned(), |d| format!("Undo {d} (Ctrl+Z)"));
                if button(ui, self.history.can_undo_layer(uid), "Undo".into()).on_hover_text(undo).clicked() {
                    commands.push(Command::Edit(EditIntent::Undo));
                }
                let redo = self
                    .history
                    .redo_description_for(uid)
                    .map_or_else(|| "Nothing to redo in this layer".to_owned(), |d| format!("Redo {d} (Ctrl+Shift+Z)"));
                if button(ui, self.history.can_redo_layer(uid), "Redo".into()).on_hover_text(redo).clicked() {
                    commands.push(Command::Edit(EditIntent::Redo));
                }
                let has_sel = self.editable_selection().is_some();
                if button(ui, has_sel, "Duplicate".into()).on_hover_text("Copy the selected feature").clicked() {
                    commands.push(Command::Edit(EditIntent::DuplicateSelected));
                }
                ui.separator();
                if button(ui, true, "Save".into()).on_hover_text("Save the layer (Ctrl+S)").clicked() {
                    commands.push(Command::Edit(EditIntent::Save(uid)));
                }
                if button(ui, true, "Save as…".into()).on_hover_text("Save the layer to a new file").clicked() {
                    commands.push(Command::Edit(EditIntent::SaveAs(uid)));
                }
                if button(ui, true, "Journal".into()).on_hover_text("Who changed what, and from which source").clicked()
                {
                    commands.push(Command::Edit(EditIntent::ShowJournal(uid)));
                }
                if button(ui, true, "Stop editing".into()).on_hover_text("Edits stay in memory until saved").clicked() {
                    commands.push(Command::Edit(EditIntent::StopEditing));
                }
                ui.separator();
                ui.add_space(DESTRUCTIVE_GAP);
                let delete = egui::RichText::new("Delete feature").color(egui::Color32::from_rgb(190, 30, 30));
                if button(ui, has_sel, delete.into())
                    .on_hover_text("Delete the selected feature (Ctrl+Z brings it back)")
                    .clicked()
                {
                    commands.push(Command::Edit(EditIntent::DeleteSelected));
                }
            });
            ui.small(tool_hint(self.editor.tool));
        });
        commands
    }

    /// Keyboard shortcuts for editing, when no text field has the keyboard.
    pub(crate) fn edit_shortcuts(&self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        if ctx.egui_wants_keyboard_input() {
            return commands;
        }
        ctx.input_mut(|i| {
            use egui::{Key, KeyboardShortcut, Modifiers};
            let redo_shift = KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
            if i.consume_shortcut(&redo_shift) || i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Y))
            {
                commands.push(Command::Edit(EditIntent::Redo));
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Z)) {
                commands.push(Command::Edit(EditIntent::Undo));
            }
            if let Some(uid) = self.editor.layer
                && i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::S))
            {
                commands.push(Command::Edit(EditIntent::Save(uid)));
            }
        });
        commands
    }
}

/// Width of the "Editing NAME" slot (a longer name is cut, in full on hover).
const NAME_WIDTH: f32 = 240.0;
/// Width of the save state ("saved", "unsaved changes", "saving…").
const STATE_WIDTH: f32 = 130.0;
/// Width of every tool button.
const TOOL_WIDTH: f32 = 100.0;
/// Room a separator takes between the state and the tools (its line and margins).
const SEPARATOR_WIDTH: f32 = 8.0;
/// Least width of every other button.
const BUTTON_WIDTH: f32 = 64.0;
/// Room between the common buttons and "Delete feature".
const DESTRUCTIVE_GAP: f32 = 48.0;

/// What a tool does and its keys (the toolbar's hint line and the tool button's tooltip).
fn tool_hint(tool: Tool) -> &'static str {
    match tool {
        Tool::Select => "Click a feature to select it and edit its attributes in the inspector.",
        Tool::Move => "Drag the selected feature to move it.",
        Tool::Vertices => "Drag a vertex; click an edge to insert one; Delete removes the vertex under the cursor.",
        Tool::AddPoint => "Click to add a point. Snaps to existing vertices.",
        Tool::DrawLine => "Click vertices; Enter or double-click finishes; Backspace removes the last; Esc cancels.",
        Tool::DrawPolygon => "Click vertices; click the first one, Enter or double-click closes; Esc cancels.",
        Tool::AddHole => "Select a polygon, then click the hole's vertices; Enter closes it.",
    }
}
