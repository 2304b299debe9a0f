//! Text in terminal cells, as terminals draw it. Everything the TUI measures, cuts, pads or
//! wraps goes through here: widths are counted per grapheme cluster (a flag, an emoji with
//! its joiners, a half-width kana with its voiced mark are one unit, never split), and drawn
//! by `Cells`, which puts each cluster in the cells counted for it. (ratatui 0.30 counts a
//! half-width voiced mark twice with unicode-width 0.2.3: `ｻﾎﾟｰﾄ` took six cells and
//! showed as `ｻﾎﾟ ｰﾄ`.)
//!
//! Terminals disagree on a few clusters: tmux 3.3 draws `❤️` (heart + VS16) in one cell,
//! kitty in two; `👍🏽` in four cells, others in two; `👩‍💻` in two, xterm in four. A
//! cell counted wrong shifts every column after it or leaves a stale cell on screen. So
//! text is first put in a form all of them draw alike (`stable`): variation selectors,
//! skin-tone modifiers and emoji tags dropped, emoji joined by ZWJ shown as their parts.

use std::borrow::Cow;
use std::num::NonZeroU16;

use ratatui::buffer::{Buffer, CellDiffOption, CellWidth};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Characters dropped from any text: drawn at one width by some terminals and another by
/// others, while the text reads the same without them.
fn unstable(c: char) -> bool {
    matches!(c,
        // Text and emoji presentation selectors.
        '\u{fe0e}' | '\u{fe0f}'
        // The soft hyphen: no width by Unicode, one cell in tmux and xterm.
        | '\u{ad}'
        // Skin-tone modifiers.
        | '\u{1f3fb}'..='\u{1f3ff}'
        // Tag characters (subdivision flags).
        | '\u{e0020}'..='\u{e007f}')
}

/// Characters drawn as emoji: a zero-width joiner beside one joins emoji, which terminals
/// draw as one glyph or as the parts.
fn emoji_like(c: char) -> bool {
    matches!(c, '\u{2600}'..='\u{27bf}' | '\u{2b00}'..='\u{2bff}' | '\u{1f000}'..='\u{1faff}')
}

/// `s` in the form every terminal draws at the width `width` counts (see the module).
pub fn stable(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || !s.chars().any(|c| unstable(c) || c == '\u{200d}') {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if unstable(c) {
            continue;
        }
        if c == '\u{200d}' {
            // The emoji before it, past the dropped selectors and modifiers.
            let before = chars[..i].iter().rev().find(|c| !unstable(**c));
            let after = chars.get(i + 1);
            if before.is_some_and(|c| emoji_like(*c)) || after.is_some_and(|c| emoji_like(*c)) {
                continue;
            }
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Cells one grapheme cluster takes on screen (0 for one ratatui leaves out).
pub fn grapheme_width(g: &str) -> usize {
    if g.contains(char::is_control) {
        return 0;
    }
    g.width()
}

/// The half-width katakana voiced and semi-voiced marks: one cell each on screen.
fn sound_mark(c: char) -> bool {
    matches!(c, '\u{ff9e}' | '\u{ff9f}')
}

/// Lines drawn from the top of an area, one row each, cut at its right edge, every cluster
/// in the cells `width` counts for it. The lines are laid out already (`fit`, `wrap`).
pub struct Cells<'a> {
    lines: Vec<Line<'a>>,
    style: Style,
}

impl<'a> Cells<'a> {
    pub fn new(lines: Vec<Line<'a>>) -> Cells<'a> {
        Cells {
            lines,
            style: Style::default(),
        }
    }

    /// The style of the whole area under the text.
    pub fn style(mut self, style: Style) -> Cells<'a> {
        self.style = style;
        self
    }
}

impl<'a> From<Line<'a>> for Cells<'a> {
    fn from(line: Line<'a>) -> Cells<'a> {
        Cells::new(vec![line])
    }
}

impl Widget for Cells<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        buf.set_style(area, self.style);
        for (line, y) in self.lines.iter().zip(area.top()..area.bottom()) {
            put_line(buf, area.left(), area.right(), y, line);
        }
    }
}

