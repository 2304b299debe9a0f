//! `tanto report`: the desk's figures over a period (`tanto_core::report`), gathered from
//! the mailbox's own history after a sync, so that every agent gets the same figures: the
//! cache is read only as the copy of the server's inbox, Sent and activity folders it has
//! just brought up to date. Open and overdue counts are of now.

use std::collections::BTreeMap;

use tanto_core::report::{self, Act, Figures, Opened, Period, Record};
use tanto_core::said;
use tanto_mail::cache::ListFilter;

use super::Ctx;

/// One row of the report: an agent's figures (`agent` `None`: the whole team's), with the
/// conversations open and overdue now (theirs: in progress with them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub agent: Option<String>,
    pub figures: Figures,
    pub open: u64,
    /// `None` when the team has no reply target (`team.reply_target_mins`).
    pub overdue: Option<u64>,
}

/// The report: the period, whether times are business time, a row per agent (by id) and
/// the team's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    pub period: Period,
    pub business_time: bool,
    pub agents: Vec<Row>,
    pub all: Row,
}

/// A period bound from the command line (`tanto_core::report::parse_bound`): a date is a
/// day in the team's zone (`[team.hours] zone`, else this computer's); `end` for `--until`.
pub fn parse_bound(ctx: &Ctx, s: &str, end: bool) -> anyhow::Result<i64> {
    let t = match &ctx.config.business_hours {
        Some(h) => report::parse_bound(s, &h.zone, end),
        None => report::parse_bound(s, &chrono::Local, end),
    };
    t.ok_or_else(|| said!("error.report.bad_date", value = s.trim()).into())
}

/// Conversation ids are unique per mailbox only.
fn key(mailbox: &str, conv: &str) -> String {
    format!("{mailbox}\u{1f}{conv}")
}

/// Syncs every mailbox, then computes the report over `period`; `now` for the open and
/// overdue counts. A failed sync fails the report: figures from a stale cache would differ
/// from a teammate's.
pub fn desk(ctx: &Ctx, period: Period, now: i64) -> anyhow::Result<Desk> {
    let mut cache = ctx.cache()?;
    for (i, m) in ctx.mailboxes() {
        super::sync::sync_mailbox(ctx, &mut cache, i, m)?;
    }
    let opened: Vec<Opened> = cache
        .first_inbound()?
        .into_iter()
        .map(|(mailbox, conv, at)| Opened {
            conversation: key(&mailbox, &conv),
            first_inbound: at,
        })
        .collect();
    let mut records: Vec<Record> = cache
        .history_events()?
        .into_iter()
        .filter_map(|e| {
            let act = match e.kind.as_str() {
                "sent" => Act::Reply,
                "done" => Act::Done,
                "reopen" => Act::Reopen,
                "note" => Act::Note,
                _ => return None,
            };
            Some(Record {
                conversation: key(&e.mailbox, &e.conversation),
                act,
                agent: Some(e.agent),
                at: e.at,
            })
        })
        .collect();
    records.extend(
        cache
            .unlogged_sent_replies()?
            .into_iter()
            .map(|(mailbox, conv, at)| Record {
                conversation: key(&mailbox, &conv),
                act: Act::Reply,
                agent: None,
                at,
            }),
    );
    let hours = ctx.config.business_hours.as_ref();
    let figures = report::compute(&opened, &records, period, hours);

    let mut open: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for (assignee, n) in cache.open_by_assignee()? {
        *open.entry(assignee).or_default() += n;
    }
    let overdue = match &ctx.config.reply_target {
        Some(target) => {
            let mut by: BTreeMap<Option<String>, u64> = BTreeMap::new();
            cache.each_overdue(&ListFilter::default(), target.cutoff(now), |c| {
                *by.entry(c.assignee).or_default() += 1;
                true
            })?;
            Some(by)
        }
        None => None,
    };
    let overdue_of = |a: Option<&String>| {
        overdue
            .as_ref()
            .map(|by| by.get(&a.cloned()).copied().unwrap_or(0))
    };

    let mut names: Vec<String> = figures.agents.keys().cloned().collect();
    names.extend(open.keys().flatten().cloned());
    names.sort();
    names.dedup();
    let agents = names
        .into_iter()
        .map(|a| Row {
            figures: figures.agents.get(&a).cloned().unwrap_or_default(),
            open: open.get(&Some(a.clone())).copied().unwrap_or(0),
            overdue: overdue_of(Some(&a)),
            agent: Some(a),
        })
        .collect();
    let all = Row {
        agent: None,
        figures: figures.all,
        open: open.values().sum(),
        overdue: overdue.as_ref().map(|by| by.values().sum()),
    };
    Ok(Desk {
        period,
        business_time: hours.is_some(),
        agents,
        all,
    })
}
