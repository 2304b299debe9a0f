//! The team's rules on new mail, after each sync: every untouched new message is read, the
//! rules (`core::rules`) decide, and one compare-and-set writes their keywords with
//! `tanto-ruled`. Whichever agent's client gets there first writes it; the others see the
//! message touched and leave it alone, so a rule acts once per message.
//!
//! Why a keyword records "applied" (and not only an event): it sits on the message itself
//! and goes in the same conditional STORE as the rules' own keywords, so "applied" and
//! "what they did" can never be apart, and a second client's STORE fails on the MODSEQ. The
//! `rule` event in the activity folder is the audit trail (and a rule's assignment's age);
//! readers count the first `rule` record about a message only (`cache::events`), so a second
//! writer let through beside the first changes nothing anyone reads.
//!
//! Where the log decides (`act::by_log`: no keywords of ours, no CONDSTORE), the `rule` record
//! is the decision itself, written for every message looked at (the log's `tanto-ruled`),
//! with the tags: a change record (`core::log`, with the status and owner after it) when the
//! rules change the state, a plain record otherwise. Of several clients' records about one
//! message the first in the log counts and the rest are void.

use std::path::Path;

use super::Ctx;
use crate::config::Mailbox;
use tanto_core::claims::StoreResult;
use tanto_core::event::EventKind;
use tanto_core::rules::{self, Mail, Rule, Verdict};
use tanto_core::said;
use tanto_core::status::{self, Status};
use tanto_mail::activity::Event;
use tanto_mail::cache::{Cache, FolderRole, ListFilter, StateMessage};
use tanto_mail::imap::sync::sync_folder;
use tanto_mail::imap::Conn;
use tanto_mail::mime;

/// The most messages read in one pass (the rest wait for the next sync).
const BATCH: usize = 200;

/// The message `raw` as the rules see it (decoded headers, readable body text).
pub fn mail_of(raw: &[u8], rules: &[Rule]) -> Mail {
    let h = mime::parse_headers(raw);
    let headers = rules::header_names(rules)
        .into_iter()
        .filter_map(|n| mime::header_field(raw, &n).map(|v| (n, v)))
        .collect();
    Mail {
        from: h.from,
        to: h.to,
        cc: h.cc,
        subject: h.subject,
        headers,
        body: mime::render(raw).text,
    }
}

/// `tanto rules test FILE.eml`: what the config's rules do to that message, and why.
pub fn test_file(ctx_rules: &[Rule], file: &Path) -> anyhow::Result<Verdict> {
    let raw = std::fs::read(file)
        .map_err(|e| said!("error.rules.read_eml", path = file.display()).because(e))?;
    Ok(rules::evaluate(ctx_rules, &mail_of(&raw, ctx_rules)))
}

/// One message the rules acted on (for the caller's report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub conversation: String,
    pub rules: Vec<String>,
}

