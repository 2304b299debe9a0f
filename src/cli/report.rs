//! `tanto report`: the desk's figures per agent and for the team over a period, as a table,
//! one JSON document (`--json`) or CSV (`--csv`). Definitions: `tanto_core::report` and
//! docs/user-guide.md.

use serde::Serialize;

use super::output::{fit, rfc3339, short_time};
use super::Ctx;
use crate::i18n::{duration, t, tf};
use tanto_app::report::{Desk, Row};
use tanto_core::report::{Period, Spread};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// From this day (YYYY-MM-DD in the team's zone) or instant (RFC 3339); default: the start of the history
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// To the end of this day (YYYY-MM-DD) or this instant (RFC 3339); default: now
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Print one JSON document (durations in seconds)
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV: a header line, one row per agent and an `all` row
    #[arg(long)]
    pub csv: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    let now = tanto_core::clock::now();
    let since = match &args.since {
        Some(s) => Some(tanto_app::report::parse_bound(ctx, s, false)?),
        None => None,
    };
    let until = match &args.until {
        Some(s) => tanto_app::report::parse_bound(ctx, s, true)?,
        None => now,
    };
    let desk = tanto_app::report::desk(ctx, Period { since, until }, now)?;
    if args.json {
        super::output::print_json(&DeskJson::from(&desk))?;
    } else if args.csv {
        for line in csv_lines(&desk) {
            outln!("{line}");
        }
    } else {
        print_table(&desk);
    }
    Ok(0)
}

/// A duration spread in the JSON contract (seconds; null without any).
#[derive(Debug, Serialize)]
struct SpreadJson {
    count: u64,
    median_secs: Option<i64>,
    p90_secs: Option<i64>,
}

impl From<&Spread> for SpreadJson {
    fn from(s: &Spread) -> Self {
        SpreadJson {
            count: s.count,
            median_secs: s.median,
            p90_secs: s.p90,
        }
    }
}

/// One row in the JSON contract; `agent` is absent on the team's row.
#[derive(Debug, Serialize)]
struct RowJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    handled: u64,
    replies_sent: u64,
    first_response: SpreadJson,
    resolution: SpreadJson,
    open: u64,
    /// Null when the team has no reply target.
    overdue: Option<u64>,
}

impl From<&Row> for RowJson {
    fn from(r: &Row) -> Self {
        RowJson {
            agent: r.agent.clone(),
            handled: r.figures.handled,
            replies_sent: r.figures.replies,
            first_response: SpreadJson::from(&r.figures.first_response),
            resolution: SpreadJson::from(&r.figures.resolution),
            open: r.open,
            overdue: r.overdue,
        }
    }
}

/// The report in the JSON contract: stable English names, times in RFC 3339 (UTC).
#[derive(Debug, Serialize)]
struct DeskJson {
    since: Option<String>,
    until: String,
    business_time: bool,
    agents: Vec<RowJson>,
    all: RowJson,
}

impl From<&Desk> for DeskJson {
    fn from(d: &Desk) -> Self {
        DeskJson {
            since: d.period.since.map(rfc3339),
            until: rfc3339(d.period.until),
            business_time: d.business_time,
            agents: d.agents.iter().map(RowJson::from).collect(),
            all: RowJson::from(&d.all),
        }
    }
}

const CSV_HEADER: &str = "agent,handled,replies_sent,first_response_count,\
first_response_median_secs,first_response_p90_secs,resolution_count,resolution_median_secs,\
resolution_p90_secs,open,overdue";

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The header line, a line per agent, and the team's line named `all`.
fn csv_lines(d: &Desk) -> Vec<String> {
    let line = |name: &str, r: &Row| {
        let f = &r.figures;
        [
            csv_field(name),
            f.handled.to_string(),
            f.replies.to_string(),
            f.first_response.count.to_string(),
            opt(f.first_response.median),
            opt(f.first_response.p90),
            f.resolution.count.to_string(),
            opt(f.resolution.median),
            opt(f.resolution.p90),
            r.open.to_string(),
            opt(r.overdue),
        ]
        .join(",")
    };
    let mut out = vec![CSV_HEADER.to_string()];
    for r in &d.agents {
        out.push(line(r.agent.as_deref().unwrap_or_default(), r));
    }
    out.push(line("all", &d.all));
    out
}

/// "median / p90" worded, or a dash without any.
fn spread_text(s: &Spread) -> String {
    match (s.median, s.p90) {
        (Some(m), Some(p)) => format!("{} / {}", duration(m), duration(p)),
        _ => "-".into(),
    }
}

fn print_table(d: &Desk) {
    let since = d
        .period
        .since
        .map(short_time)
        .unwrap_or_else(|| t("report.from_start").to_string());
    let time = if d.business_time {
        t("report.business_time")
    } else {
        t("report.wall_clock")
    };
    outln!(
        "{}",
        tf(
            "report.title",
            &[
                ("since", &since),
                ("until", &short_time(d.period.until)),
                ("time", &time)
            ]
        )
    );
    outln!(
        "{} {} {} {} {} {} {}",
        fit(t("report.header.agent"), 12),
        fit(t("report.header.handled"), 8),
        fit(t("report.header.replies"), 8),
        fit(t("report.header.first_response"), 24),
        fit(t("report.header.resolution"), 24),
        fit(t("report.header.open"), 6),
        t("report.header.overdue")
    );
    let all = t("report.all").to_string();
    for r in d.agents.iter().chain(std::iter::once(&d.all)) {
        let name = r.agent.clone().unwrap_or_else(|| all.clone());
        outln!(
            "{} {} {} {} {} {} {}",
            fit(&tanto_mail::sanitize::single_line(&name), 12),
            fit(&r.figures.handled.to_string(), 8),
            fit(&r.figures.replies.to_string(), 8),
            fit(&spread_text(&r.figures.first_response), 24),
            fit(&spread_text(&r.figures.resolution), 24),
            fit(&r.open.to_string(), 6),
            r.overdue.map_or_else(|| "-".to_string(), |n| n.to_string())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanto_core::report::Figures;

    #[test]
    fn csv_quotes_a_name_with_a_comma_and_leaves_missing_figures_empty() {
        let row = |agent: Option<&str>| Row {
            agent: agent.map(str::to_string),
            figures: Figures {
                handled: 1,
                replies: 2,
                first_response: Spread {
                    count: 1,
                    median: Some(60),
                    p90: Some(60),
                },
                resolution: Spread::default(),
            },
            open: 0,
            overdue: None,
        };
        let desk = Desk {
            period: Period {
                since: None,
                until: 0,
            },
            business_time: false,
            agents: vec![row(Some("sato, taro"))],
            all: row(None),
        };
        assert_eq!(
            csv_lines(&desk)[1..],
            [
                "\"sato, taro\",1,2,1,60,60,0,,,0,",
                "all,1,2,1,60,60,0,,,0,"
            ]
        );
    }
}
