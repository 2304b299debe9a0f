//! The reply keys and answers of `update`: `r`/`R` (claim, draft, editor), the send prompt
//! (send, send later, edit, put aside; warnings with "send anyway"), the undo window, and
//! the Approvals view. No I/O, like the rest of `update`.

use super::{leave_reader, refresh_after_change, reload, short, Command, Reply};
use crate::i18n::{t as tr, tf};
use crate::tui::keymap::Action;
use crate::tui::state::{Compose, Overlay, Screen, State, Undo};
use tanto_app::reply::Replied;
use tanto_app::reply_outbox::{Sent, TakeBack, Verdict};

/// `r` / `R`: go on with the draft of this conversation if there is one, else claim and
/// prepare a new one (the worker answers `ReplyPrepared`).
pub(super) fn start_reply(s: &mut State, all: bool, out: &mut Vec<Command>) {
    let Some((_, id)) = s.target() else {
        return;
    };
    if s.undo.is_some() {
        s.status.info = Some(tf(
            "tui.reply.in_undo",
            &[("key", &s.keymap.key_for(Action::Undo))],
        ));
        return;
    }
    if s.compose.as_ref().is_some_and(|c| c.id == id) {
        out.push(Command::EditReply { id });
        return;
    }
    s.status.busy += 1;
    s.status.error = None;
    s.status.info = Some(format!("{}: {}", short(&id), tr("tui.reply.preparing")));
    out.push(Command::PrepareReply { id, all });
}

/// The undo key: within the window, take the queued reply back out of the outbox.
pub(super) fn take_back(s: &mut State, out: &mut Vec<Command>) {
    let now = s.now;
    let Some(u) = s.undo.as_mut() else {
        take_back_queued(s, out);
        return;
    };
    if u.settling || now >= u.due {
        s.status.info = Some(tr("tui.reply.too_late").into());
        return;
    }
    u.settling = true;
    s.status.info = Some(format!("{}: {}", short(&u.id), tr("tui.reply.taking_back")));
    out.push(Command::TakeBack {
        id: u.id.clone(),
        mailbox: u.mailbox.clone(),
        message_id: u.message_id.clone(),
    });
}

/// The undo key outside an undo window: in the reader, takes back this agent's newest reply
/// of the conversation that is still in the outbox (scheduled, waiting, held, rejected).
fn take_back_queued(s: &mut State, out: &mut Vec<Command>) {
    let queued = match (&s.screen, &s.reader) {
        (Screen::Reader, Some(r)) => r.view.as_ref().and_then(|v| {
            v.outbox
                .iter()
                .rev()
                .find(|q| q.author == s.me && q.may_take_back())
                .map(|q| (r.mailbox.clone(), r.id.clone(), q.message_id.clone()))
        }),
        _ => None,
    };
    let Some((mailbox, id, message_id)) = queued else {
        s.status.info = Some(tr("tui.reply.nothing_to_take_back").into());
        return;
    };
    s.status.busy += 1;
    s.status.info = Some(format!("{}: {}", short(&id), tr("tui.reply.taking_back")));
    out.push(Command::TakeBack {
        id,
        mailbox,
        message_id,
    });
}

/// Keys of the send prompt shown once the draft is written.
/// Keys of the send prompt (the `send` layer), or of its "send at" line (`prompt`).
pub(super) fn send_reply_key(
    s: &mut State,
    warnings: Vec<String>,
    later: Option<String>,
    action: Option<Action>,
    typed: Option<char>,
    out: &mut Vec<Command>,
) {
    if let Some(mut text) = later {
        match action {
            Some(Action::Back) => {
                s.overlay = Some(Overlay::SendReply {
                    warnings,
                    later: None,
                });
                return;
            }
            Some(Action::Submit) => {
                match tanto_core::later::parse_later(&text, s.now, s.zone()) {
                    Ok(at) => submit(s, !warnings.is_empty(), Some(at), out),
                    Err(e) => {
                        s.status.error = Some(e.text_in(tanto_core::wording::lang()));
                        s.overlay = Some(Overlay::SendReply {
                            warnings,
                            later: Some(text),
                        });
                    }
                }
                return;
            }
            _ => {
                super::overlay::edit_line(&mut text, action, typed);
            }
        }
        s.overlay = Some(Overlay::SendReply {
            warnings,
            later: Some(text),
        });
        return;
    }
    let Some(c) = s.compose.clone() else {
        return;
    };
    match action {
        Some(Action::Submit) => submit(s, !warnings.is_empty(), None, out),
        Some(Action::SendLater) => {
            s.overlay = Some(Overlay::SendReply {
                warnings,
                later: Some(String::new()),
            })
        }
        Some(Action::Edit) => out.push(Command::EditReply { id: c.id }),
        Some(Action::Back) => {
            s.status.info = Some(format!(
                "{}: {}",
                short(&c.id),
                tf(
                    "tui.reply.kept",
                    &[("key", &s.keymap.key_for(Action::Reply))]
                )
            ));
        }
        _ => {
            s.overlay = Some(Overlay::SendReply {
                warnings,
                later: None,
            })
        }
    }
}

