//! `tanto list`: the conversations, as a table or JSON.

use serde::Serialize;

use super::output::{fit, rfc3339, short_time};
use super::Ctx;
use crate::i18n::{status_name, t};
use std::collections::HashMap;
use tanto_core::status::Status;

use tanto_mail::cache::{ConversationRow, ListFilter, PersonalMarks};
use tanto_mail::sanitize::single_line;

#[derive(Debug, clap::Args, Default)]
pub struct Args {
    /// Only conversations in this state: new, wip, done, noise or waiting (default: all)
    #[arg(long, value_parser = parse_status, value_name = "STATUS")]
    pub status: Option<Status>,
    /// Only conversations assigned to me, and those a teammate's note names me in
    #[arg(long)]
    pub mine: bool,
    /// Only this mailbox (by its name in the config)
    #[arg(long)]
    pub mailbox: Option<String>,
    /// Only open conversations past the team's reply target now (counted in [team.hours])
    #[arg(long)]
    pub overdue: bool,
    /// Only conversations with this tag
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s)
        .ok_or_else(|| crate::i18n::tf("cli.parse.not_a_status", &[("value", &format!("{s:?}"))]))
}

/// A conversation in the JSON contract.
#[derive(Debug, Serialize)]
pub struct ConversationJson {
    pub id: String,
    pub mailbox: String,
    pub subject: String,
    pub from: String,
    pub status: Status,
    pub assignee: Option<String>,
    pub previous_assignee: Option<String>,
    pub messages: u32,
    pub last_received: String,
    /// The conversation's tags (`tanto tag`, rules), sorted.
    pub tags: Vec<String>,
    /// Mail came in that the agent running the command has not looked at (personal unread).
    pub unread: bool,
    /// A teammate's note names the agent running the command (`@id`) since they last looked.
    pub mentioned: bool,
    /// For a waiting or snoozed conversation: why, since when and (a snooze) until when.
    pub waiting: Option<WaitingJson>,
}

/// Why a conversation waits, in the JSON contract.
#[derive(Debug, Serialize)]
pub struct WaitingJson {
    pub reason: String,
    /// RFC 3339: when it was put aside.
    pub since: String,
    /// RFC 3339: a snooze's wake time; null while waiting on the customer.
    pub until: Option<String>,
}

impl From<&tanto_core::waiting::Why> for WaitingJson {
    fn from(w: &tanto_core::waiting::Why) -> Self {
        WaitingJson {
            reason: single_line(&w.reason),
            since: rfc3339(w.since),
            until: w.until.map(rfc3339),
        }
    }
}

impl From<&ConversationRow> for ConversationJson {
    fn from(c: &ConversationRow) -> Self {
        ConversationJson {
            id: c.id.clone(),
            mailbox: c.mailbox.clone(),
            subject: single_line(&c.subject),
            from: single_line(&c.customer),
            status: c.status,
            assignee: c.assignee.clone(),
            previous_assignee: c.previous_assignee.clone(),
            messages: c.messages,
            last_received: rfc3339(c.last_received),
            tags: Vec::new(),
            unread: false,
            mentioned: false,
            waiting: None,
        }
    }
}

/// What a listed conversation gets from the cache beside its row: its tags, and whether it
/// is unread by or mentions the agent running the command; each read for all conversations
/// in one pass (a lookup per conversation would cost 100,000 of them for a big list).
struct Extras {
    tags: HashMap<(String, String), Vec<String>>,
    marks: PersonalMarks,
    /// For the few waiting rows: why they wait (one indexed read each).
    cache: tanto_mail::cache::Cache,
}

impl Extras {
    fn read(ctx: &Ctx) -> anyhow::Result<Self> {
        let cache = ctx.cache()?;
        Ok(Extras {
            tags: cache.all_tags()?,
            marks: cache.personal_marks(&ctx.config.agent.id)?,
            cache,
        })
    }

    fn tags(&self, c: &ConversationRow) -> Vec<String> {
        self.tags
            .get(&(c.mailbox.clone(), c.id.clone()))
            .cloned()
            .unwrap_or_default()
    }

