//! The views: pure functions from `&State` to a frame, one file per view. Text is laid out
//! by display width (wide CJK characters count two columns and are never cut in half).

mod approvals;
mod help;
mod list;
mod popup;
mod prompt;
mod reader;
mod status;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;

use super::state::{Overlay, Screen, State};
pub(crate) use help::{help_rows, messages_rows};

/// Draws the whole screen.
pub fn draw(s: &State, f: &mut Frame) {
    let [main, bar] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(f.area());
    let input = matches!(
        s.overlay,
        Some(Overlay::Filter) | Some(Overlay::CommandLine { .. }) | Some(Overlay::Find { .. })
    );
    let (main, prompt_area) = if input {
        let [m, p] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(main);
        (m, Some(p))
    } else {
        (main, None)
    };
    match s.screen {
        Screen::List => list::draw(s, f, main),
        Screen::Reader => reader::draw(s, f, main),
        Screen::Approvals => approvals::draw(s, f, main),
    }
    if let Some(p) = prompt_area {
        prompt::draw_line(s, f, p);
    }
    status::draw(s, f, bar);
    // What lies under the overlays: a wide character they half cover is blanked.
    let under = s.overlay.is_some().then(|| f.buffer_mut().clone());
    match &s.overlay {
        Some(Overlay::Help { scroll }) => help::draw(s, *scroll, f, main),
        Some(Overlay::Picker { agents, selected }) => {
            prompt::draw_picker(s, agents, *selected, f, main)
        }
        Some(Overlay::NoteEditor { text, .. }) => prompt::draw_editor(s, text, f, main),
        Some(Overlay::SendReply { warnings, later }) => {
            prompt::draw_send(s, warnings, later.as_deref(), f, main)
        }
        Some(Overlay::RejectReason { text }) => {
            prompt::draw_reason(crate::i18n::t("tui.reject.title"), text, f, main)
        }
        Some(Overlay::WaitReason { text }) => {
            prompt::draw_reason(crate::i18n::t("tui.wait.title"), text, f, main)
        }
        Some(Overlay::SnoozeUntil { text }) => {
            prompt::draw_reason(crate::i18n::t("tui.snooze.title"), text, f, main)
        }
        Some(Overlay::TagName { text, on, .. }) => prompt::draw_reason(
            crate::i18n::t(if *on {
                "tui.tag.title"
            } else {
                "tui.untag.title"
            }),
            text,
            f,
            main,
        ),
        Some(Overlay::Messages { scroll }) => help::draw_messages(s, *scroll, f, main),
        Some(Overlay::Confirm { question, .. }) => prompt::draw_confirm(s, question, f, main),
        _ => {}
    }
    crate::tui::cells::settle(f.buffer_mut(), under.as_ref());
}

/// `text` cut to `width` cells on grapheme-cluster boundaries (with "…" when cut), padded
/// with spaces to exactly `width` cells.
pub fn fit(text: &str, width: usize) -> String {
    crate::tui::cells::fit(text, width)
}

/// `n` with its thousands grouped: "100,000".
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Styles that degrade to bold/reverse on monochrome terminals and under NO_COLOR.
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn of(s: &State) -> Theme {
        Theme { color: s.color }
    }
    pub fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub fn selected(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Blue).fg(Color::White)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub fn error(&self) -> Style {
        if self.color {
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        }
    }
}

/// How long ago `at` was, for the list's Age column (at most 6 cells): "40s", "5m", "3h",
/// "6d" within a week; then the day, "Mar 5" (ja "3/5"), within a year; then the year.
/// Old mail reads by its date, as in neomutt and aerc, not as "134w".
pub fn age(s: &State, at: i64) -> String {
    let secs = (s.now - at).max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86400 => format!("{}h", secs / 3600),
        86400..604_800 => format!("{}d", secs / 86400),
        _ => {
            let format = if secs < 365 * 86400 {
                crate::i18n::t("tui.age.day")
            } else {
                "%Y"
            };
            chrono::DateTime::from_timestamp(at + i64::from(s.utc_offset), 0)
                .map(|d| d.format(format).to_string())
                .unwrap_or_default()
        }
    }
}

/// "2024-05-01 10:32" in the state's time zone.
pub fn when(s: &State, at: i64) -> String {
    chrono::DateTime::from_timestamp(at + i64::from(s.utc_offset), 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// "2024-05-01 10:32" in a zone `utc_offset` seconds east.
pub fn when_at(utc_offset: i32, at: i64) -> String {
    chrono::DateTime::from_timestamp(at + i64::from(utc_offset), 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// "10:32" in the state's time zone.
pub fn clock(s: &State, at: i64) -> String {
    chrono::DateTime::from_timestamp(at + i64::from(s.utc_offset), 0)
        .map(|d| d.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// A rectangle of `w` x `h` centred in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
#[path = "snapshots_tests.rs"]
mod snapshots_tests;

#[cfg(test)]
#[path = "desk_tests.rs"]
mod desk_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_wide_characters_on_boundaries_and_pads_to_the_width() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        // 請求書 is 6 columns: in 4, one wide character, the ellipsis, one space.
        assert_eq!(fit("請求書", 4), "請… ");
        assert_eq!(crate::tui::cells::width(&fit("請求書", 4)), 4);
        assert_eq!(fit("請求書", 6), "請求書");
        assert_eq!(fit("x", 0), "");
    }

    #[test]
    fn ages_read_as_a_date_once_a_week_old() {
        use crate::i18n::{with_lang, Lang};
        // 2024-06-15 12:00 UTC.
        let now = 1_718_452_800;
        let mut s = State::new("a", Vec::new(), crate::tui::keymap::Keymap::new(&[]), now);
        let ago = |s: &State, secs: i64| age(s, now - secs);
        assert_eq!(ago(&s, 40), "40s");
        assert_eq!(ago(&s, 300), "5m");
        assert_eq!(ago(&s, 3 * 3600), "3h");
        assert_eq!(ago(&s, 6 * 86400), "6d");
        // A week and more: the day it came, in the local time zone.
        assert_eq!(ago(&s, 8 * 86400), "Jun 7");
        assert_eq!(ago(&s, 102 * 86400), "Mar 5");
        assert_eq!(with_lang(Lang::Ja, || ago(&s, 102 * 86400)), "3/5");
        s.utc_offset = 9 * 3600;
        assert_eq!(age(&s, 1_709_675_000), "Mar 6");
        // A year and more: the year.
        assert_eq!(ago(&s, 134 * 7 * 86400), "2021");
        for secs in [0, 59, 3599, 86399, 604_799, 200 * 86400, 5000 * 86400] {
            assert!(crate::tui::cells::width(&ago(&s, secs)) <= 6, "{secs}");
        }
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(3400), "3,400");
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
