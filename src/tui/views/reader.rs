//! The reader: one conversation's whole timeline (customer mail, the team's replies,
//! internal notes, events), with readable headers and the attachments, scrollable.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{fit, when, Theme};
use crate::i18n::{t as tr, tf};
use crate::tui::cells::{self, Cells};
use crate::tui::state::State;
use tanto_app::conversations::{ConversationView, EntryKind};
use tanto_core::model::Address;
use tanto_mail::sanitize::single_line;

pub fn draw(s: &State, f: &mut Frame, area: Rect) {
    let Some(r) = &s.reader else {
        return;
    };
    let t = Theme::of(s);
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    f.render_widget(
        Cells::from(Line::raw(fit(
            &single_line(&r.subject),
            area.width as usize,
        )))
        .style(t.selected()),
        title,
    );
    let Some(view) = &r.view else {
        let text = match &s.status.error {
            Some(_) => tr("tui.reader.failed"),
            None => tr("tui.loading"),
        };
        f.render_widget(Cells::from(Line::styled(text, t.dim())), body);
        return;
    };
    let mut lines = lines(s, view, body.width as usize);
    let max = lines.len().saturating_sub(body.height as usize / 2);
    let from = usize::from(r.scroll).min(max);
    lines.drain(..from);
    f.render_widget(Cells::new(lines), body);
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

/// The gutter in front of every line that comes from a message (headers, body, a note):
/// however the text is padded or wrapped, none of it can pass for tanto's own lines.
const GUTTER: &str = "│ ";

/// `value` after `label: `, wrapped to `width` with its continuation lines indented under
/// the value's start (a long subject stays beside its label), each behind `gutter` when
/// given.
fn labelled(
    out: &mut Vec<Line<'static>>,
    gutter: Option<Span<'static>>,
    label: Span<'static>,
    value: &str,
    style: Style,
    width: usize,
) {
    let lead =
        gutter.as_ref().map_or(0, |g| cells::width(&g.content)) + cells::width(&label.content);
    // A label too wide for the screen leaves the value at least a third of it.
    let lead = lead.min(width.saturating_sub(width / 3).max(1));
    let room = width.saturating_sub(lead).max(1);
    for (i, piece) in cells::wrap(value, room).into_iter().enumerate() {
        let mut spans: Vec<Span<'static>> = gutter.iter().cloned().collect();
        if i == 0 {
            spans.push(label.clone());
        } else {
            let indent =
                lead.saturating_sub(gutter.as_ref().map_or(0, |g| cells::width(&g.content)));
            spans.push(Span::raw(" ".repeat(indent)));
        }
        spans.push(Span::styled(piece, style));
        out.push(Line::from(spans));
    }
}

/// Lines of message text, each wrapped to `width` and every piece behind the gutter.
fn framed_text(
    out: &mut Vec<Line<'static>>,
    gutter: Span<'static>,
    text: &str,
    style: Style,
    width: usize,
) {
    let room = width.saturating_sub(cells::width(&gutter.content)).max(1);
    for l in text.lines() {
        for piece in cells::wrap(l, room) {
            out.push(Line::from(vec![gutter.clone(), Span::styled(piece, style)]));
        }
    }
}

/// The timeline as lines laid out for `width` cells.
fn lines(s: &State, v: &ConversationView, width: usize) -> Vec<Line<'static>> {
    let t = Theme::of(s);
    let c = &v.conversation;
    let mut out = Vec::new();
    let owner = match &c.assignee {
        Some(a) => format!(", {}", single_line(a)),
        None => String::new(),
    };
    labelled(
        &mut out,
        None,
        Span::styled(format!("{} ", tr("tui.reader.customer")), t.dim()),
        &format!(
            "{}  {} {}{owner}  Id {}",
            single_line(&c.customer),
            tr("tui.reader.status"),
            crate::i18n::status_title(c.status),
            single_line(&c.id)
        ),
        Style::default(),
        width,
    );
    if !v.tags.is_empty() {
        // One row, as the reader's layout counts it: the tags that fit, then "…".
        let tags: Vec<String> = v
            .tags
            .iter()
            .map(|t| format!("#{}", single_line(t)))
            .collect();
        let label = format!("{} ", tr("tui.reader.tags"));
        let room = width.saturating_sub(cells::width(&label));
        out.push(Line::from(vec![
            Span::styled(label, t.dim()),
            Span::styled(
                cells::fit(&tags.join(" "), room).trim_end().to_string(),
                t.fg(Color::Cyan),
            ),
        ]));
    }
    if !v.presence.is_empty() {
        let who: Vec<String> = v
            .presence
            .iter()
            .map(|p| {
                tf(
                    "show.presence",
                    &[
                        ("agent", &p.agent),
                        ("what", &crate::i18n::presence_kind(&p.kind)),
                    ],
                )
            })
            .collect();
        for piece in cells::wrap(&who.join(", "), width) {
            out.push(Line::from(Span::styled(
                piece,
                t.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            )));
        }
    }
    if let Some(e) = &v.fetch_error {
        for piece in cells::wrap(
            &tf(
                "tui.reader.fetch_failed",
                &[("why", &crate::i18n::cause_text(e))],
            ),
            width,
        ) {
            out.push(Line::from(Span::styled(piece, t.error())));
        }
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
                out.push(Line::from(vec![
                    Span::styled(
                        format!("── {label} "),
                        t.fg(colour).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!(" {at}"), t.dim()),
                ]));
                // Every header field comes from the mail: framed like its body.
                let gutter = Span::styled(GUTTER, t.fg(colour));
                let field =
                    |out: &mut Vec<Line<'static>>, name: &str, value: &str, style: Style| {
                        labelled(
                            out,
                            Some(gutter.clone()),
                            Span::styled(format!("{name}: "), t.dim()),
                            value,
                            style,
                            width,
                        )
                    };
                if let Some(from) = &e.from {
                    field(&mut out, tr("tui.reader.from"), &address(from), t.title());
                }
                if !e.to.is_empty() {
                    field(
                        &mut out,
                        tr("tui.reader.to"),
                        &addresses(&e.to),
                        Style::default(),
                    );
                }
                if !e.cc.is_empty() {
                    field(
                        &mut out,
                        tr("tui.reader.cc"),
                        &addresses(&e.cc),
                        Style::default(),
                    );
                }
                field(
                    &mut out,
                    tr("tui.reader.subject"),
                    &e.subject,
                    Style::default(),
                );
                if let Some(n) = &e.noise {
                    field(&mut out, tr("tui.reader.noise"), n, Style::default());
                }
                for a in &e.attachments {
                    field(
                        &mut out,
                        tr("tui.reader.attached"),
                        &format!(
                            "{} ({}, {})",
                            tanto_mail::sanitize::file_name(&a.name),
                            single_line(&a.mime_type),
                            size(a.size)
                        ),
                        Style::default(),
                    );
                }
                out.push(Line::from(gutter.clone()));
                if e.has_body {
                    framed_text(
                        &mut out,
                        Span::styled(GUTTER, t.dim()),
                        &e.text,
                        Style::default(),
                        width,
                    );
                } else {
                    out.push(Line::from(vec![
                        gutter.clone(),
                        Span::styled(tr("tui.reader.no_body"), t.dim()),
                    ]));
                }
            }
            EntryKind::Note => {
                let who = e.agent.clone().unwrap_or_default();
                out.push(
                    Line::raw(fit(
                        &format!("── {} {who}  {at}", tr("tui.reader.note")),
                        width,
                    ))
                    .style(t.fg(Color::Yellow).add_modifier(Modifier::BOLD)),
                );
                let yellow = t.fg(Color::Yellow);
                framed_text(
                    &mut out,
                    Span::styled(GUTTER, yellow),
                    &e.text,
                    yellow,
                    width,
                );
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
                labelled(
                    &mut out,
                    None,
                    Span::styled(format!("· {at}  "), t.dim()),
                    &what,
                    t.dim(),
                    width,
                );
            }
        }
    }
    outbox_lines(s, v, &t, width, &mut out);
    out
}

/// The conversation's replies still in the outbox: what is scheduled, waits for approval or
/// is held must be in sight of whoever reads the conversation.
fn outbox_lines(
    s: &State,
    v: &ConversationView,
    t: &Theme,
    width: usize,
    out: &mut Vec<Line<'static>>,
) {
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
        labelled(
            out,
            None,
            Span::styled(
                format!("── {} ", tr("tui.reader.outbox")),
                t.fg(if bad { Color::Red } else { Color::Blue })
                    .add_modifier(Modifier::BOLD),
            ),
            &what,
            Style::default(),
            width,
        );
        if let Some(why) = &q.reason {
            labelled(
                out,
                Some(Span::styled(GUTTER, t.dim())),
                Span::styled(format!("{}: ", tr("tui.reader.why")), t.dim()),
                why,
                Style::default(),
                width,
            );
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

fn size(n: usize) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{} KB", n / 1024),
        _ => format!("{:.1} MB", n as f64 / 1_048_576.0),
    }
}
