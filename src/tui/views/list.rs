//! The tabs with their counts and the conversation list.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{age, fit, Theme};
use crate::i18n::{t as tr, tf};
use crate::tui::cells::{self, Cells};
use crate::tui::state::{State, Tab};
use tanto_core::status::Status;
use tanto_mail::sanitize::single_line;

pub fn draw(s: &State, f: &mut Frame, area: Rect) {
    let [tabs, header, rows] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    draw_tabs(s, f, tabs);
    let cols = Columns::for_width(area.width as usize, s.multi_mailbox());
    let t = Theme::of(s);
    f.render_widget(
        Cells::from(cols.line(
            tr("tui.col.age"),
            tr("tui.col.mailbox"),
            tr("tui.col.customer"),
            " ",
            tr("tui.col.subject"),
            tr("tui.col.messages"),
            tr("tui.col.assignee"),
        ))
        .style(t.title().add_modifier(Modifier::UNDERLINED)),
        header,
    );
    let mut lines = Vec::new();
    for i in s.list.top..s.list.top + rows.height as usize {
        if i >= s.list.window.total {
            break;
        }
        let Some(r) = s.list.window.get(i) else {
            lines.push(Line::from(t.dim_text("…")));
            continue;
        };
        let c = &r.conversation;
        // Due by the team's hours; the time spent is counted only for a conversation not
        // yet due, so a row months old costs no walk through its months.
        let age_style = match (&s.reply_target, c.status) {
            (Some(target), Status::New | Status::Wip) if target.overdue(c.last_received, s.now) => {
                t.fg(Color::Red).add_modifier(Modifier::BOLD)
            }
            (Some(target), Status::New | Status::Wip)
                if target.elapsed(c.last_received, s.now) * 4 >= target.secs * 3 =>
            {
                t.fg(Color::Yellow)
            }
            _ => Style::default(),
        };
        // Marked to merge (this agent's own mark: it is theirs to see first), a teammate there
        // now, else mail since this agent last looked (bold too).
        let marked = s
            .list
            .mark
            .as_ref()
            .is_some_and(|m| m.mailbox == c.mailbox && m.id == c.id);
        let marker = if marked {
            "&"
        } else if r.present.is_some() {
            "*"
        } else if r.mentioned {
            "@"
        } else if r.unread {
            "+"
        } else {
            " "
        };
        // Without an owner, the agent it comes back to (woken, or the customer wrote), as
        // `tanto list` shows it: in parentheses.
        let assignee = match (&c.assignee, &c.previous_assignee) {
            (Some(a), _) => a.clone(),
            (None, Some(p)) => format!("({p})"),
            (None, None) => String::new(),
        };
        let mut spans = vec![Span::styled(
            fit(&age(s, c.last_received), cols.age),
            age_style,
        )];
        // The cache is shared, not trusted: its text is made safe where it is drawn.
        let rest = cols.line(
            "",
            &single_line(&c.mailbox),
            // The name where the customer gave one: people know each other by name.
            &single_line(
                c.customer_name
                    .as_deref()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or(&c.customer),
            ),
            marker,
            &with_tags(
                &match &r.waiting {
                    Some(w) => format!("{} │ {}", waiting_label(s, w), single_line(&c.subject)),
                    None => single_line(&c.subject),
                },
                &r.tags,
                cols.subject,
            ),
            &c.messages.to_string(),
            &single_line(&assignee),
        );
        spans.extend(rest.spans.into_iter().skip(1));
        let mut line = Line::from(spans);
        if i == s.list.selected {
            line = line.style(t.selected());
        }
        if r.unread {
            line.style = line.style.add_modifier(Modifier::BOLD);
        }
        lines.push(line);
    }
    if s.list.window.total == 0 {
        let what = if s.list.filter.is_empty() && s.list.customer.is_none() {
            tf("tui.list.empty", &[("tab", &s.list.tab.title())])
        } else {
            tf("tui.list.no_match", &[("tab", &s.list.tab.title())])
        };
        lines.push(Line::from(Span::styled(what, t.dim())));
    }
    f.render_widget(Cells::new(lines), rows);
}

