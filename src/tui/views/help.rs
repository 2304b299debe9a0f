//! The help screen, generated from the keymap in effect (one section per set of layers),
//! and the status bar's history (`:messages`): both wrap at any width and scroll, with a
//! cue when there is more above or below.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;
use unicode_segmentation::UnicodeSegmentation;

use super::popup::Popup;
use super::{centered, Theme};
use crate::i18n::{t as tr, tf};
use crate::tui::cells::{self, Cells};
use crate::tui::keymap::{Action, Layer};
use crate::tui::state::State;

/// The widest the boxes get.
const BOX_W: u16 = 78;
/// The keys' column.
const KEY_W: usize = 18;

/// `text` cut into pieces of at most `width` cells: at the last space, or before the last
/// wide (CJK) character, whichever is later (Japanese has no spaces between words; this is
/// why the help does not use `cells::wrap`, which keeps a word whole past a space). Counted
/// and cut by grapheme cluster, in the `cells::stable` form, as `cells::Cells` draws it.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let text = cells::stable(text);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let mut last_break: Option<usize> = None;
    for g in text.graphemes(true) {
        let w = cells::grapheme_width(g);
        if w == 0 && g.contains(char::is_control) {
            // Drawn as nothing: left out so that the count holds.
            continue;
        }
        if used + w > width && !line.is_empty() {
            // A wide character may start the next line itself.
            match last_break.filter(|at| *at > 0 && g != " " && w < 2) {
                Some(at) => {
                    let rest = line.split_off(at);
                    out.push(line.trim_end().to_string());
                    line = rest.trim_start().to_string();
                }
                None => out.push(std::mem::take(&mut line).trim_end().to_string()),
            }
            used = cells::width(&line);
            last_break = None;
            if g == " " {
                continue;
            }
        }
        if g == " " || w > 1 {
            last_break = Some(line.len());
        }
        line.push_str(g);
        used += w;
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

fn layers_title(layers: &[Layer]) -> String {
    layers
        .iter()
        .map(|l| tr(&format!("tui.layer.{}", l.name())))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The help's lines inside a box `inner` columns wide.
fn help_lines(s: &State, inner: usize) -> Vec<Line<'static>> {
    let t = Theme::of(s);
    let mut sets: Vec<&[Layer]> = Vec::new();
    for b in &s.keymap.bindings {
        if !sets.contains(&b.layers.as_slice()) {
            sets.push(&b.layers);
        }
    }
    let mut lines: Vec<Line> = Vec::new();
    for set in sets {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(Span::styled(layers_title(set), t.title())));
        for b in s.keymap.bindings.iter().filter(|b| b.layers == set) {
            if b.keys.is_empty() {
                continue;
            }
            let keys = b.keys.join(" ");
            let desc_w = inner.saturating_sub(KEY_W).max(10);
            let mut desc = wrap(&b.desc, desc_w).into_iter();
            let shown = 2 + cells::width(&keys);
            // Keys wider than their column get a line of their own.
            let first = if shown < KEY_W {
                desc.next().unwrap_or_default()
            } else {
                String::new()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys}"), t.fg(ratatui::style::Color::Cyan)),
                Span::raw(format!(
                    "{}{first}",
                    " ".repeat(KEY_W.saturating_sub(shown))
                )),
            ]));
            for more in desc {
                lines.push(Line::raw(format!("{}{more}", " ".repeat(KEY_W))));
            }
        }
    }
    lines.push(Line::raw(""));
    for l in wrap(tr("tui.help.footer"), inner) {
        lines.push(Line::from(Span::styled(l, t.dim())));
    }
    lines
}

fn inner_width(width: u16) -> usize {
    usize::from(width.min(BOX_W).saturating_sub(2))
}

/// Rows the help takes at the state's width (update clamps its scrolling by it).
pub(crate) fn help_rows(s: &State) -> u16 {
    u16::try_from(help_lines(s, inner_width(s.width)).len()).unwrap_or(u16::MAX)
}

fn message_lines(s: &State, inner: usize) -> Vec<Line<'static>> {
    let t = Theme::of(s);
    if s.status.history.is_empty() {
        return vec![Line::from(Span::styled(tr("tui.messages.none"), t.dim()))];
    }
    s.status
        .history
        .iter()
        .flat_map(|m| wrap(m, inner))
        .map(Line::raw)
        .collect()
}

/// Rows the message history takes at the state's width.
pub(crate) fn messages_rows(s: &State) -> u16 {
    u16::try_from(message_lines(s, inner_width(s.width)).len()).unwrap_or(u16::MAX)
}

pub fn draw(s: &State, scroll: u16, f: &mut Frame, area: Rect) {
    let lines = help_lines(s, inner_width(area.width));
    scrolling_box(s, lines, scroll, tr("tui.help.title"), f, area);
}

pub fn draw_messages(s: &State, scroll: u16, f: &mut Frame, area: Rect) {
    let lines = message_lines(s, inner_width(area.width));
    scrolling_box(s, lines, scroll, tr("tui.messages.title"), f, area);
}

/// A full-height box showing `lines` from `scroll` (clamped to the last page), with "more
/// above" and "more below" on its borders when that is so.
fn scrolling_box(
    s: &State,
    mut lines: Vec<Line<'static>>,
    scroll: u16,
    title: &str,
    f: &mut Frame,
    area: Rect,
) {
    let t = Theme::of(s);
    let box_area = centered(area, BOX_W, area.height);
    let page = usize::from(box_area.height.saturating_sub(2));
    let total = lines.len();
    let top = usize::from(scroll).min(total.saturating_sub(page));
    let mut popup = Popup::titled(format!(" {title} "));
    if top > 0 {
        popup = popup.top_right(Line::from(Span::styled(
            format!(" {} ", tr("tui.help.more_above")),
            t.dim(),
        )));
    }
    if top + page < total {
        popup = popup.bottom_right(Line::from(Span::styled(
            format!(
                " {} ",
                tf(
                    "tui.help.more_below",
                    &[
                        ("rows", &(total - top - page)),
                        ("keys", &s.keymap.keys_in(Layer::Help, Action::PageDown)),
                    ]
                )
            ),
            t.title(),
        )));
    }
    let inner = popup.draw(f, box_area);
    f.render_widget(Cells::new(lines.split_off(top.min(lines.len()))), inner);
}

#[cfg(test)]
mod tests {
    use super::wrap;
    use crate::tui::cells;

    #[test]
    fn wrap_breaks_at_spaces_and_anywhere_in_japanese_never_past_the_width() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        let ja = wrap("担当者から引き継ぐ（スーパーバイザー）", 10);
        for l in &ja {
            assert!(cells::width(l) <= 10, "{l}");
        }
        assert_eq!(ja.concat(), "担当者から引き継ぐ（スーパーバイザー）");
        // A space early in Japanese text is no reason to leave a word alone on its line.
        let mixed = wrap("検索: 一覧は入力しながら絞り込み", 16);
        assert_eq!(mixed[0], "検索: 一覧は入力");
        assert_eq!(wrap("", 5), vec![""]);
    }
}
