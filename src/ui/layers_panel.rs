//! The layers panel: every layer with its visibility, feature count, opacity, date fields and
//! style; layers reorder by drag (or Move up / Move down).

use super::command::{Command, EditIntent};
use crate::model::{
    Catalog, Categories, Layer, LayerKind, LayerSource, LayerStyleOverride, LayerUid, PALETTE, PointShape, PointView,
    Rgba, TimeFilter, category_key, date_fields_of,
};

/// What the layers panel needs to know about editing and the map.
pub struct EditingInfo<'a> {
    /// The layer being edited.
    pub layer: Option<LayerUid>,
    /// Whether a layer has unsaved edits.
    pub dirty: &'a dyn Fn(LayerUid) -> bool,
    /// The layers (by position) the map draws as densities now.
    pub density_layers: &'a [usize],
}

/// Most values a categorised style lists (the rest keep the layer's colour).
pub const MAX_CATEGORIES: usize = 12;

/// Draws the layer list, top layer first.
pub fn layers_ui(
    ui: &mut egui::Ui,
    catalog: &Catalog,
    filter: &TimeFilter,
    loading: usize,
    editing: &EditingInfo<'_>,
    open_settings: &mut Option<LayerUid>,
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
        let top = catalog.layers.len().saturating_sub(1);
        for (i, layer) in catalog.layers.iter().enumerate().rev() {
            ui.push_id(("layer", layer.uid), |ui| {
                let (shown, total) = filter.counts(catalog, i);
                let row = ui.horizontal(|ui| {
                    // Drag the handle onto another layer's row to move this layer there.
                    ui.dnd_drag_source(ui.scope_id().with(("drag layer", layer.uid)), layer.uid, |ui| {
                        ui.weak("::").on_hover_text("Drag to reorder");
                    });
                    let mut visible = layer.visible;
                    if ui.checkbox(&mut visible, &layer.name).changed() {
                        commands.push(Command::SetVisible(layer.uid, visible));
                    }
                    let n = |n: usize| super::load_progress::thousands(n as u64);
                    let count = if layer.time_index.is_some() && filter.range.is_some() {
                        format!("{} of {}", n(shown), n(total))
                    } else {
                        n(total)
                    };
                    // A dated layer's count keeps the room of its widest form ("all of all"), so
                    // that choosing a range or playing through one does not widen the panel and
                    // shift the map at every step.
                    let room = layer.time_index.is_some().then(|| {
                        let widest = format!("{} of {}", n(total), n(total));
                        let font = egui::TextStyle::Body.resolve(ui.style());
                        ui.painter().layout_no_wrap(widest, font, egui::Color32::WHITE).size().x
                    });
                    let hover = format!("{} · {}", layer.kind.label(), layer.source);
                    match room {
                        Some(width) => {
                            let size = egui::vec2(width, ui.spacing().interact_size.y);
                            let layout = egui::Layout::left_to_right(egui::Align::Center);
                            ui.allocate_ui_with_layout(size, layout, |ui| {
                                ui.set_min_width(width);
                                ui.weak(count).on_hover_text(hover);
                            });
                        }
                        None => {
                            ui.weak(count).on_hover_text(hover);
                        }
                    }
                    if (editing.dirty)(layer.uid) {
                        ui.colored_label(egui::Color32::from_rgb(200, 110, 0), "unsaved");
                    }
                });
                if let Some(dragged) = row.response.dnd_release_payload::<LayerUid>()
                    && *dragged != layer.uid
                {
                    commands.push(Command::MoveLayer { layer: *dragged, to: i });
                }
                // The open section is remembered by layer uid, so it stays with its layer when
                // layers are added, removed or reordered.
                let is_open = *open_settings == Some(layer.uid);
                let header =
                    egui::CollapsingHeader::new("settings").id_salt(("settings", layer.uid)).open(Some(is_open));
                let section = header.show(ui, |ui| {
                    let mut opacity = layer.opacity;
                    if ui.add(egui::Slider::new(&mut opacity, 0.0..=1.0).text("opacity")).changed() {
                        commands.push(Command::SetOpacity(layer.uid, opacity));
                    }
                    ui.small(format!("source: {}", layer.source));
                    if !matches!(layer.kind, LayerKind::Events | LayerKind::Aid) {
                        date_fields_ui(ui, layer, &mut commands);
                    }
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(i < top, egui::Button::new("Move up"))
                            .on_hover_text("Draw above the layer over it")
                            .clicked()
                        {
                            commands.push(Command::MoveLayer { layer: layer.uid, to: i + 1 });
                        }
                        if ui
                            .add_enabled(i > 0, egui::Button::new("Move down"))
                            .on_hover_text("Draw below the layer under it")
                            .clicked()
                        {
                            commands.push(Command::MoveLayer { layer: layer.uid, to: i - 1 });
                        }
                    });
                    style_ui(ui, layer, editing.density_layers.contains(&i), &mut commands);
                    ui.horizontal(|ui| {
                        if editing.layer == Some(layer.uid) {
                            if ui.button("Stop editing").clicked() {
                                commands.push(Command::Edit(EditIntent::StopEditing));
                            }
                        } else if ui
                            .button("Edit layer")
                            .on_hover_text(
                                "Shipped layers are edited as a user copy; the originals are never overwritten",
                            )
                            .clicked()
                        {
                            commands.push(Command::Edit(EditIntent::StartEditing(layer.uid)));
                        }
                        if matches!(layer.source, LayerSource::File(_) | LayerSource::Store { .. })
                            && ui.button("Remove layer").clicked()
                        {
                            commands.push(Command::RemoveLayer(layer.uid));
                        }
                    });
                });
                if section.header_response.clicked() {
                    *open_settings = if is_open { None } else { Some(layer.uid) };
                }
            });
        }
    });
    commands
}

