//! The threads that run `Command`s by calling the application layer and answer with typed
//! `Msg`s: one list thread that owns a cache connection and serves only the newest request
//! (a burst of filter keystrokes costs one query), one thread that watches the cache's
//! change counter for other processes' writes, and a short-lived thread per server action.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::state::{Draft, Window};
use super::update::{Anchor, Command, Msg, Reply};
use tanto_app::Ctx;
use tanto_mail::cache::{Cache, TabQuery};

/// A list request as the list thread gets it.
struct ListJob {
    req: u64,
    query: TabQuery,
    anchor: Anchor,
    height: usize,
}

/// The running workers.
pub struct Workers {
    ctx: Ctx,
    replies: Sender<Msg>,
    lists: Sender<ListJob>,
    stop: Arc<AtomicBool>,
}

/// How often the change counter of the shared cache is read.
const POLL: Duration = Duration::from_millis(40);

impl Workers {
    pub fn spawn(ctx: Ctx, replies: Sender<Msg>) -> Workers {
        let (lists, jobs) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (ctx, replies) = (ctx.clone(), replies.clone());
            std::thread::spawn(move || list_loop(&ctx, &jobs, &replies));
        }
        {
            let (ctx, replies, stop) = (ctx.clone(), replies.clone(), stop.clone());
            std::thread::spawn(move || watch_cache(&ctx, &replies, &stop));
        }
        Workers {
            ctx,
            replies,
            lists,
            stop,
        }
    }

    /// Hands a command to the thread that runs it (never blocks on I/O).
    pub fn run(&self, cmd: Command) {
        match cmd {
            Command::LoadList {
                req,
                query,
                anchor,
                height,
            } => {
                let _ = self.lists.send(ListJob {
                    req,
                    query,
                    anchor,
                    height,
                });
            }
            // The loop runs the editor itself.
            Command::EditNote { .. } | Command::EditReply { .. } => {}
            Command::Open { id, sync: true } => {
                let (ctx, replies) = (self.ctx.clone(), self.replies.clone());
                std::thread::spawn(move || {
                    let opened = run_one(&ctx, Command::Open { id, sync: false });
                    let mailbox = match &opened {
                        Some(Reply::Opened { result: Ok(v), .. }) => {
                            Some(v.conversation.mailbox.clone())
                        }
                        _ => None,
                    };
                    if let Some(reply) = opened {
                        let _ = replies.send(Msg::Worker(reply));
                    }
                    // Shown from the cache at once; then made fresh: what the sync brings
                    // in bumps the change counter, and the reader reloads.
                    if let Some(name) = mailbox {
                        fresh_sync(&ctx, &name);
                    }
                });
            }
            other => {
                let (ctx, replies) = (self.ctx.clone(), self.replies.clone());
                std::thread::spawn(move || {
                    if let Some(reply) = run_one(&ctx, other) {
                        let _ = replies.send(Msg::Worker(reply));
                    }
                });
            }
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Syncs one mailbox; failures are the watcher's to report.
fn fresh_sync(ctx: &Ctx, mailbox: &str) {
    let Ok((index, m)) = ctx.mailbox_named(mailbox) else {
        return;
    };
    if let Ok(mut cache) = ctx.cache() {
        let _ = tanto_app::sync::sync_mailbox(ctx, &mut cache, index, m);
    }
}

fn error_line(e: &anyhow::Error) -> String {
    crate::i18n::error_text(e)
}

/// Runs one server or cache command; the answer, when there is one.
fn run_one(ctx: &Ctx, cmd: Command) -> Option<Reply> {
    let me = ctx.config.agent.id.clone();
    match cmd {
        Command::Open { id, .. } => Some(Reply::Opened {
            result: tanto_app::conversations::view(ctx, &id)
                .map(Box::new)
                .map_err(|e| error_line(&e)),
            id,
        }),
        Command::Act { id, action } => Some(Reply::Acted {
            result: tanto_app::act::perform_or_queue(ctx, &id, &action).map_err(|e| error_line(&e)),
            id,
        }),
        Command::Note { id, text } => Some(Reply::Noted {
            result: tanto_app::note::note(ctx, &id, &text)
                .map(|n| n.queued)
                .map_err(|e| error_line(&e)),
            id,
        }),
        Command::Save { id, dir } => Some(Reply::Saved {
            result: tanto_app::save::save(ctx, &id, std::path::Path::new(&dir), None)
                .map(|saved| saved.len())
                .map_err(|e| error_line(&e)),
            id,
            dir,
        }),
        Command::Leave { mailbox, id } => {
            tanto_app::presence::announce(ctx, &mailbox, &id, None);
            None
        }
        Command::Heartbeat { mailbox, id } => {
            let viewing = Some(tanto_core::presence::Doing::Viewing);
            tanto_app::presence::announce(ctx, &mailbox, &id, viewing);
            None
        }
        Command::LoadAgents => {
            let agents = ctx
                .cache()
                .ok()
                .and_then(|c| c.agents_seen().ok())
                .unwrap_or_default();
            Some(Reply::Agents(
                agents.into_iter().filter(|a| *a != me).collect(),
            ))
        }
        Command::PrepareReply { id, all } => {
            let opts = tanto_app::reply::Options {
                all,
                ..Default::default()
            };
            Some(Reply::ReplyPrepared {
                result: tanto_app::reply::prepare(ctx, &id, &opts)
                    .map(|r| {
                        r.map(|mut p| {
                            // The best-fitting templates, named in the draft's comments.
                            p.draft = tanto_app::reply::draft_with_suggestions(ctx, &p);
                            Draft(std::sync::Arc::new(p))
                        })
                    })
                    .map_err(|e| error_line(&e)),
                id,
            })
        }
        Command::SubmitReply {
            draft,
            text,
            force,
            at,
            undo,
        } => {
            let opts = tanto_app::reply::Options {
                force,
                at,
                keep_open: false,
                ..Default::default()
            };
            Some(Reply::ReplySubmitted {
                id: draft.0.conversation.id.clone(),
                undo,
                result: tanto_app::reply::submit(ctx, &draft.0, &text, &opts)
                    .map_err(|e| error_line(&e)),
            })
        }
        Command::TakeBack {
            id,
            mailbox,
            message_id,
        } => Some(Reply::TookBack {
            result: tanto_app::reply_outbox::take_back(ctx, &mailbox, &id, &message_id)
                .map_err(|e| error_line(&e)),
            id,
        }),
        Command::SendDue {
            id,
            mailbox,
            message_id,
        } => Some(Reply::SentDue {
            result: tanto_app::reply_outbox::send_due(ctx, &mailbox, &message_id, &id)
                .map_err(|e| error_line(&e)),
            id,
        }),
        Command::KeepDraft {
            mailbox,
            id,
            by,
            text,
        } => {
            let kept = tanto_app::drafts::Kept {
                why: tanto_app::drafts::Why::TakenOver { by },
                text,
                at: tanto_core::clock::now(),
            };
            Some(Reply::DraftKept {
                result: tanto_app::drafts::keep(ctx, &mailbox, &id, &kept)
                    .map(|_| ())
                    .map_err(|e| error_line(&e)),
                id,
            })
        }
        Command::Presence { mailbox, id, kind } => {
            let doing = kind.as_deref().and_then(tanto_core::presence::Doing::parse);
            tanto_app::presence::announce(ctx, &mailbox, &id, doing);
            None
        }
        Command::Duty { away } => Some(Reply::Duty {
            away,
            result: match tanto_app::assignment::set_duty(ctx, None, away) {
                Ok(failed) => match failed.first() {
                    Some((_, e)) => Err(error_line(e)),
                    None => Ok(()),
                },
                Err(e) => Err(error_line(&e)),
            },
        }),
        Command::LoadApprovals => Some(Reply::Approvals(
            tanto_app::reply_outbox::awaiting_approval(ctx).map_err(|e| error_line(&e)),
        )),
        Command::Decide {
            id,
            message_id,
            verdict,
        } => Some(Reply::Decided {
            approve: verdict == tanto_app::reply_outbox::Verdict::Approve,
            result: tanto_app::reply_outbox::decide(ctx, &id, Some(&message_id), &verdict)
                .map_err(|e| error_line(&e)),
            id,
        }),
        Command::Tag { id, name, on } => Some(Reply::Tagged {
            result: tanto_app::tags::set(ctx, &id, &name, on).map_err(|e| error_line(&e)),
            id,
        }),
        Command::Merge { id, into } => Some(Reply::Regrouped {
            result: tanto_app::regroup::merge(ctx, &id, &into).map_err(|e| error_line(&e)),
            split: false,
            id,
        }),
        Command::Split { id, message } => Some(Reply::Regrouped {
            result: tanto_app::regroup::split(ctx, &id, &message).map_err(|e| error_line(&e)),
            split: true,
            id,
        }),
        Command::LoadList { .. } | Command::EditNote { .. } | Command::EditReply { .. } => None,
    }
}

fn list_loop(ctx: &Ctx, jobs: &Receiver<ListJob>, replies: &Sender<Msg>) {
    let mut cache: Option<Cache> = None;
    while let Ok(mut job) = jobs.recv() {
        // Only the newest request matters: the older ones' answers would be dropped.
        while let Ok(newer) = jobs.try_recv() {
            job = newer;
        }
        // Overdue: received at or before this, whatever the tab (`Cache::count_overdue`).
        let cutoff = tanto_app::conversations::overdue_cutoff(ctx, tanto_core::clock::now());
        let reply = (|| -> anyhow::Result<Reply> {
            if cache.is_none() {
                cache = Some(ctx.cache()?);
            }
            let Some(c) = cache.as_ref() else {
                anyhow::bail!("the cache is not open");
            };
            load_list(c, &ctx.config.agent.id, &job, cutoff)
        })();
        let reply = reply.unwrap_or_else(|e| {
            // A broken connection is opened again on the next request.
            cache = None;
            Reply::ListFailed {
                req: job.req,
                error: error_line(&e),
            }
        });
        let shown = matches!(reply, Reply::List { .. });
        if replies.send(Msg::Worker(reply)).is_err() {
            return;
        }
        // A search's matches per tab, unless the user typed on meanwhile (the next list
        // answers that).
        let narrowed = job.query.customer.is_some()
            || job.query.tag.is_some()
            || job
                .query
                .text
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty());
        if let (true, true, true, Some(c)) = (shown, narrowed, jobs.is_empty(), cache.as_ref()) {
            // A search's counts are its matches, without the tabs' late counts (those are
            // of the whole tab, and would read as late matches).
            if let Ok((counts, true)) = c.counts_for(&job.query, &ctx.config.agent.id) {
                let reply = Reply::Counts {
                    req: job.req,
                    counts,
                };
                if replies.send(Msg::Worker(reply)).is_err() {
                    return;
                }
            }
        }
    }
}

fn load_list(cache: &Cache, me: &str, job: &ListJob, cutoff: Option<i64>) -> anyhow::Result<Reply> {
    if job.query.text.as_deref().is_some_and(|t| !t.is_empty()) {
        return load_filtered(cache, me, job, cutoff);
    }
    let total = cache.count_tab(&job.query)? as usize;
    let pos = match &job.anchor {
        Anchor::Keep { mailbox, id, .. } => cache
            .position_in_tab(&job.query, mailbox, id)?
            .map(|p| p as usize),
        Anchor::At { .. } => None,
    };
    let (selected, top) = place(&job.anchor, pos, total, job.height);
    // Rows around the screen too, so that moving a page needs no query.
    let offset = top.saturating_sub(job.height);
    let limit = job.height * 3;
    let rows = cache.list_window(&job.query, me, offset as u64, limit as u64)?;
    list_reply(
        cache,
        me,
        job,
        Window {
            offset,
            rows,
            total,
        },
        (selected, top),
        cutoff,
    )
}

/// The answer to a list job: its window, where the selection and the screen land, and the
/// tab counts.
fn list_reply(
    cache: &Cache,
    me: &str,
    job: &ListJob,
    mut window: Window,
    (selected, top): (usize, usize),
    cutoff: Option<i64>,
) -> anyhow::Result<Reply> {
    // Waiting rows show why and until when: their log's newest wait or snooze; every row
    // its tags (a few rows, one indexed read each).
    for row in &mut window.rows {
        let c = &row.conversation;
        row.tags = cache.tags(&c.mailbox, &c.id)?;
        if c.status == tanto_core::status::Status::Waiting {
            row.waiting = cache.waiting_why(&c.mailbox, &c.id)?;
        }
    }
    // The kept totals now; a search's matches per tab follow in their own reply
    // (`list_loop`), so that counting them never delays the frame.
    let (mut counts, matches) = (
        cache.status_counts(job.query.mailbox.as_deref(), me)?,
        false,
    );
    counts.overdue = tab_overdue(cache, job, me, cutoff);
    Ok(Reply::List {
        req: job.req,
        window,
        selected,
        top,
        counts,
        matches,
    })
}

/// A text-filtered tab: one query gives its size, the selection's position and the keys
/// of its window (a text filter has no index that counts or positions).
fn load_filtered(
    cache: &Cache,
    me: &str,
    job: &ListJob,
    cutoff: Option<i64>,
) -> anyhow::Result<Reply> {
    let keys = cache.filtered_keys(&job.query)?;
    let total = keys.len();
    let pos = match &job.anchor {
        Anchor::Keep { mailbox, id, .. } => keys.iter().position(|(m, i)| m == mailbox && i == id),
        Anchor::At { .. } => None,
    };
    let (selected, top) = place(&job.anchor, pos, total, job.height);
    let offset = top.saturating_sub(job.height).min(total);
    let end = (offset + job.height * 3).min(total);
    let rows = cache.rows_of(&keys[offset..end], me)?;
    list_reply(
        cache,
        me,
        job,
        Window {
            offset,
            rows,
            total,
        },
        (selected, top),
        cutoff,
    )
}

/// The overdue counts of the tabs (of the job's mailbox, whatever its text narrows to):
/// none without a reply target, or when the count fails (the list matters more).
fn tab_overdue(
    cache: &Cache,
    job: &ListJob,
    me: &str,
    cutoff: Option<i64>,
) -> tanto_mail::cache::OverdueCounts {
    cutoff
        .and_then(|cut| {
            cache
                .count_overdue(job.query.mailbox.as_deref(), me, cut)
                .ok()
        })
        .unwrap_or_default()
}

/// Where the selection and the first row on screen land: on the followed conversation at
/// its old screen row when it is still in the tab (`pos`), else at the old index, clamped.
/// A screen that showed the top of the tab goes on showing it while the followed
/// conversation stays on it: new mail arriving above is seen, not hidden above the window.
pub fn place(anchor: &Anchor, pos: Option<usize>, total: usize, height: usize) -> (usize, usize) {
    let last = total.saturating_sub(1);
    let (selected, top) = match (anchor, pos) {
        (Anchor::Keep { row, fallback, .. }, Some(p)) if fallback == row && p < height => (p, 0),
        (Anchor::Keep { row, .. }, Some(p)) => (p, p.saturating_sub(*row)),
        (Anchor::Keep { fallback, row, .. }, None) => {
            let sel = (*fallback).min(last);
            (sel, sel.saturating_sub(*row))
        }
        (Anchor::At { selected, top }, _) => ((*selected).min(last), *top),
    };
    // No empty rows below the last one while there are rows above the screen.
    let top = top.min(total.saturating_sub(height)).min(selected);
    let top = if selected >= top + height {
        selected + 1 - height
    } else {
        top
    };
    (selected, top)
}

fn watch_cache(ctx: &Ctx, replies: &Sender<Msg>, stop: &AtomicBool) {
    let mut cache: Option<Cache> = None;
    let mut last: Option<i64> = None;
    let indexing = Arc::new(AtomicBool::new(false));
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(POLL);
        if cache.is_none() {
            cache = ctx.cache().ok();
        }
        let Some(c) = cache.as_ref() else {
            continue;
        };
        match c.change_counter() {
            Ok(n) => {
                if last.is_some_and(|l| l != n) && replies.send(Msg::CacheChanged).is_err() {
                    return;
                }
                if last != Some(n) && !c.fts_ready() {
                    index_for_filter(ctx, replies, &indexing);
                }
                last = Some(n);
            }
            Err(_) => cache = None,
        }
    }
}

