//! Agents logging in as themselves to `support`'s mailbox, shared with ACLs (admin guide
//! section 4; the Cyrus layout played by Dovecot).

use crate::harness::Dovecot;
use crate::support::Tanto;

/// The rights the admin guide grants the team (doveadm's names).
pub const TEAM: &[&str] = &[
    "lookup",
    "read",
    "write",
    "write-seen",
    "write-deleted",
    "insert",
    "expunge",
    "create",
];

/// Grants alice and bob the team's rights on each of `support`'s `folders` (created when
/// missing).
pub fn share_with_alice_and_bob(server: &Dovecot, folders: &[&str]) {
    for folder in folders {
        server.share("support", folder, "user=alice", TEAM);
        server.share("support", folder, "user=bob", TEAM);
    }
}

/// An agent logging in as themselves (`id`), with the team's folders named as in `folders`
/// (TOML lines for `[mailbox.imap]`). No `sent_folder`: it is found beside the inbox.
pub fn own_login(server: &Dovecot, dir: &std::path::Path, id: &str, folders: &str) -> Tanto {
    let t = Tanto::new(server, dir, id);
    let text = std::fs::read_to_string(&t.config)
        .expect("read config")
        .replace("user = \"support\"", &format!("user = \"{id}\""))
        .replace("folder = \"INBOX\"\nsent_folder = \"Sent\"\n", folders);
    std::fs::write(&t.config, text).expect("write config");
    t
}
