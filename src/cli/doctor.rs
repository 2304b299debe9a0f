//! `tanto doctor`: can we log in, and what does the server offer that tanto relies on. The
//! application layer returns the findings as data; this file words them.

use unicode_width::UnicodeWidthStr as _;

use super::output::fit;
use super::Ctx;
use crate::i18n::{t, tf};
use tanto_app::doctor::{
    self, Capability, Check, Detail, FolderState, KeywordCap, SignIn, Verdict,
};
use tanto_mail::imap::{Right, SentFound};

#[derive(Debug, clap::Args, Default)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> anyhow::Result<u8> {
    let reports = doctor::doctor(ctx)?;
    for r in &reports {
        let head = [
            ("mailbox", &r.mailbox as &dyn std::fmt::Display),
            ("address", &r.address),
            ("server", &r.server),
        ];
        outln!("{}", tf("doctor.mailbox", &head));
        let names: Vec<&str> = r.checks.iter().map(|c| check_name(&c.name)).collect();
        let width = names.iter().map(|n| n.width()).max().unwrap_or(0).max(12);
        for (c, name) in r.checks.iter().zip(names) {
            outln!("{}", line(c, name, width).trim_end());
        }
    }
    Ok(u8::from(reports.iter().any(|r| r.failed())))
}

/// One check as a line of the report: name, verdict, detail.
fn line(c: &Check, name: &str, width: usize) -> String {
    let verdict = match c.verdict {
        Verdict::Ok => t("doctor.verdict.ok"),
        Verdict::Yes => t("doctor.verdict.yes"),
        Verdict::No => t("doctor.verdict.no"),
        Verdict::Info => "",
        Verdict::Warning => t("doctor.verdict.warn"),
        Verdict::Fail => t("doctor.verdict.fail"),
    };
    format!(
        "  {} {} {}",
        fit(name, width),
        fit(verdict, 5),
        detail_text(&c.detail)
    )
}

/// The name of a check in the language in use (capability names stay as IMAP spells them).
fn check_name(name: &str) -> &str {
    match name {
        "login" => t("doctor.check.login"),
        "auth" => t("doctor.check.auth"),
        "folder" => t("doctor.check.folder"),
        "keywords" => t("doctor.check.keywords"),
        "keyword use" => t("doctor.check.keyword_use"),
        "keyword cap" => t("doctor.check.keyword_cap"),
        "sent folder" => t("doctor.check.sent_folder"),
        "namespace" => t("doctor.check.namespace"),
        "activity" => t("doctor.check.activity"),
        "outbox" => t("doctor.check.outbox"),
        "templates" => t("doctor.check.templates"),
        "coordination" => t("doctor.check.coordination"),
        "rights" => t("doctor.check.rights"),
        other => other,
    }
}