/// The layer's style: colours, widths, point symbol, categories and labels. Every change is a
/// [`Command::SetStyle`] (saved in projects, applied by the renderer and exports).
fn style_ui(ui: &mut egui::Ui, layer: &Layer, drawn_as_density: bool, commands: &mut Vec<Command>) {
    let current = layer.style.clone().unwrap_or_default();
    let mut style = current.clone();
    let defaults = crate::render::default_style_of(layer);
    // Found walking the app: a districts file offered point size, shape and density, which
    // change nothing on its areas. They show for a layer with points, or none yet.
    let points = layer.index.has_points() || layer.features.is_empty();
    ui.separator();
    ui.label(egui::RichText::new("Style").strong());
    // What the map does: the kind's own colouring (events by event type, aid by donor)
    // until the analyst picks one colour or a property of their own.
    let standard = category_key(layer.kind).map(|key| format!("{key} (standard colours)"));
    let colouring = Colouring::of(&style, standard.is_some());
    egui::Grid::new(("style", layer.uid)).num_columns(2).show(ui, |ui| {
        let fill_hint = if colouring == Colouring::Standard {
            "Points now have their standard colours (see Colour by); a fill colour draws them all in it"
        } else {
            "Fill colour"
        };
        // An area layer shows the fill its areas are drawn with (the districts' is clear), not
        // the point colour: found walking the app, a districts file showed a blue swatch over
        // outlined districts.
        colour_row(ui, "Fill colour", &mut style.fill, crate::render::default_fill_of(layer).0, fill_hint);
        colour_row(ui, "Stroke colour", &mut style.stroke, defaults.stroke.0, "Stroke colour");
        let label = ui.label("Line width");
        let mut width = style.stroke_width.unwrap_or(defaults.stroke_pts);
        if ui
            .add(egui::DragValue::new(&mut width).range(0.0..=20.0).speed(0.1).suffix(" pt"))
            .labelled_by(label.id)
            .changed()
        {
            style.stroke_width = Some(width);
        }
        ui.end_row();
        if points {
            let label = ui.label("Point size");
            let mut size = style.point_size.unwrap_or(defaults.radius_pts);
            if ui
                .add(egui::DragValue::new(&mut size).range(1.0..=30.0).speed(0.1).suffix(" pt"))
                .labelled_by(label.id)
                .changed()
            {
                style.point_size = Some(size);
            }
            ui.end_row();
        }
    });
    if points {
        point_style_ui(ui, layer, &mut style, drawn_as_density);
    }
    let properties = property_names(layer);
    let by = match (&colouring, &standard) {
        (Colouring::Standard, Some(text)) => text.clone(),
        (Colouring::Property(p), _) => p.clone(),
        _ => "one colour".to_owned(),
    };
    // Its label above it: the chooser takes the section's width, so "event_type (standard
    // colours)" is read whole in a panel of the default width.
    let colour_label = ui.label("Colour by");
    let chooser = egui::ComboBox::from_id_salt(("categories", layer.uid))
        .selected_text(&by)
        .width((ui.available_width() - 24.0).max(120.0))
        .truncate()
        .show_ui(ui, |ui| {
            if let Some(text) = &standard
                && ui
                    .selectable_label(colouring == Colouring::Standard, text)
                    .on_hover_text("Each value in its own colour, as in the legend")
                    .clicked()
            {
                style.categories = None;
                style.fill = None;
            }
            if ui.selectable_label(colouring == Colouring::One, "one colour").clicked() {
                style.categories = None;
                // The fill colour is what makes a kind with standard colours one colour.
                if standard.is_some() && style.fill.is_none() {
                    style.fill = Some(defaults.marker_fill.0);
                }
            }
            for p in &properties {
                if ui.selectable_label(by == *p, p).clicked() {
                    style.categories = Some(categories_of(layer, p));
                }
            }
        });
    chooser.response.labelled_by(colour_label.id).on_hover_text(&by);
    let label_text = style.label.clone().unwrap_or_else(|| "default".to_owned());
    egui::ComboBox::new(("labels", layer.uid), "Labels").selected_text(&label_text).show_ui(ui, |ui| {
        if ui.selectable_label(style.label.is_none(), "default").clicked() {
            style.label = None;
        }
        for p in &properties {
            if ui.selectable_label(style.label.as_ref() == Some(p), p).clicked() {
                style.label = Some(p.clone());
            }
        }
    });
    if let Some(c) = &mut style.categories {
        egui::CollapsingHeader::new(format!("palette ({} values)", c.colours.len()))
            .id_salt(("palette", layer.uid))
            .show(ui, |ui| {
                for (value, colour) in &mut c.colours {
                    ui.horizontal(|ui| {
                        let mut c32 = egui::Color32::from_rgba_unmultiplied(colour[0], colour[1], colour[2], colour[3]);
                        if egui::widgets::color_picker::color_edit_button_srgba(
                            ui,
                            &mut c32,
                            egui::color_picker::Alpha::Opaque,
                        )
                        .on_hover_text(value.as_str())
                        .changed()
                        {
                            *colour = c32.to_srgba_unmultiplied();
                        }
                        ui.label(value.as_str());
                    });
                }
            });
    }
    if ui.add_enabled(!current.is_empty(), egui::Button::new("Reset style")).clicked() {
        style = LayerStyleOverride { extra: current.extra.clone(), ..LayerStyleOverride::default() };
    }
    if style != current {
        commands.push(Command::SetStyle(layer.uid, (!style.is_empty()).then(|| Box::new(style))));
    }
}