/// Sends the draft: at now plus the undo window (unless `at` says later, or the team has
/// no undo window).
fn submit(s: &mut State, force: bool, at: Option<i64>, out: &mut Vec<Command>) {
    let Some(c) = &s.compose else {
        return;
    };
    let undo = at.is_none() && s.undo_seconds > 0;
    let at = at.or_else(|| undo.then_some(s.now + s.undo_seconds));
    s.status.busy += 1;
    s.status.error = None;
    s.status.info = Some(format!("{}: {}", short(&c.id), tr("tui.reply.queueing")));
    out.push(Command::SubmitReply {
        draft: c.prepared.clone(),
        text: c.text.clone(),
        force,
        at,
        undo,
    });
}

pub(super) fn open_approvals(s: &mut State, out: &mut Vec<Command>) {
    if s.screen == Screen::Reader {
        leave_reader(s, out);
    }
    s.screen = Screen::Approvals;
    s.approvals.loading = true;
    out.push(Command::LoadApprovals);
}

/// Keys of the Approvals view; false when the key is the list's to handle (tabs, help…).
pub(super) fn approvals_key(s: &mut State, action: Action, out: &mut Vec<Command>) -> bool {
    let n = s.approvals.rows.len();
    let a = &mut s.approvals;
    match action {
        Action::Down => a.selected = (a.selected + 1).min(n.saturating_sub(1)),
        Action::Up => a.selected = a.selected.saturating_sub(1),
        Action::Top => a.selected = 0,
        Action::Bottom => a.selected = n.saturating_sub(1),
        Action::Back => {
            s.screen = Screen::List;
            out.push(reload(s));
        }
        Action::Approvals => open_approvals(s, out),
        Action::Approve => decide(s, Verdict::Approve, out),
        Action::Reject if n > 0 => {
            s.overlay = Some(Overlay::RejectReason {
                text: String::new(),
            });
        }
        Action::Help | Action::Quit | Action::Command => return false,
        Action::NextTab
        | Action::PrevTab
        | Action::TabNew
        | Action::TabWip
        | Action::TabDone
        | Action::TabMine
        | Action::TabNoise
        | Action::TabWaiting => {
            s.screen = Screen::List;
            return false;
        }
        _ => {}
    }
    true
}

pub(super) fn decide(s: &mut State, verdict: Verdict, out: &mut Vec<Command>) {
    let Some(row) = s.approvals.rows.get(s.approvals.selected) else {
        return;
    };
    let id = row.conversation.clone();
    let message_id = row.message_id.clone();
    s.status.busy += 1;
    s.status.error = None;
    s.status.info = Some(format!(
        "{}: {}…",
        short(&id),
        match verdict {
            Verdict::Approve => tr("tui.reply.approving"),
            Verdict::Reject(_) => tr("tui.reply.rejecting"),
        }
    ));
    out.push(Command::Decide {
        id,
        message_id,
        verdict,
    });
}

/// Presence after the editor closed: back to viewing when the reader shows it, else none.
fn presence_after_reply(s: &State, mailbox: &str, id: &str) -> Command {
    let viewing = s.screen == Screen::Reader && s.reader.as_ref().is_some_and(|r| r.id == id);
    Command::Presence {
        mailbox: mailbox.to_string(),
        id: id.to_string(),
        kind: viewing.then(|| "viewing".to_string()),
    }
}