    fn json(&self, c: &ConversationRow) -> ConversationJson {
        let key = (c.mailbox.clone(), c.id.clone());
        ConversationJson {
            tags: self.tags(c),
            unread: self.marks.unread.contains(&key),
            mentioned: self.marks.mentioned.contains(&key),
            waiting: (c.status == Status::Waiting)
                .then(|| self.cache.waiting_why(&c.mailbox, &c.id).ok().flatten())
                .flatten()
                .as_ref()
                .map(WaitingJson::from),
            ..ConversationJson::from(c)
        }
    }
}

/// An overdue conversation in the JSON contract: the conversation, when it was due and
/// for how many seconds it has been overdue.
#[derive(Debug, Serialize)]
pub struct OverdueJson {
    #[serde(flatten)]
    pub conversation: ConversationJson,
    pub due: String,
    pub overdue_secs: i64,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    if let Some(tag) = &args.tag {
        if !tanto_core::rules::valid_tag(tag) {
            anyhow::bail!(tanto_core::said!(
                "error.tag.invalid",
                tag = format!("{tag:?}")
            ));
        }
    }
    // Read before the list streams from its own handle on the cache.
    let extras = Extras::read(ctx)?;
    let me = &ctx.config.agent.id;
    // Mine also holds what a teammate's note names me in, as the TUI's Mine tab does; the
    // indexed filter by assignee serves it when no note does.
    let mentions_me = args.mine && !extras.marks.mentioned.is_empty();
    let filter = ListFilter {
        status: args.status,
        assignee: (args.mine && !mentions_me).then(|| me.clone()),
        mailbox: args.mailbox.clone(),
    };
    let wanted = |c: &ConversationJson| {
        args.tag.as_ref().is_none_or(|t| c.tags.contains(t))
            && (!mentions_me || c.mentioned || c.assignee.as_ref() == Some(me))
    };
    if args.overdue {
        return overdue(ctx, &filter, &extras, wanted, args.json);
    }
    if args.json {
        // Streamed: 100,000 conversations are not held in memory.
        let mut out = super::output::JsonArrayOut::stdout();
        tanto_app::conversations::each(ctx, &filter, |c| {
            let item = extras.json(&c);
            !wanted(&item) || out.push_or_stop(&item)
        })?;
        out.finish()?;
        return Ok(0);
    }
    let rows: Vec<(ConversationRow, Vec<String>)> = tanto_app::conversations::list(ctx, &filter)?
        .into_iter()
        .filter_map(|c| {
            let item = extras.json(&c);
            wanted(&item).then_some((c, item.tags))
        })
        .collect();
    print_tagged(&rows, t("list.none"));
    Ok(0)
}

/// Conversations found (a search, a customer's history) as `tanto list` prints them: a
/// table, or with `json` the same JSON array (tags included).
pub fn print_found(
    ctx: &Ctx,
    rows: &[ConversationRow],
    json: bool,
    none: &str,
) -> anyhow::Result<u8> {
    let extras = Extras::read(ctx)?;
    if json {
        let out: Vec<ConversationJson> = rows.iter().map(|c| extras.json(c)).collect();
        super::output::print_json(&out)?;
    } else {
        let tagged: Vec<(ConversationRow, Vec<String>)> =
            rows.iter().map(|c| (c.clone(), extras.tags(c))).collect();
        print_tagged(&tagged, none);
    }
    Ok(0)
}

/// The table with each conversation's tags after its subject (`#vip`).
fn print_tagged(rows: &[(ConversationRow, Vec<String>)], none: &str) {
    if rows.is_empty() {
        outln!("{none}");
        return;
    }
    let state_w = state_width();
    outln!(
        "{}  {} {} {}  {} {} {}",
        fit(t("list.header.id"), 12),
        fit(t("list.header.state"), state_w),
        fit(t("list.header.owner"), 10),
        fit(t("list.header.received"), 16),
        fit(t("list.header.customer"), 28),
        fit(t("list.header.messages"), 5),
        t("list.header.subject")
    );
    for (c, tags) in rows {
        let tags: String = tags.iter().map(|t| format!("  #{t}")).collect();
        let who = c
            .assignee
            .clone()
            .or_else(|| c.previous_assignee.as_ref().map(|p| format!("({p})")))
            .unwrap_or_else(|| "-".into());
        outln!(
            "{}  {} {} {}  {} {} {}{tags}",
            c.id,
            fit(status_name(c.status), state_w),
            fit(&who, 10),
            short_time(c.last_received),
            fit(&single_line(&c.customer), 28),
            fit(&format!("[{}]", c.messages), 5),
            single_line(&c.subject),
        );
    }
}

