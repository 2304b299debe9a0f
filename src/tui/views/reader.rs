//! The reader: one conversation's whole timeline (customer mail, the team's replies,
//! internal notes, events), with readable headers and the attachments, scrollable.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{fit, when, Theme};
use crate::app::conversations::{ConversationView, EntryKind};
use crate::core::model::Address;
use crate::i18n::{t as tr, tf};
use crate::tui::state::State;

pub fn draw(s: &State, f: &mut Frame, area: Rect) {
    let Some(r) = &s.reader else {
        return;
    };
    let t = Theme::of(s);
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    f.render_widget(
        Paragraph::new(fit(&r.subject, area.width as usize)).style(t.selected()),
        title,
    );
    let Some(view) = &r.view else {
        let text = match &s.error {
            Some(_) => tr("tui.reader.failed"),
            None => tr("tui.loading"),
        };
        f.render_widget(Paragraph::new(Span::styled(text, t.dim())), body);
        return;
    };
    let lines = lines(s, view);
    let max = lines.len().saturating_sub(body.height as usize / 2) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((r.scroll.min(max), 0)),
        body,
    );
}

fn address(a: &Address) -> String {
    match &a.name {
        Some(n) if !n.is_empty() => format!("{n} <{}>", a.email),
        _ => a.email.clone(),
    }
}

fn addresses(list: &[Address]) -> String {
    list.iter().map(address).collect::<Vec<_>>().join(", ")
}

/// The timeline as lines.
fn lines(s: &State, v: &ConversationView) -> Vec<Line<'static>> {
    let t = Theme::of(s);
    let c = &v.conversation;
    let mut out = Vec::new();
    let owner = match &c.assignee {
        Some(a) => format!(", {a}"),
        None => String::new(),
    };
    out.push(Line::from(vec![
        Span::styled(format!("{} ", tr("tui.reader.customer")), t.dim()),
        Span::raw(c.customer.clone()),
        Span::styled(format!("  {} ", tr("tui.reader.status")), t.dim()),
        Span::raw(format!("{}{owner}", crate::i18n::status_title(c.status))),
        Span::styled("  Id ", t.dim()),
        Span::raw(c.id.clone()),
    ]));
    if !v.presence.is_empty() {
        let who: Vec<String> = v
            .presence
            .iter()
            .map(|p| tf("show.presence", &[("agent", &p.agent), ("what", &p.kind)]))
            .collect();
        out.push(Line::from(Span::styled(
            who.join(", "),
            t.fg(Color::Magenta).add_modifier(Modifier::BOLD),
        )));
    }
    if let Some(e) = &v.fetch_error {
        out.push(Line::from(Span::styled(
            tf("tui.reader.fetch_failed", &[("why", e)]),
            t.error(),
        )));
    }
    for e in &v.timeline {
        out.push(Line::raw(""));
        let at = when(s, e.at);
        match e.kind {
            EntryKind::Inbound | EntryKind::Reply => {
                let (label, colour) = if e.kind == EntryKind::Inbound {
                    (tr("tui.reader.from_customer"), Color::Green)
                } else {
                    (tr("tui.reader.from_team"), Color::Cyan)
                };
                let from = e.from.as_ref().map(address).unwrap_or_default();
                out.push(Line::from(vec![
                    Span::styled(
                        format!("── {label} "),
                        t.fg(colour).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(from, t.title()),
                    Span::styled(format!("  {at}"), t.dim()),
                ]));
                if !e.to.is_empty() {
                    out.push(header_line(&t, tr("tui.reader.to"), &addresses(&e.to)));
                }
                if !e.cc.is_empty() {
                    out.push(header_line(&t, tr("tui.reader.cc"), &addresses(&e.cc)));
                }
                out.push(header_line(&t, tr("tui.reader.subject"), &e.subject));
                if let Some(n) = &e.noise {
                    out.push(header_line(&t, tr("tui.reader.noise"), n));
                }
                for a in &e.attachments {
                    out.push(header_line(
                        &t,
                        tr("tui.reader.attached"),
                        &format!(
                            "{} ({}, {})",
                            crate::sanitize::file_name(&a.name),
                            a.mime_type,
                            size(a.size)
                        ),
                    ));
                }
                out.push(Line::raw(""));
                if e.has_body {
                    // Behind a gutter: no line of a mail can pass for tanto's own.
                    for l in e.text.lines() {
                        out.push(Line::from(vec![
                            Span::styled("│ ", t.dim()),
                            Span::raw(l.to_string()),
                        ]));
                    }
                } else {
                    out.push(Line::from(Span::styled(tr("tui.reader.no_body"), t.dim())));
                }
            }
            EntryKind::Note => {
                let who = e.agent.clone().unwrap_or_default();
                out.push(Line::from(vec![
                    Span::styled(
                        format!("── {} ", tr("tui.reader.note")),
                        t.fg(Color::Yellow).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(who, t.title()),
                    Span::styled(format!("  {at}"), t.dim()),
                ]));
                for l in e.text.lines() {
                    out.push(Line::from(Span::styled(
                        format!("│ {l}"),
                        t.fg(Color::Yellow),
                    )));
                }
            }
            EntryKind::Event => {
                let what =
                    if let (Some(kind), crate::i18n::Lang::Ja) = (&e.event, crate::i18n::lang()) {
                        // The log's sentence is English: other languages word the event anew.
                        crate::i18n::event_sentence(
                            kind,
                            e.agent.as_deref().unwrap_or(""),
                            e.owner.as_deref(),
                            None,
                        )
                    } else if e.subject.is_empty() {
                        e.event
                            .as_ref()
                            .map(|k| k.as_str().to_string())
                            .unwrap_or_default()
                    } else {
                        e.subject.clone()
                    };
                out.push(Line::from(Span::styled(format!("· {at}  {what}"), t.dim())));
            }
        }
    }
    outbox_lines(s, v, &t, &mut out);
    out
}

/// The conversation's replies still in the outbox: what is scheduled, waits for approval or
/// is held must be in sight of whoever reads the conversation.
fn outbox_lines(s: &State, v: &ConversationView, t: &Theme, out: &mut Vec<Line<'static>>) {
    for q in &v.outbox {
        out.push(Line::raw(""));
        let mut what = tf(
            "tui.reader.queued",
            &[("author", &q.author), ("standing", &q.standing)],
        );
        if q.send_at > 0 {
            what.push_str(&format!(" · {}", when(s, q.send_at)));
        }
        let bad = matches!(q.standing.as_str(), "held" | "rejected" | "uncertain");
        out.push(Line::from(vec![
            Span::styled(
                format!("── {} ", tr("tui.reader.outbox")),
                t.fg(if bad { Color::Red } else { Color::Blue })
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(what),
        ]));
        if let Some(why) = &q.reason {
            out.push(header_line(t, tr("tui.reader.why"), why));
        }
        if q.author == s.me && q.may_take_back() {
            out.push(Line::from(Span::styled(
                tf(
                    "tui.reader.take_back_hint",
                    &[("key", &s.keymap.key_for(crate::tui::keymap::Action::Undo))],
                ),
                t.dim(),
            )));
        }
    }
}

fn header_line(t: &Theme, name: &str, value: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name}: "), t.dim()),
        Span::raw(value.to_string()),
    ])
}

fn size(n: usize) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{} KB", n / 1024),
        _ => format!("{:.1} MB", n as f64 / 1_048_576.0),
    }
}
