//! Label placement: greedy by priority, trying positions around each anchor, never overlapping.

use super::{Color, Label, text_width_pts};

/// A label that would like to be drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelCandidate {
    /// The text.
    pub text: String,
    /// Anchors in screen points, tried in order: a point symbol's centre, or several points
    /// inside an area.
    pub anchors: Vec<[f32; 2]>,
    /// Lower is placed first.
    pub priority: u32,
    /// Font size in points.
    pub font_pts: f32,
    /// Distance from the anchor to the text, for point labels; `None` centres the text on it.
    pub offset_pts: Option<f32>,
    /// Text colour.
    pub color: Color,
    /// Halo colour.
    pub halo: Color,
    /// Italic.
    pub italic: bool,
    /// For a point label: which of its [`point_positions`] keep the text on the anchor's side
    /// of a border (`None`: all of them). Tried first; the others only if none of these fits.
    pub allowed: Option<[bool; 8]>,
}

/// Where a point label's text may go around `anchor`, `d` away, in the order tried: right,
/// left, above, below, then the four diagonals. Each is the text box's top-left corner.
///
/// A diagonal's box has its corner `d - 1` from the anchor on both axes: with `d` the symbol's
/// radius plus 3 (as the builder gives it), the padded box just clears the symbol's square.
/// At `0.7 d` (before) it always overlapped it, and the symbol, an obstacle of the label's own
/// importance, ruled out every diagonal.
pub fn point_positions([ax, ay]: [f32; 2], d: f32, width: f32, height: f32) -> [[f32; 2]; 8] {
    let k = (d - 1.0).max(0.0);
    [
        [ax + d, ay - height / 2.0],
        [ax - d - width, ay - height / 2.0],
        [ax - width / 2.0, ay - d - height],
        [ax - width / 2.0, ay + d],
        [ax + k, ay - k - height],
        [ax + k, ay + k],
        [ax - k - width, ay - k - height],
        [ax - k - width, ay + k],
    ]
}

/// Space kept free around every label, in points.
const PAD_PTS: f32 = 2.0;

