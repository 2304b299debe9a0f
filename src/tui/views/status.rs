//! The status bar: the link to the server, the agent and mailbox, then the last error (or
//! the last news) in one line that never breaks the layout.

use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{clock, fit, grouped, Theme};
use crate::i18n::{t as tr, tf};
use crate::tui::state::{Link, State};
use ratatui::style::Style;
use tanto_app::sync::SyncProgress;
use tanto_mail::imap::sync::Progress;
use tanto_mail::sanitize::single_line;

pub fn draw(s: &State, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let (link, style) = match (&s.status.progress, &s.link) {
        (Some(p), _) => (progress(p), t.fg(Color::Yellow)),
        (None, link) => link_text(s, &t, link),
    };
    let mailbox = s.mailbox_name().unwrap_or(match s.mailboxes.as_slice() {
        [one] => one.as_str(),
        _ => tr("tui.status.all_mailboxes"),
    });
    let who = format!(" {}@{} ", s.me, mailbox);
    // Off duty stays in sight: automatic assignment gives this agent nothing until `D` again.
    let away = if s.away {
        format!("{} ", tr("tui.status.away"))
    } else {
        String::new()
    };
    let busy = if s.status.busy > 0 {
        tr("tui.status.busy")
    } else {
        ""
    };
    let countdown = s.undo.as_ref().map(|u| {
        if u.settling {
            tr("tui.status.sending").to_string()
        } else {
            tf(
                "tui.status.undo",
                &[
                    ("secs", &(u.due - s.now).max(0)),
                    ("key", &s.keymap.key_for(crate::tui::keymap::Action::Undo)),
                ],
            )
        }
    });
    let (news, news_style) = match (&s.status.error, &s.status.info, &s.link) {
        (Some(e), _, _) => (e.clone(), t.error()),
        (None, Some(i), _) => (i.clone(), ratatui::style::Style::default()),
        (None, None, Link::Retrying { reason, .. }) => (reason.clone(), t.dim()),
        _ => (
            tf(
                "tui.status.help",
                &[("key", &s.keymap.key_for(crate::tui::keymap::Action::Help))],
            ),
            t.dim(),
        ),
    };
    // Each part takes what it needs of the room the earlier ones left.
    let mut room = area.width as usize;
    let mut spans = Vec::new();
    for (text, style) in [
        (link, style),
        (who, t.dim()),
        (away, t.fg(Color::Yellow)),
        (busy.to_string(), ratatui::style::Style::default()),
        (countdown.unwrap_or_default(), t.title()),
        (news, news_style),
    ] {
        let w = crate::tui::cells::width(&text).min(room);
        room -= w;
        spans.push(Span::styled(fit(&text, w), style));
    }
    f.render_widget(crate::tui::cells::Cells::from(Line::from(spans)), area);
}

/// The link to the server as the bar words it.
fn link_text(s: &State, t: &Theme, link: &Link) -> (String, Style) {
    match link {
        Link::Connecting => (tr("tui.status.connecting").to_string(), t.fg(Color::Yellow)),
        Link::Connected => (tr("tui.status.connected").to_string(), t.fg(Color::Green)),
        Link::Retrying {
            since, retry_at, ..
        } => {
            let left = (retry_at - s.now).max(0);
            let text = if s.now - since >= 30 {
                tf(
                    "tui.status.offline",
                    &[("since", &clock(s, *since)), ("secs", &left)],
                )
            } else {
                tf("tui.status.reconnecting", &[("secs", &left)])
            };
            (text, t.error())
        }
    }
}

/// A long sync's phase and counts: "syncing INBOX: 3,400 of 100,000".
fn progress(p: &SyncProgress) -> String {
    match p.progress {
        Progress::Waiting => tr("tui.status.sync_waiting").to_string(),
        Progress::Fetching { done, total } => tf(
            "tui.status.sync_fetching",
            &[
                ("folder", &single_line(&p.folder)),
                ("done", &grouped(done)),
                ("total", &grouped(total)),
            ],
        ),
        Progress::Threading { total } => {
            tf("tui.status.sync_threading", &[("total", &grouped(total))])
        }
    }
}
