//! The Approvals view: replies waiting for a supervisor, the selected one's text below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

use super::{fit, Theme};
use crate::i18n::{t as tr, tf};
use crate::tui::cells::{self, Cells};
use crate::tui::keymap::Action;
use crate::tui::state::State;

pub fn draw(s: &State, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let a = &s.approvals;
    let list_h = (a.rows.len() as u16 + 2).clamp(3, area.height / 2 + 1);
    let [title, list, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(list_h),
        Constraint::Min(0),
    ])
    .areas(area);
    let keys = tf(
        "tui.approvals.keys",
        &[
            ("approve", &s.keymap.key_for(Action::Approve)),
            ("reject", &s.keymap.key_for(Action::Reject)),
            ("back", &s.keymap.key_for(Action::Back)),
        ],
    );
    f.render_widget(
        Cells::from(Line::from(vec![
            Span::styled(
                tf("tui.approvals.title", &[("count", &a.rows.len())]),
                t.title(),
            ),
            Span::styled(keys, t.dim()),
        ])),
        title,
    );
    let w = list.width.saturating_sub(2) as usize;
    let (author_w, conv_w) = (10, 9);
    let subject_w = w.saturating_sub(author_w + conv_w + 2);
    let mut lines: Vec<Line> = a
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let text = format!(
                "{} {} {}",
                fit(&r.conversation, conv_w),
                fit(&r.author, author_w),
                fit(&r.subject, subject_w)
            );
            if i == a.selected {
                Line::from(Span::styled(text, t.selected()))
            } else {
                Line::raw(text)
            }
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            if a.loading {
                tr("tui.loading")
            } else {
                tr("tui.approvals.none")
            },
            t.dim(),
        )));
    }
    let first = a
        .selected
        .saturating_sub(usize::from(list_h.saturating_sub(3)));
    let frame = Block::default().borders(Borders::ALL);
    let inner = frame.inner(list);
    f.render_widget(frame, list);
    f.render_widget(Cells::new(lines.split_off(first.min(lines.len()))), inner);
    if let Some(r) = a.rows.get(a.selected) {
        let frame = Block::default()
            .borders(Borders::TOP)
            .title(format!(" {} · {} ", r.mailbox, r.author));
        let inner = frame.inner(body);
        let width = usize::from(inner.width);
        let mut text = Vec::new();
        let header = |text: &mut Vec<Line<'static>>, value: String, style| {
            for piece in cells::wrap(&value, width) {
                text.push(Line::from(Span::styled(piece, style)));
            }
        };
        header(
            &mut text,
            format!("{}: {}", tr("tui.reader.to"), r.rcpt.join(", ")),
            t.title().remove_modifier(Modifier::BOLD),
        );
        header(
            &mut text,
            format!("{}: {}", tr("tui.reader.subject"), r.subject),
            t.title(),
        );
        text.push(Line::raw(""));
        for l in r.text.lines() {
            text.extend(cells::wrap(l, width).into_iter().map(Line::raw));
        }
        f.render_widget(frame, body);
        f.render_widget(Cells::new(text), inner);
    }
}