/// One line for what a send did, and whether it is an error.
pub(super) fn sent_text(sent: &Sent) -> (String, bool) {
    match sent {
        Sent::Delivered { conversation } => (
            format!("{}: {}", short(conversation), tr("tui.reply.sent")),
            false,
        ),
        Sent::Completed { conversation } => (
            format!("{}: {}", short(conversation), tr("tui.reply.completed")),
            false,
        ),
        Sent::Queued {
            conversation,
            reason,
        } => (
            format!(
                "{}: {}",
                short(conversation),
                tf(
                    "tui.reply.queued",
                    &[("why", &crate::i18n::cause_text(reason))]
                )
            ),
            false,
        ),
        Sent::Uncertain {
            conversation,
            reason,
        } => (
            format!(
                "{}: {}",
                short(conversation),
                tf(
                    "tui.reply.uncertain",
                    &[("why", &crate::i18n::cause_text(reason))]
                )
            ),
            true,
        ),
        Sent::Held {
            conversation,
            author,
            hold,
            ..
        } => (
            format!(
                "{}: {}",
                short(conversation),
                tf(
                    "tui.reply.held_for_author",
                    &[
                        ("author", &tanto_mail::sanitize::single_line(author)),
                        ("why", &crate::i18n::hold_text(hold)),
                    ],
                )
            ),
            true,
        ),
        Sent::Taken { conversation, by } => (
            format!(
                "{}: {}",
                short(conversation),
                tf("tui.reply.taken", &[("agent", by)])
            ),
            false,
        ),
        Sent::Waiting {
            conversation,
            standing,
            ..
        } => (
            format!(
                "{}: {}",
                short(conversation),
                tf(
                    "tui.reply.waiting",
                    &[("standing", &tanto_core::outbox::standing_name(standing))]
                )
            ),
            false,
        ),
    }
}

fn show_sent(s: &mut State, sent: &Sent) {
    let (text, bad) = sent_text(sent);
    // A line about a reply that still stands goes when an outbox pass no longer finds it.
    match sent {
        Sent::Taken { conversation, by } => {
            super::status::track(s, conversation.clone(), &text, Some(by.clone()))
        }
        Sent::Uncertain { conversation, .. }
        | Sent::Held { conversation, .. }
        | Sent::Waiting { conversation, .. } => {
            super::status::track(s, conversation.clone(), &text, None)
        }
        // Queued for a retry: passes do not tell of it, so their silence says nothing.
        Sent::Queued { .. } | Sent::Delivered { .. } | Sent::Completed { .. } => {}
    }
    if bad {
        s.status.error = Some(text);
    } else {
        s.status.info = Some(text);
    }
}

fn send_prompt(s: &mut State, warnings: Vec<String>) {
    s.overlay = Some(Overlay::SendReply {
        warnings,
        later: None,
    });
}

