//! Presence as short-lived records, for servers without METADATA (Microsoft 365, Gmail,
//! Courier): one small message per agent in the presence folder, replaced at each heartbeat
//! (`app::presence`; protocol §7a).

use imap_proto::types::{AttributeValue, Response};

use super::connect::Conn;
use super::parse::for_each_response;
use super::Result;

impl Conn {
    /// Appends `raw` (an agent's presence record) to `folder`, created on first use, then
    /// removes the records `previous` of that agent; the new record's UID when the server
    /// says it.
    pub fn replace_presence_record(
        &mut self,
        folder: &str,
        raw: Option<&[u8]>,
        previous: &[u32],
    ) -> Result<Option<u32>> {
        self.ensure_folder(folder)?;
        let uid = match raw {
            Some(raw) => self.append(folder, raw, &["\\Seen"])?,
            None => None,
        };
        if !previous.is_empty() {
            self.select(folder, None)?;
            let set = super::uid_set(previous);
            self.raw(&format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)"))?;
            // Without UIDPLUS, EXPUNGE removes what others marked too: only records, all of
            // them meant to go.
            if self.caps.uidplus {
                self.raw(&format!("UID EXPUNGE {set}"))?;
            } else {
                self.raw("EXPUNGE")?;
            }
        }
        Ok(uid)
    }

    /// Every record of the presence `folder`: (UID, its agent header, its presence header).
    /// Nothing when the folder does not exist yet.
    pub fn presence_records(&mut self, folder: &str) -> Result<Vec<(u32, String, String)>> {
        if !self.folder_exists(folder)? {
            return Ok(Vec::new());
        }
        let info = self.select(folder, None)?;
        if info.exists == 0 {
            return Ok(Vec::new());
        }
        let data = self
            .raw("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (X-TANTO-AGENT X-TANTO-PRESENCE)])")?;
        let mut out = Vec::new();
        for_each_response(&data, |r| {
            let Response::Fetch(_, attrs) = r else { return };
            let uid = super::parse::fetch_uid(&attrs);
            let header = attrs.iter().find_map(|a| match a {
                AttributeValue::BodySection { data: Some(d), .. } => Some(d.to_vec()),
                _ => None,
            });
            if let (Some(uid), Some(h)) = (uid, header) {
                let field = |name| crate::mime::header_field(&h, name).unwrap_or_default();
                out.push((uid, field("X-Tanto-Agent"), field("X-Tanto-Presence")));
            }
        });
        Ok(out)
    }
}
