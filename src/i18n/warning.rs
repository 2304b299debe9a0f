//! Warnings from the application layer, worded for people (both front ends).

use super::{t, tf};
use tanto_app::config::ConfigWarning;
use tanto_app::Warning;
use tanto_mail::sanitize::single_line;

/// The warning as one safe line in the language in use; the cause from below stays verbatim.
pub fn warning(w: &Warning) -> String {
    use Warning as W;
    let text = match w {
        W::PresenceViewing { error } => tf("warning.presence_viewing", &[("error", error)]),
        W::EventsUnchecked { error } => tf("warning.events_unchecked", &[("error", error)]),
        W::PresenceReplying { error } => tf("warning.presence_replying", &[("error", error)]),
        W::ClaimNotUndone { id, error } => {
            tf("warning.claim_not_undone", &[("id", id), ("error", error)])
        }
        W::DoubleNotTakenBack { id, error } => tf(
            "warning.double_not_taken_back",
            &[("id", id), ("error", error)],
        ),
        W::CacheBehind { error } => tf("warning.cache_behind", &[("error", error)]),
        W::ArrivalsNotChecked => t("warning.arrivals_not_checked").to_string(),
        W::EventNotCached { error } => tf("warning.event_not_cached", &[("error", error)]),
        W::NoteNotCached { error } => tf("warning.note_not_cached", &[("error", error)]),
        W::OutboxPass { error } => tf("warning.outbox_pass", &[("error", error)]),
        W::NotGivenBack { id, error } => {
            tf("warning.not_given_back", &[("id", id), ("error", error)])
        }
        W::NotMarkedDone { id, error } => {
            tf("warning.not_marked_done", &[("id", id), ("error", error)])
        }
        W::TemplatesUnranked { error } => tf("warning.templates_unranked", &[("error", error)]),
        W::DraftNotKept { error } => tf("warning.draft_not_kept", &[("error", error)]),
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
pub fn retrying_what(what: &str) -> &str {
    match what {
        "claim" => t("retry.claim"),
        "take over" => t("retry.take_over"),
        "release" => t("retry.release"),
        "assign" => t("retry.assign"),
        "done" => t("retry.done"),
        "reopen" => t("retry.reopen"),
        "note" => t("retry.note"),
        "sync" => t("retry.sync"),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang};

    fn every_warning() -> Vec<Warning> {
        let (id, error) = (|| "c0ffee12".to_string(), || "E".to_string());
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
            W::NotMarkedDone {
                id: id(),
                error: error(),
            },
            W::TemplatesUnranked { error: error() },
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
        let whats = [
            "claim",
            "take over",
            "release",
            "assign",
            "done",
            "reopen",
            "note",
            "sync",
        ];
        for what in whats {
            assert_eq!(with_lang(Lang::En, || retrying_what(what)), what);
            assert!(
                !with_lang(Lang::Ja, || retrying_what(what)).is_ascii(),
                "{what}"
            );
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
