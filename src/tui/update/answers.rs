//! The workers' answers to state.

use super::*;

pub(super) fn worker(s: &mut State, r: Reply, out: &mut Vec<Command>) {
    match r {
        Reply::List {
            req,
            window,
            selected,
            top,
            counts,
            matches,
        } => {
            if req != s.list.req {
                return;
            }
            super::status::matches_elsewhere(s, matches.then_some(&counts), window.total);
            s.list.answered = req;
            if window != s.list.window
                || counts != s.list.counts
                || selected != s.list.selected
                || top != s.list.top
            {
                s.dirty = true;
            }
            s.list.window = window;
            s.list.counts = counts;
            s.list.selected = selected;
            s.list.top = top;
            s.list.selected_id = s
                .list
                .window
                .get(selected)
                .map(|r| (r.conversation.mailbox.clone(), r.conversation.id.clone()));
            let rows: Vec<_> = s
                .list
                .window
                .rows
                .iter()
                .map(|r| r.conversation.clone())
                .collect();
            rows.iter().for_each(|c| displaced(s, c, out));
            replay_keys(s, out);
        }
        Reply::Counts { req, counts } => {
            if req != s.list.req {
                return;
            }
            super::status::matches_elsewhere(s, Some(&counts), s.list.window.total);
            if counts != s.list.counts {
                s.list.counts = counts;
                s.dirty = true;
            }
        }
        Reply::DraftKept { id, result } => {
            // Said only when it failed: the take-over line already says the draft stays.
            if let Err(e) = result {
                s.dirty = true;
                s.status.error = Some(format!(
                    "{}: {}",
                    short(&id),
                    tf("tui.reply.draft_not_kept", &[("error", &e)])
                ));
            }
        }
        Reply::ListFailed { req, error } => {
            if req == s.list.req {
                s.list.answered = req;
                replay_keys(s, out);
                s.dirty = true;
                s.status.error = Some(error);
            }
        }
        Reply::Opened { id, result } => {
            let Some(reader) = s.reader.as_mut().filter(|r| r.id == id) else {
                return;
            };
            s.dirty = true;
            match result {
                Ok(view) => {
                    reader.subject = view.conversation.subject.clone();
                    let conv = view.conversation.clone();
                    reader.view = Some(view);
                    displaced(s, &conv, out);
                }
                Err(e) => s.status.error = Some(e),
            }
        }
        Reply::Tagged { id, result } => super::desk::tagged(s, id, result, out),
        Reply::Regrouped { id, split, result } => super::desk::regrouped(s, id, split, result, out),
        Reply::Duty { away, result } => {
            s.dirty = true;
            s.status.busy = s.status.busy.saturating_sub(1);
            match result {
                Ok(()) => {
                    s.away = away;
                    s.status.error = None;
                    s.status.info = Some(
                        tr(if away {
                            "tui.duty.away"
                        } else {
                            "tui.duty.back"
                        })
                        .into(),
                    );
                }
                Err(e) => {
                    s.status.info = None;
                    s.status.error = Some(e);
                }
            }
        }
        Reply::Acted { id, result } => {
            s.dirty = true;
            s.status.busy = s.status.busy.saturating_sub(1);
            match result {
                Ok(Outcome::Won(w)) => {
                    s.status.error = None;
                    s.status.info = Some(format!(
                        "{}: {}",
                        short(&id),
                        crate::i18n::event_sentence(
                            &w.event,
                            &w.agent,
                            w.owner.as_deref(),
                            w.displaced.as_deref()
                        )
                    ));
                    refresh_after_change(s, &id, out);
                }
                Ok(Outcome::Already { what, .. }) => {
                    s.status.info = Some(format!("{}: {}", short(&id), already_text(&what)));
                }
                Ok(Outcome::Queued { .. }) => {
                    s.status.error = None;
                    s.status.info = Some(format!("{}: {}", short(&id), tr("tui.offline.queued")));
                }
                Ok(Outcome::Lost {
                    winner, idle_secs, ..
                }) => {
                    s.status.info = None;
                    s.status.error = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf(
                            "tui.lost",
                            &[
                                ("winner", &winner),
                                ("since", &crate::i18n::held_since(idle_secs)),
                                ("key", &s.keymap.key_for(Action::TakeOver)),
                            ]
                        )
                    ));
                }
                Ok(Outcome::Refused { why, .. }) => {
                    s.status.info = None;
                    s.status.error = Some(format!("{}: {}", short(&id), refused_text(&why)));
                }
                Err(e) => {
                    s.status.info = None;
                    s.status.error = Some(e);
                }
            }
        }
        Reply::Noted { id, result } => {
            s.dirty = true;
            s.status.busy = s.status.busy.saturating_sub(1);
            match result {
                Ok(queued) => {
                    s.status.error = None;
                    let said = if queued {
                        tr("tui.offline.queued")
                    } else {
                        tr("tui.note.added")
                    };
                    s.status.info = Some(format!("{}: {said}", short(&id)));
                    refresh_after_change(s, &id, out);
                }
                Err(e) => {
                    s.status.info = None;
                    s.status.error = Some(e);
                }
            }
        }
        Reply::Agents(agents) => s.seen_agents = agents,
        Reply::Saved { id, dir, result } => {
            s.dirty = true;
            s.status.busy = s.status.busy.saturating_sub(1);
            match result {
                Ok(n) => {
                    s.status.error = None;
                    s.status.info = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf("tui.saved", &[("count", &n), ("dir", &dir)])
                    ));
                }
                Err(e) => s.status.error = Some(e),
            }
        }
        other @ (Reply::ReplyPrepared { .. }
        | Reply::ReplyEdited { .. }
        | Reply::ReplySubmitted { .. }
        | Reply::TookBack { .. }
        | Reply::SentDue { .. }
        | Reply::Approvals(_)
        | Reply::Decided { .. }) => {
            s.dirty = true;
            reply_worker(s, other, out);
        }
        Reply::NoteEdited { id, text } => {
            s.dirty = true;
            match text {
                Ok(Some(text)) => send_note(s, id, text, out),
                Ok(None) => s.status.info = Some(tr("tui.note.empty").into()),
                Err(e) => s.status.error = Some(e),
            }
        }
    }
}

