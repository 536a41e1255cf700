//! Place search: case- and accent-insensitive matching on names and alternate spellings.

use crate::model::{Catalog, FeatureRef, LayerKind};

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The feature.
    pub feature: FeatureRef,
    /// Its display name.
    pub name: String,
    /// The spelling that matched, when it is an alternate name.
    pub matched_alt: Option<String>,
    /// The layer's name.
    pub layer: String,
}

/// Folds text for matching: lower case, accents and apostrophes removed, `-` as space.
fn fold(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ā' | 'Á' | 'Ā' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' | 'ē' | 'É' => Some('e'),
            'í' | 'ì' | 'î' | 'ï' | 'ī' => Some('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'ō' => Some('o'),
            'ú' | 'ù' | 'û' | 'ü' | 'ū' => Some('u'),
            'ʼ' | '\'' | '’' | 'ʻ' | '`' => None,
            '-' | '_' => Some(' '),
            c => Some(c),
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Layers with more features than this are searched by name only when they are held decoded:
/// a big event export (its names are the places' names anyway) would cost a decode of every
/// feature per keystroke.
pub const SEARCH_MAX_PACKED: usize = 50_000;

/// Features whose name or alternate name contains `query`, best first: name prefix, alternate
/// prefix, then substring; places before other layers. At most `limit` hits.
pub fn search(catalog: &Catalog, query: &str, limit: usize) -> Vec<SearchHit> {
    let q = fold(query.trim());
    if q.chars().count() < 2 {
        return Vec::new();
    }
    let mut scored: Vec<(u32, SearchHit)> = Vec::new();
    for (li, layer) in catalog.layers.iter().enumerate() {
        let layer_rank = match layer.kind {
            LayerKind::Places => 0,
            LayerKind::Regions => 1,
            LayerKind::Districts | LayerKind::Provinces | LayerKind::Countries => 2,
            _ => 3,
        };
        if layer.features.len() > SEARCH_MAX_PACKED && layer.features.is_packed(0) {
            continue;
        }
        for (fi, f) in layer.features.iter().enumerate() {
            let name = f.display_name(layer.label_field.as_deref());
            let folded = fold(&name);
            let mut best: Option<(u32, Option<String>)> = None;
            if folded.starts_with(&q) {
                best = Some((0, None));
            } else {
                for alt in f.alt_names() {
                    let a = fold(&alt);
                    if a.starts_with(&q) {
                        best = Some((1, Some(alt)));
                        break;
                    }
                    if best.is_none() && a.contains(&q) {
                        best = Some((3, Some(alt)));
                    }
                }
                if best.is_none() && folded.contains(&q) {
                    best = Some((2, None));
                }
            }
            if let Some((score, matched_alt)) = best {
                scored.push((
                    score * 10 + layer_rank,
                    SearchHit {
                        feature: crate::model::FeatureRef { layer: li, feature: fi },
                        name,
                        matched_alt,
                        layer: layer.name.clone(),
                    },
                ));
            }
        }
    }
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    scored.into_iter().take(limit).map(|(_, h)| h).collect()
}

/// The last search: its text, the layers it ran over (uid, feature count) and its hits.
type CachedSearch = (String, Vec<(u64, usize)>, Vec<SearchHit>);

/// The search box in the menu bar with a drop-down of matches: a click on one flies to it,
/// as Enter does to the one highlighted (the best, or the one Up and Down moved to). Matches
/// of the same name in the same layer (two districts named Baharak) say where each is.
///
/// Found by a new user: a click on a match did nothing (the box lost the focus as the button
/// went down, and the list, shown only while the box had it, was gone before the click ended),
/// Down did not move through the list, and the second of two "Fayzabad" districts could not be
/// told from the first, nor reached.
pub fn search_box_ui(ui: &mut egui::Ui, catalog: &Catalog, text: &mut String) -> Vec<super::Command> {
    let mut commands = Vec::new();
    let edit = egui::TextEdit::singleline(text).hint_text("Search places (e.g. Shaymak, Aivadzh)").desired_width(260.0);
    let response = ui.add(edit).on_hover_text("Search");
    let response = response.labelled_by(ui.label("Search").id);
    // Searched when the text or the layers change, not every frame.
    let key = egui::Id::unique("search-hits");
    let stamp: Vec<(u64, usize)> = catalog.layers.iter().map(|l| (l.uid, l.features.len())).collect();
    let cached: Option<CachedSearch> = ui.data(|d| d.get_temp(key));
    let hits = match cached {
        Some((q, s, hits)) if q == *text && s == stamp => hits,
        _ => {
            let hits = search(catalog, text, 12);
            ui.data_mut(|d| d.insert_temp(key, (text.clone(), stamp, hits.clone())));
            hits
        }
    };
    // Whether the list is open, and the match highlighted.
    let state = egui::Id::unique("search-list");
    let (mut open, mut pick): (bool, usize) = ui.data(|d| d.get_temp(state)).unwrap_or_default();
    if response.changed() {
        pick = 0;
    }
    if response.has_focus() {
        open = true;
        let (down, up) = ui.input(|i| (i.key_pressed(egui::Key::ArrowDown), i.key_pressed(egui::Key::ArrowUp)));
        if down {
            pick = (pick + 1).min(hits.len().saturating_sub(1));
        } else if up {
            pick = pick.saturating_sub(1);
        }
    }
    pick = pick.min(hits.len().saturating_sub(1));
    if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
        if let Some(hit) = hits.get(pick) {
            commands.push(super::Command::FlyTo(hit.feature));
        }
        ui.data_mut(|d| d.insert_temp(state, (false, 0_usize)));
        return commands;
    }
    if open && !hits.is_empty() {
        let labels = hit_labels(catalog, &hits);
        let popup_pos = response.rect.left_bottom();
        let area = egui::Area::new(egui::Id::unique("search-results"))
            .fixed_pos(popup_pos)
            .order(egui::Order::Foreground)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_min_width(260.0);
                    for (k, (hit, label)) in hits.iter().zip(labels).enumerate() {
                        let entry = ui.selectable_label(k == pick, label);
                        if entry.hovered() {
                            pick = k;
                        }
                        if entry.clicked() {
                            commands.push(super::Command::FlyTo(hit.feature));
                            open = false;
                        }
                    }
                });
            });
        // The list stays while a press on it is under way (the press took the focus from the
        // box), and closes once the focus and the pointer are elsewhere.
        let pressing_on_list = area.response.contains_pointer() && ui.input(|i| i.pointer.any_down());
        if !response.has_focus() && !pressing_on_list && !area.response.contains_pointer() {
            open = false;
        }
    } else if !response.has_focus() {
        open = false;
    }
    ui.data_mut(|d| d.insert_temp(state, (open, pick)));
    commands
}

/// What the list says of each match: its name (and the alternate spelling matched), its
/// layer, and, for names that more than one match of the same layer share, where it is.
fn hit_labels(catalog: &Catalog, hits: &[SearchHit]) -> Vec<String> {
    hits.iter()
        .map(|hit| {
            let alt = hit.matched_alt.as_ref().map(|a| format!(" (also {a})")).unwrap_or_default();
            let shared = hits.iter().filter(|h| h.name == hit.name && h.layer == hit.layer).count() > 1;
            let place = catalog
                .feature(hit.feature)
                .and_then(|f| f.shape.anchor())
                .filter(|_| shared)
                .map(|anchor| {
                    let (lon, lat) = crate::spatial::geo_from_world(anchor);
                    let (ns, ew) = (if lat < 0.0 { 'S' } else { 'N' }, if lon < 0.0 { 'W' } else { 'E' });
                    format!(" ({:.2}° {ns}, {:.2}° {ew})", lat.abs(), lon.abs())
                })
                .unwrap_or_default();
            format!("{}{alt} — {}{place}", hit.name, hit.layer)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_hyphens() {
        assert_eq!(fold("Qal'ai-Khumb"), "qalai khumb");
        assert_eq!(fold("Fayzābād"), "fayzabad");
    }
}