/// Applies the rules to the untouched new messages of mailbox `m` on `conn` (after its
/// sync). A server without compare-and-set on keywords gets no rules (logged once a pass).
pub fn apply_new(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Conn,
    m: &Mailbox,
) -> anyhow::Result<Vec<Applied>> {
    let rules = &ctx.config.rules;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let mut todo: Vec<(String, StateMessage)> = Vec::new();
    for st in [Status::New, Status::Noise] {
        let filter = ListFilter {
            status: Some(st),
            assignee: None,
            mailbox: Some(m.name.clone()),
        };
        for conv in cache.list(&filter)? {
            if let Some(s) = cache.state_message(&m.name, &conv.id)? {
                // Before the batch is cut: a message the log says was looked at must not
                // keep a newer one out of it.
                if !rules::touched(&s.flags) && !cache.touched_in_log(&m.name, &s.key)? {
                    todo.push((conv.id, s));
                }
            }
        }
    }
    todo.truncate(BATCH);
    let mut out = Vec::new();
    let team = ctx.team(m);
    let mut by_folder: std::collections::BTreeMap<String, Vec<(String, StateMessage)>> =
        Default::default();
    for t in todo {
        by_folder.entry(t.1.folder.clone()).or_default().push(t);
    }
    for (folder, items) in by_folder {
        let info = conn.select(&folder, None)?;
        super::act::may_write(conn, &info, &folder)?;
        if super::act::by_log(conn, &info) {
            out.extend(apply_by_log(ctx, cache, conn, m, &folder, &items)?);
            continue;
        }
        let uids: Vec<u32> = items.iter().map(|(_, s)| s.uid).collect();
        let bodies: std::collections::HashMap<u32, Vec<u8>> =
            conn.fetch_bodies(&uids)?.into_iter().collect();
        let mut wrote = false;
        for (conv, state) in &items {
            let Some(raw) = bodies.get(&state.uid) else {
                continue;
            };
            let mail = mail_of(raw, rules);
            let verdict = rules::evaluate(rules, &mail);
            if let Some(now) = apply_one(conn, state.uid, &verdict)? {
                wrote = true;
                if verdict.any() {
                    let event = rule_event(ctx, conv, state, &verdict, &now);
                    super::act::append_event(ctx, conn, m, &mail.subject, &event)?;
                    // The inbox stays the selected folder for the next message's STORE.
                    conn.select_if_needed(&state.folder)?;
                    out.push(Applied {
                        conversation: conv.clone(),
                        rules: verdict.matched.clone(),
                    });
                }
            }
        }
        if wrote {
            sync_folder(conn, cache, &team, &folder, FolderRole::Inbox)?;
        }
    }
    if !out.is_empty() {
        let log_folder = &m.imap.activity_folder;
        let _ = sync_folder(conn, cache, &team, log_folder, FolderRole::Activity);
    }
    Ok(out)
}

/// Writes the verdict's keywords on `uid` by compare-and-set: the flags after, when this
/// client's write is the one that stands; `None` when someone touched it first.
fn apply_one(conn: &mut Conn, uid: u32, verdict: &Verdict) -> anyhow::Result<Option<Vec<String>>> {
    for _ in 0..10 {
        let Some((flags, modseq)) = conn.fetch_state(uid)? else {
            return Ok(None);
        };
        if rules::touched(&flags) {
            return Ok(None);
        }
        let want = rules::flags_after(&flags, &verdict.actions);
        match conn.store_if_unchanged(uid, modseq, &want)? {
            StoreResult::Modified => continue,
            StoreResult::Applied { modseq: ours, .. } => {
                // Read back: a second client's identical write let through beside ours
                // (Dovecot can, on a folder's first keywords) shows as a newer MODSEQ
                // with the same keywords; then that client's write is the one that stands.
                let Some((now, at)) = conn.fetch_state(uid)? else {
                    return Ok(None);
                };
                let same = now.len() == want.len()
                    && want
                        .iter()
                        .all(|w| now.iter().any(|n| n.eq_ignore_ascii_case(w)));
                if at > ours && same {
                    return Ok(None);
                }
                return Ok(Some(now));
            }
        }
    }
    Ok(None)
}