/// Places candidates in priority order (ties: input order) where they fit inside `size_pts`
/// without overlapping an already placed label or an `obstacle` rectangle `[x0, y0, x1, y1]`
/// of the same or higher importance: an obstacle `(rect, priority)` blocks only candidates
/// whose priority number is not lower, so a capital's name may cross a village's symbol but a
/// village's name never crosses a capital's. Area labels (centred, no offset) also avoid
/// `area_obstacles` (event and aid symbols).
pub fn place_labels(
    mut candidates: Vec<LabelCandidate>,
    size_pts: [f32; 2],
    obstacles: &[([f32; 4], u32)],
    area_obstacles: &[[f32; 4]],
) -> Vec<Label> {
    candidates.sort_by_key(|c| c.priority);
    let mut placed: Vec<[f32; 4]> = Vec::new();
    // Area labels placed so far: their text and centre.
    let mut area_names: Vec<(String, [f32; 2])> = Vec::new();
    let mut labels = Vec::new();
    for c in candidates {
        let width = text_width_pts(&c.text, c.font_pts);
        let height = c.font_pts * 1.2;
        let positions: Vec<[f32; 2]> = c
            .anchors
            .iter()
            .flat_map(|&[ax, ay]| match c.offset_pts {
                None => vec![[ax - width / 2.0, ay - height / 2.0]],
                Some(d) => point_positions([ax, ay], d, width, height).to_vec(),
            })
            .collect();
        // A town's name on its own side of a border first (found on the map: Tursunzoda's
        // spilled into Uzbekistan, Tashkurgan's into Tajikistan); across it only if nothing
        // on its side fits, rather than not at all.
        let allowed = |k: usize| c.allowed.is_none_or(|a| a.get(k % 8).copied().unwrap_or(true));
        let own_side = positions.iter().enumerate().filter(|&(k, _)| allowed(k));
        let other_side = positions.iter().enumerate().filter(|&(k, _)| !allowed(k));
        let positions: Vec<[f32; 2]> = own_side.chain(other_side).map(|(_, p)| *p).collect();
        let fits = |r: &[f32; 4]| {
            r[0] >= 0.0
                && r[1] >= 0.0
                && r[2] <= size_pts[0]
                && r[3] <= size_pts[1]
                && !placed.iter().any(|o| overlaps(o, r))
                && !obstacles.iter().any(|(o, p)| *p <= c.priority && overlaps(o, r))
                && (c.offset_pts.is_some() || !area_obstacles.iter().any(|o| overlaps(o, r)))
        };
        let chosen = positions
            .into_iter()
            .find(|[x, y]| fits(&[*x - PAD_PTS, *y - PAD_PTS, x + width + PAD_PTS, y + height + PAD_PTS]));
        // An area's name already written next to where this one would go is not written
        // twice. Found rendering geoBoundaries' districts over the shipped ones (derived from
        // them): "Wakhan Wakhan", "Shaki" over "Shaki". A point's label (a town) is always
        // written, and so is the same name far away (two Baharak districts).
        let repeated = |[x, y]: [f32; 2]| {
            let centre = [x + width / 2.0, y + height / 2.0];
            let near = width.max(height * 3.0) * 1.5;
            area_names.iter().any(|(text, [cx, cy]): &(String, [f32; 2])| {
                text.trim().eq_ignore_ascii_case(c.text.trim()) && (cx - centre[0]).hypot(cy - centre[1]) < near
            })
        };
        let chosen = chosen.filter(|&p| c.offset_pts.is_some() || !repeated(p));
        if let Some([x, y]) = chosen {
            if c.offset_pts.is_none() {
                area_names.push((c.text.clone(), [x + width / 2.0, y + height / 2.0]));
            }
            placed.push([x - PAD_PTS, y - PAD_PTS, x + width + PAD_PTS, y + height + PAD_PTS]);
            labels.push(Label {
                text: c.text,
                pos: [x, y],
                size: [width, height],
                font_pts: c.font_pts,
                color: c.color,
                halo: c.halo,
                italic: c.italic,
            });
        }
    }
    labels
}

