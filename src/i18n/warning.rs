//! Warnings from the application layer, worded for people (both front ends).

use super::{cause_text, t, tf};
use tanto_app::config::ConfigWarning;
use tanto_app::outcome::Retried;
use tanto_app::Warning;
use tanto_mail::sanitize::single_line;

/// The warning as one safe line in the language in use, its cause worded too (OS and server
/// text verbatim).
pub fn warning(w: &Warning) -> String {
    use Warning as W;
    let text = match w {
        W::PresenceViewing { error } => {
            tf("warning.presence_viewing", &[("error", &cause_text(error))])
        }
        W::EventsUnchecked { error } => {
            tf("warning.events_unchecked", &[("error", &cause_text(error))])
        }
        W::PresenceReplying { error } => tf(
            "warning.presence_replying",
            &[("error", &cause_text(error))],
        ),
        W::ClaimNotUndone { id, error } => tf(
            "warning.claim_not_undone",
            &[("id", id), ("error", &cause_text(error))],
        ),
        W::DoubleNotTakenBack { id, error } => tf(
            "warning.double_not_taken_back",
            &[("id", id), ("error", &cause_text(error))],
        ),
        W::CacheBehind { error } => tf("warning.cache_behind", &[("error", &cause_text(error))]),
        W::ArrivalsNotChecked => t("warning.arrivals_not_checked").to_string(),
        W::EventNotCached { error } => {
            tf("warning.event_not_cached", &[("error", &cause_text(error))])
        }
        W::NoteNotCached { error } => {
            tf("warning.note_not_cached", &[("error", &cause_text(error))])
        }
        W::OutboxPass { error } => tf("warning.outbox_pass", &[("error", &cause_text(error))]),
        W::NotGivenBack { id, error } => tf(
            "warning.not_given_back",
            &[("id", id), ("error", &cause_text(error))],
        ),
        W::NotWoken { id, error } => tf(
            "warning.not_woken",
            &[("id", id), ("error", &cause_text(error))],
        ),
        W::NotAssigned { id, error } => tf(
            "warning.not_assigned",
            &[("id", id), ("error", &cause_text(error))],
        ),
        W::NotMarkedDone { id, error } => tf(
            "warning.not_marked_done",
            &[("id", id), ("error", &cause_text(error))],
        ),
        W::OutsideRepliesNotChecked { error } => {
            tf("warning.outside_replies", &[("error", &cause_text(error))])
        }
        W::TemplatesUnranked { error } => tf(
            "warning.templates_unranked",
            &[("error", &cause_text(error))],
        ),
        W::DraftNotKept { error } => tf("warning.draft_not_kept", &[("error", &cause_text(error))]),
    };
    single_line(&text)
}

/// A config warning as one safe line in the language in use (the path verbatim).
pub fn config_warning(w: &ConfigWarning) -> String {
    let text = match w {
        ConfigWarning::PlainPasswordReadable { path } => tf(
            "warning.config.plain_password",
            &[("path", &path.display())],
        ),
    };
    single_line(&text)
}