/// How a mailbox signs in, and where its OAuth2 token stands.
fn sign_in_text(s: &SignIn) -> String {
    use tanto_mail::oauth::TokenState;
    let SignIn::OAuth2 {
        provider,
        mailbox,
        state,
    } = s
    else {
        return t("doctor.auth.password").to_string();
    };
    let at = |secs: &i64| {
        chrono::DateTime::from_timestamp(*secs, 0)
            .map(|d| {
                d.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let args = |until: String| -> Vec<(&'static str, String)> {
        vec![
            ("provider", provider.to_string()),
            ("mailbox", mailbox.clone()),
            ("until", until),
        ]
    };
    let (key, args) = match state {
        TokenState::Valid { expires_at } => ("doctor.auth.valid", args(at(expires_at))),
        TokenState::Refreshable { expires_at } => ("doctor.auth.refreshable", args(at(expires_at))),
        TokenState::NotLoggedIn => ("doctor.auth.none", args(String::new())),
        TokenState::Expired => ("doctor.auth.expired", args(String::new())),
    };
    let refs: Vec<(&str, &dyn std::fmt::Display)> = args
        .iter()
        .map(|(k, v)| (*k, v as &dyn std::fmt::Display))
        .collect();
    tf(key, &refs)
}

/// What a check found, in the language in use; a cause from below stays verbatim.
fn detail_text(d: &Detail) -> String {
    match d {
        Detail::None => String::new(),
        Detail::Error(e) => crate::i18n::error_text(e),
        Detail::LoggedInAs { user } => tf("doctor.logged_in_as", &[("user", user)]),
        Detail::SignIn(s) => sign_in_text(s),
        Detail::Lacks(cap) => t(match cap {
            Capability::Condstore => "doctor.lacks.condstore",
            Capability::Qresync => "doctor.lacks.qresync",
            Capability::Idle => "doctor.lacks.idle",
            Capability::Move => "doctor.lacks.move",
            Capability::Uidplus => "doctor.lacks.uidplus",
            Capability::SpecialUse => "doctor.lacks.special_use",
            Capability::Notify => "doctor.lacks.notify",
        })
        .to_string(),
        Detail::Folder {
            name,
            messages,
            uidvalidity,
        } => tf(
            "doctor.folder",
            &[
                ("name", name),
                ("messages", messages),
                ("uidvalidity", uidvalidity),
            ],
        ),
        Detail::NoCustomKeywords => t("doctor.no_custom_keywords").to_string(),
        Detail::Coordination { by_log, mirror } => t(match (by_log, mirror) {
            (false, _) => "doctor.coordination.keywords",
            (true, true) => "doctor.coordination.log_mirror",
            (true, false) => "doctor.coordination.log",
        })
        .to_string(),
        Detail::KeywordUse {
            defined,
            tanto,
            cap,
        } => {
            let cap = t(match cap {
                KeywordCap::GmailLike => "doctor.cap.gmail",
                KeywordCap::NotAnnounced => "doctor.cap.not_announced",
            });
            tf(
                "doctor.keyword_use",
                &[("defined", defined), ("tanto", tanto), ("cap", &cap)],
            )
        }
        Detail::TooManyKeywords { count } => tf("doctor.too_many_keywords", &[("count", count)]),
        Detail::Place { name, wire, state } => {
            let place = match wire {
                Some(wire) => tf("doctor.place.wire", &[("name", name), ("wire", wire)]),
                None => name.clone(),
            };
            let Some(state) = state else { return place };
            let state = t(match state {
                FolderState::Exists => "doctor.state.exists",
                FolderState::CreatedNow => "doctor.state.created_now",
                FolderState::CreatedOnFirstUse => "doctor.state.first_use",
            });
            tf(
                "doctor.place_state",
                &[("place", &place), ("state", &state)],
            )
        }
        Detail::Sent { name, wire, how } => {
            let how = t(match how {
                SentFound::Configured => "doctor.sent.configured",
                SentFound::SpecialUse => "doctor.sent.special_use",
                SentFound::ByName => "doctor.sent.by_name",
            });
            let place = match wire {
                Some(wire) => tf("doctor.place.wire", &[("name", name), ("wire", wire)]),
                None => name.clone(),
            };
            tf("doctor.sent", &[("name", &place), ("how", &how)])
        }
        Detail::NoSentFolder { creates } => tf("doctor.no_sent_folder", &[("name", creates)]),
        Detail::Namespace {
            prefix,
            separator,
            others,
        } => {
            let separator = match separator {
                Some(c) => format!("{:?}", c.to_string()),
                None => t("doctor.namespace.flat").to_string(),
            };
            let prefix = format!("{prefix:?}");
            let mut text = tf(
                "doctor.namespace",
                &[("prefix", &prefix), ("separator", &separator)],
            );
            if !others.is_empty() {
                let others: Vec<String> = others.iter().map(|o| format!("{o:?}")).collect();
                let others = others.join(t("doctor.rights.sep"));
                text.push_str(&tf("doctor.namespace.others", &[("others", &others)]));
            }
            text
        }
        Detail::Rights {
            folder,
            rights,
            missing,
        } => rights_text(folder, rights, missing),
        Detail::NotBeside {
            name,
            inbox,
            key,
            suggested,
        } => tf(
            "doctor.not_beside",
            &[
                ("name", name),
                ("inbox", inbox),
                ("key", key),
                ("suggested", suggested),
            ],
        ),
    }
}

/// The rights on a folder and what they allow, or what is missing and what that stops.
fn rights_text(folder: &str, rights: &str, missing: &[Right]) -> String {
    let sep = t("doctor.rights.sep");
    let letters = ordered(rights);
    if missing.is_empty() {
        let allows: Vec<&str> = Right::ALL
            .iter()
            .filter(|r| r.granted_by(rights))
            .map(|r| right_word(*r))
            .collect();
        let allows = allows.join(sep);
        return tf(
            "doctor.rights.allow",
            &[
                ("folder", &folder),
                ("rights", &letters),
                ("allows", &allows),
            ],
        );
    }
    let lacks: Vec<String> = missing
        .iter()
        .map(|r| {
            let letter = r.letter();
            tf(
                "doctor.right.lacking",
                &[("letter", &letter), ("what", &right_word(*r))],
            )
        })
        .collect();
    let mut harms: Vec<&str> = Vec::new();
    for h in missing.iter().map(|r| right_harm(*r)) {
        if !harms.contains(&h) {
            harms.push(h);
        }
    }
    tf(
        "doctor.rights.lack",
        &[
            ("folder", &folder),
            ("rights", &letters),
            ("lacks", &lacks.join(sep)),
            ("harms", &harms.join(sep)),
        ],
    )
}

/// MYRIGHTS letters in RFC 4314's order (`lrswipkxtea`), the older and unknown ones after.
fn ordered(rights: &str) -> String {
    const ORDER: &str = "lrswipkxteacdn";
    let mut v: Vec<char> = rights.chars().collect();
    v.sort_by_key(|c| (ORDER.find(*c).unwrap_or(ORDER.len()), *c));
    v.dedup();
    v.into_iter().collect()
}

/// What a right lets tanto do, in a few words.
fn right_word(r: Right) -> &'static str {
    t(match r {
        Right::Lookup => "doctor.right.l",
        Right::Read => "doctor.right.r",
        Right::Seen => "doctor.right.s",
        Right::Write => "doctor.right.w",
        Right::Insert => "doctor.right.i",
        Right::Create => "doctor.right.k",
        Right::DeleteMessages => "doctor.right.t",
        Right::Expunge => "doctor.right.e",
    })
}

/// What tanto cannot do without a right.
fn right_harm(r: Right) -> &'static str {
    t(match r {
        Right::Lookup => "doctor.harm.l",
        Right::Read => "doctor.harm.r",
        Right::Seen => "doctor.harm.s",
        Right::Write => "doctor.harm.w",
        Right::Insert => "doctor.harm.i",
        Right::Create => "doctor.harm.k",
        Right::DeleteMessages | Right::Expunge => "doctor.harm.te",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang};

    /// One of each kind of finding (a cause from below is left out: it stays verbatim).
    fn every_detail() -> Vec<Detail> {
        let caps = [
            Capability::Condstore,
            Capability::Qresync,
            Capability::Idle,
            Capability::Move,
            Capability::Uidplus,
            Capability::SpecialUse,
            Capability::Notify,
        ];
        let mut v: Vec<Detail> = caps.into_iter().map(Detail::Lacks).collect();
        let states = [
            FolderState::Exists,
            FolderState::CreatedNow,
            FolderState::CreatedOnFirstUse,
        ];
        v.extend(states.into_iter().map(|s| Detail::Place {
            name: "tanto-activity".into(),
            wire: Some("INBOX.tanto-activity".into()),
            state: Some(s),
        }));
        v.extend([
            Detail::LoggedInAs {
                user: "support".into(),
            },
            Detail::Folder {
                name: "INBOX".into(),
                messages: 3,
                uidvalidity: 7,
            },
            Detail::NoCustomKeywords,
            Detail::Coordination {
                by_log: true,
                mirror: false,
            },
            Detail::KeywordUse {
                defined: 3,
                tanto: 2,
                cap: KeywordCap::GmailLike,
            },
            Detail::KeywordUse {
                defined: 3,
                tanto: 2,
                cap: KeywordCap::NotAnnounced,
            },
            Detail::TooManyKeywords { count: 28 },
            Detail::NoSentFolder {
                creates: "shared/support/Sent".into(),
            },
            Detail::Namespace {
                prefix: "INBOX.".into(),
                separator: None,
                others: vec!["user.".into(), String::new()],
            },
            Detail::SignIn(SignIn::Password),
        ]);
        for state in [
            tanto_mail::oauth::TokenState::NotLoggedIn,
            tanto_mail::oauth::TokenState::Expired,
            tanto_mail::oauth::TokenState::Valid { expires_at: 1 },
            tanto_mail::oauth::TokenState::Refreshable { expires_at: 1 },
        ] {
            v.push(Detail::SignIn(SignIn::OAuth2 {
                provider: "microsoft",
                mailbox: "support".into(),
                state,
            }));
        }
        for how in [
            SentFound::Configured,
            SentFound::SpecialUse,
            SentFound::ByName,
        ] {
            v.push(Detail::Sent {
                name: "Sent".into(),
                wire: Some("INBOX.Sent".into()),
                how,
            });
        }
        v.push(Detail::Rights {
            folder: "shared/support/INBOX".into(),
            rights: "lrswite".into(),
            missing: Vec::new(),
        });
        v.push(Detail::Rights {
            folder: "shared/support/INBOX".into(),
            rights: "lr".into(),
            missing: vec![
                Right::Write,
                Right::Insert,
                Right::DeleteMessages,
                Right::Expunge,
            ],
        });
        for r in Right::ALL {
            v.push(Detail::Rights {
                folder: "shared/support/Tanto/Outbox".into(),
                rights: "lrswipkxtea".into(),
                missing: vec![r],
            });
        }
        v.push(Detail::NotBeside {
            name: "Tanto/Activity".into(),
            inbox: "shared/support/INBOX".into(),
            key: "activity_folder",
            suggested: "shared/support/Tanto/Activity".into(),
        });
        v
    }

    /// A run of three or more English words: a sentence left untranslated.
    fn english_sentence(s: &str) -> bool {
        s.split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
            .collect::<Vec<_>>()
            .windows(3)
            .any(|w| {
                w.iter()
                    .all(|x| x.len() > 1 && x.chars().all(|c| c.is_ascii_lowercase()))
            })
    }

    #[test]
    fn every_doctor_finding_is_worded_in_japanese() {
        for d in every_detail() {
            let ja = with_lang(Lang::Ja, || detail_text(&d));
            let en = with_lang(Lang::En, || detail_text(&d));
            assert!(!ja.is_empty() && ja != en, "{d:?}: {ja}");
            assert!(!english_sentence(&ja), "{d:?}: {ja}");
        }
        for name in ["login", "keyword use", "sent folder", "activity", "rights"] {
            assert!(
                !with_lang(Lang::Ja, || check_name(name)).is_ascii(),
                "{name}"
            );
        }
    }

    #[test]
    fn the_english_report_reads_as_before() {
        let c = Check {
            name: "CONDSTORE".into(),
            verdict: Verdict::No,
            detail: Detail::Lacks(Capability::Condstore),
        };
        let l = with_lang(Lang::En, || line(&c, check_name(&c.name), 12));
        assert!(
            l.starts_with(
                "  CONDSTORE    no    claims and statuses are decided through the activity log"
            ),
            "{l}"
        );
        let d = Detail::KeywordUse {
            defined: 28,
            tanto: 2,
            cap: KeywordCap::NotAnnounced,
        };
        let l = with_lang(Lang::En, || detail_text(&d));
        assert!(
            l.starts_with("28 defined in the folder, 2 of them tanto's; cap: not announced"),
            "{l}"
        );
    }
}
