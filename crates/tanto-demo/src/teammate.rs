//! The demo's simulated teammate: an agent in a thread of its own who, every few seconds,
//! claims a new conversation, writes a note on it, replies (through the demo's SMTP sink)
//! and marks it done, through the same
//! application calls as a person at the keyboard. It has its own config and cache, so what
//! it does reaches the other agents only through the server, as a colleague's work would.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tanto_app::act::{perform, Outcome};
use tanto_app::reply::{self, Replied};
use tanto_app::{conversations, note, Ctx};
use tanto_core::claims::Action;
use tanto_core::status::Status;
use tanto_mail::cache::ListFilter;

/// What the teammate did, for a front end that wants to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeammateEvent {
    /// One step done on a conversation: "claimed", "noted", "replied", "done".
    Did {
        step: &'static str,
        conversation: String,
    },
    /// A step that failed; the teammate carries on with the next conversation.
    Failed(String),
}

/// Notes the teammate writes, in both of the team's languages.
const NOTES: &[&str] = &[
    "Called the customer: a replacement goes out today.",
    "Checked the warehouse: the parcel left yesterday, tracking updated.",
    "在庫を確認しました。明日発送できます。",
    "お客様に電話で確認済み。返金手続きを進めます。",
    "Refund approved; the customer has been told.",
    "配送業者に問い合わせ中です。回答待ち。",
];

/// Replies the teammate sends, in both of the team's languages.
const REPLIES: &[&str] = &[
    "Thank you for your patience: your order is on its way.",
    "お問い合わせありがとうございます。本日発送いたしました。",
    "We have refunded the full amount; it shows within a few days.",
    "ご不便をおかけして申し訳ございません。交換品をお送りします。",
];

#[derive(Debug, Clone)]
enum Step {
    Claim(String),
    Note(String),
    Reply(String),
    Done(String),
}

/// A running teammate; stopping (or dropping) it ends its thread within a moment.
pub struct Teammate {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Teammate {
    /// Starts the teammate as the agent of `ctx`, one step every `pace` (with some jitter).
    pub fn spawn(
        ctx: Ctx,
        pace: Duration,
        on_event: impl Fn(TeammateEvent) + Send + 'static,
    ) -> Teammate {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name(format!("teammate-{}", ctx.config.agent.id))
            .spawn(move || work(&ctx, pace, &flag, &on_event))
            .ok();
        Teammate { stop, handle }
    }

    /// Stops the teammate and waits for its thread (at most the step it is in).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Teammate {
    fn drop(&mut self) {
        self.halt();
    }
}

fn work(ctx: &Ctx, pace: Duration, stop: &AtomicBool, on_event: &dyn Fn(TeammateEvent)) {
    let mut plan: Vec<Step> = Vec::new();
    let mut turn: usize = 0;
    loop {
        turn += 1;
        // Jitter of ±25 %, so that the teammate does not tick like a clock.
        let jitter = (turn * 7919 % 50) as u32;
        let wait = pace * (75 + jitter) / 100;
        if !sleep_unless_stopped(stop, wait) {
            return;
        }
        if plan.is_empty() {
            match next_conversation(ctx, turn) {
                Ok(Some(id)) => {
                    // Oldest step last: the plan is popped from the end.
                    plan = vec![
                        Step::Done(id.clone()),
                        Step::Reply(id.clone()),
                        Step::Note(id.clone()),
                        Step::Claim(id),
                    ];
                }
                Ok(None) => continue,
                Err(e) => {
                    on_event(TeammateEvent::Failed(format!("{e:#}")));
                    continue;
                }
            }
        }
        let Some(step) = plan.pop() else { continue };
        match run_step(ctx, &step, turn) {
            Ok(Some(event)) => on_event(event),
            // Someone else has it now (you, perhaps): move on to another conversation.
            Ok(None) => plan.clear(),
            Err(e) => {
                plan.clear();
                on_event(TeammateEvent::Failed(format!("{e:#}")));
            }
        }
    }
}

/// Sleeps `d` in short slices; false once asked to stop.
fn sleep_unless_stopped(stop: &AtomicBool, d: Duration) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
    !stop.load(Ordering::SeqCst)
}

/// One of the newest New conversations (those on everyone's screen), after a sync.
fn next_conversation(ctx: &Ctx, turn: usize) -> anyhow::Result<Option<String>> {
    tanto_app::after_sync::sync_once(ctx)?;
    let rows = conversations::list(
        ctx,
        &ListFilter {
            status: Some(Status::New),
            ..Default::default()
        },
    )?;
    let mut rows: Vec<_> = rows.into_iter().filter(|r| r.assignee.is_none()).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.last_received));
    let top = rows.len().min(5);
    Ok(rows.get(turn % top.max(1)).map(|r| r.id.clone()))
}

/// Carries out one step; None when the conversation is someone else's now.
fn run_step(ctx: &Ctx, step: &Step, turn: usize) -> anyhow::Result<Option<TeammateEvent>> {
    let (id, done) = match step {
        Step::Claim(id) => (id, outcome(perform(ctx, id, &Action::Claim)?, "claimed")),
        Step::Note(id) => {
            note::note(ctx, id, NOTES[turn % NOTES.len()])?;
            (id, Some("noted"))
        }
        Step::Reply(id) => (id, send_reply(ctx, id, REPLIES[turn % REPLIES.len()])?),
        Step::Done(id) => (id, outcome(perform(ctx, id, &Action::Done)?, "done")),
    };
    Ok(done.map(|step| TeammateEvent::Did {
        step,
        conversation: id.clone(),
    }))
}

/// Replies with `text` as a person would from the CLI (`tanto reply --body-file`): the
/// outbox, then SMTP. None when someone else holds the conversation now.
fn send_reply(ctx: &Ctx, id: &str, text: &str) -> anyhow::Result<Option<&'static str>> {
    // Kept open: marking it done stays a step of its own, for the others to see.
    let opts = reply::Options {
        keep_open: true,
        force: true,
        ..Default::default()
    };
    let prepared = match reply::prepare(ctx, id, &opts)? {
        Ok(p) => p,
        Err(_) => return Ok(None),
    };
    match reply::submit(ctx, &prepared, &prepared.draft_with(text), &opts)? {
        Replied::Sent(_) => Ok(Some("replied")),
        Replied::Held { .. } => Ok(None),
        other => anyhow::bail!("the reply to {id} was not sent: {other:?}"),
    }
}

fn outcome(o: Outcome, step: &'static str) -> Option<&'static str> {
    match o {
        Outcome::Won(_) | Outcome::Already { .. } => Some(step),
        Outcome::Lost { .. } | Outcome::Refused { .. } | Outcome::Queued { .. } => None,
    }
}