/// What is being retried (`Notice::Retrying`'s `what`), in the language in use.
pub fn retrying_what(what: &Retried) -> &'static str {
    use tanto_core::claims::Action;
    t(match what {
        Retried::Action(Action::Claim) => "retry.claim",
        Retried::Action(Action::TakeOver) => "retry.take_over",
        Retried::Action(Action::Release) => "retry.release",
        Retried::Action(Action::Assign(_) | Action::AutoAssign(_)) => "retry.assign",
        Retried::Action(Action::Done) => "retry.done",
        Retried::Action(Action::Reopen) => "retry.reopen",
        Retried::Action(Action::Wait { .. }) => "retry.wait",
        Retried::Action(Action::Snooze { .. }) => "retry.snooze",
        Retried::Action(Action::Wake) => "retry.wake",
        Retried::Note => "retry.note",
        Retried::Sync => "retry.sync",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang};

    fn every_warning() -> Vec<Warning> {
        let id = || "c0ffee12".to_string();
        let error = || tanto_app::Cause::from(anyhow::anyhow!("E"));
        vec![
            W::PresenceViewing { error: error() },
            W::EventsUnchecked { error: error() },
            W::PresenceReplying { error: error() },
            W::ClaimNotUndone {
                id: id(),
                error: error(),
            },
            W::DoubleNotTakenBack {
                id: id(),
                error: error(),
            },
            W::CacheBehind { error: error() },
            W::ArrivalsNotChecked,
            W::EventNotCached { error: error() },
            W::NoteNotCached { error: error() },
            W::OutboxPass { error: error() },
            W::NotGivenBack {
                id: id(),
                error: error(),
            },
            W::NotWoken {
                id: id(),
                error: error(),
            },
            W::NotAssigned {
                id: id(),
                error: error(),
            },
            W::NotMarkedDone {
                id: id(),
                error: error(),
            },
            W::TemplatesUnranked { error: error() },
            W::OutsideRepliesNotChecked { error: error() },
            W::DraftNotKept { error: error() },
        ]
    }
    use Warning as W;

    #[test]
    fn config_warnings_read_as_before_in_english_and_are_worded_in_japanese() {
        let w = ConfigWarning::PlainPasswordReadable {
            path: "/home/a/tanto.toml".into(),
        };
        let old = "warning: /home/a/tanto.toml holds a plain password and is readable by \
                   others; run `chmod 600 /home/a/tanto.toml` or use password_command";
        assert_eq!(with_lang(Lang::En, || config_warning(&w)), old);
        assert_eq!(w.to_string(), old);
        let ja = with_lang(Lang::Ja, || config_warning(&w));
        assert!(
            !ja.is_ascii() && ja.contains("chmod 600 /home/a/tanto.toml"),
            "{ja}"
        );
    }

    #[test]
    fn what_is_retried_is_named_in_japanese() {
        use tanto_core::claims::Action;
        let whats = [
            (Retried::Action(Action::Claim), "claim"),
            (Retried::Action(Action::TakeOver), "take over"),
            (Retried::Action(Action::Release), "release"),
            (Retried::Action(Action::Assign("bob".into())), "assign"),
            (Retried::Action(Action::Done), "done"),
            (Retried::Action(Action::Reopen), "reopen"),
            (Retried::Note, "note"),
            (Retried::Sync, "sync"),
        ];
        for (what, english) in whats {
            assert_eq!(with_lang(Lang::En, || retrying_what(&what)), english);
            assert!(
                !with_lang(Lang::Ja, || retrying_what(&what)).is_ascii(),
                "{what:?}"
            );
        }
    }

    /// Issue 22: the cause is worded too, so that a Japanese warning is Japanese all the way
    /// down (it was the English text of the cause inside a Japanese sentence).
    #[test]
    fn a_warning_s_cause_is_worded_in_the_user_s_language() {
        let refused = tanto_core::claims::Refused::NeedsSupervisor {
            holder: "bob".into(),
            idle_secs: None,
            stale_hours: 4,
        };
        let causes: Vec<tanto_app::Cause> = vec![
            tanto_core::said!("warning.cause.holds_it", holder = "bob").into(),
            refused.into(),
            anyhow::Error::new(tanto_core::said!("outbox.cause.interrupted"))
                .context("outer English context")
                .into(),
        ];
        for error in causes {
            let w = W::NotMarkedDone {
                id: "c0ffee12".into(),
                error,
            };
            let ja = with_lang(Lang::Ja, || warning(&w));
            let en = with_lang(Lang::En, || warning(&w));
            // What tanto words is Japanese; only names (and text from outside) stay as written.
            let english_words = ["holds", "supervisor", "interrupted", "reached"];
            assert!(!english_words.iter().any(|word| ja.contains(word)), "{ja}");
            assert!(english_words.iter().any(|word| en.contains(word)), "{en}");
        }
    }

    #[test]
    fn every_warning_has_english_and_japanese_words_and_keeps_its_cause() {
        for w in every_warning() {
            let en = with_lang(Lang::En, || warning(&w));
            let ja = with_lang(Lang::Ja, || warning(&w));
            assert!(
                !en.starts_with("warning."),
                "{w:?} has no English text: {en}"
            );
            assert!(
                ja != en && !ja.is_ascii(),
                "{w:?} has no Japanese text: {ja}"
            );
            if format!("{w:?}").contains("error") {
                assert!(en.contains('E') && ja.contains('E'), "{w:?}: {ja}");
            }
            if format!("{w:?}").contains("c0ffee12") {
                assert!(ja.contains("c0ffee12"), "{w:?}: {ja}");
            }
        }
    }
}
