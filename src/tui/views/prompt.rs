//! The input views: the filter and `:` command line (one line above the status bar), the
//! assign picker and the inline note editor. All their text is drawn by `cells::Cells`,
//! like the list's, so that what is typed shows as the terminal draws it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::popup::Popup;
use super::{centered, fit, Theme};
use crate::i18n::{t as tr, tf};
use crate::tui::cells::{self, Cells};
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
    let shown = cells::tail(text, room);
    f.render_widget(
        Cells::from(Line::from(vec![
            Span::styled(prefix, t.title()),
            Span::raw(format!("{shown}█")),
        ])),
        area,
    );
}

pub fn draw_picker(s: &State, agents: &[String], selected: usize, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let h = (agents.len() as u16 + 2).min(area.height);
    let r = centered(area, 30, h);
    let mut lines: Vec<Line> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let text = fit(a, usize::from(r.width.saturating_sub(2)));
            if i == selected {
                Line::from(Span::styled(text, t.selected()))
            } else {
                Line::raw(text)
            }
        })
        .collect();
    let first = selected.saturating_sub(usize::from(h.saturating_sub(3)));
    let inner = Popup::titled(format!(" {} ", tr("tui.assign.title"))).draw(f, r);
    f.render_widget(Cells::new(lines.split_off(first.min(lines.len()))), inner);
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
    let inner = Popup::titled(format!(" {} ", fit(&about, room).trim_end()))
        .bottom(format!(" {} ", tr("tui.note.title")))
        .draw(f, r);
    let mut lines = typed_lines(text, usize::from(inner.width));
    // The cursor is always at the end: the last rows are the ones shown.
    let rows = usize::from(inner.height);
    let lines = lines.split_off(lines.len().saturating_sub(rows));
    f.render_widget(
        Cells::new(lines.into_iter().map(Line::raw).collect()),
        inner,
    );
}

/// `text` as typed (lines broken with Alt-Enter) wrapped at `width` cells, with the cursor
/// right after its last character, or first on a row of its own when the last row is full.
fn typed_lines(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = text
        .split('\n')
        .flat_map(|l| cells::wrap(l, width))
        .collect();
    match lines.last_mut() {
        Some(last) if cells::width(last) < width => last.push('█'),
        _ => lines.push("█".to_string()),
    }
    lines
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
            cells::tail(text, inner.saturating_sub(40))
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
    let inner = Popup::titled(format!(
        " {} ",
        tf("tui.send.title", &[("id", &c.id.get(..8).unwrap_or(&c.id))])
    ))
    .draw(f, r);
    f.render_widget(Cells::new(lines), inner);
}

/// The reason prompt of a rejection.
pub fn draw_reason(title: &str, text: &str, f: &mut Frame, area: Rect) {
    let w = area.width.min(70);
    let r = centered(area, w, 3);
    let shown = cells::tail(text, usize::from(w.saturating_sub(3)));
    let inner = Popup::titled(format!(" {title} ")).draw(f, r);
    f.render_widget(Cells::from(Line::raw(format!("{shown}█"))), inner);
}

/// A yes/no question, over whatever asked it.
pub fn draw_confirm(s: &State, question: &Question, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let undo = s.keymap.key_for(crate::tui::keymap::Action::Undo);
    let text = match question {
        Question::QuitLosingNote => tr("tui.confirm.quit_note").to_string(),
        Question::QuitWithReply => tr("tui.confirm.quit_reply").to_string(),
        Question::QuitInUndo => tf("tui.confirm.quit_undo", &[("key", &undo)]),
        Question::Merge { from, into } => tf(
            "tui.regroup.merge",
            &[
                ("id", &from.id),
                ("subject", &from.subject),
                ("into", &into.id),
                ("into_subject", &into.subject),
            ],
        ),
        Question::Split {
            id,
            number,
            from,
            subject,
            ..
        } => tf(
            "tui.regroup.split",
            &[
                ("n", number),
                ("from", from),
                ("subject", subject),
                ("id", id),
            ],
        ),
    };
    let (title, keys) = if question.regroups() {
        ("tui.regroup.title", "tui.regroup.keys")
    } else {
        ("tui.confirm.title", "tui.confirm.keys")
    };
    let w = area.width.min(60);
    let inner = usize::from(w.saturating_sub(2));
    let mut lines: Vec<Line> = super::help::wrap(&text, inner)
        .into_iter()
        .map(Line::raw)
        .collect();
    lines.push(Line::from(Span::styled(fit(tr(keys), inner), t.title())));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    let inner = Popup::titled(format!(" {} ", tr(title))).draw(f, r);
    f.render_widget(Cells::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::typed_lines;

    #[test]
    fn the_cursor_follows_the_typed_text_and_takes_a_row_of_its_own_when_the_last_is_full() {
        assert_eq!(typed_lines("", 10), ["█"]);
        assert_eq!(typed_lines("ｻﾎﾟｰﾄ", 10), ["ｻﾎﾟｰﾄ█"]);
        // Five cells of kana and marks fill a row of five: the cursor goes below.
        assert_eq!(typed_lines("ｻﾎﾟｰﾄ", 5), ["ｻﾎﾟｰﾄ", "█"]);
        // Lines broken with Alt-Enter stay broken; a typed blank stays before the cursor.
        assert_eq!(typed_lines("one\ntwo ", 10), ["one", "two █"]);
        assert_eq!(typed_lines("請求書の", 6), ["請求書", "の█"]);
    }
}