/// The rules on `items` (in `folder`) where the log decides: one `rule` record per message
/// with the rules' tags; when they change the state, decided on the conversation's standing
/// record like any change through the log, with the status and owner after them. Each client
/// reads the log first and leaves alone what another client's record already covers; of
/// records written at the same moment the first counts. What this client's records that
/// count did is returned.
fn apply_by_log(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Conn,
    m: &Mailbox,
    folder: &str,
    items: &[(String, StateMessage)],
) -> anyhow::Result<Vec<Applied>> {
    let rules = &ctx.config.rules;
    let team = ctx.team(m);
    let log_folder = &m.imap.activity_folder;
    sync_folder(conn, cache, &team, log_folder, FolderRole::Activity)?;
    let mut todo = Vec::new();
    for (conv, state) in items {
        if !cache.touched_in_log(&m.name, &state.key)? {
            todo.push((conv, state));
        }
    }
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    conn.ensure_folder(log_folder)?;
    let validity = super::act::log_validity(conn, cache, &m.name, log_folder)?;
    conn.select(folder, None)?;
    let uids: Vec<u32> = todo.iter().map(|(_, s)| s.uid).collect();
    let bodies: std::collections::HashMap<u32, Vec<u8>> =
        conn.fetch_bodies(&uids)?.into_iter().collect();
    let mut written = Vec::new();
    for (conv, state) in todo {
        let Some(raw) = bodies.get(&state.uid) else {
            continue;
        };
        let mail = mail_of(raw, rules);
        let verdict = rules::evaluate(rules, &mail);
        let standing = cache.log_state(&m.name, conv)?;
        let flags = tanto_core::log::effective_flags(
            &state.flags,
            standing
                .as_ref()
                .filter(|ls| ls.about == state.key)
                .map(|ls| (ls.status, ls.owner.as_deref())),
            state.rules_noise,
        );
        let after = rules::flags_after(&flags, &verdict.actions);
        let same = |f: &[String]| (status::status_of(f, state.rules_noise), status::owner(f));
        let event = rule_event(ctx, conv, state, &verdict, &after).with_tags(&verdict.actions.tags);
        let event = if same(&after) == same(&flags) {
            // No change of state (tags only, or no rule matched): no change record, so that
            // the conversation's standing record (an older message's done, whose agent the
            // customer's return goes back to) stays where it is.
            event.with_state(None, None)
        } else {
            event.with_base(tanto_core::log::base_value(
                validity,
                standing.map_or(0, |ls| ls.uid),
            ))
        };
        let uid = super::act::append_event(ctx, conn, m, &mail.subject, &event)?;
        written.push((conv, state, verdict, uid));
    }
    // The log up to our records: which of them stand is decided there.
    sync_folder(conn, cache, &team, log_folder, FolderRole::Activity)?;
    let mut out = Vec::new();
    for (conv, state, verdict, uid) in written {
        let agent = &ctx.config.agent.id;
        let uid = match uid {
            Some(u) => Some(u),
            None => {
                cache.newest_record((&m.name, log_folder), &state.key, agent, &EventKind::Rule)?
            }
        };
        let Some(uid) = uid else { continue };
        if verdict.any() && cache.record_void(log_folder, &m.name, uid)? == Some(false) {
            out.push(Applied {
                conversation: conv.clone(),
                rules: verdict.matched,
            });
        }
    }
    Ok(out)
}

/// The `rule` event: which rules matched and what they did (or that none matched), with the
/// state after (`flags`).
fn rule_event(
    ctx: &Ctx,
    conv: &str,
    state: &StateMessage,
    verdict: &Verdict,
    flags: &[String],
) -> Event {
    let a = &verdict.actions;
    let mut did = Vec::new();
    if a.noise {
        did.push("noise".to_string());
    }
    if let Some(s) = a.status {
        did.push(format!("status {}", s.as_str()));
    }
    if let Some(x) = &a.assign {
        did.push(format!("assigned to {x}"));
    }
    if !a.tags.is_empty() {
        did.push(format!("tags {}", a.tags.join(", ")));
    }
    let names: Vec<String> = verdict.matched.iter().map(|n| format!("{n:?}")).collect();
    let text = if verdict.any() {
        format!("rules {}: {}", names.join(", "), did.join("; "))
    } else {
        "no rule matched".to_string()
    };
    let st = status::status_of(flags, state.rules_noise);
    let owner = status::owner(flags);
    Event::new(
        EventKind::Rule,
        &ctx.config.agent.id,
        &state.key,
        conv,
        text,
    )
    .with_state(Some(st.as_str()), owner.as_deref())
}