pub(super) fn reply_worker(s: &mut State, r: Reply, out: &mut Vec<Command>) {
    match r {
        Reply::ReplyPrepared { id, result } => {
            s.status.busy = s.status.busy.saturating_sub(1);
            s.status.info = None;
            match result {
                Ok(Ok(draft)) => {
                    s.input.reply_on_disk = false;
                    s.compose = Some(Compose {
                        mailbox: draft.0.conversation.mailbox.clone(),
                        id: id.clone(),
                        text: draft.0.draft.clone(),
                        prepared: draft,
                        displaced: false,
                    });
                    out.push(Command::EditReply { id });
                    out.push(reload(s));
                }
                Ok(Err(tanto_app::reply::HeldBy { holder, .. })) => {
                    s.status.error = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf(
                            "tui.reply.held",
                            &[
                                ("holder", &holder),
                                ("key", &s.keymap.key_for(Action::TakeOver))
                            ]
                        )
                    ));
                }
                Err(e) => s.status.error = Some(e),
            }
        }
        Reply::ReplyEdited { id, text } => {
            let Some(c) = s.compose.as_mut().filter(|c| c.id == id) else {
                return;
            };
            let mailbox = c.mailbox.clone();
            match text {
                Ok(t) => {
                    s.input.reply_on_disk = false;
                    c.text = t;
                    send_prompt(s, Vec::new());
                }
                Err(e) => s.status.error = Some(e),
            }
            out.push(presence_after_reply(s, &mailbox, &id));
        }
        Reply::ReplySubmitted { id, undo, result } => {
            s.status.busy = s.status.busy.saturating_sub(1);
            s.status.info = None;
            let mailbox = s.compose.as_ref().map(|c| c.mailbox.clone());
            match result {
                Ok(Replied::Stale { arrived, .. }) => send_prompt(
                    s,
                    arrived
                        .iter()
                        .map(|a| tf("tui.reply.arrived", &[("what", a)]))
                        .collect(),
                ),
                Ok(Replied::Warned { warnings, .. }) => {
                    send_prompt(s, warnings.iter().map(crate::i18n::send_warning).collect())
                }
                Ok(Replied::Unfilled { fields, .. }) => {
                    // It cannot go out as it is: back to the editor, saying what to fill.
                    let fields: Vec<String> =
                        fields.iter().map(|f| format!("{{{{ask:{f}}}}}")).collect();
                    s.status.error =
                        Some(tf("tui.reply.unfilled", &[("fields", &fields.join(", "))]));
                    if let Some(c) = &s.compose {
                        out.push(Command::EditReply { id: c.id.clone() });
                    }
                }
                Ok(Replied::NoRecipient { .. }) => {
                    send_prompt(s, vec![tr("tui.reply.no_recipient").into()])
                }
                Ok(Replied::Held { holder, kept, .. }) => {
                    s.compose = None;
                    let text = match kept {
                        Some(_) => tf(
                            "tui.reply.held_kept",
                            &[
                                ("holder", &holder),
                                ("key", &s.keymap.key_for(Action::Reply)),
                            ],
                        ),
                        None => tf("tui.reply.held_now", &[("holder", &holder)]),
                    };
                    s.status.error = Some(format!("{}: {text}", short(&id)));
                    refresh_after_change(s, &id, out);
                }
                Ok(Replied::AwaitingApproval { .. }) => {
                    s.compose = None;
                    s.status.info =
                        Some(format!("{}: {}", short(&id), tr("tui.reply.for_approval")));
                    refresh_after_change(s, &id, out);
                }
                Ok(Replied::Scheduled { at, message_id, .. }) if undo => {
                    s.undo = Some(Undo {
                        mailbox: mailbox.unwrap_or_default(),
                        id,
                        message_id,
                        due: at,
                        settling: false,
                    });
                }
                Ok(Replied::Scheduled { at, .. }) => {
                    s.compose = None;
                    s.status.info = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf(
                            "tui.reply.scheduled",
                            &[("at", &crate::tui::views::when_at(s.utc_offset, at))]
                        )
                    ));
                    refresh_after_change(s, &id, out);
                }
                Ok(Replied::Sent(sent)) => {
                    s.compose = None;
                    show_sent(s, &sent);
                    refresh_after_change(s, &id, out);
                }
                Err(e) => {
                    s.status.error = Some(e);
                    send_prompt(s, Vec::new());
                }
            }
        }
        Reply::TookBack { id, result } => {
            if s.undo.take().is_none() {
                // Taken back from the reader (see `take_back_queued`).
                s.status.busy = s.status.busy.saturating_sub(1);
            }
            match result {
                Ok(TakeBack::Removed) => {
                    s.input.reply_on_disk = true;
                    s.status.info = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf(
                            "tui.reply.taken_back",
                            &[("key", &s.keymap.key_for(Action::Reply))]
                        )
                    ));
                }
                Ok(TakeBack::TooLate { .. }) => {
                    s.compose = None;
                    s.status.info = Some(format!("{}: {}", short(&id), tr("tui.reply.too_late")));
                }
                Ok(TakeBack::Gone) => {
                    s.compose = None;
                    s.status.info = Some(format!("{}: {}", short(&id), tr("tui.reply.gone")));
                }
                Err(e) => {
                    // Unknown: it stays queued, and any tanto sends it when due.
                    s.compose = None;
                    s.status.error = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf("tui.reply.take_back_failed", &[("why", &e)])
                    ));
                }
            }
            refresh_after_change(s, &id, out);
        }
        Reply::SentDue { id, result } => {
            s.undo = None;
            s.compose = None;
            match result {
                Ok(sent) => show_sent(s, &sent),
                Err(e) => {
                    s.status.error = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf("tui.reply.stays", &[("why", &e)])
                    ))
                }
            }
            refresh_after_change(s, &id, out);
        }
        Reply::Approvals(result) => {
            s.approvals.loading = false;
            match result {
                Ok(rows) => {
                    s.approvals.selected = s.approvals.selected.min(rows.len().saturating_sub(1));
                    s.approvals.rows = rows;
                }
                Err(e) => s.status.error = Some(e),
            }
        }
        Reply::Decided {
            id,
            approve,
            result,
        } => {
            s.status.busy = s.status.busy.saturating_sub(1);
            match result {
                Ok(sent) if approve => {
                    show_sent(s, &sent);
                    if s.status.error.is_none() {
                        s.status.info = s
                            .status
                            .info
                            .take()
                            .map(|t| tf("tui.reply.approved", &[("what", &t)]));
                    }
                }
                Ok(_) => {
                    s.status.info = Some(format!("{}: {}", short(&id), tr("tui.reply.rejected")))
                }
                Err(e) => s.status.error = Some(e),
            }
            out.push(Command::LoadApprovals);
            refresh_after_change(s, &id, out);
        }
        _ => {}
    }
}