/// The point settings of a layer with points: symbol shape, and points or density.
fn point_style_ui(ui: &mut egui::Ui, layer: &Layer, style: &mut LayerStyleOverride, drawn_as_density: bool) {
    // Choosers with their label on the right (egui's combo box names itself by it).
    let shape_text = style.point_shape.map_or("default", PointShape::name);
    egui::ComboBox::new(("shape", layer.uid), "Point shape").selected_text(shape_text).show_ui(ui, |ui| {
        if ui.selectable_label(style.point_shape.is_none(), "default").clicked() {
            style.point_shape = None;
        }
        for shape in PointShape::ALL {
            if ui.selectable_label(style.point_shape == Some(shape), shape.name()).clicked() {
                style.point_shape = Some(shape);
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Draw points as");
        for (view, text, tip) in [
            (None, "Auto", "Density when more than 2,000 points are in view"),
            (Some(PointView::Points), "Points", "One symbol per feature"),
            (Some(PointView::Density), "Density", "Hexagons coloured by the number of features in the date range"),
        ] {
            if ui.selectable_label(style.point_view == view, text).on_hover_text(tip).clicked() {
                style.point_view = view;
            }
        }
    });
    if drawn_as_density && style.point_view != Some(PointView::Points) {
        // Until the map is drawn again with points (a frame or two later).
        ui.weak("Drawn now as hexagons coloured by how many features each holds (see the legend); the colours below are for points.");
    }
}

/// How a layer's points are coloured, as the Style section's "Colour by" says it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Colouring {
    /// The kind's own categories and colours (events by event type, aid by donor).
    Standard,
    /// Every point in the fill colour.
    One,
    /// The analyst's palette for a property.
    Property(String),
}

impl Colouring {
    /// What `style` draws for a layer whose kind has standard colours (or not): a palette
    /// wins, then a fill colour, then the kind's colours.
    fn of(style: &LayerStyleOverride, has_standard: bool) -> Self {
        match (&style.categories, style.fill) {
            (Some(c), _) => Self::Property(c.property.clone()),
            (None, None) if has_standard => Self::Standard,
            _ => Self::One,
        }
    }
}

/// A colour button for an optional colour override (the default shown when unset).
fn colour_row(ui: &mut egui::Ui, label: &str, value: &mut Option<Rgba>, default: Rgba, hint: &str) {
    ui.label(label);
    let c = value.unwrap_or(default);
    let mut c32 = egui::Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3]);
    let response =
        egui::widgets::color_picker::color_edit_button_srgba(ui, &mut c32, egui::color_picker::Alpha::OnlyBlend);
    if response.on_hover_text(hint).changed() {
        *value = Some(c32.to_srgba_unmultiplied());
    }
    ui.end_row();
}

