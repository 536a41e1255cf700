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

/// The search box in the menu bar with a drop-down of matches. Enter flies to the best one.
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
    if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
        if let Some(hit) = hits.first() {
            commands.push(super::Command::FlyTo(hit.feature));
        }
        return commands;
    }
    if response.has_focus() && !hits.is_empty() {
        let popup_pos = response.rect.left_bottom();
        egui::Area::new(egui::Id::unique("search-results")).fixed_pos(popup_pos).order(egui::Order::Foreground).show(
            ui.ctx(),
            |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_min_width(260.0);
                    for hit in &hits {
                        let alt = hit.matched_alt.as_ref().map(|a| format!(" (also {a})")).unwrap_or_default();
                        if ui.selectable_label(false, format!("{}{alt} — {}", hit.name, hit.layer)).clicked() {
                            commands.push(super::Command::FlyTo(hit.feature));
                        }
                    }
                });
            },
        );
    }
    commands
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
