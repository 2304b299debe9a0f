//! Mail operations as another client (APPEND, STORE, EXPUNGE, UIDVALIDITY resets, reads),
//! through the `imap` crate.

use chrono::{DateTime, FixedOffset};
use imap::types::Flag;
use imap_proto::{Response, ResponseCode, Status, UidSetMember};

use crate::{Dovecot, ImapServer, Session};

/// A message kept across a UIDVALIDITY reset: UID, bytes, flags, INTERNALDATE.
type Saved = (u32, Vec<u8>, Vec<String>, DateTime<FixedOffset>);

/// Messages per MULTIAPPEND command in `append_many`.
const APPEND_BATCH: usize = 250;

impl ImapServer {
    /// APPENDs one message (any bytes) to `folder` of `user`, creating the folder if missing,
    /// with the given flags (`"\\Seen"`, `"tanto-wip"`, ...). Returns its UID (APPENDUID).
    pub fn append(&self, user: &str, folder: &str, raw: &[u8], flags: &[&str]) -> u32 {
        self.append_dated(user, folder, raw, flags, None)
    }

    /// Like `append`, with the INTERNALDATE (`"23-Nov-2026 09:02:11 +0900"`) when given.
    pub fn append_dated(
        &self,
        user: &str,
        folder: &str,
        raw: &[u8],
        flags: &[&str],
        date: Option<&str>,
    ) -> u32 {
        let date = date.map(|d| {
            DateTime::parse_from_str(d, "%d-%b-%Y %H:%M:%S %z").unwrap_or_else(|e| {
                panic!("INTERNALDATE {d:?} (want 23-Nov-2026 09:02:11 +0900): {e}")
            })
        });
        let mut s = self.session(user);
        ensure_folder(&mut s, user, folder);
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        let uid = append_one(&mut s, user, folder, raw, &flags, date);
        s.logout().expect("LOGOUT");
        uid
    }

    /// APPENDs messages to `folder` on one connection, each with its flags and INTERNALDATE
    /// (`"23-Nov-2026 09:02:11 +0900"`), creating the folder if missing. Returns their UIDs.
    pub fn append_dated_many(
        &self,
        user: &str,
        folder: &str,
        msgs: &[(Vec<u8>, Vec<String>, String)],
    ) -> Vec<u32> {
        let mut s = self.session(user);
        ensure_folder(&mut s, user, folder);
        let uids = msgs
            .iter()
            .map(|(raw, flags, date)| {
                let date = DateTime::parse_from_str(date, "%d-%b-%Y %H:%M:%S %z")
                    .unwrap_or_else(|e| panic!("INTERNALDATE {date:?}: {e}"));
                append_one(&mut s, user, folder, raw, flags, Some(date))
            })
            .collect();
        s.logout().expect("LOGOUT");
        uids
    }

