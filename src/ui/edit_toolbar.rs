//! The edit toolbar over the map (tools, undo and redo, save, journal) and the editing
//! keyboard shortcuts.

use super::app::AtlasApp;
use super::command::{Command, EditIntent};
use super::editor::Tool;
use super::jobs::JobKind;

impl AtlasApp {
    /// The edit toolbar over the map, when a layer is being edited.
    pub(crate) fn edit_toolbar_ui(&self, ui: &mut egui::Ui) -> Vec<Command> {
        let mut commands = Vec::new();
        let Some(uid) = self.editor.layer else { return commands };
        let Some(layer) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else { return commands };
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!("Editing {}", layer.name));
                if self.jobs.busy(JobKind::Save, Some(uid)) {
                    ui.spinner();
                    ui.weak("saving…");
                } else if self.history.is_dirty(uid) {
                    ui.colored_label(egui::Color32::from_rgb(200, 110, 0), "unsaved changes");
                } else {
                    ui.weak("saved");
                }
                ui.separator();
                for tool in Tool::ALL {
                    if ui
                        .selectable_label(self.editor.tool == tool, tool.label())
                        .on_hover_text(tool_hint(tool))
                        .clicked()
                    {
                        commands.push(Command::Edit(EditIntent::SetTool(tool)));
                    }
                }
                ui.separator();
                let undo = self
                    .history
                    .undo_description_for(uid)
                    .map_or_else(|| "Nothing to undo in this layer".to_owned(), |d| format!("Undo {d} (Ctrl+Z)"));
                let can_undo = self.history.can_undo_layer(uid);
                if ui.add_enabled(can_undo, egui::Button::new("Undo")).on_hover_text(undo).clicked() {
                    commands.push(Command::Edit(EditIntent::Undo));
                }
                let redo = self
                    .history
                    .redo_description_for(uid)
                    .map_or_else(|| "Nothing to redo in this layer".to_owned(), |d| format!("Redo {d} (Ctrl+Shift+Z)"));
                let can_redo = self.history.can_redo_layer(uid);
                if ui.add_enabled(can_redo, egui::Button::new("Redo")).on_hover_text(redo).clicked() {
                    commands.push(Command::Edit(EditIntent::Redo));
                }
                let has_sel = self.editable_selection().is_some();
                if ui
                    .add_enabled(has_sel, egui::Button::new("Delete feature"))
                    .on_hover_text("Delete the selected feature (Ctrl+Z brings it back)")
                    .clicked()
                {
                    commands.push(Command::Edit(EditIntent::DeleteSelected));
                }
                if ui
                    .add_enabled(has_sel, egui::Button::new("Duplicate"))
                    .on_hover_text("Copy the selected feature")
                    .clicked()
                {
                    commands.push(Command::Edit(EditIntent::DuplicateSelected));
                }
                ui.separator();
                if ui.button("Save").on_hover_text("Save the layer (Ctrl+S)").clicked() {
                    commands.push(Command::Edit(EditIntent::Save(uid)));
                }
                if ui.button("Save as…").on_hover_text("Save the layer to a new file").clicked() {
                    commands.push(Command::Edit(EditIntent::SaveAs(uid)));
                }
                if ui.button("Journal").on_hover_text("Who changed what, and from which source").clicked() {
                    commands.push(Command::Edit(EditIntent::ShowJournal(uid)));
                }
                if ui.button("Stop editing").on_hover_text("Edits stay in memory until saved").clicked() {
                    commands.push(Command::Edit(EditIntent::StopEditing));
                }
            });
            let hint = tool_hint(self.editor.tool);
            ui.small(hint);
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
