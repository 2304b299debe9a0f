//! The help screen, generated from the keymap in effect.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, fit, Theme};
use crate::tui::state::State;

/// Keys that are not in the keymap: those of the prompts.
const FIXED: &[(&str, &str)] = &[
    ("Enter", "in a prompt: accept (the note editor: send)"),
    ("Esc", "in a prompt: cancel"),
    ("Alt-Enter", "in the note editor: new line"),
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
            Span::raw(*d),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "* in the list: a teammate is viewing it. Change keys in the config's [keys] table.",
        t.dim(),
    )));
    f.render_widget(Clear, box_area);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (Esc closes) "),
        ),
        box_area,
    );
}