    /// APPENDs `msgs` (no flags) as mail that arrived `days` ago, one minute apart: each
    /// one's `Date:` header and INTERNALDATE are rewritten to that time, so that tests see
    /// old mail as a team does, not mail that arrived a moment ago. Returns their UIDs.
    pub fn append_days_old(
        &self,
        user: &str,
        folder: &str,
        msgs: &[Vec<u8>],
        days: i64,
    ) -> Vec<u32> {
        let then = chrono::Local::now() - chrono::Duration::days(days);
        let dated: Vec<(Vec<u8>, Vec<String>, String)> = msgs
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let at = then + chrono::Duration::minutes(i as i64);
                let text = String::from_utf8_lossy(raw);
                let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                let head: Vec<String> = head
                    .split("\r\n")
                    .map(|l| match l.starts_with("Date: ") {
                        true => format!("Date: {}", at.to_rfc2822()),
                        false => l.to_string(),
                    })
                    .collect();
                let raw = format!("{}\r\n\r\n{body}", head.join("\r\n")).into_bytes();
                (
                    raw,
                    Vec::new(),
                    at.format("%d-%b-%Y %H:%M:%S %z").to_string(),
                )
            })
            .collect();
        self.append_dated_many(user, folder, &dated)
    }

    /// The folders `user` sees, as `LIST "" "*"` names them.
    pub fn list(&self, user: &str) -> Vec<String> {
        let mut s = self.session(user);
        let names = s
            .list(Some(""), Some("*"))
            .unwrap_or_else(|e| panic!("LIST as {user}: {e}"));
        let out = names.iter().map(|n| n.name().to_string()).collect();
        s.logout().expect("LOGOUT");
        out
    }

    /// APPENDs many messages (no flags) on one connection, creating the folder if missing
    /// (1000 messages: well under a second). Returns their UIDs in order.
    pub fn append_many(&self, user: &str, folder: &str, msgs: &[Vec<u8>]) -> Vec<u32> {
        let mut s = self.session(user);
        ensure_folder(&mut s, user, folder);
        let mut uids = Vec::with_capacity(msgs.len());
        for chunk in msgs.chunks(APPEND_BATCH) {
            match multiappend(&mut s, user, folder, chunk) {
                Some(batch) => uids.extend(batch),
                None => uids.extend(
                    chunk
                        .iter()
                        .map(|m| append_one(&mut s, user, folder, m, &[], None)),
                ),
            }
        }
        s.logout().expect("LOGOUT");
        assert_eq!(uids.len(), msgs.len(), "one APPENDUID per message");
        uids
    }

    /// `UID STORE <uid_set> <query>` as another client, e.g.
    /// `store("support", "INBOX", "1:10", "+FLAGS (tanto-wip)")`.
    pub fn store(&self, user: &str, folder: &str, uid_set: &str, query: &str) {
        let mut s = self.session(user);
        s.select(folder)
            .unwrap_or_else(|e| panic!("SELECT {folder} as {user}: {e}"));
        s.uid_store(uid_set, query)
            .unwrap_or_else(|e| panic!("UID STORE {uid_set} {query} in {folder} as {user}: {e}"));
        s.logout().expect("LOGOUT");
    }

    /// Sets `\Deleted` on `uid_set` and UID EXPUNGEs exactly those messages, as another client.
    pub fn expunge(&self, user: &str, folder: &str, uid_set: &str) {
        let mut s = self.session(user);
        s.select(folder)
            .unwrap_or_else(|e| panic!("SELECT {folder} as {user}: {e}"));
        s.uid_store(uid_set, "+FLAGS.SILENT (\\Deleted)")
            .unwrap_or_else(|e| panic!("UID STORE {uid_set} \\Deleted in {folder}: {e}"));
        s.uid_expunge(uid_set)
            .unwrap_or_else(|e| panic!("UID EXPUNGE {uid_set} in {folder}: {e}"));
        s.logout().expect("LOGOUT");
    }

    /// The folder's current UIDVALIDITY (STATUS).
    pub fn uidvalidity(&self, user: &str, folder: &str) -> u32 {
        let mut s = self.session(user);
        let m = s
            .status(folder, "(UIDVALIDITY)")
            .unwrap_or_else(|e| panic!("STATUS {folder} (UIDVALIDITY) as {user}: {e}"));
        s.logout().expect("LOGOUT");
        m.uid_validity.expect("UIDVALIDITY in STATUS response")
    }

    /// All UIDs in the folder, ascending (read-only EXAMINE + UID SEARCH ALL).
    pub fn uids(&self, user: &str, folder: &str) -> Vec<u32> {
        let mut s = self.session(user);
        s.examine(folder)
            .unwrap_or_else(|e| panic!("EXAMINE {folder} as {user}: {e}"));
        let mut uids: Vec<u32> = s
            .uid_search("ALL")
            .unwrap_or_else(|e| panic!("UID SEARCH ALL in {folder}: {e}"))
            .into_iter()
            .collect();
        s.logout().expect("LOGOUT");
        uids.sort_unstable();
        uids
    }

    /// The flags (including keywords, excluding `\Recent`) of one message, by UID.
    pub fn flags(&self, user: &str, folder: &str, uid: u32) -> Vec<String> {
        let mut s = self.session(user);
        s.examine(folder)
            .unwrap_or_else(|e| panic!("EXAMINE {folder} as {user}: {e}"));
        let fetches = s
            .uid_fetch(uid.to_string(), "(UID FLAGS)")
            .unwrap_or_else(|e| panic!("UID FETCH {uid} FLAGS in {folder}: {e}"));
        let f = fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .unwrap_or_else(|| panic!("no message with UID {uid} in {user}/{folder}"));
        let flags = kept_flags(f);
        s.logout().expect("LOGOUT");
        flags
    }
}

