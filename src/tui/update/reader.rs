//! The reader: scrolling, moving by message (J/K) and by search match (n/N), leaving it.

use super::*;

pub(super) fn scroll(s: &mut State, delta: i32) {
    if let Some(r) = &mut s.reader {
        r.scroll = (i32::from(r.scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
    }
}

pub(super) fn leave_reader(s: &mut State, out: &mut Vec<Command>) {
    if let Some(r) = s.reader.take() {
        out.push(Command::Leave {
            mailbox: r.mailbox,
            id: r.id,
        });
    }
    s.screen = Screen::List;
    out.push(reload(s));
}

/// The reader's text as the reader view lays it out, one string per line, and the line
/// where each entry of the timeline starts. Only positions matter here (where `n` and `J`
/// scroll to), so the words are the entries' own, not the view's labels.
fn layout(v: &ConversationView) -> (Vec<String>, Vec<usize>) {
    use tanto_app::conversations::EntryKind;
    let mut lines = vec![format!("{} {}", v.conversation.customer, v.conversation.id)];
    if !v.tags.is_empty() {
        lines.push(v.tags.join(" "));
    }
    if !v.presence.is_empty() {
        lines.push(String::new());
    }
    if v.fetch_error.is_some() {
        lines.push(String::new());
    }
    let mut starts = Vec::new();
    for e in &v.timeline {
        lines.push(String::new());
        starts.push(lines.len());
        let from = e.from.as_ref().map(|a| a.email.clone()).unwrap_or_default();
        match e.kind {
            EntryKind::Inbound | EntryKind::Reply => {
                lines.push(format!("── {from}"));
                let names = |l: &[tanto_core::model::Address]| {
                    l.iter()
                        .map(|a| a.email.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if !e.to.is_empty() {
                    lines.push(names(&e.to));
                }
                if !e.cc.is_empty() {
                    lines.push(names(&e.cc));
                }
                lines.push(e.subject.clone());
                if let Some(n) = &e.noise {
                    lines.push(n.clone());
                }
                lines.extend(e.attachments.iter().map(|a| a.name.clone()));
                lines.push(String::new());
                if e.has_body {
                    lines.extend(e.text.lines().map(|l| format!("│ {l}")));
                } else {
                    lines.push(String::new());
                }
            }
            EntryKind::Note => {
                lines.push(format!("── {}", e.agent.clone().unwrap_or_default()));
                lines.extend(e.text.lines().map(|l| format!("│ {l}")));
            }
            EntryKind::Event => lines.push(e.subject.clone()),
        }
    }
    (lines, starts)
}

/// The screen row of each line at `width` columns (long lines wrap as the view wraps them).
fn rows(lines: &[String], width: u16) -> Vec<u16> {
    let width = usize::from(width.max(1));
    let mut at = 0usize;
    lines
        .iter()
        .map(|l| {
            let row = at;
            let w = unicode_width::UnicodeWidthStr::width(l.as_str());
            at += w.div_ceil(width).max(1);
            u16::try_from(row).unwrap_or(u16::MAX)
        })
        .collect()
}

/// `J`/`K`: the next or previous message (or note, or event) of the conversation to the top.
pub(super) fn next_entry(s: &mut State, forward: bool) {
    let Some((r, lines, starts)) = laid_out(s) else {
        return;
    };
    let at = rows(&lines, s.width);
    let scroll = r.scroll;
    let tops: Vec<u16> = starts.iter().filter_map(|i| at.get(*i).copied()).collect();
    let next = if forward {
        tops.iter().find(|t| **t > scroll).copied()
    } else {
        tops.iter().rev().find(|t| **t < scroll).copied()
    };
    if let (Some(t), Some(r)) = (next, s.reader.as_mut()) {
        r.scroll = t;
    }
}

/// The mail (customer mail or a reply) at the top of the reader: the last one starting at
/// or above its first row (J and K put one there), else the first; with its number as
/// `tanto show` and `tanto split --message` count the mail (1 is the first).
pub(super) fn mail_at_top(s: &State) -> Option<(usize, &tanto_app::conversations::Entry)> {
    use tanto_app::conversations::EntryKind;
    let (r, lines, starts) = laid_out(s)?;
    let view = r.view.as_ref()?;
    let at = rows(&lines, s.width);
    let mails: Vec<(usize, &tanto_app::conversations::Entry, u16)> = view
        .timeline
        .iter()
        .zip(&starts)
        .filter(|(e, _)| matches!(e.kind, EntryKind::Inbound | EntryKind::Reply))
        .enumerate()
        .map(|(n, (e, start))| (n + 1, e, at.get(*start).copied().unwrap_or(u16::MAX)))
        .collect();
    mails
        .iter()
        .rev()
        .find(|(_, _, row)| *row <= r.scroll)
        .or_else(|| mails.first())
        .map(|(n, e, _)| (*n, *e))
}

/// The open conversation's scroll and its lines as the reader lays them out, once loaded.
fn laid_out(s: &State) -> Option<(&Reader, Vec<String>, Vec<usize>)> {
    let r = s.reader.as_ref()?;
    let (lines, starts) = layout(r.view.as_ref()?);
    Some((r, lines, starts))
}

/// `n`/`N` in the reader: scrolls to the next (previous) line holding the search, says
/// which match of how many it is, or that there is none.
pub(super) fn find_next(s: &mut State, forward: bool) {
    let Some(needle) = s.input.find.clone() else {
        s.status.info = Some(tf(
            "tui.find.none",
            &[("key", &s.keymap.key_for(Action::Filter))],
        ));
        return;
    };
    let Some((r, lines, _)) = laid_out(s) else {
        return;
    };
    let scroll = r.scroll;
    let at = rows(&lines, s.width);
    let needle_l = needle.to_lowercase();
    let hits: Vec<u16> = lines
        .iter()
        .zip(&at)
        .filter(|(l, _)| l.to_lowercase().contains(&needle_l))
        .map(|(_, row)| *row)
        .collect();
    if hits.is_empty() {
        s.status.info = Some(tf("tui.find.not_found", &[("text", &needle)]));
        return;
    }
    // The match is shown on the second row, under the line before it.
    let shown = scroll.saturating_add(1);
    let next = if forward {
        hits.iter().position(|h| *h > shown).unwrap_or(0)
    } else {
        hits.iter()
            .rposition(|h| *h < shown)
            .unwrap_or(hits.len() - 1)
    };
    if let Some(r) = s.reader.as_mut() {
        r.scroll = hits[next].saturating_sub(1);
    }
    s.status.info = Some(tf(
        "tui.find.at",
        &[
            ("text", &needle),
            ("n", &(next + 1)),
            ("count", &hits.len()),
        ],
    ));
}
