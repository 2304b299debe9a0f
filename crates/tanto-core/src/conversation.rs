//! A conversation's summary (status, owner, counts) from its messages.

use super::status::{self, Status};

/// Whether a message came from a customer or from the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Reply,
}

/// What the summary needs of one message.
#[derive(Debug, Clone)]
pub struct Member {
    pub direction: Direction,
    /// Server arrival time (IMAP INTERNALDATE), seconds since the epoch.
    pub received: i64,
    /// Tie-breaker for equal times: the UID.
    pub order: u32,
    pub flags: Vec<String>,
    pub rules_noise: bool,
    pub subject: String,
    pub customer: String,
    /// The name this message gives the customer (the sender's, where the sender is the
    /// customer); `None` where it gives none or is not known. Shown only, never trusted.
    pub customer_name: Option<String>,
}

/// A conversation as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub status: Status,
    pub assignee: Option<String>,
    /// The last owner of an earlier round, shown when the customer wrote again.
    pub previous_assignee: Option<String>,
    pub messages: usize,
    pub last_received: i64,
    pub subject: String,
    pub customer: String,
    /// The customer's name as the message `customer` comes from gives it.
    pub customer_name: Option<String>,
    /// Index into the members of the message that carries the conversation's state.
    pub state_member: Option<usize>,
    /// Index into the members of the message the customer (and their name) comes from.
    pub customer_member: Option<usize>,
}

/// Summarizes a conversation. Its state is that of the newest inbound message that is not
/// noise (an out-of-office reply to our answer must not reopen or hide the conversation);
/// when every inbound message is noise, the conversation is noise.
pub fn summarize(members: &[Member]) -> Summary {
    let newest = |pred: &dyn Fn(&Member) -> bool| {
        members
            .iter()
            .enumerate()
            .filter(|(_, m)| pred(m))
            .max_by_key(|(_, m)| (m.received, m.order))
            .map(|(i, _)| i)
    };
    let inbound = |m: &Member| m.direction == Direction::Inbound;
    let state_member = newest(&|m| inbound(m) && !status::is_noise(&m.flags, m.rules_noise))
        .or_else(|| newest(&inbound));
    let first = members
        .iter()
        .min_by_key(|m| (m.received, m.order))
        .map(|m| m.subject.clone())
        .unwrap_or_default();
    let last_any = newest(&|_| true);
    let (status, assignee) = match state_member {
        Some(i) => {
            let m = &members[i];
            let st = status::status_of(&m.flags, m.rules_noise);
            let owner = match st {
                Status::Wip | Status::Done | Status::Waiting => status::owner(&m.flags),
                _ => None,
            };
            (st, owner)
        }
        // Only the team wrote: nothing waits for an answer.
        None => (Status::Done, None),
    };
    let previous_assignee = if assignee.is_none() {
        members
            .iter()
            .filter(|m| m.direction == Direction::Inbound)
            .filter_map(|m| status::owner(&m.flags).map(|o| ((m.received, m.order), o)))
            .max()
            .map(|(_, o)| o)
    } else {
        None
    };
    let customer_member = state_member.or(last_any);
    let customer = customer_member
        .map(|i| members[i].customer.clone())
        .unwrap_or_default();
    let customer_name = customer_member.and_then(|i| members[i].customer_name.clone());
    Summary {
        status,
        assignee,
        previous_assignee,
        messages: members.len(),
        last_received: customer_member.map(|i| members[i].received).unwrap_or(0),
        subject: first,
        customer,
        customer_name,
        state_member,
        customer_member,
    }
}

