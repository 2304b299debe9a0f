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
            Some(_) => "Could not open this conversation (see below).",
            None => "Loading…",
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
        Span::styled("Customer ", t.dim()),
        Span::raw(c.customer.clone()),
        Span::styled("  Status ", t.dim()),
        Span::raw(format!("{}{owner}", c.status.as_str())),
        Span::styled("  Id ", t.dim()),
        Span::raw(c.id.clone()),
    ]));
    if !v.presence.is_empty() {
        let who: Vec<String> = v
            .presence
            .iter()
            .map(|p| format!("{} is {}", p.agent, p.kind))
            .collect();
        out.push(Line::from(Span::styled(
            who.join(", "),
            t.fg(Color::Magenta).add_modifier(Modifier::BOLD),
        )));
    }
    if let Some(e) = &v.fetch_error {
        out.push(Line::from(Span::styled(
            format!("Some bodies could not be fetched: {e}"),
            t.error(),
        )));
    }
    for e in &v.timeline {
        out.push(Line::raw(""));
        let at = when(s, e.at);
        match e.kind {
            EntryKind::Inbound | EntryKind::Reply => {
                let (label, colour) = if e.kind == EntryKind::Inbound {
                    ("Customer", Color::Green)
                } else {
                    ("Team", Color::Cyan)
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
                    out.push(header_line(&t, "To", &addresses(&e.to)));
                }
                if !e.cc.is_empty() {
                    out.push(header_line(&t, "Cc", &addresses(&e.cc)));
                }
                out.push(header_line(&t, "Subject", &e.subject));
                if let Some(n) = &e.noise {
                    out.push(header_line(&t, "Noise", n));
                }
                for a in &e.attachments {
                    out.push(header_line(
                        &t,
                        "Attached",
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
                    for l in e.text.lines() {
                        out.push(Line::raw(l.to_string()));
                    }
                } else {
                    out.push(Line::from(Span::styled(
                        "(body not in the cache and not fetched)",
                        t.dim(),
                    )));
                }
            }
            EntryKind::Note => {
                let who = e.agent.clone().unwrap_or_default();
                out.push(Line::from(vec![
                    Span::styled("── Note ", t.fg(Color::Yellow).add_modifier(Modifier::BOLD)),
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
                let what = if e.subject.is_empty() {
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
    out
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
