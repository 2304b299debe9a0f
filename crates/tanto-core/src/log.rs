//! Coordination through the activity log alone, for servers without a compare-and-set on
//! flags (no CONDSTORE) or without custom keywords (Microsoft 365): every status change is a
//! record appended to the activity folder naming the record it was decided on (its base).
//! UIDs in one folder only grow, so every agent reads the records in the same order, and the
//! same rule picks the winner for all of them: walked in UID order, a record stands when its
//! base is the last record that stood for its conversation (0 before any); every other one
//! is void. The server's APPEND order is the single point of decision.

use super::status::{self, Status};

/// `X-Tanto-Base`: the record a change was decided on, as `UIDVALIDITY/UID` of the
/// activity folder (`V/0` when none stood yet).
pub const H_BASE: &str = "X-Tanto-Base";

/// The header value for a change decided on the record `uid` (0: none).
pub fn base_value(uidvalidity: u32, uid: u32) -> String {
    format!("{uidvalidity}/{uid}")
}

/// `V/U` back into its numbers.
pub fn parse_base(s: &str) -> Option<(u32, u32)> {
    let (v, u) = s.trim().split_once('/')?;
    Some((v.parse().ok()?, u.parse().ok()?))
}

/// Which of one conversation's records (UID, base) stand, in the order given (UID order).
/// A base from another UIDVALIDITY (the folder was rebuilt: UIDs were given anew, in the old
/// order) cannot be compared: such a record stands, as it did when it was written. A base
/// without a UIDVALIDITY (0), or a folder whose UIDVALIDITY is not known (0), is compared as
/// it is: nothing stands by default.
pub fn standing(records: &[(u32, (u32, u32))], uidvalidity: u32) -> Vec<bool> {
    let mut last = 0;
    records
        .iter()
        .map(|&(uid, (v, base))| {
            let rebuilt = uidvalidity != 0 && v != 0 && v != uidvalidity;
            let stands = rebuilt || base == last;
            if stands {
                last = uid;
            }
            stands
        })
        .collect()
}

/// The status keywords a standing record puts on the message it is about, as a
/// compare-and-set would have written them (`rules_noise`: the rules call it noise, so a
/// "new" decision needs the agent's not-noise mark).
pub fn keywords(status: Status, owner: Option<&str>, rules_noise: bool) -> Vec<String> {
    let by = owner.map(status::owner_keyword);
    match status {
        Status::Wip => [Some(status::KW_WIP.to_string()), by]
            .into_iter()
            .flatten()
            .collect(),
        Status::Done => [Some(status::KW_DONE.to_string()), by]
            .into_iter()
            .flatten()
            .collect(),
        Status::Waiting => [Some(status::KW_WAIT.to_string()), by]
            .into_iter()
            .flatten()
            .collect(),
        Status::Noise => vec![status::KW_NOISE.to_string()],
        // A woken snooze keeps its agent as the previous assignee.
        Status::New if rules_noise => [Some(status::KW_NOT_NOISE.to_string()), by]
            .into_iter()
            .flatten()
            .collect(),
        Status::New => by.into_iter().collect(),
    }
}

/// True for a keyword of the protocol's state (status, owner, not-noise): what a standing
/// record decides instead of the server's keywords (a mirror may be stale).
pub fn is_state_keyword(f: &str) -> bool {
    let l = f.to_ascii_lowercase();
    l == status::KW_WIP
        || l == status::KW_DONE
        || l == status::KW_NOISE
        || l == status::KW_WAIT
        || l == status::KW_NOT_NOISE
        || l.starts_with(status::KW_BY_PREFIX)
}

/// The flags of a message as the log says: the server's flags without state keywords, and
/// the standing record's when it is about this message.
pub fn effective_flags(
    server: &[String],
    record: Option<(Status, Option<&str>)>,
    rules_noise: bool,
) -> Vec<String> {
    let mut out: Vec<String> = server
        .iter()
        .filter(|f| !is_state_keyword(f))
        .cloned()
        .collect();
    if let Some((st, owner)) = record {
        out.extend(keywords(st, owner, rules_noise));
    }
    out
}