/// Builds the filter's index in the background when a first sync left it out (about 0.6 s
/// at 100,000 messages); the list is asked again once it is there.
fn index_for_filter(ctx: &Ctx, replies: &Sender<Msg>, indexing: &Arc<AtomicBool>) {
    if indexing.swap(true, Ordering::SeqCst) {
        return;
    }
    let (ctx, replies, indexing) = (ctx.clone(), replies.clone(), indexing.clone());
    std::thread::spawn(move || {
        if matches!(tanto_app::conversations::prepare_filter(&ctx), Ok(true)) {
            let _ = replies.send(Msg::CacheChanged);
        }
        indexing.store(false, Ordering::SeqCst);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep(row: usize, fallback: usize) -> Anchor {
        Anchor::Keep {
            mailbox: "m".into(),
            id: "x".into(),
            row,
            fallback,
        }
    }

    #[test]
    fn the_followed_conversation_keeps_its_screen_row() {
        // Was on screen row 3; now at index 40 of 100.
        assert_eq!(place(&keep(3, 10), Some(40), 100, 20), (40, 37));
        // Moved to the top: the screen starts at it.
        assert_eq!(place(&keep(3, 10), Some(0), 100, 20), (0, 0));
        // Gone from the tab: the same index, clamped to the list.
        assert_eq!(place(&keep(3, 10), None, 100, 20), (10, 7));
        assert_eq!(place(&keep(3, 10), None, 5, 20), (4, 0));
        assert_eq!(place(&keep(0, 0), None, 0, 20), (0, 0));
        // Near the end: no empty rows below while rows are hidden above.
        assert_eq!(place(&keep(0, 0), Some(95), 100, 20), (95, 80));
    }

    #[test]
    fn new_mail_above_a_screen_at_the_top_of_the_tab_is_shown() {
        // On the first row; one new conversation arrived above it: the selection follows
        // its conversation to row 2, and the new one shows on row 1.
        assert_eq!(place(&keep(0, 0), Some(1), 101, 20), (1, 0));
        // Further down a screen at the top: the same.
        assert_eq!(place(&keep(5, 5), Some(8), 103, 20), (8, 0));
        // Pushed off the bottom: scrolled just enough to keep it in sight.
        assert_eq!(place(&keep(19, 19), Some(21), 102, 20), (21, 2));
        // A screen scrolled down keeps its conversation on its row.
        assert_eq!(place(&keep(0, 10), Some(11), 101, 20), (11, 11));
    }
}