/// Property names of a layer's features (the first 500 features), sorted.
pub fn property_names(layer: &Layer) -> Vec<String> {
    let mut names: Vec<String> =
        layer.features.iter().take(500).flat_map(|f| f.properties.keys().cloned().collect::<Vec<_>>()).collect();
    names.sort();
    names.dedup();
    names
}

/// Features read for a palette's values: a million-event layer is not decoded on a click.
const PALETTE_SCAN: usize = 5_000;

/// A palette for `property`: its first [`MAX_CATEGORIES`] distinct values, in feature order,
/// with well-separated colours. The kind's own category (events' `event_type`) comes from the
/// layer's interned names; other properties from the first [`PALETTE_SCAN`] features.
pub fn categories_of(layer: &Layer, property: &str) -> Categories {
    let mut colours: Vec<(String, Rgba)> = Vec::new();
    if category_key(layer.kind) == Some(property) && layer.categories.len() == layer.features.len() {
        for v in layer.category_names.iter().filter(|v| !v.trim().is_empty()).take(MAX_CATEGORIES) {
            let colour = PALETTE.get(colours.len() % PALETTE.len()).copied().unwrap_or([102, 102, 102, 255]);
            colours.push((v.clone(), colour));
        }
        return Categories { property: property.to_owned(), colours };
    }
    for f in layer.features.iter().take(PALETTE_SCAN) {
        if colours.len() >= MAX_CATEGORIES {
            break;
        }
        let Some(v) = f.prop_text(property).filter(|v| !v.trim().is_empty()) else { continue };
        if !colours.iter().any(|(x, _)| *x == v) {
            let colour = PALETTE.get(colours.len() % PALETTE.len()).copied().unwrap_or([102, 102, 102, 255]);
            colours.push((v, colour));
        }
    }
    Categories { property: property.to_owned(), colours }
}

/// Lets the analyst make a layer temporal by choosing its date field(s).
fn date_fields_ui(ui: &mut egui::Ui, layer: &crate::model::Layer, commands: &mut Vec<Command>) {
    let candidates = date_fields_of(layer);
    if candidates.is_empty() {
        return;
    }
    let current = layer.date_fields.clone();
    let start_text = current.as_ref().map_or_else(|| "not dated".to_owned(), |(s, _)| s.clone());
    egui::ComboBox::from_label("date field").selected_text(start_text).show_ui(ui, |ui| {
        if ui.selectable_label(current.is_none(), "not dated").clicked() {
            commands.push(Command::SetDateFields(layer.uid, None));
        }
        for c in &candidates {
            let selected = current.as_ref().is_some_and(|(s, _)| s == c);
            if ui.selectable_label(selected, c).clicked() {
                commands.push(Command::SetDateFields(layer.uid, Some((c.clone(), None))));
            }
        }
    });
    if let Some((start, end)) = &current {
        let end_text = end.clone().unwrap_or_else(|| "none".to_owned());
        egui::ComboBox::from_label("end field").selected_text(end_text).show_ui(ui, |ui| {
            if ui.selectable_label(end.is_none(), "none").clicked() {
                commands.push(Command::SetDateFields(layer.uid, Some((start.clone(), None))));
            }
            for c in candidates.iter().filter(|c| *c != start) {
                if ui.selectable_label(end.as_ref() == Some(c), c).clicked() {
                    commands.push(Command::SetDateFields(layer.uid, Some((start.clone(), Some(c.clone())))));
                }
            }
        });
    }
}