impl Dovecot {
    /// Changes the UIDVALIDITY of `folder` (INBOX too) while keeping its messages, as a server
    /// rebuild would: every message is fetched, expunged, the UIDVALIDITY raised with
    /// `doveadm mailbox update`, and the messages re-APPENDed with their flags and internal
    /// dates, so they also get new UIDs. Returns the new UIDVALIDITY (checked to differ).
    pub fn reset_uidvalidity(&self, user: &str, folder: &str) -> u32 {
        let mut s = self.session(user);
        let mbox = s
            .select(folder)
            .unwrap_or_else(|e| panic!("SELECT {folder} as {user}: {e}"));
        let old = mbox.uid_validity.expect("UIDVALIDITY in SELECT response");
        // (uid, message, flags, internal date)
        let mut saved: Vec<Saved> = Vec::new();
        if mbox.exists > 0 {
            let fetches = s
                .uid_fetch("1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
                .unwrap_or_else(|e| panic!("UID FETCH 1:* in {folder}: {e}"));
            for f in fetches.iter() {
                let uid = f.uid.expect("UID in FETCH response");
                let body = f.body().expect("BODY[] in FETCH response").to_vec();
                let flags = kept_flags(f);
                let date = f.internal_date().expect("INTERNALDATE in FETCH response");
                saved.push((uid, body, flags, date));
            }
            saved.sort_by_key(|m| m.0);
            s.uid_store("1:*", "+FLAGS.SILENT (\\Deleted)")
                .expect("mark all \\Deleted");
            s.expunge().expect("EXPUNGE");
        }
        s.logout().expect("LOGOUT");

        let new = old.wrapping_add(1).max(1);
        self.doveadm(&[
            "mailbox",
            "update",
            "-u",
            user,
            "--uid-validity",
            &new.to_string(),
            folder,
        ]);

        if !saved.is_empty() {
            let mut s = self.session(user);
            for (_, body, flags, date) in &saved {
                append_one(&mut s, user, folder, body, flags, Some(*date));
            }
            s.logout().expect("LOGOUT");
        }
        let now = self.uidvalidity(user, folder);
        assert_ne!(now, old, "UIDVALIDITY of {user}/{folder} did not change");
        assert_eq!(
            now, new,
            "UIDVALIDITY of {user}/{folder} after doveadm update"
        );
        now
    }
}

/// Creates `folder` unless it is INBOX or exists already.
fn ensure_folder(s: &mut Session, user: &str, folder: &str) {
    if folder.eq_ignore_ascii_case("INBOX") {
        return;
    }
    if let Err(e) = s.create(folder) {
        // NO [ALREADYEXISTS] is fine; anything else leaves no folder to STATUS.
        if s.status(folder, "(UIDVALIDITY)").is_err() {
            panic!("CREATE {folder} as {user}: {e}");
        }
    }
}

/// One APPEND; returns the message's UID from APPENDUID.
fn append_one(
    s: &mut Session,
    user: &str,
    folder: &str,
    raw: &[u8],
    flags: &[String],
    date: Option<DateTime<FixedOffset>>,
) -> u32 {
    let mut cmd = s.append(folder, raw);
    cmd.flags(flags.iter().map(|f| Flag::from(f.clone())));
    if let Some(date) = date {
        cmd.internal_date(date);
    }
    let appended = cmd
        .finish()
        .unwrap_or_else(|e| panic!("APPEND to {folder} as {user}: {e}"));
    match appended.uids.as_deref() {
        Some([UidSetMember::Uid(uid)]) => *uid,
        other => panic!("APPEND to {folder} as {user}: no single APPENDUID ({other:?})"),
    }
}

/// One MULTIAPPEND (RFC 3502) of `msgs` with LITERAL+ literals, several times faster than one APPEND
/// each. The crate has no MULTIAPPEND, but sends any command text: None when a message is
/// not UTF-8 (the crate's commands are `&str`), to APPEND those one by one instead.
fn multiappend(s: &mut Session, user: &str, folder: &str, msgs: &[Vec<u8>]) -> Option<Vec<u32>> {
    let mut cmd = format!("APPEND \"{folder}\"");
    for m in msgs {
        let text = std::str::from_utf8(m).ok()?;
        cmd.push_str(&format!(" () {{{}+}}\r\n{text}", m.len()));
    }
    let (data, done) = s.run(&cmd).unwrap_or_else(|e| {
        panic!(
            "APPEND of {} messages to {folder} as {user}: {e}",
            msgs.len()
        )
    });
    let tagged = data.get(done..).unwrap_or_default();
    let uids = match imap_proto::parser::parse_response(tagged) {
        Ok((
            _,
            Response::Done {
                status: Status::Ok,
                code: Some(ResponseCode::AppendUid(_, uids)),
                ..
            },
        )) => uids,
        _ => panic!(
            "APPEND to {folder} as {user}: no APPENDUID in {}",
            String::from_utf8_lossy(tagged)
        ),
    };
    let uids: Vec<u32> = uids
        .into_iter()
        .flat_map(|m| match m {
            UidSetMember::Uid(u) => u..=u,
            UidSetMember::UidRange(r) => r,
        })
        .collect();
    assert_eq!(uids.len(), msgs.len(), "APPENDUID count of one MULTIAPPEND");
    Some(uids)
}

/// A FETCH response's flags as stored (`\Recent` is the session's, not the message's).
fn kept_flags(f: &imap::types::Fetch<'_>) -> Vec<String> {
    f.flags()
        .iter()
        .filter(|fl| !matches!(fl, Flag::Recent))
        .map(|fl| fl.to_string())
        .collect()
}