/// Tells the agent, once, that the conversation of the reply being written was given to
/// someone else (a take-over): the draft stays here and is kept on disk at once, where the
/// next reply on the conversation opens it (a quit or a crash loses nothing).
pub(super) fn displaced(
    s: &mut State,
    conv: &tanto_mail::cache::ConversationRow,
    out: &mut Vec<Command>,
) {
    let Some(c) = s
        .compose
        .as_mut()
        .filter(|c| c.id == conv.id && !c.displaced)
    else {
        return;
    };
    let Some(holder) = conv.assignee.as_ref().filter(|a| **a != s.me) else {
        return;
    };
    c.displaced = true;
    out.push(Command::KeepDraft {
        mailbox: c.mailbox.clone(),
        id: c.id.clone(),
        by: holder.clone(),
        text: c.text.clone(),
    });
    s.dirty = true;
    s.status.error = Some(format!(
        "{}: {}",
        short(&conv.id),
        tf("tui.reply.displaced", &[("holder", holder)])
    ));
}

pub(super) fn already_text(what: &Already) -> String {
    match what {
        Already::ClaimedByYou => tr("tui.already.yours").into(),
        Already::NotClaimed => tr("tui.already.not_claimed").into(),
        Already::AssignedTo(a) => tf("tui.already.assigned_to", &[("agent", a)]),
        Already::Done => tr("tui.already.done").into(),
        Already::NotDone(st) => tf(
            "tui.already.not_done",
            &[("status", &crate::i18n::status_name(*st))],
        ),
        Already::NotWaiting(st) => tf(
            "tui.already.not_waiting",
            &[("status", &crate::i18n::status_name(*st))],
        ),
        Already::NotNew(st) => tf(
            "tui.already.not_new",
            &[("status", &crate::i18n::status_name(*st))],
        ),
    }
}

pub(super) fn refused_text(why: &Refused) -> String {
    crate::i18n::refused_reason(why)
}

/// The keys typed while a new tab's rows were on the way, now that they are here.
fn replay_keys(s: &mut State, out: &mut Vec<Command>) {
    if !s.input.tab_pending {
        return;
    }
    s.input.tab_pending = false;
    s.dirty = true;
    for k in std::mem::take(&mut s.input.queued) {
        super::key(s, k, out);
    }
}