/// Draws `line` on row `y` from column `x` up to (not including) `end`.
fn put_line(buf: &mut Buffer, mut x: u16, end: u16, y: u16, line: &Line<'_>) {
    let row = Rect::new(x, y, end.saturating_sub(x), 1);
    buf.set_style(row, line.style);
    for span in &line.spans {
        let style = line.style.patch(span.style);
        if printable_ascii(&span.content) {
            for b in span.content.bytes() {
                if x >= end {
                    return;
                }
                let cell = &mut buf[(x, y)];
                cell.set_char(char::from(b)).set_style(style);
                cell.set_diff_option(CellDiffOption::None);
                x += 1;
            }
            continue;
        }
        let text = stable(&span.content);
        for g in text.graphemes(true) {
            let w = grapheme_width(g);
            if w == 0 {
                continue;
            }
            let Ok(w16) = u16::try_from(w) else {
                return;
            };
            if x.saturating_add(w16) > end {
                return;
            }
            if g.chars().any(sound_mark) {
                put_marked(buf, x, y, g, style);
                x += w16;
                continue;
            }
            put_cell(buf, x, y, g, style);
            // The cells a wide cluster covers are left blank for it.
            for d in 1..w16 {
                buf[(x + d, y)].reset();
                buf[(x + d, y)].set_style(style);
            }
            x += w16;
        }
    }
}

/// A cluster with half-width voiced marks: each mark in its own cell, counted as one, as
/// terminals draw them.
fn put_marked(buf: &mut Buffer, x: u16, y: u16, g: &str, style: Style) {
    let mut at = x;
    let mut base = String::new();
    let put_base = |buf: &mut Buffer, at: &mut u16, base: &mut String| {
        if base.is_empty() {
            return;
        }
        put_cell(buf, *at, y, base, style);
        let w = u16::try_from(grapheme_width(base).max(1)).unwrap_or(1);
        for d in 1..w {
            buf[(*at + d, y)].reset();
            buf[(*at + d, y)].set_style(style);
        }
        *at += w;
        base.clear();
    };
    for c in g.chars() {
        if sound_mark(c) {
            put_base(buf, &mut at, &mut base);
            let mut mark = [0u8; 4];
            put_cell(buf, at, y, c.encode_utf8(&mut mark), style);
            at += 1;
        } else {
            base.push(c);
        }
    }
    put_base(buf, &mut at, &mut base);
}

/// One cell holding `symbol`, counted as the cells `grapheme_width` gives it.
fn put_cell(buf: &mut Buffer, x: u16, y: u16, symbol: &str, style: Style) {
    let cell = &mut buf[(x, y)];
    cell.set_symbol(symbol).set_style(style);
    let w = grapheme_width(symbol).max(1);
    let option = match u16::try_from(w).ok().and_then(NonZeroU16::new) {
        Some(n) if usize::from(symbol.cell_width()) != w => CellDiffOption::ForcedWidth(n),
        _ => CellDiffOption::None,
    };
    cell.set_diff_option(option);
}

/// Cells `s` takes once drawn (in its `stable` form).
pub fn width(s: &str) -> usize {
    if printable_ascii(s) {
        return s.len();
    }
    stable(s).graphemes(true).map(grapheme_width).sum()
}