fn draw_tabs(s: &State, f: &mut Frame, area: Rect) {
    let t = Theme::of(s);
    let mut spans = Vec::new();
    for tab in Tab::ALL {
        let (text, overdue) = tab.label_parts(&s.list.counts);
        let style = if tab == s.list.tab {
            t.selected().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        spans.push(Span::styled(text, style));
        if let Some(late) = overdue {
            spans.push(Span::styled(late, style.patch(t.fg(Color::Red))));
        }
        spans.push(Span::raw("│"));
    }
    let mut narrowed = Vec::new();
    if let Some(c) = &s.list.customer {
        narrowed.push(tf("tui.list.customer", &[("customer", c)]));
    }
    if !s.list.filter.is_empty() {
        narrowed.push(format!("/{}", single_line(&s.list.filter)));
    }
    if let Some(m) = s.mailbox_name() {
        narrowed.push(format!("[{m}]"));
    }
    if !narrowed.is_empty() {
        let used: usize = spans.iter().map(|s| cells::width(&s.content)).sum();
        let room = (area.width as usize).saturating_sub(used + 1);
        spans.push(Span::styled(
            format!(" {}", fit(&narrowed.join(" "), room)),
            t.fg(Color::Cyan),
        ));
    }
    f.render_widget(Cells::from(Line::from(spans)), area);
}

/// Column widths for a screen width: the subject takes what the others leave.
struct Columns {
    age: usize,
    mailbox: usize,
    customer: usize,
    subject: usize,
    msgs: usize,
    assignee: usize,
}

impl Columns {
    fn for_width(width: usize, mailbox: bool) -> Columns {
        // "40s" to "Mar 15".
        let age = 6;
        let msgs = 4;
        let assignee = if width >= 60 { 10 } else { 6 };
        let mailbox = if mailbox { 9 } else { 0 };
        let customer = (width / 4).clamp(8, 28);
        // Gaps: one space after each column but the last, and the presence marker.
        let gaps = 4 + usize::from(mailbox > 0) + 1;
        let subject = width.saturating_sub(age + msgs + assignee + mailbox + customer + gaps);
        Columns {
            age,
            mailbox,
            customer,
            subject,
            msgs,
            assignee,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        age: &str,
        mailbox: &str,
        customer: &str,
        marker: &str,
        subject: &str,
        msgs: &str,
        assignee: &str,
    ) -> Line<'static> {
        let mut spans = vec![Span::raw(fit(age, self.age)), Span::raw(" ")];
        if self.mailbox > 0 {
            spans.push(Span::raw(format!("{} ", fit(mailbox, self.mailbox))));
        }
        spans.push(Span::raw(format!("{} ", fit(customer, self.customer))));
        spans.push(Span::raw(fit(marker, 1)));
        spans.push(Span::raw(format!("{} ", fit(subject, self.subject))));
        // Right-aligned by cells: `{:>4}` counts characters, and 件数 is four cells.
        let pad = self.msgs.saturating_sub(cells::width(msgs));
        spans.push(Span::raw(format!(
            "{}{} ",
            " ".repeat(pad),
            fit(msgs, self.msgs - pad)
        )));
        spans.push(Span::raw(fit(assignee, self.assignee)));
        Line::from(spans)
    }
}

impl Theme {
    fn dim_text(&self, text: &'static str) -> Span<'static> {
        Span::styled(text, self.dim())
    }
}

/// The subject column's text: the subject, then the tags as `tanto list` shows them
/// (`#vip #billing`), made safe for the terminal. The tags keep at most half of the column
/// (cut with "…"), and the subject is cut first, so a long subject never hides them.
fn with_tags(subject: &str, tags: &[String], width: usize) -> String {
    if tags.is_empty() {
        return subject.to_string();
    }
    let tags: Vec<String> = tags
        .iter()
        .map(|t| format!("#{}", single_line(t)))
        .collect();
    let tags = tags.join(" ");
    let tags = if cells::width(&tags) > width / 2 {
        fit(&tags, width / 2).trim_end().to_string()
    } else {
        tags
    };
    let room = width.saturating_sub(cells::width(&tags) + 2);
    let subject = if cells::width(subject) > room {
        fit(subject, room)
    } else {
        subject.to_string()
    };
    format!("{subject}  {tags}")
}

/// Why a waiting row waits, before its subject: "until 12-08 09:00 · reason" for a snooze,
/// the reason for a wait (from the log: made safe for the terminal here).
fn waiting_label(s: &State, w: &tanto_core::waiting::Why) -> String {
    let reason = single_line(&w.reason);
    match w.until {
        Some(at) => {
            let until = crate::i18n::tf(
                "tui.waiting.until",
                &[("when", &super::when_at(s.utc_offset, at))],
            );
            if reason.is_empty() {
                until
            } else {
                format!("{until} · {reason}")
            }
        }
        None => reason,
    }
}