fn overlaps(a: &[f32; 4], b: &[f32; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(text: &str, anchor: [f32; 2], priority: u32) -> LabelCandidate {
        LabelCandidate {
            text: text.to_owned(),
            anchors: vec![anchor],
            priority,
            font_pts: 12.0,
            offset_pts: Some(5.0),
            color: Color::hex(0),
            halo: Color::hex(0xffffff),
            italic: false,
            allowed: None,
        }
    }

    /// A point label goes to the first position on its side of a border that fits; when none
    /// on its side fits, it still goes somewhere rather than nowhere.
    #[test]
    fn a_point_label_keeps_to_the_allowed_side_first() {
        let size = [400.0, 300.0];
        let mut only_left = [false; 8];
        only_left[1] = true;
        let town = LabelCandidate { allowed: Some(only_left), ..cand("Tursunzoda", [200.0, 150.0], 1) };
        let placed = place_labels(vec![town.clone()], size, &[], &[]);
        let width = text_width_pts("Tursunzoda", 12.0);
        assert!((placed[0].pos[0] - (200.0 - 5.0 - width)).abs() < 1e-3, "left of the anchor, not right");
        // Its side is blocked by a more important label's box: the first other position.
        let blocker = ([0.0, 0.0, 199.0, 300.0], 0);
        let placed = place_labels(vec![town.clone()], size, &[blocker], &[]);
        let right = point_positions([200.0, 150.0], 5.0, width, 12.0 * 1.2)[0];
        assert!((placed[0].pos[0] - right[0]).abs() < 1e-3 && (placed[0].pos[1] - right[1]).abs() < 1e-3);
        // No constraint: right of the anchor, as before.
        let placed = place_labels(vec![LabelCandidate { allowed: None, ..town }], size, &[], &[]);
        assert!((placed[0].pos[0] - 205.0).abs() < 1e-3);
    }

    #[test]
    fn an_area_name_is_not_written_twice_side_by_side() {
        let area = |text: &str, anchor: [f32; 2]| LabelCandidate { offset_pts: None, ..cand(text, anchor, 5) };
        let labels = place_labels(
            vec![
                area("Wakhan", [200.0, 100.0]),
                area("Wakhan", [260.0, 100.0]),
                area("Shaki ", [200.0, 200.0]),
                area("shaki", [200.0, 180.0]),
                // Two districts of one name far apart are both named.
                area("Baharak", [50.0, 280.0]),
                area("Baharak", [350.0, 280.0]),
                // A town of the district's name is named too.
                cand("Wakhan", [230.0, 130.0], 1),
            ],
            [400.0, 300.0],
            &[],
            &[],
        );
        let count = |t: &str| labels.iter().filter(|l| l.text.trim().eq_ignore_ascii_case(t)).count();
        assert_eq!((count("Wakhan"), count("Shaki"), count("Baharak")), (2, 1, 2), "{labels:?}");
    }

    #[test]
    fn no_two_labels_overlap_and_priority_wins() {
        // Twenty places crowded into a small area: whatever is placed must not overlap.
        let cands: Vec<_> = (0..20)
            .map(|i| cand(&format!("Place {i}"), [100.0 + i as f32 * 3.0, 100.0 + i as f32 * 2.0], 20 - i))
            .collect();
        let labels = place_labels(cands, [400.0, 300.0], &[], &[]);
        assert!(!labels.is_empty() && labels.len() < 20, "{}", labels.len());
        for (i, a) in labels.iter().enumerate() {
            for b in labels.iter().skip(i + 1) {
                let ra = [a.pos[0], a.pos[1], a.pos[0] + a.size[0], a.pos[1] + a.size[1]];
                let rb = [b.pos[0], b.pos[1], b.pos[0] + b.size[0], b.pos[1] + b.size[1]];
                assert!(!overlaps(&ra, &rb), "{} overlaps {}", a.text, b.text);
            }
        }
        // The highest priority (lowest number) candidate is "Place 19" and is always placed.
        assert!(labels.iter().any(|l| l.text == "Place 19"));
    }

    #[test]
    fn label_moves_to_the_left_near_the_right_edge() {
        let labels = place_labels(vec![cand("Ishkashim", [395.0, 150.0], 1)], [400.0, 300.0], &[], &[]);
        assert_eq!(labels.len(), 1);
        assert!(labels[0].pos[0] + labels[0].size[0] <= 400.0);
        assert!(labels[0].pos[0] < 395.0);
    }

    #[test]
    fn a_capital_label_may_cross_a_village_symbol_but_not_the_reverse() {
        // A village symbol right of the capital, a capital symbol right of the village.
        let village_symbol = ([112.0, 95.0, 118.0, 105.0], 4000);
        let mut capital = cand("Dushanbe", [100.0, 100.0], 1000);
        capital.anchors = vec![[100.0, 100.0]];
        let labels = place_labels(vec![capital.clone()], [400.0, 300.0], &[village_symbol], &[]);
        assert!((labels[0].pos[0] - 105.0).abs() < 1e-3, "the capital keeps its first (right-hand) position");
        let mut village = cand("Ziraki", [100.0, 100.0], 4000);
        village.anchors = vec![[100.0, 100.0]];
        let capital_symbol = ([112.0, 95.0, 118.0, 105.0], 1000);
        let labels = place_labels(vec![village], [400.0, 300.0], &[capital_symbol], &[]);
        assert!(labels.is_empty() || (labels[0].pos[0] - 105.0).abs() > 1e-3, "a village name never covers a capital");
    }

    #[test]
    fn obstacles_are_avoided() {
        let obstacle = [([0.0, 0.0, 400.0, 140.0], 1)];
        let labels = place_labels(vec![cand("Khorog", [100.0, 145.0], 1)], [400.0, 300.0], &obstacle, &[]);
        assert_eq!(labels.len(), 1);
        assert!(labels[0].pos[1] >= 140.0);
    }
}
