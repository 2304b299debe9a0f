//! The input views: the filter and `:` command line (one line above the status bar), the
//! assign picker and the inline note editor.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{centered, fit, Theme};
use crate::i18n::{t as tr, tf};
use crate::tui::state::{Overlay, Question, State};

pub fn draw_line(s: &State, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let (prefix, text) = match &s.overlay {
        Some(Overlay::Filter) => ("/", s.list.filter.as_str()),
        Some(Overlay::Find { text }) => ("/", text.as_str()),
        Some(Overlay::CommandLine { text, .. }) => (":", text.as_str()),
        _ => return,
    };
    let room = (area.width as usize).saturating_sub(2);
    // The end of what is typed stays visible.
    let shown = tail(text, room);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(prefix, t.title()),
            Span::raw(format!("{shown}█")),
        ])),
        area,
    );
}

/// The last `width` columns of `text`.
fn tail(text: &str, width: usize) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut used = 0;
    for ch in text.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.into_iter().rev().collect()
}

pub fn draw_picker(s: &State, agents: &[String], selected: usize, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let h = (agents.len() as u16 + 2).min(area.height);
    let r = centered(area, 30, h);
    let lines: Vec<Line> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let text = fit(a, 28);
            if i == selected {
                Line::from(Span::styled(text, t.selected()))
            } else {
                Line::raw(text)
            }
        })
        .collect();
    let first = selected.saturating_sub(usize::from(h.saturating_sub(3)));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).scroll((first as u16, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", tr("tui.assign.title"))),
        ),
        r,
    );
}

pub fn draw_editor(s: &State, text: &str, f: &mut Frame, area: Rect) {
    let h = 8.min(area.height);
    let r = Rect {
        y: area.y + area.height - h,
        height: h,
        ..area
    };
    // Which conversation the note goes to, in the box's top border.
    let about = match &s.overlay {
        Some(Overlay::NoteEditor { id, subject, .. }) => tf(
            "tui.note.about",
            &[("subject", subject), ("id", &id.get(..8).unwrap_or(id))],
        ),
        _ => String::new(),
    };
    let room = usize::from(area.width.saturating_sub(4));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(format!("{text}█"))
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", fit(&about, room).trim_end()))
                    .title_bottom(format!(" {} ", tr("tui.note.title"))),
            ),
        r,
    );
}

/// The send prompt: where the reply goes, what stopped it (if anything), and the keys.
pub fn draw_send(s: &State, warnings: &[String], later: Option<&str>, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let Some(c) = &s.compose else {
        return;
    };
    let header = |name: &str| {
        c.text
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let w = area.width.min(76);
    let inner = usize::from(w.saturating_sub(2));
    let mut lines = vec![
        Line::raw(fit(
            &format!("{}: {}", tr("tui.reader.to"), header("To:")),
            inner,
        )),
        Line::raw(fit(
            &format!("{}: {}", tr("tui.reader.subject"), header("Subject:")),
            inner,
        )),
    ];
    for warn in warnings {
        lines.push(Line::from(Span::styled(
            fit(&format!("! {warn}"), inner),
            t.error(),
        )));
    }
    lines.push(Line::raw(""));
    let keys = match later {
        Some(text) => format!(
            "{}{}█",
            tr("tui.send.at"),
            tail(text, inner.saturating_sub(40))
        ),
        None => {
            use crate::tui::keymap::{Action, Layer};
            let k = |a| s.keymap.keys_in(Layer::Send, a);
            let (send, later, edit, back) = (
                k(Action::Submit),
                k(Action::SendLater),
                k(Action::Edit),
                k(Action::Back),
            );
            let keys: [(&str, &dyn std::fmt::Display); 4] = [
                ("send", &send),
                ("later", &later),
                ("edit", &edit),
                ("back", &back),
            ];
            if warnings.is_empty() {
                tf("tui.send.keys", &keys)
            } else {
                tf("tui.send.keys_anyway", &keys)
            }
        }
    };
    lines.push(Line::from(Span::styled(fit(&keys, inner), t.title())));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(format!(
            " {} ",
            tf("tui.send.title", &[("id", &c.id.get(..8).unwrap_or(&c.id))])
        ))),
        r,
    );
}

/// The reason prompt of a rejection.
pub fn draw_reason(s: &State, text: &str, f: &mut Frame, area: Rect) {
    let _ = s;
    let w = area.width.min(70);
    let r = centered(area, w, 3);
    let shown = tail(text, usize::from(w.saturating_sub(3)));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(format!("{shown}█")).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", tr("tui.reject.title"))),
        ),
        r,
    );
}

/// A yes/no question, over whatever asked it.
pub fn draw_confirm(s: &State, question: Question, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let undo = s.keymap.key_for(crate::tui::keymap::Action::Undo);
    let text = match question {
        Question::QuitLosingNote => tr("tui.confirm.quit_note").to_string(),
        Question::QuitWithReply => tr("tui.confirm.quit_reply").to_string(),
        Question::QuitInUndo => tf("tui.confirm.quit_undo", &[("key", &undo)]),
    };
    let w = area.width.min(60);
    let inner = usize::from(w.saturating_sub(2));
    let mut lines: Vec<Line> = super::help::wrap(&text, inner)
        .into_iter()
        .map(Line::raw)
        .collect();
    lines.push(Line::from(Span::styled(
        fit(tr("tui.confirm.keys"), inner),
        t.title(),
    )));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", tr("tui.confirm.title"))),
        ),
        r,
    );
}