/// ASCII without controls: one cell per byte, no cluster to look for (most of a list).
fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// `s` cut to `width` cells on cluster boundaries (with "…" when cut), padded with spaces
/// to exactly `width` cells.
pub fn fit(s: &str, width: usize) -> String {
    if printable_ascii(s) {
        let mut out = String::with_capacity(width);
        if s.len() <= width {
            out.push_str(s);
        } else if width > 0 {
            out.push_str(&s[..width - 1]);
            out.push('…');
        }
        let used = s.len().min(width);
        out.extend(std::iter::repeat_n(' ', width - used));
        return out;
    }
    let s = stable(s);
    let mut out = String::with_capacity(s.len().min(width * 4) + width);
    let full = s.graphemes(true).map(grapheme_width).sum::<usize>();
    let mut used = 0;
    if full <= width {
        for g in s.graphemes(true) {
            // Controls draw nothing and ratatui drops them: left out, so the count holds.
            if grapheme_width(g) > 0 || !g.contains(char::is_control) {
                out.push_str(g);
            }
        }
        used = full;
    } else if width > 0 {
        for g in s.graphemes(true) {
            let w = grapheme_width(g);
            if used + w > width - 1 {
                break;
            }
            if w > 0 || !g.contains(char::is_control) {
                out.push_str(g);
            }
            used += w;
        }
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// The last `width` cells' worth of `s`, whole clusters only (the end of what is typed).
pub fn tail(s: &str, width: usize) -> String {
    let s = stable(s);
    let mut start = s.len();
    let mut used = 0;
    for (i, g) in s.grapheme_indices(true).rev() {
        let w = grapheme_width(g);
        if used + w > width {
            break;
        }
        used += w;
        start = i;
    }
    s[start..].to_string()
}

/// One line of text broken into lines of at most `width` cells: at the last blank that
/// fits when a word would be cut, else between clusters (CJK text has no blanks). Tabs
/// become spaces to the next multiple of 8; the blanks at a break are dropped. Always at
/// least one line.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let s = stable(s);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    // Where the line may break: the byte length and width just after a blank.
    let mut last_blank: Option<(usize, usize)> = None;
    for g in s.graphemes(true) {
        let (g, w): (Cow<str>, usize) = if g == "\t" {
            let n = 8 - used % 8;
            (Cow::Owned(" ".repeat(n)), n)
        } else {
            (Cow::Borrowed(g), grapheme_width(g))
        };
        if w == 0 && g.contains(char::is_control) {
            continue;
        }
        if used + w > width && used > 0 {
            let blank = g.chars().all(char::is_whitespace);
            match last_blank {
                Some((at, at_w)) if !blank && at_w > 0 && at < line.len() => {
                    let rest = line.split_off(at);
                    lines.push(line.trim_end().to_string());
                    line = rest;
                    used -= at_w;
                }
                _ => {
                    lines.push(line.trim_end().to_string());
                    line = String::new();
                    used = 0;
                }
            }
            last_blank = None;
            if blank {
                continue;
            }
        }
        if g.chars().all(char::is_whitespace) && used == 0 && !lines.is_empty() {
            // A continuation line starts at the next word.
            continue;
        }
        line.push_str(&g);
        used += w;
        if g.chars().all(char::is_whitespace) {
            last_blank = Some((line.len(), used));
        }
    }
    lines.push(line);
    lines
}

/// Repairs a drawn frame so that the terminal draws exactly the planned cells: a wide
/// cluster that something drawn later half-covered (a popup's border over a wide subject)
/// becomes a blank, and a cluster that reached the buffer in an unstable form (text drawn
/// without `fit` or `wrap`) is replaced by a stable one no wider than the cells it has.
/// `before` is the frame before the overlays were drawn, when there are any.
pub fn settle(buf: &mut Buffer, before: Option<&Buffer>) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            if buf[(x, y)].symbol().is_ascii() {
                x += 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol().to_string();
            let w = buf[(x, y)].cell_width().max(1);
            let fits = grapheme_width(&symbol);
            if symbol.chars().any(sound_mark) && usize::from(w) > fits {
                // Drawn by a widget that counts the voiced marks twice: put in the cells
                // they take, the cell left over a blank.
                let style = buf[(x, y)].style();
                put_marked(buf, x, y, &symbol, style);
                for d in fits as u16..w {
                    if x + d < area.right() {
                        buf[(x + d, y)].reset();
                        buf[(x + d, y)].set_style(style);
                    }
                }
                x += w;
                continue;
            }
            let stable_form = stable(&symbol);
            if stable_form != symbol {
                // The first cluster of the stable form, when it fits the cells given.
                let first = stable_form.graphemes(true).next().unwrap_or(" ");
                let sub = if grapheme_width(first) <= usize::from(w) {
                    first.to_string()
                } else {
                    " ".to_string()
                };
                buf[(x, y)].set_symbol(&sub);
            }
            if w > 1 {
                let covered = (1..w).any(|d| {
                    x + d >= area.right()
                        || before.is_some_and(|b| {
                            b.area == area
                                && b[(x + d, y)] != buf[(x + d, y)]
                                && b[(x, y)] == buf[(x, y)]
                        })
                });
                if covered {
                    buf[(x, y)].set_symbol(" ");
                }
            }
            x += w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_count_as_terminals_draw_them() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("請求書"), 6);
        // A flag is one cluster of two cells.
        assert_eq!(width("🇯🇵"), 2);
        // Half-width katakana: a voiced mark takes its own cell, and stays with its kana.
        assert_eq!(width("ｻﾎﾟｰﾄ"), 5);
        assert_eq!(width("ｶﾞ"), 2);
        // Selectors and modifiers are dropped: the base's own width.
        assert_eq!(stable("❤️"), "❤");
        assert_eq!(width("❤️"), 1);
        assert_eq!(stable("👍🏽"), "👍");
        // Emoji joined by ZWJ are drawn as their parts.
        assert_eq!(stable("👩‍💻"), "👩💻");
        assert_eq!(width("👩‍💻"), 4);
        assert_eq!(width("👨‍👩‍👧"), 6);
        assert_eq!(stable("🏳️‍🌈"), "🏳🌈");
        // A joiner between letters of a script stays.
        assert_eq!(stable("क्‍ष"), "क्‍ष");
        assert_eq!(width("e\u{301}"), 1);
    }

    #[test]
    fn fit_never_splits_a_cluster_and_pads_to_the_width() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("請求書", 4), "請… ");
        assert_eq!(fit("x", 0), "");
        for s in ["🇯🇵🇯🇵🇯🇵 flags", "👨‍👩‍👧 family", "ｻﾎﾟｰﾄｾﾝﾀｰ", "❤️❤️❤️ love"]
        {
            for w in 0..12 {
                let f = fit(s, w);
                assert_eq!(width(&f), w, "{s:?} in {w}: {f:?}");
            }
        }
        // ﾎﾟ is never cut from its mark.
        assert_eq!(fit("ｻﾎﾟｰﾄ", 3), "ｻ… ");
    }

    #[test]
    fn tail_keeps_whole_clusters() {
        assert_eq!(tail("abc", 2), "bc");
        assert_eq!(tail("ｻﾎﾟ", 2), "ﾎﾟ");
        assert_eq!(tail("ｻﾎﾟ", 1), "");
        assert_eq!(tail("請求", 3), "求");
    }

    #[test]
    fn wrap_breaks_at_blanks_then_between_clusters() {
        assert_eq!(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("  indented", 20), ["  indented"]);
        assert_eq!(wrap("a\tb", 20), ["a       b"]);
        // Japanese breaks between characters; half-width kana keeps its marks.
        assert_eq!(
            wrap("請求書の送付について", 8),
            ["請求書の", "送付につ", "いて"]
        );
        assert_eq!(wrap("ｻﾎﾟｰﾄｻﾎﾟｰﾄ", 4), ["ｻﾎﾟｰ", "ﾄｻﾎﾟ", "ｰﾄ"]);
        for s in ["🇯🇵 flag and 👨‍👩‍👧 family ｻﾎﾟｰﾄ 請求書", "⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀x"]
        {
            for w in 1..14 {
                for l in wrap(s, w) {
                    assert!(width(&l) <= w.max(2), "{s:?} in {w}: {l:?}");
                }
            }
        }
    }

    #[test]
    fn cells_puts_each_voiced_mark_in_a_cell_of_its_own() {
        let area = Rect::new(0, 0, 8, 1);
        let mut buf = Buffer::empty(area);
        Cells::from(Line::raw("ｻﾎﾟｰﾄ|")).render(area, &mut buf);
        let cells: Vec<&str> = (0..7).map(|x| buf[(x, 0)].symbol()).collect();
        assert_eq!(cells, ["ｻ", "ﾎ", "ﾟ", "ｰ", "ﾄ", "|", " "]);
        // Each counted as one cell where the terminal is told what to draw.
        assert!((0..6).all(|x| buf[(x, 0)].cell_width() == 1));
        // A wide character with a mark after it (not a word, but mail is anything).
        let mut buf = Buffer::empty(area);
        Cells::from(Line::raw("あﾟx")).render(area, &mut buf);
        let cells: Vec<&str> = (0..4).map(|x| buf[(x, 0)].symbol()).collect();
        assert_eq!(cells, ["あ", " ", "ﾟ", "x"]);
    }

    #[test]
    fn settle_blanks_a_wide_cluster_half_covered_by_a_popup() {
        use ratatui::layout::Rect;
        let area = Rect::new(0, 0, 6, 1);
        let mut before = Buffer::empty(area);
        before.set_string(0, 0, "a請求", ratatui::style::Style::default());
        let mut after = before.clone();
        // A border drawn on the second half of 請.
        after[(2, 0)].set_symbol("│");
        settle(&mut after, Some(&before));
        assert_eq!(after[(1, 0)].symbol(), " ");
        assert_eq!(after[(2, 0)].symbol(), "│");
        assert_eq!(after[(3, 0)].symbol(), "求");
        // Unstable text that reached the buffer is replaced within its cells.
        let mut b = Buffer::empty(area);
        b.set_string(0, 0, "❤️x", ratatui::style::Style::default());
        settle(&mut b, None);
        assert_eq!(b[(0, 0)].symbol(), "❤");
    }
}
