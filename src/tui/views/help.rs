//! The help screen, generated from the keymap in effect.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, fit, Theme};
use crate::i18n::t as tr;
use crate::tui::state::State;

/// Keys that are not in the keymap: those of the prompts (catalogue keys of their text).
const FIXED: &[(&str, &str)] = &[
    ("Enter", "tui.help.enter"),
    ("Esc", "tui.help.esc"),
    ("Alt-Enter", "tui.help.alt_enter"),
];

pub fn draw(s: &State, scroll: u16, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let box_area = centered(area, 78, area.height);
    let key_w = 18;
    let mut lines: Vec<Line> = Vec::new();
    for b in &s.keymap.bindings {
        lines.push(Line::from(vec![
            Span::styled(fit(&b.keys.join(" "), key_w), t.title()),
            Span::raw(b.desc.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    for (k, d) in FIXED {
        lines.push(Line::from(vec![
            Span::styled(fit(k, key_w), t.title()),
            Span::raw(tr(d)),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(tr("tui.help.footer"), t.dim())));
    f.render_widget(Clear, box_area);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", tr("tui.help.title"))),
        ),
        box_area,
    );
}
