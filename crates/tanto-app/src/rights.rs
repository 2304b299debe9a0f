//! What the login may do on each of tanto's folders (RFC 4314 rights), where the server
//! offers ACLs: a shared mailbox reached with each agent's own login (docs/admin-guide.md
//! section 4). Doctor shows it; a refusal names the right that is missing.

use tanto_core::said;
use tanto_mail::imap::{Conn, Right};

/// What tanto does in a folder, and so which rights it needs there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The shared inbox: read, and keywords for claims, statuses and assignees.
    Inbox,
    /// Replies are put there, and read by teammates.
    Sent,
    /// Claims' events and notes are appended, and read by everyone.
    Activity,
    /// Replies wait there: appended, claimed with keywords, removed once sent.
    Outbox,
    /// Read when replying.
    Templates,
}

impl Role {
    /// The rights tanto needs on a folder of this role.
    pub fn needs(self) -> &'static [Right] {
        match self {
            Role::Inbox => &[Right::Read, Right::Write],
            Role::Sent | Role::Activity => &[Right::Read, Right::Insert],
            Role::Outbox => &[
                Right::Read,
                Right::Write,
                Right::Insert,
                Right::DeleteMessages,
                Right::Expunge,
            ],
            Role::Templates => &[Right::Read],
        }
    }
}

/// The error for a claim the server will not keep because `keyword` cannot be stored in
/// `folder`: the missing right when the login lacks `w` there (an agent given `lr`), else
/// the server's PERMANENTFLAGS.
pub(super) fn keywords_refused(conn: &mut Conn, folder: &str, keyword: &str) -> anyhow::Error {
    match conn.my_rights(folder) {
        Ok(Some(rights)) if !Right::Write.granted_by(&rights) => {
            said!("error.act.missing_write", folder = folder, rights = rights).into()
        }
        _ => said!("error.act.no_keywords", keyword = keyword, folder = folder).into(),
    }
}