/// `tanto list --overdue`: the open conversations past their target now, the longest
/// waiting first.
fn overdue(
    ctx: &Ctx,
    filter: &ListFilter,
    extras: &Extras,
    wanted: impl Fn(&ConversationJson) -> bool,
    json: bool,
) -> anyhow::Result<u8> {
    let now = tanto_core::clock::now();
    if json {
        let mut out = super::output::JsonArrayOut::stdout();
        tanto_app::conversations::each_overdue(ctx, filter, now, |c, due| {
            let conversation = extras.json(&c);
            !wanted(&conversation)
                || out.push_or_stop(&OverdueJson {
                    conversation,
                    due: rfc3339(due),
                    overdue_secs: now - due,
                })
        })?;
        out.finish()?;
        return Ok(0);
    }
    let mut rows = Vec::new();
    tanto_app::conversations::each_overdue(ctx, filter, now, |c, due| {
        if wanted(&extras.json(&c)) {
            rows.push((c, due));
        }
        true
    })?;
    if rows.is_empty() {
        outln!("{}", t("list.overdue.none"));
        return Ok(0);
    }
    let state_w = state_width();
    outln!(
        "{}  {} {} {}  {} {}  {}",
        fit(t("list.header.id"), 12),
        fit(t("list.header.state"), state_w),
        fit(t("list.header.owner"), 10),
        fit(t("list.header.due"), 16),
        fit(t("list.header.late"), 8),
        fit(t("list.header.customer"), 28),
        t("list.header.subject")
    );
    for (c, due) in &rows {
        outln!(
            "{}  {} {} {}  {} {}  {}",
            c.id,
            fit(status_name(c.status), state_w),
            fit(c.assignee.as_deref().unwrap_or("-"), 10),
            short_time(*due),
            fit(&late(now - due), 8),
            fit(&single_line(&c.customer), 28),
            single_line(&c.subject)
        );
    }
    Ok(0)
}

/// How long overdue, shortly: "45m", "3h20m", "2d4h".
fn late(secs: i64) -> String {
    let mins = secs.max(0) / 60;
    match mins {
        0..60 => format!("{mins}m"),
        60..1440 => format!("{}h{:02}m", mins / 60, mins % 60),
        _ => format!("{}d{}h", mins / 1440, mins % 1440 / 60),
    }
}

/// The width of the status column: its header or the widest status name in the language in
/// use (新着 / 対応完了 are wider than their English names).
fn state_width() -> usize {
    use unicode_width::UnicodeWidthStr as _;
    [Status::New, Status::Wip, Status::Done, Status::Noise]
        .into_iter()
        .map(|s| status_name(s).width())
        .chain([t("list.header.state").width()])
        .max()
        .unwrap_or(5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang};
    use unicode_width::UnicodeWidthStr as _;

    #[test]
    fn lateness_reads_in_minutes_hours_and_days() {
        assert_eq!(late(59), "0m");
        assert_eq!(late(45 * 60), "45m");
        assert_eq!(late(3 * 3600 + 20 * 60), "3h20m");
        assert_eq!(late(2 * 86400 + 4 * 3600 + 59), "2d4h");
    }

    #[test]
    fn the_status_column_speaks_the_language_and_stays_aligned() {
        let cells = |lang| {
            with_lang(lang, || {
                let w = state_width();
                [Status::New, Status::Wip, Status::Done, Status::Noise]
                    .map(|s| fit(status_name(s), w))
            })
        };
        assert_eq!(
            cells(Lang::En).map(|c| c.trim_end().to_string()),
            ["new", "wip", "done", "noise"]
        );
        let ja = cells(Lang::Ja);
        assert_eq!(ja[2].trim_end(), "対応完了", "{ja:?}");
        assert!(
            ja.iter()
                .all(|c| c.width() == ja[0].width() && !c.contains('…')),
            "{ja:?}"
        );
    }
}
