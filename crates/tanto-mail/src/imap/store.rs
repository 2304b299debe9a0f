//! Writing to the mailbox: conditional STORE (compare-and-set on MODSEQ), APPEND, folders.

use imap_proto::Response;

use super::parse::{flag_update, for_each_response, reason};
use super::{Conn, ImapError, Result};
use tanto_core::claims::StoreResult;

/// A message's flags and MODSEQ as read back after a STORE.
pub type ReadBack = (Vec<String>, u64);

/// Formats flags for a STORE: system flags as they are, keywords as atoms.
fn flag_list(flags: &[String]) -> String {
    flags
        .iter()
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Conn {
    /// The current flags and MODSEQ of one message of the selected folder.
    pub fn fetch_state(&mut self, uid: u32) -> Result<Option<(Vec<String>, u64)>> {
        let items = if self.caps.condstore {
            "(UID FLAGS MODSEQ)"
        } else {
            "(UID FLAGS)"
        };
        let data = self.raw(&format!("UID FETCH {uid} {items}"))?;
        let mut out = None;
        for_each_response(&data, |r| {
            if let Response::Fetch(_, attrs) = r {
                if let Some(u) = flag_update(&attrs).filter(|u| u.uid == uid) {
                    out = Some((u.flags, u.modseq));
                }
            }
        });
        Ok(out)
    }

    /// Replaces the flags of `uid` only if it is unchanged since `modseq` (RFC 7162
    /// UNCHANGEDSINCE): the compare-and-set every coordination change goes through.
    pub fn store_if_unchanged(
        &mut self,
        uid: u32,
        modseq: u64,
        flags: &[String],
    ) -> Result<StoreResult> {
        let cmd = format!(
            "UID STORE {uid} (UNCHANGEDSINCE {modseq}) FLAGS ({})",
            flag_list(flags)
        );
        self.store(&cmd, uid)
    }

    /// `store_if_unchanged` with the read-back every winner needs sent behind it, in one
    /// round trip: the STORE's result and the flags and MODSEQ that hold after it (a
    /// conflicting write may land beside ours; after a MODIFIED, what the next try decides
    /// on). None when the message is gone.
    pub fn store_if_unchanged_and_read(
        &mut self,
        uid: u32,
        modseq: u64,
        flags: &[String],
    ) -> Result<(StoreResult, Option<ReadBack>)> {
        let store = format!(
            "UID STORE {uid} (UNCHANGEDSINCE {modseq}) FLAGS ({})",
            flag_list(flags)
        );
        let fetch = format!("UID FETCH {uid} (UID FLAGS MODSEQ)");
        for c in [&store, &fetch] {
            if let Err(e) = self.session.run_command(c) {
                return Err(self.lost_or_refused("STORE", e));
            }
        }
        let answers = self.read_each_answer(2)?;
        let [(stored, store_tag), (read, _)] = &answers[..] else {
            return Err(self.lost_or_refused("STORE", imap::Error::ConnectionLost));
        };
        for b in stored.iter().chain(read) {
            self.note_exists(b);
        }
        // The last FETCH of the message, whichever tagged line it came before: Dovecot
        // sends the read-back's data ahead of the STORE's OK.
        let now = stored
            .iter()
            .chain(read)
            .filter_map(|b| match imap_proto::parser::parse_response(b) {
                Ok((_, Response::Fetch(_, attrs))) => flag_update(&attrs)
                    .filter(|u| u.uid == uid)
                    .map(|u| (u.flags, u.modseq)),
                _ => None,
            })
            .next_back();
        let tag = String::from_utf8_lossy(store_tag);
        match super::tagged::parse(store_tag) {
            Some(t) if t.status == super::tagged::Status::Ok => {
                if t.modified() {
                    return Ok((StoreResult::Modified, now));
                }
            }
            Some(t) if t.status == super::tagged::Status::No => {
                return Err(self.store_refused(tag.trim_end()))
            }
            _ => {
                return Err(ImapError::Refused {
                    addr: self.addr.clone(),
                    command: "STORE".into(),
                    reason: tag.trim_end().to_string(),
                })
            }
        }
        let result = match &now {
            Some((flags, modseq)) => StoreResult::Applied {
                flags: flags.clone(),
                modseq: *modseq,
            },
            None => {
                return Err(ImapError::Refused {
                    addr: self.addr.clone(),
                    command: "STORE".into(),
                    reason: format!("message UID {uid} is gone"),
                })
            }
        };
        Ok((result, now))
    }

    /// Replaces the flags of `uid` unconditionally (servers without CONDSTORE, under the
    /// cache's lock).
    pub fn store_flags(&mut self, uid: u32, flags: &[String]) -> Result<StoreResult> {
        self.store(
            &format!("UID STORE {uid} FLAGS ({})", flag_list(flags)),
            uid,
        )
    }

    fn store(&mut self, cmd: &str, uid: u32) -> Result<StoreResult> {
        let (data, done_at) = match self.session.run(cmd) {
            Ok(r) => {
                self.note_exists(&r.0);
                r
            }
            Err(imap::Error::No(no)) => return Err(self.store_refused(&no.information)),
            Err(e) => return Err(self.lost_or_refused("STORE", e)),
        };
        let tagged = super::tagged::parse(data.get(done_at..).unwrap_or_default());
        if tagged.is_some_and(|t| t.modified()) {
            return Ok(StoreResult::Modified);
        }
        let mut applied = None;
        for_each_response(data.get(..done_at).unwrap_or_default(), |r| {
            if let Response::Fetch(_, attrs) = r {
                if let Some(u) = flag_update(&attrs) {
                    if u.uid == uid || u.uid == 0 {
                        applied = Some(StoreResult::Applied {
                            flags: u.flags,
                            modseq: u.modseq,
                        });
                    }
                }
            }
        });
        match applied {
            Some(a) => Ok(a),
            // Some servers omit the FETCH for a silent change: read it back.
            None => match self.fetch_state(uid)? {
                Some((flags, modseq)) => Ok(StoreResult::Applied { flags, modseq }),
                None => Err(ImapError::Refused {
                    addr: self.addr.clone(),
                    command: "STORE".into(),
                    reason: format!("message UID {uid} is gone"),
                }),
            },
        }
    }

    /// A STORE the server said NO to: most often a cap on keywords.
    fn store_refused(&self, said: &str) -> ImapError {
        ImapError::Refused {
            addr: self.addr.clone(),
            command: "STORE".into(),
            reason: format!(
                "{said} (a server may cap the number of keywords per folder: see `tanto doctor`)"
            ),
        }
    }

    /// Creates `folder` (named as in the config) unless it exists, under the personal
    /// namespace with the server's separator.
    pub fn ensure_folder(&mut self, folder: &str) -> Result<()> {
        if self.folder_exists(folder)? {
            return Ok(());
        }
        let wire = self.server_folder(folder)?;
        match self.session.create(super::encode_folder(&wire)) {
            Ok(()) => {
                self.existing.insert(wire);
                Ok(())
            }
            // Another agent created it at the same moment.
            Err(imap::Error::No(_)) if self.folder_exists(folder)? => Ok(()),
            Err(e) => Err(ImapError::Folder {
                addr: self.addr.clone(),
                folder: super::connect::shown(folder, &wire),
                reason: reason(&e),
            }),
        }
    }

    /// Appends a message to `folder` (named as in the config) with `flags`; its UID when
    /// the server says it (UIDPLUS's APPENDUID).
    pub fn append(&mut self, folder: &str, raw: &[u8], flags: &[&str]) -> Result<Option<u32>> {
        let wire = self.server_folder(folder)?;
        let in_one = self.caps.literal_plus || (self.caps.literal_minus && raw.len() <= 4096);
        self.append_literal(&wire, raw, flags, !in_one)
    }

    /// APPEND read past the crate, so that a refusal keeps its whole tagged line (its
    /// `[TRYCREATE]`, which the crate drops when the server refuses before the continuation).
    /// Without `wait`, a non-synchronizing literal (RFC 7888): the message follows the
    /// command at once, one round trip instead of two.
    fn append_literal(
        &mut self,
        wire: &str,
        raw: &[u8],
        flags: &[&str],
        wait: bool,
    ) -> Result<Option<u32>> {
        use std::io::Write as _;
        let cmd = format!(
            "APPEND {} ({}) {{{}{}}}",
            super::quote_folder(wire),
            flags.join(" "),
            raw.len(),
            if wait { "" } else { "+" }
        );
        if let Err(e) = self.session.run_command(&cmd) {
            return Err(self.lost_or_refused("APPEND", e));
        }
        if wait {
            if let Some(refused) = self.await_continuation("APPEND")? {
                return Err(refused);
            }
        }
        let mut out = self.shared.clone();
        let sent = out
            .write_all(raw)
            .and_then(|_| out.write_all(b"\r\n"))
            .and_then(|_| out.flush());
        if let Err(e) = sent {
            return Err(self.lost_or_refused("APPEND", imap::Error::Io(e)));
        }
        let answers = self.read_each_answer(1)?;
        let Some((untagged, tagged)) = answers.into_iter().next() else {
            return Err(self.lost_or_refused("APPEND", imap::Error::ConnectionLost));
        };
        for b in &untagged {
            self.note_exists(b);
        }
        match imap_proto::parser::parse_response(&tagged) {
            Ok((
                _,
                Response::Done {
                    status: imap_proto::Status::Ok,
                    code,
                    ..
                },
            )) => Ok(match code {
                Some(imap_proto::ResponseCode::AppendUid(_, uids)) => {
                    uids.into_iter().next().map(|m| match m {
                        imap_proto::UidSetMember::Uid(u) => u,
                        imap_proto::UidSetMember::UidRange(r) => *r.start(),
                    })
                }
                _ => None,
            }),
            _ => Err(ImapError::Refused {
                addr: self.addr.clone(),
                command: "APPEND".into(),
                reason: String::from_utf8_lossy(&tagged).trim_end().to_string(),
            }),
        }
    }

    /// Reads up to the server's `+` after a synchronizing literal's announcement: None to go
    /// on, or the refusal it sent instead (its tagged line whole). Untagged lines before it
    /// are noted as any answer's are.
    fn await_continuation(&mut self, command: &str) -> Result<Option<ImapError>> {
        use std::io::BufRead as _;
        let mut reader = std::io::BufReader::new(self.shared.clone());
        let mut untagged = Vec::new();
        let refused = loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => {
                    let eof = std::io::ErrorKind::UnexpectedEof.into();
                    return Err(ImapError::from_io(&self.addr, &eof));
                }
                Ok(_) => {}
                Err(e) => return Err(ImapError::from_io(&self.addr, &e)),
            }
            if line.starts_with(b"+") {
                break None;
            }
            if line.starts_with(b"* ") {
                untagged.extend_from_slice(&line);
                continue;
            }
            break Some(ImapError::Refused {
                addr: self.addr.clone(),
                command: command.to_string(),
                reason: String::from_utf8_lossy(&line).trim_end().to_string(),
            });
        };
        let rest = reader.buffer().to_vec();
        drop(reader);
        if !rest.is_empty() {
            let _ = self.shared.unread(&rest);
        }
        self.note_exists(&untagged);
        Ok(refused)
    }

    /// Selects `folder` and finds the message whose Message-ID is `message_id` (without
    /// angle brackets): its UID, the first when several carry it.
    pub fn find_message_id(&mut self, folder: &str, message_id: &str) -> Result<Option<u32>> {
        self.select(folder, None)?;
        Ok(self
            .search_header("Message-ID", &format!("<{message_id}>"))?
            .into_iter()
            .next())
    }

    /// UIDs in the selected folder whose header `name` contains `value`.
    pub fn search_header(&mut self, name: &str, value: &str) -> Result<Vec<u32>> {
        let quoted = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
        match self.session.uid_search(format!("HEADER {name} {quoted}")) {
            Ok(set) => {
                let mut v: Vec<u32> = set.into_iter().collect();
                v.sort_unstable();
                Ok(v)
            }
            Err(e) => Err(self.lost_or_refused("SEARCH", e)),
        }
    }

    /// The raw header block of `uid` (the fields named), from the selected folder.
    pub fn fetch_header_fields(&mut self, uid: u32, fields: &str) -> Result<Option<Vec<u8>>> {
        let data = self.raw(&format!(
            "UID FETCH {uid} (UID BODY.PEEK[HEADER.FIELDS ({fields})])"
        ))?;
        let mut out = None;
        for_each_response(&data, |r| {
            if let Response::Fetch(_, attrs) = r {
                for a in attrs {
                    if let imap_proto::types::AttributeValue::BodySection {
                        data: Some(d), ..
                    } = a
                    {
                        out = Some(d.to_vec());
                    }
                }
            }
        });
        Ok(out)
    }
}

impl Conn {
    /// Removes one message of the selected folder for good (`\Deleted`, then UID EXPUNGE
    /// of that UID only, so that nobody else's deleted mail goes with it).
    pub fn expunge_uid(&mut self, uid: u32) -> Result<()> {
        self.raw(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"))?;
        if self.caps.uidplus {
            self.raw(&format!("UID EXPUNGE {uid}"))?;
        } else {
            self.raw("EXPUNGE")?;
        }
        Ok(())
    }

    /// Every UID of the selected folder, ascending.
    pub fn all_uids(&mut self) -> Result<Vec<u32>> {
        self.uids_from(1)
    }
}
