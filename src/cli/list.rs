//! `tanto list`: the conversations, as a table or JSON.

use serde::Serialize;

use super::output::{fit, rfc3339, short_time};
use super::Ctx;
use crate::cache::{ConversationRow, ListFilter};
use crate::core::status::Status;
use crate::i18n::t;
use crate::sanitize::single_line;

#[derive(Debug, clap::Args, Default)]
pub struct Args {
    /// Only conversations in this state: new, wip, done or noise (default: all)
    #[arg(long, value_parser = parse_status, value_name = "STATUS")]
    pub status: Option<Status>,
    /// Only conversations assigned to me
    #[arg(long)]
    pub mine: bool,
    /// Only this mailbox (by its name in the config)
    #[arg(long)]
    pub mailbox: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s).ok_or_else(|| format!("{s:?} is not a status; use new, wip, done or noise"))
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
        }
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    let filter = ListFilter {
        status: args.status,
        assignee: args.mine.then(|| ctx.config.agent.id.clone()),
        mailbox: args.mailbox.clone(),
    };
    if args.json {
        // Streamed: 100,000 conversations are not held in memory.
        let mut out = super::output::JsonArrayOut::stdout();
        let mut failed = None;
        crate::app::conversations::each(ctx, &filter, |c| {
            match out.push(&ConversationJson::from(&c)) {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        out.finish()?;
        return Ok(0);
    }
    let rows = crate::app::conversations::list(ctx, &filter)?;
    if rows.is_empty() {
        outln!("{}", t("list.none"));
        return Ok(0);
    }
    outln!(
        "{}  {} {} {}  {} {} {}",
        fit(t("list.header.id"), 12),
        fit(t("list.header.state"), 5),
        fit(t("list.header.owner"), 10),
        fit(t("list.header.received"), 16),
        fit(t("list.header.customer"), 28),
        fit(t("list.header.messages"), 5),
        t("list.header.subject")
    );
    for c in &rows {
        let who = c
            .assignee
            .clone()
            .or_else(|| c.previous_assignee.as_ref().map(|p| format!("({p})")))
            .unwrap_or_else(|| "-".into());
        outln!(
            "{}  {} {} {}  {} {} {}",
            c.id,
            fit(c.status.as_str(), 5),
            fit(&who, 10),
            short_time(c.last_received),
            fit(&single_line(&c.customer), 28),
            fit(&format!("[{}]", c.messages), 5),
            single_line(&c.subject)
        );
    }
    Ok(0)
}