/// Whether a message is the team's and who the customer is. The team's mail is what is in
/// Sent, what tanto wrote (`X-Tanto-Agent`), and mail from a team address without an outside
/// Reply-To; its customer is the first outside recipient. Anything else is the customer's:
/// a contact form sends as the shared address with the customer in Reply-To, so there the
/// customer is the Reply-To; otherwise the sender. `team` holds lower-case addresses.
pub fn direction_and_customer(
    in_sent_folder: bool,
    h: &super::model::Headers,
    team: &[String],
) -> (Direction, String) {
    let is_team = |email: &str| team.iter().any(|t| t.eq_ignore_ascii_case(email));
    let from = h
        .from
        .first()
        .map(|a| a.email.to_lowercase())
        .unwrap_or_default();
    let from_team = !from.is_empty() && is_team(&from);
    let outside_reply_to = h
        .reply_to
        .iter()
        .map(|a| a.email.to_lowercase())
        .find(|e| !e.is_empty() && !is_team(e));
    let by_tanto = h.x_tanto_agent.is_some();
    if in_sent_folder || by_tanto || (from_team && outside_reply_to.is_none()) {
        let customer =
            h.to.iter()
                .chain(h.cc.iter())
                .map(|a| a.email.to_lowercase())
                .find(|e| !e.is_empty() && !is_team(e))
                .unwrap_or_default();
        (Direction::Reply, customer)
    } else if from_team {
        (Direction::Inbound, outside_reply_to.unwrap_or_default())
    } else {
        (Direction::Inbound, from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(dir: Direction, received: i64, flags: &[&str], noise: bool) -> Member {
        Member {
            direction: dir,
            received,
            order: received as u32,
            flags: flags.iter().map(|s| s.to_string()).collect(),
            rules_noise: noise,
            subject: format!("s{received}"),
            customer: "c@x".into(),
            customer_name: None,
        }
    }
    use Direction::*;

    #[test]
    fn state_follows_the_newest_inbound_message() {
        let s = summarize(&[
            m(Inbound, 1, &["tanto-done", "tanto-by-alice"], false),
            m(Reply, 2, &[], false),
        ]);
        assert_eq!(
            (s.status, s.assignee.as_deref()),
            (Status::Done, Some("alice"))
        );
        assert_eq!(s.subject, "s1");
        assert_eq!(s.messages, 2);
    }

    #[test]
    fn the_customers_name_comes_from_the_message_the_customer_comes_from() {
        let named = |dir, received, name: Option<&str>| Member {
            customer_name: name.map(String::from),
            ..m(dir, received, &[], false)
        };
        // The team's later reply (its sender is the team) does not name the customer.
        let s = summarize(&[
            named(Inbound, 1, Some("Old Name")),
            named(Inbound, 2, Some("山田 花子")),
            named(Reply, 3, None),
        ]);
        assert_eq!(s.customer_member, Some(1));
        assert_eq!(s.customer_name.as_deref(), Some("山田 花子"));
        let s = summarize(&[named(Inbound, 1, Some("Old Name")), named(Inbound, 2, None)]);
        assert_eq!(s.customer_name, None, "the newest mail gave no name");
    }

    #[test]
    fn a_customer_writing_again_to_a_done_conversation_makes_it_new_with_the_previous_owner() {
        let s = summarize(&[
            m(Inbound, 1, &["tanto-done", "tanto-by-alice"], false),
            m(Reply, 2, &[], false),
            m(Inbound, 3, &[], false),
        ]);
        assert_eq!(s.status, Status::New);
        assert_eq!(s.assignee, None);
        assert_eq!(s.previous_assignee.as_deref(), Some("alice"));
        assert_eq!(s.last_received, 3);
    }

    #[test]
    fn an_auto_reply_after_our_answer_does_not_change_the_state() {
        let s = summarize(&[
            m(Inbound, 1, &["tanto-wip", "tanto-by-bob"], false),
            m(Reply, 2, &[], false),
            m(Inbound, 3, &[], true),
        ]);
        assert_eq!(
            (s.status, s.assignee.as_deref()),
            (Status::Wip, Some("bob"))
        );
        // Another client's spelling of the keywords names the same owner.
        let shouted = summarize(&[m(Inbound, 1, &["TANTO-WIP", "TANTO-BY-BOB"], false)]);
        assert_eq!(
            (shouted.status, shouted.assignee.as_deref()),
            (Status::Wip, Some("bob"))
        );
        let only_noise = summarize(&[m(Inbound, 1, &[], true)]);
        assert_eq!(only_noise.status, Status::Noise);
        let only_team = summarize(&[m(Reply, 1, &[], false)]);
        assert_eq!(only_team.status, Status::Done);
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn who_wrote_a_message_and_who_the_customer_is() {
        use crate::model::{Address, Headers};
        let team = vec!["support@ex.com".to_string(), "alice@ex.com".to_string()];
        let addrs = |xs: &[&str]| -> Vec<Address> {
            xs.iter()
                .map(|e| Address {
                    name: None,
                    email: e.to_string(),
                })
                .collect()
        };
        // (in Sent, X-Tanto-Agent, From, Reply-To, To, expected)
        let cases: &[(bool, bool, &str, &[&str], &[&str], Direction, &str)] = &[
            (
                false,
                false,
                "c@cust.com",
                &[],
                &["support@ex.com"],
                Inbound,
                "c@cust.com",
            ),
            (
                false,
                false,
                "c@cust.com",
                &["d@cust.com"],
                &[],
                Inbound,
                "c@cust.com",
            ),
            // A contact form: the shared address sends on the customer's behalf.
            (
                false,
                false,
                "support@ex.com",
                &["c@cust.com"],
                &["support@ex.com"],
                Inbound,
                "c@cust.com",
            ),
            (
                false,
                false,
                "Support@Ex.com",
                &["C@Cust.com"],
                &[],
                Inbound,
                "c@cust.com",
            ),
            // The team writing from its own addresses.
            (
                false,
                false,
                "support@ex.com",
                &[],
                &["c@cust.com"],
                Reply,
                "c@cust.com",
            ),
            (
                false,
                false,
                "alice@ex.com",
                &["support@ex.com"],
                &["c@cust.com"],
                Reply,
                "c@cust.com",
            ),
            // Sent and what tanto wrote are the team's whatever the headers say.
            (
                true,
                false,
                "support@ex.com",
                &["c@cust.com"],
                &["c@cust.com"],
                Reply,
                "c@cust.com",
            ),
            (
                false,
                true,
                "support@ex.com",
                &["x@cust.com"],
                &["c@cust.com"],
                Reply,
                "c@cust.com",
            ),
        ];
        for (sent, tanto, from, reply_to, to, dir, customer) in cases {
            let h = Headers {
                from: addrs(&[from]),
                reply_to: addrs(reply_to),
                to: addrs(to),
                x_tanto_agent: tanto.then(|| "alice".to_string()),
                ..Headers::default()
            };
            assert_eq!(
                direction_and_customer(*sent, &h, &team),
                (*dir, customer.to_string()),
                "from {from}, reply-to {reply_to:?}"
            );
        }
    }
}