/// What a log record does to a conversation's tags (`tag` adds; `untag` removes; a standing
/// `rule` record adds its rules' tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    Add,
    Remove,
}

/// A conversation's tags after its tag records, walked in UID order from the tags its
/// keywords give (`start`), sorted, once each; and for each record whether it changed them.
/// Every reader walks the same records in the same order, so two agents tagging at once
/// read one tag, and only the record that landed first counts as the one that added it.
pub fn fold_tags<'a>(
    start: &[String],
    records: impl IntoIterator<Item = (TagChange, &'a [String])>,
) -> (Vec<String>, Vec<bool>) {
    let mut tags: std::collections::BTreeSet<String> =
        start.iter().map(|t| t.to_ascii_lowercase()).collect();
    let changed = records
        .into_iter()
        .map(|(change, names)| {
            names.iter().fold(false, |any, n| {
                let n = n.to_ascii_lowercase();
                any | match change {
                    TagChange::Add => tags.insert(n),
                    TagChange::Remove => tags.remove(&n),
                }
            })
        })
        .collect();
    (tags.into_iter().collect(), changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fold_in_log_order_and_only_the_first_of_two_equal_records_changes_anything() {
        let refund = ["refund".to_string()];
        let both = ["vip".to_string(), "refund".to_string()];
        let (tags, changed) = fold_tags(
            &["old".to_string()],
            [
                (TagChange::Add, &refund[..]),
                (TagChange::Add, &refund[..]),
                (TagChange::Add, &both[..]),
                (TagChange::Remove, &["old".to_string()][..]),
                (TagChange::Remove, &["old".to_string()][..]),
            ],
        );
        assert_eq!(tags, ["refund", "vip"]);
        assert_eq!(changed, [true, false, true, true, false]);
    }

    #[test]
    fn the_first_record_on_a_base_stands_and_later_ones_on_it_are_void() {
        // Two agents decided on "nothing yet" (0); then one on the winner (3); then a
        // latecomer on 0 again.
        let recs = [(3, (7, 0)), (4, (7, 0)), (6, (7, 3)), (9, (7, 0))];
        assert_eq!(standing(&recs, 7), [true, false, true, false]);
    }

    #[test]
    fn a_record_on_a_void_record_is_void_too() {
        let recs = [(3, (7, 0)), (4, (7, 0)), (5, (7, 4))];
        assert_eq!(standing(&recs, 7), [true, false, false]);
    }

    #[test]
    fn records_decided_without_knowing_the_uidvalidity_are_compared_not_waved_through() {
        // Two agents who claimed while the log folder was being created.
        let recs = [(1, (0, 0)), (2, (0, 0))];
        assert_eq!(standing(&recs, 7), [true, false]);
    }

    #[test]
    fn records_from_another_uidvalidity_stand_in_their_order() {
        let recs = [(1, (5, 0)), (2, (5, 0)), (3, (7, 2))];
        assert_eq!(standing(&recs, 7), [true, true, true]);
    }

    #[test]
    fn the_base_header_reads_back() {
        assert_eq!(parse_base(&base_value(42, 17)), Some((42, 17)));
        assert_eq!(parse_base("x/1"), None);
    }

    #[test]
    fn the_log_decides_the_state_keywords_not_the_server() {
        let server = vec![
            "\\Seen".to_string(),
            "tanto-wip".to_string(),
            "tanto-by-bob".to_string(),
        ];
        assert_eq!(
            effective_flags(&server, Some((Status::Wip, Some("alice"))), false),
            ["\\Seen", "tanto-wip", "tanto-by-alice"]
        );
        assert_eq!(effective_flags(&server, None, false), ["\\Seen"]);
        assert_eq!(
            effective_flags(&[], Some((Status::New, None)), true),
            ["tanto-notnoise"]
        );
    }
}
